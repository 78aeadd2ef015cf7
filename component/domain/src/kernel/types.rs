//! The vocabulary every context shares: the WIT `types` interface (role, actor,
//! subject-ref, data categories, lawful bases, sources), and two enums declared in
//! `consent.wit` and `registry.wit` that other contexts read too — `purpose-kind` (the
//! policy's validity per kind, the registry, the banner, the minimisation checks),
//! `channel` (consent receipts, objections, and the role table), `lang` and `localized`
//! (notices, exports, messages to people).
//! Every type here is also how it is stored (serde, kebab-case), inside sealed or
//! versioned documents.

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::validate;

/// Who may do what (checked by [`crate::kernel::authz`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Dpo,
    Support,
    System,
    Public,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dpo => "dpo",
            Role::Support => "support",
            Role::System => "system",
            Role::Public => "public",
        }
    }
}

/// The actor behind a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: Role,
}

/// How a caller names a data subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectRef {
    Email(String),
    External(String),
    Subject(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PurposeKind {
    Service,
    Marketing,
    Cookie,
    Advertising,
    /// Measuring who opens the shop's e-mails (a tracking pixel): its own consent,
    /// separate from the marketing it serves (CNIL délibération 2026-042).
    EmailTracking,
}

impl PurposeKind {
    pub const ALL: [PurposeKind; 5] = [
        PurposeKind::Service,
        PurposeKind::Marketing,
        PurposeKind::Cookie,
        PurposeKind::Advertising,
        PurposeKind::EmailTracking,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    WebForm,
    CookieBanner,
    Checkout,
    Phone,
    Paper,
    Import,
    /// A link in a mail the shop sent: the double opt-in's confirmation, the one-click
    /// unsubscribe.
    EmailLink,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WebForm => "web-form",
            Channel::CookieBanner => "cookie-banner",
            Channel::Checkout => "checkout",
            Channel::Phone => "phone",
            Channel::Paper => "paper",
            Channel::Import => "import",
            Channel::EmailLink => "email-link",
        }
    }
}

/// What kind of personal data a field holds (the registry's data categories).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataCategory {
    /// Names, civility, date of birth.
    Identity,
    /// E-mail address, phone number.
    Contact,
    /// Postal address lines, postal code, commune, country.
    PostalAddress,
    /// Orders, invoices, deliveries.
    Order,
    /// Payment means and transactions.
    Payment,
    /// Newsletter and prospecting preferences.
    MarketingPreferences,
    /// Account data: login, customer number, registration date.
    Account,
    /// Free comments and notes.
    FreeText,
    /// Anything else the shop declares.
    Other,
}

impl DataCategory {
    pub const ALL: [DataCategory; 9] = [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::PostalAddress,
        DataCategory::Order,
        DataCategory::Payment,
        DataCategory::MarketingPreferences,
        DataCategory::Account,
        DataCategory::FreeText,
        DataCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataCategory::Identity => "identity",
            DataCategory::Contact => "contact",
            DataCategory::PostalAddress => "postal-address",
            DataCategory::Order => "order",
            DataCategory::Payment => "payment",
            DataCategory::MarketingPreferences => "marketing-preferences",
            DataCategory::Account => "account",
            DataCategory::FreeText => "free-text",
            DataCategory::Other => "other",
        }
    }
}

/// Art. 6(1) lawful bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LawfulBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

impl LawfulBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            LawfulBasis::Consent => "consent",
            LawfulBasis::Contract => "contract",
            LawfulBasis::LegalObligation => "legal-obligation",
            LawfulBasis::VitalInterests => "vital-interests",
            LawfulBasis::PublicTask => "public-task",
            LawfulBasis::LegitimateInterests => "legitimate-interests",
        }
    }
}

/// Where a field's value came from (Art. 14 and 15(1)(g) need it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The person themselves.
    Person,
    /// A named third party (a marketplace, a partner, a purchased list).
    ThirdParty(String),
}

/// A text shown to people, in French and optionally in English (French is used where
/// English is missing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub fr: String,
    #[serde(default)]
    pub en: Option<String>,
}

impl Localized {
    pub fn new(fr: &str, en: &str) -> Self {
        Self { fr: fr.into(), en: Some(en.into()) }
    }

    /// The text in `lang`, French when there is no English.
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => en,
            _ => &self.fr,
        }
    }

    pub(crate) fn validate(&self, field: &str, max: usize) -> Result<()> {
        validate::text(&format!("{field}.fr"), &self.fr, max)?;
        if let Some(en) = &self.en {
            validate::text(&format!("{field}.en"), en, max)?;
        }
        Ok(())
    }
}

/// The languages of exports and notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// A stored record that did not open — its sealed bytes altered, its key gone, its
/// document unreadable — named so that a walk over the file goes on without it
/// (Art. 32(1)(b): one damaged record must not make the others unavailable).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DamagedRecord {
    /// The subject id the record belongs to.
    pub subject: String,
    /// Where it is stored (`store:<label>/<key>`).
    pub place: String,
    /// The rule it failed (`aead-authentic`, `key-present`, `decodes`, …).
    pub rule: String,
}

impl DamagedRecord {
    /// The record of `subject` named by a `corrupted` error; `None` for any other error
    /// (a store that fails, a refusal), which a walk must not pass over.
    pub fn of(subject: &str, e: &Error) -> Option<DamagedRecord> {
        match e {
            Error::Corrupted(f) => {
                Some(DamagedRecord { subject: subject.to_owned(), place: f.field.clone(), rule: f.rule.clone() })
            }
            _ => None,
        }
    }
}
