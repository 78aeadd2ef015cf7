//! A customer record as stored: [`CustomerDoc`] (its state in clear, its body sealed),
//! the sealed [`CustomerBody`] (fields, history, what the retention sweep archived or
//! anonymised, a restriction) and its encodings, and the e-mail aliases.
//!
//! Stored: `customer/<sid>` — [`CustomerDoc`], the commit point of a customer;
//! `alias/<sid of an e-mail>` — [`AliasDoc`], the customer holding that e-mail when it
//! is not the one the e-mail names (after a rectification), derived, checked on read.

use serde::{Deserialize, Serialize};

use super::{Field, FieldChange};
use crate::kernel::context::place;
use crate::kernel::crypto::DataKey;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, document};
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, DataCategory, Role};

/// The sealed part of a customer record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CustomerBody {
    pub created_at: Stamp,
    pub updated_at: Stamp,
    /// Sorted by name.
    pub fields: Vec<Field>,
    pub history: Vec<FieldChange>,
    #[serde(default)]
    pub email_bounced_at: Option<Stamp>,
    #[serde(default)]
    pub merged_from: Vec<String>,
    /// The last contact the person initiated (an order, a reply, a click; not an opened
    /// e-mail): where "last contact" retention periods start.
    #[serde(default)]
    pub last_contact_at: Option<Stamp>,
    /// When the contract or commercial relationship ended, if the shop recorded it.
    #[serde(default)]
    pub relationship_ended_at: Option<Stamp>,
    /// When the sweep last listed this person for a re-permission request.
    #[serde(default)]
    pub repermission_asked_at: Option<Stamp>,
    /// Values kept only in the intermediate archive (restricted reading, no processing).
    #[serde(default)]
    pub archive: Vec<ArchivedField>,
    /// Values replaced by a coarser form at the end of their retention.
    #[serde(default)]
    pub anonymised: Vec<AnonymisedField>,
    /// Art. 18: every processing but storage is stopped.
    #[serde(default)]
    pub restriction: Option<Restriction>,
    /// The last login to the online account: where an account's inactivity starts (a
    /// login restarts no other period).
    #[serde(default)]
    pub last_login_at: Option<Stamp>,
    /// Open disputes and legal claims (Art. 17(3)(e)): each keeps the fields it names, with
    /// no end date, until it is closed.
    #[serde(default)]
    pub disputes: Vec<Dispute>,
}

/// An open dispute or legal claim (a chargeback, a complaint, a court case): the fields
/// it needs are kept, neither deleted by the sweep nor by an erasure, until it is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Dispute {
    /// The shop's reference for it (a chargeback number, a case number): no personal data.
    pub reference: String,
    /// The fields it holds, by name.
    pub fields: Vec<String>,
    pub opened_at: Stamp,
    pub by: Actor,
}

/// A restriction of processing (Art. 18).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Restriction {
    pub since: Stamp,
    /// Why (contested accuracy, unlawful processing, legal claims, pending objection).
    pub reason: String,
    pub by: Actor,
    /// The message telling the person it will be lifted: queued, not yet sent.
    pub lift_notice: Option<String>,
}

/// A field moved to the intermediate archive by the retention sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ArchivedField {
    pub field: Field,
    pub archived_at: Stamp,
    /// When the rules that keep it end (the sweep deletes it then).
    pub until: Stamp,
    /// The activity whose rule keeps it longest.
    pub activity: String,
}

/// What is left of a field once anonymised: its coarse form, no history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AnonymisedField {
    pub name: String,
    pub category: DataCategory,
    pub value: String,
    pub at: Stamp,
}

impl CustomerBody {
    /// An empty record created at `now`.
    pub fn new(now: Stamp) -> Self {
        Self {
            created_at: now,
            updated_at: now,
            fields: Vec::new(),
            history: Vec::new(),
            email_bounced_at: None,
            merged_from: Vec::new(),
            last_contact_at: None,
            relationship_ended_at: None,
            repermission_asked_at: None,
            archive: Vec::new(),
            anonymised: Vec::new(),
            restriction: None,
            last_login_at: None,
            disputes: Vec::new(),
        }
    }

    /// Nothing identifying left: no field in use and nothing archived.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.archive.is_empty()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn email(&self) -> Option<&str> {
        self.field("email").map(|f| f.value.as_str())
    }
}

/// Where a customer record stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CustomerState {
    #[default]
    Active,
    Deleted,
    MergedInto(String),
}

/// A customer record: its state in clear, its body sealed under the subject's data key
/// with the context `customer/<sid>/<revision>` (bytes in the binary envelope, base64 in
/// the JSON one it had first).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomerDoc {
    pub subject: String,
    pub revision: u32,
    pub state: CustomerState,
    #[serde(with = "sealed_bytes")]
    pub sealed: Option<Vec<u8>>,
}
document!(CustomerDoc, "customer", 1, binary);

