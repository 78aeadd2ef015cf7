/** An in-memory `wasi:keyvalue@0.2.0-draft2` host (store, atomics, batch). */

export declare const LIST_PAGE: number;
export declare const LABELS: readonly string[];

/** The WIT `wasi:keyvalue/store.error`, thrown as a plain object. */
export type KvError = { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };

/** What `createKeyValue` needs of a store: `MemoryKv` here, `SqliteKv` in ./sqlite.js. */
export interface KvStore {
  labels(): string[];
  read(label: string, key: string): { version: number; value: Uint8Array } | undefined;
  write(label: string, key: string, value: Uint8Array): void;
  remove(label: string, key: string): void;
  keysAfter(label: string, cursor: string | undefined): string[];
  swapIf(label: string, key: string, seen: number | undefined, value: Uint8Array): boolean;
  increment(label: string, key: string, delta: bigint): bigint;
}

/** Labelled in-memory buckets with versioned rows, shared by the instances that use it. */
export interface MemoryKv extends KvStore {}
export declare class MemoryKv {
  constructor(labels?: readonly string[]);
  /** Every row: `{label: {key: value}}`. */
  dump(): Record<string, Record<string, Uint8Array>>;
}

export declare class Bucket {
  private constructor();
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
  exists(key: string): boolean;
  listKeys(cursor: string | undefined): { keys: string[]; cursor?: string };
}

export declare class Cas {
  private constructor();
  static new(bucket: Bucket, key: string): Cas;
  current(): Uint8Array | undefined;
}

/** The `wasi:keyvalue` imports of one component instance over `kv`. */
export declare function createKeyValue(
  kv: KvStore,
  options?: { labels?: readonly string[] },
): {
  store: { Bucket: typeof Bucket; open(identifier: string): Bucket };
  atomics: { Cas: typeof Cas; swap(cas: Cas, value: Uint8Array): void; increment(bucket: Bucket, key: string, delta: bigint): bigint };
  batch: {
    getMany(bucket: Bucket, keys: string[]): Array<[string, Uint8Array | undefined]>;
    setMany(bucket: Bucket, keyValues: Array<[string, Uint8Array]>): void;
    deleteMany(bucket: Bucket, keys: string[]): void;
  };
};
