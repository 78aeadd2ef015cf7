//! Consent: declared purposes, versioned notices, hash-chained receipts, status.

use std::collections::BTreeSet;

use data_encoding::{BASE32_NOPAD, BASE64};

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::crypto::{sha256_hex, sha256_parts};
use crate::docs::{self, NoticeCatalogue, NoticeText, PurposeCatalogue, ReceiptEntry, ReceiptSummary, SubjectHead};
use crate::error::{Error, Result};
use crate::model::*;
use crate::service::place;
use crate::store::{self, Bucket, Store, storage_error};
use crate::time::{self, Instant};
use crate::validate::{self, MAX_TEXT_BYTES};

/// The hash every subject's chain starts from.
pub fn genesis(sid: &str) -> String {
    hex::encode(sha256_parts(&[b"fichier/genesis/v1", sid.as_bytes()]))
}

/// `hash(n) = SHA-256("fichier/receipt/v1" ‖ hash(n−1) ‖ stored bytes of receipt n)`.
pub fn chain_hash(prev: &str, stored: &[u8]) -> String {
    hex::encode(sha256_parts(&[b"fichier/receipt/v1", prev.as_bytes(), stored]))
}

/// Parse a notice reference `<purposes joined by +>:<lang>:v<version>`.
pub fn parse_reference(field: &str, reference: &str) -> Result<(Vec<String>, String, u32)> {
    let bad =
        || Error::invalid(field, "notice-reference-syntax", "a notice reference looks like analytics+newsletter:fr:v2");
    if reference.len() > 2048 {
        return Err(Error::invalid(field, "max-length", "a notice reference has at most 2048 characters"));
    }
    let mut parts = reference.split(':');
    let (Some(purposes), Some(lang), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let version: u32 = version.strip_prefix('v').and_then(|v| v.parse().ok()).filter(|v| *v >= 1).ok_or_else(bad)?;
    let purposes: Vec<String> = purposes.split('+').map(str::to_string).collect();
    for p in &purposes {
        validate::purpose_id(field, p).map_err(|_| bad())?;
    }
    validate::lang(field, lang).map_err(|_| bad())?;
    Ok((purposes, lang.to_string(), version))
}

fn series(purposes: &[String], lang: &str) -> String {
    format!("{}:{}", purposes.join("+"), lang)
}

/// Each of `ids` is a well-formed purpose id of one of the `declared` purposes; `item(i)`
/// names the i-th in an error (formatted only then: the import checks every row's fields).
pub(crate) fn check_declared(ids: &[String], declared: &[Purpose], item: impl Fn(usize) -> String) -> Result<()> {
    for (i, p) in ids.iter().enumerate() {
        validate::purpose_id("purpose", p).map_err(|e| e.at(item(i)))?;
        if !declared.iter().any(|d| &d.id == p) {
            return Err(Error::not_found(item(i), "declared-purpose", format!("no purpose {p} is declared")));
        }
    }
    Ok(())
}

impl<S: Store> Fichier<'_, S> {
    // ---------------------------------------------------------------- purposes

    pub fn declare_purpose(&mut self, actor: &Actor, input: PurposeInput) -> Result<Purpose> {
        authorize(actor, Operation::DeclarePurpose)?;
        validate::purpose_id("input.id", &input.id)?;
        validate::printable("input.title", &input.title, 200)?;
        if input.validity_months.is_some_and(|m| !(1..=120).contains(&m)) {
            return Err(Error::invalid("input.validity-months", "range-1-120", "a validity is 1 to 120 months"));
        }
        let at = time::format(self.now);
        let unchanged = std::cell::RefCell::new(None);
        self.update::<PurposeCatalogue, Purpose>(
            Bucket::Data,
            docs::PURPOSES_KEY,
            |_, current| {
                let mut cat = current.unwrap_or_default();
                let existing = cat.purposes.iter().position(|p| p.id == input.id);
                if let Some(p) = existing.map(|i| &cat.purposes[i])
                    && p.kind == input.kind
                    && p.title == input.title
                    && p.validity_months == input.validity_months
                {
                    *unchanged.borrow_mut() = Some(p.clone());
                    return Ok(None);
                }
                let purpose = Purpose {
                    id: input.id.clone(),
                    kind: input.kind,
                    title: input.title.clone(),
                    validity_months: input.validity_months,
                    revision: existing.map_or(1, |i| cat.purposes[i].revision + 1),
                    declared_at: at.clone(),
                    declared_by: actor.clone(),
                };
                match existing {
                    Some(i) => cat.purposes[i] = purpose.clone(),
                    None => {
                        cat.purposes.push(purpose.clone());
                        crate::sort::sort_by(&mut cat.purposes, |a, b| a.id.cmp(&b.id));
                    }
                }
                Ok(Some((cat, purpose)))
            },
            || unchanged.borrow_mut().take().unwrap_or_else(|| unreachable!("set when unchanged")),
        )
    }

    pub(crate) fn purposes(&self) -> Result<Vec<Purpose>> {
        Ok(self.get_doc::<PurposeCatalogue>(Bucket::Data, docs::PURPOSES_KEY)?.unwrap_or_default().purposes)
    }

    pub(crate) fn purpose(&self, id: &str, field: &str) -> Result<Purpose> {
        validate::purpose_id(field, id)?;
        self.purposes()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::not_found(field, "declared-purpose", format!("no purpose {id} is declared")))
    }

    pub fn list_purposes(&mut self, actor: &Actor) -> Result<Vec<Purpose>> {
        authorize(actor, Operation::ReadCatalogue)?;
        self.purposes()
    }

    // ---------------------------------------------------------------- notices

    pub fn register_notice(&mut self, actor: &Actor, input: NoticeInput) -> Result<Notice> {
        authorize(actor, Operation::RegisterNotice)?;
        self.notice_purposes("input.purposes", &input.purposes)?;
        let purposes: Vec<String> = input.purposes.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        validate::lang("input.lang", &input.lang)?;
        if input.text.trim().is_empty() {
            return Err(Error::invalid("input.text", "non-empty", "a notice text must not be empty"));
        }
        if input.text.len() > MAX_TEXT_BYTES {
            return Err(Error::invalid("input.text", "max-bytes", "a notice text is at most 64 KiB"));
        }
        let sha = sha256_hex(input.text.as_bytes());
        // The text is immutable and content-addressed: write it before the commit point.
        let text_key = docs::notice_text_key(&sha);
        if self.get_raw(Bucket::Data, &text_key)?.is_none() {
            self.set_raw(Bucket::Data, &text_key, &store::encode(&NoticeText { text: input.text.clone() }))?;
        }
        let series_id = series(&purposes, &input.lang);
        let at = time::format(self.now);
        let lang = input.lang.clone();
        let found = std::cell::RefCell::new(None);
        let notice = self.update::<NoticeCatalogue, Notice>(
            Bucket::Data,
            docs::NOTICES_KEY,
            |_, current| {
                let mut cat = current.unwrap_or_default();
                let in_series: Vec<&Notice> =
                    cat.notices.iter().filter(|n| series(&n.purposes, &n.lang) == series_id).collect();
                if let Some(same) = in_series.iter().find(|n| n.sha256 == sha) {
                    *found.borrow_mut() = Some((*same).clone());
                    return Ok(None);
                }
                let version = in_series.iter().map(|n| n.version).max().unwrap_or(0) + 1;
                let notice = Notice {
                    reference: format!("{series_id}:v{version}"),
                    purposes: purposes.clone(),
                    lang: lang.clone(),
                    version,
                    sha256: sha.clone(),
                    registered_at: at.clone(),
                };
                cat.notices.push(notice.clone());
                crate::sort::sort_by(&mut cat.notices, |a, b| {
                    (&a.purposes, &a.lang, a.version).cmp(&(&b.purposes, &b.lang, b.version))
                });
                Ok(Some((cat, notice)))
            },
            || found.borrow_mut().take().unwrap_or_else(|| unreachable!("set when unchanged")),
        )?;
        Ok(notice)
    }

    /// Every registered notice version, in stored order.
    pub(crate) fn notices(&self) -> Result<Vec<Notice>> {
        Ok(self.get_doc::<NoticeCatalogue>(Bucket::Data, docs::NOTICES_KEY)?.unwrap_or_default().notices)
    }

    fn notice(&self, field: &str, reference: &str) -> Result<Notice> {
        let (purposes, lang, version) = parse_reference(field, reference)?;
        self.notices()?
            .into_iter()
            .find(|n| n.purposes == purposes && n.lang == lang && n.version == version)
            .ok_or_else(|| Error::not_found(field, "registered-notice", format!("no notice {reference} is registered")))
    }

    /// The text of a registered notice, checked against its SHA-256.
    pub(crate) fn notice_text(&self, notice: &Notice) -> Result<String> {
        let key = docs::notice_text_key(&notice.sha256);
        let text: NoticeText = self.get_doc(Bucket::Data, &key)?.ok_or_else(|| {
            Error::corrupted(place(Bucket::Data, &key), "text-present", "the notice's text is missing from the store")
        })?;
        if sha256_hex(text.text.as_bytes()) != notice.sha256 {
            return Err(Error::corrupted(
                place(Bucket::Data, &key),
                "sha256-matches",
                "the stored text does not match its SHA-256",
            ));
        }
        Ok(text.text)
    }

    pub fn get_notice(&mut self, actor: &Actor, reference: &str) -> Result<(Notice, String)> {
        authorize(actor, Operation::ReadCatalogue)?;
        let notice = self.notice("reference", reference)?;
        let text = self.notice_text(&notice)?;
        Ok((notice, text))
    }

    /// The notice to show when asking about `purposes` in `lang` (a checkout box, a form,
    /// the banner), and its text: see [`Fichier::closest_notice`].
    pub fn notice_for(&mut self, actor: &Actor, purposes: &[String], lang: &str) -> Result<(Notice, String)> {
        authorize(actor, Operation::ReadCatalogue)?;
        validate::lang("lang", lang)?;
        self.notice_purposes("purposes", purposes)?;
        let ids: Vec<&str> = purposes.iter().map(String::as_str).collect();
        let best = self.closest_notice(&ids, lang)?.ok_or_else(|| {
            Error::not_found(
                "lang",
                "notice-for",
                format!("no notice in {lang} informs about {}: register one", ids.join(", ")),
            )
        })?;
        let text = self.notice_text(&best)?;
        Ok((best, text))
    }

    /// The purposes a notice informs about (`field`): 1 to 32 well-formed ids of declared
    /// purposes, the catalogue read once.
    fn notice_purposes(&self, field: &str, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::invalid(field, "non-empty", "a notice informs about at least one purpose"));
        }
        if ids.len() > 32 {
            return Err(Error::invalid(field, "max-items", "a notice covers at most 32 purposes"));
        }
        check_declared(ids, &self.purposes()?, |i| format!("{field}[{i}]"))
    }

    /// Among the notices in `lang` that inform about every one of `purposes`, the one
    /// naming the fewest purposes (the exact set first), then the latest version.
    pub(crate) fn closest_notice(&self, purposes: &[&str], lang: &str) -> Result<Option<Notice>> {
        let covers = |n: &Notice| purposes.iter().all(|p| n.purposes.iter().any(|q| q == p));
        Ok(self.notices()?.into_iter().filter(|n| n.lang == lang && covers(n)).max_by(|a, b| {
            b.purposes.len().cmp(&a.purposes.len()).then(a.version.cmp(&b.version)).then(a.reference.cmp(&b.reference))
        }))
    }

    pub fn list_notices(&mut self, actor: &Actor) -> Result<Vec<Notice>> {
        authorize(actor, Operation::ReadCatalogue)?;
        let mut notices = self.notices()?;
        crate::sort::sort_by(&mut notices, |a, b| a.reference.cmp(&b.reference));
        Ok(notices)
    }

    // ---------------------------------------------------------------- receipts

    pub fn record_decision(&mut self, actor: &Actor, input: ReceiptInput) -> Result<Receipt> {
        authorize(actor, Operation::RecordDecision { channel: input.channel })?;
        // Validate everything before touching the store.
        let sid = self.subject_id("input.subject", &input.subject)?;
        let purpose = self.purpose(&input.purpose, "input.purpose")?;
        let policy = self.current_policy()?;
        let notice = match &input.notice {
            Some(r) => {
                let n = self.notice("input.notice", r)?;
                if !n.purposes.contains(&purpose.id) {
                    return Err(Error::invalid(
                        "input.notice",
                        "notice-covers-purpose",
                        format!("notice {r} does not inform about {}", purpose.id),
                    ));
                }
                Some(NoticeCitation { reference: n.reference, sha256: n.sha256 })
            }
            None if input.decision == Decision::Grant => {
                return Err(Error::invalid(
                    "input.notice",
                    "grant-cites-notice",
                    "a grant must cite the notice that was shown (Art. 7(1))",
                ));
            }
            None => None,
        };
        let at = match &input.at {
            Some(a) => {
                let t = time::parse("input.at", a)?;
                let skew = chrono::Duration::seconds(i64::from(policy.settings.max_future_skew_seconds));
                if t > self.now + skew {
                    return Err(Error::invalid(
                        "input.at",
                        "not-in-future",
                        "a decision cannot be dated in the future",
                    ));
                }
                t
            }
            None => self.now,
        };
        if let Some(id) = &input.receipt_id {
            validate::receipt_id("input.receipt-id", id)?;
        }
        let ip_truncated =
            input.client_ip.as_deref().map(|ip| validate::truncate_ip("input.client-ip", ip)).transpose()?;
        let user_agent_sha256 = match &input.user_agent {
            Some(ua) if ua.len() > 8 * 1024 => {
                return Err(Error::invalid("input.user-agent", "max-bytes", "a User-Agent is at most 8 KiB"));
            }
            Some(ua) => Some(sha256_hex(ua.as_bytes())),
            None => None,
        };
        match input.age {
            Some(AgeDeclaration::Age(a)) if a > 130 => {
                return Err(Error::invalid("input.age.age", "range-0-130", "an age is 0 to 130 years"));
            }
            Some(AgeDeclaration::BirthYear(y))
                if i32::from(y) < 1890 || i32::from(y) > chrono::Datelike::year(&self.now) =>
            {
                return Err(Error::invalid(
                    "input.age.birth-year",
                    "plausible-year",
                    "a birth year is from 1890 to this year",
                ));
            }
            _ => {}
        }
        let receipt_id = match &input.receipt_id {
            Some(id) => id.clone(),
            None => {
                let mut r = [0u8; 16];
                self.entropy.fill(&mut r);
                format!("r-{}", BASE32_NOPAD.encode(&r).to_lowercase())
            }
        };

        if matches!(input.subject, SubjectRef::Subject(_))
            && self.get_raw(Bucket::Data, &docs::subject_key(&sid))?.is_none()
        {
            return Err(Error::not_found(
                "input.subject.subject",
                "known-subject",
                "no subject has this id; name a new subject by e-mail or external id",
            ));
        }
        self.check_master_key(true)?;
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("data key not created".into()))?;
        let recorded_at = time::format(self.now);
        let day = at.date_naive();
        let at = time::format(at);
        let mut is_new = false;
        let mut written: Option<String> = None;
        let receipt = self.update::<SubjectHead, Receipt>(
            Bucket::Data,
            &docs::subject_key(&sid),
            |this, head| {
                let mut body = match &head {
                    Some(h) => this.open_head(&sid, h)?,
                    None => docs::HeadBody::default(),
                };
                is_new = head.is_none();
                if body.receipts.iter().any(|r| r.id == receipt_id) {
                    return Err(Error::conflict(
                        "input.receipt-id",
                        "unique-per-subject",
                        format!("receipt {receipt_id} is already recorded for this subject"),
                    ));
                }
                match &input.subject {
                    SubjectRef::Email(e) => body.email = Some(validate::email("input.subject.email", e)?),
                    SubjectRef::External(x) => body.external = Some(x.clone()),
                    SubjectRef::Subject(_) if head.is_none() => {
                        return Err(Error::not_found(
                            "input.subject.subject",
                            "known-subject",
                            "no subject has this id; name a new subject by e-mail or external id",
                        ));
                    }
                    SubjectRef::Subject(_) => {}
                }
                let mut chain = head.map(|h| h.chain).unwrap_or_default();
                let prev = chain.last().cloned().unwrap_or_else(|| genesis(&sid));
                let seq = u32::try_from(chain.len() + 1).map_err(|_| Error::Other("chain too long".into()))?;
                let mut receipt = Receipt {
                    id: receipt_id.clone(),
                    subject: sid.clone(),
                    seq,
                    purpose: purpose.id.clone(),
                    decision: input.decision,
                    given_by: input.given_by,
                    channel: input.channel,
                    notice: notice.clone(),
                    at: at.clone(),
                    recorded_at: recorded_at.clone(),
                    recorded_by: actor.clone(),
                    ip_truncated: ip_truncated.clone(),
                    user_agent_sha256: user_agent_sha256.clone(),
                    gpc: input.gpc,
                    age: input.age,
                    hash: String::new(),
                    prev: prev.clone(),
                };
                let plain = serde_json::to_vec(&receipt).unwrap_or_else(|_| unreachable!("receipts serialise"));
                let sealed = dek.seal("receipt", &sid, &plain, this.entropy);
                let stored = store::encode(&ReceiptEntry { sealed: BASE64.encode(&sealed) });
                let hash = chain_hash(&prev, &stored);
                receipt.hash = hash.clone();
                chain.push(hash.clone());
                body.receipts.push(ReceiptSummary {
                    id: receipt.id.clone(),
                    seq,
                    purpose: receipt.purpose.clone(),
                    decision: receipt.decision,
                    given_by: receipt.given_by,
                    at: receipt.at.clone(),
                    age: receipt.age,
                });
                let head = this.seal_head(&sid, chain, &body, &dek);
                // Refuse a head that would not fit before writing anything.
                this.check_fits(Bucket::Data, &docs::subject_key(&sid), &store::encode(&head))?;
                // The entry of an attempt that lost its swap is unreferenced: remove it
                // (best effort; `verify` ignores unreferenced entries anyway).
                if let Some(orphan) = written.take() {
                    let _ = this.store.delete(Bucket::Data, &orphan);
                }
                // Immutable entry first; the head swap is the commit point.
                let key = docs::receipt_key(&sid, &hash);
                this.set_raw(Bucket::Data, &key, &stored)?;
                written = Some(key);
                Ok(Some((head, receipt)))
            },
            || unreachable!("recording always writes"),
        )?;
        if is_new {
            // Derived index; a failure here is repaired by `reindex`.
            let _ = self.index_subject(&sid);
        }
        // Derived statistics (see `banner`): best effort after the commit point.
        let _ = self.count_decision(&sid, &receipt.purpose, receipt.decision, day);
        Ok(receipt)
    }

    pub fn status(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<SubjectStatus> {
        authorize(actor, Operation::ReadStatus { subject })?;
        let sid = self.subject_id("subject", subject)?;
        let policy = self.current_policy()?;
        let purposes = self.purposes()?;
        self.check_master_key(false)?;
        let loaded = self.load_subject(&sid)?;
        let purposes = purposes
            .iter()
            .map(|p| purpose_status(p, &policy.settings, &loaded.body.receipts, self.now))
            .collect::<Result<Vec<_>>>()?;
        // Staff and automation reads are audited; a visitor reading the status of its own
        // banner id (every page view) is the person, not the shop, reading.
        if actor.role != crate::model::Role::Public && loaded.head.is_some() {
            self.audit_one(actor, "consent.status", sid.clone(), String::new())?;
        }
        Ok(SubjectStatus { subject: sid, purposes })
    }

    pub fn history(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<Receipt>> {
        authorize(actor, Operation::ReadHistory)?;
        let sid = self.subject_id("subject", subject)?;
        self.check_master_key(false)?;
        let loaded = self.load_subject(&sid)?;
        let Some(head) = loaded.head else {
            return Ok(Vec::new());
        };
        let receipts = self.read_receipts(&sid, &head, loaded.body.shredded as usize)?;
        self.audit_one(actor, "consent.history", sid, format!("{} receipts", receipts.len()))?;
        Ok(receipts)
    }

    /// Every receipt of a stored chain, checked against its chain hash, and opened but for
    /// the first `shredded` (sealed under a key an erasure destroyed).
    pub(crate) fn read_receipts(&mut self, sid: &str, head: &SubjectHead, shredded: usize) -> Result<Vec<Receipt>> {
        let dek = self.existing_data_key(sid)?;
        let keys: Vec<String> = head.chain.iter().map(|h| docs::receipt_key(sid, h)).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut prev = genesis(sid);
        let mut out = Vec::with_capacity(values.len());
        for (i, ((hash, key), value)) in head.chain.iter().zip(&keys).zip(values).enumerate() {
            let at = place(Bucket::Data, key);
            let stored =
                value.ok_or_else(|| Error::corrupted(&at, "receipt-present", "a receipt of the chain is missing"))?;
            if &chain_hash(&prev, &stored) != hash {
                return Err(Error::corrupted(&at, "receipt-hash", "the receipt does not match its chain hash"));
            }
            prev = hash.clone();
            if i < shredded {
                continue;
            }
            let entry: ReceiptEntry = store::decode(&at, &stored)?;
            let sealed =
                BASE64.decode(entry.sealed.as_bytes()).map_err(|_| Error::corrupted(&at, "decodes", "not base64"))?;
            let plain = dek
                .open("receipt", sid, &sealed)
                .ok_or_else(|| Error::corrupted(&at, "aead-authentic", "the receipt fails authentication"))?;
            let mut receipt: Receipt =
                serde_json::from_slice(&plain).map_err(|e| Error::corrupted(&at, "decodes", e.to_string()))?;
            receipt.hash = hash.clone();
            out.push(receipt);
        }
        Ok(out)
    }
}

/// The lowest age the subject can have at `t`, from the latest age declaration made
/// at or before `t` (conservative: a minor is never taken for an adult).
/// Only the subject's own receipts declare its age (a parent's receipt may carry the
/// parent's).
fn min_age_at(receipts: &[ReceiptSummary], t: Instant, zone: time::Zone) -> Option<u32> {
    let declared = receipts
        .iter()
        .filter(|r| r.given_by == GivenBy::Subject)
        .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r.seq, r.age?)))
        .filter(|(at, _, _)| *at <= t)
        .max_by_key(|(at, seq, _)| (*at, *seq))?;
    let (declared_at, _, age) = declared;
    Some(match age {
        AgeDeclaration::Age(a) => u32::from(a) + time::whole_years_between(declared_at, t, zone),
        AgeDeclaration::BirthYear(y) => {
            let years = chrono::Datelike::year(&time::date_in(t, zone)) - i32::from(y) - 1;
            u32::try_from(years).unwrap_or(0)
        }
    })
}

