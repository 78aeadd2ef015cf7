//! Consent by e-mail from the public (issue 24): nobody may write in a person's history,
//! nor learn whether an address is known, by naming an e-mail.
//!
//! - **Double opt-in** (`sign-up`, `confirm`): a public grant by e-mail is kept pending,
//!   sealed under the person's key, and a confirmation message with a single-use token goes
//!   to the address through the outbox; the receipt that counts is recorded when the
//!   person confirms, citing the notice the form showed. An unconfirmed sign-up expires
//!   after the policy's `confirm-within-days` (default 7) and is deleted (by later sign-ups,
//!   confirmations and the retention sweep).
//! - **Unsubscribe tokens** (`unsubscribe-link`, `unsubscribe`): a per-person, per-purpose
//!   token the shop puts in its mails (RFC 8058 one-click target): version, the subject
//!   id's hash, the purpose, and an HMAC under a key derived from the master key, checked
//!   with no store look-up. Following it records a withdrawal in one step (Art. 7(3)), of
//!   the purpose and of every `email-tracking` purpose serving it (its mails' pixel).
//! - **Answers reveal nothing**: each answers a [`PublicOutcome`], the same whether the
//!   address was known or not; no subject id, no sequence number.
//!
//! Stored: `optin/seq` ([`SignUpSeq`], the last number given: one swap per sign-up),
//! `optin/<n>` ([`PendingSignUp`]: subject id, token hash, dates in clear, the sign-up sealed
//! under the person's key; the commit point of a sign-up; a confirmed one keeps only its
//! dates until purged), `optin/low` ([`SignUpLow`]: every number up to it is purged).

use crate::kernel::encoding::{base32, base64url, from_base32, from_base64url};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::{AgeDeclaration, Decision, GivenBy, ReceiptInput};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::sha256_hex;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document, encode, storage_error};
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, Channel, SubjectRef};
use crate::kernel::validate;
use crate::outbox::{MessageBody, MessageKind};

const SEQ_KEY: &str = "optin/seq";
const LOW_KEY: &str = "optin/low";
/// Entries a purge looks at past the low mark (a sign-up's or a confirmation's).
const PURGE_STEP: u64 = 16;
/// A number given this long before a later one was written is no longer being written.
const WRITE_GRACE_SECONDS: i64 = 60;
/// The version byte of unsubscribe tokens.
const UNSUBSCRIBE_V1: u8 = 1;

fn signup_key(n: u64) -> String {
    format!("optin/{n}")
}

/// What a public call about an e-mail did: the same whether the address was known or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicOutcome {
    /// A sign-up waits for its confirmation; the message is in the outbox.
    ConfirmationSent,
    /// The sign-up was confirmed: its grant is recorded.
    Confirmed,
    /// The withdrawal is recorded.
    Withdrawn,
}

/// The last sign-up number given.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SignUpSeq {
    pub last: u64,
}
document!(SignUpSeq, "optin-seq", 1, binary_only);

/// Every sign-up number up to `upto` is purged.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SignUpLow {
    pub upto: u64,
}
document!(SignUpLow, "optin-low", 1, binary_only);

/// A sign-up waiting for its confirmation (or confirmed: `sealed` empty).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSignUp {
    pub subject: String,
    /// SHA-256 (hex) of the token's secret part.
    pub token_sha256: String,
    pub created_at: Stamp,
    pub expires_at: Stamp,
    /// [`SignUpBody`] sealed under the subject's key; empty once confirmed.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}
document!(PendingSignUp, "optin-pending", 1, binary_only);

/// What is sealed of a sign-up: what the grant will record.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SignUpBody {
    email: String,
    purpose: String,
    channel: Channel,
    notice: String,
    client_ip: Option<String>,
    user_agent: Option<String>,
    gpc: bool,
    age: Option<AgeDeclaration>,
}

fn token_error() -> Error {
    Error::invalid("token", "token-matches", "this token is unknown, used or expired")
}

