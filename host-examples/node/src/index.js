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
// cannot leave a poisoned instance behind, and instances share only the store
// (`reuseInstance: true` keeps one instance, replaced after a trap).
//
// Stores: in memory (`store: 'memory'`, the default) or SQLite files shared with the Rust
// host (`store: {sqlite: '/path/fichier.db'}`, ../host/sqlite.js). On SQLite each call's
// writes are one transaction per file, committed when the call returns (an answer or a
// WIT error) and rolled back when it traps, as the Rust host's `invoke_batched`.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as shimCli from '@bytecodealliance/preview2-shim/cli';
import * as shimClocks from '@bytecodealliance/preview2-shim/clocks';
import * as shimHttp from '@bytecodealliance/preview2-shim/http';
import * as shimIo from '@bytecodealliance/preview2-shim/io';
import * as shimRandom from '@bytecodealliance/preview2-shim/random';

import { Clock } from '../host/clock.js';
import { createConfig } from '../host/config.js';
import { LABELS, MemoryKv, createKeyValue } from '../host/kv.js';
import { defaultKeyFile, isHexKey, resolveMasterKey } from '../host/master.js';
import { fromJs, kebabToCamel, toJs } from './json.js';
import { ShapeError, WitTypes } from './wit.js';

export { Clock } from '../host/clock.js';
export { MemoryKv } from '../host/kv.js';
export { MasterKeyError, defaultKeyFile, resolveMasterKey } from '../host/master.js';
export { camelToKebab, fromJs, kebabToCamel, toJs } from './json.js';
export { ShapeError } from './wit.js';

// The SQLite store needs better-sqlite3's native addon: loaded here, so that a missing
// or broken addon only disables `store: {sqlite}` (the error says why), not the package.
let sqlite;
let sqliteFailure;
try {
  sqlite = await import('../host/sqlite.js');
} catch (e) {
  sqliteFailure = e;
}

/** The SQLite store class (`../host/sqlite.js`), `undefined` when better-sqlite3 cannot load. */
export const SqliteKv = sqlite?.SqliteKv;

const GEN = new URL('../gen/', import.meta.url);

if (!existsSync(new URL('fichier_guest.js', GEN))) {
  throw new Error(`@fichier/node: ${fileURLToPath(GEN)} holds no transpiled component; run \`npm run transpile\` first`);
}
const generated = await import(new URL('fichier_guest.js', GEN).href);

// The fichier interfaces' types (wit-schema.json, copied by `npm run transpile`): invoke
// converts and checks JSON by them, as the Rust host does. Without the file, invoke
// falls back to a structural conversion (./json.js) and jco's looser checks.
let wit;
try {
  wit = new WitTypes(JSON.parse(readFileSync(new URL('schema.json', GEN), 'utf8')));
} catch (e) {
  if (e?.code !== 'ENOENT') throw e;
}

/** Whether `invoke` checks arguments by the WIT types (gen/schema.json present). */
export const TYPED_INVOKE = wit !== undefined;

/** The exported interfaces of fichier:client@0.1.0 that hold functions. */
export const INTERFACES = Object.freeze([
  'consent',
  'ledger',
  'settings',
  'maintenance',
  'customers',
  'minimisation',
  'customer-import',
  'registry',
  'breaches',
  'retention',
  'audit',
  'rights',
  'outbox',
]);

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
  // The types of the component's HTTP face (wasi:http/incoming-handler); the library
  // calls never use them.
  'wasi:http/types': shimHttp.types,
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
      INTERFACES.map((i) => {
        const ns = root[kebabToCamel(i)];
        return [i, Object.keys(ns).filter((k) => typeof ns[k] === 'function')];
      }),
    );
    if (wit) checkSchema(names, root);
  }
  return names;
}

