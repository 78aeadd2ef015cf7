// The package API: invoke's JSON conventions (those of the Rust host's invoke), the
// typed interfaces, configuration and clock.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { FichierCallError, MemoryKv, TYPED_INVOKE, createFichier, isComponentError } from '../src/index.js';
import { TEST_KEY } from '../src/conformance.js';

const admin = { id: 'api-test', role: 'admin' };
const newsletter = { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null };

describe('invoke', () => {
  test('JSON in, {ok} / {err} out, kebab-case fields, null options, numbers for u64', () => {
    const f = createFichier({ masterKey: TEST_KEY, clock: '2026-03-01T10:00:00Z' });
    const ok = f.invoke('consent', 'declare-purpose', [admin, newsletter]);
    assert.deepEqual(ok, {
      ok: {
        id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null, serves: null, revision: 1,
        'declared-at': '2026-03-01T10:00:00.000Z', 'declared-by': admin,
      },
    });
    const err = f.invoke('consent', 'declare-purpose', [admin, { ...newsletter, 'validity-months': 0 }]);
    assert.equal(err.err.tag, 'invalid-input');
    assert.equal(err.err.val.rule, 'range-1-120');
    const report = f.invoke('ledger', 'verify', [{ id: 'd', role: 'dpo' }]);
    assert.deepEqual(report, { ok: { ok: true, subjects: 0, receipts: 0, anchors: 0, failure: null } });
    const page = f.invoke('maintenance', 'list-subjects', [admin, null, 10]);
    assert.deepEqual(page, { ok: [[], null] });
    assert.doesNotThrow(() => JSON.stringify(f.invoke('settings', 'get-policy', [admin])));
  });

  test('a call that cannot run throws FichierCallError', () => {
    const f = createFichier({ masterKey: TEST_KEY });
    const kind = (fn) => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof FichierCallError, String(e));
        return e.kind;
      }
      assert.fail('expected a throw');
    };
    assert.equal(kind(() => f.invoke('consent', 'nope', [admin])), 'bad-call');
    assert.equal(kind(() => f.invoke('types', 'nope', [])), 'bad-call');
    assert.equal(kind(() => f.invoke('consent', 'list-purposes', [])), 'bad-call');
    assert.equal(kind(() => f.invoke('consent', 'list-purposes', [{ id: 'x', role: 'root' }])), 'bad-call');
    assert.equal(kind(() => f.invoke('consent', 'declare-purpose', [admin, { id: 'x' }])), 'bad-call');
  });

  test('arguments are checked by their WIT types, as the Rust host checks them', () => {
    assert.ok(TYPED_INVOKE, 'gen/schema.json is missing: run npm run transpile');
    const f = createFichier({ masterKey: TEST_KEY, clock: '2026-03-01T10:00:00Z' });
    f.invoke('consent', 'declare-purpose', [admin, newsletter]);
    f.invoke('consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'x' }]);
    const decision = (over) => [admin, {
      subject: { tag: 'email', val: 'a@example.org' }, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
      channel: 'web-form', notice: 'newsletter:fr:v1', at: null, 'receipt-id': null, 'client-ip': null,
      'user-agent': null, gpc: false, age: null, ...over,
    }];
    const badCall = (iface, fn, args) => {
      try {
        f.invoke(iface, fn, args);
      } catch (e) {
        assert.ok(e instanceof FichierCallError && e.kind === 'bad-call', String(e));
        return e.message;
      }
      assert.fail(`${iface}.${fn} accepted ${JSON.stringify(args)}`);
    };
    // jco alone would wrap 300 into a u8 (44), take "yes" for true, "5" for 5, ignore a field.
    assert.equal(badCall('consent', 'record-decision', decision({ age: { tag: 'age', val: 300 } })), 'input.age.val: expected u8 in range');
    assert.equal(badCall('consent', 'record-decision', decision({ gpc: 'yes' })), 'input.gpc: expected a boolean');
    assert.equal(badCall('consent', 'record-decision', decision({ gpc: null })), 'input.gpc: expected a value (the field is required)');
    assert.equal(badCall('consent', 'record-decision', decision({ chanel: 'phone' })), 'input.chanel: expected no such field');
    assert.equal(badCall('maintenance', 'list-subjects', [admin, null, '5']), 'limit: expected an integer (u32)');
    assert.equal(badCall('maintenance', 'list-subjects', [admin, null, 2 ** 32]), 'limit: expected u32 in range');
    assert.equal(badCall('consent', 'status', [admin, { tag: 'phone', val: '1' }]), 'subject.tag: expected one of email, external, subject');
    assert.match(badCall('consent', 'list-purposes', []), /takes 1 arguments \(actor\), got 0/);
    // A missing option field is none, as in the Rust host.
    const { 'validity-months': _, ...noValidity } = newsletter;
    assert.equal(f.invoke('consent', 'declare-purpose', [admin, noValidity]).ok['validity-months'], null);
    assert.equal(f.invoke('consent', 'record-decision', decision({ age: { tag: 'age', val: 30 } })).ok.age.val, 30);
  });

  test('without a master key every call is a config error', () => {
    const f = createFichier({ clock: '2026-03-01T10:00:00Z' });
    const r = f.invoke('consent', 'list-purposes', [admin]);
    assert.equal(r.err.tag, 'config');
    assert.equal(r.err.val.field, 'config:master_key');
  });

  test('the clock moves between calls; stores are shared only when asked', () => {
    const kv = new MemoryKv();
    const a = createFichier({ store: kv, masterKey: TEST_KEY, clock: '2026-03-01T10:00:00Z' });
    a.invoke('consent', 'declare-purpose', [admin, newsletter]);
    a.clock.set('2027-01-01T00:00:00Z');
    const again = a.invoke('consent', 'declare-purpose', [admin, { ...newsletter, 'validity-months': 12 }]);
    assert.equal(again.ok['declared-at'], '2027-01-01T00:00:00.000Z');
    const b = createFichier({ store: kv, masterKey: TEST_KEY });
    assert.equal(b.invoke('consent', 'list-purposes', [admin]).ok.length, 1);
    const c = createFichier({ masterKey: TEST_KEY });
    assert.equal(c.invoke('consent', 'list-purposes', [admin]).ok.length, 0);
  });
});

