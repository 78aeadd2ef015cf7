// The SQLite store (../host/sqlite.js): the Rust host's files and layout, versions and
// batches; the master key as the Rust CLI finds it; and createFichier over SQLite — each
// call's writes committed together, nothing kept from a call that traps.
// (The key-value semantics shared with the memory store are tested on both stores in
// host.test.js; the conformance cases run on SQLite in conformance.test.js.)

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { createKeyValue } from '../host/kv.js';
import { MasterKeyError, defaultKeyFile, resolveMasterKey } from '../host/master.js';
import { SqliteKv, storeFiles } from '../host/sqlite.js';
import { FichierCallError, createFichier, toJs } from '../src/index.js';
import { TEST_KEY } from '../src/conformance.js';

const bytes = (s) => new TextEncoder().encode(s);
const text = (b) => (b === undefined ? undefined : new TextDecoder().decode(b));
const admin = { id: 'shop-admin', role: 'admin' };
const CLOCK = '2026-03-01T10:00:00Z';

const dirs = [];
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'fichier-sqlite-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Read a file's tables and settings with a connection of our own. */
function inspect(path) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      kv: db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'kv'").pluck().get(),
      meta: db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'meta'").pluck().get(),
      version: db.prepare("SELECT n FROM meta WHERE name = 'version'").pluck().get(),
      pageSize: db.pragma('page_size', { simple: true }),
      journal: db.pragma('journal_mode', { simple: true }),
      rows: db.prepare('SELECT key, version FROM kv ORDER BY key').all(),
    };
  } finally {
    db.close();
  }
}

const decision = (email, extra = {}) => ({
  subject: { tag: 'email', val: email }, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
  channel: 'web-form', notice: 'newsletter:fr:v1', at: null, 'receipt-id': null, 'client-ip': null,
  'user-agent': null, gpc: false, age: null, ...extra,
});

