//! Rights (the WIT `rights` interface): data-subject requests (Art. 12 and 15–22), erasure
//! (Art. 17), restriction (Art. 18) and objection (Art. 21), access and portability
//! exports (Art. 15 and 20).
//!
//! - [`requests`] — the requests' lifecycle and deadlines, identity by one-time token.
//! - [`erasure`] — what can go, what a legal hold or a claim keeps, and the report.
//! - [`restriction`] — restriction of processing, and objection to direct marketing with
//!   the opposition list.
//! - [`access`] — the access and portability exports.
//!
//! Requests:
//! - **Deadline**: received + 1 month on the shop's calendar (+ 2 more when extended, an
//!   extension recorded within the first month with its reason, Art. 12(3)); the clock
//!   stops while the request waits for the person's identity — from receipt until the
//!   token or the extra proof, and again each time the controller asks for information
//!   that identifies the person (`ask-identity`, Art. 12(6)) — and the due date moves on by
//!   the days it was stopped (EDPB Guidelines 01/2022 §157-160).
//! - **Identity**: a one-time token (120 random bits) goes to the person through the
//!   outbox; the request keeps only its SHA-256, its expiry (72 hours) and the attempts
//!   (5); the token is compared in constant time and works once. A request flagged as
//!   doubtful (Art. 12(6), the reason recorded) also needs someone to confirm the extra
//!   proof they saw — its kind only: no copy of an identity document is kept.
//! - **One document each**: `requests` (and the outbox) are the commit points of their
//!   changes. A new request is written first, then its token message: if the second write
//!   fails, `resend-token` issues a new token.
//! - Every transition is audited (`rights.*`), as is every read of the outbox.

use serde::{Deserialize, Serialize};

use crate::kernel::error::{Error, Result};
use crate::kernel::store::Document;
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, Lang, SubjectRef};

pub mod access;
pub mod erasure;
pub mod requests;
pub mod restriction;

pub use requests::{Closing, deadline};

/// Requests the register holds before it must be archived (~1 KB each).
pub const MAX_REQUESTS: usize = 800;
/// How long an identity token is valid.
pub const TOKEN_HOURS: i64 = 72;
/// Wrong tokens before the token is void (a new one is sent with `resend-token`).
pub const TOKEN_ATTEMPTS: u32 = 5;
/// The key of [`RequestRegister`] in the data bucket.
pub(crate) const REQUESTS_KEY: &str = "requests";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// Art. 15.
    Access,
    /// Art. 16.
    Rectification,
    /// Art. 17.
    Erasure,
    /// Art. 18.
    Restriction,
    /// Art. 20.
    Portability,
    /// Art. 21 (direct marketing: absolute).
    Objection,
    /// Art. 7(3).
    Withdrawal,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Portability => "portability",
            RequestKind::Objection => "objection",
            RequestKind::Withdrawal => "withdrawal",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (RequestKind::Access, Lang::Fr) => "d'accès à vos données",
            (RequestKind::Rectification, Lang::Fr) => "de rectification",
            (RequestKind::Erasure, Lang::Fr) => "d'effacement",
            (RequestKind::Restriction, Lang::Fr) => "de limitation du traitement",
            (RequestKind::Portability, Lang::Fr) => "de portabilité",
            (RequestKind::Objection, Lang::Fr) => "d'opposition",
            (RequestKind::Withdrawal, Lang::Fr) => "de retrait de votre consentement",
            (RequestKind::Access, Lang::En) => "to access your data",
            (RequestKind::Rectification, Lang::En) => "for rectification",
            (RequestKind::Erasure, Lang::En) => "for erasure",
            (RequestKind::Restriction, Lang::En) => "to restrict processing",
            (RequestKind::Portability, Lang::En) => "for data portability",
            (RequestKind::Objection, Lang::En) => "to object",
            (RequestKind::Withdrawal, Lang::En) => "to withdraw your consent",
        }
    }
}

/// How the request arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestChannel {
    WebForm,
    Email,
    Letter,
    Phone,
    InPerson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    /// Waiting for the person's identity (the deadline's clock is stopped).
    AwaitingIdentity,
    InProgress,
    Done,
    Refused,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::AwaitingIdentity => "awaiting-identity",
            RequestState::InProgress => "in-progress",
            RequestState::Done => "done",
            RequestState::Refused => "refused",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, RequestState::AwaitingIdentity | RequestState::InProgress)
    }
}

/// A request as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInput {
    pub subject: SubjectRef,
    pub kind: RequestKind,
    pub channel: RequestChannel,
    /// When it was received (default now; not in the future).
    pub received_at: Option<String>,
    /// The language of the messages to the person.
    pub lang: Lang,
    /// What the person asks, in their words (sealed).
    pub details: Option<String>,
    /// The shop already knows it is them (e.g. signed in to their account): no token.
    pub identity_verified: bool,
    /// Why the identity is in reasonable doubt (Art. 12(6)): extra proof will be needed.
    pub doubtful: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// SHA-256 of the token, hex.
    pub hash: String,
    pub issued_at: Stamp,
    pub expires_at: Stamp,
    pub attempts: u32,
    pub used_at: Option<Stamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub reason: String,
    pub at: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Done { at: Stamp, note: String },
    Refused { at: Stamp, reasons: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvent {
    pub at: Stamp,
    pub by: Actor,
    pub what: String,
}

/// A stored request: everything in clear is pseudonymous; the person's address and words
/// are sealed under their key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: String,
    pub subject: String,
    pub kind: RequestKind,
    pub channel: RequestChannel,
    pub lang: Lang,
    pub state: RequestState,
    pub received_at: Stamp,
    /// Days the clock was stopped, closed stops, as days × [`requests::DAY_MS`] (each stop
    /// counted by [`requests::stop_days`] when it ended; a record written before counted
    /// exact milliseconds, and reads as the whole days in them). Milliseconds still, so
    /// the register's stored layout is unchanged.
    pub paused_ms: i64,
    /// The open pause, if waiting now.
    pub paused_since: Option<Stamp>,
    pub extension: Option<Extension>,
    pub doubtful: Option<String>,
    pub identity_confirmed: Option<String>,
    pub token: Option<Token>,
    pub outcome: Option<Outcome>,
    pub history: Vec<RequestEvent>,
    /// [`Personal`], sealed under the subject's key.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Personal {
    pub email: Option<String>,
    pub details: Option<String>,
}

/// The request register.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RequestRegister {
    pub requests: Vec<RequestRecord>,
}
impl Document for RequestRegister {
    const KIND: &'static str = "requests";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// A request as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub record: RequestRecord,
    /// The end (last millisecond) of the due date in the shop's zone (Reg. 1182/71 art. 3).
    pub deadline: Stamp,
    /// Open, the clock running, and past the deadline: from the midnight after the due date.
    pub overdue: bool,
    /// The person's address and words (`get-request` only).
    pub email: Option<String>,
    pub details: Option<String>,
}

/// Which requests to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestFilter {
    All,
    Open,
    Overdue,
    /// Open and due on a date up to today + this many days in the shop's zone (overdue
    /// ones included).
    DueWithin(u32),
}

pub(crate) fn check_id(field: &str, id: &str, prefix: char) -> Result<()> {
    let ok = id.len() == 8 && id.starts_with(prefix) && id[1..2] == *"-" && id[2..].bytes().all(|b| b.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid(field, "id-syntax", format!("an id looks like {prefix}-000001"))) }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(crate::kernel::crypto::sha256_parts(&[b"fichier/token/v1", s.as_bytes()]))
}