// gen/schema.json must describe the transpiled component: same functions, same arity.
function checkSchema(names, root) {
  const problems = [];
  for (const iface of INTERFACES) {
    const funcs = wit.schema.interfaces[iface]?.funcs ?? {};
    const want = Object.keys(funcs).map(kebabToCamel).sort();
    const have = [...names[iface]].sort();
    if (want.join() !== have.join()) problems.push(`${iface}: WIT has ${want.join(', ')}; the component ${have.join(', ')}`);
    for (const [fn, { params }] of Object.entries(funcs)) {
      const f = root[kebabToCamel(iface)][kebabToCamel(fn)];
      if (f && f.length !== params.length) problems.push(`${iface}.${fn}: ${params.length} parameters in the WIT, ${f.length} in the component`);
    }
  }
  if (problems.length) {
    throw new Error(`@fichier/node: gen/schema.json does not describe the transpiled component (re-run \`npm run transpile\` with the schema of the .wasm (FICHIER_SCHEMA)):\n  ${problems.join('\n  ')}`);
  }
}

function toClock(clock) {
  if (clock === undefined || clock === null || clock === 'system') return Clock.system();
  if (clock instanceof Clock) return clock;
  return Clock.pinned(clock);
}

/** The store of `options.store`, and whether createFichier opened it. */
function openStore(store) {
  if (store === 'memory') return { kv: new MemoryKv(), owned: true };
  if (store instanceof MemoryKv) return { kv: store, owned: false };
  if (sqlite && store instanceof sqlite.SqliteKv) {
    if (!store.open) throw new TypeError('createFichier: that SqliteKv is closed');
    return { kv: store, owned: false };
  }
  if (store !== null && typeof store === 'object' && Object.hasOwn(store, 'sqlite')) {
    const extra = Object.keys(store).filter((k) => k !== 'sqlite');
    if (extra.length) throw new TypeError(`createFichier: store.${extra[0]} is not an option (store: {sqlite: path})`);
    if (typeof store.sqlite !== 'string' || store.sqlite === '') {
      throw new TypeError('createFichier: store.sqlite is the path of the database file (or \':memory:\')');
    }
    if (!sqlite) {
      throw new Error(`createFichier: the SQLite store needs better-sqlite3, which did not load: ${sqliteFailure?.message}`, {
        cause: sqliteFailure,
      });
    }
    return { kv: new sqlite.SqliteKv(store.sqlite), owned: true };
  }
  throw new TypeError(`createFichier: store is 'memory', a MemoryKv, {sqlite: path} or a SqliteKv, not ${String(store)}`);
}

/**
 * Load fichier over a store: in memory, or SQLite files shared with the Rust host.
 *
 * @param {object} [options]
 * @param {'memory' | MemoryKv | {sqlite: string} | SqliteKv} [options.store] `'memory'`
 *   (default): a new empty store; a `MemoryKv` to share with another `createFichier`;
 *   `{sqlite: '/path/fichier.db'}`: the SQLite files of the Rust CLI's `--db` (opened,
 *   created if needed; `fichier.close()` closes them), or `{sqlite: ':memory:'}`; or an
 *   open `SqliteKv` (its owner closes it).
 * @param {string} [options.masterKey] 64 hex characters, given to the component as the
 *   `wasi:config` key `master_key`. Without it, on a SQLite file: `FICHIER_MASTER_KEY`, else
 *   the key file (`keyFile`, default `<db>.master.key`, created if absent), as the Rust CLI;
 *   on other stores calls that need it fail with a `config` error.
 * @param {string} [options.keyFile] the master key file of a SQLite store (the CLI's `--key-file`).
 * @param {string | Date | number | Clock} [options.clock] the wall clock: pinned at an
 *   instant (RFC 3339, Date, epoch ms), a `Clock` to move between calls, or the system's
 *   (default).
 * @param {Record<string, string>} [options.config] further `wasi:config` entries.
 * @param {readonly string[]} [options.labels] key-value labels the deployment declares
 *   (default `default`, `keys`); opening any other is `access-denied`.
 */