/** Declare `newsletter` and register its French notice. */
function setUp(f) {
  assert.ok('ok' in f.invoke('consent', 'declare-purpose', [admin, { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null }]));
  assert.ok('ok' in f.invoke('consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'Texte.' }]));
}

/** Every row of both files, as hex (to compare states). */
const snapshot = (kv) =>
  JSON.stringify(kv.dump(), (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));

/**
 * A SqliteKv whose `failAt`-th write (put, swap or delete; counted in `writes`) throws
 * `failure()` instead of writing: an `Error` is a host bug (the call traps), a WIT error
 * object reaches the component.
 */
class FailingKv extends SqliteKv {
  failAt = Infinity;
  writes = 0;
  constructor(path, failure) {
    super(path);
    this.failure = failure;
  }
  #hit() {
    if (++this.writes >= this.failAt) throw this.failure();
  }
  write(...a) {
    this.#hit();
    return super.write(...a);
  }
  swapIf(...a) {
    this.#hit();
    return super.swapIf(...a);
  }
  remove(...a) {
    this.#hit();
    return super.remove(...a);
  }
}

describe('SqliteKv: the Rust host files and layout', () => {
  test('storeFiles names the files as the Rust host does', () => {
    assert.deepEqual(storeFiles('/var/shop/fichier.db'), [['default', '/var/shop/fichier.db'], ['keys', '/var/shop/fichier.keys.db']]);
    assert.deepEqual(storeFiles('/var/shop/data'), [['default', '/var/shop/data'], ['keys', '/var/shop/data.keys.db']]);
    assert.deepEqual(storeFiles('shop.v2.sqlite'), [['default', 'shop.v2.sqlite'], ['keys', 'shop.v2.keys.sqlite']]);
    assert.deepEqual(storeFiles('/d/.hidden'), [['default', '/d/.hidden'], ['keys', '/d/.hidden.keys.db']]);
    assert.throws(() => storeFiles(''), TypeError);
    assert.equal(defaultKeyFile('/var/shop/fichier.db'), '/var/shop/fichier.db.master.key');
  });

  test('new files: owner-only, 16 KiB pages, WAL, the kv and meta tables', () => {
    const dir = tempDir();
    const db = join(dir, 'shop.db');
    const kv = new SqliteKv(db);
    kv.write('default', 'a', bytes('1'));
    kv.write('keys', 'k', bytes('2'));
    assert.equal(kv.path('keys'), join(dir, 'shop.keys.db'));
    kv.close();
    for (const path of [db, join(dir, 'shop.keys.db')]) {
      assert.equal(statSync(path).mode & 0o777, 0o600, path);
      const t = inspect(path);
      assert.equal(
        t.kv,
        'CREATE TABLE kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL, version INTEGER NOT NULL)',
      );
      assert.equal(t.meta, 'CREATE TABLE meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID');
      assert.equal(t.pageSize, 16384);
      assert.equal(t.journal, 'wal');
      assert.equal(t.version, 1);
    }
    // The data file holds no key and the keys file no data.
    assert.deepEqual(inspect(db).rows.map((r) => r.key), ['a']);
    assert.deepEqual(inspect(join(dir, 'shop.keys.db')).rows.map((r) => r.key), ['k']);
  });

  test('versions grow per file, across batches and reopening; a rolled-back batch leaves nothing', () => {
    const db = join(tempDir(), 't.db');
    let kv = new SqliteKv(db);
    kv.write('default', 'a', bytes('0'));
    const v0 = kv.read('default', 'a').version;
    kv.begin();
    assert.equal(kv.inBatch, true);
    assert.ok(kv.swapIf('default', 'b', undefined, bytes('1')));
    kv.write('default', 'c', bytes('2'));
    kv.write('keys', 'k', bytes('3'));
    // Another connection sees nothing of an open batch.
    assert.deepEqual(inspect(db).rows.map((r) => r.key), ['a']);
    kv.commit();
    assert.equal(kv.inBatch, false);
    const vb = kv.read('default', 'b').version;
    const vc = kv.read('default', 'c').version;
    assert.ok(v0 < vb && vb < vc);
    assert.equal(inspect(db).version, vc);
    kv.begin();
    kv.write('default', 'd', bytes('4'));
    kv.remove('default', 'a');
    kv.rollback();
    assert.equal(kv.read('default', 'd'), undefined);
    assert.equal(text(kv.read('default', 'a').value), '0');
    kv.close();
    kv = new SqliteKv(db);
    kv.write('default', 'e', bytes('5'));
    assert.ok(kv.read('default', 'e').version > vc);
    kv.close();
    assert.throws(() => kv.read('default', 'e'), (e) => e.tag === 'other');
  });

  test('compare-and-swap across two connections to one file', () => {
    const db = join(tempDir(), 't.db');
    const one = new SqliteKv(db);
    const two = new SqliteKv(db);
    try {
      const a = createKeyValue(one);
      const b = createKeyValue(two);
      const ba = a.store.open('default');
      const bb = b.store.open('default');
      a.atomics.swap(a.atomics.Cas.new(ba, 'head'), bytes('v1'));
      const seenByA = a.atomics.Cas.new(ba, 'head');
      const seenByB = b.atomics.Cas.new(bb, 'head');
      b.atomics.swap(seenByB, bytes('v2-from-b'));
      let lost;
      try {
        a.atomics.swap(seenByA, bytes('v2-from-a'));
      } catch (e) {
        lost = e;
      }
      assert.equal(lost?.tag, 'cas-failed');
      assert.equal(text(lost.val.current()), 'v2-from-b');
      a.atomics.swap(lost.val, bytes('v3'));
      assert.equal(text(bb.get('head')), 'v3');
      // Insert-if-absent loses to the other connection's insert.
      const absent = a.atomics.Cas.new(ba, 'new');
      bb.set('new', bytes('x'));
      assert.throws(() => a.atomics.swap(absent, bytes('y')), (e) => e.tag === 'cas-failed');
    } finally {
      one.close();
      two.close();
    }
  });

  test('list-keys pages 1000 keys at a time in key order over 2 500 keys', () => {
    const kv = new SqliteKv(join(tempDir(), 't.db'));
    try {
      kv.begin();
      const keys = Array.from({ length: 2500 }, (_, i) => `customer/${String((i * 7919) % 2500).padStart(5, '0')}`);
      for (const k of keys) kv.write('default', k, bytes('x'));
      kv.commit();
      const bucket = createKeyValue(kv).store.open('default');
      const seen = [];
      let cursor;
      let pages = 0;
      do {
        const page = bucket.listKeys(cursor);
        pages++;
        assert.ok(page.keys.length <= 1000);
        seen.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== undefined);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...keys].sort());
    } finally {
      kv.close();
    }
  });

  test('increment refuses a non-integer and an overflow, and writes nothing then', () => {
    const kv = new SqliteKv(join(tempDir(), 't.db'));
    try {
      assert.equal(kv.increment('default', 'n', 9223372036854775806n), 9223372036854775806n);
      assert.throws(() => kv.increment('default', 'n', 2n), (e) => e.tag === 'other' && /overflows/.test(e.val));
      assert.equal(text(kv.read('default', 'n').value), '9223372036854775806');
      kv.write('default', 's', bytes('12abc'));
      assert.throws(() => kv.increment('default', 's', 1n), (e) => e.tag === 'other' && /not an integer/.test(e.val));
    } finally {
      kv.close();
    }
  });

  test('a file of the first layout (WITHOUT ROWID) is migrated with every value and version', () => {
    const path = join(tempDir(), 't.db');
    const raw = new Database(path);
    raw.exec(`CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta (name, n) VALUES ('version', 41);
      INSERT INTO kv VALUES ('customer/s-b', x'0102', 40), ('customer/s-a', x'03', 41);`);
    raw.close();
    const kv = new SqliteKv(path);
    try {
      assert.deepEqual(kv.read('default', 'customer/s-a'), { version: 41, value: new Uint8Array([3]) });
      assert.deepEqual(kv.read('default', 'customer/s-b'), { version: 40, value: new Uint8Array([1, 2]) });
      assert.ok(kv.swapIf('default', 'customer/s-a', 41, bytes('x')));
      assert.equal(kv.read('default', 'customer/s-a').version, 42);
    } finally {
      kv.close();
    }
    assert.doesNotMatch(inspect(path).kv, /WITHOUT ROWID/);
  });

  test('a SQLite failure is the WIT error other, naming sqlite; a batch that cannot open is a bad-call', () => {
    const path = join(tempDir(), 't.db');
    const kv = new SqliteKv(path, { busyTimeout: 0 });
    const f = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    const lock = new Database(path);
    try {
      kv.write('default', 'before', bytes('x'));
      // Another connection (another process) holds the write lock.
      lock.exec('BEGIN IMMEDIATE');
      assert.throws(() => kv.write('default', 'k', bytes('x')), (e) => e.tag === 'other' && /^sqlite: database is locked/.test(e.val));
      assert.equal(text(kv.read('default', 'before').value), 'x', 'reads go on');
      assert.throws(() => kv.begin(), (e) => e instanceof Error && /locked/.test(e.message));
      assert.equal(kv.inBatch, false, 'no file is left in a batch');
      assert.throws(
        () => f.invoke('consent', 'list-purposes', [admin]),
        (e) => e instanceof FichierCallError && e.kind === 'bad-call' && /opening a batch/.test(e.message),
      );
      lock.exec('ROLLBACK');
      assert.deepEqual(f.invoke('consent', 'list-purposes', [admin]), { ok: [] });
    } finally {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
      kv.close();
    }
  });
});

