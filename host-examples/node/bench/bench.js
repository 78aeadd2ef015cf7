#!/usr/bin/env node
// The Node host's side of the per-host comparison (issue 7, point 5), with the
// definitions the Rust bench (host-examples/wasmtime/benches/hosts.rs) and the PHP bench
// (host-examples/php/bench/) use: the built component; a pinned clock
// (2026-03-01T10:00:00Z); a purpose `newsletter` (kind marketing) declared and a French
// notice registered first; 200 warm-up then 2 000 timed iterations, median and mean.
//
// - `open-cold`: what a process pays before its first call: importing the package (the
//   generated glue, preview2-shim, better-sqlite3) and the first instantiation, which
//   compiles the core modules (once per process).
// - `instantiate`: a fresh instance, no call.
// - `list-purposes` / `record-decision`: `invoke` with JSON arguments, a fresh instance
//   per call (the package's default, as the Rust host), on the in-memory store and on a
//   SQLite file (one transaction per call, as the Rust CLI); and on the in-memory store
//   with one instance reused across calls (`reuseInstance: true`), which isolates what
//   the instantiation costs per call.
// - jco's own call cost, for the jco choice in README.md: typed calls on one instance.
//
//   npm run bench                  (after npm run transpile)
//   BENCH_N=500 npm run bench      (fewer iterations; the warm-up stays 200)
//
// Prints a table and one JSON line (`{"host":"node",…}`, microseconds).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
const { createFichier } = await import('../src/index.js');
const tImport = performance.now() - t0;

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const NOW = '2026-03-01T10:00:00Z';
const WARM = 200;
const N = Number(process.env.BENCH_N ?? 2000);
if (!Number.isSafeInteger(N) || N < 1) throw new RangeError('BENCH_N is a positive integer');
const admin = { id: 'bench', role: 'admin' };

const require = createRequire(import.meta.url);
function versionOf(pkg) {
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    try {
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (m.name === pkg) return m.version;
    } catch {
      // not there: go up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
const build = JSON.parse(readFileSync(new URL('../gen/build.json', import.meta.url), 'utf8'));
const versions = {
  node: process.version,
  jco: build.jco,
  'preview2-shim': versionOf('@bytecodealliance/preview2-shim'),
  'better-sqlite3': versionOf('better-sqlite3'),
};

const out = {};
const stat = (s) => ({ median: Math.round(s.median * 10) / 10, mean: Math.round(s.mean * 10) / 10 });

/** 200 warm-up then N timed iterations of `f(i)`; median and mean in µs. */
function measure(label, f) {
  for (let i = 0; i < WARM; i++) f(i);
  const times = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    f(WARM + i);
    times[i] = (performance.now() - start) * 1000;
  }
  const mean = times.reduce((a, b) => a + b, 0) / N;
  times.sort();
  const median = times[Math.floor(N / 2)];
  console.log(`${label.padEnd(62)} ${median.toFixed(1).padStart(10)} ${mean.toFixed(1).padStart(10)}`);
  return { median, mean };
}

function ok(fichier, iface, fn, args) {
  const r = fichier.invoke(iface, fn, args);
  if (!('ok' in r)) throw new Error(`${iface}.${fn}: ${JSON.stringify(r)}`);
  return r.ok;
}

function setUp(fichier) {
  ok(fichier, 'consent', 'declare-purpose', [admin, { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null }]);
  return ok(fichier, 'consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'Texte.' }]).reference;
}

// A new subject per call (`c-<run>-<i>`), as the Rust bench's `c-<i>`.
const grant = (notice, run, i) => ({
  subject: { tag: 'external', val: `c-${run}-${i}` }, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
  channel: 'web-form', notice, at: null, 'receipt-id': null, 'client-ip': null, 'user-agent': null, gpc: false, age: null,
});

function calls(fichier, store, label) {
  const notice = setUp(fichier);
  out[`list-purposes/${store}`] = stat(
    measure(`invoke consent.list-purposes, ${label}`, () => ok(fichier, 'consent', 'list-purposes', [admin])),
  );
  out[`record-decision/${store}`] = stat(
    measure(`invoke consent.record-decision, ${label}`, (i) => ok(fichier, 'consent', 'record-decision', [admin, grant(notice, store, i)])),
  );
}

console.log(`fichier Node host: node ${versions.node}, jco ${versions.jco}, preview2-shim ${versions['preview2-shim']}, better-sqlite3 ${versions['better-sqlite3']}`);
console.log(`${WARM} warm-up + ${N} iterations`);
console.log(`${''.padEnd(62)} ${'median µs'.padStart(10)} ${'mean µs'.padStart(10)}`);

const memory = createFichier({ masterKey: KEY, clock: NOW });
let s = performance.now();
memory.instantiate(); // compiles the core modules (once per process)
const tFirst = performance.now() - s;
out['open-cold'] = Math.round((tImport + tFirst) * 1000);
console.log(`${'open, cold: import the package'.padEnd(62)} ${(tImport * 1000).toFixed(0).padStart(10)}`);
console.log(`${'  + first instantiation (compiles the core modules)'.padEnd(62)} ${(tFirst * 1000).toFixed(0).padStart(10)}`);

out.instantiate = stat(measure('instantiate (fresh instance, no call)', () => memory.instantiate()));

calls(memory, 'memory', 'fresh instance (memory)');
calls(createFichier({ masterKey: KEY, clock: NOW, reuseInstance: true }), 'memory-reused', 'reused instance (memory)');

const dir = mkdtempSync(join(tmpdir(), 'fichier-bench-'));
try {
  const sqlite = createFichier({ store: { sqlite: join(dir, 'bench.db') }, masterKey: KEY, clock: NOW });
  calls(sqlite, 'sqlite', 'fresh instance (sqlite)');
  sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// jco's call cost without invoke's JSON conversion: typed calls on one kept instance,
// over a store holding only the purpose and its notice (an empty ledger).
const small = createFichier({ masterKey: KEY, clock: NOW });
setUp(small);
const inst = small.instantiate();
out['typed-list-purposes/memory-reused'] = stat(
  measure('typed consent.listPurposes, one instance (memory)', () => inst.consent.listPurposes(admin)),
);
out['typed-ledger-verify/memory-reused'] = stat(measure('typed ledger.verify (empty ledger), one instance (memory)', () => inst.ledger.verify(admin)));

console.log(JSON.stringify({ host: 'node', versions, warmup: WARM, n: N, ...out }));
