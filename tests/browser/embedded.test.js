// The banner as a shop on its own origin includes it (a page these tests serve from a
// second local port; the server lists that origin in shop_origins, so every call is CORS):
// English labels, inline held scripts with data-type, held iframes, scripts added later,
// cookie prefixes, the injected "Cookies" button, and failing closed without configuration.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, openContext, settle, startServer, until } from './helpers.js';

const BANNER = '#fichier-banner';
const btn = (name) => `${BANNER} [data-fichier="${name}"]`;

let server;
let browser;
let shop;
let SHOP;
before(async () => {
  // The shop: / is the page below, anything else a small page (the held iframe's).
  shop = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.url === '/' ? html(server.base) : '<!doctype html><title>frame</title><p>frame</p>');
  });
  await new Promise((ok) => shop.listen(0, '127.0.0.1', ok));
  SHOP = `http://127.0.0.1:${shop.address().port}`;
  server = await startServer({ shopOrigins: [SHOP] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  shop?.closeAllConnections();
  await new Promise((ok) => shop?.close(ok) ?? ok());
});

function html(base) {
  return `<!doctype html>
<html lang="en-GB">
<head>
<script src="${base}/banner.js" data-cookies-analytics="_ga _ga_*" data-cookies-ads="_ads"></script>
<meta charset="utf-8"><title>An English shop</title>
</head>
<body>
<h1>An English shop</h1>
<script type="text/plain" data-category="analytics" data-type="text/javascript">
  window.__inline = (window.__inline || 0) + 1;
  document.cookie = '_ga=1; path=/';
  document.cookie = '_ga_ABC=2; path=/';
  document.cookie = '_other=3; path=/';
</script>
<iframe data-category="ads" data-src="${SHOP}/frame.html" title="An advertisement"></iframe>
</body>
</html>`;
}

async function history(visitor) {
  return server.api('POST', '/v1/consent/history', { subject: { tag: 'external', val: visitor } });
}

async function receipts(page, n) {
  const visitor = await page.evaluate(() => window.fichierBanner.choice()?.visitor);
  assert.match(visitor ?? '', /^v-[0-9a-f]{32}$/);
  return until(async () => {
    const list = await history(visitor);
    return list.length >= n && list;
  }, `${n} receipts`);
}

const decisions = (list) => Object.fromEntries(list.map((r) => [r.purpose, r.decision]));
const names = async (context) => (await context.cookies(SHOP)).map((c) => c.name).sort();

describe('banner embedded in another origin', () => {
  test('13. English shop: held scripts and iframes, later additions, prefixes, the injected Cookies button', async () => {
    const { context, page, problems } = await openContext(browser, server, { allow: [SHOP] });
    await page.goto(`${SHOP}/`);
    await page.locator(BANNER).waitFor({ state: 'visible' });
    assert.equal(await page.locator(btn('refuse')).textContent(), 'Refuse all');
    assert.equal(await page.locator(btn('accept')).textContent(), 'Accept all');
    assert.equal(await page.locator(btn('customise')).textContent(), 'Customise');
    assert.equal(await page.locator(btn('save')).textContent(), 'Save my choices');
    assert.equal(await page.locator(`${BANNER}`).getAttribute('lang'), 'en');
    assert.equal(await page.locator('link[rel="stylesheet"]').getAttribute('href'), `${server.base}/banner.css`);
    assert.equal(await page.evaluate(() => window.__inline), undefined);
    assert.equal(await page.locator('iframe').getAttribute('src'), null);

    await page.locator(btn('customise')).click();
    await page.locator(`${BANNER} input[data-purpose="analytics"]`).check();
    await page.locator(btn('save')).click();
    let list = await receipts(page, 2);
    assert.deepEqual(decisions(list), { analytics: 'grant', ads: 'refuse' });
    assert.ok(list.every((r) => /^ads\+analytics:en:v\d+$/.test(r.notice.reference)), 'the English notice is cited');
    assert.equal(await page.evaluate(() => window.__inline), 1, 'the inline held script ran once');
    assert.equal(await page.locator('script[data-category]').count(), 0);
    assert.deepEqual(await names(context), ['_ga', '_ga_ABC', '_other', 'fichier_consent']);
    assert.equal(await page.locator('iframe').getAttribute('src'), null, 'the ads iframe stays empty');

    // Added later: released at once when granted, held otherwise.
    await page.evaluate(() => {
      for (const [category, flag] of [['analytics', '__late'], ['ads', '__lateAds']]) {
        const s = document.createElement('script');
        s.type = 'text/plain';
        s.setAttribute('data-category', category);
        s.text = `window.${flag} = 1`;
        document.body.appendChild(s);
      }
    });
    await until(() => page.evaluate(() => window.__late === 1), 'the late analytics script');
    await settle(300);
    assert.equal(await page.evaluate(() => window.__lateAds), undefined);

    // No [data-fichier-open] on this page: the banner added its own way back.
    const reopen = page.locator('[data-fichier="reopen"]');
    assert.ok(await reopen.isVisible());
    assert.equal(await reopen.textContent(), 'Cookies');
    await reopen.click();
    await page.locator(BANNER).waitFor({ state: 'visible' });
    assert.equal(await page.locator(`${BANNER} input[data-purpose="analytics"]`).isChecked(), true);
    await page.locator(`${BANNER} input[data-purpose="analytics"]`).uncheck();
    await page.locator(`${BANNER} input[data-purpose="ads"]`).check();
    await page.locator(btn('save')).click();
    list = await receipts(page, 4);
    assert.deepEqual(decisions(list.slice(2)), { analytics: 'withdraw', ads: 'grant' });
    await until(async () => (await names(context)).join() === '_other,fichier_consent', 'the analytics cookies (name and prefix) deleted');
    assert.equal(await page.locator('iframe').getAttribute('src'), `${SHOP}/frame.html`);
    await until(() => page.evaluate(() => window.__lateAds === 1), 'the late ads script released');

    // Closing a reopened banner keeps the standing choice.
    await reopen.click();
    await page.locator(btn('close')).click();
    await page.locator(BANNER).waitFor({ state: 'hidden' });
    await settle();
    assert.equal((await receipts(page, 4)).length, 4, 'no new receipt');
    assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused to|CORS|Error/i.test(p)), []);
    await context.close();
  });

  test('14. without a configuration the banner fails closed', async () => {
    const { page, context } = await openContext(browser, server, { allow: [SHOP] });
    const warnings = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.route(`${server.base}/v1/banner*`, (route) =>
      route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{}' }),
    );
    await page.goto(`${SHOP}/`);
    await until(() => warnings.some((w) => w.startsWith('fichier:')), 'a console warning');
    await settle();
    assert.equal(await page.locator(BANNER).count(), 0);
    assert.equal(await page.evaluate(() => window.__inline), undefined, 'nothing held runs');
    assert.equal(await page.evaluate(() => window.fichierBanner.choice()), null);
    const layer = await page.evaluate(() => window.dataLayer.map((a) => Array.from(a)));
    assert.equal(layer.length, 1, 'only the default (denied) consent');
    assert.equal(layer[0][1], 'default');
    await context.close();
  });
});
