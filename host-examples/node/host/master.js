// The master key of a SQLite store, found as the Rust CLI finds it
// (host-examples/wasmtime/src/master.rs): `FICHIER_MASTER_KEY` (64 hex characters),
// else a key file — by default next to the database, `<db>.master.key` — created on
// first use with 32 random bytes, hex, mode 0600. The key is never printed or logged:
// errors name the file or the variable, never the content.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Why no master key could be had (the message names the file or variable, not the key). */
export class MasterKeyError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'MasterKeyError';
  }
}

/** Whether `s` is a master key: 64 hexadecimal characters (256 bits). */
export function isHexKey(s) {
  return typeof s === 'string' && /^[0-9a-fA-F]{64}$/.test(s);
}

/** The default key file of a database path: `<db>.master.key`, next to it. */
export function defaultKeyFile(db) {
  if (typeof db !== 'string' || db === '') throw new TypeError('defaultKeyFile: the database path is a non-empty string');
  return join(dirname(db), `${basename(db) || 'fichier.db'}.master.key`);
}

/**
 * The master key (hex): `env.FICHIER_MASTER_KEY` if set, else the content of `keyFile`,
 * which is created (32 random bytes, hex, mode 0600) if absent. A key file others can
 * read is refused, as by the Rust CLI.
 * @param {string} keyFile
 * @param {{env?: Record<string, string | undefined>}} [options] the environment (default `process.env`)
 * @returns {string}
 */
export function resolveMasterKey(keyFile, { env = process.env } = {}) {
  const fromEnv = env.FICHIER_MASTER_KEY;
  if (fromEnv !== undefined) {
    const k = fromEnv.trim();
    if (!isHexKey(k)) throw new MasterKeyError('FICHIER_MASTER_KEY must be 64 hexadecimal characters (256 bits)');
    return k;
  }
  let content;
  try {
    content = readFileSync(keyFile, 'utf8');
  } catch (e) {
    if (e?.code === 'ENOENT') return createKeyFile(keyFile, env);
    throw new MasterKeyError(`reading ${keyFile}: ${e.message}`, { cause: e });
  }
  if (process.platform !== 'win32') {
    const mode = statSync(keyFile).mode;
    if ((mode & 0o077) !== 0) {
      throw new MasterKeyError(`${keyFile} is readable by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 on it`);
    }
  }
  const k = content.trim();
  if (!isHexKey(k)) throw new MasterKeyError(`${keyFile} does not hold a 64-hex-character master key`);
  return k;
}

function createKeyFile(path, env) {
  const hex = randomBytes(32).toString('hex');
  let fd;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    // Another process created it first: use theirs.
    if (e?.code === 'EEXIST') return resolveMasterKey(path, { env });
    throw new MasterKeyError(`creating the master key file ${path}: ${e.message}`, { cause: e });
  }
  try {
    writeSync(fd, hex);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return hex;
}
