//! The record of processing activities (GDPR Art. 30(1)): the organisation (controller,
//! representative, DPO), and one entry per processing activity with its purposes and
//! their lawful bases, the people and data concerned, recipients, transfers, retention per
//! data category and security measures. One document (`registry`) is the commit point of
//! every change; it keeps the history of changes (who, what, when).
//!
//! - [`activities`] — the organisation and the activities: validation, changes with
//!   their history, the e-shop defaults loaded on request.
//! - [`check`] — gaps between the register and what the shop does (pure).
//! - [`defaults`] — the seven e-shop activities after the CNIL référentiel.
//! - [`export`] — JSON, CSV (the CNIL template's columns) and HTML (its common page,
//!   one sheet per activity), in French or English.
//! - [`notice`] — the Art. 13 information notice of some purposes, from the register.
//! - [`basis`] — the lawful-basis assistant (the WIT `registry.suggest-basis`).
//! - [`breaches`] — the breach register (the WIT `breaches` interface).
//!
//! Stored: `registry` — [`RegistryDoc`], the commit point of every change to it
//! (binary only).

use serde::{Deserialize, Serialize};

use crate::kernel::error::{Error, Result};
use crate::kernel::store::document;
use crate::kernel::types::{Actor, DataCategory, LawfulBasis, Localized};
use crate::kernel::validate;

pub mod activities;
pub mod basis;
pub mod breaches;
pub mod check;
pub(crate) mod defaults;
pub mod export;
pub mod notice;

pub use activities::activity_id;
pub use check::{RegistryFinding, Usage, check, kind_needs_consent};

/// Name and contact details (Art. 30(1)(a)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl Contact {
    fn validate(&mut self, field: &str) -> Result<()> {
        validate::printable(&format!("{field}.name"), &self.name, 200)?;
        if let Some(a) = &self.address {
            validate::text(&format!("{field}.address"), a, 500)?;
        }
        if let Some(e) = &self.email {
            self.email = Some(validate::email(&format!("{field}.email"), e)?);
        }
        if let Some(p) = &self.phone {
            validate::printable(&format!("{field}.phone"), p, 40)?;
        }
        if self.address.is_none() && self.email.is_none() && self.phone.is_none() {
            return Err(Error::invalid(
                field,
                "contact-details",
                "give at least one way to reach them: an address, an e-mail or a phone",
            ));
        }
        Ok(())
    }
}

/// The organisation: the common page of the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Organisation {
    pub controller: Contact,
    #[serde(default)]
    pub representative: Option<Contact>,
    #[serde(default)]
    pub dpo: Option<Contact>,
}

impl Organisation {
    fn validate(&mut self) -> Result<()> {
        self.controller.validate("input.controller")?;
        if let Some(r) = &mut self.representative {
            r.validate("input.representative")?;
        }
        if let Some(d) = &mut self.dpo {
            d.validate("input.dpo")?;
        }
        Ok(())
    }
}

/// One purpose of an activity (Art. 30(1)(b)) and its lawful basis (Art. 6(1)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActivityPurpose {
    /// A purpose id; when the consent catalogue declares the same id, this is the activity
    /// that purpose belongs to.
    pub id: String,
    pub description: Localized,
    pub basis: LawfulBasis,
    /// The interest relied on, required when the basis is legitimate interests (Art. 13(1)(d)).
    #[serde(default)]
    pub legitimate_interest: Option<Localized>,
    /// Whether providing the data is required and what happens if not (Art. 13(2)(e)).
    #[serde(default)]
    pub provision: Option<Localized>,
}

/// Whose data an activity processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectCategory {
    Customers,
    Prospects,
    Visitors,
    Suppliers,
    Employees,
    Other(Localized),
}

/// A category of data an activity processes (Art. 30(1)(c)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DataItem {
    pub category: DataCategory,
    pub description: Localized,
    /// Special categories (Art. 9), offences (Art. 10) or the NIR.
    #[serde(default)]
    pub sensitive: bool,
}

/// Who receives the data (Art. 30(1)(d)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recipient {
    pub name: Localized,
    /// Internal (a department of the controller) or external.
    #[serde(default)]
    pub internal: bool,
}

