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

export type { Types, Consent, Ledger, Settings, Maintenance, Customers, Minimisation, CustomerImport, Registry, Breaches, Retention, Audit, Rights, Outbox, Root };
export { Clock } from '../host/clock.js';
export { MemoryKv } from '../host/kv.js';

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

/** The component's functions with jco's values; every call runs on a fresh instance. */
export type ConsentApi = Pick<typeof Consent, 'declarePurpose' | 'listPurposes' | 'registerNotice' | 'getNotice' | 'listNotices' | 'recordDecision' | 'status' | 'history'>;
export type LedgerApi = Pick<typeof Ledger, 'verify' | 'takeAnchor' | 'listAnchors'>;
export type SettingsApi = Pick<typeof Settings, 'getPolicy' | 'setPolicy' | 'policyHistory'>;
export type MaintenanceApi = Pick<typeof Maintenance, 'reindex' | 'listSubjects'>;
export type CustomersApi = Pick<typeof Customers, 'create' | 'get' | 'rectify' | 'history' | 'delete' | 'listCustomers' | 'findDuplicates' | 'merge' | 'review' | 'markBounced' | 'reverify' | 'recordEvent' | 'archived'>;
export type MinimisationApi = Pick<typeof Minimisation, 'checkForm' | 'checkRecord' | 'scanText'>;
export type CustomerImportApi = Pick<typeof CustomerImport, 'begin' | 'feed' | 'report'>;
export type RegistryApi = Pick<typeof Registry, 'getOrganisation' | 'setOrganisation' | 'putActivity' | 'getActivity' | 'listActivities' | 'retireActivity' | 'history' | 'loadShopDefaults' | 'export' | 'check' | 'assistBasis' | 'generateNotice'>;
export type BreachesApi = Pick<typeof Breaches, 'recordBreach' | 'updateBreach' | 'notifyCnil' | 'informPeople' | 'getBreach' | 'listBreaches'>;
export type RetentionApi = Pick<typeof Retention, 'sweep'>;
export type AuditApi = Pick<typeof Audit, 'verify' | 'entries' | 'prune'>;
export type RightsApi = Pick<typeof Rights, 'newRequest' | 'step' | 'getRequest' | 'listRequests'>;
export type OutboxApi = Pick<typeof Outbox, 'pending' | 'ack'>;

export interface FichierOptions {
  /** `'memory'` (default): a new empty store; or a `MemoryKv` shared with another instance. */
  store?: 'memory' | MemoryKv;
  /** 64 hex characters, read by the component as the `wasi:config` key `master_key`. */
  masterKey?: string;
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
   * a trap).
   */
  invoke(iface: InterfaceName | string, fn: string, args?: Json[]): JsonResult;
  /** A new instance of the component over this store, configuration and clock. */
  instantiate(): Root;
  /** The wall clock the component reads (move it with `clock.set(…)`). */
  readonly clock: Clock;
  /** The store. */
  readonly kv: MemoryKv;
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
