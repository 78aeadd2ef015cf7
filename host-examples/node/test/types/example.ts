// A small TypeScript program using @fichier/node: `tsc --noEmit` must accept it
// (test/types.test.js). Its `@ts-expect-error` lines must be errors: if the package's
// types went loose (`any`) or stale, they would not be, and tsc fails on the unused
// directive. The type-level checks below tie the package's typed interfaces to the
// declarations jco generates from the component's WIT (gen/fichier_guest.d.ts).

import {
  type Consent,
  type Fichier,
  type InterfaceName,
  type JsonResult,
  type Root,
  type Types,
  FichierCallError,
  INTERFACES,
  createFichier,
  isComponentError,
} from '@fichier/node';
import { SqliteKv, storeFiles } from '@fichier/node/host/sqlite.js';
import { MemoryKv } from '@fichier/node/host/kv.js';
import { resolveMasterKey } from '@fichier/node/host/master.js';
import { runCaseFile } from '@fichier/node/conformance';

// --- Type-level checks -------------------------------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** The component's exported interfaces that hold functions, as jco names them on the root. */
type RootInterfaces = Exclude<keyof Root, `${string}:${string}` | 'types' | 'incomingHandler'>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Checks = [
  // INTERFACES names every exported interface of the world, no more.
  Expect<Equal<Camel<InterfaceName>, RootInterfaces>>,
  // Fichier has every one of them, with exactly the generated functions and types.
  Expect<Equal<Mutable<Pick<Fichier, RootInterfaces>>, Pick<Root, RootInterfaces>>>,
];
const names: readonly InterfaceName[] = INTERFACES;

// --- A program -----------------------------------------------------------------------

const admin: Types.Actor = { id: 'shop-admin', role: 'admin' };

const fichier: Fichier = createFichier({
  store: { sqlite: '/tmp/fichier-types-example.db' },
  masterKey: '00'.repeat(32),
  clock: '2026-03-01T10:00:00Z',
});

const r: JsonResult = fichier.invoke('consent', 'declare-purpose', [
  admin,
  { id: 'newsletter', kind: 'marketing', title: 'Lettre', 'validity-months': null },
]);
if ('err' in r) console.log('refused', r.err);

const purposes: Consent.Purpose[] = fichier.consent.listPurposes(admin);
const firstKind: 'service' | 'marketing' | 'cookie' | 'advertising' | 'email-tracking' | undefined = purposes[0]?.kind;
const receipt = fichier.consent.recordDecision(admin, {
  subject: { tag: 'email', val: 'alice@example.org' },
  purpose: 'newsletter',
  decision: 'grant',
  givenBy: 'subject',
  channel: 'web-form',
  notice: 'newsletter:fr:v1',
  gpc: false,
});
const seq: number = receipt.seq;
const report = fichier.ledger.verify(admin);
const ok: boolean = report.ok;
fichier.rights.exportData(admin, { tag: 'subject', val: receipt.subject }, 'access', 'json', 'fr');
fichier.customers.get(admin, { tag: 'email', val: 'alice@example.org' });
fichier.outbox.pending(admin, undefined, 10);

try {
  fichier.consent.getNotice(admin, 'nope');
} catch (e) {
  if (isComponentError(e)) {
    const err: Types.Error = e.payload;
    console.log(err.tag);
  } else if (e instanceof FichierCallError) {
    const kind: 'trap' | 'instantiate' | 'bad-call' = e.kind;
    console.log(kind);
  }
}
fichier.close();

const kv = new SqliteKv(':memory:', { busyTimeout: 100 });
const shared = createFichier({ store: kv, masterKey: '00'.repeat(32), reuseInstance: true });
shared.close();
kv.close();
createFichier({ store: new MemoryKv() }).close();
const files: Array<[string, string]> = storeFiles('/var/shop/fichier.db');
const key: string = resolveMasterKey('/var/shop/fichier.db.master.key', { env: {} });
const steps: number = runCaseFile('case.json');

// --- What the types must refuse ----------------------------------------------------------

// @ts-expect-error an actor is {id, role}
fichier.consent.listPurposes('shop-admin');
// @ts-expect-error a role the WIT does not have
fichier.consent.listPurposes({ id: 'x', role: 'owner' });
// @ts-expect-error store.sqlite is a path
createFichier({ store: { sqlite: 5 } });
// @ts-expect-error no such interface on the package
fichier.payments.charge(admin);
// @ts-expect-error export-data takes five arguments
fichier.rights.exportData(admin, { tag: 'subject', val: 's' });
// @ts-expect-error the WIT field is givenBy in jco's values
fichier.consent.recordDecision(admin, { subject: { tag: 'email', val: 'a' }, purpose: 'p', decision: 'grant', 'given-by': 'subject', channel: 'web-form', gpc: false });
// @ts-expect-error invoke returns {ok} | {err}
const wrong: string = fichier.invoke('consent', 'list-purposes', [admin]);

export { names, firstKind, seq, ok, files, key, steps, wrong };
