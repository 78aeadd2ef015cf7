// The banner behind a page cache, with the WP Consent API, in a real headless Chromium (the
// browser tests' playwright-core and Debian's Chromium), against the WordPress of `run`
// (in-process; test.php has declared the banner's purposes `audience` (cookie) and `ads`
// (advertising) before). Run by `run`: node browser.mjs <site base URL>.
//
// One visitor (A) chooses; the page A then gets is the cache's copy, and it is the very page a
// visitor who never chose got. A second visitor (B) is served that copy (the cache), and the
// banner still asks B and records B's own choice. Each choice reaches the WP Consent API: its
// cookies, its JavaScript wp_has_consent, its event, and what PHP's wp_has_consent reads on
// the next request. Under Global Privacy Control (visitor C), advertising stays refused, and
// so marketing denied; without the banner (visitor D, banner.js blocked), functional alone is
// allowed. Nothing leaves the machine: only the site's origin is reachable.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const PACKAGE = join(REPO, 'tests/browser/package.json');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BASE = process.argv[2];
assert.match(BASE ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'usage: node browser.mjs <site base URL>');
assert.ok(existsSync(join(REPO, 'tests/browser/node_modules/playwright-core')), 'playwright-core is missing: (cd tests/browser && npm ci)');
assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
const { chromium } = createRequire(PACKAGE)('playwright-core');

const BANNER = '#fichier-banner';
const CATEGORIES = ['functional', 'preferences', 'statistics', 'statistics-anonymous', 'marketing'];
let checks = 0;
let failures = 0;
async function check(what, fn) {
  checks++;
  try {
    await fn();
  } catch (e) {
    failures++;
    console.error(`FAIL [browser] ${what}\n  ${String(e.message).split('\n').join('\n  ')}`);
  }
}

/** category -> the value of its cookie wp_consent_<category> ('' when unset). */
async function apiCookies(context) {
  const jar = Object.fromEntries((await context.cookies(BASE)).map((c) => [c.name, c.value]));
  return Object.fromEntries(CATEGORIES.map((c) => [c, jar[`wp_consent_${c}`] ?? '']));
}
const values = (allow) => Object.fromEntries(CATEGORIES.map((c) => [c, allow.includes(c) ? 'allow' : 'deny']));