/// `<n>-<26 characters of base32>` → (n, secret).
fn parse_signup_token(token: &str) -> Result<(u64, &str)> {
    let bad = || Error::invalid("token", "token-syntax", "a confirmation token is a number, '-' and 26 letters");
    let (n, secret) = token.split_once('-').ok_or_else(bad)?;
    if n.is_empty() || n.len() > 18 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let secret_ok = secret.len() == 26 && secret.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    if !secret_ok {
        return Err(bad());
    }
    Ok((n.parse().map_err(|_| bad())?, secret))
}

/// Whether `word` has the shape of a confirmation token.
pub(crate) fn is_signup_token(word: &str) -> bool {
    parse_signup_token(word).is_ok()
}

impl<S: Store> Fichier<'_, S> {
    /// A public grant by e-mail: kept pending, sealed, and a confirmation message queued to
    /// the address; the grant is recorded when the person confirms. Validates as
    /// `record-decision` does; answers the same whether the address is known or not.
    pub fn sign_up(&mut self, actor: &Actor, input: ReceiptInput) -> Result<PublicOutcome> {
        authorize(actor, Operation::ConsentByEmail)?;
        let SubjectRef::Email(email) = &input.subject else {
            return Err(Error::invalid("input.subject", "email-subject", "a sign-up names the person by e-mail"));
        };
        let email = validate::email("input.subject.email", email)?;
        let sid = self.subject_id("input.subject", &input.subject)?;
        if input.decision != Decision::Grant {
            return Err(Error::invalid(
                "input.decision",
                "grant-by-sign-up",
                "a sign-up grants; a withdrawal by e-mail follows the mail's unsubscribe link",
            ));
        }
        if input.given_by != GivenBy::Subject {
            return Err(Error::invalid("input.given-by", "subject-signs-up", "the person signs up themselves"));
        }
        if !matches!(input.channel, Channel::WebForm | Channel::Checkout) {
            return Err(Error::invalid(
                "input.channel",
                "sign-up-channel",
                "a sign-up comes from a web form or checkout",
            ));
        }
        if input.at.is_some() {
            return Err(Error::invalid("input.at", "at-confirmation", "the grant is dated when the person confirms"));
        }
        let purpose = self.purpose(&input.purpose, "input.purpose")?;
        let Some(reference) = &input.notice else {
            return Err(Error::invalid(
                "input.notice",
                "grant-cites-notice",
                "a grant must cite the notice that was shown (Art. 7(1))",
            ));
        };
        let notice = self.notice("input.notice", reference)?;
        if !notice.purposes.contains(&purpose.id) {
            return Err(Error::invalid(
                "input.notice",
                "notice-covers-purpose",
                format!("notice {reference} does not inform about {}", purpose.id),
            ));
        }
        let client_ip =
            input.client_ip.as_deref().map(|ip| validate::truncate_ip("input.client-ip", ip)).transpose()?;
        if input.user_agent.as_ref().is_some_and(|ua| ua.len() > 8 * 1024) {
            return Err(Error::invalid("input.user-agent", "max-bytes", "a User-Agent is at most 8 KiB"));
        }
        if let Some(id) = &input.receipt_id {
            validate::receipt_id("input.receipt-id", id)?;
        }
        let policy = self.current_policy()?;
        self.check_master_key(true)?;
        self.purge_signups(PURGE_STEP)?;
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("data key not created".into()))?;
        let mut raw = [0u8; 16];
        self.entropy.fill(&mut raw);
        let secret = base32(&raw);
        let now = Stamp::from_instant(self.now);
        let expires = self.now + chrono::Duration::days(i64::from(policy.settings.confirm_within_days));
        let body = SignUpBody {
            email: email.clone(),
            purpose: purpose.id.clone(),
            channel: input.channel,
            notice: notice.reference.clone(),
            client_ip,
            user_agent: input.user_agent.clone(),
            gpc: input.gpc,
            age: input.age,
        };
        let plain = postcard::to_allocvec(&body).map_err(|e| Error::Other(e.to_string()))?;
        let n = self.update::<SignUpSeq, u64>(
            Bucket::Data,
            SEQ_KEY,
            |_, current| {
                let last = current.unwrap_or_default().last.saturating_add(1);
                Ok(Some((SignUpSeq { last }, last)))
            },
            || 0,
        )?;
        let sealed = dek.seal(&signup_key(n), &sid, &plain, self.entropy);
        let entry = PendingSignUp {
            subject: sid.clone(),
            token_sha256: sha256_hex(secret.as_bytes()),
            created_at: now,
            expires_at: Stamp::from_instant(expires),
            sealed,
        };
        // The commit point of the sign-up; the message follows.
        self.set_raw(Bucket::Data, &signup_key(n), &encode(&entry))?;
        let token = format!("{n}-{secret}");
        let days = policy.settings.confirm_within_days;
        let (title, text) = if notice.lang == "fr" {
            (
                format!("Confirmez votre inscription : {}", purpose.title),
                format!(
                    "Bonjour,\n\nPour confirmer votre inscription ({title}), suivez le lien de confirmation de la \
                     boutique ou saisissez ce code : {token}\n\nSans confirmation sous {days} jours, la demande est \
                     effacée. Si vous n'avez rien demandé, ignorez ce message.\n",
                    title = purpose.title
                ),
            )
        } else {
            (
                format!("Confirm your sign-up: {}", purpose.title),
                format!(
                    "Hello,\n\nTo confirm your sign-up ({title}), follow the shop's confirmation link or enter this \
                     code: {token}\n\nWithout a confirmation within {days} days, the request is deleted. If you asked \
                     for nothing, ignore this message.\n",
                    title = purpose.title
                ),
            )
        };
        self.queue(&sid, &dek, MessageKind::ConsentConfirmation, None, MessageBody { to: email, title, body: text })?;
        Ok(PublicOutcome::ConfirmationSent)
    }

    /// The person confirms a sign-up with the token of its message: the grant is recorded,
    /// citing the notice the form showed, and the token is used up.
    pub fn confirm_sign_up(&mut self, actor: &Actor, token: &str) -> Result<PublicOutcome> {
        authorize(actor, Operation::ConsentByEmail)?;
        let (n, secret) = parse_signup_token(token)?;
        let key = signup_key(n);
        let Some(entry) = self.get_doc::<PendingSignUp>(Bucket::Data, &key)? else { return Err(token_error()) };
        let matches = bool::from(sha256_hex(secret.as_bytes()).as_bytes().ct_eq(entry.token_sha256.as_bytes()));
        if !matches || entry.sealed.is_empty() {
            return Err(token_error());
        }
        if self.now > entry.expires_at.instant() {
            self.store.delete(Bucket::Data, &key).map_err(|e| storage_error(Bucket::Data, e))?;
            return Err(Error::invalid("token", "token-unexpired", "this sign-up expired: sign up again"));
        }
        self.check_master_key(false)?;
        // The person was erased since (before erasures dropped sign-ups): their key
        // changed, and the sign-up goes with them.
        let Some(body) = self.open_signup(n, &entry)? else {
            self.store.delete(Bucket::Data, &key).map_err(|e| storage_error(Bucket::Data, e))?;
            return Err(token_error());
        };
        let input = ReceiptInput {
            subject: SubjectRef::Email(body.email),
            purpose: body.purpose,
            decision: Decision::Grant,
            given_by: GivenBy::Subject,
            channel: body.channel,
            notice: Some(body.notice),
            at: None,
            receipt_id: Some(format!("optin-{n}")),
            client_ip: body.client_ip,
            user_agent: body.user_agent,
            gpc: body.gpc,
            age: body.age,
        };
        match self.record(actor, input, false, None) {
            Ok(_) => {}
            // Recorded by an earlier attempt that stopped before using the token up.
            Err(Error::Conflict(f)) if f.rule == "unique-per-subject" => {}
            Err(e) => return Err(e),
        }
        // Used up: the entry keeps its dates, nothing personal, until purged.
        let used = PendingSignUp { sealed: Vec::new(), token_sha256: String::new(), ..entry };
        self.set_raw(Bucket::Data, &key, &encode(&used))?;
        self.purge_signups(PURGE_STEP)?;
        Ok(PublicOutcome::Confirmed)
    }

    /// A waiting sign-up's sealed body, opened under its person's key; `None` when it
    /// does not authenticate.
    fn open_signup(&mut self, n: u64, entry: &PendingSignUp) -> Result<Option<SignUpBody>> {
        let key = signup_key(n);
        let dek = self.existing_data_key(&entry.subject)?;
        let Some(plain) = dek.open(&key, &entry.subject, &entry.sealed) else { return Ok(None) };
        postcard::from_bytes(&plain)
            .map(Some)
            .map_err(|e| Error::corrupted(place(Bucket::Data, &key), "decodes", format!("a sign-up: {e}")))
    }

    /// The numbers every stored sign-up is under (`verify-store`, an erasure): those after
    /// the purged ones, up to the last given — bounded by what waits, not by the store.
    pub(crate) fn signup_numbers(&self) -> Result<std::ops::RangeInclusive<u64>> {
        let last = self.get_doc::<SignUpSeq>(Bucket::Data, SEQ_KEY)?.map_or(0, |s| s.last);
        let low = self.get_doc::<SignUpLow>(Bucket::Data, LOW_KEY)?.unwrap_or_default().upto;
        Ok(low.saturating_add(1)..=last)
    }

    /// Open stored sign-up `n` for `verify-store`: whose it is (empty when it does not
    /// decode), whether it holds a sealed part (used-up ones do not), and a `corrupted`
    /// error naming it when it does not decode or open.
    pub(crate) fn verify_signup(&mut self, n: u64) -> (String, bool, Result<()>) {
        let key = signup_key(n);
        let entry = match self.get_doc::<PendingSignUp>(Bucket::Data, &key) {
            Ok(Some(e)) => e,
            Ok(None) => return (String::new(), false, Ok(())),
            Err(e) => return (String::new(), false, Err(e)),
        };
        if entry.sealed.is_empty() {
            return (entry.subject, false, Ok(()));
        }
        let r = match self.open_signup(n, &entry) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                Err(Error::corrupted(place(Bucket::Data, &key), "aead-authentic", "a sign-up fails authentication"))
            }
            Err(e) => Err(e),
        };
        (entry.subject, true, r)
    }

    /// The numbers of `sid`'s stored sign-ups (an erasure deletes them with
    /// [`Self::drop_signup`]: the pending grant goes with the person, as their waiting
    /// messages do). One that does not decode is not known to be theirs: verify-store
    /// names it.
    pub(crate) fn signups_of(&self, sid: &str) -> Result<Vec<u64>> {
        let mut mine = Vec::new();
        for n in self.signup_numbers()? {
            if self
                .get_doc::<PendingSignUp>(Bucket::Data, &signup_key(n))
                .ok()
                .flatten()
                .is_some_and(|e| e.subject == sid)
            {
                mine.push(n);
            }
        }
        Ok(mine)
    }

    /// Delete stored sign-up `n`.
    pub(crate) fn drop_signup(&mut self, n: u64) -> Result<()> {
        self.store.delete(Bucket::Data, &signup_key(n)).map_err(|e| storage_error(Bucket::Data, e))
    }

    /// Delete expired and used sign-ups from the oldest, looking at up to `step` numbers;
    /// how many were deleted. A number with no entry is passed only when a later one,
    /// given a while before, is passed too (it was never written: a crash).
    pub(crate) fn purge_signups(&mut self, step: u64) -> Result<u32> {
        let Some(seq) = self.get_doc::<SignUpSeq>(Bucket::Data, SEQ_KEY)? else { return Ok(0) };
        let low = self.get_doc::<SignUpLow>(Bucket::Data, LOW_KEY)?.unwrap_or_default().upto;
        let to = low.saturating_add(step).min(seq.last);
        if to <= low {
            return Ok(0);
        }
        let keys: Vec<String> = (low + 1..=to).map(signup_key).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let grace = self.now - chrono::Duration::seconds(WRITE_GRACE_SECONDS);
        let mut upto = low;
        let mut deleted = 0u32;
        for ((n, key), value) in (low + 1..=to).zip(&keys).zip(values) {
            let Some(bytes) = value else { continue };
            let entry = crate::kernel::store::decode::<PendingSignUp>(&place(Bucket::Data, key), &bytes)?;
            let expired = self.now > entry.expires_at.instant();
            let used = entry.sealed.is_empty() && entry.created_at.instant() < grace;
            if !(expired || used) {
                break;
            }
            self.store.delete(Bucket::Data, key).map_err(|e| storage_error(Bucket::Data, e))?;
            deleted += 1;
            upto = n;
        }
        if upto > low {
            self.update::<SignUpLow, ()>(
                Bucket::Data,
                LOW_KEY,
                |_, current| {
                    Ok(if current.is_some_and(|l| l.upto >= upto) { None } else { Some((SignUpLow { upto }, ())) })
                },
                || (),
            )?;
        }
        Ok(deleted)
    }

    /// The unsubscribe token of a person and purpose, for the shop's mails: the path
    /// `/v1/unsubscribe/<token>` is the RFC 8058 one-click target (`List-Unsubscribe-Post`).
    pub fn unsubscribe_link(&mut self, actor: &Actor, subject: &SubjectRef, purpose: &str) -> Result<String> {
        authorize(actor, Operation::MintUnsubscribeLink)?;
        let sid = self.subject_id("subject", subject)?;
        let purpose = self.purpose(purpose, "purpose")?;
        let hash = from_base32(sid.trim_start_matches("s-"))
            .ok_or_else(|| Error::invalid("subject", "subject-id-syntax", "not a subject id"))?;
        let mut payload = Vec::with_capacity(1 + hash.len() + purpose.id.len() + 16);
        payload.push(UNSUBSCRIBE_V1);
        payload.extend_from_slice(&hash);
        payload.extend_from_slice(purpose.id.as_bytes());
        let mac = self.keys()?.unsubscribe_mac(&payload);
        payload.extend_from_slice(&mac);
        Ok(base64url(&payload))
    }

    /// Follow an unsubscribe token: a withdrawal for its person and purpose, recorded at
    /// once (one step, Art. 7(3)), citing the purpose's current notice, whether fichier
    /// knew the person or not.
    pub fn unsubscribe(&mut self, actor: &Actor, token: &str) -> Result<PublicOutcome> {
        authorize(actor, Operation::ConsentByEmail)?;
        let bad = || Error::invalid("token", "token-syntax", "an unsubscribe token is base64url of 34 to 97 bytes");
        if token.len() > 140 {
            return Err(bad());
        }
        let bytes = from_base64url(token).ok_or_else(bad)?;
        if bytes.len() < 1 + 16 + 1 + 16 || bytes[0] != UNSUBSCRIBE_V1 {
            return Err(bad());
        }
        let (payload, mac) = bytes.split_at(bytes.len() - 16);
        if !bool::from(self.keys()?.unsubscribe_mac(payload).ct_eq(mac)) {
            return Err(Error::invalid("token", "token-matches", "this unsubscribe token was not minted by this shop"));
        }
        let sid = format!("s-{}", base32(&payload[1..17]));
        let purpose = std::str::from_utf8(&payload[17..]).map_err(|_| bad())?.to_string();
        let purpose = self.purpose(&purpose, "token")?;
        // The measuring of the mails' opens goes with the marketing they carry
        // (CNIL délibération 2026-042): every `email-tracking` purpose serving it too.
        let mut withdrawn = vec![purpose.id.clone()];
        withdrawn.extend(self.tracking_of(&purpose.id)?.into_iter().map(|t| t.id));
        let notices = self.notices()?;
        for id in withdrawn {
            let notice = notices
                .iter()
                .filter(|n| n.purposes.contains(&id))
                .max_by(|a, b| (&a.registered_at, a.version).cmp(&(&b.registered_at, b.version)))
                .map(|n| n.reference.clone());
            let input = ReceiptInput::withdrawal(SubjectRef::Subject(sid.clone()), id, Channel::EmailLink, notice);
            self.record(actor, input, true, None)?;
        }
        Ok(PublicOutcome::Withdrawn)
    }
}