describe('the master key, as the Rust CLI finds it', () => {
  test('created next to the database with 32 random bytes, mode 0600, then read back', () => {
    const file = defaultKeyFile(join(tempDir(), 'shop.db'));
    const k = resolveMasterKey(file, { env: {} });
    assert.match(k, /^[0-9a-f]{64}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), k);
    assert.equal(resolveMasterKey(file, { env: {} }), k);
  });

  test('FICHIER_MASTER_KEY wins and is checked; a bad or exposed key file is refused without showing it', () => {
    const file = join(tempDir(), 'x.db.master.key');
    assert.equal(resolveMasterKey(file, { env: { FICHIER_MASTER_KEY: ` ${TEST_KEY}\n` } }), TEST_KEY);
    assert.equal(existsSync(file), false, 'the environment key creates no file');
    assert.throws(() => resolveMasterKey(file, { env: { FICHIER_MASTER_KEY: 'abc' } }), MasterKeyError);
    const secret = 'f'.repeat(64);
    writeFileSync(file, secret, { mode: 0o644 });
    chmodSync(file, 0o644);
    assert.throws(() => resolveMasterKey(file, { env: {} }), (e) => /readable by others/.test(e.message) && !e.message.includes(secret));
    writeFileSync(file, 'not a key');
    chmodSync(file, 0o600);
    assert.throws(() => resolveMasterKey(file, { env: {} }), (e) => e instanceof MasterKeyError && !e.message.includes('not a key'));
  });
});

