// The JS hosts the component imports: wasi:keyvalue (store, atomics, batch),
// wasi:config and the pinnable wall clock. The key-value tests run on both stores.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { Clock } from '../host/clock.js';
import { createConfig } from '../host/config.js';
import { Bucket, Cas, LIST_PAGE, MemoryKv, createKeyValue } from '../host/kv.js';
import { SqliteKv } from '../host/sqlite.js';

const bytes = (s) => new TextEncoder().encode(s);
const text = (b) => (b === undefined ? undefined : new TextDecoder().decode(b));

/** What jco does with a thrown value: a plain object is the WIT error. */
function thrown(f) {
  try {
    f();
  } catch (e) {
    assert.ok(!(e instanceof Error), `expected a plain object, got ${e}`);
    return e;
  }
  assert.fail('expected a throw');
}

// The same tests on the in-memory store and on the SQLite store (a temp file).
const STORES = [
  ['memory', () => new MemoryKv()],
  ['SQLite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fichier-kv-'));
    const kv = new SqliteKv(join(dir, 't.db'));
    opened.push([kv, dir]);
    return kv;
  }],
];
const opened = [];
after(() => {
  for (const [kv, dir] of opened) {
    kv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [storeName, make] of STORES) describe(`wasi:keyvalue (${storeName})`, () => {
  test('open: default and keys, anything else is access-denied', () => {
    const { store } = createKeyValue(make());
    assert.ok(store.open('default') instanceof store.Bucket);
    assert.ok(store.open('keys') instanceof Bucket);
    assert.deepEqual(thrown(() => store.open('other')), { tag: 'access-denied' });
    assert.deepEqual(thrown(() => store.open('')), { tag: 'access-denied' });
  });

  test('labels are separate buckets; values are copied in and out', () => {
    const { store } = createKeyValue(make());
    const a = store.open('default');
    const b = store.open('keys');
    const v = bytes('one');
    a.set('k', v);
    v[0] = 0;
    assert.equal(text(a.get('k')), 'one');
    a.get('k')[0] = 0;
    assert.equal(text(a.get('k')), 'one');
    assert.equal(b.get('k'), undefined);
    assert.equal(a.exists('k'), true);
    assert.equal(b.exists('k'), false);
    a.delete('k');
    a.delete('k');
    assert.equal(a.get('k'), undefined);
  });

  test('list-keys pages in key order with a cursor', () => {
    const { store } = createKeyValue(make());
    const bucket = store.open('default');
    const n = LIST_PAGE + 5;
    for (let i = n - 1; i >= 0; i--) bucket.set(`k${String(i).padStart(5, '0')}`, bytes('x'));
    const first = bucket.listKeys(undefined);
    assert.equal(first.keys.length, LIST_PAGE);
    assert.equal(first.keys[0], 'k00000');
    assert.equal(first.cursor, first.keys.at(-1));
    const second = bucket.listKeys(first.cursor);
    assert.deepEqual(second.keys, ['k01000', 'k01001', 'k01002', 'k01003', 'k01004']);
    assert.equal(second.cursor, undefined);
    assert.deepEqual(store.open('keys').listKeys(undefined), { keys: [], cursor: undefined });
  });

  test('compare-and-swap: a swap wins only at the version its handle saw', () => {
    const { store, atomics } = createKeyValue(make());
    const bucket = store.open('default');
    const absent = atomics.Cas.new(bucket, 'head');
    assert.equal(absent.current(), undefined);
    atomics.swap(absent, bytes('v1'));
    assert.equal(text(bucket.get('head')), 'v1');

    const a = atomics.Cas.new(bucket, 'head');
    const b = atomics.Cas.new(bucket, 'head');
    assert.equal(text(a.current()), 'v1');
    atomics.swap(a, bytes('v2'));
    const lost = thrown(() => atomics.swap(b, bytes('v2-from-b')));
    assert.equal(lost.tag, 'cas-failed');
    assert.ok(lost.val instanceof Cas);
    assert.equal(text(lost.val.current()), 'v2');
    atomics.swap(lost.val, bytes('v3'));
    assert.equal(text(bucket.get('head')), 'v3');

    // A plain set (same value or not) moves the version too.
    const c = atomics.Cas.new(bucket, 'head');
    bucket.set('head', bytes('v3'));
    assert.equal(thrown(() => atomics.swap(c, bytes('v4'))).tag, 'cas-failed');

    // A handle made while the key was absent loses once someone created it.
    const d = atomics.Cas.new(bucket, 'new');
    bucket.set('new', bytes('x'));
    assert.equal(thrown(() => atomics.swap(d, bytes('y'))).tag, 'cas-failed');
    // ... and a delete after the handle was made is a change too.
    const e = atomics.Cas.new(bucket, 'new');
    bucket.delete('new');
    assert.equal(thrown(() => atomics.swap(e, bytes('z'))).tag, 'cas-failed');
  });

  test('increment counts in decimal text', () => {
    const { store, atomics } = createKeyValue(make());
    const bucket = store.open('default');
    assert.equal(atomics.increment(bucket, 'n', 5n), 5n);
    assert.equal(atomics.increment(bucket, 'n', -7n), -2n);
    assert.equal(text(bucket.get('n')), '-2');
    bucket.set('s', bytes('abc'));
    assert.equal(thrown(() => atomics.increment(bucket, 's', 1n)).tag, 'other');
  });

  test('batch', () => {
    const { store, batch } = createKeyValue(make());
    const bucket = store.open('keys');
    batch.setMany(bucket, [['a', bytes('1')], ['b', bytes('2')]]);
    const got = batch.getMany(bucket, ['a', 'z', 'b']);
    assert.deepEqual(got.map(([k, v]) => [k, text(v)]), [['a', '1'], ['z', undefined], ['b', '2']]);
    batch.deleteMany(bucket, ['a', 'z']);
    assert.deepEqual(bucket.listKeys(undefined).keys, ['b']);
  });

  test('instances over one store share it', () => {
    const kv = make();
    createKeyValue(kv).store.open('default').set('k', bytes('v'));
    assert.equal(text(createKeyValue(kv).store.open('default').get('k')), 'v');
    assert.equal(createKeyValue(make()).store.open('default').get('k'), undefined);
  });
});

describe('wasi:config', () => {
  test('get and get-all from the instance map', () => {
    const { store } = createConfig({ master_key: 'k', other: 'x' });
    assert.equal(store.get('master_key'), 'k');
    assert.equal(store.get('nope'), undefined);
    assert.deepEqual(store.getAll(), [['master_key', 'k'], ['other', 'x']]);
    assert.throws(() => createConfig({ n: 1 }), TypeError);
  });
});

describe('wall clock', () => {
  test('pinned, moved, and split into seconds and nanoseconds', () => {
    const clock = Clock.pinned('2026-03-01T10:00:00.250Z');
    assert.deepEqual(clock.wallClock().now(), { seconds: 1772359200n, nanoseconds: 250_000_000 });
    clock.set('2026-04-01T12:00:00+02:00');
    assert.deepEqual(clock.wallClock().now(), { seconds: 1775037600n, nanoseconds: 0 });
    assert.throws(() => clock.set('yesterday'), RangeError);
    const sys = Clock.system().wallClock().now();
    assert.ok(Math.abs(Number(sys.seconds) - Date.now() / 1000) < 5);
  });
});
