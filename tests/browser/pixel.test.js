// The mails' tracking pixel (issue 28, CNIL délibération 2026-042), in Chromium: a visitor
// signs up to the demo shop's newsletter with the separate, unticked box for measuring the
// opens ticked and confirms both mails; the pixel URL minted for them counts an open; the
// mail's unsubscribe link withdraws both consents; the same pixel then answers the same
// image and counts nothing; the admin page shows the campaign's count.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { openContext, serverAndBrowser, until } from './helpers.js';

const env = serverAndBrowser();
const EMAIL = 'ines@example.org';

async function confirmations() {
  const { messages } = await env.server.api('GET', '/v1/outbox?limit=100');
  return messages.filter((m) => m.to === EMAIL && m.kind === 'consent-confirmation');
}

/** The campaign's count on the admin page (a fresh login each time). */
async function adminCount(campaign) {
  const { context, page } = await openContext(env.browser, env.server);
  await page.goto(`${env.server.base}/admin`);
  await page.locator('#login-key').fill(env.server.token);
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('body[data-loaded="true"]').waitFor();
  const row = page.locator(`#opens tr[data-campaign="${campaign}"] td`);
  const count = (await row.count()) ? Number(await row.nth(1).textContent()) : 0;
  await context.close();
  return count;
}

/** Fetch the pixel as a browser displays it (an <img> in a page) and as a navigation. */
async function openMail(pixelUrl) {
  const { context, page } = await openContext(env.browser, env.server);
  const response = await page.goto(pixelUrl);
  const headers = response.headers();
  const body = await response.body();
  // And the mail as a client shows it (an HTML page of its own, served here by the test:
  // a page of another origin could not reach a loopback server, Private Network Access):
  // the image loads, 1×1.
  const mail = new URL('/mail-preview', pixelUrl).href;
  await page.route(mail, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><img id="p" src="${pixelUrl}" alt="">` }),
  );
  await page.goto(mail);
  const size = await until(
    () => page.evaluate(() => {
      const img = document.getElementById('p');
      return img.complete && img.naturalWidth ? [img.naturalWidth, img.naturalHeight] : null;
    }),
    'the pixel image',
  );
  await context.close();
  return { status: response.status(), headers, body, size };
}

describe('e-mail tracking pixel', () => {
  test('11a. counted while the consent stands; the unsubscribe link stops the count of the mail already sent', async () => {
    const { context, page, problems } = await openContext(env.browser, env.server);
    await page.goto(`${env.server.base}/`);
    await page.locator('#fichier-banner [data-fichier="refuse"]').click();
    await page.locator('#fichier-banner').waitFor({ state: 'hidden' });
    const box = page.locator('#newsletter-tracking');
    assert.equal(await box.isChecked(), false, 'the measuring box starts unticked');
    const notice = page.locator('#newsletter-tracking-notice');
    await until(async () => (await notice.getAttribute('data-reference')) !== null, 'the measuring notice');
    assert.match(await notice.getAttribute('data-reference'), /^newsletter-opens:fr:v\d+$/);
    assert.deepEqual(
      (await env.server.api('GET', '/v1/banner?lang=fr')).purposes.map((p) => p.id).sort(),
      ['ads', 'analytics'],
      'the banner does not ask about the mails',
    );

    await page.locator('#newsletter-email').fill(EMAIL);
    await page.locator('#newsletter-consent').check();
    await box.check();
    await page.locator('#newsletter-form button[type="submit"]').click();
    const result = page.locator('#newsletter-result');
    await until(async () => /deux e-mails de confirmation/.test(await result.textContent()), 'the "two mails" message');
    assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused to/i.test(p)), []);
    await context.close();

    // Each mail's link confirms its consent (the shop's landing page, one click each).
    const mails = await until(async () => ((await confirmations()).length === 2 ? confirmations() : null), 'two mails');
    for (const mail of mails) {
      const token = mail.body.split(/\s+/).find((w) => w.length > 26 && w.includes('-'));
      const second = await openContext(env.browser, env.server);
      await second.page.goto(`${env.server.base}/?confirmer=${encodeURIComponent(token)}`);
      const form = second.page.locator('#confirm-form');
      await form.waitFor({ state: 'visible' });
      await form.locator('button').click();
      await until(async () => /Inscription confirmée/.test(await form.locator('.result').textContent()), 'a confirmation');
      await second.context.close();
    }
    const status = await env.server.api('POST', '/v1/consent/status', { subject: { tag: 'email', val: EMAIL } });
    const state = (id) => status.purposes.find((p) => p.purpose === id).state;
    assert.deepEqual([state('newsletter'), state('newsletter-opens')], ['given', 'given']);

    // The shop mints the links of its mail; the open counts.
    const links = await env.server.api('POST', '/v1/consent/mail-links', {
      subject: { tag: 'email', val: EMAIL }, campaign: 'mars-26', purpose: 'newsletter',
    });
    const pixelUrl = env.server.base + links.pixel.path;
    assert.ok(!pixelUrl.includes('ines') && !pixelUrl.includes('example.org'), 'no personal data in the URL');
    const before = await adminCount('mars-26');
    assert.equal(before, 0);
    const first = await openMail(pixelUrl);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'image/gif');
    assert.equal(first.headers['cache-control'], 'no-store');
    assert.deepEqual(first.size, [1, 1]);
    // Two fetches (the navigation and the <img>, not cached): two opens.
    assert.equal(await adminCount('mars-26'), 2, 'the admin page shows the counted opens');

    // The mail's unsubscribe link, followed on the shop's page: both consents are withdrawn.
    const unsubscribe = await openContext(env.browser, env.server);
    await unsubscribe.page.goto(`${env.server.base}/?desinscription=${encodeURIComponent(links.unsubscribe.token)}`);
    const form = unsubscribe.page.locator('#unsubscribe-form');
    await form.waitFor({ state: 'visible' });
    await form.locator('button').click();
    await until(async () => /désinscrit/.test(await form.locator('.result').textContent()), 'the withdrawal');
    await unsubscribe.context.close();
    const after = await env.server.api('POST', '/v1/consent/status', { subject: { tag: 'email', val: EMAIL } });
    assert.deepEqual(
      after.purposes.filter((p) => p.purpose.startsWith('newsletter')).map((p) => [p.purpose, p.state]),
      [['newsletter', 'withdrawn'], ['newsletter-opens', 'withdrawn']],
    );

    // The same mail opened again: the same image, not counted.
    const again = await openMail(pixelUrl);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body, 'the same bytes');
    assert.equal(again.headers['content-type'], 'image/gif');
    assert.equal(again.headers['cache-control'], 'no-store');
    assert.deepEqual(again.size, [1, 1]);
    assert.equal(await adminCount('mars-26'), 2, 'not counted after the withdrawal');
    const opens = await env.server.api('GET', '/v1/consent/opens?from=2026-03-01&to=2026-03-01');
    assert.deepEqual(opens, [{ day: '2026-03-01', campaign: 'mars-26', opens: 2 }]);
  });
});
