/** A SQLite `wasi:keyvalue@0.2.0-draft2` store with the Rust host's files and semantics. */

import type { KvStore } from './kv.js';

export declare const LIST_PAGE: number;
export declare const LABELS: readonly string[];
/** The in-memory SQLite path. */
export declare const SQLITE_MEMORY: ':memory:';

/** The files of a database path: `[['default', db], ['keys', '<stem>.keys.<ext>']]`. */
export declare function storeFiles(db: string): Array<[string, string]>;

/** Labelled buckets in SQLite files (one per label), with versioned rows and batches. */
export interface SqliteKv extends KvStore {}
export declare class SqliteKv {
  /** Open (creating with mode 0600 if needed) the files of `db`, or `':memory:'`. */
  constructor(db: string, options?: { busyTimeout?: number });
  /** The database path it was opened with. */
  readonly location: string;
  /** Whether the files are open. */
  readonly open: boolean;
  /** Whether a batch is open. */
  readonly inBatch: boolean;
  /** The file behind a label. */
  path(label: string): string | undefined;
  /** Open a batch: one transaction per file until `commit` or `rollback`. */
  begin(): void;
  /** Commit the batch, the keys file first. */
  commit(): void;
  /** Abandon the batch. */
  rollback(): void;
  /** Every row: `{label: {key: value}}`. */
  dump(): Record<string, Record<string, Uint8Array>>;
  /** Close the files (an open batch is rolled back). */
  close(): void;
}
