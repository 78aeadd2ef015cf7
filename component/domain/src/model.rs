//! The domain's vocabulary, mirroring the WIT records of `fichier:client`.
//! Every type here is also how it is stored (serde, kebab-case), inside sealed or
//! versioned documents.

use serde::{Deserialize, Serialize};

/// Who may do what (checked by [`crate::authz`]).
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
}

impl PurposeKind {
    pub const ALL: [PurposeKind; 4] =
        [PurposeKind::Service, PurposeKind::Marketing, PurposeKind::Cookie, PurposeKind::Advertising];
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurposeInput {
    pub id: String,
    pub kind: PurposeKind,
    pub title: String,
    pub validity_months: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Purpose {
    pub id: String,
    pub kind: PurposeKind,
    pub title: String,
    pub validity_months: Option<u32>,
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
pub enum Channel {
    WebForm,
    CookieBanner,
    Checkout,
    Phone,
    Paper,
    Import,
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
        }
    }
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubjectStatus {
    pub subject: String,
    pub purposes: Vec<PurposeStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MinorAge {
    pub country: String,
    pub age: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct KindValidity {
    pub kind: PurposeKind,
    pub grant_months: Option<u32>,
    pub refusal_months: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyInput {
    pub country: String,
    pub minor_ages: Vec<MinorAge>,
    pub default_minor_age: u8,
    pub validity: Vec<KindValidity>,
    pub max_future_skew_seconds: u32,
    /// Policies stored before re-verification existed read as "never due".
    #[serde(default)]
    pub reverify: Vec<ReverifyPeriod>,
    /// The IANA zone month-based periods are computed in; policies stored before it
    /// existed read as Europe/Paris.
    #[serde(default = "default_zone_name")]
    pub time_zone: String,
    /// How long audit log entries are kept (days); policies stored before it read as 365.
    #[serde(default = "default_audit_days")]
    pub audit_retention_days: u32,
    /// How long an entry stays on the opposition list (months); policies stored before it
    /// read as 36.
    #[serde(default = "default_opposition_months")]
    pub opposition_months: u32,
}

fn default_zone_name() -> String {
    crate::time::DEFAULT_ZONE.name().into()
}

fn default_audit_days() -> u32 {
    crate::settings::DEFAULT_AUDIT_RETENTION_DAYS
}

fn default_opposition_months() -> u32 {
    crate::settings::DEFAULT_OPPOSITION_MONTHS
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReverifyPeriod {
    pub category: DataCategory,
    pub months: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    pub version: u32,
    pub settings: PolicyInput,
    pub changed_at: String,
    pub changed_by: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerFailure {
    pub subject: Option<String>,
    pub receipt: Option<String>,
    pub seq: Option<u32>,
    pub anchor: Option<u64>,
    pub rule: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerReport {
    pub ok: bool,
    pub subjects: u64,
    pub receipts: u64,
    pub anchors: u64,
    pub failure: Option<LedgerFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Anchor {
    pub seq: u64,
    pub at: String,
    pub subjects: u64,
    pub receipts: u64,
    pub root: String,
    pub prev: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReindexReport {
    pub subjects: u64,
    pub customers: u64,
    pub added: u64,
    pub removed: u64,
}

// ---------------------------------------------------------------- customer file

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
