// An in-memory `wasi:keyvalue@0.2.0-draft2` host for the fichier component under jco:
// `store`, `atomics` (with compare-and-swap) and `batch`.
//
// The data lives in a `MemoryKv` (labelled buckets whose rows carry a version drawn
// from one counter that only grows), or in a `SqliteKv` (./sqlite.js: the Rust host's
// SQLite files), which has the same methods. `createKeyValue(kv)` builds the three
// interface objects one component instance imports; many instances — one per call —
// share one store, as many Spin instances share one store.
//
// Semantics (the same as the Rust host's MemoryKv in host-examples/wasmtime/src/kv/memory.rs):
// - `open(label)`: the labels the deployment declares (`default`, `keys`); any other
//   label is `access-denied`, as on Spin.
// - `Cas.new(bucket, key)` remembers the version (and value) of the key it saw;
//   `current()` returns that value; `swap(cas, value)` writes only if the key still has
//   that version (or is still absent), else throws `{tag: 'cas-failed', val: <a new Cas
//   at the latest version>}`.
// - `listKeys(cursor)`: keys after `cursor` in key order, `LIST_PAGE` at a time; the
//   response's cursor is the last key of a full page, `undefined` after the last page.
// - Errors are thrown as plain objects (`{tag: 'access-denied'}`, `{tag: 'other', val}`),
//   which jco turns into the WIT `result`'s error; an `Error` thrown from here is a
//   host bug and traps the instance.
// - Values are copied in and out: nothing the guest holds aliases the store.

/** Keys returned by one `listKeys` page. */
export const LIST_PAGE = 1000;

/** The labels Spin's `key_value_stores` declares for fichier. */
export const LABELS = Object.freeze(['default', 'keys']);

/** Labelled in-memory buckets with versioned rows. */
export class MemoryKv {
  /** @type {Map<string, Map<string, {version: number, value: Uint8Array}>>} */
  #buckets = new Map();
  #version = 0;

  /** @param {readonly string[]} [labels] */
  constructor(labels = LABELS) {
    for (const l of labels) this.#buckets.set(l, new Map());
  }

  /** The labels this store serves. */
  labels() {
    return [...this.#buckets.keys()];
  }

  #bucket(label) {
    const b = this.#buckets.get(label);
    if (!b) throw { tag: 'no-such-store' };
    return b;
  }

  /** The row of `key` (`{version, value}`, value copied) or `undefined`. */
  read(label, key) {
    const row = this.#bucket(label).get(key);
    return row && { version: row.version, value: row.value.slice() };
  }

  write(label, key, value) {
    this.#bucket(label).set(key, { version: ++this.#version, value: Uint8Array.from(value) });
  }

  remove(label, key) {
    this.#bucket(label).delete(key);
  }

  /** Keys after `cursor` (all keys when `undefined`), sorted, at most `LIST_PAGE`. */
  keysAfter(label, cursor) {
    const keys = [...this.#bucket(label).keys()].filter((k) => cursor === undefined || k > cursor);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.slice(0, LIST_PAGE);
  }

  /** Write if the row is still at `seen` (`undefined`: still absent); false when lost. */
  swapIf(label, key, seen, value) {
    if (this.#bucket(label).get(key)?.version !== seen) return false;
    this.write(label, key, value);
    return true;
  }

  increment(label, key, delta) {
    const row = this.#bucket(label).get(key);
    let n = 0n;
    if (row) {
      const s = new TextDecoder().decode(row.value);
      if (!/^[+-]?\d+$/.test(s)) throw { tag: 'other', val: `value of ${key} is not an integer` };
      n = BigInt(s);
    }
    const next = n + BigInt(delta);
    if (next !== BigInt.asIntN(64, next)) throw { tag: 'other', val: 'increment overflows' };
    this.write(label, key, new TextEncoder().encode(next.toString()));
    return next;
  }

  /** Every row, for tests and debugging: `{label: {key: Uint8Array}}`. */
  dump() {
    const out = {};
    for (const [l, b] of this.#buckets) out[l] = Object.fromEntries([...b].map(([k, r]) => [k, r.value.slice()]));
    return out;
  }
}

const KV = Symbol('fichier.kv');
const LABEL = Symbol('fichier.label');

/** An open bucket: the store and the label. */
export class Bucket {
  constructor(kv, label) {
    this[KV] = kv;
    this[LABEL] = label;
  }

  /** @returns {Uint8Array | undefined} */
  get(key) {
    return this[KV].read(this[LABEL], key)?.value;
  }

  set(key, value) {
    this[KV].write(this[LABEL], key, value);
  }

  delete(key) {
    this[KV].remove(this[LABEL], key);
  }

  exists(key) {
    return this[KV].read(this[LABEL], key) !== undefined;
  }

  listKeys(cursor) {
    const keys = this[KV].keysAfter(this[LABEL], cursor ?? undefined);
    return { keys, cursor: keys.length === LIST_PAGE ? keys[keys.length - 1] : undefined };
  }
}

/** A compare-and-swap handle: the key and the row it saw. */
export class Cas {
  constructor(bucket, key, seen) {
    this.bucket = bucket;
    this.key = key;
    /** @type {{version: number, value: Uint8Array} | undefined} */
    this.seen = seen;
  }

  static new(bucket, key) {
    if (!(bucket instanceof Bucket)) throw new TypeError('Cas.new: not a Bucket');
    return new Cas(bucket, key, bucket[KV].read(bucket[LABEL], key));
  }

  /** The value the handle saw when it was made. */
  current() {
    return this.seen?.value.slice();
  }
}

function swap(cas, value) {
  const { bucket, key, seen } = cas;
  const kv = bucket[KV];
  let won;
  try {
    won = kv.swapIf(bucket[LABEL], key, seen?.version, value);
  } catch (e) {
    if (e instanceof Error) throw e;
    throw { tag: 'store-error', val: e };
  }
  if (!won) {
    // A fresh handle at the latest version, as the interface requires.
    throw { tag: 'cas-failed', val: new Cas(bucket, key, kv.read(bucket[LABEL], key)) };
  }
}

function increment(bucket, key, delta) {
  return bucket[KV].increment(bucket[LABEL], key, delta);
}

function getMany(bucket, keys) {
  return keys.map((k) => [k, bucket.get(k)]);
}

function setMany(bucket, keyValues) {
  for (const [k, v] of keyValues) bucket.set(k, v);
}

function deleteMany(bucket, keys) {
  for (const k of keys) bucket.delete(k);
}

/**
 * The `wasi:keyvalue` imports of one component instance over `kv`.
 * @param {MemoryKv | import("./sqlite.js").SqliteKv} kv the store (any object with MemoryKv's methods)
 * @param {{labels?: readonly string[]}} [options] labels the deployment declares
 */
export function createKeyValue(kv, { labels = LABELS } = {}) {
  const declared = new Set(labels);
  return {
    store: {
      Bucket,
      open(identifier) {
        if (!declared.has(identifier)) throw { tag: 'access-denied' };
        if (!kv.labels().includes(identifier)) throw { tag: 'no-such-store' };
        return new Bucket(kv, identifier);
      },
    },
    atomics: { Cas, swap, increment },
    batch: { getMany, setMany, deleteMany },
  };
}
