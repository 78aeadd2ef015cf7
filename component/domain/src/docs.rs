//! The stored documents and their keys. Every value fichier writes is one of these,
//! in the versioned envelope of [`crate::store::encode`].
//!
//! Data bucket (`default`):
//! - `policy` — [`PolicyDoc`], commit point of policy changes.
//! - `purposes` — [`PurposeCatalogue`], commit point of purpose declarations.
//! - `notices` — [`NoticeCatalogue`], commit point of notice registrations.
//! - `notice-text/<sha256>` — [`NoticeText`], immutable, content-addressed.
//! - `subject/<sid>` — [`SubjectHead`], commit point of every change to a subject.
//! - `receipt/<sid>/<chain hash>` — [`ReceiptEntry`], immutable, content-addressed.
//! - `anchor/head` — [`AnchorHead`], commit point of anchors.
//! - `anchor/<root>` — [`AnchorDoc`], immutable; `anchor-leaves/<sha256>` — [`AnchorLeaves`].
//! - `index/subjects/<xx>` — [`SubjectShard`], derived (rebuilt by `reindex`).
//! - `customer/<sid>` — [`CustomerDoc`], commit point of a customer record.
//! - `index/customers/<xx>` — [`SubjectShard`] of active customers, derived.
//! - `alias/<sid of an e-mail>` — [`AliasDoc`]: the customer holding that e-mail when it
//!   is not the one the e-mail names (after a rectification), derived, checked on read.
//! - `import/<id>` — [`ImportDoc`], commit point of an import session.
//! - `breaches` — [`BreachRegister`]: the breach register, commit point of its changes
//!   (binary only).
//! - `registry` — [`RegistryDoc`]: the record of processing activities (organisation,
//!   activities, history of changes), commit point of every change to it (binary only).
//!
//! Keys bucket (`keys`):
//! - `check` — [`KeyCheck`]; `dek/<sid>` — [`WrappedKey`].

use serde::{Deserialize, Serialize};

use crate::model::{Actor, AgeDeclaration, Decision, GivenBy, Notice, Policy, Purpose};
use crate::store::Document;

macro_rules! document {
    ($t:ty, $kind:literal, $schema:literal) => {
        impl Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
        }
    };
    ($t:ty, $kind:literal, $schema:literal, binary) => {
        impl Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
            const BINARY: bool = true;
        }
    };
    ($t:ty, $kind:literal, $schema:literal, binary_only) => {
        impl Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
            const BINARY: bool = true;
            const BINARY_ONLY: bool = true;
        }
    };
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyDoc {
    /// Every version, oldest first; the last is current.
    pub versions: Vec<Policy>,
}
document!(PolicyDoc, "policy", 1);

/// The record of processing activities (Art. 30): one document, so a change is one swap.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryDoc {
    #[serde(default)]
    pub organisation: Option<crate::registry::Organisation>,
    /// Sorted by id.
    #[serde(default)]
    pub activities: Vec<crate::registry::Activity>,
    /// Every change, oldest first.
    #[serde(default)]
    pub history: Vec<crate::registry::RegistryChange>,
}
document!(RegistryDoc, "registry", 1, binary_only);

/// The breach register (Art. 33(5)).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BreachRegister {
    /// Oldest first; ids are their position.
    #[serde(default)]
    pub breaches: Vec<crate::breach::Breach>,
}
document!(BreachRegister, "breaches", 1, binary_only);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PurposeCatalogue {
    pub purposes: Vec<Purpose>,
}
document!(PurposeCatalogue, "purposes", 1);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NoticeCatalogue {
    pub notices: Vec<Notice>,
}
document!(NoticeCatalogue, "notices", 1);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoticeText {
    pub text: String,
}
document!(NoticeText, "notice-text", 1);

/// A subject's head: the chain in clear (hashes only), everything else sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubjectHead {
    pub subject: String,
    /// Chain hashes, lower-case hex, receipt 1 first.
    pub chain: Vec<String>,
    /// [`HeadBody`], sealed under the subject's data key (base64).
    pub sealed: String,
}
document!(SubjectHead, "subject-head", 1, binary);

