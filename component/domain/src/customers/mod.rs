//! The customer file (the WIT `customers` and `customer-import` interfaces): sealed
//! records whose every field carries its category, purposes, lawful basis, source and
//! dates; rectification with history; duplicates and merge; re-verification
//! (Art. 5(1)(d)); the import of a shop's existing customers.
//!
//! - [`operations`] — the interface's operations, each audited once it succeeded.
//! - [`records`] — loading, sealing and committing a record; create, read, rectify,
//!   delete, list.
//! - [`body`] — the sealed body and the stored documents (`customer/<sid>`, aliases).
//! - [`fields`] — the rules per field: well-known names, normalisation, what the file
//!   must never hold.
//! - [`normalize`], [`phone`] — e-mail, E.164 phone (French and overseas numbering),
//!   postal code and commune, names, country.
//! - [`duplicates`], [`merge`] — likely duplicates for review, and the merge on request.
//! - [`review`] — re-verification: stale fields, bounced e-mails, events that restart
//!   retention periods.
//! - [`import`] — the chunked CSV import.
//!
//! **Architecture invariant:** `customer/<sid>` is the one commit point of a customer:
//! its body (fields and history) is sealed under the subject's data key and bound to the
//! subject and revision; the directory (`index/customers/<xx>`) and e-mail aliases
//! (`alias/<sid of the e-mail>`) are derived, repaired by `reindex`, and checked on read.

use serde::{Deserialize, Serialize};

use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, DamagedRecord, DataCategory, LawfulBasis, Source};

pub mod body;
mod calling_codes;
pub mod duplicates;
pub mod fields;
pub mod import;
pub mod merge;
pub mod normalize;
pub mod operations;
pub mod phone;
pub mod records;
pub mod review;
#[cfg(test)]
pub(crate) mod tests;

pub use body::{
    AliasDoc, AnonymisedField, ArchivedField, CustomerBody, CustomerDoc, CustomerState, Dispute, Restriction,
    alias_key, customer_key, decode_body,
};
pub use fields::field_name;
pub use review::stale_fields;

/// Most fields a record holds.
pub const MAX_FIELDS: usize = 64;
/// Most purposes a field serves.
pub const MAX_PURPOSES: usize = 16;
/// How many merge pointers a look-up follows.
const MAX_HOPS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInput {
    pub name: String,
    pub value: String,
    pub category: Option<DataCategory>,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
    pub source: Option<Source>,
    pub collected_at: Option<String>,
    pub verified_at: Option<String>,
}

impl crate::minimisation::RecordView for FieldInput {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self) -> &str {
        &self.value
    }
    fn category(&self) -> Option<DataCategory> {
        self.category
    }
    fn purposes(&self) -> &[String] {
        &self.purposes
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Field {
    pub name: String,
    pub value: String,
    pub category: DataCategory,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
    pub source: Source,
    pub collected_at: Stamp,
    #[serde(default)]
    pub verified_at: Option<Stamp>,
    pub updated_at: Stamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeReason {
    Created,
    Rectified,
    Removed,
    Merged,
    Imported,
    Reverified,
    Bounced,
    /// The retention sweep deleted the value (its retention ended).
    Expired,
    /// The retention sweep replaced the value by a coarser, non-identifying form.
    Anonymised,
    /// The retention sweep moved the value to the intermediate archive.
    Archived,
}

impl ChangeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeReason::Created => "created",
            ChangeReason::Rectified => "rectified",
            ChangeReason::Removed => "removed",
            ChangeReason::Merged => "merged",
            ChangeReason::Imported => "imported",
            ChangeReason::Reverified => "reverified",
            ChangeReason::Bounced => "bounced",
            ChangeReason::Expired => "expired",
            ChangeReason::Anonymised => "anonymised",
            ChangeReason::Archived => "archived",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    pub reason: ChangeReason,
    pub at: Stamp,
    pub by: Actor,
    #[serde(default)]
    pub from_subject: Option<String>,
}

impl FieldChange {
    /// A change made directly on the record (not brought in by a merge).
    fn new(
        field: String,
        previous: Option<String>,
        value: Option<String>,
        reason: ChangeReason,
        at: Stamp,
        by: &Actor,
    ) -> Self {
        Self { field, previous, value, reason, at, by: by.clone(), from_subject: None }
    }
}

/// One page of the customer file (`customers.list-customers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPage {
    pub customers: Vec<Customer>,
    pub next: Option<String>,
    /// Records of this page that did not open, left out and named.
    pub damaged: Vec<DamagedRecord>,
}

/// One page of the re-verification list (`customers.review-customers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewPage {
    pub entries: Vec<ReviewEntry>,
    pub next: Option<String>,
    /// Records read on this page.
    pub scanned: u32,
    /// Records of this page that did not open, left out and named.
    pub damaged: Vec<DamagedRecord>,
}

/// A page of the likely duplicates (`customers.find-duplicates`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicatesReport {
    /// The confirmed pairs among the page's candidates, by subject ids then reason.
    pub pairs: Vec<duplicates::Pair>,
    /// The cursor of the next page: the last candidate pair examined (`a.b`).
    pub next: Option<String>,
    /// Records that did not open, left out of the comparison and named (first page only).
    pub damaged: Vec<DamagedRecord>,
}

/// An event that starts a retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerEvent {
    /// A contact the person initiated (an order, a reply, a click; not an opened e-mail).
    Contact,
    /// The end of the contract or commercial relationship.
    RelationshipEnded,
    /// A login to the online account: restarts the account's inactivity only.
    Login,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub subject: String,
    pub revision: u32,
    pub body: CustomerBody,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleField {
    pub field: String,
    pub category: DataCategory,
    pub since: String,
    pub due_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewEntry {
    pub subject: String,
    pub stale: Vec<StaleField>,
    pub email_bounced_at: Option<Stamp>,
}
