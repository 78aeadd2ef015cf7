/** The master key of a SQLite store, found as the Rust CLI finds it. */

export declare class MasterKeyError extends Error {}

/** Whether `s` is 64 hexadecimal characters. */
export declare function isHexKey(s: unknown): s is string;

/** `<db>.master.key`, next to the database. */
export declare function defaultKeyFile(db: string): string;

/**
 * `env.FICHIER_MASTER_KEY` (default `process.env`), else the content of `keyFile`,
 * created with 32 random bytes (hex, mode 0600) if absent.
 */
export declare function resolveMasterKey(keyFile: string, options?: { env?: Record<string, string | undefined> }): string;