/// Sealed bytes: base64 text in JSON, bytes (one length, then the bytes) in binary formats.
mod sealed_bytes {
    use crate::kernel::encoding;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, ser: S) -> Result<S::Ok, S::Error> {
        match v {
            None => ser.serialize_none(),
            Some(b) if ser.is_human_readable() => ser.serialize_some(&encoding::base64(b)),
            Some(b) => ser.serialize_some(Bytes::new(b)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Vec<u8>>, D::Error> {
        if de.is_human_readable() {
            Option::<String>::deserialize(de)?
                .map(|t| encoding::from_base64(&t).ok_or_else(|| D::Error::custom("the sealed record is not base64")))
                .transpose()
        } else {
            Ok(Option::<ByteBuf>::deserialize(de)?.map(ByteBuf::into_vec))
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AliasDoc {
    pub subject: String,
}
document!(AliasDoc, "alias", 1);

/// The key of a customer record in the data bucket.
pub fn customer_key(sid: &str) -> String {
    format!("customer/{sid}")
}

/// The key of the alias of an e-mail's subject id in the data bucket.
pub fn alias_key(esid: &str) -> String {
    format!("alias/{esid}")
}

/// What a record's sealed body is bound to: its subject and revision.
pub(crate) fn sealed_context(sid: &str, revision: u32) -> String {
    format!("customer/{sid}/{revision}")
}

pub(crate) fn open_body(dek: &DataKey, sid: &str, key: &str, revision: u32, sealed: &[u8]) -> Result<CustomerBody> {
    let plain = dek.open(&sealed_context(sid, revision), sid, sealed).ok_or_else(|| {
        Error::corrupted(place(Bucket::Data, key), "aead-authentic", "the customer record fails authentication")
    })?;
    decode_body(&plain)
        .map_err(|e| Error::corrupted(place(Bucket::Data, key), "decodes", format!("sealed record: {e}")))
}

/// The first byte of a sealed body in the binary encoding, version 1 (before retention):
/// still read. Bodies sealed before it were JSON, which starts with `{`; also read.
pub(super) const BODY_POSTCARD_1: u8 = 1;
/// Version 2: with contact dates, archive and anonymised values. Still read.
pub(super) const BODY_POSTCARD_2: u8 = 2;
/// Version 3: with the restriction of processing. Still read.
pub(super) const BODY_POSTCARD_3: u8 = 3;
/// Version 4: with the last login and the open disputes. Always written.
pub(super) const BODY_POSTCARD: u8 = 4;

/// What format 2 added at the end of a body, all empty (three `None`s, two empty lists),
/// format 3 (one `None`) and format 4 (one `None`, one empty list): an older body followed by these bytes is the same body in
/// format 4, so older formats are read without decoders of their own (postcard has no
/// field names: the layout is the format).
pub(super) const FORMAT_2_TAIL: [u8; 5] = [0; 5];
pub(super) const FORMAT_3_TAIL: [u8; 1] = [0; 1];
/// What format 4 added: one `None` and an empty list.
pub(super) const FORMAT_4_TAIL: [u8; 2] = [0; 2];

/// A customer body as sealed: a format byte, then postcard (timestamps as milliseconds).
/// A 9-field imported record is ~0.8 KB this way against ~3.2 KB as JSON.
pub(crate) fn encode_body(body: &CustomerBody) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.push(BODY_POSTCARD);
    postcard::to_extend(body, out).unwrap_or_else(|_| unreachable!("customer bodies serialise"))
}

pub(super) fn whole<T: serde::de::DeserializeOwned>(rest: &[u8]) -> std::result::Result<T, String> {
    match postcard::take_from_bytes::<T>(rest) {
        Ok((v, [])) => Ok(v),
        Ok(_) => Err("trailing bytes after the record".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A body as the first versions sealed it, in JSON: only the fields they had, so the JSON
/// reader compiled in stays that small.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct BodyJson {
    created_at: Stamp,
    updated_at: Stamp,
    fields: Vec<Field>,
    history: Vec<FieldChange>,
    #[serde(default)]
    email_bounced_at: Option<Stamp>,
    #[serde(default)]
    merged_from: Vec<String>,
}

impl From<BodyJson> for CustomerBody {
    fn from(v: BodyJson) -> Self {
        Self {
            updated_at: v.updated_at,
            fields: v.fields,
            history: v.history,
            email_bounced_at: v.email_bounced_at,
            merged_from: v.merged_from,
            ..CustomerBody::new(v.created_at)
        }
    }
}

/// Decode the plaintext of a sealed body (public for the fuzzer; bodies are authenticated
/// before they reach it).
pub fn decode_body(plain: &[u8]) -> std::result::Result<CustomerBody, String> {
    match plain.split_first() {
        Some((&BODY_POSTCARD, rest)) => whole(rest),
        Some((&BODY_POSTCARD_3, rest)) => whole(&[rest, &FORMAT_4_TAIL[..]].concat()),
        Some((&BODY_POSTCARD_2, rest)) => whole(&[rest, &FORMAT_3_TAIL[..], &FORMAT_4_TAIL[..]].concat()),
        Some((&BODY_POSTCARD_1, rest)) => {
            whole(&[rest, &FORMAT_2_TAIL[..], &FORMAT_3_TAIL[..], &FORMAT_4_TAIL[..]].concat())
        }
        Some((b'{', _)) => serde_json::from_slice::<BodyJson>(plain).map(CustomerBody::from).map_err(|e| e.to_string()),
        _ => Err("unknown record encoding".into()),
    }
}

/// Refuse `actor` the processing of a restricted record unless they handle restrictions.
pub(crate) fn restriction_allows(actor: &Actor, body: &CustomerBody) -> Result<()> {
    match &body.restriction {
        Some(r) if !matches!(actor.role, Role::Admin | Role::Dpo) => Err(Error::conflict(
            "subject",
            "not-restricted",
            format!("processing of this person is restricted since {} (Art. 18): only storage", r.since),
        )),
        _ => Ok(()),
    }
}