describe('failures of the host', () => {
  // A store whose reads fail on demand: with a WIT error (what a backend reports) or
  // with an exception (a bug in the host), which unwinds through the guest: a trap.
  class FlakyKv extends MemoryKv {
    failure = undefined;
    read(label, key) {
      if (this.failure) throw this.failure;
      return super.read(label, key);
    }
  }

  test('a keyvalue error is the storage error; a host exception is a trap', () => {
    for (const reuseInstance of [false, true]) {
      const kv = new FlakyKv();
      const f = createFichier({ store: kv, masterKey: TEST_KEY, reuseInstance });
      assert.deepEqual(f.invoke('consent', 'list-purposes', [admin]), { ok: [] });
      kv.failure = { tag: 'other', val: 'disk on fire' };
      assert.equal(f.invoke('consent', 'list-purposes', [admin]).err.tag, 'storage');
      kv.failure = new Error('host bug');
      assert.throws(() => f.invoke('consent', 'list-purposes', [admin]), (e) => e instanceof FichierCallError && e.kind === 'trap');
      kv.failure = undefined;
      // The next call runs (on a new instance when one is reused).
      assert.deepEqual(f.invoke('consent', 'list-purposes', [admin]), { ok: [] });
      assert.deepEqual(f.invoke('consent', 'declare-purpose', [admin, newsletter]).ok.revision, 1);
    }
  });
});

describe('typed interfaces', () => {
  test("jco's values: camelCase, undefined, BigInt; a WIT error is a ComponentError", () => {
    const f = createFichier({ masterKey: TEST_KEY, clock: '2026-03-01T10:00:00Z' });
    const p = f.consent.declarePurpose(admin, { id: 'analytics', kind: 'cookie', title: 'Audience', validityMonths: 13 });
    assert.equal(p.validityMonths, 13);
    assert.equal(p.declaredAt, '2026-03-01T10:00:00.000Z');
    assert.deepEqual(f.consent.listPurposes(admin).map((x) => x.id), ['analytics']);
    assert.equal(f.ledger.verify(admin).subjects, 0n);
    try {
      f.consent.getNotice(admin, 'not a reference');
      assert.fail('expected a throw');
    } catch (e) {
      assert.ok(isComponentError(e));
      assert.equal(e.payload.tag, 'invalid-input');
    }
    assert.deepEqual(Object.keys(f.ledger).sort(), ['listAnchors', 'takeAnchor', 'verify']);
  });
});
