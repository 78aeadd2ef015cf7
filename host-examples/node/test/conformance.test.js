// Runs every case of tests/conformance/ (the files the Rust host runs too) against the
// transpiled component, one test per case, with the semantics of
// tests/tests/conformance.rs: an empty in-memory store, the fixed test master key, the
// wall clock pinned to the case's clock. Each case runs on the in-memory store (fresh and
// reused instances) and on a fresh SQLite file (../host/sqlite.js, the Rust host's
// layout), each call's writes committed as one batch.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import { createFichier } from '../src/index.js';
import { TEST_KEY, caseFiles, lookup, mismatch, runCaseFile, substitute } from '../src/conformance.js';

const CASES = fileURLToPath(new URL('../../../tests/conformance/', import.meta.url));
const files = caseFiles(CASES);

describe('conformance cases', () => {
  test('the consent cases are there', () => {
    assert.ok(files.length >= 2, `expected the consent cases in ${CASES}, found ${files.length}`);
  });

  for (const file of files) {
    let name = basename(file);
    try {
      name += ` — ${JSON.parse(readFileSync(file, 'utf8')).name}`;
    } catch {
      // runCaseFile reports it
    }
    test(name, () => {
      const steps = runCaseFile(file);
      assert.ok(steps > 0);
    });
  }
});

// The same cases on one instance kept across calls (createFichier's reuseInstance):
// the answers must not depend on whether the instance is fresh.
describe('conformance cases, instance reused across calls', () => {
  for (const file of files) {
    test(basename(file), () => {
      runCaseFile(file, { create: (clock) => createFichier({ masterKey: TEST_KEY, clock, reuseInstance: true }) });
    });
  }
});

// The same cases on a SQLite file, fresh per case.
describe('conformance cases, SQLite store', () => {
  for (const file of files) {
    test(basename(file), () => {
      const dir = mkdtempSync(join(tmpdir(), 'fichier-conformance-'));
      let fichier;
      try {
        runCaseFile(file, {
          create: (clock) => (fichier = createFichier({ store: { sqlite: join(dir, 'case.db') }, masterKey: TEST_KEY, clock })),
        });
        assert.equal(fichier.kv.inBatch, false, 'no batch is left open');
      } finally {
        fichier?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the matcher', () => {
  const ok = (e, a) => assert.equal(mismatch('r', e, a), null, `${JSON.stringify(e)} should match ${JSON.stringify(a)}`);
  const ko = (e, a) => assert.notEqual(mismatch('r', e, a), null, `${JSON.stringify(e)} should not match ${JSON.stringify(a)}`);

  test('rejects what it should (as the Rust runner)', () => {
    ok({ a: 1 }, { a: 1, b: 2 });
    ko({ a: 1 }, { a: 2 });
    ko([1], [1, 2]);
    ko({ a: '$absent' }, { a: 3 });
    ko({ a: '$hex64' }, { a: 'abc' });
    ko({ ok: {} }, { err: {} });
  });

  test('placeholders', () => {
    ok({ a: '$absent' }, {});
    ok({ a: '$absent' }, { a: null });
    ok({ a: '$any' }, { a: null });
    ko({ a: '$any' }, {});
    ok('$hex64', 'a'.repeat(64));
    ko('$hex64', 'A'.repeat(64));
    ko('$hex64', 'a'.repeat(63));
    ko('$hex64', 7);
    ko({ a: null }, {});
    ok({ a: null }, { a: null });
    ko([{ a: 1 }], [{ a: 1 }, { a: 2 }]);
    ko({ a: [1, 2] }, { a: [2, 1] });
    ko({ a: 1 }, [1]);
    ko('1', 1);
    ok({ a: { b: [{ c: 'x' }] } }, { a: { b: [{ c: 'x', d: 'y' }] }, e: 0 });
  });

  test('a mismatch names the path', () => {
    assert.equal(mismatch('result', { ok: { purposes: [{ state: 'given' }] } }, { ok: { purposes: [{ state: 'refused' }] } }),
      'result.ok.purposes[0].state: expected "given", found "refused"');
  });

  test('substitution and save paths', () => {
    const saved = new Map([['h', 'abc']]);
    assert.deepEqual(substitute(['$actor:dpo', { x: ['$ref:h'] }, 'x$ref:h'], saved),
      [{ id: 'conformance', role: 'dpo' }, { x: ['abc'] }, 'x$ref:h']);
    assert.throws(() => substitute('$ref:nope', saved), /nothing saved as nope/);
    const r = { ok: { purposes: [{ state: 'given' }, { state: null }] } };
    assert.equal(lookup(r, 'ok.purposes.0.state'), 'given');
    assert.equal(lookup(r, 'ok.purposes.1.state'), null);
    assert.equal(lookup(r, 'ok.purposes.2.state'), undefined);
    assert.equal(lookup(r, 'ok.missing'), undefined);
  });
});
