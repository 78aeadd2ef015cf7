// A SQLite `wasi:keyvalue@0.2.0-draft2` store for the fichier component, on
// better-sqlite3: the same files, layout and semantics as the Rust host's `SqliteKv`
// (host-examples/wasmtime/src/kv/file.rs), so that one database is used by the Rust CLI and
// by Node in turn (with the same master key).
//
// - One file per label: `<db>` for `default`, `<stem>.keys.<ext>` for `keys`
//   (`storeFiles`), so the data file holds no key.
// - In each file: `kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT
//   NULL, version INTEGER NOT NULL)` and `meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL)
//   WITHOUT ROWID` whose row `version` is the file's version counter; a file of the first
//   layout (`kv` WITHOUT ROWID) is migrated on open, as the Rust host does.
// - WAL, `synchronous = FULL`, `page_size = 16384` (new files), `secure_delete = FAST`,
//   a 32 MiB page cache, a 10 s busy timeout (`busyTimeout`); new files are created
//   with mode 0600.
// - Every write draws the next version of its file; a compare-and-swap commits only if
//   the row still has the version its handle saw (or is still absent); `keysAfter` pages
//   `LIST_PAGE` keys in key order; `increment` reads a decimal i64.
// - Outside a batch every write is its own transaction. `begin()` opens one transaction
//   per file (BEGIN IMMEDIATE); `commit()` commits them, the keys file first (committed
//   data always finds its key); `rollback()` abandons them. createFichier runs each call
//   in one batch, as the Rust host's `invoke_batched`.
// - SQLite failures are thrown as the WIT error `{tag: 'other', val: 'sqlite: …'}`, as
//   the Rust host maps them; an `Error` thrown from here is a host bug and traps.
//
// The store holds what the component gives it (sealed records, per-subject keys) and
// never logs a key or a value.

