// The demo shop's forms (`/`): the newsletter consent (an unticked box records nothing) and
// the "Mes données" rights request confirmed with the code sent by e-mail (read from the
// outbox through the admin API).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { openContext, settle, serverAndBrowser, until } from './helpers.js';

const env = serverAndBrowser();

function history(email) {
  return env.server.api('POST', '/v1/consent/history', { subject: { tag: 'email', val: email } });
}

async function openShop() {
  const ctx = await openContext(env.browser, env.server);
  await ctx.page.goto(`${env.server.base}/`);
  // The banner answered first (it would cover the bottom of the page).
  await ctx.page.locator('#fichier-banner [data-fichier="refuse"]').click();
  await ctx.page.locator('#fichier-banner').waitFor({ state: 'hidden' });
  return ctx;
}

describe('demo shop forms', () => {
  test('10a. newsletter: unticked records nothing; ticked signs up, the mail\'s link confirms it (double opt-in)', async () => {
    const { context, page, problems } = await openShop();
    const notice = page.locator('#newsletter-notice');
    await until(async () => (await notice.getAttribute('data-reference')) !== null, 'the newsletter notice');
    const reference = await notice.getAttribute('data-reference');
    assert.match(reference, /^newsletter:fr:v\d+$/);
    const [, text] = await env.server.api('GET', `/v1/notices/${reference}`);
    assert.equal(await notice.textContent(), text, 'the notice text is shown next to the box');
    assert.equal(await page.locator('#newsletter-consent').isChecked(), false, 'the box starts unticked');

    await page.locator('#newsletter-email').fill('lea@example.org');
    await page.locator('#newsletter-form button[type="submit"]').click();
    const result = page.locator('#newsletter-result');
    await until(async () => /rien n’a été enregistré/i.test(await result.textContent()), 'the "nothing recorded" message');
    await settle();
    assert.deepEqual(await history('lea@example.org'), [], 'no receipt without the box');

    await page.locator('#newsletter-consent').check();
    await page.locator('#newsletter-form button[type="submit"]').click();
    await until(async () => /e-mail de confirmation/.test(await result.textContent()), 'the "confirm by mail" message');
    assert.deepEqual(await history('lea@example.org'), [], 'nothing counts before the confirmation');
    const { messages } = await env.server.api('GET', '/v1/outbox?limit=100');
    const mail = messages.find((m) => m.to === 'lea@example.org' && m.kind === 'consent-confirmation');
    assert.ok(mail?.token, 'the confirmation mail and its token are queued');
    await context.close();

    // The mail's link opens the shop's page; the button confirms.
    const second = await openContext(env.browser, env.server);
    await second.page.goto(`${env.server.base}/?confirmer=${encodeURIComponent(mail.token)}`);
    const confirm = second.page.locator('#confirm-form');
    await confirm.waitFor({ state: 'visible' });
    await settle();
    assert.deepEqual(await history('lea@example.org'), [], 'opening the link alone confirms nothing');
    await confirm.locator('button').click();
    await until(async () => /Inscription confirmée/.test(await confirm.locator('.result').textContent()), 'the confirmation');
    const list = await history('lea@example.org');
    assert.equal(list.length, 1);
    assert.equal(list[0].purpose, 'newsletter');
    assert.equal(list[0].decision, 'grant');
    assert.equal(list[0].channel, 'web-form');
    assert.equal(list[0]['given-by'], 'subject');
    assert.equal(list[0].gpc, false);
    assert.equal(list[0].notice.reference, reference);
    assert.deepEqual([...problems, ...second.problems].filter((p) => /Content Security Policy|Refused to/i.test(p)), []);
    await second.context.close();
  });

  test('10c. unsubscribe: the link the shop mints withdraws in one click, from the page or the mail client (RFC 8058)', async () => {
    const token = await env.server.api('POST', '/v1/consent/unsubscribe-links', {
      subject: { tag: 'email', val: 'lea@example.org' }, purpose: 'newsletter',
    });
    const { context, page } = await openContext(env.browser, env.server);
    await page.goto(`${env.server.base}/?desinscription=${encodeURIComponent(token)}`);
    const form = page.locator('#unsubscribe-form');
    await form.waitFor({ state: 'visible' });
    await form.locator('button').click();
    await until(async () => /désinscrit/.test(await form.locator('.result').textContent()), 'the withdrawal');
    const list = await history('lea@example.org');
    assert.equal(list.at(-1).decision, 'withdraw');
    assert.equal(list.at(-1).channel, 'email-link');
    await context.close();
    // The mail client's one-click POST: no key, a form body, 202 whatever the address.
    const res = await fetch(`${env.server.base}/v1/unsubscribe/${token}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { outcome: 'withdrawn' });
  });

  test('10b. rights: a request, then the code from the e-mail confirms the identity', async () => {
    const { context, page, problems } = await openShop();
    await page.locator('#rights-email').fill('Marc@Example.org');
    await page.locator('#rights-kind').selectOption('access');
    assert.deepEqual(
      await page.locator('#rights-kind option').evaluateAll((os) => os.map((o) => o.value)),
      ['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection', 'withdrawal'],
    );
    await page.locator('#rights-details').fill('Je voudrais une copie de mes commandes.');
    await page.locator('#rights-form button[type="submit"]').click();
    const result = page.locator('#rights-result');
    const id = await until(async () => (await result.textContent()).match(/R-\d{6}/)?.[0], 'the request id');
    await page.locator('#token-form').waitFor({ state: 'visible' });

    const request = await env.server.api('GET', `/v1/requests/${id}`);
    assert.equal(request.kind, 'access');
    assert.equal(request.channel, 'web-form');
    assert.equal(request.state, 'awaiting-identity');
    assert.equal(request.details, 'Je voudrais une copie de mes commandes.');

    const { messages } = await env.server.api('GET', '/v1/outbox?limit=10');
    const mail = messages.find((m) => m.request === id && m.kind === 'identity-token');
    assert.ok(mail, 'the identity-token message is queued');
    assert.equal(mail.to, 'marc@example.org');
    const code = mail.body.match(/\b[A-Z2-7]{24}\b/)?.[0];
    assert.ok(code, `a code in: ${mail.body}`);

    // A wrong code: the problem's detail is shown.
    const out = page.locator('#token-result');
    await page.locator('#token-code').fill('AAAAAAAAAAAAAAAAAAAAAAAA');
    await page.locator('#token-form button[type="submit"]').click();
    await until(async () => /^Code refusé : .+/.test(await out.textContent()), 'the refusal');

    await page.locator('#token-code').fill(code.toLowerCase());
    await page.locator('#token-form button[type="submit"]').click();
    await until(async () => (await out.textContent()).includes('in-progress'), 'the confirmation');
    assert.ok((await out.textContent()).includes(id));
    assert.equal((await env.server.api('GET', `/v1/requests/${id}`)).state, 'in-progress');
    assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused to/i.test(p)), []);
    await context.close();
  });
});
