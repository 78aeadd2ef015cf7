//! Retention: when each stored value's period ends, what happens then, and the sweep that
//! applies it.
//!
//! The rules are the register's ([`RetentionRule`]): an active activity that declares one
//! of a field's purposes and the field's data category keeps that field for the rule's
//! months from its start. What the rules mean together, for one field:
//!
//! - **In use** while a rule whose action is *delete* or *anonymise* (and that no legal
//!   hold marks) still runs.
//! - **In the intermediate archive** (restricted reading, no processing) while only rules
//!   whose action is *archive*, or legal holds, still run. A hold overrides deletion: data
//!   whose in-use rules ended is archived, not deleted, until the hold ends.
//! - **Then** deleted, or anonymised when the rule that ends last says *anonymise*.
//! - A purpose whose every rule ended is dropped from a field still in use for others.
//! - A field no rule covers is reported, never touched (the register check flags the gap).
//!
//! When a rule starts: *collection* and *transaction* at the field's collection; *last
//! contact* at the end of the commercial relationship (référentiel 2021-131): the latest of
//! the collection, the last contact the person initiated (`customers.record-event`), the
//! last purchase (an order or payment value collected), the person's last consent given
//! for one of the activity's purposes and the recorded end of the relationship; *last
//! login* at the latest of the collection and the last login (an account's inactivity; a
//! login restarts no other period); *end of contract* at the latest of the recorded end of the relationship, the
//! last contact and the last value collected (an order, a payment, a rectification): an
//! imported record counts from the dates it brought, not from the import.
//!
//! When a rule ends: N months from its start end at the end of the day bearing the start's
//! date N months on, or that month's last day, in the shop's zone (Reg. 1182/71 art. 3,
//! `time::period_end`); the field is past its limit only after that instant.
//!
//! A person whose prospecting data (an activity about prospects, counted from the last
//! contact) ends within the notice window is listed once for a re-permission request,
//! which the sweep queues to them in the outbox.
//!
//! The sweep walks the customer file by pages. Each subject changes with one
//! compare-and-swap of its record (deleted whole when nothing is left), so an interrupted
//! sweep leaves every record either before or after, and a second run plans only what is
//! still due.
//!
//! - [`plan`] — the pure rule: a record, the register's active activities, the person's
//!   own consent grants and `now` → what happens to each field and why; and applying it.
//! - [`disputes`] — open and close a dispute hold: the fields an open dispute or claim
//!   names are archived rather than deleted and kept by an erasure, with no end date,
//!   until it is closed (Art. 17(3)(e)).
//! - [`sweep`] — a page of records: planned, audited, changed with one
//!   compare-and-swap per subject, re-planned when a record moved.

use crate::kernel::time::Stamp;
use crate::kernel::types::{DamagedRecord, DataCategory};
use crate::registry::RetentionRule;

pub mod disputes;
pub mod plan;
pub mod sweep;
#[cfg(test)]
mod tests;

pub use plan::{Context, Grants, apply, coarse, plan};

/// What the sweep does (or, in a dry run, would do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SweepAction {
    /// Delete a field in use, its value and the values in its history.
    Delete,
    /// Replace a field in use by a coarser form (or delete it when it has none).
    Anonymise,
    /// Move a field to the intermediate archive.
    Archive,
    /// Delete a field from the intermediate archive.
    DeleteArchived,
    /// Stop using a field for a purpose whose retention ended.
    EndPurpose,
    /// Delete the whole record: nothing in use nor archived is left.
    DeleteRecord,
    /// Ask the person once to renew their consent before their prospecting data ends.
    Repermission,
    /// No rule covers the field: reported, not touched.
    NoRule,
    /// The record's processing is restricted (Art. 18): only stored, not swept.
    Restricted,
}

impl SweepAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SweepAction::Delete => "delete",
            SweepAction::Anonymise => "anonymise",
            SweepAction::Archive => "archive",
            SweepAction::DeleteArchived => "delete-archived",
            SweepAction::EndPurpose => "end-purpose",
            SweepAction::DeleteRecord => "delete-record",
            SweepAction::Repermission => "repermission",
            SweepAction::NoRule => "no-rule",
            SweepAction::Restricted => "restricted",
        }
    }
}

/// One thing the sweep does, to whom and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepEntry {
    pub subject: String,
    /// The field (none for a whole-record deletion or a re-permission).
    pub field: Option<String>,
    pub category: Option<DataCategory>,
    pub action: SweepAction,
    /// The activity whose rule decides.
    pub activity: Option<String>,
    /// For `end-purpose` and `repermission`: the purpose concerned.
    pub purpose: Option<String>,
    /// The rule that decides.
    pub rule: Option<RetentionRule>,
    /// When that rule's period ended (for a re-permission: when it will end).
    pub due: Option<Stamp>,
}

/// How to run the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepOptions {
    /// `false`: a dry run: nothing changes (the audit log records the read).
    pub apply: bool,
    /// Start after this subject id (the previous page's `next`).
    pub cursor: Option<String>,
    /// Records per page, 1–1000.
    pub limit: u32,
    /// How many days before a prospect's data ends the re-permission request is listed, 1–365.
    pub repermission_days: u32,
}

/// One page of the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepReport {
    pub entries: Vec<SweepEntry>,
    /// Records read on this page.
    pub scanned: u32,
    /// Records written (changed or deleted) on this page; 0 in a dry run.
    pub changed: u32,
    /// The cursor of the next page (`none`: done).
    pub next: Option<String>,
    pub applied: bool,
    /// Records of this page that did not open: named, left alone, the others swept.
    pub damaged: Vec<DamagedRecord>,
}
