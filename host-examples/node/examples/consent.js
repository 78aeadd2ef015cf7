#!/usr/bin/env node
// fichier from Node over a SQLite database — the same files as the Rust CLI's `--db`:
// declare a purpose, register the notice people are shown, take a sign-up from the
// newsletter form and its confirmation from the mail (double opt-in: the grant counts once
// the person confirms), mint the one-click unsubscribe link of the shop's mails, print the
// person's consent status, then keep their customer record and read it back.
//
//   npm run example                       # a new database in a temporary directory
//   npm run example -- /path/to/shop.db   # that database (created if absent; run it twice)
//
// The master key: FICHIER_MASTER_KEY, else `<db>.master.key` next to the database
// (created on first use, mode 0600), as the Rust CLI. Afterwards the CLI reads the same
// database: `fichier --db <db> consent status --email alice@example.org`.
//
// Personal data is not printed: only ids, states and field names.
// FICHIER_PINNED_CLOCK=2026-03-01T10:00:00Z pins the clock, as for the CLI.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createFichier } from '../src/index.js';

const db = process.argv[2] ? resolve(process.argv[2]) : join(mkdtempSync(join(tmpdir(), 'fichier-example-')), 'shop.db');
// FICHIER_PINNED_CLOCK (RFC 3339) pins the clock, as for the Rust CLI (demos and tests).
const fichier = createFichier({ store: { sqlite: db }, clock: process.env.FICHIER_PINNED_CLOCK });
console.log(`database ${db} (keys in ${fichier.kv.path('keys')})`);

const admin = { id: 'shop-admin', role: 'admin' };
const signupForm = { id: 'signup-form', role: 'public' };
const support = { id: 'support-1', role: 'support' };
const alice = { tag: 'email', val: 'Alice@Example.org' };

/** The component's error as a JS Error (the field, the rule and why). */
function failure(what, { tag, val }) {
  return new Error(`${what}: ${tag}${val !== null && typeof val === 'object' ? `: ${val.field} [${val.rule}] ${val.message}` : `: ${val}`}`);
}

/** invoke, and stop on an error with the component's explanation. */
function call(iface, fn, ...args) {
  const r = fichier.invoke(iface, fn, args);
  if ('err' in r) throw failure(`${iface}.${fn}`, r.err);
  return r.ok;
}

try {
  // Consent: the purpose, the notice, the decision, the status.
  for (const [id, kind, title] of [
    ['orders', 'service', 'Commandes et livraison'],
    ['newsletter', 'marketing', 'Lettre d’information mensuelle'],
  ]) {
    const purpose = call('consent', 'declare-purpose', admin, { id, kind, title, 'validity-months': null });
    console.log(`purpose ${purpose.id} (${purpose.kind}), revision ${purpose.revision}`);
  }

  const notice = call('consent', 'register-notice', admin, {
    purposes: ['newsletter'], lang: 'fr',
    text: 'Nous utilisons votre adresse e-mail pour vous envoyer notre lettre mensuelle. Vous pouvez vous désabonner à tout moment.',
  });
  console.log(`notice ${notice.reference} (sha256 ${notice.sha256.slice(0, 16)}…)`);

  // A visitor signs up: the answer is the same whether the address is known or not, and
  // nothing counts until the person confirms from the mail.
  const answer = call('consent', 'sign-up', signupForm, {
    subject: alice, purpose: 'newsletter', decision: 'grant', 'given-by': 'subject',
    channel: 'web-form', notice: notice.reference, at: null, 'receipt-id': null,
    'client-ip': '203.0.113.42', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', gpc: false, age: null,
  });
  console.log(`sign-up: ${answer.outcome}`);
  // The shop's mailer sends what the outbox holds (by page), then acknowledges each message.
  const mailer = { id: 'mailer', role: 'system' };
  const page = call('outbox', 'pending', mailer, null, 100);
  const mail = page.messages.find((m) => m.kind === 'consent-confirmation');
  call('outbox', 'ack', mailer, mail.id);
  // The mail links to the shop's page, which posts the token when the person clicks.
  const confirmed = call('consent', 'confirm', signupForm, mail.token);
  console.log(`confirmation: ${confirmed.outcome}`);
  // Every newsletter carries a one-click unsubscribe link (RFC 8058) minted for its recipient.
  const unsubscribe = call('consent', 'unsubscribe-link', mailer, alice, 'newsletter');
  console.log(`List-Unsubscribe: <https://shop.example/v1/unsubscribe/${unsubscribe.slice(0, 8)}…>`);

  const status = call('consent', 'status', support, alice);
  console.log(`consent of subject ${status.subject}:`);
  for (const p of status.purposes) {
    console.log(`  ${p.purpose}: ${p.state}${p['expires-at'] ? ` until ${p['expires-at']}` : ''}`);
  }

  // The customer record: created once (a second run finds it), then read back.
  const field = (name, value, purposes) => ({
    name, value, category: null, purposes, basis: 'contract', source: null, 'collected-at': null, 'verified-at': null,
  });
  const created = fichier.invoke('customers', 'create', [support, alice, [
    field('email', 'alice@example.org', ['orders', 'newsletter']),
    field('given-name', 'Alice', ['orders']),
    field('postal-code', '75011', ['orders']),
  ]]);
  if ('ok' in created) console.log(`customer record created, revision ${created.ok.revision}`);
  else if (created.err.val?.rule === 'customer-exists') console.log('customer record already there');
  else throw failure('customers.create', created.err);

  const customer = call('customers', 'get', support, alice);
  console.log(`customer ${customer.subject}, revision ${customer.revision}, fields: ${customer.fields.map((f) => f.name).join(', ')}`);

  const report = call('ledger', 'verify', { id: 'dpo', role: 'dpo' });
  console.log(`ledger: ${report.ok ? 'verified' : 'BROKEN'} (${report.subjects} subject(s), ${report.receipts} receipt(s))`);
} finally {
  fichier.close();
}
