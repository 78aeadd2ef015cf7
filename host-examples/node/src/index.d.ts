// Types of @fichier/node. The interface types (Actor, PurposeInput, Receipt, …) are the
// ones jco generates from the component's WIT into gen/ (`npm run transpile`).

import type * as Types from '../gen/interfaces/fichier-client-types.js';
import type * as Consent from '../gen/interfaces/fichier-client-consent.js';
import type * as Ledger from '../gen/interfaces/fichier-client-ledger.js';
import type * as Settings from '../gen/interfaces/fichier-client-settings.js';
import type * as Maintenance from '../gen/interfaces/fichier-client-maintenance.js';
import type * as Customers from '../gen/interfaces/fichier-client-customers.js';
import type * as Minimisation from '../gen/interfaces/fichier-client-minimisation.js';
import type * as CustomerImport from '../gen/interfaces/fichier-client-customer-import.js';
import type * as Registry from '../gen/interfaces/fichier-client-registry.js';
import type * as Retention from '../gen/interfaces/fichier-client-retention.js';
import type * as Audit from '../gen/interfaces/fichier-client-audit.js';
import type * as Rights from '../gen/interfaces/fichier-client-rights.js';
import type * as Outbox from '../gen/interfaces/fichier-client-outbox.js';
import type * as Breaches from '../gen/interfaces/fichier-client-breaches.js';
import type { Root } from '../gen/fichier_guest.js';
import type { Clock } from '../host/clock.js';
import type { MemoryKv } from '../host/kv.js';
import type { SqliteKv as SqliteKvClass } from '../host/sqlite.js';

export type { Types, Consent, Ledger, Settings, Maintenance, Customers, Minimisation, CustomerImport, Registry, Breaches, Retention, Audit, Rights, Outbox, Root };
export { Clock } from '../host/clock.js';
export { MemoryKv } from '../host/kv.js';
export { MasterKeyError, defaultKeyFile, resolveMasterKey } from '../host/master.js';

/** The SQLite store (`@fichier/node/host/sqlite.js`); `undefined` when better-sqlite3 cannot load. */
export declare const SqliteKv: typeof SqliteKvClass | undefined;

/** A JSON value, as the conformance cases and the Rust host's `invoke` write WIT values. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON of a WIT `result`. */
export type JsonResult = { ok: Json } | { err: Json };

/** The interfaces of fichier:client@0.1.0 that hold functions. */
export declare const INTERFACES: readonly [
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
];
export type InterfaceName = (typeof INTERFACES)[number];

/**
 * The component's functions with jco's values (camelCase fields, `undefined` for none,
 * BigInt for 64-bit integers; a WIT error thrown as `ComponentError`): every function
 * of each exported interface, typed by the declarations jco generates from the WIT.
 * Each call runs on a fresh instance (or the kept one, `reuseInstance`).
 */
export type ConsentApi = typeof Consent;
export type LedgerApi = typeof Ledger;
export type SettingsApi = typeof Settings;
export type MaintenanceApi = typeof Maintenance;
export type CustomersApi = typeof Customers;
export type MinimisationApi = typeof Minimisation;
export type CustomerImportApi = typeof CustomerImport;
export type RegistryApi = typeof Registry;
export type BreachesApi = typeof Breaches;
export type RetentionApi = typeof Retention;
export type AuditApi = typeof Audit;
export type RightsApi = typeof Rights;
export type OutboxApi = typeof Outbox;

/** A store: in memory, or SQLite files shared with the Rust host. */
export type FichierStore =
  /** a new empty in-memory store */
  | 'memory'
  /** an in-memory store shared with another `createFichier` */
  | MemoryKv
  /** the SQLite files of the Rust CLI's `--db PATH` (`<db>` and `<stem>.keys.<ext>`), or `':memory:'`; `close()` closes them */
  | { sqlite: string }
  /** an open SQLite store, shared; its owner closes it */
  | SqliteKvClass;

