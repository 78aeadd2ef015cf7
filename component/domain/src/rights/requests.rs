//! Data-subject requests: received, identity checked (a one-time token through the
//! outbox, and extra proof when doubtful), in progress, extended once, done or refused;
//! their deadlines on the shop's calendar with the clock stopped while identity is
//! awaited; every transition audited.

use subtle::ConstantTimeEq;

use super::{
    Extension, MAX_REQUESTS, Outcome, Personal, REQUESTS_KEY, Request, RequestChannel, RequestEvent, RequestFilter,
    RequestInput, RequestRecord, RequestRegister, RequestState, TOKEN_ATTEMPTS, TOKEN_HOURS, Token, check_id,
    sha256_hex,
};
use crate::audit::AuditDraft;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::{self, Instant, Stamp};
use crate::kernel::types::{Actor, Lang, Role, SubjectRef};
use crate::kernel::validate;
use crate::outbox::{MessageBody, MessageKind};

/// Milliseconds in a day: the closed pauses are counted in whole days, kept in
/// [`RequestRecord::paused_ms`] as days × this.
pub const DAY_MS: i64 = 86_400_000;

/// The due date of a request at `now` on `zone`'s calendar: the last day of a period of 1
/// month (3 when extended) from receipt (the same date, or the month's last day; Reg.
/// 1182/71 art. 3(2)(c)), moved on by the days the clock was stopped (Art. 12(3) and
/// 12(6); EDPB Guidelines 01/2022 §157-160).
pub fn due_date(r: &RequestRecord, now: Instant, zone: time::Zone) -> chrono::NaiveDate {
    let months = if r.extension.is_some() { 3 } else { 1 };
    let received = r.received_at.instant();
    let last = time::last_day(received, months, zone).unwrap_or_else(|| time::date_in(received, zone));
    let stopped = u64::try_from(days_stopped(r, now, zone)).unwrap_or(0);
    last.checked_add_days(chrono::Days::new(stopped)).unwrap_or(last)
}

/// The deadline of a request at `now`: the end of its [`due_date`] in `zone` (the last
/// millisecond before the next midnight; Reg. 1182/71 art. 3(2)(b)), so it is overdue only
/// from the next midnight.
pub fn deadline(r: &RequestRecord, now: Instant, zone: time::Zone) -> Stamp {
    let due = due_date(r, now, zone);
    Stamp::from_instant(time::end_of_day(due, zone).unwrap_or(r.received_at.instant()))
}

/// The days one stop of the clock lasted, from `since` to `until`: the dates between
/// them on `zone`'s calendar. The day the clock stops does not count and the day it
/// restarts does (Reg. 1182/71 art. 3(1): a period from an event starts the next day),
/// so a stop that ends the day it began moves nothing, and a stop from receipt to the
/// identity's proof makes the month run from the proof's day.
pub fn stop_days(since: Instant, until: Instant, zone: time::Zone) -> i64 {
    (time::date_in(until, zone) - time::date_in(since, zone)).num_days().max(0)
}

/// Days the clock was stopped up to `now`: the closed stops, each counted by
/// [`stop_days`] when it ended, and the open one up to today. Every stop counts: the
/// controller may ask for what identifies the person more than once (EDPB Guidelines
/// 01/2022 §157-160).
pub fn days_stopped(r: &RequestRecord, now: Instant, zone: time::Zone) -> i64 {
    let open = r.paused_since.map_or(0, |s| stop_days(s.instant(), now, zone));
    r.paused_ms.max(0) / DAY_MS + open
}

