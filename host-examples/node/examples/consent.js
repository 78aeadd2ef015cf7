#!/usr/bin/env node
// Declare a purpose, register the notice people are shown, record a grant from the
// sign-up form, and print the subject's consent status.
//
//   npm run example
//   FICHIER_MASTER_KEY=<64 hex> npm run example
//
// The store is in memory: each run starts empty.

import { randomBytes } from 'node:crypto';

import { createFichier } from '../src/index.js';

const masterKey = process.env.FICHIER_MASTER_KEY ?? randomBytes(32).toString('hex');
const fichier = createFichier({ store: 'memory', masterKey });

const admin = { id: 'shop-admin', role: 'admin' };
const banner = { id: 'signup-form', role: 'public' };

/** invoke, and stop on an error with the component's explanation. */
function call(iface, fn, ...args) {
  const r = fichier.invoke(iface, fn, args);
  if ('err' in r) {
    const { tag, val } = r.err;
    throw new Error(`${iface}.${fn}: ${tag}${typeof val === 'object' ? `: ${val.field} [${val.rule}] ${val.message}` : `: ${val}`}`);
  }
  return r.ok;
}

const purpose = call('consent', 'declare-purpose', admin, {
  id: 'newsletter', kind: 'marketing', title: 'Lettre d’information mensuelle', 'validity-months': null,
});
console.log(`declared purpose ${purpose.id} (${purpose.kind}), revision ${purpose.revision}`);

const notice = call('consent', 'register-notice', admin, {
  purposes: ['newsletter'], lang: 'fr',
  text: 'Nous utilisons votre adresse e-mail pour vous envoyer notre lettre mensuelle. Vous pouvez vous désabonner à tout moment.',
});
console.log(`registered notice ${notice.reference} (sha256 ${notice.sha256.slice(0, 16)}…)`);

const receipt = call('consent', 'record-decision', banner, {
  subject: { tag: 'email', val: 'Alice@Example.org' }, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
  channel: 'web-form', notice: notice.reference, at: null, 'receipt-id': null,
  'client-ip': '203.0.113.42', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', gpc: false, age: null,
});
console.log(`recorded ${receipt.decision} ${receipt.id} at ${receipt['recorded-at']} (seq ${receipt.seq}, ip kept as ${receipt['ip-truncated']})`);

const status = call('consent', 'status', { id: 'support-1', role: 'support' }, { tag: 'email', val: 'alice@example.org' });
console.log(`status of subject ${status.subject}:`);
for (const p of status.purposes) {
  console.log(`  ${p.purpose}: ${p.state}${p['expires-at'] ? ` until ${p['expires-at']}` : ''} — ${p.reason}`);
}

const report = call('ledger', 'verify', { id: 'dpo', role: 'dpo' });
console.log(`ledger: ${report.ok ? 'verified' : 'BROKEN'} (${report.subjects} subject(s), ${report.receipts} receipt(s))`);
