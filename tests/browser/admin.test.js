// The admin page (`/admin`): login with an API key, the rights requests by deadline, the
// consent-rate chart, the registers, and nothing from the server ever taken as markup.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { openContext, serverAndBrowser } from './helpers.js';

const EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

const env = serverAndBrowser();

/** Decisions on several days of February, for the chart. */
async function seedDecisions() {
  const [notice] = (await env.server.api('GET', '/v1/notices')).filter(
    (n) => n.lang === 'fr' && n.purposes.join('+') === 'ads+analytics',
  );
  assert.ok(notice, 'the demo banner notice');
  const seed = [
    ['2026-02-20', 's1', 'analytics', 'grant'],
    ['2026-02-20', 's2', 'analytics', 'refuse'],
    ['2026-02-20', 's1', 'ads', 'grant'],
    ['2026-02-20', 's2', 'ads', 'refuse'],
    ['2026-02-23', 's3', 'analytics', 'grant'],
    ['2026-02-23', 's3', 'ads', 'refuse'],
    ['2026-02-26', 's4', 'analytics', 'grant'],
    ['2026-02-26', 's5', 'analytics', 'grant'],
    ['2026-02-26', 's4', 'ads', 'refuse'],
    ['2026-02-26', 's5', 'ads', 'grant'],
  ];
  for (const [day, subject, purpose, decision] of seed) {
    await env.server.api('POST', '/v1/consent/receipts', {
      subject: { tag: 'external', val: `seed-${subject}` },
      purpose,
      decision,
      'given-by': 'subject',
      channel: 'web-form',
      notice: notice.reference,
      gpc: false,
      at: `${day}T10:00:00Z`,
    });
  }
}

/** A rights request, as the shop's public form makes it. */
async function publicRequest(email) {
  const res = await fetch(`${env.server.base}/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subject: { tag: 'email', val: email },
      kind: 'erasure',
      channel: 'web-form',
      lang: 'fr',
      'identity-verified': false,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

describe('admin page', () => {
  test('11. login, requests, consent chart, registers, text only', async () => {
    await seedDecisions();
    const request = await publicRequest('zoe@example.org');
    // Something the page shows, named to be taken as markup if it ever were.
    await env.server.api('POST', '/v1/registry/activities', {
      id: 'xss-check',
      name: { fr: EVIL, en: EVIL },
      purposes: [{ id: 'xss-check', description: { fr: EVIL }, basis: 'consent' }],
      subjects: [{ tag: 'customers' }],
      data: [{ category: 'contact', description: { fr: EVIL }, sensitive: false }],
      recipients: [],
      transfers: [],
      retention: [{ category: 'contact', months: 12, start: 'collection', action: 'delete' }],
      security: [{ tag: 'access-control' }],
    });
    await env.server.api('POST', '/v1/breaches', {
      'discovered-at': '2026-02-28T09:00:00Z',
      nature: ['confidentiality'],
      description: EVIL,
      categories: ['contact'],
      'subjects-approx': 3,
      'records-approx': 3,
      consequences: 'Adresses exposées.',
      measures: 'Accès coupé.',
      risk: 'risk',
    });

    const { context, page, problems } = await openContext(env.browser, env.server);
    await page.goto(`${env.server.base}/admin`);
    await page.locator('#login-key').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login-key').getAttribute('type'), 'password');

    // A wrong key: the login again, with the problem's detail.
    await page.locator('#login-key').fill('not-a-key');
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('#login-error:not(:empty)').waitFor();
    assert.ok(await page.locator('#login-form').isVisible());
    assert.ok((await page.locator('#login-error').textContent()).length > 5);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await page.locator('#login-key').fill(env.server.token);
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('body[data-loaded="true"]').waitFor();
    assert.ok(await page.locator('#dashboard').isVisible());
    assert.equal(await page.evaluate(() => Object.keys(sessionStorage).length), 1, 'the key kept for the tab');

    // Requests by deadline.
    const row = page.locator(`#requests tr[data-id="${request.id}"]`);
    assert.equal(await row.count(), 1);
    assert.ok((await row.textContent()).includes('Effacement'));

    // The chart: one series per purpose, a point per day with data.
    const chart = page.locator('svg#consent-chart');
    assert.equal(await chart.count(), 1);
    const series = await chart.locator('g.series').evaluateAll((gs) =>
      gs.map((g) => ({
        purpose: g.getAttribute('data-purpose'),
        circles: g.querySelectorAll('circle').length,
        points: (g.querySelector('polyline')?.getAttribute('points') ?? '').trim().split(/\s+/).filter(Boolean).length,
      })),
    );
    assert.ok(series.length >= 2, JSON.stringify(series));
    const analytics = series.find((s) => s.purpose === 'analytics');
    assert.deepEqual(analytics, { purpose: 'analytics', circles: 3, points: 3 });
    assert.ok(series.every((s) => s.circles >= 1 && s.points === s.circles));
    assert.ok(series.some((s) => s.points >= 2));
    assert.ok((await chart.textContent()).includes('100 %'), 'a labelled y axis');

    // Registers and integrity checks.
    const name = page.locator('#registry tr[data-id="xss-check"] td.name');
    assert.equal(await name.textContent(), EVIL, 'the name shown as text');
    assert.ok((await page.locator('#breaches').textContent()).includes(EVIL));
    assert.match(await page.locator('#ledger').textContent(), /Intègre/);
    assert.match(await page.locator('#audit').textContent(), /Intègre/);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused to|Error/i.test(p)), []);
    await context.close();
  });
});
