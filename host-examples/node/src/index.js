// @fichier/node — the fichier component (fichier:client@0.1.0) in Node.js through jco.
//
//   import { createFichier } from '@fichier/node';
//   const fichier = createFichier({ masterKey: process.env.FICHIER_MASTER_KEY });
//   fichier.invoke('consent', 'list-purposes', [{ id: 'me', role: 'admin' }]);
//   //  -> { ok: [...] } or { err: { tag: 'forbidden', val: {...} } }
//   fichier.consent.listPurposes({ id: 'me', role: 'admin' });
//   //  -> jco values (camelCase, BigInt, undefined); a WIT error is thrown as ComponentError
//
// Every call runs in a fresh instance of the component (as the Rust host does): a trap
// cannot leave a poisoned instance behind, and instances share only the store.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as shimCli from '@bytecodealliance/preview2-shim/cli';
import * as shimClocks from '@bytecodealliance/preview2-shim/clocks';
import * as shimIo from '@bytecodealliance/preview2-shim/io';
import * as shimRandom from '@bytecodealliance/preview2-shim/random';

import { Clock } from '../host/clock.js';
import { createConfig } from '../host/config.js';
import { LABELS, MemoryKv, createKeyValue } from '../host/kv.js';
import { fromJs, kebabToCamel, toJs } from './json.js';

export { Clock } from '../host/clock.js';
export { MemoryKv } from '../host/kv.js';
export { camelToKebab, fromJs, kebabToCamel, toJs } from './json.js';

const GEN = new URL('../gen/', import.meta.url);

let generated;
try {
  generated = await import(new URL('fichier_guest.js', GEN).href);
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  throw new Error(
    `@fichier/node: ${fileURLToPath(GEN)} holds no transpiled component; run \`npm run transpile\` first`,
    { cause: e },
  );
}

/** The exported interfaces of fichier:client@0.1.0 that hold functions. */
export const INTERFACES = Object.freeze(['consent', 'ledger', 'settings', 'maintenance']);

// Core modules are compiled once per process; instances are cheap after that.
const coreModules = new Map();
function getCoreModule(name) {
  let m = coreModules.get(name);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(new URL(name, GEN)));
    coreModules.set(name, m);
  }
  return m;
}

/** Why a call did not produce the component's answer (the Rust host's `CallError`). */
export class FichierCallError extends Error {
  /**
   * @param {'trap' | 'instantiate' | 'bad-call'} kind
   * @param {string} message
   * @param {unknown} [cause]
   */
  constructor(kind, message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FichierCallError';
    this.kind = kind;
  }
}

/** Whether `e` is the `ComponentError` jco throws for a WIT `result` error. */
export function isComponentError(e) {
  return e instanceof Error && Object.hasOwn(e, 'payload');
}

// A guest must not end the Node process: `exit` traps the call instead.
const exit = {
  exit(status) {
    throw new FichierCallError('trap', `the component called exit (${status?.tag ?? 'ok'})`);
  },
  exitWithCode(code) {
    throw new FichierCallError('trap', `the component called exit(${code})`);
  },
};

// The component sees no environment, no arguments and no working directory (like
// wasmtime's default WasiCtx in the Rust host), not the Node process's.
const environment = {
  getEnvironment: () => [],
  getArguments: () => [],
  initialCwd: () => undefined,
};

const WASI = Object.freeze({
  'wasi:cli/environment': environment,
  'wasi:cli/exit': exit,
  'wasi:cli/stdin': shimCli.stdin,
  'wasi:cli/stdout': shimCli.stdout,
  'wasi:cli/stderr': shimCli.stderr,
  'wasi:cli/terminal-input': shimCli.terminalInput,
  'wasi:cli/terminal-output': shimCli.terminalOutput,
  'wasi:cli/terminal-stdin': shimCli.terminalStdin,
  'wasi:cli/terminal-stdout': shimCli.terminalStdout,
  'wasi:cli/terminal-stderr': shimCli.terminalStderr,
  'wasi:clocks/monotonic-clock': shimClocks.monotonicClock,
  'wasi:io/error': shimIo.error,
  'wasi:io/poll': shimIo.poll,
  'wasi:io/streams': shimIo.streams,
  'wasi:random/random': shimRandom.random,
  'wasi:random/insecure': shimRandom.insecure,
  'wasi:random/insecure-seed': shimRandom.insecureSeed,
});

// The function names of each interface, read once from an instance.
let names;
function functionNames(instantiate) {
  if (!names) {
    const root = instantiate();
    names = Object.fromEntries(
      INTERFACES.map((i) => [i, Object.keys(root[i]).filter((k) => typeof root[i][k] === 'function')]),
    );
  }
  return names;
}

