//! Data-subject requests (Art. 12 and 15–22): their lifecycle and deadlines, identity
//! verification by one-time token, and the outbox that carries messages to people.
//!
//! - **Deadline**: received + 1 month on the shop's calendar (+ 2 more when extended, an
//!   extension recorded within the first month with its reason, Art. 12(3)); the clock
//!   stops while the request waits for the person's identity.
//! - **Identity**: a one-time token (120 random bits) goes to the person through the
//!   outbox; the request keeps only its SHA-256, its expiry (72 hours) and the attempts
//!   (5); the token is compared in constant time and works once. A request flagged as
//!   doubtful (Art. 12(6), the reason recorded) also needs someone to confirm the extra
//!   proof they saw — its kind only: no copy of an identity document is kept.
//! - **Outbox**: the component has no network. It queues messages (tokens, extensions,
//!   answers, refusals with the right to complain) sealed under the person's key; the
//!   host or the shop's backend reads them (`pending`) and acknowledges each once sent
//!   (`ack`), which deletes it. Until then the token exists only inside that sealed
//!   message.
//! - **One document each**: `requests` and `outbox` are the commit points of their
//!   changes. A new request is written first, then its token message: if the second write
//!   fails, `resend-token` issues a new token.
//! - Every transition is audited (`rights.*`), as is every read of the outbox.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::Fichier;
use crate::audit::AuditDraft;
use crate::authz::{Operation, authorize};
use crate::crypto::DataKey;
use crate::error::{Error, Result};
use crate::model::{Actor, Role, SubjectRef};
use crate::registry::Lang;
use crate::service::place;
use crate::store::{Bucket, Document, Store};
use crate::time::{self, Instant, Stamp};
use crate::validate;

/// Requests the register holds before it must be archived (~1 KB each).
pub const MAX_REQUESTS: usize = 800;
/// Messages the outbox holds unsent.
pub const MAX_MESSAGES: usize = 2000;
/// How long an identity token is valid.
pub const TOKEN_HOURS: i64 = 72;
/// Wrong tokens before the token is void (a new one is sent with `resend-token`).
pub const TOKEN_ATTEMPTS: u32 = 5;
pub(crate) const REQUESTS_KEY: &str = "requests";
pub(crate) const OUTBOX_KEY: &str = "outbox";

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
    /// Time spent waiting for identity, closed pauses.
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
    pub deadline: Stamp,
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
    /// Open and due within this many days (overdue ones included).
    DueWithin(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    IdentityToken,
    Extension,
    Answer,
    Refusal,
    /// Before prospecting data ends: one request to renew consent (retention sweep).
    Repermission,
    /// A restriction of processing is about to be lifted (Art. 18(3)).
    RestrictionLifted,
    /// A breach that concerns the person (Art. 34).
    BreachNotice,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: MessageKind,
    pub subject: String,
    pub request: Option<String>,
    pub created_at: Stamp,
    /// [`MessageBody`], sealed under the subject's key.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageBody {
    pub to: String,
    pub title: String,
    pub body: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outbox {
    /// The last message number given.
    pub last: u64,
    pub messages: Vec<OutboxEntry>,
}
impl Document for Outbox {
    const KIND: &'static str = "outbox";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

impl Outbox {
    /// Append a message: the next id, the body sealed under `dek` for `sid`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        kind: MessageKind,
        sid: &str,
        dek: &DataKey,
        request: Option<String>,
        plain: &[u8],
        at: Stamp,
        entropy: &mut dyn crate::crypto::Entropy,
    ) -> String {
        self.last += 1;
        let id = format!("M-{:06}", self.last);
        let sealed = dek.seal(&format!("outbox/{id}"), sid, plain, entropy);
        self.messages.push(OutboxEntry {
            id: id.clone(),
            kind,
            subject: sid.to_string(),
            request,
            created_at: at,
            sealed,
        });
        id
    }
}

/// A message to send, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub kind: MessageKind,
    pub to: String,
    pub title: String,
    pub body: String,
    pub created_at: Stamp,
    pub request: Option<String>,
}