import { closeSync, existsSync, openSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

import Database from 'better-sqlite3';

import { LABELS, LIST_PAGE } from './kv.js';

/** The in-memory SQLite path (one private database per label, gone at close). */
export const SQLITE_MEMORY = ':memory:';

const KV_COLUMNS =
  '(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL, version INTEGER NOT NULL)';

/**
 * The files a database path stands for, as the Rust CLI's `--db PATH`: the data file
 * itself (`default`) and `<stem>.keys.<ext>` (`keys`) next to it.
 * @param {string} db
 * @returns {Array<[string, string]>}
 */
export function storeFiles(db) {
  if (typeof db !== 'string' || db === '') throw new TypeError('storeFiles: the database path is a non-empty string');
  if (db === SQLITE_MEMORY) return [['default', db], ['keys', db]];
  const name = basename(db);
  const ext = extname(name);
  // As Rust's Path::file_stem / extension: a leading dot alone is no extension.
  const hasExt = ext !== '' && ext !== name;
  const stem = hasExt ? name.slice(0, -ext.length) : name;
  return [
    ['default', db],
    ['keys', join(dirname(db), `${stem || 'fichier'}.keys.${hasExt ? ext.slice(1) : 'db'}`)],
  ];
}

/** A SQLite failure as the WIT `wasi:keyvalue/store.error`. */
function storeError(e) {
  if (e instanceof Database.SqliteError) return { tag: 'other', val: `sqlite: ${e.message}` };
  return e;
}

/** Run `f`, throwing a SQLite failure as the WIT error. */
function guarded(f) {
  try {
    return f();
  } catch (e) {
    throw storeError(e);
  }
}

/** A Buffer over the bytes (no copy): what better-sqlite3 binds as a BLOB. */
function blob(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(Uint8Array.from(value));
}

function toBigInt(n) {
  return typeof n === 'bigint' ? n : BigInt(n);
}

/** One open file: its connection, its prepared statements and its batch counter. */
class File {
  /**
   * @param {string} path
   * @param {number} busyTimeout milliseconds to wait for another connection's lock
   */
  constructor(path, busyTimeout) {
    this.path = path;
    if (path !== SQLITE_MEMORY && !existsSync(path)) {
      // Personal data is sealed, but the files are still the shop's: owner-only (SQLite
      // gives its -wal and -shm files the same mode).
      try {
        closeSync(openSync(path, 'wx', 0o600));
      } catch (e) {
        if (e?.code !== 'EEXIST') throw new Error(`creating ${path}: ${e.message}`, { cause: e });
      }
    }
    const db = new Database(path, { timeout: busyTimeout });
    this.db = db;
    try {
      this.#setUp();
    } catch (e) {
      db.close();
      throw e;
    }
    /** The version counter of the open batch (written back once, at commit). */
    this.batch = undefined;
  }

  #setUp() {
    const { db } = this;
    // Integers come back as BigInt: versions and counters are i64.
    db.defaultSafeIntegers(true);
    // 16 KiB pages for a new file (an existing one keeps its own).
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -32768');
    // Deleted and overwritten rows are zeroed in their page.
    db.pragma('secure_delete = FAST');
    db.exec(`CREATE TABLE IF NOT EXISTS kv ${KV_COLUMNS};
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT OR IGNORE INTO meta (name, n) VALUES ('version', 0);`);
    migrateClustered(db);
    this.stmt = {
      get: db.prepare('SELECT version, value FROM kv WHERE key = ?'),
      put: db.prepare(`INSERT INTO kv (key, value, version) VALUES (?, ?, ?)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version`),
      insertIfAbsent: db.prepare('INSERT INTO kv (key, value, version) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING'),
      updateAt: db.prepare('UPDATE kv SET value = ?, version = ? WHERE key = ? AND version = ?'),
      delete: db.prepare('DELETE FROM kv WHERE key = ?'),
      after: db.prepare('SELECT key FROM kv WHERE key > ? ORDER BY key LIMIT ?').pluck(),
      bump: db.prepare("UPDATE meta SET n = n + 1 WHERE name = 'version' RETURNING n").pluck(),
      counter: db.prepare("SELECT n FROM meta WHERE name = 'version'").pluck(),
      setCounter: db.prepare("UPDATE meta SET n = ? WHERE name = 'version'"),
    };
  }

  nextVersion() {
    if (this.batch) return ++this.batch.version;
    return toBigInt(this.stmt.bump.get());
  }

  /** Run `f` in a transaction of its own (committed unless it returns false), or in the open batch. */
  withTx(f) {
    const { db } = this;
    if (db.inTransaction) return f();
    // SQLite ends a transaction by itself after some failures (I/O, full disk): the
    // batch's earlier writes are gone, and later ones must not commit without them.
    if (this.batch) throw { tag: 'other', val: 'sqlite: the batch was rolled back after a failure' };
    db.exec('BEGIN IMMEDIATE');
    let out;
    try {
      out = f();
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
    if (out === false) {
      if (db.inTransaction) db.exec('ROLLBACK');
      return out;
    }
    try {
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
    return out;
  }

  writeRow(key, value) {
    this.stmt.put.run(key, blob(value), this.nextVersion());
  }
}

/** Bring a file of the first layout (`WITHOUT ROWID`) to the rowid table, in one transaction. */
function migrateClustered(db) {
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'kv'").pluck().get();
  if (typeof sql !== 'string' || !sql.toUpperCase().includes('WITHOUT ROWID')) return;
  db.transaction(() => {
    db.exec(`CREATE TABLE kv_rowid ${KV_COLUMNS};
      INSERT INTO kv_rowid (key, value, version) SELECT key, value, version FROM kv ORDER BY key;
      DROP TABLE kv;
      ALTER TABLE kv_rowid RENAME TO kv;`);
  }).immediate();
}

/**
 * Labelled buckets in SQLite files, with the interface of `MemoryKv` (./kv.js) plus
 * batches (`begin`, `commit`, `rollback`) and `close`.
 */
export class SqliteKv {
  /** @type {Map<string, File>} */
  #files = new Map();
  #db;

  /**
   * Open (creating if needed) the files of `db` (see `storeFiles`); `':memory:'` gives
   * one in-memory database per label.
   * @param {string} db
   * @param {{busyTimeout?: number}} [options] how long a write waits for another
   *   connection's lock, in ms (default 10 000, as the Rust host); then it fails.
   */
  constructor(db, { busyTimeout = 10_000 } = {}) {
    if (!Number.isSafeInteger(busyTimeout) || busyTimeout < 0) {
      throw new TypeError('SqliteKv: busyTimeout is a number of milliseconds (0 or more)');
    }
    const files = storeFiles(db);
    this.#db = db;
    try {
      for (const [label, path] of files) this.#files.set(label, new File(path, busyTimeout));
    } catch (e) {
      for (const f of this.#files.values()) f.db.close();
      this.#files.clear();
      throw new Error(`opening ${db}: ${e.message}`, { cause: e });
    }
  }

  /** The database path it was opened with. */
  get location() {
    return this.#db;
  }

  /** The file behind a label. */
  path(label) {
    return this.#files.get(label)?.path;
  }

  /** The labels this store serves. */
  labels() {
    return [...this.#files.keys()];
  }

  /** Whether the files are open. */
  get open() {
    return this.#files.size > 0 && [...this.#files.values()].every((f) => f.db.open);
  }

  #file(label) {
    const f = this.#files.get(label);
    if (!f) throw { tag: 'no-such-store' };
    if (!f.db.open) throw { tag: 'other', val: 'the store is closed' };
    return f;
  }

  /** The row of `key` (`{version, value}`) or `undefined`. */
  read(label, key) {
    const f = this.#file(label);
    return guarded(() => {
      const row = f.stmt.get.get(key);
      return row && { version: Number(row.version), value: new Uint8Array(row.value) };
    });
  }

  write(label, key, value) {
    const f = this.#file(label);
    guarded(() => f.withTx(() => f.writeRow(key, value)));
  }

  remove(label, key) {
    const f = this.#file(label);
    guarded(() => f.withTx(() => f.stmt.delete.run(key)));
  }

  /** Keys after `cursor` (all keys when `undefined`), in key order, at most `LIST_PAGE`. */
  keysAfter(label, cursor) {
    const f = this.#file(label);
    return guarded(() => f.stmt.after.all(cursor ?? '', LIST_PAGE));
  }

  /** Write if the row is still at `seen` (`undefined`: still absent); false when lost. */
  swapIf(label, key, seen, value) {
    const f = this.#file(label);
    return guarded(() =>
      f.withTx(() => {
        const v = f.nextVersion();
        const r =
          seen === undefined
            ? f.stmt.insertIfAbsent.run(key, blob(value), v)
            : f.stmt.updateAt.run(blob(value), v, key, BigInt(seen));
        return r.changes === 1;
      }),
    );
  }

  increment(label, key, delta) {
    const f = this.#file(label);
    return guarded(() =>
      f.withTx(() => {
        const row = f.stmt.get.get(key);
        let n = 0n;
        if (row) {
          const s = Buffer.from(row.value).toString('utf8');
          if (!/^[+-]?\d+$/.test(s) || BigInt(s) !== BigInt.asIntN(64, BigInt(s))) {
            throw { tag: 'other', val: `value of ${key} is not an integer` };
          }
          n = BigInt(s);
        }
        const next = n + BigInt(delta);
        if (next !== BigInt.asIntN(64, next)) throw { tag: 'other', val: 'increment overflows' };
        f.writeRow(key, Buffer.from(next.toString(), 'utf8'));
        return next;
      }),
    );
  }

  /** Whether a batch is open. */
  get inBatch() {
    return [...this.#files.values()].some((f) => f.batch !== undefined);
  }

  /**
   * Open a batch: every write until `commit` joins one transaction per file. Throws
   * (an Error) when a file cannot join; then none is left in a transaction.
   */
  begin() {
    try {
      for (const f of this.#files.values()) {
        if (!f.db.open) throw new Error('the store is closed');
        if (f.db.inTransaction) continue;
        f.db.exec('BEGIN IMMEDIATE');
        const n = toBigInt(f.stmt.counter.get());
        f.batch = { start: n, version: n };
      }
    } catch (e) {
      this.rollback();
      throw e;
    }
  }

  /**
   * Commit the open batch, the keys file first. On a failure the files not yet
   * committed are rolled back and the error is thrown.
   */
  commit() {
    const order = ['keys', 'default', ...this.#files.keys()].filter((l, i, a) => a.indexOf(l) === i);
    try {
      // A file whose transaction SQLite ended by itself (after an I/O error, a full disk)
      // lost the batch's writes: commit none of the others without them.
      for (const [label, f] of this.#files) {
        if (f.batch && !(f.db.open && f.db.inTransaction)) {
          throw new Error(`the batch on ${label} was rolled back by SQLite after a failure`);
        }
      }
      for (const label of order) {
        const f = this.#files.get(label);
        if (!f || !f.db.open || !f.db.inTransaction) continue;
        const b = f.batch;
        f.batch = undefined;
        // The counter only when it moved (the Rust host writes it back always: same value).
        if (b && b.version !== b.start) f.stmt.setCounter.run(b.version);
        f.db.exec('COMMIT');
      }
    } catch (e) {
      this.rollback();
      throw e;
    }
  }

  /** Abandon the open batch. */
  rollback() {
    for (const f of this.#files.values()) {
      f.batch = undefined;
      if (f.db.open && f.db.inTransaction) {
        try {
          f.db.exec('ROLLBACK');
        } catch {
          // SQLite already rolled it back (e.g. after an I/O error)
        }
      }
    }
  }

  /** Every row, for tests and debugging: `{label: {key: Uint8Array}}`. */
  dump() {
    const out = {};
    for (const [label, f] of this.#files) {
      out[label] = Object.fromEntries(
        f.db.prepare('SELECT key, value FROM kv ORDER BY key').raw().all().map(([k, v]) => [k, new Uint8Array(v)]),
      );
    }
    return out;
  }

  /** Close the files (an open batch is rolled back). Closing twice does nothing. */
  close() {
    this.rollback();
    for (const f of this.#files.values()) if (f.db.open) f.db.close();
  }
}

export { LABELS, LIST_PAGE };
