// The cookie banner on the demo shop (`/`), in a real headless Chromium against
// `fichier serve --demo` (purposes analytics: cookie, ads: advertising). Each test has its
// own browser context, so its own visitor; the receipts are read back through the admin API.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { NOW, openContext, settle, serverAndBrowser, until } from './helpers.js';

const BANNER = '#fichier-banner';
const btn = (name) => `${BANNER} [data-fichier="${name}"]`;

const env = serverAndBrowser();

/** The notice the banner cites (from the public configuration). */
async function bannerNotice() {
  const res = await fetch(`${env.server.base}/v1/banner?lang=fr`);
  assert.equal(res.status, 200);
  const cfg = await res.json();
  assert.match(cfg.notice.reference, /^ads\+analytics:fr:v\d+$/);
  return cfg.notice.reference;
}

async function visitorOf(page) {
  const v = await page.evaluate(() => window.fichierBanner.choice()?.visitor);
  assert.match(v ?? '', /^v-[0-9a-f]{32}$/, 'a visitor id in the stored choice');
  return v;
}

/** The visitor's receipts once there are at least `n`. */
async function receipts(page, n) {
  const visitor = await visitorOf(page);
  return until(async () => {
    const list = await env.server.api('POST', '/v1/consent/history', { subject: { tag: 'external', val: visitor } });
    return list.length >= n && list;
  }, `${n} receipts`);
}

/** purpose -> decision, for the receipts given (the last one wins). */
function decisions(list) {
  return Object.fromEntries(list.map((r) => [r.purpose, r.decision]));
}

async function cookieNames(context) {
  return (await context.cookies()).map((c) => c.name);
}

/** window.dataLayer with each `arguments` object as an array. */
function dataLayer(page) {
  return page.evaluate(() => window.dataLayer.map((a) => Array.from(a)));
}

async function openShop(opts) {
  const ctx = await openContext(env.browser, env.server, opts);
  await ctx.page.goto(`${env.server.base}/`);
  await ctx.page.locator(BANNER).waitFor({ state: 'visible' });
  return ctx;
}

/** No Content-Security-Policy violation and no script error on the page. */
function assertClean(problems) {
  assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused to|Error/i.test(p)), []);
}

