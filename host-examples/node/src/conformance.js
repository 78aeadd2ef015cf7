// The conformance runner: the semantics of tests/tests/conformance.rs (the reference),
// in JavaScript, so Node runs the very same case files against the very same .wasm.
//
// A case: {name, clock, steps: [{clock?}, {call: 'iface.fn', args, expect?, save?}]};
// a step without `expect` must return {ok: …}.
// - "$actor:<role>" -> {"id": "conformance", "role": "<role>"} (args and expect);
// - "$ref:<name>"   -> a value saved earlier by `save` ({"<name>": "<dotted path>"});
// - "$utf8:<text>"  -> the UTF-8 bytes of <text>, as a list<u8> (args);
// - in expect: "$any" matches any present value (null included), "$hex64" 64 lower-case
//   hex characters, "$absent" null or a missing key; objects match on the keys given,
//   arrays element by element with the same length, anything else by equality.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createFichier } from './index.js';

/** The fixed master key of conformance runs (never a real deployment's). */
export const TEST_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Replace `$actor:`, `$utf8:` and `$ref:` placeholders (whole strings only). */
export function substitute(v, saved) {
  if (typeof v === 'string' && v.startsWith('$actor:')) return { id: 'conformance', role: v.slice(7) };
  if (typeof v === 'string' && v.startsWith('$utf8:')) return Array.from(new TextEncoder().encode(v.slice(6)));
  if (typeof v === 'string' && v.startsWith('$ref:')) {
    const name = v.slice(5);
    if (!saved.has(name)) throw new Error(`nothing saved as ${name}`);
    return structuredClone(saved.get(name));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, saved));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, saved)]));
  return v;
}

const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * Whether `actual` matches the pattern `expected`: `null` when it does, else the path
 * and why. `actual` is `undefined` for a missing key (which only "$absent" accepts).
 */
export function mismatch(path, expected, actual) {
  if (expected === '$absent') {
    return actual === undefined || actual === null ? null : `${path}: expected absent, found ${show(actual)}`;
  }
  if (expected === '$any' && actual !== undefined) return null;
  if (expected === '$hex64' && typeof actual === 'string') {
    return /^[0-9a-f]{64}$/.test(actual) ? null : `${path}: expected 64 hex characters, found ${actual}`;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const [k, ev] of Object.entries(expected)) {
      const m = mismatch(`${path}.${k}`, ev, Object.hasOwn(actual, k) ? actual[k] : undefined);
      if (m) return m;
    }
    return null;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      return `${path}: expected ${expected.length} items, found ${actual.length}: ${show(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(`${path}[${i}]`, expected[i], actual[i]);
      if (m) return m;
    }
    return null;
  }
  if (actual !== undefined && jsonEqual(expected, actual)) return null;
  return `${path}: expected ${show(expected)}, found ${show(actual)}`;
}

function jsonEqual(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

/** The value at a dotted path (array indices as numbers), or `undefined`. */
export function lookup(v, path) {
  let cur = v;
  for (const part of path.split('.')) {
    if (/^\+?\d+$/.test(part)) {
      const i = Number(part);
      if (!Array.isArray(cur) || i >= cur.length) return undefined;
      cur = cur[i];
    } else {
      if (!isObject(cur) || !Object.hasOwn(cur, part)) return undefined;
      cur = cur[part];
    }
  }
  return cur;
}

/** The case files of `dir`, sorted by name. */
export function caseFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Run one case; resolves to the number of steps, throws with the step, call and
 * mismatch on failure.
 * @param {object} kase a parsed case file
 * @param {{create?: (clock: string) => {invoke: Function, clock: {set: Function}}}} [options]
 */
export function runCase(kase, { create } = {}) {
  if (typeof kase?.clock !== 'string') throw new Error('a case needs a clock');
  if (!Array.isArray(kase.steps)) throw new Error('a case needs steps');
  const fichier = create ? create(kase.clock) : createFichier({ store: 'memory', masterKey: TEST_KEY, clock: kase.clock });
  const saved = new Map();
  kase.steps.forEach((step, i) => {
    if (typeof step.clock === 'string') {
      try {
        fichier.clock.set(step.clock);
      } catch (e) {
        throw new Error(`step ${i}: clock: ${e.message}`);
      }
    }
    if (typeof step.call !== 'string') return;
    const dot = step.call.indexOf('.');
    if (dot < 0) throw new Error(`step ${i}: call is interface.function`);
    const [iface, fn] = [step.call.slice(0, dot), step.call.slice(dot + 1)];
    const subst = substitute(step.args ?? null, saved);
    const args = Array.isArray(subst) ? subst : [];
    let result;
    try {
      result = fichier.invoke(iface, fn, args);
    } catch (e) {
      throw new Error(`step ${i} (${step.call}): ${e.message}`, { cause: e });
    }
    {
      // A step without `expect` must succeed.
      const expected = Object.hasOwn(step, 'expect') ? substitute(step.expect, saved) : { ok: '$any' };
      const m = mismatch('result', expected, result);
      if (m) throw new Error(`step ${i} (${step.call}): ${m}\n  got ${JSON.stringify(result)}`);
    }
    if (isObject(step.save)) {
      for (const [name, p] of Object.entries(step.save)) {
        if (typeof p !== 'string') throw new Error('save paths are strings');
        const v = lookup(result, p);
        if (v === undefined) throw new Error(`step ${i}: nothing at ${p} to save in ${JSON.stringify(result)}`);
        saved.set(name, v);
      }
    }
  });
  return kase.steps.length;
}

/** Read and run one case file. */
export function runCaseFile(file, options) {
  let kase;
  try {
    kase = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`not JSON: ${e.message}`);
  }
  return runCase(kase, options);
}