/** Poll until `fn` returns a truthy value; fail after 10 s with the last value. */
async function until(fn, what) {
  const end = Date.now() + 10_000;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What PHP's wp_has_consent reads with the visitor's cookies on their next request. */
async function serverSide(context) {
  const res = await context.request.get(`${BASE}/?fichier-test=consent-api`);
  assert.equal(res.status(), 200);
  return (await res.json()).has;
}

async function visitor(browser, cachedPage = null, gpc = false, block = null) {
  // The page's clock is not pinned: the API's script writes its cookies with an `expires`
  // date computed from the page's clock, which Chromium's cookie store compares with the
  // machine's own; pinned to fichier's test date (in the past), they would expire at once.
  // Nothing checked depends on the date: every check follows its choice within seconds, far
  // inside the purposes' validity (months), and fichier's own clock is pinned.
  const context = await browser.newContext({ locale: 'en-GB', ...(gpc ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {}) });
  if (gpc) {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    });
  }
  const problems = [];
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (cachedPage !== null && url === `${BASE}/`) {
      // The page cache: the copy it keeps, whoever asks.
      return route.fulfill({ status: 200, contentType: 'text/html; charset=UTF-8', body: cachedPage });
    }
    if (block !== null && url.startsWith(`${BASE}${block}`)) return route.abort();
    if (url.startsWith(`${BASE}/`)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  // Every wp_listen_for_consent_change, as the API's listeners get it.
  await context.addInitScript(() => {
    window.__changes = [];
    document.addEventListener('wp_listen_for_consent_change', (e) => window.__changes.push(Object.assign({}, e.detail)));
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  return { context, page, problems, outside };
}

const changes = (page) => page.evaluate(() => window.__changes.splice(0));
const jsHas = (page) => page.evaluate((cats) => Object.fromEntries(cats.map((c) => [c, window.wp_has_consent(c)])), CATEGORIES);
const settled = (page) => page.waitForFunction(() => window.fichierBanner && window.fichierBanner.ready());

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // --- Visitor A, never chose: the banner asks; every category but functional is denied.
  const a = await visitor(browser);
  const first = await a.page.goto(`${BASE}/`);
  const firstHtml = await first.text();
  await check('the page sets no cookie', () => assert.equal(first.headers()['set-cookie'], undefined));
  await a.page.locator(BANNER).waitFor({ state: 'visible' });
  await settled(a.page);
  await check('before any choice: the API says functional only, and the consent type is optin', async () => {
    assert.deepEqual(await apiCookies(a.context), values(['functional']));
    assert.deepEqual(await jsHas(a.page), Object.fromEntries(CATEGORIES.map((c) => [c, c === 'functional'])));
    assert.equal(await a.page.evaluate(() => window.wp_consent_type), 'optin');
  });
  await changes(a.page);

  // --- A accepts all: every category the purposes decide is allowed.
  await a.page.locator(`${BANNER} [data-fichier="accept"]`).click();
  await check('"Accept all" allows the categories of the cookie and advertising purposes', async () => {
    await until(async () => (await apiCookies(a.context)).marketing === 'allow', 'wp_consent_marketing=allow');
    assert.deepEqual(await apiCookies(a.context), values(CATEGORIES));
    assert.deepEqual(await jsHas(a.page), Object.fromEntries(CATEGORIES.map((c) => [c, true])));
  });
  await check('the API\'s listeners are told of each change', async () => {
    const got = Object.assign({}, ...(await changes(a.page)));
    assert.deepEqual(got, { preferences: 'allow', statistics: 'allow', 'statistics-anonymous': 'allow', marketing: 'allow' });
  });
  await check('on the next request, PHP\'s wp_has_consent reads the choice', async () => {
    assert.deepEqual(await serverSide(a.context), Object.fromEntries(CATEGORIES.map((c) => [c, true])));
  });

  // --- A comes back: the very page a visitor who never chose got, and the choice stands.
  const again = await a.page.goto(`${BASE}/`);
  const cachedHtml = await again.text();
  await check('the page of a visitor who chose is byte for byte the page of one who did not', () => assert.equal(cachedHtml, firstHtml));
  await settled(a.page);
  await check('back on the page, the banner asks nothing and the API keeps A\'s choice (no change told)', async () => {
    assert.equal(await a.page.locator(BANNER).count(), 0);
    assert.deepEqual(await apiCookies(a.context), values(CATEGORIES));
    assert.deepEqual(await changes(a.page), []);
  });

  // --- Visitor B is served the cache's copy: the banner asks B, and B's refusal is B's.
  const b = await visitor(browser, cachedHtml);
  const served = await b.page.goto(`${BASE}/`);
  await check('B gets the cached copy', async () => assert.equal(await served.text(), cachedHtml));
  await b.page.locator(BANNER).waitFor({ state: 'visible' });
  await b.page.locator(`${BANNER} [data-fichier="refuse"]`).click();
  await check('"Refuse all" from the cached page: every category but functional denied, for B only', async () => {
    await until(async () => (await b.page.evaluate(() => window.fichierBanner.choice() !== null)), 'B\'s choice');
    assert.deepEqual(await apiCookies(b.context), values(['functional']));
    assert.deepEqual(await serverSide(b.context), Object.fromEntries(CATEGORIES.map((c) => [c, c === 'functional'])));
    assert.deepEqual(await apiCookies(a.context), values(CATEGORIES));
  });

  // --- A withdraws advertising through the banner: marketing is denied, the rest stays.
  await a.page.evaluate(() => window.fichierBanner.open());
  await a.page.locator(`${BANNER} input[data-purpose="ads"]`).uncheck();
  await a.page.locator(`${BANNER} [data-fichier="save"]`).click();
  await check('a withdrawal of the advertising purpose denies marketing, and says so', async () => {
    await until(async () => (await apiCookies(a.context)).marketing === 'deny', 'wp_consent_marketing=deny');
    assert.deepEqual(await apiCookies(a.context), { ...values(CATEGORIES), marketing: 'deny' });
    assert.deepEqual(await changes(a.page), [{ marketing: 'deny' }]);
    assert.equal((await serverSide(a.context)).marketing, false);
  });

  // --- Visitor C sends Global Privacy Control: "Accept all" leaves advertising refused, so
  //     marketing stays denied.
  const c = await visitor(browser, cachedHtml, true);
  await c.page.goto(`${BASE}/`);
  await c.page.locator(`${BANNER} [data-fichier="accept"]`).click();
  await check('under Global Privacy Control, "Accept all" allows all but marketing', async () => {
    await until(async () => (await apiCookies(c.context)).statistics === 'allow', 'wp_consent_statistics=allow');
    assert.deepEqual(await apiCookies(c.context), { ...values(CATEGORIES), marketing: 'deny' });
    assert.equal((await serverSide(c.context)).marketing, false);
  });

  // --- Visitor D's browser does not load banner.js (blocked): nothing but functional is allowed.
  const d = await visitor(browser, cachedHtml, false, '/banner.js');
  await d.page.goto(`${BASE}/`);
  await check('without the banner, the API allows functional only', async () => {
    await until(async () => (await apiCookies(d.context)).marketing === 'deny', 'wp_consent_marketing=deny');
    assert.deepEqual(await apiCookies(d.context), values(['functional']));
    assert.equal(await d.page.evaluate(() => typeof window.fichierBanner), 'undefined');
  });

  for (const [name, v] of [['A', a], ['B', b], ['C', c]]) {
    await check(`no script error on ${name}'s pages, and nothing asked outside the site`, () => {
      assert.deepEqual(v.problems, []);
      assert.deepEqual(v.outside, []);
    });
  }
} finally {
  await browser.close();
}
console.log(`[browser] ${checks} checks, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
