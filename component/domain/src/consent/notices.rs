//! Notices: the texts shown to people when they decide, per purposes and language,
//! versioned by content (the same text keeps its version, another text is the next
//! version), each with the SHA-256 of its text; receipts cite them.
//!
//! Stored: `notices` — [`NoticeCatalogue`], the commit point of registrations;
//! `notice-text/<sha256>` — [`NoticeText`], immutable, content-addressed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Notice, NoticeInput, check_declared};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::sha256_hex;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document};
use crate::kernel::types::Actor;
use crate::kernel::validate::{self, MAX_TEXT_BYTES};
use crate::kernel::{store, time};

/// Every registered notice (their texts are stored apart).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NoticeCatalogue {
    pub notices: Vec<Notice>,
}
document!(NoticeCatalogue, "notices", 1);

/// A notice's text, stored once under its SHA-256.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoticeText {
    pub text: String,
}
document!(NoticeText, "notice-text", 1);

/// The key of [`NoticeCatalogue`] in the data bucket.
pub const NOTICES_KEY: &str = "notices";

/// The key of a notice's text in the data bucket.
pub fn notice_text_key(sha: &str) -> String {
    format!("notice-text/{sha}")
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

pub(super) fn series(purposes: &[String], lang: &str) -> String {
    format!("{}:{}", purposes.join("+"), lang)
}

impl<S: Store> Fichier<'_, S> {
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
        // People read the notice and its SHA-256 proves what they read: nothing in it may
        // display otherwise than it is stored (line ends, tabs and carriage returns stay).
        if input
            .text
            .chars()
            .any(|c| (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || validate::is_bidi_control(c))
        {
            return Err(Error::invalid(
                "input.text",
                "printable",
                "a notice must not contain control characters other than line breaks, nor bidirectional controls",
            ));
        }
        let sha = sha256_hex(input.text.as_bytes());
        // The text is immutable and content-addressed: write it before the commit point.
        let text_key = notice_text_key(&sha);
        if self.get_raw(Bucket::Data, &text_key)?.is_none() {
            self.set_raw(Bucket::Data, &text_key, &store::encode(&NoticeText { text: input.text.clone() }))?;
        }
        let series_id = series(&purposes, &input.lang);
        let at = time::format(self.now);
        let lang = input.lang.clone();
        let found = std::cell::RefCell::new(None);
        let notice = self.update::<NoticeCatalogue, Notice>(
            Bucket::Data,
            NOTICES_KEY,
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
                crate::kernel::sort::sort_by(&mut cat.notices, |a, b| {
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
        Ok(self.get_doc::<NoticeCatalogue>(Bucket::Data, NOTICES_KEY)?.unwrap_or_default().notices)
    }

    pub(crate) fn notice(&self, field: &str, reference: &str) -> Result<Notice> {
        let (purposes, lang, version) = parse_reference(field, reference)?;
        self.notices()?
            .into_iter()
            .find(|n| n.purposes == purposes && n.lang == lang && n.version == version)
            .ok_or_else(|| {
                let quoted = crate::kernel::error::echo(reference);
                Error::not_found(field, "registered-notice", format!("no notice {quoted} is registered"))
            })
    }

    /// The text of a registered notice, checked against its SHA-256.
    pub(crate) fn notice_text(&self, notice: &Notice) -> Result<String> {
        let key = notice_text_key(&notice.sha256);
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
        crate::kernel::sort::sort_by(&mut notices, |a, b| a.reference.cmp(&b.reference));
        Ok(notices)
    }
}
