// Consent across devices for a logged-in customer (issue 28 point 2, CNIL délibération
// 2025-131), in Chromium: two browser contexts are two devices of the same customer, whose
// page carries the reference the shop's server minted (`data-customer`, never the e-mail).
// Device A refuses; device B shows the refusal in force without asking, runs nothing gated
// and sets no tracker's cookie; a change on B reaches A. axe-core audits the first layer
// that says so and the line that shows the choice in force.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { openContext, serverAndBrowser, settle, until } from './helpers.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BANNER = '#fichier-banner';
const LINE = '#fichier-choice';
const ANNE = { tag: 'email', val: 'anne@example.org' };

const env = serverAndBrowser();

async function violations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate((tags) => axe.run(document, { runOnly: tags }), TAGS);
  return found.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A device: a fresh context whose shop page (`/`, its own headers kept) carries `token`. */
async function device(token) {
  const ctx = await openContext(env.browser, env.server);
  const shop = await fetch(`${env.server.base}/`);
  const html = (await shop.text()).replace('<script src="/banner.js"', `<script src="/banner.js" data-customer="${token}"`);
  assert.ok(html.includes(`data-customer="${token}"`), 'the reference on the banner tag');
  const headers = Object.fromEntries([...shop.headers].filter(([k]) => !/^(content-length|content-encoding|etag)$/.test(k)));
  await ctx.context.route(`${env.server.base}/`, (route) => route.fulfill({ status: 200, headers, body: html }));
  const ready = () =>
    ctx.page.evaluate(() => window.fichierBanner?.ready() || new Promise((ok) => document.addEventListener('fichier:ready', ok, { once: true })));
  ctx.load = async () => {
    await ctx.page.goto(`${env.server.base}/`);
    await ready();
  };
  return ctx;
}

/** Anne's receipts (the shop's admin reading her history) once there are `n`. */
function history(n) {
  return until(async () => {
    const list = await env.server.api('POST', '/v1/consent/history', { subject: ANNE });
    return list.length >= n && list;
  }, `${n} receipts of the customer`);
}