describe('createFichier over SQLite', () => {
  test('without masterKey: FICHIER_MASTER_KEY, else <db>.master.key; data survives closing', () => {
    const saved = process.env.FICHIER_MASTER_KEY;
    delete process.env.FICHIER_MASTER_KEY;
    try {
      const db = join(tempDir(), 'shop.db');
      let f = createFichier({ store: { sqlite: db }, clock: CLOCK });
      setUp(f);
      f.close();
      assert.equal(f.closed, true);
      assert.throws(() => f.invoke('consent', 'list-purposes', [admin]), (e) => e instanceof FichierCallError && /closed/.test(e.message));
      const key = readFileSync(`${db}.master.key`, 'utf8');
      assert.equal(statSync(`${db}.master.key`).mode & 0o777, 0o600);
      // The same key (from the file, or given): the data opens.
      f = createFichier({ store: { sqlite: db }, clock: CLOCK });
      f.invoke('consent', 'record-decision', [admin, decision('a@example.org')]);
      f.close();
      f = createFichier({ store: { sqlite: db }, masterKey: key, clock: CLOCK });
      const st = f.invoke('consent', 'status', [admin, { tag: 'email', val: 'a@example.org' }]);
      assert.equal(st.ok.purposes[0].state, 'given');
      f.close();
      process.env.FICHIER_MASTER_KEY = TEST_KEY;
      f = createFichier({ store: { sqlite: db }, clock: CLOCK });
      // Another key: the subject's data key does not open.
      assert.ok('err' in f.invoke('consent', 'status', [admin, { tag: 'email', val: 'a@example.org' }]));
      f.close();
    } finally {
      if (saved === undefined) delete process.env.FICHIER_MASTER_KEY;
      else process.env.FICHIER_MASTER_KEY = saved;
    }
  });

  test('options are checked', () => {
    assert.throws(() => createFichier({ store: { sqlite: '' } }), TypeError);
    assert.throws(() => createFichier({ store: { sqlite: ':memory:', path: 'x' } }), /store.path/);
    assert.throws(() => createFichier({ store: { sqlite: ':memory:' }, masterKey: 'short' }), TypeError);
    assert.throws(() => createFichier({ store: 'sqlite' }), TypeError);
    assert.throws(() => createFichier({ config: { master_key: TEST_KEY } }), /secret/);
  });

  test("':memory:' and a SqliteKv shared by two createFichier (its owner closes it)", () => {
    const mem = createFichier({ store: { sqlite: ':memory:' }, masterKey: TEST_KEY, clock: CLOCK });
    setUp(mem);
    assert.equal(mem.invoke('consent', 'list-purposes', [admin]).ok.length, 1);
    mem.close();
    const kv = new SqliteKv(join(tempDir(), 'shared.db'));
    const a = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    const b = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    setUp(a);
    assert.equal(b.invoke('consent', 'list-purposes', [admin]).ok.length, 1);
    a.close();
    assert.equal(kv.open, true);
    assert.equal(b.consent.listPurposes(admin).length, 1, 'typed calls work over SQLite too');
    kv.close();
  });

  test('a call that traps mid-way leaves the files exactly as they were', () => {
    // A store that fails (a host bug: an Error, which traps the call) at the n-th write.
    const kv = new FailingKv(join(tempDir(), 'trap.db'), () => new Error('injected host failure'));
    const f = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    setUp(f);
    // How many writes a grant makes when nothing fails (the first also writes the
    // keys file's check value).
    f.invoke('consent', 'record-decision', [admin, decision('first@example.org')]);
    kv.writes = 0;
    f.invoke('consent', 'record-decision', [admin, decision('second@example.org')]);
    const total = kv.writes;
    assert.ok(total >= 3, `a grant writes several keys (${total})`);
    for (let n = 2; n <= total; n++) {
      const before = snapshot(kv);
      kv.writes = 0;
      kv.failAt = n;
      assert.throws(
        () => f.invoke('consent', 'record-decision', [admin, decision(`p${n}@example.org`)]),
        (e) => e instanceof FichierCallError && e.kind === 'trap',
      );
      assert.equal(kv.writes, n, `the call had written ${n - 1} keys before it trapped`);
      kv.failAt = Infinity;
      assert.equal(kv.inBatch, false);
      assert.equal(snapshot(kv), before, `trap at write ${n}: nothing of the call is left`);
    }
    // The same through a typed call.
    const before = snapshot(kv);
    kv.writes = 0;
    kv.failAt = 2;
    assert.throws(() => f.consent.recordDecision(admin, toJs(decision('typed@example.org'))), (e) => !('payload' in e));
    kv.failAt = Infinity;
    assert.equal(snapshot(kv), before);
    assert.equal(f.invoke('ledger', 'verify', [admin]).ok.ok, true);
    f.close();
  });

  test('a store error mid-call: the component answers, and what it committed is consistent', () => {
    // As the Rust host's invoke_batched, a call that returns (even an error) commits
    // what it wrote; the component writes its commit point (the subject head) last.
    const kv = new FailingKv(join(tempDir(), 'err.db'), () => ({ tag: 'other', val: 'sqlite: disk I/O error' }));
    const f = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    setUp(f);
    let errors = 0;
    for (let n = 1; n <= 8; n++) {
      const email = `p${n}@example.org`;
      kv.writes = 0;
      kv.failAt = n;
      const r = f.invoke('consent', 'record-decision', [admin, decision(email)]);
      kv.failAt = Infinity;
      assert.equal(kv.inBatch, false);
      const state = f.invoke('consent', 'status', [admin, { tag: 'email', val: email }]).ok.purposes[0].state;
      if ('err' in r) {
        errors++;
        assert.equal(r.err.tag, 'storage');
        assert.equal(state, 'never-asked', `store error at write ${n}: no decision recorded`);
      } else {
        assert.equal(state, 'given', `write ${n} failed but the call succeeded: the decision is whole`);
      }
      assert.equal(f.invoke('ledger', 'verify', [admin]).ok.ok, true, `after a store error at write ${n}`);
    }
    assert.ok(errors >= 2, 'the injected failures reached the component');
    f.close();
  });

  test('a WIT error (a refused input) keeps nothing and leaves no batch open', () => {
    const kv = new SqliteKv(join(tempDir(), 'refused.db'));
    const f = createFichier({ store: kv, masterKey: TEST_KEY, clock: CLOCK });
    setUp(f);
    const before = snapshot(kv);
    const r = f.invoke('consent', 'record-decision', [admin, decision('a@example.org', { notice: 'nope:fr:v9' })]);
    assert.ok('err' in r);
    assert.equal(snapshot(kv), before);
    assert.throws(() => f.consent.getNotice(admin, 'bad'), (e) => 'payload' in e);
    assert.equal(kv.inBatch, false);
    f.close();
  });
});
