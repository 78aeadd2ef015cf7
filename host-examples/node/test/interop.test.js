// One database, two hosts: what Node writes the Rust CLI reads, and the reverse — the
// same files (`<db>`, `<stem>.keys.<ext>`), the same master key (FICHIER_MASTER_KEY or
// the key file `<db>.master.key`, whichever creates it first).
//
// Needs the CLI, built with the component at the repository root by
// `cargo build -p fichier-host` (target/debug/fichier; FICHIER_BIN to use another).
// Without it these tests fail, unless FICHIER_SKIP_CLI=1 (then they are skipped).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';

import { createFichier } from '../src/index.js';
import { TEST_KEY } from '../src/conformance.js';

const BIN = process.env.FICHIER_BIN || fileURLToPath(new URL('../../../target/debug/fichier', import.meta.url));
const skip = process.env.FICHIER_SKIP_CLI === '1' ? 'FICHIER_SKIP_CLI=1' : false;
const CLOCK = '2026-03-01T10:00:00Z';
const admin = { id: 'shop-admin', role: 'admin' };

const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDb() {
  const d = mkdtempSync(join(tmpdir(), 'fichier-interop-'));
  dirs.push(d);
  return join(d, 'shop.db');
}

/**
 * Run the CLI on `db` with `args`; its parsed JSON output. `key`: FICHIER_MASTER_KEY,
 * or `null` to let it use the key file. The clock is pinned.
 */
function cli(db, args, { key = TEST_KEY, clock = CLOCK } = {}) {
  assert.ok(existsSync(BIN), `no fichier CLI at ${BIN}: run \`cargo build -p fichier-host\` at the repository root, set FICHIER_BIN, or FICHIER_SKIP_CLI=1`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FICHIER_')));
  env.FICHIER_PINNED_CLOCK = clock;
  if (key !== null) env.FICHIER_MASTER_KEY = key;
  const out = execFileSync(BIN, ['--db', db, ...args, '--json'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

const grant = (email) => ({
  subject: { tag: 'email', val: email }, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
  channel: 'web-form', notice: 'newsletter:fr:v1', at: null, 'receipt-id': null, 'client-ip': null,
  'user-agent': null, gpc: false, age: null,
});

describe('one database shared with the Rust CLI', { skip }, () => {
  test('Node writes, the CLI reads', () => {
    const db = tempDb();
    const f = createFichier({ store: { sqlite: db }, masterKey: TEST_KEY, clock: CLOCK });
    f.invoke('consent', 'declare-purpose', [admin, { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null }]);
    const notice = f.invoke('consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'Texte de la lettre.' }]).ok;
    const receipt = f.invoke('consent', 'record-decision', [admin, grant('alice@example.org')]).ok;
    f.close();

    const purposes = cli(db, ['purpose', 'list']);
    assert.deepEqual(purposes.map((p) => [p.id, p.kind, p.title]), [['newsletter', 'marketing', 'Lettre']]);
    const status = cli(db, ['consent', 'status', '--email', 'alice@example.org']);
    assert.equal(status.subject, receipt.subject);
    assert.equal(status.purposes[0].state, 'given');
    assert.equal(status.purposes[0].receipt, receipt.id);
    const history = cli(db, ['consent', 'history', '--email', 'alice@example.org']);
    assert.equal(history[0].notice.sha256, notice.sha256);
    assert.equal(cli(db, ['ledger', 'verify']).ok, true);
  });

  test('the CLI writes, Node reads and writes, the CLI reads again', () => {
    const db = tempDb();
    const text = join(db, '..', 'notice.txt');
    writeFileSync(text, 'Nous vous écrivons une fois par mois.');
    cli(db, ['purpose', 'add', '--id', 'newsletter', '--kind', 'marketing', '--title', 'Lettre']);
    const notice = cli(db, ['notice', 'add', '--purpose', 'newsletter', '--lang', 'fr', '--file', text]);
    const receipt = cli(db, ['consent', 'grant', '--email', 'bob@example.org', '--purpose', 'newsletter', '--notice', notice.reference]);

    const later = '2026-03-02T09:00:00Z';
    const f = createFichier({ store: { sqlite: db }, masterKey: TEST_KEY, clock: later });
    const status = f.invoke('consent', 'status', [admin, { tag: 'email', val: 'bob@example.org' }]).ok;
    assert.equal(status.subject, receipt.subject);
    assert.equal(status.purposes[0].state, 'given');
    assert.equal(f.consent.listNotices(admin)[0].sha256, notice.sha256);
    const withdrawn = f.invoke('consent', 'record-decision', [admin, { ...grant('bob@example.org'), decision: 'withdraw', notice: null }]);
    assert.ok('ok' in withdrawn, JSON.stringify(withdrawn));
    f.close();

    const after = cli(db, ['consent', 'status', '--email', 'bob@example.org'], { clock: later });
    assert.equal(after.purposes[0].state, 'withdrawn');
    assert.equal(cli(db, ['consent', 'history', '--email', 'bob@example.org']).length, 2);
    assert.equal(cli(db, ['ledger', 'verify']).ok, true);
  });

  test('the key file Node creates next to the database is the one the CLI uses', () => {
    const db = tempDb();
    const saved = process.env.FICHIER_MASTER_KEY;
    delete process.env.FICHIER_MASTER_KEY;
    try {
      const f = createFichier({ store: { sqlite: db }, clock: CLOCK });
      f.invoke('consent', 'declare-purpose', [admin, { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null }]);
      f.invoke('consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'Texte.' }]);
      const receipt = f.invoke('consent', 'record-decision', [admin, grant('carol@example.org')]).ok;
      f.close();
      assert.match(readFileSync(`${db}.master.key`, 'utf8'), /^[0-9a-f]{64}$/);
      const status = cli(db, ['consent', 'status', '--email', 'carol@example.org'], { key: null });
      assert.equal(status.subject, receipt.subject);
      assert.equal(status.purposes[0].state, 'given');
      // With another key the CLI cannot open the person's data.
      assert.throws(() => cli(db, ['consent', 'status', '--email', 'carol@example.org'], { key: 'ab'.repeat(32) }));
    } finally {
      if (saved !== undefined) process.env.FICHIER_MASTER_KEY = saved;
    }
  });
});