/// The safeguard of a transfer outside the EU/EEA (Art. 44–49).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safeguard {
    /// Art. 45.
    AdequacyDecision,
    /// Art. 46(2)(c).
    StandardContractualClauses,
    /// Art. 47.
    BindingCorporateRules,
    /// Art. 49 (specific situations).
    Derogation,
}

/// A transfer outside the EU/EEA (Art. 30(1)(e)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Transfer {
    pub recipient: String,
    /// ISO 3166-1 alpha-2, outside the EEA.
    pub country: String,
    pub safeguard: Safeguard,
    #[serde(default)]
    pub details: Option<Localized>,
}

/// When a retention period starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionStart {
    /// The data's collection.
    Collection,
    /// The end of the relationship: the latest of the person's last contact (a click
    /// counts, an opened e-mail does not), last purchase, own consent to the activity's
    /// purposes and the recorded end of the relationship. A login does not count.
    LastContact,
    /// The end of the contract or commercial relationship.
    EndOfContract,
    /// The transaction's date.
    Transaction,
    /// The last login to the online account (or the field's collection): an account's
    /// inactivity.
    LastLogin,
}

/// What happens when a retention period ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionAction {
    Delete,
    Anonymise,
    /// Intermediate archive, logically separated, restricted access.
    Archive,
}

/// How long a category of data is kept by an activity (Art. 30(1)(f)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RetentionRule {
    pub category: DataCategory,
    /// 1–1200 months.
    pub months: u32,
    pub start: RetentionStart,
    pub action: RetentionAction,
    /// A legal hold (the text that imposes keeping it, e.g. Code de commerce L123-22):
    /// overrides deletion and erasure for what it covers until the period ends.
    #[serde(default)]
    pub legal_hold: Option<Localized>,
}

/// A security measure (Art. 30(1)(g), Art. 32).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityMeasure {
    /// Personal fields sealed at rest with per-subject keys.
    EncryptionAtRest,
    /// Look-ups by keyed hash; no identifier in clear.
    Pseudonymisation,
    /// Roles checked on every call.
    AccessControl,
    /// Hash-chained, verifiable records (consent ledger).
    TamperEvidentLog,
    /// Encrypted transport (TLS).
    EncryptionInTransit,
    /// Backups restorable after an incident.
    Backups,
    /// Anything else, described.
    Other(Localized),
}

/// An activity as its author writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActivityInput {
    /// 1–64 of `a-z 0-9 -`, starting with a letter.
    pub id: String,
    pub name: Localized,
    #[serde(default)]
    pub joint_controller: Option<Contact>,
    pub purposes: Vec<ActivityPurpose>,
    pub subjects: Vec<SubjectCategory>,
    pub data: Vec<DataItem>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    pub retention: Vec<RetentionRule>,
    pub security: Vec<SecurityMeasure>,
    /// Automated decisions, including profiling (Art. 13(2)(f)); `None`: there are none.
    #[serde(default)]
    pub automated_decisions: Option<Localized>,
}

/// A stored activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Activity {
    pub definition: ActivityInput,
    /// 1 at creation, +1 per change.
    pub revision: u32,
    /// Set when retired (kept in the register's history, out of exports and checks).
    #[serde(default)]
    pub retired: Option<Retirement>,
    pub created_at: String,
    pub changed_at: String,
    pub changed_by: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Retirement {
    pub at: String,
    pub reason: String,
}

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeAction {
    Created,
    Updated,
    Retired,
    Reinstated,
}

/// One entry of the register's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryChange {
    /// 1, 2, … over the whole register.
    pub sequence: u32,
    pub at: String,
    pub actor: Actor,
    /// `organisation`, or an activity id.
    pub target: String,
    pub action: ChangeAction,
    /// The top-level fields that changed (all of them at creation).
    pub fields: Vec<String>,
}

/// The record of processing activities (Art. 30): one document, so a change is one swap.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryDoc {
    #[serde(default)]
    pub organisation: Option<crate::registry::Organisation>,
    /// Sorted by id.
    #[serde(default)]
    pub activities: Vec<crate::registry::Activity>,
    /// Every change, oldest first.
    #[serde(default)]
    pub history: Vec<crate::registry::RegistryChange>,
}
document!(RegistryDoc, "registry", 1, binary_only);

/// The key of [`RegistryDoc`] in the data bucket.
pub const REGISTRY_KEY: &str = "registry";
