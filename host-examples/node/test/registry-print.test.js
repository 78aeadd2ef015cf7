// The register's HTML export printed by a real headless Chromium (Debian's `chromium`,
// driven by playwright-core): the common page, then each activity's sheet starting on a
// page of its own, in French and English. Needs /usr/bin/chromium (CHROMIUM_PATH to
// override); .ci/run installs it.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { createFichier } from '../src/index.js';
import { TEST_KEY } from '../src/conformance.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const admin = { id: 'print-test', role: 'admin' };
const organisation = {
  controller: { name: 'Boutique Exemple SAS', address: '1 rue de la Paix, 75002 Paris', email: 'contact@boutique.example', phone: null },
  representative: null,
  dpo: { name: 'Claire Martin', address: null, email: 'dpo@boutique.example', phone: null },
};

/** The number of pages of a PDF Chromium printed (its page objects). */
function pageCount(pdf) {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
}

describe('the register prints one sheet per page', () => {
  let browser;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
  });

  for (const lang of ['fr', 'en']) {
    test(lang, async () => {
      const f = createFichier({ masterKey: TEST_KEY, clock: '2026-11-29T10:00:00Z' });
      assert.equal(f.invoke('registry', 'load-shop-defaults', [admin]).ok.length, 7);
      assert.ok('ok' in f.invoke('registry', 'set-organisation', [admin, organisation]));
      const html = f.invoke('registry', 'export', [admin, 'html', lang]).ok;
      const page = await browser.newPage();
      await page.setContent(html, { waitUntil: 'load' });
      // On screen: the common page and seven sheets, each a table with every heading.
      const sheets = await page.locator('section.sheet').count();
      assert.equal(sheets, 7);
      assert.equal(await page.locator('section.sheet table tr').count(), 7 * 17);
      // Printed on A4: the common page, then every sheet on its own page(s). Printing each
      // part alone gives the same total, so page breaks fall only between parts.
      const whole = pageCount(await page.pdf({ format: 'A4' }));
      let parts = 0;
      for (const selector of ['section.common', ...Array.from({ length: sheets }, (_, i) => `section.sheet >> nth=${i}`)]) {
        const part = await browser.newPage();
        await part.setContent(html, { waitUntil: 'load' });
        const keep = await part.locator(selector).evaluate((el) => el.outerHTML);
        await part.evaluate((markup) => {
          document.body.innerHTML = markup;
        }, keep);
        parts += pageCount(await part.pdf({ format: 'A4' }));
        await part.close();
      }
      assert.ok(whole >= 1 + sheets, `${whole} pages for 1 common page and ${sheets} sheets`);
      assert.equal(whole, parts, 'each sheet starts on a new page and nothing else breaks differently');
      // The measure can fail: without the page-break rule the sheets run on, in fewer pages.
      assert.ok(html.includes('break-before:page'));
      const runOn = await browser.newPage();
      await runOn.setContent(html.replace('break-before:page', ''), { waitUntil: 'load' });
      assert.ok(pageCount(await runOn.pdf({ format: 'A4' })) < parts, 'sheets printed without breaks take fewer pages');
      await runOn.close();
      // Nothing overflows the printed page width (no horizontal cut).
      await page.emulateMedia({ media: 'print' });
      await page.setViewportSize({ width: 794, height: 1123 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `content ${overflow}px wider than the page`);
      await page.close();
    });
  }
});