export interface FichierOptions {
  /** `'memory'` (default), a `MemoryKv`, `{sqlite: '/path/fichier.db'}` or a `SqliteKv`. */
  store?: FichierStore;
  /**
   * 64 hex characters, read by the component as the `wasi:config` key `master_key`.
   * Without it, on a SQLite file: `FICHIER_MASTER_KEY`, else the key file (`keyFile`,
   * default `<db>.master.key`, created with 32 random bytes, mode 0600), as the Rust CLI.
   */
  masterKey?: string;
  /** The master key file of a SQLite store (the Rust CLI's `--key-file`). */
  keyFile?: string;
  /** The wall clock: pinned (RFC 3339, Date, epoch ms), a `Clock` to move, or `'system'` (default). */
  clock?: string | Date | number | Clock | 'system';
  /** Further `wasi:config` entries. */
  config?: Record<string, string>;
  /** Key-value labels the deployment declares (default `['default', 'keys']`). */
  labels?: readonly string[];
  /**
   * Keep one instance and reuse it for every call (faster), replacing it after a trap.
   * Default `false`: a fresh instance per call, as the Rust host does.
   */
  reuseInstance?: boolean;
}

export interface Fichier {
  /**
   * Call `<interface>.<function>` (kebab-case, e.g. `'consent', 'record-decision'`) with
   * JSON arguments in parameter order. Returns `{ok}` or `{err}` (the WIT `error` as
   * `{tag, val}`); throws `FichierCallError` when the call could not run (bad arguments,
   * a trap). On SQLite the call's writes are one transaction, committed when it returns
   * (`ok` or `err`) and rolled back when it traps; the typed functions do the same.
   */
  // (`args` is `unknown[]`, not `Json[]`: a value of jco's interface types, such as
  // `Types.Actor`, is JSON too when its fields are; invoke checks every argument against
  // the WIT types at run time.)
  invoke(iface: InterfaceName | string, fn: string, args?: readonly unknown[]): JsonResult;
  /**
   * A new instance of the component over this store, configuration and clock. Its calls
   * run outside batches: on SQLite each write commits on its own.
   */
  instantiate(): Root;
  /** The wall clock the component reads (move it with `clock.set(…)`). */
  readonly clock: Clock;
  /** The store. */
  readonly kv: MemoryKv | SqliteKvClass;
  /** Close the store if `createFichier` opened it; later calls throw `FichierCallError`. */
  close(): void;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  readonly consent: ConsentApi;
  readonly ledger: LedgerApi;
  readonly settings: SettingsApi;
  readonly maintenance: MaintenanceApi;
  readonly customers: CustomersApi;
  readonly minimisation: MinimisationApi;
  readonly customerImport: CustomerImportApi;
  readonly registry: RegistryApi;
  readonly breaches: BreachesApi;
  readonly retention: RetentionApi;
  readonly audit: AuditApi;
  readonly rights: RightsApi;
  readonly outbox: OutboxApi;
}

export declare function createFichier(options?: FichierOptions): Fichier;

/** Why a call did not produce the component's answer. */
export declare class FichierCallError extends Error {
  readonly kind: 'trap' | 'instantiate' | 'bad-call';
  constructor(kind: 'trap' | 'instantiate' | 'bad-call', message: string, cause?: unknown);
}

/** jco's error for a WIT `result` error: the error value is `payload`. */
export interface ComponentError extends Error {
  readonly payload: Types.Error;
}
export declare function isComponentError(e: unknown): e is ComponentError;

/** Whether `invoke` checks arguments by the WIT types (gen/schema.json was generated). */
export declare const TYPED_INVOKE: boolean;

/** Why a JSON argument does not fit its WIT type (the `cause` of a bad-call). */
export declare class ShapeError extends Error {
  readonly path: string;
  readonly expected: string;
}

/** Structural JSON (kebab-case, null, numbers) -> jco values (camelCase, undefined). */
export declare function toJs(v: Json): unknown;
/** jco values -> JSON. */
export declare function fromJs(v: unknown): Json;
export declare function kebabToCamel(s: string): string;
export declare function camelToKebab(s: string): string;