/// The deadline of a request at `now`: received + 1 month (3 when extended) in `zone`,
/// plus the time spent waiting for identity.
pub fn deadline(r: &RequestRecord, now: Instant, zone: time::Zone) -> Stamp {
    let months = if r.extension.is_some() { 3 } else { 1 };
    let base = time::add_months(r.received_at.instant(), months, zone).unwrap_or(r.received_at.instant());
    Stamp::from_instant(base + paused(r, now))
}

/// Time spent waiting for identity up to `now`.
fn paused(r: &RequestRecord, now: Instant) -> chrono::Duration {
    let open = r.paused_since.map_or(chrono::Duration::zero(), |s| (now - s.instant()).max(chrono::Duration::zero()));
    chrono::Duration::milliseconds(r.paused_ms) + open
}

/// A request as shown at `now`: its deadline and whether it is overdue.
fn view_at(r: RequestRecord, personal: Option<Personal>, now: Instant, zone: time::Zone) -> Request {
    let deadline = deadline(&r, now, zone);
    let overdue = r.state.is_open() && r.paused_since.is_none() && deadline.instant() < now;
    let (email, details) = personal.map_or((None, None), |p| (p.email, p.details));
    Request { record: r, deadline, overdue, email, details }
}

pub(crate) fn check_id(field: &str, id: &str, prefix: char) -> Result<()> {
    let ok = id.len() == 8 && id.starts_with(prefix) && id[1..2] == *"-" && id[2..].bytes().all(|b| b.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid(field, "id-syntax", format!("an id looks like {prefix}-000001"))) }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(crate::crypto::sha256_parts(&[b"fichier/token/v1", s.as_bytes()]))
}