/// A request as shown at `now`: its deadline and whether it is overdue.
pub(super) fn view_at(r: RequestRecord, personal: Option<Personal>, now: Instant, zone: time::Zone) -> Request {
    let deadline = deadline(&r, now, zone);
    let overdue = r.state.is_open() && r.paused_since.is_none() && deadline.instant() < now;
    let (email, details) = personal.map_or((None, None), |p| (p.email, p.details));
    Request { record: r, deadline, overdue, email, details }
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
    /// Issue a token for `r` and queue it to the person.
    fn send_token(&mut self, r: &RequestRecord, email: &str) -> Result<Token> {
        let mut raw = [0u8; 15];
        self.entropy.fill(&mut raw);
        let token = crate::kernel::encoding::base32(&raw).to_ascii_uppercase();
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
            SubjectRef::Email(e) => Some(crate::customers::normalize::email("input.subject.email", e)?),
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
        let zone = self.current_policy()?.settings.zone();
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
                resume(r, at, zone);
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
        let zone = self.current_policy()?.settings.zone();
        let at = Stamp::from_instant(self.now);
        let r = self.change_request(id, |r| {
            if r.state != RequestState::AwaitingIdentity {
                return Err(Error::conflict("id", "awaiting-identity", "this request is not waiting for identity"));
            }
            r.identity_confirmed = Some(method.to_string());
            r.history.push(RequestEvent { at, by: actor.clone(), what: format!("identity confirmed: {method}") });
            let token_ok = r.token.as_ref().is_some_and(|t| t.used_at.is_some());
            if r.doubtful.is_none() || token_ok {
                resume(r, at, zone);
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

    /// The controller asks the person for information it needs to identify them (Art.
    /// 12(6)): the clock stops until it arrives (`confirm-identity`, or a new token the
    /// person verifies), and the due date moves on by the days it was stopped. It may be
    /// asked any number of times, each stop counted (Art. 12(3); EDPB Guidelines 01/2022
    /// §157-160). `note` says what was asked (never a copy of a document).
    pub fn ask_identity(&mut self, actor: &Actor, id: &str, note: &str) -> Result<Request> {
        authorize(actor, Operation::ManageRequest)?;
        check_id("id", id, 'R')?;
        validate::printable("note", note, 500)?;
        let at = Stamp::from_instant(self.now);
        let r = self.change_request(id, |r| {
            match r.state {
                RequestState::InProgress => {}
                RequestState::AwaitingIdentity => {
                    return Err(Error::conflict(
                        "id",
                        "in-progress",
                        "the clock is already stopped: this request is waiting for the person's identity",
                    ));
                }
                RequestState::Done | RequestState::Refused => {
                    return Err(Error::conflict("id", "request-open", "this request is closed"));
                }
            }
            r.state = RequestState::AwaitingIdentity;
            r.paused_since = Some(at);
            r.history.push(RequestEvent {
                at,
                by: actor.clone(),
                what: format!("identity information asked, clock stopped: {note}"),
            });
            Ok(true)
        })?;
        self.audit(
            actor,
            vec![AuditDraft {
                action: "rights.identity-asked".into(),
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
        let zone = self.current_policy()?.settings.zone();
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
            end_pause(r, at, zone);
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
                // Due on one of the next `d` days (today included) or before.
                RequestFilter::DueWithin(d) => {
                    v.record.state.is_open()
                        && time::date_in(v.deadline.instant(), zone)
                            <= time::date_in(self.now, zone) + chrono::Days::new(u64::from(d))
                }
            };
            if keep {
                out.push(v);
            }
        }
        crate::kernel::sort::sort_by(&mut out, |a, b| (a.deadline, &a.record.id).cmp(&(b.deadline, &b.record.id)));
        Ok(out)
    }
}

/// How a request closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Done,
    Refused,
}

/// Done, with `note` (the erasure closes its request this way).
pub(crate) fn close(r: &mut RequestRecord, at: Stamp, note: String, zone: time::Zone) {
    end_pause(r, at, zone);
    r.state = RequestState::Done;
    r.outcome = Some(Outcome::Done { at, note });
}

/// The clock runs again: the open pause, if any, joins the closed ones, as its
/// [`stop_days`].
pub(super) fn end_pause(r: &mut RequestRecord, at: Stamp, zone: time::Zone) {
    if let Some(since) = r.paused_since.take() {
        let days = stop_days(since.instant(), at.instant(), zone);
        r.paused_ms = r.paused_ms.saturating_add(days.saturating_mul(DAY_MS));
    }
}

/// Identity established: the clock runs again.
pub(super) fn resume(r: &mut RequestRecord, at: Stamp, zone: time::Zone) {
    end_pause(r, at, zone);
    r.state = RequestState::InProgress;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::{RequestChannel, RequestKind};

    fn at(s: &str) -> Instant {
        time::parse("t", s).unwrap_or_default()
    }

    fn record(received: &str, paused_ms: i64, paused_since: Option<&str>) -> RequestRecord {
        RequestRecord {
            id: "R-000001".into(),
            subject: "s".into(),
            kind: RequestKind::Access,
            channel: RequestChannel::Email,
            lang: Lang::Fr,
            state: RequestState::InProgress,
            received_at: Stamp::from_instant(at(received)),
            paused_ms,
            paused_since: paused_since.map(|s| Stamp::from_instant(at(s))),
            extension: None,
            doubtful: None,
            identity_confirmed: None,
            token: None,
            outcome: None,
            history: Vec::new(),
            sealed: Vec::new(),
        }
    }

    /// Reg. 1182/71 art. 3(1): a stop counts the Paris dates from the day it began (not
    /// counted) to the day it ended (counted); 22:30 UTC on 14 June is already 15 June.
    #[test]
    fn a_stop_counts_paris_days() {
        let paris = time::DEFAULT_ZONE;
        assert_eq!(stop_days(at("2026-06-14T08:00:00Z"), at("2026-06-14T21:00:00Z"), paris), 0);
        assert_eq!(stop_days(at("2026-06-14T08:00:00Z"), at("2026-06-14T22:30:00Z"), paris), 1);
        assert_eq!(stop_days(at("2026-06-14T21:59:00Z"), at("2026-06-14T22:01:00Z"), paris), 1);
        assert_eq!(stop_days(at("2026-06-14T08:00:00Z"), at("2026-06-10T08:00:00Z"), paris), 0, "never negative");
    }

    /// The register keeps its stored layout: closed stops are whole days × DAY_MS, and a
    /// record written when they were exact milliseconds reads as the whole days in them;
    /// the open stop counts up to today.
    #[test]
    fn closed_and_open_stops_move_the_due_date_by_days() {
        let paris = time::DEFAULT_ZONE;
        let now = at("2026-06-20T10:00:00Z");
        let due = |r: &RequestRecord| due_date(r, now, paris).to_string();
        assert_eq!(due(&record("2026-05-15T10:00:00Z", 0, None)), "2026-06-15");
        assert_eq!(due(&record("2026-05-15T10:00:00Z", 3 * DAY_MS, None)), "2026-06-18");
        // Written before: 2 days 5 hours stopped reads as 2 days.
        assert_eq!(due(&record("2026-05-15T10:00:00Z", 2 * DAY_MS + 5 * 3_600_000, None)), "2026-06-17");
        // Stopped since 18 June, 23:00 Paris: 2 days by 20 June.
        let r = record("2026-05-15T10:00:00Z", DAY_MS, Some("2026-06-18T21:00:00Z"));
        assert_eq!(due(&r), "2026-06-18");
        let mut closed = r.clone();
        end_pause(&mut closed, Stamp::from_instant(now), paris);
        assert_eq!((closed.paused_ms, closed.paused_since), (3 * DAY_MS, None));
        assert_eq!(deadline(&closed, now, paris).to_string(), "2026-06-18T21:59:59.999Z");
    }
}
