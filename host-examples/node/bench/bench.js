#!/usr/bin/env node
// Measures what README.md reports: compiling the core modules, instantiating the
// component, and a few calls — on a reused instance (jco's call cost) and through
// `invoke` (a fresh instance per call, JSON in and out, what the conformance runner does).
//
//   npm run bench              (after npm run transpile)
//   BENCH_N=2000 npm run bench

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
const { createFichier } = await import('../src/index.js');
const tImport = performance.now() - t0;

const N = Number(process.env.BENCH_N ?? 1000);
const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const admin = { id: 'bench', role: 'admin' };
const build = JSON.parse(readFileSync(new URL('../gen/build.json', import.meta.url), 'utf8'));
const shim = JSON.parse(
  readFileSync(new URL('../node_modules/@bytecodealliance/preview2-shim/package.json', import.meta.url), 'utf8'),
).version;

function time(label, n, f) {
  for (let i = 0; i < Math.min(50, n); i++) f(i); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) f(i);
  const us = ((performance.now() - start) * 1000) / n;
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(9)} µs`);
  return us;
}

console.log(`jco ${build.jco}, preview2-shim ${shim}, node ${process.version}, N=${N}`);
console.log(`${'import (gen + shim)'.padEnd(58)} ${(tImport * 1000).toFixed(0).padStart(9)} µs`);

const fichier = createFichier({ masterKey: KEY, clock: '2026-03-01T10:00:00Z' });
let s = performance.now();
fichier.instantiate(); // compiles the core modules (once per process)
console.log(`${'first instantiation (compiles the core modules)'.padEnd(58)} ${((performance.now() - s) * 1000).toFixed(0).padStart(9)} µs`);

time('instantiate', N, () => fichier.instantiate());

// Some state to read.
fichier.invoke('consent', 'declare-purpose', [admin, { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null }]);
fichier.invoke('consent', 'register-notice', [admin, { purposes: ['newsletter'], lang: 'fr', text: 'Texte.' }]);

const inst = fichier.instantiate();
time('small call, reused instance: consent.list-purposes', N, () => inst.consent.listPurposes(admin));
time('small call, reused instance: ledger.verify (empty ledger)', N, () => inst.ledger.verify(admin));
time('error call, reused instance: get-notice (invalid-input)', N, () => {
  try {
    inst.consent.getNotice(admin, 'bad');
  } catch {
    // ComponentError
  }
});
time('invoke (fresh instance + JSON): consent.list-purposes', N, () => fichier.invoke('consent', 'list-purposes', [admin]));
time('invoke (fresh instance + JSON): consent.status', N, () =>
  fichier.invoke('consent', 'status', [admin, { tag: 'email', val: 'alice@example.org' }]));
const M = Math.max(1, Math.floor(N / 4));
time('invoke: consent.record-decision (seal + CAS writes)', M, (i) =>
  fichier.invoke('consent', 'record-decision', [
    admin,
    {
      subject: { tag: 'external', val: `c-${i}-${Math.random()}` }, purpose: 'newsletter', decision: 'grant',
      'given-by': 'subject', channel: 'web-form', notice: 'newsletter:fr:v1', at: null, 'receipt-id': null,
      'client-ip': null, 'user-agent': null, gpc: false, age: null,
    },
  ]));