describe('cookie banner', () => {
  test('1. before any choice: nothing gated runs, everything denied, refuse and accept look the same', async () => {
    const { context, page, hits, problems } = await openShop();
    await settle();
    assert.equal(hits.length, 0, 'no hit on the analytics collector');
    assert.ok(!(await cookieNames(context)).includes('_demo_analytics'));
    assert.equal(await page.locator('script[data-category="analytics"]').getAttribute('type'), 'text/plain');
    const layer = await dataLayer(page);
    assert.deepEqual(layer[0], [
      'consent',
      'default',
      {
        ad_storage: 'denied',
        ad_user_data: 'denied',
        ad_personalization: 'denied',
        analytics_storage: 'denied',
        personalization_storage: 'denied',
        functionality_storage: 'granted',
        security_storage: 'granted',
        wait_for_update: 500,
      },
    ]);
    assert.ok(
      !layer.some((e) => e[0] === 'consent' && e[1] === 'update' && Object.values(e[2]).includes('granted')),
      'no consent update grants anything',
    );
    assert.equal(await page.evaluate(() => window.fichierBanner.choice()), null);

    // An accessible, non-blocking dialog.
    const banner = page.locator(BANNER);
    assert.equal(await banner.getAttribute('role'), 'dialog');
    const title = await page.locator(`#${await banner.getAttribute('aria-labelledby')}`).textContent();
    assert.match(title, /cookies/i);
    assert.ok((await page.locator(`#${await banner.getAttribute('aria-describedby')}`).textContent()).length > 20);
    assert.equal(await page.locator(btn('refuse')).textContent(), 'Tout refuser');
    assert.equal(await page.locator(btn('accept')).textContent(), 'Tout accepter');
    assert.equal(await page.locator(btn('customise')).textContent(), 'Personnaliser');
    assert.equal(await page.locator(btn('close')).getAttribute('aria-label'), 'Fermer / Close');
    // The first layer names every purpose it asks for, visible before "Personnaliser" (the
    // choice is informed without opening the second layer).
    const cfg = await (await fetch(`${env.server.base}/v1/banner?lang=fr`)).json();
    const listed = page.locator(`${BANNER} [data-fichier="purposes"] li`);
    assert.deepEqual(await listed.allTextContents(), cfg.purposes.map((p) => p.title));
    assert.ok(cfg.purposes.length >= 2 && (await listed.first().isVisible()));
    assert.ok(await page.locator('#fb-s').isHidden(), 'the second layer is still closed');

    // "Tout refuser" and "Tout accepter": same prominence.
    const look = (sel) =>
      page.locator(sel).evaluate((el) => {
        const s = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        return {
          className: el.className,
          props: [
            'fontSize', 'fontWeight', 'fontFamily', 'lineHeight', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
            'color', 'backgroundColor', 'borderTopWidth', 'borderTopStyle', 'borderTopColor', 'borderRadius', 'textDecorationLine',
          ].map((p) => [p, s[p]]),
          width: r.width,
          height: r.height,
        };
      });
    const refuse = await look(btn('refuse'));
    const accept = await look(btn('accept'));
    assert.equal(refuse.className, accept.className);
    assert.deepEqual(refuse.props, accept.props);
    assert.ok(Math.abs(refuse.width - accept.width) <= 1, `widths ${refuse.width} / ${accept.width}`);
    assert.ok(Math.abs(refuse.height - accept.height) <= 1, `heights ${refuse.height} / ${accept.height}`);

    // The notice text is one click away.
    await page.locator(btn('notice')).click();
    assert.ok((await page.locator(`${BANNER} #fb-n`).textContent()).length > 20);
    assertClean(problems);
    await context.close();
  });

  test('2. "Tout refuser" records a refusal per purpose, keeps the choice, runs nothing', async () => {
    const notice = await bannerNotice();
    const { context, page, hits, problems } = await openShop();
    await page.locator(btn('refuse')).click();
    await page.locator(BANNER).waitFor({ state: 'hidden' });
    const list = await receipts(page, 2);
    assert.equal(list.length, 2);
    assert.deepEqual(decisions(list), { analytics: 'refuse', ads: 'refuse' });
    for (const r of list) {
      assert.equal(r.channel, 'cookie-banner');
      assert.equal(r.notice.reference, notice);
      assert.equal(r['given-by'], 'subject');
      assert.equal(r.gpc, false);
    }
    const stored = (await context.cookies()).find((c) => c.name === 'fichier_consent');
    assert.ok(stored, 'the choice cookie');
    assert.equal(stored.path, '/');
    assert.equal(stored.sameSite, 'Lax');
    // 13 calendar months from the choice (the page's clock: NOW), counted by max-age from
    // the browser's own clock: 2026-03-01 → 2027-04-01.
    const months13 = Date.parse('2027-04-01T10:00:00Z') - Date.parse(NOW);
    assert.ok(Math.abs(stored.expires * 1000 - Date.now() - months13) < 120e3, 'kept 13 calendar months');
    const choice = await page.evaluate(() => window.fichierBanner.choice());
    assert.deepEqual(choice.refused.sort(), ['ads', 'analytics']);
    assert.deepEqual(choice.granted, []);
    assert.equal(choice.notice, notice);
    assert.equal(choice.at, Date.parse(NOW));
    await settle();
    assert.equal(hits.length, 0);
    assert.ok(!(await cookieNames(context)).includes('_demo_analytics'));
    assertClean(problems);
    await context.close();
  });

  test('3. "Personnaliser": analytics only — granted, its script runs, ads stay denied', async () => {
    const { context, page, hits, problems } = await openShop();
    const events = page.evaluate(
      () => new Promise((ok) => document.addEventListener('fichier:consent', (e) => ok(e.detail), { once: true })),
    );
    await page.locator(btn('customise')).click();
    const switches = page.locator(`${BANNER} input[data-purpose]`);
    assert.equal(await switches.count(), 2);
    for (const s of await switches.all()) assert.equal(await s.isChecked(), false, 'every switch starts off');
    const cfg = await (await fetch(`${env.server.base}/v1/banner?lang=fr`)).json();
    for (const p of cfg.purposes) {
      assert.equal((await page.locator(`${BANNER} label:has(input[data-purpose="${p.id}"])`).textContent()).trim(), p.title);
    }
    await page.locator(`${BANNER} input[data-purpose="analytics"]`).check();
    await page.locator(btn('save')).click();
    const detail = await events;
    assert.deepEqual(detail.granted, ['analytics']);
    assert.deepEqual(detail.refused, ['ads']);

    const list = await receipts(page, 2);
    assert.equal(list.length, 2);
    assert.deepEqual(decisions(list), { analytics: 'grant', ads: 'refuse' });
    await until(() => hits.length >= 1, 'the analytics hit');
    assert.match(hits[0], /^https:\/\/analytics\.example\/collect\?p=%2F$/);
    await until(async () => (await cookieNames(context)).includes('_demo_analytics'), 'the _demo_analytics cookie');
    const update = (await dataLayer(page)).filter((e) => e[0] === 'consent' && e[1] === 'update').at(-1);
    assert.deepEqual(update[2], {
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'granted',
      personalization_storage: 'granted',
    });
    assertClean(problems);
    await context.close();
  });

  test('4. Global Privacy Control: "Tout accepter" leaves advertising refused, every receipt says gpc', async () => {
    const { context, page, problems } = await openShop({ gpc: true });
    assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
    assert.ok(await page.locator(`${BANNER} [data-fichier="gpc"]`).isVisible(), 'the GPC note is shown');
    assert.match(await page.locator(`${BANNER} [data-fichier="gpc"]`).textContent(), /Global Privacy Control/);
    await page.locator(btn('customise')).click();
    assert.equal(await page.locator(`${BANNER} input[data-purpose="ads"]`).isChecked(), false);
    await page.locator(btn('accept')).click();
    const list = await receipts(page, 2);
    assert.equal(list.length, 2);
    assert.deepEqual(decisions(list), { analytics: 'grant', ads: 'refuse' });
    assert.ok(list.every((r) => r.gpc === true), 'gpc: true on every receipt');
    const update = (await dataLayer(page)).filter((e) => e[0] === 'consent' && e[1] === 'update').at(-1);
    assert.equal(update[2].ad_storage, 'denied');
    assert.equal(update[2].analytics_storage, 'granted');

    // Still possible to switch advertising on explicitly.
    await page.locator('footer [data-fichier-open]').click();
    await page.locator(`${BANNER} input[data-purpose="ads"]`).check();
    await page.locator(btn('save')).click();
    const more = await receipts(page, 4);
    assert.deepEqual(decisions(more), { analytics: 'grant', ads: 'grant' });
    assert.ok(more.every((r) => r.gpc === true));
    assertClean(problems);
    await context.close();
  });

  test('4b. Global Privacy Control after a choice: an advertising grant made before the signal is not applied', async () => {
    const before = await openShop();
    await before.page.locator(btn('accept')).click();
    await receipts(before.page, 2);
    const cookies = await before.context.cookies();
    await before.context.close();
    // The same visitor, now sending the signal.
    const { context, page, problems } = await openContext(env.browser, env.server, { gpc: true });
    await context.addCookies(cookies);
    await page.goto(`${env.server.base}/`);
    await settle();
    assert.equal(await page.locator(BANNER).isVisible(), false, 'the choice stands: nothing is asked');
    const update = (await dataLayer(page)).filter((e) => e[0] === 'consent' && e[1] === 'update').at(-1);
    assert.equal(update[2].ad_storage, 'denied', 'the earlier advertising grant is not applied under the signal');
    assert.equal(update[2].analytics_storage, 'granted');
    // The server's side of the rule (a status read carrying the signal refuses an advertising
    // grant older than its first sighting) needs two instants, which this pinned clock does
    // not have: tests/tests/http.rs and the conformance case consent-08 check it.
    assertClean(problems);
    await context.close();
  });

  test('5. after a choice, a reload asks nothing and runs the granted script at once', async () => {
    const { context, page, hits, problems } = await openShop();
    await page.locator(btn('customise')).click();
    await page.locator(`${BANNER} input[data-purpose="analytics"]`).check();
    await page.locator(btn('save')).click();
    await until(() => hits.length === 1, 'the first hit');
    await receipts(page, 2);

    await page.reload();
    await until(() => hits.length === 2, 'the hit of the reloaded page');
    await settle();
    assert.equal(await page.locator(BANNER).count(), 0, 'no banner built');
    assert.equal(await page.locator('script[data-category="analytics"]').count(), 0, 'the held script was released');
    const update = (await dataLayer(page)).find((e) => e[0] === 'consent' && e[1] === 'update');
    assert.equal(update[2].analytics_storage, 'granted');
    assert.equal(update[2].ad_storage, 'denied');
    assert.equal((await receipts(page, 2)).length, 2, 'no new receipt');
    assertClean(problems);
    await context.close();
  });

  test('6. a choice past its validity asks again and releases nothing', async () => {
    const { context, page, hits, problems } = await openShop();
    await page.locator(btn('accept')).click();
    await until(() => hits.length === 1, 'the hit after accepting');
    await receipts(page, 2);
    await until(async () => (await cookieNames(context)).includes('_demo_analytics'), 'the analytics cookie');

    // Seven months later (demo purposes keep a choice six months).
    await context.clock.setFixedTime(new Date('2026-10-01T10:00:00Z'));
    await page.reload();
    await page.locator(BANNER).waitFor({ state: 'visible' });
    await settle();
    assert.equal(hits.length, 1, 'the gated script did not run again');
    assert.equal(await page.locator('script[data-category="analytics"]').getAttribute('type'), 'text/plain');
    assert.equal(await page.evaluate(() => window.fichierBanner.choice()), null);
    assert.ok(!(await cookieNames(context)).includes('_demo_analytics'), 'the expired purpose\'s cookie is gone');
    // The same visitor answers again.
    await page.locator(btn('refuse')).click();
    const list = await receipts(page, 4);
    assert.deepEqual(decisions(list), { analytics: 'refuse', ads: 'refuse' });
    assertClean(problems);
    await context.close();
  });

  test('7. withdrawal through the permanent link deletes the purpose\'s cookies', async () => {
    const { context, page, hits, problems } = await openShop();
    await page.locator(btn('accept')).click();
    await until(() => hits.length === 1, 'the hit after accepting');
    await until(async () => (await cookieNames(context)).includes('_demo_analytics'), 'the analytics cookie');
    assert.deepEqual(decisions(await receipts(page, 2)), { analytics: 'grant', ads: 'grant' });

    const link = page.locator('footer [data-fichier-open]');
    assert.equal(await link.textContent(), 'Gérer mes cookies');
    await link.click();
    await page.locator(BANNER).waitFor({ state: 'visible' });
    const analytics = page.locator(`${BANNER} input[data-purpose="analytics"]`);
    assert.equal(await analytics.isChecked(), true, 'the current choice is pre-set');
    assert.equal(await page.locator(`${BANNER} input[data-purpose="ads"]`).isChecked(), true);
    await analytics.uncheck();
    await page.locator(btn('save')).click();
    const list = await receipts(page, 4);
    assert.equal(list.length, 4);
    assert.deepEqual(decisions(list.slice(2)), { analytics: 'withdraw', ads: 'grant' });
    await until(async () => !(await cookieNames(context)).includes('_demo_analytics'), 'the _demo_analytics cookie deleted');
    const update = (await dataLayer(page)).filter((e) => e[0] === 'consent' && e[1] === 'update').at(-1);
    assert.equal(update[2].analytics_storage, 'denied');
    assert.equal(update[2].ad_storage, 'granted');
    assertClean(problems);
    await context.close();
  });

  test('8. closing the banner (× or Escape) refuses', async () => {
    for (const how of ['close', 'Escape']) {
      const { context, page, hits, problems } = await openShop();
      if (how === 'close') await page.locator(btn('close')).click();
      else await page.keyboard.press('Escape');
      await page.locator(BANNER).waitFor({ state: 'hidden' });
      const list = await receipts(page, 2);
      assert.equal(list.length, 2, how);
      assert.deepEqual(decisions(list), { analytics: 'refuse', ads: 'refuse' }, how);
      await settle();
      assert.equal(hits.length, 0, how);
      assertClean(problems);
      await context.close();
    }
  });

  test('9. keyboard: focus starts in the banner, Tab reaches the buttons with a visible outline, Enter refuses', async () => {
    const { context, page, problems } = await openShop();
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('#fichier-banner')), true, 'focus moved into the banner');
    let reached = null;
    for (let i = 0; i < 8 && reached !== 'refuse'; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-fichier'));
    }
    assert.equal(reached, 'refuse', 'Tab reaches "Tout refuser"');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor };
    });
    assert.notEqual(ring.style, 'none');
    assert.ok(ring.width >= 2, `outline ${ring.width}px`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-fichier')), 'accept');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator(BANNER).waitFor({ state: 'hidden' });
    assert.deepEqual(decisions(await receipts(page, 2)), { analytics: 'refuse', ads: 'refuse' });
    assertClean(problems);
    await context.close();
  });
  test('10. for bridges to other consent APIs: "fichier:ready" once the stored choice is read, purposes() and granted()', async () => {
    const { context, page, problems } = await openContext(env.browser, env.server);
    await context.addInitScript(() => {
      window.__ready = [];
      document.addEventListener('fichier:ready', (e) => window.__ready.push({ detail: e.detail, parsed: document.readyState !== 'loading' }));
    });
    const ready = () => until(() => page.evaluate(() => window.fichierBanner.ready() && window.__ready), '"fichier:ready"');
    await page.goto(`${env.server.base}/`);
    await page.locator(BANNER).waitFor({ state: 'visible' });
    assert.deepEqual(await ready(), [{ detail: null, parsed: true }], 'once, after the page is parsed, no choice standing');
    assert.deepEqual(await page.evaluate(() => window.fichierBanner.purposes().map((p) => [p.id, p.kind])), [['ads', 'advertising'], ['analytics', 'cookie']]);
    const granted = () => page.evaluate(() => [window.fichierBanner.granted('analytics'), window.fichierBanner.granted('ads')]);
    assert.deepEqual(await granted(), [false, false]);
    await page.locator(btn('customise')).click();
    await page.locator(`${BANNER} input[data-purpose="analytics"]`).check();
    await page.locator(btn('save')).click();
    assert.deepEqual(await granted(), [true, false], 'granted() follows the decision at once');
    await page.reload();
    const [again] = await ready();
    assert.deepEqual([again.detail.granted, again.detail.refused, again.parsed], [['analytics'], ['ads'], true], 'after a reload, the choice in force');
    assert.deepEqual(await granted(), [true, false]);
    assertClean(problems);
    await context.close();
  });
});
