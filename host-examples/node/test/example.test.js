// `npm run example` (examples/consent.js) runs against a SQLite file, twice on the same
// one (the second run finds what the first kept), and prints no personal data.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const EXAMPLE = fileURLToPath(new URL('../examples/consent.js', import.meta.url));

test('the example runs twice on one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fichier-example-test-'));
  try {
    const db = join(dir, 'shop.db');
    const env = { ...process.env, FICHIER_PINNED_CLOCK: '2026-03-01T10:00:00Z' };
    delete env.FICHIER_MASTER_KEY;
    const run = () => execFileSync(process.execPath, [EXAMPLE, db], { env, encoding: 'utf8' });
    const first = run();
    assert.match(first, /sign-up: confirmation-sent/);
    assert.match(first, /confirmation: confirmed/);
    assert.match(first, /List-Unsubscribe: <https:\/\/shop\.example\/v1\/unsubscribe\//);
    assert.match(first, /newsletter: given until 2029-03-01T10:00:00\.000Z/);
    assert.match(first, /customer record created, revision 1/);
    assert.match(first, /fields: email, given-name, postal-code/);
    assert.match(first, /ledger: verified \(1 subject\(s\), 1 receipt\(s\)\)/);
    assert.ok(existsSync(join(dir, 'shop.keys.db')) && existsSync(`${db}.master.key`));
    const second = run();
    assert.match(second, /customer record already there/);
    assert.match(second, /ledger: verified \(1 subject\(s\), 2 receipt\(s\)\)/);
    for (const out of [first, second]) {
      assert.doesNotMatch(out, /alice@|Alice|75011|203\.0\.113/i, 'no personal data is printed');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
