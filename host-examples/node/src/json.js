// JSON <-> jco values, with the JSON conventions of the Rust host's `invoke`
// (host-examples/wasmtime/src/dynamic.rs) and of the conformance cases:
//
//   WIT            JSON (this file's "wire" side)        jco (JS side)
//   record         object, kebab-case field names        object, camelCase field names
//   variant        {"tag": "case", "val": payload}       {tag: 'case', val: payload}
//                  {"tag": "case"} (no payload)          {tag: 'case'}
//   enum           "case"                                'case'
//   option<T>      null or the value                     undefined or the value
//   u64 / s64      number                                BigInt
//   list<u8>       array of numbers                      Uint8Array
//   list, tuple    array                                 Array
//   result<T, E>   {"ok": T} / {"err": E}                T returned / ComponentError thrown
//                                                        (top level; see index.js)
//
// This conversion is structural, not driven by the WIT types; `invoke` uses it only
// when gen/schema.json is missing (src/wit.js converts by type otherwise). It relies on
// two facts of WIT that make it exact for the fichier interfaces:
// - identifiers are kebab-case words, each `[a-z][a-z0-9]*` (or all upper case, which
//   fichier never uses), so jco's camelCase is undone exactly by `camelToKebab`;
// - an object whose only keys are `tag` and `val` is a variant (no fichier record has
//   a field named `tag`).
// What it cannot see, and the Rust host rejects: a record field the WIT does not have,
// an integer out of its type's range (jco ignores the one and wraps the other).

/** `user-agent-sha256` -> `userAgentSha256` (jco's rule). */
export function kebabToCamel(s) {
  return s.replace(/-([a-zA-Z0-9])/g, (_, c) => c.toUpperCase());
}

/** `userAgentSha256` -> `user-agent-sha256`. */
export function camelToKebab(s) {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

function isVariant(o) {
  const keys = Object.keys(o);
  return typeof o.tag === 'string' && keys.every((k) => k === 'tag' || k === 'val');
}

/** A JSON argument -> the value jco expects. */
export function toJs(v) {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(toJs);
  if (isPlainObject(v)) {
    if (isVariant(v)) return 'val' in v ? { tag: v.tag, val: toJs(v.val) } : { tag: v.tag };
    const out = {};
    for (const [k, x] of Object.entries(v)) out[kebabToCamel(k)] = toJs(x);
    return out;
  }
  return v;
}

/** A value jco returned -> JSON (plain objects, arrays, strings, numbers, booleans, null). */
export function fromJs(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`integer ${v} does not fit a JSON number exactly`);
    }
    return Number(v);
  }
  if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (typeof x === 'bigint' ? Number(x) : x));
  if (Array.isArray(v)) return v.map(fromJs);
  if (typeof v === 'object') {
    if (isVariant(v)) return Object.hasOwn(v, 'val') ? { tag: v.tag, val: fromJs(v.val) } : { tag: v.tag };
    const out = {};
    for (const [k, x] of Object.entries(v)) out[camelToKebab(k)] = fromJs(x);
    return out;
  }
  return v;
}