impl<S: Store> Fichier<'_, S> {
    fn view(&self, r: RequestRecord, personal: Option<Personal>) -> Result<Request> {
        let zone = self.current_policy()?.settings.zone();
        Ok(view_at(r, personal, self.now, zone))
    }

    pub(crate) fn open_personal(&mut self, r: &RequestRecord) -> Result<Personal> {
        // An erasure removed the person's address and words.
        if r.sealed.is_empty() {
            return Ok(Personal::default());
        }
        let dek = self.existing_data_key(&r.subject)?;
        let plain = dek.open(&format!("request/{}", r.id), &r.subject, &r.sealed).ok_or_else(|| {
            Error::corrupted(place(Bucket::Data, REQUESTS_KEY), "aead-authentic", "a request fails authentication")
        })?;
        postcard::from_bytes(&plain)
            .map_err(|e| Error::corrupted(place(Bucket::Data, REQUESTS_KEY), "decodes", format!("a request: {e}")))
    }

    /// The person's address: the one given, else the customer record's, else the one
    /// their consent receipts were given under.
    fn contact_of(&mut self, sid: &str, given: Option<String>) -> Result<Option<String>> {
        if given.is_some() {
            return Ok(given);
        }
        if let Some(l) = self.find_customer("subject", &SubjectRef::Subject(sid.to_string()))?
            && let Some(e) = l.body.email()
        {
            return Ok(Some(e.to_string()));
        }
        Ok(self.load_subject(sid)?.body.email)
    }

    /// Queue a message to `sid` (sealed under their key).
    pub(crate) fn queue(
        &mut self,
        sid: &str,
        dek: &DataKey,
        kind: MessageKind,
        request: Option<&str>,
        body: MessageBody,
    ) -> Result<String> {
        let one = (sid.to_string(), dek, request.map(str::to_string), body);
        self.queue_many(kind, vec![one])?.pop().ok_or_else(|| Error::Other("no message queued".into()))
    }

    /// Queue messages (to, key, request, body), each sealed under its person's key, in
    /// one swap of the outbox.
    pub(crate) fn queue_many(
        &mut self,
        kind: MessageKind,
        messages: Vec<(String, &DataKey, Option<String>, MessageBody)>,
    ) -> Result<Vec<String>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let now = Stamp::from_instant(self.now);
        let mut plains = Vec::with_capacity(messages.len());
        for (_, _, _, body) in &messages {
            plains.push(postcard::to_allocvec(body).map_err(|e| Error::Other(e.to_string()))?);
        }
        self.update::<Outbox, Vec<String>>(
            Bucket::Data,
            OUTBOX_KEY,
            |this, current| {
                let mut outbox = current.unwrap_or_default();
                if outbox.messages.len() + messages.len() > MAX_MESSAGES {
                    return Err(Error::conflict(
                        "outbox",
                        "outbox-full",
                        "the outbox is full: send and acknowledge its messages",
                    ));
                }
                let mut ids = Vec::with_capacity(messages.len());
                for ((sid, dek, request, _), plain) in messages.iter().zip(&plains) {
                    ids.push(outbox.push(kind, sid, dek, request.clone(), plain, now, this.entropy));
                }
                Ok(Some((outbox, ids)))
            },
            || unreachable!("queueing always writes"),
        )
    }

    /// Issue a token for `r` and queue it to the person.
    fn send_token(&mut self, r: &RequestRecord, email: &str) -> Result<Token> {
        let mut raw = [0u8; 15];
        self.entropy.fill(&mut raw);
        let token = data_encoding::BASE32_NOPAD.encode(&raw);
        let now = self.now;
        let expires = now + chrono::Duration::hours(TOKEN_HOURS);
        let zone = self.current_policy()?.settings.zone();
        let local = {
            use chrono::{Datelike, Timelike};
            let l = expires.with_timezone(&zone).naive_local();
            format!("{:02}/{:02}/{} {:02}:{:02}", l.day(), l.month(), l.year(), l.hour(), l.minute())
        };
        let kind = r.kind.label(r.lang);
        let (title, body) = match r.lang {
            Lang::Fr => (
                format!("Votre demande {kind} ({})", r.id),
                format!(
                    "Bonjour,\n\nPour confirmer que cette demande {kind} vient bien de vous, saisissez ce code : \
                     {token}\n\nIl est valable jusqu'au {local} et ne sert qu'une fois. Si vous n'avez rien demandé, \
                     ignorez ce message.\n"
                ),
            ),
            Lang::En => (
                format!("Your request {kind} ({})", r.id),
                format!(
                    "Hello,\n\nTo confirm this request {kind} is yours, enter this code: {token}\n\nIt is valid until \
                     {local} and works once. If you made no request, ignore this message.\n"
                ),
            ),
        };
        let dek = self.existing_data_key(&r.subject)?;
        self.queue(
            &r.subject,
            &dek,
            MessageKind::IdentityToken,
            Some(&r.id),
            MessageBody { to: email.to_string(), title, body },
        )?;
        Ok(Token {
            hash: sha256_hex(&token),
            issued_at: Stamp::from_instant(now),
            expires_at: Stamp::from_instant(expires),
            attempts: 0,
            used_at: None,
        })
    }

    /// Receive a request.
    pub fn new_request(&mut self, actor: &Actor, input: RequestInput) -> Result<Request> {
        let form = matches!(input.subject, SubjectRef::Email(_))
            && input.channel == RequestChannel::WebForm
            && !input.identity_verified
            && input.doubtful.is_none()
            && input.received_at.is_none();
        authorize(actor, Operation::NewRequest { form })?;
        let received = match &input.received_at {
            None => self.now,
            Some(t) => {
                let t = time::parse("input.received-at", t)?;
                if t > self.now + chrono::Duration::minutes(5) {
                    return Err(Error::invalid("input.received-at", "not-future", "a request cannot arrive later"));
                }
                t
            }
        };
        if let Some(d) = &input.details {
            validate::text("input.details", d, 4000)?;
        }
        if let Some(d) = &input.doubtful {
            validate::text("input.doubtful", d, 1000)?;
        }
        if input.identity_verified && input.doubtful.is_some() {
            return Err(Error::invalid(
                "input.doubtful",
                "doubt-or-verified",
                "a request is either verified by the shop or in doubt, not both",
            ));
        }
        let sid = self.subject_id("input.subject", &input.subject)?;
        let given = match &input.subject {
            SubjectRef::Email(e) => Some(crate::normalize::email("input.subject.email", e)?),
            _ => None,
        };
        self.check_master_key(false)?;
        let email = self.contact_of(&sid, given)?;
        if email.is_none() && !input.identity_verified {
            return Err(Error::invalid(
                "input.subject",
                "contact-known",
                "no e-mail is known for this person to send the identity token to: name them by e-mail",
            ));
        }
        self.check_master_key(true)?;
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("no data key".into()))?;
        let at = Stamp::from_instant(self.now);
        let personal = Personal { email: email.clone(), details: input.details.clone() };
        let plain = postcard::to_allocvec(&personal).map_err(|e| Error::Other(e.to_string()))?;
        let awaiting = !input.identity_verified;
        let record = self.update::<RequestRegister, RequestRecord>(
            Bucket::Data,
            REQUESTS_KEY,
            |this, current| {
                let mut reg = current.unwrap_or_default();
                if reg.requests.len() >= MAX_REQUESTS {
                    return Err(Error::conflict("input", "max-requests", "the request register is full; archive it"));
                }
                let id = format!("R-{:06}", reg.requests.len() + 1);
                let sealed = dek.seal(&format!("request/{id}"), &sid, &plain, this.entropy);
                let what = if awaiting { "received; identity to check" } else { "received; identity known" };
                let r = RequestRecord {
                    id,
                    subject: sid.clone(),
                    kind: input.kind,
                    channel: input.channel,
                    lang: input.lang,
                    state: if awaiting { RequestState::AwaitingIdentity } else { RequestState::InProgress },
                    received_at: Stamp::from_instant(received),
                    paused_ms: 0,
                    paused_since: awaiting.then_some(at),
                    extension: None,
                    doubtful: input.doubtful.clone(),
                    identity_confirmed: None,
                    token: None,
                    outcome: None,
                    history: vec![RequestEvent { at, by: actor.clone(), what: what.into() }],
                    sealed,
                };
                reg.requests.push(r.clone());
                Ok(Some((reg, r)))
            },
            || unreachable!("receiving always writes"),
        )?;
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.received".into(),
                target: record.subject.clone(),
                detail: format!("request={} kind={}", record.id, record.kind.as_str()),
            }],
        )?;
        let record = match (&email, awaiting) {
            (Some(e), true) => self.issue_token(actor, &record.id, e)?,
            _ => record,
        };
        if actor.role == Role::Public {
            // A visitor learns the request's number and deadline, not fichier's id for
            // the address it typed (which would link it to other data).
            let mut view = self.view(record, None)?;
            view.record.subject = String::new();
            return Ok(view);
        }
        self.view(record, Some(personal))
    }

    /// Issue a token for request `id` and record it.
    fn issue_token(&mut self, actor: &Actor, id: &str, email: &str) -> Result<RequestRecord> {
        let current = self.request_record(id)?;
        let token = self.send_token(&current, email)?;
        let at = Stamp::from_instant(self.now);
        let r = self.change_request(id, |r| {
            r.token = Some(token.clone());
            r.history.push(RequestEvent { at, by: actor.clone(), what: "identity token sent".into() });
            Ok(true)
        })?;
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.token-sent".into(),
                target: r.subject.clone(),
                detail: format!("request={id}"),
            }],
        )?;
        Ok(r)
    }

    pub(crate) fn request_record(&self, id: &str) -> Result<RequestRecord> {
        let reg: RequestRegister = self.get_doc(Bucket::Data, REQUESTS_KEY)?.unwrap_or_default();
        reg.requests
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::not_found("id", "request-exists", "no request has this id"))
    }

    /// Change request `id` with one swap of the register; `change` returns whether it
    /// changed anything.
    fn change_request(
        &mut self,
        id: &str,
        mut change: impl FnMut(&mut RequestRecord) -> Result<bool>,
    ) -> Result<RequestRecord> {
        let id = id.to_string();
        let mut unchanged: Option<RequestRecord> = None;
        let out = self.update::<RequestRegister, Option<RequestRecord>>(
            Bucket::Data,
            REQUESTS_KEY,
            |_, current| {
                let mut reg = current.unwrap_or_default();
                let Some(r) = reg.requests.iter_mut().find(|r| r.id == id) else {
                    return Err(Error::not_found("id", "request-exists", "no request has this id"));
                };
                if !change(r)? {
                    unchanged = Some(r.clone());
                    return Ok(None);
                }
                let r = r.clone();
                Ok(Some((reg, Some(r))))
            },
            || None,
        )?;
        out.or(unchanged).ok_or_else(|| Error::Other("request change lost".into()))
    }

    /// The person proves it is them with the token they received.
    pub fn verify_token(&mut self, actor: &Actor, id: &str, token: &str) -> Result<Request> {
        authorize(actor, Operation::VerifyToken)?;
        check_id("id", id, 'R')?;
        if token.is_empty() || token.len() > 64 {
            return Err(Error::invalid("token", "token-syntax", "a token has 1 to 64 characters"));
        }
        let given = sha256_hex(&token.trim().to_ascii_uppercase());
        let now = self.now;
        let at = Stamp::from_instant(now);
        let mut failure: Option<Error> = None;
        let r = self.change_request(id, |r| {
            failure = None;
            if r.state != RequestState::AwaitingIdentity {
                failure = Some(Error::conflict("id", "awaiting-identity", "this request is not waiting for identity"));
                return Ok(false);
            }
            let Some(t) = r.token.as_mut() else {
                failure = Some(Error::conflict("id", "token-sent", "no token was sent for this request"));
                return Ok(false);
            };
            if t.used_at.is_some() {
                failure = Some(Error::invalid("token", "token-unused", "this token was already used"));
                return Ok(false);
            }
            if t.expires_at.instant() <= now {
                failure = Some(Error::invalid("token", "token-unexpired", "this token expired; ask for a new one"));
                return Ok(false);
            }
            if t.attempts >= TOKEN_ATTEMPTS {
                failure = Some(Error::invalid("token", "token-attempts", "too many wrong tokens; ask for a new one"));
                return Ok(false);
            }
            if !bool::from(t.hash.as_bytes().ct_eq(given.as_bytes())) {
                t.attempts += 1;
                failure = Some(Error::invalid("token", "token-matches", "this is not the token that was sent"));
                return Ok(true);
            }
            t.used_at = Some(at);
            r.history.push(RequestEvent { at, by: actor.clone(), what: "token verified".into() });
            if r.doubtful.is_none() || r.identity_confirmed.is_some() {
                resume(r, at);
            }
            Ok(true)
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.token-verified".into(),
                target: r.subject.clone(),
                detail: format!("request={id}"),
            }],
        )?;
        self.view(r, None)
    }

    /// A new token (the last one expired, was lost or had too many wrong tries).
    pub fn resend_token(&mut self, actor: &Actor, id: &str) -> Result<Request> {
        authorize(actor, Operation::ManageRequest)?;
        check_id("id", id, 'R')?;
        let r = self.request_record(id)?;
        if r.state != RequestState::AwaitingIdentity {
            return Err(Error::conflict("id", "awaiting-identity", "this request is not waiting for identity"));
        }
        let email = self.open_personal(&r)?.email.ok_or_else(|| {
            Error::invalid("id", "contact-known", "no e-mail is known for this person to send a token to")
        })?;
        let r = self.issue_token(actor, id, &email)?;
        self.view(r, None)
    }

    /// Someone saw the extra proof a doubtful request needs (its kind only is kept).
    pub fn confirm_identity(&mut self, actor: &Actor, id: &str, method: &str) -> Result<Request> {
        authorize(actor, Operation::ManageRequest)?;
        check_id("id", id, 'R')?;
        validate::printable("method", method, 200)?;
        let at = Stamp::from_instant(self.now);
        let r = self.change_request(id, |r| {
            if r.state != RequestState::AwaitingIdentity {
                return Err(Error::conflict("id", "awaiting-identity", "this request is not waiting for identity"));
            }
            r.identity_confirmed = Some(method.to_string());
            r.history.push(RequestEvent { at, by: actor.clone(), what: format!("identity confirmed: {method}") });
            let token_ok = r.token.as_ref().is_some_and(|t| t.used_at.is_some());
            if r.doubtful.is_none() || token_ok {
                resume(r, at);
            }
            Ok(true)
        })?;
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.identity-confirmed".into(),
                target: r.subject.clone(),
                detail: format!("request={id}"),
            }],
        )?;
        self.view(r, None)
    }

    /// Extend the deadline by two months (once, within the first month, with the reason;
    /// the person is told).
    pub fn extend_request(&mut self, actor: &Actor, id: &str, reason: &str) -> Result<Request> {
        authorize(actor, Operation::DecideRequest)?;
        check_id("id", id, 'R')?;
        validate::text("reason", reason, 2000)?;
        let zone = self.current_policy()?.settings.zone();
        let now = self.now;
        let at = Stamp::from_instant(now);
        let r = self.change_request(id, |r| {
            if !r.state.is_open() {
                return Err(Error::conflict("id", "request-open", "this request is closed"));
            }
            if r.extension.is_some() {
                return Err(Error::conflict("id", "extend-once", "this request was already extended"));
            }
            if deadline(r, now, zone).instant() < now {
                return Err(Error::conflict(
                    "id",
                    "within-first-month",
                    "an extension is decided and told within the first month (Art. 12(3))",
                ));
            }
            r.extension = Some(Extension { reason: reason.to_string(), at });
            r.history.push(RequestEvent { at, by: actor.clone(), what: "deadline extended by two months".into() });
            Ok(true)
        })?;
        let personal = self.open_personal(&r)?;
        if let Some(to) = &personal.email {
            let (title, body) = match r.lang {
                Lang::Fr => (
                    format!("Votre demande {} : délai prolongé", r.id),
                    format!(
                        "Bonjour,\n\nNous avons besoin de deux mois de plus pour répondre à votre demande {} \
                         ({}), pour la raison suivante :\n\n{reason}\n\nVous pouvez adresser une réclamation à la CNIL \
                         (www.cnil.fr).\n",
                        r.kind.label(r.lang),
                        r.id
                    ),
                ),
                Lang::En => (
                    format!("Your request {}: more time needed", r.id),
                    format!(
                        "Hello,\n\nWe need two more months to answer your request {} ({}), for this reason:\n\n\
                         {reason}\n\nYou may lodge a complaint with the CNIL (www.cnil.fr).\n",
                        r.kind.label(r.lang),
                        r.id
                    ),
                ),
            };
            let dek = self.existing_data_key(&r.subject)?;
            self.queue(
                &r.subject,
                &dek,
                MessageKind::Extension,
                Some(id),
                MessageBody { to: to.clone(), title, body },
            )?;
        }
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.extended".into(),
                target: r.subject.clone(),
                detail: format!("request={id}"),
            }],
        )?;
        self.view(r, None)
    }

    /// Close a request: done (with what was done) or refused (with the reasons; the
    /// person is told and reminded of the right to complain).
    pub fn close_request(&mut self, actor: &Actor, id: &str, outcome: Closing, text: &str) -> Result<Request> {
        authorize(actor, Operation::DecideRequest)?;
        check_id("id", id, 'R')?;
        let field = match outcome {
            Closing::Done => "note",
            Closing::Refused => "reasons",
        };
        validate::text(field, text, 4000)?;
        let at = Stamp::from_instant(self.now);
        let r = self.change_request(id, |r| {
            match (outcome, r.state) {
                (_, RequestState::Done | RequestState::Refused) => {
                    return Err(Error::conflict("id", "request-open", "this request is closed"));
                }
                (Closing::Done, RequestState::AwaitingIdentity) => {
                    return Err(Error::conflict(
                        "id",
                        "identity-checked",
                        "the person's identity is not checked yet: verify the token or confirm it",
                    ));
                }
                _ => {}
            }
            end_pause(r, at);
            let (state, what, o) = match outcome {
                Closing::Done => (RequestState::Done, "done", Outcome::Done { at, note: text.to_string() }),
                Closing::Refused => {
                    (RequestState::Refused, "refused", Outcome::Refused { at, reasons: text.to_string() })
                }
            };
            r.state = state;
            r.outcome = Some(o);
            r.history.push(RequestEvent { at, by: actor.clone(), what: what.into() });
            Ok(true)
        })?;
        let personal = self.open_personal(&r)?;
        if let Some(to) = &personal.email {
            let kind = r.kind.label(r.lang);
            let (title, body, message) = match (outcome, r.lang) {
                (Closing::Done, Lang::Fr) => (
                    format!("Votre demande {} a été traitée", r.id),
                    format!("Bonjour,\n\nVotre demande {kind} ({}) a été traitée :\n\n{text}\n", r.id),
                    MessageKind::Answer,
                ),
                (Closing::Done, Lang::En) => (
                    format!("Your request {} has been handled", r.id),
                    format!("Hello,\n\nYour request {kind} ({}) has been handled:\n\n{text}\n", r.id),
                    MessageKind::Answer,
                ),
                (Closing::Refused, Lang::Fr) => (
                    format!("Votre demande {}", r.id),
                    format!(
                        "Bonjour,\n\nNous ne pouvons pas donner suite à votre demande {kind} ({}), pour les raisons \
                         suivantes :\n\n{text}\n\nVous pouvez adresser une réclamation à la CNIL (www.cnil.fr, 3 place \
                         de Fontenoy, TSA 80715, 75334 Paris Cedex 07) et former un recours devant le juge.\n",
                        r.id
                    ),
                    MessageKind::Refusal,
                ),
                (Closing::Refused, Lang::En) => (
                    format!("Your request {}", r.id),
                    format!(
                        "Hello,\n\nWe cannot act on your request {kind} ({}), for these reasons:\n\n{text}\n\nYou may \
                         lodge a complaint with the CNIL (www.cnil.fr, 3 place de Fontenoy, TSA 80715, 75334 Paris \
                         Cedex 07) and seek a judicial remedy.\n",
                        r.id
                    ),
                    MessageKind::Refusal,
                ),
            };
            let dek = self.existing_data_key(&r.subject)?;
            self.queue(&r.subject, &dek, message, Some(id), MessageBody { to: to.clone(), title, body })?;
        }
        let action = match outcome {
            Closing::Done => "rights.done",
            Closing::Refused => "rights.refused",
        };
        self.audit(
            actor,
            vec![AuditDraft { action: action.into(), target: r.subject.clone(), detail: format!("request={id}") }],
        )?;
        self.view(r, None)
    }

    /// One request, with the person's address and words.
    pub fn get_request(&mut self, actor: &Actor, id: &str) -> Result<Request> {
        authorize(actor, Operation::ReadRequests)?;
        check_id("id", id, 'R')?;
        let r = self.request_record(id)?;
        let personal = self.open_personal(&r)?;
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.read".into(),
                target: r.subject.clone(),
                detail: format!("request={id}"),
            }],
        )?;
        self.view(r, Some(personal))
    }

    /// Requests by deadline, soonest first (pseudonymous: no address, no words).
    pub fn list_requests(&mut self, actor: &Actor, filter: RequestFilter) -> Result<Vec<Request>> {
        authorize(actor, Operation::ReadRequests)?;
        if let RequestFilter::DueWithin(d) = filter
            && !(1..=366).contains(&d)
        {
            return Err(Error::invalid("filter.due-within", "range-1-366", "1 to 366 days"));
        }
        let reg: RequestRegister = self.get_doc(Bucket::Data, REQUESTS_KEY)?.unwrap_or_default();
        let zone = self.current_policy()?.settings.zone();
        let mut out = Vec::new();
        for r in reg.requests {
            let v = view_at(r, None, self.now, zone);
            let keep = match filter {
                RequestFilter::All => true,
                RequestFilter::Open => v.record.state.is_open(),
                RequestFilter::Overdue => v.overdue,
                RequestFilter::DueWithin(d) => {
                    v.record.state.is_open() && v.deadline.instant() <= self.now + chrono::Duration::days(i64::from(d))
                }
            };
            if keep {
                out.push(v);
            }
        }
        crate::sort::sort_by(&mut out, |a, b| (a.deadline, &a.record.id).cmp(&(b.deadline, &b.record.id)));
        Ok(out)
    }

    /// Messages to send, oldest first, opened (the host sends them, then acknowledges).
    pub fn outbox_pending(&mut self, actor: &Actor, limit: u32) -> Result<Vec<Message>> {
        authorize(actor, Operation::DrainOutbox)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "1 to 1000 messages"));
        }
        let outbox: Outbox = self.get_doc(Bucket::Data, OUTBOX_KEY)?.unwrap_or_default();
        let mut out = Vec::new();
        let mut drafts = Vec::new();
        for m in outbox.messages.into_iter().take(limit as usize) {
            let context = format!("outbox/{}", m.id);
            let dek = self.existing_data_key(&m.subject)?;
            // An erasure in progress sealed its answer under the key that replaces this one.
            let plain = match dek.open(&context, &m.subject, &m.sealed) {
                Some(p) => Some(p),
                None => self
                    .named_key(&crate::erasure::staged_key(&m.subject), &m.subject, false)?
                    .and_then(|k| k.open(&context, &m.subject, &m.sealed)),
            };
            let plain = plain.ok_or_else(|| {
                Error::corrupted(place(Bucket::Data, OUTBOX_KEY), "aead-authentic", "a message fails authentication")
            })?;
            let body: MessageBody = postcard::from_bytes(&plain)
                .map_err(|e| Error::corrupted(place(Bucket::Data, OUTBOX_KEY), "decodes", format!("a message: {e}")))?;
            drafts.push(AuditDraft {
                action: "outbox.read".into(),
                target: m.subject.clone(),
                detail: format!("message={}", m.id),
            });
            out.push(Message {
                id: m.id,
                kind: m.kind,
                to: body.to,
                title: body.title,
                body: body.body,
                created_at: m.created_at,
                request: m.request,
            });
        }
        self.audit(actor, drafts)?;
        Ok(out)
    }

    /// The message was sent: it leaves the outbox (with the token it carried). `false`
    /// when it was already acknowledged.
    pub fn outbox_ack(&mut self, actor: &Actor, id: &str) -> Result<bool> {
        authorize(actor, Operation::DrainOutbox)?;
        check_id("id", id, 'M')?;
        let id_owned = id.to_string();
        let gone = self.update::<Outbox, Option<String>>(
            Bucket::Data,
            OUTBOX_KEY,
            |_, current| {
                let mut outbox = current.unwrap_or_default();
                let Some(i) = outbox.messages.iter().position(|m| m.id == id_owned) else { return Ok(None) };
                let m = outbox.messages.remove(i);
                Ok(Some((outbox, Some(m.subject))))
            },
            || None,
        )?;
        match gone {
            Some(subject) => {
                self.audit(
                    actor,
                    vec![AuditDraft { action: "outbox.sent".into(), target: subject, detail: format!("message={id}") }],
                )?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// How a request closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Done,
    Refused,
}

/// Done, with `note` (the erasure closes its request this way).
pub(crate) fn close(r: &mut RequestRecord, at: Stamp, note: String) {
    end_pause(r, at);
    r.state = RequestState::Done;
    r.outcome = Some(Outcome::Done { at, note });
}

/// The clock runs again: the open pause, if any, joins the closed ones.
fn end_pause(r: &mut RequestRecord, at: Stamp) {
    if let Some(since) = r.paused_since.take() {
        r.paused_ms += (at.instant() - since.instant()).num_milliseconds().max(0);
    }
}

/// Identity established: the clock runs again.
fn resume(r: &mut RequestRecord, at: Stamp) {
    end_pause(r, at);
    r.state = RequestState::InProgress;
}