export function createFichier(options = {}) {
  const { store = 'memory', clock, config = {}, labels = LABELS, reuseInstance = false, keyFile } = options;
  let { masterKey } = options;
  if (masterKey !== undefined && typeof masterKey !== 'string') {
    throw new TypeError('createFichier: masterKey is a string of 64 hex characters');
  }
  if (keyFile !== undefined && (typeof keyFile !== 'string' || keyFile === '')) {
    throw new TypeError('createFichier: keyFile is the path of the master key file');
  }
  if (config !== null && typeof config === 'object' && Object.hasOwn(config, 'master_key')) {
    throw new TypeError('createFichier: the master key is a secret: give it as masterKey, not in config');
  }
  if (masterKey !== undefined && !isHexKey(masterKey.trim())) {
    throw new TypeError('createFichier: masterKey must be 64 hexadecimal characters (256 bits)');
  }
  const theClock = toClock(clock);
  createConfig(config); // checks the entries before any file is opened
  // On a SQLite file without masterKey: as the Rust CLI (FICHIER_MASTER_KEY, else the key
  // file), found before the database is opened (or created), as the CLI does.
  const dbPath =
    store !== null && typeof store === 'object' && typeof store.sqlite === 'string' && store.sqlite !== ''
      ? store.sqlite
      : sqlite && store instanceof sqlite.SqliteKv
        ? store.location
        : undefined;
  if (masterKey === undefined && dbPath !== undefined && dbPath !== ':memory:') {
    masterKey = resolveMasterKey(keyFile ?? defaultKeyFile(dbPath));
  } else if (masterKey === undefined && keyFile !== undefined) {
    masterKey = resolveMasterKey(keyFile);
  }
  const entries = { ...config, ...(masterKey === undefined ? {} : { master_key: masterKey.trim() }) };
  const { kv, owned } = openStore(store);
  const imports = {
    ...WASI,
    '../host/kv.js': createKeyValue(kv, { labels }),
    '../host/config.js': createConfig(entries),
    '../host/clock.js': { wallClock: theClock.wallClock() },
  };
  // Batches: a store with transactions (SQLite) runs each call's writes in one.
  const batched = typeof kv.begin === 'function';
  let closed = false;

  /** A fresh instance of the component over this store, configuration and clock. */
  function instantiate() {
    if (closed) throw new FichierCallError('bad-call', 'this fichier is closed');
    try {
      return generated.instantiate(getCoreModule, imports);
    } catch (e) {
      throw new FichierCallError('instantiate', `instantiation failed: ${e?.message ?? e}`, e);
    }
  }

  // The instance a call runs on: a fresh one, or (reuseInstance) the kept one.
  let kept;
  function run(f) {
    const root = reuseInstance ? (kept ??= instantiate()) : instantiate();
    try {
      return f(root);
    } catch (e) {
      // A trap (or a failure half-way through lowering) may leave the instance
      // unusable: never call it again. A WIT error (ComponentError) is an answer.
      if (root === kept && !isComponentError(e)) kept = undefined;
      throw e;
    }
  }

  function commit() {
    try {
      kv.commit();
    } catch (e) {
      kv.rollback();
      throw new FichierCallError('bad-call', `committing the batch: ${e?.message ?? e}`, e);
    }
  }

  // One call: on a store with transactions, its writes in one batch, committed when the
  // call returns (an answer or a WIT error: what a refused call chose to keep, such as a
  // counted identity try, stays) and rolled back when it traps or the host fails — the
  // Rust host's `invoke_batched`. A batch already open (the caller's) is joined.
  function callOn(f) {
    if (closed) throw new FichierCallError('bad-call', 'this fichier is closed');
    if (!batched || kv.inBatch) return run(f);
    try {
      kv.begin();
    } catch (e) {
      throw new FichierCallError('bad-call', `opening a batch: ${e?.message ?? e}`, e);
    }
    let out;
    try {
      out = run(f);
    } catch (e) {
      if (isComponentError(e)) commit();
      else kv.rollback();
      throw e;
    }
    commit();
    return out;
  }

  function lookup(root, iface, fn) {
    const ns = INTERFACES.includes(iface) ? root[kebabToCamel(iface)] : undefined;
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
    if (wit) functionNames(instantiate); // checks the schema once
    const sig = wit?.func(iface, fn);
    let jsArgs;
    if (wit && INTERFACES.includes(iface) && sig) {
      if (sig.params.length !== args.length) {
        throw new FichierCallError(
          'bad-call',
          `${iface}.${fn} takes ${sig.params.length} arguments (${sig.params.map(([n]) => n).join(', ')}), got ${args.length}`,
        );
      }
      try {
        jsArgs = sig.params.map(([name, ty], i) => wit.toJs(iface, ty, args[i], name));
      } catch (e) {
        if (e instanceof ShapeError) throw new FichierCallError('bad-call', e.message, e);
        throw e;
      }
    } else {
      jsArgs = args.map(toJs);
    }
    // The JSON of the function's result (every fichier function returns a `result`;
    // jco returns its ok value and throws its error as ComponentError).
    const lift = (side, v) => {
      if (!sig) return fromJs(v);
      const r = sig.result;
      if (r === null) return null;
      const ty = typeof r === 'object' && 'result' in r ? r.result[side === 'ok' ? 0 : 1] : r;
      return ty === null ? null : wit.fromJs(iface, ty, v);
    };
    let value;
    try {
      value = callOn((root) => {
        const f = lookup(root, iface, fn);
        if (f.length !== jsArgs.length) {
          throw new FichierCallError('bad-call', `${iface}.${fn} takes ${f.length} arguments, got ${jsArgs.length}`);
        }
        return f(...jsArgs);
      });
    } catch (e) {
      if (isComponentError(e)) return { err: lift('err', e.payload) };
      if (e instanceof FichierCallError) throw e;
      // With typed arguments (checked above), anything else is a trap: the guest's own
      // (RuntimeError) or a host function's exception unwinding through it. Without,
      // jco's lowering of a bad argument (TypeError, RangeError) is the likelier cause.
      if (e instanceof WebAssembly.RuntimeError || (sig && wit)) {
        throw new FichierCallError('trap', `the component trapped: ${e?.message ?? e}`, e);
      }
      throw new FichierCallError('bad-call', `${iface}.${fn}: ${e?.message ?? e}`, e);
    }
    const r = sig?.result;
    if (sig && !(r !== null && typeof r === 'object' && 'result' in r)) return lift('ok', value);
    return { ok: lift('ok', value) };
  }

  // The typed interfaces: jco's own functions and values (camelCase, BigInt, a WIT
  // error thrown as ComponentError), each call on a fresh (or the kept) instance.
  const typed = {};
  function typedInterface(iface) {
    if (!typed[iface]) {
      const names = functionNames(instantiate)[iface];
      typed[iface] = Object.freeze(
        Object.fromEntries(
          names.map((name) => [name, (...args) => callOn((root) => root[kebabToCamel(iface)][name](...args))]),
        ),
      );
    }
    return typed[iface];
  }

  /** Close the store if createFichier opened it (a store given to it stays open). */
  function close() {
    if (closed) return;
    closed = true;
    kept = undefined;
    if (owned && typeof kv.close === 'function') kv.close();
  }

  return {
    invoke,
    instantiate,
    close,
    clock: theClock,
    kv,
    get closed() {
      return closed;
    },
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
    get customers() {
      return typedInterface('customers');
    },
    get minimisation() {
      return typedInterface('minimisation');
    },
    get customerImport() {
      return typedInterface('customer-import');
    },
    get registry() {
      return typedInterface('registry');
    },
    get breaches() {
      return typedInterface('breaches');
    },
    get retention() {
      return typedInterface('retention');
    },
    get audit() {
      return typedInterface('audit');
    },
    get rights() {
      return typedInterface('rights');
    },
    get outbox() {
      return typedInterface('outbox');
    },
  };
}