describe('consent across devices (logged-in customer)', () => {
  test('13a. a refusal on device A is in force on device B; a change on B reaches A', async () => {
    const minted = await env.server.api('POST', '/v1/consent/customer-references', { subject: ANNE });
    const token = minted.token;
    assert.match(token, /^[A-Za-z0-9_-]{55}$/);
    assert.equal(minted['expires-at'], '2026-03-02T10:00:00.000Z', '24 hours from the pinned clock');

    // Device A: the first layer says the choice applies on the other devices; refuse.
    const a = await device(token);
    await a.load();
    await a.page.locator(BANNER).waitFor({ state: 'visible' });
    const devices = a.page.locator(`${BANNER} [data-fichier="devices"]`);
    assert.ok(await devices.isVisible(), 'said on the first layer, before "Personnaliser"');
    assert.match(await devices.textContent(), /autres appareils/);
    assert.deepEqual(await violations(a.page), [], 'the first layer, logged in');
    await a.page.locator(`${BANNER} [data-fichier="refuse"]`).click();
    await a.page.locator(BANNER).waitFor({ state: 'hidden' });
    const visitorA = await a.page.evaluate(() => window.fichierBanner.choice().visitor);
    const refused = await history(2);
    assert.deepEqual(refused.map((r) => [r.purpose, r.decision, r.banner]).sort(), [
      ['ads', 'refuse', visitorA],
      ['analytics', 'refuse', visitorA],
    ]);
    assert.ok(refused.every((r) => r.channel === 'cookie-banner' && /^ads\+analytics:fr:v\d+$/.test(r.notice.reference)));

    // Device B, logged in as Anne: not asked; the refusal is applied and shown.
    const b = await device(token);
    await b.load();
    await settle();
    assert.ok(await b.page.locator(BANNER).isHidden(), 'device B is not asked again');
    const line = b.page.locator(LINE);
    assert.ok(await line.isVisible(), 'the choice in force is shown');
    assert.match(await line.textContent(), /tout refusé/);
    const choice = await b.page.evaluate(() => window.fichierBanner.choice());
    assert.deepEqual(choice.refused.slice().sort(), ['ads', 'analytics']);
    assert.deepEqual(choice.granted, []);
    assert.notEqual(choice.visitor, visitorA, 'each device keeps its own banner id');
    assert.equal(b.hits.length, 0, 'no gated script ran');
    assert.equal(await b.page.locator('script[data-category="analytics"]').getAttribute('type'), 'text/plain');
    assert.deepEqual((await b.context.cookies()).map((c) => c.name).filter((n) => n !== 'fichier_consent'), [], 'no cookie but the choice');
    assert.deepEqual(await violations(b.page), [], 'the line showing the choice in force');

    // A change on B: "Modifier" opens the switches as they stand; accept everything.
    await line.locator('[data-fichier="reopen"]').click();
    await b.page.locator(BANNER).waitFor({ state: 'visible' });
    for (const s of await b.page.locator(`${BANNER} input[data-purpose]`).all()) assert.equal(await s.isChecked(), false);
    await b.page.locator(`${BANNER} [data-fichier="accept"]`).click();
    await b.page.locator(BANNER).waitFor({ state: 'hidden' });
    await until(() => b.hits.length >= 1, 'the analytics hit on B');
    const visitorB = choice.visitor;
    const changed = (await history(4)).slice(2);
    assert.deepEqual(changed.map((r) => [r.purpose, r.decision, r.banner]).sort(), [
      ['ads', 'grant', visitorB],
      ['analytics', 'grant', visitorB],
    ]);

    // Back on A (its next page): the customer's grant is in force there too.
    assert.equal(a.hits.length, 0);
    await a.load();
    await until(() => a.hits.length >= 1, 'the analytics hit on A');
    await until(async () => (await a.context.cookies()).some((c) => c.name === '_demo_analytics'), 'the analytics cookie on A');
    assert.deepEqual((await a.page.evaluate(() => window.fichierBanner.choice())).granted.slice().sort(), ['ads', 'analytics']);
    assert.ok(await a.page.locator(BANNER).isHidden());
    assert.match(await a.page.locator(LINE).textContent(), /acceptés/);
    // And the withdrawal on A goes back to B exactly as the grant came.
    await a.page.locator(`${LINE} [data-fichier="reopen"]`).click();
    await a.page.locator(BANNER).waitFor({ state: 'visible' });
    await a.page.locator(`${BANNER} [data-fichier="refuse"]`).click();
    const withdrawn = (await history(6)).slice(4);
    assert.deepEqual(withdrawn.map((r) => [r.purpose, r.decision, r.banner]).sort(), [
      ['ads', 'withdraw', visitorA],
      ['analytics', 'withdraw', visitorA],
    ]);
    const before = b.hits.length;
    await b.load();
    await settle();
    assert.equal(b.hits.length, before, 'B runs nothing after the withdrawal on A');
    assert.ok(!(await b.context.cookies()).some((c) => c.name === '_demo_analytics'), "the tracker's cookie deleted on B");
    assert.deepEqual((await b.page.evaluate(() => window.fichierBanner.choice())).refused.slice().sort(), ['ads', 'analytics']);
    for (const ctx of [a, b]) {
      assert.deepEqual(ctx.problems.filter((p) => /Content Security Policy|Refused to|Error/i.test(p)), []);
      await ctx.context.close();
    }
  });

  test('13b. without a valid reference the banner works as for anyone, and the public reads nothing of the customer', async () => {
    const c = await device('x'.repeat(55));
    await c.load();
    await c.page.locator(BANNER).waitFor({ state: 'visible' });
    assert.equal(await c.page.locator(`${BANNER} [data-fichier="devices"]`).count(), 0, 'no promise of other devices');
    const res = await fetch(`${env.server.base}/v1/banner/choice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer: 'x'.repeat(55), lang: 'fr', signals: null }),
    });
    assert.equal(res.status, 422);
    const problem = await res.json();
    assert.equal(problem.field, 'customer');
    assert.match(problem.rule, /^token-(syntax|matches)$/);
    await c.context.close();
  });

  test('13c. a reference that expires while the page is open: the choice is kept as the device\'s own', async () => {
    // The read of the choice answers as for a valid reference (here, answered by the test),
    // the receipts then meet the component's check.
    const c = await device('A'.repeat(55));
    await c.context.route(`${env.server.base}/v1/banner/choice`, (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: 'null' }),
    );
    await c.load();
    await c.page.locator(BANNER).waitFor({ state: 'visible' });
    assert.ok(await c.page.locator(`${BANNER} [data-fichier="devices"]`).isVisible());
    await c.page.locator(`${BANNER} [data-fichier="refuse"]`).click();
    const visitor = await c.page.evaluate(() => window.fichierBanner.choice().visitor);
    const own = await until(async () => {
      const list = await env.server.api('POST', '/v1/consent/history', { subject: { tag: 'external', val: visitor } });
      return list.length >= 2 && list;
    }, "the device's own receipts");
    assert.deepEqual(own.map((r) => [r.purpose, r.decision, r.banner]).sort(), [
      ['ads', 'refuse', null],
      ['analytics', 'refuse', null],
    ]);
    await c.context.close();
  });
});