/// The status of `purpose` from a subject's receipt summaries. Pure.
pub fn purpose_status(
    purpose: &Purpose,
    policy: &PolicyInput,
    receipts: &[ReceiptSummary],
    now: Instant,
) -> Result<PurposeStatus> {
    let validity = policy.validity_of(purpose.kind);
    let grant_months = purpose.validity_months.or(validity.grant_months);
    let refusal_months = validity.refusal_months;
    let timed = |by: GivenBy| -> Option<(Instant, &ReceiptSummary)> {
        receipts
            .iter()
            .filter(|r| r.purpose == purpose.id && r.given_by == by)
            .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r)))
            .max_by_key(|(at, r)| (*at, r.seq))
    };
    let status =
        |state: ConsentState, reason: String, r: Option<&ReceiptSummary>, expires: Option<Instant>| PurposeStatus {
            purpose: purpose.id.clone(),
            state,
            reason,
            receipt: r.map(|r| r.id.clone()),
            expires_at: expires.map(time::format),
        };
    let Some((at, latest)) = timed(GivenBy::Subject) else {
        return Ok(status(
            ConsentState::NeverAsked,
            "no decision has been recorded for this purpose".into(),
            None,
            None,
        ));
    };
    let zone = policy.zone();
    let expiry = |months: Option<u32>| months.and_then(|m| time::add_months(at, m, zone));
    match latest.decision {
        Decision::Refuse | Decision::Withdraw => {
            let (state, word) = if latest.decision == Decision::Refuse {
                (ConsentState::Refused, "refused")
            } else {
                (ConsentState::Withdrawn, "withdrew")
            };
            let expires = expiry(refusal_months);
            if let Some(e) = expires.filter(|e| *e <= now) {
                return Ok(status(
                    ConsentState::Expired,
                    format!(
                        "the person {word} on {}; that choice is respected for {} months, until {}: ask again",
                        latest.at,
                        refusal_months.unwrap_or(0),
                        time::format(e)
                    ),
                    Some(latest),
                    Some(e),
                ));
            }
            Ok(status(state, format!("the person {word} on {}", latest.at), Some(latest), expires))
        }
        Decision::Grant => {
            let expires = expiry(grant_months);
            if let Some(e) = expires.filter(|e| *e <= now) {
                return Ok(status(
                    ConsentState::Expired,
                    format!(
                        "consent given on {} was valid for {} months, until {}: ask again",
                        latest.at,
                        grant_months.unwrap_or(0),
                        time::format(e)
                    ),
                    Some(latest),
                    Some(e),
                ));
            }
            let minor_age = u32::from(policy.minor_age());
            let minor = min_age_at(receipts, at, zone).is_some_and(|a| a < minor_age);
            if !minor {
                return Ok(status(
                    ConsentState::Given,
                    format!("consent given on {}", latest.at),
                    Some(latest),
                    expires,
                ));
            }
            // A parent's decision counts for this consent only if it was expressed after
            // the person's last refusal or withdrawal: an older co-consent belonged to a
            // consent the person has since taken back.
            let episode_start = receipts
                .iter()
                .filter(|r| r.purpose == purpose.id && r.given_by == GivenBy::Subject && r.decision != Decision::Grant)
                .filter_map(|r| time::parse("at", &r.at).ok().map(|t| (t, r.seq)))
                .filter(|(t, seq)| (*t, *seq) < (at, latest.seq))
                .max();
            let parental = receipts
                .iter()
                .filter(|r| r.purpose == purpose.id && r.given_by == GivenBy::Parent)
                .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r)))
                .filter(|(t, r)| episode_start.is_none_or(|start| (*t, r.seq) > start))
                .max_by_key(|(t, r)| (*t, r.seq));
            match parental {
                None => Ok(status(
                    ConsentState::PendingParentalConsent,
                    format!(
                        "the person was under {minor_age} when consenting; a parent must co-consent (Art. 8, LIL art. 45)"
                    ),
                    Some(latest),
                    None,
                )),
                Some((_, parent)) if parent.decision == Decision::Grant => {
                    let parent_expires = time::parse("at", &parent.at)
                        .ok()
                        .and_then(|p| grant_months.and_then(|m| time::add_months(p, m, zone)));
                    let expires = match (expires, parent_expires) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if let Some(e) = expires.filter(|e| *e <= now) {
                        return Ok(status(
                            ConsentState::Expired,
                            format!("the parent's co-consent expired on {}: ask again", time::format(e)),
                            Some(parent),
                            Some(e),
                        ));
                    }
                    Ok(status(
                        ConsentState::Given,
                        format!("consent given on {} with a parent's co-consent on {}", latest.at, parent.at),
                        Some(latest),
                        expires,
                    ))
                }
                Some((_, parent)) => {
                    let state = if parent.decision == Decision::Refuse {
                        ConsentState::Refused
                    } else {
                        ConsentState::Withdrawn
                    };
                    Ok(status(
                        state,
                        format!(
                            "the person is a minor and a parent {} on {}",
                            if parent.decision == Decision::Refuse { "refused" } else { "withdrew" },
                            parent.at
                        ),
                        Some(parent),
                        None,
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::default_policy;

    fn purpose(kind: PurposeKind, validity: Option<u32>) -> Purpose {
        Purpose {
            id: "p".into(),
            kind,
            title: "t".into(),
            validity_months: validity,
            revision: 1,
            declared_at: "2026-01-01T00:00:00.000Z".into(),
            declared_by: Actor { id: "a".into(), role: Role::Admin },
        }
    }

    fn r(seq: u32, decision: Decision, by: GivenBy, at: &str, age: Option<AgeDeclaration>) -> ReceiptSummary {
        ReceiptSummary { id: format!("r{seq}"), seq, purpose: "p".into(), decision, given_by: by, at: at.into(), age }
    }

    fn state(
        kind: PurposeKind,
        validity: Option<u32>,
        receipts: &[ReceiptSummary],
        now: &str,
    ) -> (ConsentState, Option<String>) {
        let s = purpose_status(
            &purpose(kind, validity),
            &default_policy().settings,
            receipts,
            time::parse("now", now).expect("now"),
        )
        .expect("status");
        (s.state, s.expires_at)
    }

    use ConsentState::*;
    use Decision::*;
    use GivenBy::*;

    #[test]
    fn expiry_dates_follow_calendar_months() {
        // (kind, validity, decision at, now, expected state, expected expiry), on the
        // default policy's Paris calendar and clock (an independent check with Python's
        // zoneinfo gave the same instants).
        let table = [
            // 1 September 00:00 in Paris + 6 months = 1 March 00:00 (winter time).
            (
                PurposeKind::Cookie,
                None,
                "2026-08-31T22:00:00Z",
                "2027-02-28T22:59:59Z",
                Given,
                Some("2027-02-28T23:00:00.000Z"),
            ),
            (
                PurposeKind::Cookie,
                None,
                "2026-08-31T22:00:00Z",
                "2027-02-28T23:00:00Z",
                Expired,
                Some("2027-02-28T23:00:00.000Z"),
            ),
            // 31 August 14:00 summer time + 6 months = 29 February 14:00 winter time.
            (
                PurposeKind::Cookie,
                None,
                "2027-08-31T12:00:00Z",
                "2028-02-29T12:59:59Z",
                Given,
                Some("2028-02-29T13:00:00.000Z"),
            ),
            (
                PurposeKind::Cookie,
                Some(12),
                "2028-02-29T12:00:00Z",
                "2029-02-28T12:00:00Z",
                Expired,
                Some("2029-02-28T12:00:00.000Z"),
            ),
            // The days clocks change in Paris: the wall time is kept across the change.
            (
                PurposeKind::Advertising,
                None,
                "2026-03-29T00:30:00Z",
                "2026-09-28T23:29:59Z",
                Given,
                Some("2026-09-28T23:30:00.000Z"),
            ),
            (
                PurposeKind::Advertising,
                None,
                "2026-10-25T01:30:00Z",
                "2027-04-25T00:30:00Z",
                Expired,
                Some("2027-04-25T00:30:00.000Z"),
            ),
            (
                PurposeKind::Marketing,
                None,
                "2026-01-31T00:00:00Z",
                "2029-01-30T23:59:59Z",
                Given,
                Some("2029-01-31T00:00:00.000Z"),
            ),
            (PurposeKind::Service, None, "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z", Given, None),
        ];
        for (kind, validity, at, now, expected, expiry) in table {
            let got = state(kind, validity, &[r(1, Grant, Subject, at, None)], now);
            assert_eq!(got, (expected, expiry.map(str::to_string)), "{kind:?} granted {at}, now {now}");
        }
    }

    #[test]
    fn refusals_and_withdrawals() {
        let refused = [r(1, Refuse, Subject, "2026-01-31T10:00:00Z", None)];
        // 11:00 in winter, 11:00 in summer (09:00 UTC).
        assert_eq!(state(PurposeKind::Cookie, None, &refused, "2026-07-31T08:59:59Z").0, Refused);
        assert_eq!(state(PurposeKind::Cookie, None, &refused, "2026-07-31T09:00:00Z").0, Expired);
        assert_eq!(state(PurposeKind::Marketing, None, &refused, "2040-01-01T00:00:00Z").0, Refused);
        let withdrawn =
            [r(1, Grant, Subject, "2026-01-01T00:00:00Z", None), r(2, Withdraw, Subject, "2026-02-01T00:00:00Z", None)];
        assert_eq!(state(PurposeKind::Marketing, None, &withdrawn, "2026-02-02T00:00:00Z").0, Withdrawn);
        // Order is by effective time, then chain order for equal times.
        let same_time =
            [r(1, Grant, Subject, "2026-02-01T00:00:00Z", None), r(2, Refuse, Subject, "2026-02-01T00:00:00Z", None)];
        assert_eq!(state(PurposeKind::Marketing, None, &same_time, "2026-02-02T00:00:00Z").0, Refused);
        let backdated =
            [r(1, Refuse, Subject, "2026-02-01T00:00:00Z", None), r(2, Grant, Subject, "2026-01-01T00:00:00Z", None)];
        assert_eq!(state(PurposeKind::Marketing, None, &backdated, "2026-02-02T00:00:00Z").0, Refused);
        assert_eq!(state(PurposeKind::Marketing, None, &[], "2026-02-02T00:00:00Z").0, NeverAsked);
        // A parent's decision alone is not the person's.
        let parent_only = [r(1, Grant, Parent, "2026-02-01T00:00:00Z", None)];
        assert_eq!(state(PurposeKind::Marketing, None, &parent_only, "2026-02-02T00:00:00Z").0, NeverAsked);
    }

    #[test]
    fn minors_need_a_parent() {
        let at = "2026-06-01T00:00:00Z";
        let now = "2026-06-02T00:00:00Z";
        let fourteen = Some(AgeDeclaration::Age(14));
        assert_eq!(
            state(PurposeKind::Marketing, None, &[r(1, Grant, Subject, at, fourteen)], now).0,
            PendingParentalConsent
        );
        assert_eq!(
            state(PurposeKind::Marketing, None, &[r(1, Grant, Subject, at, Some(AgeDeclaration::Age(15)))], now).0,
            Given
        );
        let with_parent = [r(1, Grant, Subject, at, fourteen), r(2, Grant, Parent, "2026-05-01T00:00:00Z", None)];
        assert_eq!(
            state(PurposeKind::Marketing, None, &with_parent, now),
            (Given, Some("2029-05-01T00:00:00.000Z".into()))
        );
        let parent_refused = [r(1, Grant, Subject, at, fourteen), r(2, Refuse, Parent, at, None)];
        assert_eq!(state(PurposeKind::Marketing, None, &parent_refused, now).0, Refused);
        // Declared 14 two years before consenting: 16 at consent, so no parent needed.
        let older = [r(1, Refuse, Subject, "2024-05-01T00:00:00Z", fourteen), r(2, Grant, Subject, at, None)];
        assert_eq!(state(PurposeKind::Marketing, None, &older, now).0, Given);
        // An age declared after the consent (here on another purpose's receipt) does not
        // apply to it retroactively.
        let mut other = r(2, Refuse, Subject, "2026-06-01T12:00:00Z", fourteen);
        other.purpose = "other".into();
        let later = [r(1, Grant, Subject, at, None), other];
        assert_eq!(state(PurposeKind::Marketing, None, &later, now).0, Given);
        // A parent's receipt declaring the parent's age says nothing of the child's.
        let parent_age = [
            r(1, Grant, Subject, "2026-05-01T00:00:00Z", Some(AgeDeclaration::Age(13))),
            r(2, Refuse, Parent, "2026-05-02T00:00:00Z", Some(AgeDeclaration::Age(45))),
            r(3, Grant, Subject, at, None),
        ];
        assert_eq!(state(PurposeKind::Marketing, None, &parent_age, now).0, Refused);
        // A co-consent given before the person withdrew does not carry over to a new grant.
        let stale = [
            r(1, Grant, Subject, "2026-05-01T00:00:00Z", fourteen),
            r(2, Grant, Parent, "2026-05-02T00:00:00Z", None),
            r(3, Withdraw, Subject, "2026-05-03T00:00:00Z", None),
            r(4, Grant, Subject, at, None),
        ];
        assert_eq!(state(PurposeKind::Marketing, None, &stale, now).0, PendingParentalConsent);
        let renewed = [stale.to_vec(), vec![r(5, Grant, Parent, "2026-06-01T12:00:00Z", None)]].concat();
        assert_eq!(state(PurposeKind::Marketing, None, &renewed, now).0, Given);
        // Birth year: the lowest possible age counts.
        let by = |y| [r(1, Grant, Subject, at, Some(AgeDeclaration::BirthYear(y)))];
        assert_eq!(state(PurposeKind::Marketing, None, &by(2011), now).0, PendingParentalConsent);
        assert_eq!(state(PurposeKind::Marketing, None, &by(2010), now).0, Given);
    }

    #[test]
    fn chain_hashes_commit_to_order_and_content() {
        let g = genesis("s-a");
        assert_ne!(g, genesis("s-b"));
        let h1 = chain_hash(&g, b"one");
        assert_ne!(h1, chain_hash(&g, b"onf"));
        assert_ne!(chain_hash(&h1, b"two"), chain_hash(&g, b"two"));
        assert_eq!(h1.len(), 64);
    }

    #[test]
    fn notice_references_parse_strictly() {
        assert_eq!(
            parse_reference("r", "analytics+newsletter:fr:v12").expect("valid"),
            (vec!["analytics".to_string(), "newsletter".to_string()], "fr".to_string(), 12)
        );
        for bad in [
            "",
            "newsletter:fr",
            "newsletter:fr:v0",
            "newsletter:fr:1",
            "newsletter:FR:v1",
            "News:fr:v1",
            "a::fr:v1",
            "a:fr:v1:x",
            "a++b:fr:v1",
        ] {
            assert!(matches!(parse_reference("r", bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }
}