function toClock(clock) {
  if (clock === undefined || clock === null || clock === 'system') return Clock.system();
  if (clock instanceof Clock) return clock;
  return Clock.pinned(clock);
}

/**
 * Load fichier over an in-memory store.
 *
 * @param {object} [options]
 * @param {'memory' | MemoryKv} [options.store] `'memory'` (default): a new empty store; or a
 *   `MemoryKv` to share with another `createFichier`.
 * @param {string} [options.masterKey] 64 hex characters, given to the component as the
 *   `wasi:config` key `master_key`. Without it, calls that need it fail with a `config` error.
 * @param {string | Date | number | Clock} [options.clock] the wall clock: pinned at an
 *   instant (RFC 3339, Date, epoch ms), a `Clock` to move between calls, or the system's
 *   (default).
 * @param {Record<string, string>} [options.config] further `wasi:config` entries.
 * @param {readonly string[]} [options.labels] key-value labels the deployment declares
 *   (default `default`, `keys`); opening any other is `access-denied`.
 */
export function createFichier(options = {}) {
  const { store = 'memory', masterKey, clock, config = {}, labels = LABELS } = options;
  let kv;
  if (store === 'memory') kv = new MemoryKv();
  else if (store instanceof MemoryKv) kv = store;
  else throw new TypeError(`createFichier: store must be 'memory' or a MemoryKv, not ${String(store)}`);
  if (masterKey !== undefined && typeof masterKey !== 'string') {
    throw new TypeError('createFichier: masterKey is a string of 64 hex characters');
  }
  const theClock = toClock(clock);
  const entries = { ...config, ...(masterKey === undefined ? {} : { master_key: masterKey }) };

  const imports = {
    ...WASI,
    '../host/kv.js': createKeyValue(kv, { labels }),
    '../host/config.js': createConfig(entries),
    '../host/clock.js': { wallClock: theClock.wallClock() },
  };

  /** A fresh instance of the component over this store, configuration and clock. */
  function instantiate() {
    try {
      return generated.instantiate(getCoreModule, imports);
    } catch (e) {
      throw new FichierCallError('instantiate', `instantiation failed: ${e?.message ?? e}`, e);
    }
  }

  function lookup(root, iface, fn) {
    const ns = INTERFACES.includes(iface) ? root[iface] : undefined;
    if (!ns) throw new FichierCallError('bad-call', `no export fichier:client/${iface}@0.1.0`);
    const f = ns[kebabToCamel(fn)];
    if (typeof f !== 'function') {
      throw new FichierCallError('bad-call', `no function ${fn} in fichier:client/${iface}@0.1.0`);
    }
    return f;
  }

  /**
   * Call `<interface>.<function>` with JSON arguments in parameter order; returns the
   * JSON of the function's result: `{ok: …}` or `{err: …}`.
   */
  function invoke(iface, fn, args = []) {
    if (!Array.isArray(args)) throw new FichierCallError('bad-call', 'args is an array');
    const root = instantiate();
    const f = lookup(root, iface, fn);
    if (f.length !== args.length) {
      throw new FichierCallError('bad-call', `${iface}.${fn} takes ${f.length} arguments, got ${args.length}`);
    }
    let value;
    try {
      value = f(...args.map(toJs));
    } catch (e) {
      if (isComponentError(e)) return { err: fromJs(e.payload) };
      if (e instanceof FichierCallError) throw e;
      if (e instanceof WebAssembly.RuntimeError) {
        throw new FichierCallError('trap', `the component trapped: ${e.message}`, e);
      }
      // jco checks arguments as it lowers them (TypeError, RangeError).
      throw new FichierCallError('bad-call', `${iface}.${fn}: ${e?.message ?? e}`, e);
    }
    return { ok: fromJs(value) };
  }

  // The typed interfaces: jco's own functions and values (camelCase, BigInt, a WIT
  // error thrown as ComponentError), each call on a fresh instance.
  const typed = {};
  function typedInterface(iface) {
    if (!typed[iface]) {
      const names = functionNames(instantiate)[iface];
      typed[iface] = Object.freeze(
        Object.fromEntries(names.map((name) => [name, (...args) => instantiate()[iface][name](...args)])),
      );
    }
    return typed[iface];
  }

  return {
    invoke,
    instantiate,
    clock: theClock,
    kv,
    get consent() {
      return typedInterface('consent');
    },
    get ledger() {
      return typedInterface('ledger');
    },
    get settings() {
      return typedInterface('settings');
    },
    get maintenance() {
      return typedInterface('maintenance');
    },
  };
}
