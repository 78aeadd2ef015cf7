//! Consent (the WIT `consent` and `ledger` interfaces): declared purposes, versioned
//! notices, hash-chained receipts and the status they give, the ledger's verification
//! and anchors, the cookie banner's configuration and the consent statistics.
//!
//! - [`purposes`] — the purpose catalogue (`declare-purpose`, `list-purposes`).
//! - [`notices`] — notices versioned by content (`register-notice`, `get-notice`,
//!   `notice-for`, `list-notices`).
//! - [`receipts`] — subjects' heads and their hash-chained receipts (`record-decision`,
//!   `status`, `history`).
//! - [`status`] — the pure rule from a subject's receipts to a purpose's state.
//! - [`ledger`] — chain verification and anchors (the WIT `ledger` interface).
//! - [`banner`] — the cookie banner's configuration and the counters behind the consent
//!   rates.
//! - [`optin`] — consent by e-mail from the public: double opt-in and unsubscribe tokens.
//! - [`pixel`] — e-mail tracking pixels: minted links, opens counted only while the
//!   `email-tracking` consent stands, counts per campaign and day, the subscribers to ask.
//! - [`devices`] — consent across devices for logged-in customers: short-lived customer
//!   references, a banner choice recorded for the customer with the device's banner id,
//!   the choice in force another device applies.
//!
//! **Architecture invariant:** receipts are append-only: a subject's head (`subject/<sid>`)
//! is the one commit point of a decision, each receipt an immutable entry whose key is
//! its chain hash; an erasure shreds them (their key goes), the hashes stay and verify.

use serde::{Deserialize, Serialize};

use crate::kernel::types::{Actor, Channel, PurposeKind, SubjectRef};

pub mod banner;
pub mod devices;
pub mod ledger;
pub mod notices;
pub mod optin;
pub mod pixel;
pub mod purposes;
pub mod receipts;
pub mod status;
#[cfg(test)]
mod tests;

pub use notices::parse_reference;
pub(crate) use purposes::check_declared;
pub use receipts::{chain_hash, genesis, subject_key};
pub use status::{purpose_status, purpose_status_with_gpc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurposeInput {
    pub id: String,
    pub kind: PurposeKind,
    pub title: String,
    pub validity_months: Option<u32>,
    /// For an `email-tracking` purpose, the `marketing` purpose whose mails it measures.
    pub serves: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Purpose {
    pub id: String,
    pub kind: PurposeKind,
    pub title: String,
    pub validity_months: Option<u32>,
    /// For an `email-tracking` purpose, the `marketing` purpose whose mails it measures
    /// (catalogues stored before it read as `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves: Option<String>,
    pub revision: u32,
    pub declared_at: String,
    pub declared_by: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeInput {
    pub purposes: Vec<String>,
    pub lang: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Notice {
    pub reference: String,
    pub purposes: Vec<String>,
    pub lang: String,
    pub version: u32,
    pub sha256: String,
    pub registered_at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Grant,
    Refuse,
    Withdraw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GivenBy {
    Subject,
    Parent,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeDeclaration {
    Age(u8),
    BirthYear(u16),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptInput {
    pub subject: SubjectRef,
    pub purpose: String,
    pub decision: Decision,
    pub given_by: GivenBy,
    pub channel: Channel,
    pub notice: Option<String>,
    pub at: Option<String>,
    pub receipt_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub gpc: bool,
    pub age: Option<AgeDeclaration>,
}

impl ReceiptInput {
    /// The person's own withdrawal of `purpose`, made for them through `channel` (an
    /// unsubscribe link, an objection that stops marketing), citing `notice` if known.
    pub fn withdrawal(subject: SubjectRef, purpose: String, channel: Channel, notice: Option<String>) -> Self {
        ReceiptInput {
            subject,
            purpose,
            decision: Decision::Withdraw,
            given_by: GivenBy::Subject,
            channel,
            notice,
            at: None,
            receipt_id: None,
            client_ip: None,
            user_agent: None,
            gpc: false,
            age: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct NoticeCitation {
    pub reference: String,
    pub sha256: String,
}

/// A recorded decision. Stored sealed, one immutable entry per receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Receipt {
    pub id: String,
    pub subject: String,
    pub seq: u32,
    pub purpose: String,
    pub decision: Decision,
    pub given_by: GivenBy,
    pub channel: Channel,
    pub notice: Option<NoticeCitation>,
    pub at: String,
    pub recorded_at: String,
    pub recorded_by: Actor,
    pub ip_truncated: Option<String>,
    pub user_agent_sha256: Option<String>,
    pub gpc: bool,
    pub age: Option<AgeDeclaration>,
    /// The banner id of the device a logged-in customer decided on
    /// (`record-decision` with a customer reference): the link between device and customer. Sealed and
    /// chained with the rest; receipts stored before it read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Filled from the chain when read back (not part of the sealed bytes).
    #[serde(default, skip_serializing)]
    pub hash: String,
    pub prev: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentState {
    Given,
    Refused,
    Withdrawn,
    Expired,
    PendingParentalConsent,
    NeverAsked,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Refused => "refused",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::Expired => "expired",
            ConsentState::PendingParentalConsent => "pending-parental-consent",
            ConsentState::NeverAsked => "never-asked",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PurposeStatus {
    pub purpose: String,
    pub state: ConsentState,
    pub reason: String,
    pub receipt: Option<String>,
    pub expires_at: Option<String>,
}

/// What a status read carries from the person's browser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusSignals {
    /// Global Privacy Control (`Sec-GPC: 1`, `navigator.globalPrivacyControl`).
    pub gpc: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubjectStatus {
    pub subject: String,
    pub purposes: Vec<PurposeStatus>,
}
