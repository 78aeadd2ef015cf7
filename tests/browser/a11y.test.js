// Accessibility (European Accessibility Act; WCAG 2.1 AA, which RGAA 4.1 maps): axe-core
// audits the pages a shop's visitors and staff use, in the states they meet them — the
// banner's first layer, its second ("Personnaliser"), the demo shop after a choice (its
// checkout, sign-up and rights request forms), the admin page's login and its dashboard —
// with the pages' own Content-Security-Policy in force. Zero violations at A and AA.
// What automation cannot judge (keyboard order, screen-reader wording) is for the banner
// tests and the accessibility statement.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { openContext, serverAndBrowser } from './helpers.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const env = serverAndBrowser();

/** axe-core's violations on the page as it is now: "rule (impact): targets". */
async function violations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate((tags) => axe.run(document, { runOnly: tags }), TAGS);
  return found.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility: axe-core, WCAG 2.1 A and AA', () => {
  test('12a. the audit finds what it must (an unlabelled field, an image without text)', async () => {
    const { context, page } = await openContext(env.browser, env.server);
    try {
      await page.goto(`${env.server.base}/`);
      await page.locator('#fichier-banner').waitFor({ state: 'visible' });
      await page.evaluate(() => {
        const broken = document.createElement('div');
        broken.innerHTML = '<input type="text"><img src="/x.png">';
        document.body.append(broken);
      });
      const found = (await violations(page)).join('\n');
      assert.match(found, /^label /m, found);
      assert.match(found, /^image-alt /m, found);
    } finally {
      await context.close();
    }
  });

  test('12b. the banner (both layers) and the shop after a choice', async () => {
    const { context, page } = await openContext(env.browser, env.server);
    try {
      await page.goto(`${env.server.base}/`);
      await page.locator('#fichier-banner').waitFor({ state: 'visible' });
      assert.deepEqual(await violations(page), [], 'the first layer');
      await page.locator('#fichier-banner [data-fichier="customise"]').click();
      assert.deepEqual(await violations(page), [], 'the second layer');
      await page.locator('#fichier-banner [data-fichier="refuse"]').first().click();
      await page.locator('#fichier-banner').waitFor({ state: 'hidden' });
      assert.deepEqual(await violations(page), [], 'the shop and its forms');
    } finally {
      await context.close();
    }
  });

  test('12c. the admin page: the login, then the dashboard', async () => {
    const { context, page } = await openContext(env.browser, env.server);
    try {
      await page.goto(`${env.server.base}/admin`);
      await page.locator('#login-key').waitFor({ state: 'visible' });
      assert.deepEqual(await violations(page), [], 'the login');
      await page.locator('#login-key').fill(env.server.token);
      await page.locator('#login-form button[type="submit"]').click();
      await page.locator('body[data-loaded="true"]').waitFor();
      assert.deepEqual(await violations(page), [], 'the dashboard');
    } finally {
      await context.close();
    }
  });

  test('12d. keyboard and display: focus into the banner and back, 200 % zoom and reflow, reduced motion', async () => {
    const { context, page } = await openContext(env.browser, env.server);
    try {
      await page.goto(`${env.server.base}/`);
      const banner = page.locator('#fichier-banner');
      await banner.waitFor({ state: 'visible' });
      // A dialog with a name, which takes the focus.
      assert.equal(await banner.getAttribute('role'), 'dialog');
      assert.ok((await page.locator(`#${await banner.getAttribute('aria-labelledby')}`).textContent()).length > 3);
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('#fichier-banner')), true);
      await page.keyboard.press('Escape');
      await banner.waitFor({ state: 'hidden' });
      // Reopened from the keyboard ("Gérer mes cookies"), closed with Escape: the focus
      // goes back where it was.
      const reopen = page.locator('[data-fichier="reopen"], [data-fichier-open]').first();
      await reopen.focus();
      await page.keyboard.press('Enter');
      await banner.waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('#fichier-banner')), true, 'into the banner');
      await page.keyboard.press('Escape');
      await banner.waitFor({ state: 'hidden' });
      assert.equal(
        await page.evaluate(() => document.activeElement?.matches('[data-fichier="reopen"], [data-fichier-open]')),
        true,
        'back to what opened it',
      );

      // 200 % zoom on a 1280-pixel screen (640 CSS pixels), and the WCAG 1.4.10 reflow
      // width (320): every control of both layers within the width, nothing scrolled sideways.
      for (const width of [640, 320]) {
        await page.setViewportSize({ width, height: 720 });
        await reopen.click();
        await banner.waitFor({ state: 'visible' });
        if (await page.locator('#fb-s').isHidden()) await page.locator('#fichier-banner [data-fichier="customise"]').click();
        const out = await page.evaluate(() => {
          const w = document.documentElement.clientWidth;
          const controls = [...document.querySelectorAll('#fichier-banner button, #fichier-banner input')];
          return {
            sideways: document.documentElement.scrollWidth > w,
            outside: controls
              .map((c) => ({ c: c.getAttribute('data-fichier') || c.getAttribute('data-purpose'), r: c.getBoundingClientRect() }))
              .filter(({ r }) => r.width === 0 || r.left < 0 || r.right > w)
              .map(({ c }) => c),
          };
        });
        assert.deepEqual(out, { sideways: false, outside: [] }, `${width} CSS pixels`);
        await page.keyboard.press('Escape');
        await banner.waitFor({ state: 'hidden' });
      }

      // Reduced motion: the switches' transitions stop.
      const transition = () =>
        page.locator('#fichier-banner .fb-sw').first().evaluate((el) => getComputedStyle(el).transitionDuration);
      await reopen.click();
      await banner.waitFor({ state: 'visible' });
      assert.notEqual(await transition(), '0s');
      await page.emulateMedia({ reducedMotion: 'reduce' });
      assert.equal(await transition(), '0s');
    } finally {
      await context.close();
    }
  });
});