/// The sealed part of a subject's head.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HeadBody {
    pub email: Option<String>,
    pub external: Option<String>,
    pub receipts: Vec<ReceiptSummary>,
    /// How many receipts of the chain were sealed under a data key that an erasure
    /// destroyed: their hashes still verify, they no longer open.
    #[serde(default)]
    pub shredded: u32,
}

/// What status needs of a receipt, kept in the head so status is one read.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct ReceiptSummary {
    pub id: String,
    pub seq: u32,
    pub purpose: String,
    pub decision: Decision,
    pub given_by: GivenBy,
    pub at: String,
    pub age: Option<AgeDeclaration>,
}

/// One receipt, sealed under the subject's data key (base64).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceiptEntry {
    pub sealed: String,
}
document!(ReceiptEntry, "receipt", 1, binary);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorHead {
    pub seq: u64,
    pub root: String,
}
document!(AnchorHead, "anchor-head", 1);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorDoc {
    pub anchor: crate::model::Anchor,
    pub taken_by: Actor,
    /// Keys (`anchor-leaves/<sha256>`) of the leaf chunks, in order.
    pub chunks: Vec<String>,
}
document!(AnchorDoc, "anchor", 1);

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnchorLeaf {
    pub subject: String,
    pub len: u32,
    pub head: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorLeaves {
    pub leaves: Vec<AnchorLeaf>,
}
document!(AnchorLeaves, "anchor-leaves", 1);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SubjectShard {
    pub subjects: Vec<String>,
}
document!(SubjectShard, "subject-shard", 1, binary);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyCheck {
    pub value: String,
}
document!(KeyCheck, "key-check", 1);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WrappedKey {
    pub wrapped: String,
}
document!(WrappedKey, "wrapped-key", 1, binary);

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
    use data_encoding::BASE64;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, ser: S) -> Result<S::Ok, S::Error> {
        match v {
            None => ser.serialize_none(),
            Some(b) if ser.is_human_readable() => ser.serialize_some(&BASE64.encode(b)),
            Some(b) => ser.serialize_some(Bytes::new(b)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Vec<u8>>, D::Error> {
        if de.is_human_readable() {
            Option::<String>::deserialize(de)?
                .map(|t| BASE64.decode(t.as_bytes()).map_err(|_| D::Error::custom("the sealed record is not base64")))
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

pub fn customer_key(sid: &str) -> String {
    format!("customer/{sid}")
}
pub fn alias_key(esid: &str) -> String {
    format!("alias/{esid}")
}
pub fn import_key(id: &str) -> String {
    format!("import/{id}")
}

pub fn subject_key(sid: &str) -> String {
    format!("subject/{sid}")
}
pub fn receipt_key(sid: &str, hash: &str) -> String {
    format!("receipt/{sid}/{hash}")
}
pub fn dek_key(sid: &str) -> String {
    format!("dek/{sid}")
}
pub const POLICY_KEY: &str = "policy";
pub const REGISTRY_KEY: &str = "registry";
pub const BREACHES_KEY: &str = "breaches";
pub const PURPOSES_KEY: &str = "purposes";
pub const NOTICES_KEY: &str = "notices";
pub const ANCHOR_HEAD_KEY: &str = "anchor/head";
pub const KEY_CHECK_KEY: &str = "check";
pub fn notice_text_key(sha: &str) -> String {
    format!("notice-text/{sha}")
}
pub fn anchor_key(root: &str) -> String {
    format!("anchor/{root}")
}
pub fn anchor_leaves_key(sha: &str) -> String {
    format!("anchor-leaves/{sha}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{BINARY_DOCUMENT, decode, encode};

    #[test]
    fn a_wrapped_key_is_written_binary_and_its_json_form_still_read() {
        let w = WrappedKey { wrapped: "AAECAw==".into() };
        let bytes = encode(&w);
        assert_eq!(bytes[0], BINARY_DOCUMENT);
        assert_eq!(decode::<WrappedKey>("k", &bytes).map(|d| d.wrapped), Ok(w.wrapped.clone()));
        // As every version before this one wrote it.
        let json = br#"{"kind":"wrapped-key","schema":1,"body":{"wrapped":"AAECAw=="}}"#;
        assert_eq!(decode::<WrappedKey>("k", json).map(|d| d.wrapped), Ok(w.wrapped));
    }
}
