// A `wasi:config/store@0.2.0-draft-2024-09-27` host: read-only entries from a map,
// one map per component instance (the fichier component reads `master_key`).

/**
 * The `wasi:config` imports of one instance.
 * @param {Map<string, string> | Record<string, string> | Iterable<[string, string]>} entries
 */
export function createConfig(entries = {}) {
  const map =
    entries instanceof Map
      ? new Map(entries)
      : Symbol.iterator in Object(entries)
        ? new Map(entries)
        : new Map(Object.entries(entries));
  for (const [k, v] of map) {
    if (typeof k !== 'string' || typeof v !== 'string') {
      throw new TypeError(`wasi:config entries are strings; ${String(k)} is not`);
    }
  }
  return {
    store: {
      /** @returns {string | undefined} */
      get(key) {
        return map.get(key);
      },
      /** @returns {Array<[string, string]>} */
      getAll() {
        return [...map];
      },
    },
  };
}
