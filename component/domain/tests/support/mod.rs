//! What the domain's integration tests share: an in-memory store, a fixed master key,
//! seeded randomness and a clock the test sets.

#![allow(dead_code, clippy::unwrap_used)]

use fichier_domain::Fichier;
use fichier_domain::consent::{Decision, GivenBy, NoticeInput, PurposeInput, ReceiptInput};
use fichier_domain::customers::FieldInput;
use fichier_domain::customers::import::{ImportOptions, TextEncoding};
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, Channel, DataCategory, LawfulBasis, PurposeKind, Role, SubjectRef};

pub struct World {
    pub store: MemoryStore,
    pub master: MasterKey,
    pub entropy: SeededEntropy,
    /// RFC 3339: what the next call sees as now.
    pub now: String,
}

impl World {
    /// An empty store at `now`, sealed under a master key of `key` bytes.
    pub fn empty(now: &str, key: u8, seed: u64) -> Self {
        Self {
            store: MemoryStore::new(),
            master: MasterKey::from_bytes([key; 32]),
            entropy: SeededEntropy::new(seed),
            now: now.into(),
        }
    }

    /// The component's context for one call at the current time.
    pub fn f(&mut self) -> Fichier<'_, MemoryStore> {
        let now = time::parse("now", &self.now).unwrap();
        Fichier::new(&self.store, &self.master, now, &mut self.entropy)
    }

    /// Move the clock.
    pub fn at(&mut self, now: &str) -> &mut Self {
        self.now = now.into();
        self
    }

    /// Register a notice (by an admin) for `purposes` in `lang`; its reference.
    pub fn notice(&mut self, purposes: &[&str], lang: &str, text: &str) -> String {
        let input = NoticeInput {
            purposes: purposes.iter().map(|p| p.to_string()).collect(),
            lang: lang.into(),
            text: text.into(),
        };
        self.f().register_notice(&admin(), input).unwrap().reference
    }

    /// Declare purposes (by an admin).
    pub fn declare(&mut self, purposes: &[(&str, PurposeKind)]) {
        for &(id, kind) in purposes {
            let input = PurposeInput { id: id.into(), kind, title: id.into(), validity_months: None, serves: None };
            self.f().declare_purpose(&admin(), input).unwrap();
        }
    }
}

pub fn admin() -> Actor {
    Actor { id: "alice".into(), role: Role::Admin }
}

/// The person's own decision on `purpose` through `channel`, citing `notice` (a grant
/// must cite one), with nothing else recorded.
pub fn decision(
    subject: SubjectRef,
    purpose: &str,
    decision: Decision,
    channel: Channel,
    notice: Option<&str>,
) -> ReceiptInput {
    ReceiptInput {
        subject,
        purpose: purpose.into(),
        decision,
        given_by: GivenBy::Subject,
        channel,
        notice: notice.map(str::to_string),
        at: None,
        receipt_id: None,
        client_ip: None,
        user_agent: None,
        gpc: false,
        age: None,
    }
}

/// A customer field held under a contract for `purposes`, collected at `collected` (the
/// call's time when `None`).
pub fn field(
    name: &str,
    value: &str,
    category: Option<DataCategory>,
    purposes: &[&str],
    collected: Option<&str>,
) -> FieldInput {
    FieldInput {
        name: name.into(),
        value: value.into(),
        category,
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        basis: LawfulBasis::Contract,
        source: None,
        collected_at: collected.map(str::to_string),
        verified_at: None,
    }
}

/// An error as `field:rule`, what the tests compare (the whole error when it has no field).
pub fn rule(e: fichier_domain::Error) -> String {
    e.field_error().map(|f| format!("{}:{}", f.field, f.rule)).unwrap_or_else(|| format!("{e:?}"))
}

/// A visitor of the shop's pages (the public role).
pub fn visitor() -> Actor {
    Actor { id: "web".into(), role: Role::Public }
}

/// An import of `clients.csv` (the file's SHA-256 made of `sha_seed`), every row for
/// `orders` under the contract, the columns recognised from the header.
pub fn import_options(sha_seed: u8) -> ImportOptions {
    ImportOptions {
        name: "clients.csv".into(),
        file_sha256: format!("{:02x}", sha_seed).repeat(32),
        mapping: vec![],
        encoding: TextEncoding::Utf8,
        delimiter: ",".into(),
        default_purposes: vec!["orders".into()],
        default_basis: LawfulBasis::Contract,
        source: None,
        examples_per_rule: None,
    }
}
