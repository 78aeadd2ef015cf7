//! `verify-store`: every sealed record of the store opened once — each wrapped key
//! unwraps, each customer record and consent head opens, each receipt matches its chain
//! hash and opens, each message waiting in the outbox and each sign-up waiting for its
//! confirmation opens — and each one that does not named, with its place and rule. Nothing
//! is written but one audit entry; no value leaves the component.

use serde::{Deserialize, Serialize};

use crate::consent::receipts::SubjectHead;
use crate::consent::subject_key;
use crate::customers::{CustomerDoc, CustomerState, customer_key};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::types::{Actor, DamagedRecord};
use crate::outbox::{OutboxEntry, message_number};

/// What `verify-store` checked, and what did not open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StoreReport {
    /// Wrapped keys unwrapped (data keys, keys an erasure staged, legal-hold keys).
    pub keys: u64,
    /// Customer records opened (active ones; deleted and merged ones hold nothing sealed).
    pub customers: u64,
    /// Consent heads opened.
    pub subjects: u64,
    /// Receipts checked against their chain and opened.
    pub receipts: u64,
    /// Messages waiting in the outbox opened (each sealed under its person's key).
    pub messages: u64,
    /// Sign-ups waiting for their confirmation opened (double opt-in).
    pub sign_ups: u64,
    /// Every record that did not, in the order checked.
    pub damaged: Vec<DamagedRecord>,
}

impl<S: Store> Fichier<'_, S> {
    /// Open every sealed record once; name each that does not open.
    pub fn verify_store(&mut self, actor: &Actor) -> Result<StoreReport> {
        authorize(actor, Operation::VerifyStore)?;
        self.check_master_key(false)?;
        let mut report = StoreReport::default();
        let note = |report: &mut StoreReport, subject: &str, r: Result<()>| match r {
            Ok(()) => Ok(()),
            Err(e) => DamagedRecord::of(subject, &e).map(|d| report.damaged.push(d)).ok_or(e),
        };

        // The keys bucket: every wrapped key (data keys, staged ones, legal holds)
        // unwraps for its owner.
        self.every_wrapped(&mut |key, owner, w| {
            let sid = key.split_once('/').map_or(key, |(_, s)| s);
            note(&mut report, sid, w.and_then(|w| self.unwrap_key(owner, key, &w).map(drop)))?;
            report.keys += 1;
            Ok(())
        })?;

        // The customer file: every active record opens.
        for sid in self.scan_prefix(Bucket::Data, "customer/")? {
            let r = self.get_doc::<CustomerDoc>(Bucket::Data, &customer_key(&sid)).and_then(|doc| match doc {
                Some(doc) if doc.state == CustomerState::Active => {
                    report.customers += 1;
                    self.open_customer(&sid, &doc).map(drop)
                }
                _ => Ok(()),
            });
            note(&mut report, &sid, r)?;
        }

        // Consent: every head opens; every receipt of its chain matches and opens.
        for sid in self.scanned_subjects()? {
            let r = self.get_doc::<SubjectHead>(Bucket::Data, &subject_key(&sid)).and_then(|head| match head {
                Some(head) => {
                    report.subjects += 1;
                    let body = self.open_head(&sid, &head)?;
                    let receipts = self.read_receipts(&sid, &head, body.shredded as usize)?;
                    report.receipts += receipts.len() as u64;
                    Ok(())
                }
                None => Err(Error::corrupted(place(Bucket::Data, &subject_key(&sid)), "present", "listed, not found")),
            });
            note(&mut report, &sid, r)?;
        }

        // The outbox: every message waiting opens under its person's key.
        for n in self.scan_prefix(Bucket::Data, "outbox/message/")? {
            let key = format!("outbox/message/{n}");
            let mut owner = String::new();
            let r = self.get_doc::<OutboxEntry>(Bucket::Data, &key).and_then(|m| match m {
                Some(m) => {
                    owner.clone_from(&m.subject);
                    report.messages += 1;
                    // The key it is stored under is the number its id names.
                    if message_number("id", &m.id).ok().map(|k| k.to_string()) != Some(n) {
                        return Err(Error::corrupted(
                            place(Bucket::Data, &key),
                            "id-matches-key",
                            "another message's id",
                        ));
                    }
                    self.open_message(&m).map(drop)
                }
                None => Ok(()),
            });
            note(&mut report, &owner, r)?;
        }

        // Sign-ups waiting for their confirmation: each opens under its person's key.
        for n in self.signup_numbers()? {
            let (owner, sealed, r) = self.verify_signup(n);
            report.sign_ups += u64::from(sealed);
            note(&mut report, &owner, r)?;
        }

        let detail = format!(
            "keys={} customers={} subjects={} receipts={} messages={} sign-ups={} damaged={}",
            report.keys,
            report.customers,
            report.subjects,
            report.receipts,
            report.messages,
            report.sign_ups,
            report.damaged.len()
        );
        self.audit_one(actor, "maintenance.verify-store", "store".into(), detail)?;
        Ok(report)
    }
}
