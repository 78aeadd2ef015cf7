/** The `wasi:config/store` imports of one instance, over fixed entries. */
export declare function createConfig(entries?: Map<string, string> | Record<string, string> | Iterable<[string, string]>): {
  store: { get(key: string): string | undefined; getAll(): Array<[string, string]> };
};
