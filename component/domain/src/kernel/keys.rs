//! Keys: the master key's check value, each subject's data key (created on first write,
//! wrapped by the master key in the `keys` bucket, replaced by an erasure), and the
//! opaque subject ids that keyed look-up hashes give (no e-mail is stored in clear).
//!
//! Stored in the keys bucket: `check` — [`KeyCheck`]; `dek/<sid>` (and `dek/<sid>/hold`
//! for what an erasure keeps under a legal hold) — [`WrappedKey`].

use data_encoding::{BASE32_NOPAD, BASE64};
use serde::{Deserialize, Serialize};

use super::context::{Fichier, place};
use super::crypto::{DataKey, KeyRing};
use super::error::{Error, Result};
use super::store::{Bucket, Store, document};
use super::types::SubjectRef;
use super::validate;

/// The master key's check value: a store opened with another master key is refused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyCheck {
    pub value: String,
}
document!(KeyCheck, "key-check", 1);

/// A data key, wrapped (sealed) by the master key, base64.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WrappedKey {
    pub wrapped: String,
}
document!(WrappedKey, "wrapped-key", 1, binary);

/// The key of [`KeyCheck`] in the keys bucket.
pub const KEY_CHECK_KEY: &str = "check";

/// The key of a subject's wrapped data key in the keys bucket.
pub fn dek_key(sid: &str) -> String {
    format!("dek/{sid}")
}

impl<S: Store> Fichier<'_, S> {
    // ---- keys ----

    /// Check the master key against the store's key-check value; on a store that has
    /// none yet, create it when `create` (a write is about to seal something).
    pub(crate) fn check_master_key(&mut self, create: bool) -> Result<()> {
        let stored: Option<KeyCheck> = self.get_doc(Bucket::Keys, KEY_CHECK_KEY)?;
        match stored {
            Some(check) => self.compare_check(&check),
            None if !create => Ok(()),
            None => {
                let value = hex::encode(self.keys().check_value());
                self.update::<KeyCheck, ()>(
                    Bucket::Keys,
                    KEY_CHECK_KEY,
                    |this, current| match current {
                        Some(check) => this.compare_check(&check).map(|()| None),
                        None => Ok(Some((KeyCheck { value: value.clone() }, ()))),
                    },
                    || (),
                )
            }
        }
    }

    fn compare_check(&self, check: &KeyCheck) -> Result<()> {
        let bytes = match hex::decode(&check.value) {
            Ok(b) if b.len() == 32 => b,
            _ => {
                return Err(Error::corrupted(
                    place(Bucket::Keys, KEY_CHECK_KEY),
                    "decodes",
                    "the stored key-check value is damaged",
                ));
            }
        };
        if self.keys().check_matches(&bytes) {
            Ok(())
        } else {
            Err(Error::config(
                "config:master_key",
                "matches-store",
                "the master key is not the one this store was created with",
            ))
        }
    }

    /// The subject's data key, created (and wrapped into the `keys` bucket) if `create`.
    pub(crate) fn data_key(&mut self, sid: &str, create: bool) -> Result<Option<DataKey>> {
        self.named_key(&dek_key(sid), sid, create)
    }

    /// A key stored wrapped at `key` in the `keys` bucket, bound to `owner` (a subject id
    /// for data keys; `<sid>/hold` for an erasure's held data), created if `create`.
    pub(crate) fn named_key(&mut self, key: &str, owner: &str, create: bool) -> Result<Option<DataKey>> {
        if let Some(w) = self.get_doc::<WrappedKey>(Bucket::Keys, key)? {
            return self.unwrap_key(owner, key, &w).map(Some);
        }
        if !create {
            return Ok(None);
        }
        self.create_named_key(key, owner).map(Some)
    }

    /// Create the subject's data key, or take the one a concurrent first writer created
    /// (insert-if-absent). For callers that have just seen it absent.
    pub(crate) fn create_data_key(&mut self, sid: &str) -> Result<DataKey> {
        self.create_named_key(&dek_key(sid), sid)
    }

    fn create_named_key(&mut self, key: &str, owner: &str) -> Result<DataKey> {
        let fresh = DataKey::generate(self.entropy);
        let keys = self.keys.get_or_init(|| KeyRing::new(&self.master));
        let wrapped = WrappedKey { wrapped: BASE64.encode(&keys.wrap(owner, &fresh, self.entropy)) };
        // Insert-if-absent: two first writers agree on one key.
        let won = self.update::<WrappedKey, bool>(
            Bucket::Keys,
            key,
            |_, current| Ok(if current.is_some() { None } else { Some((wrapped.clone(), true)) }),
            || false,
        )?;
        if won {
            return Ok(fresh);
        }
        match self.get_doc::<WrappedKey>(Bucket::Keys, key)? {
            Some(w) => self.unwrap_key(owner, key, &w),
            None => Err(Error::conflict(place(Bucket::Keys, key), "compare-and-swap", "the data key vanished")),
        }
    }

    /// The data key of a subject that has stored data: its absence is corruption.
    pub(crate) fn existing_data_key(&mut self, sid: &str) -> Result<DataKey> {
        self.data_key(sid, false)?.ok_or_else(|| missing_key(sid))
    }

    /// Unwrap a stored data key (read by the caller, e.g. in a batch).
    pub(crate) fn open_data_key(&self, sid: &str, w: &WrappedKey) -> Result<DataKey> {
        self.unwrap_key(sid, &dek_key(sid), w)
    }

    pub(crate) fn unwrap_key(&self, owner: &str, key: &str, w: &WrappedKey) -> Result<DataKey> {
        let bytes = BASE64
            .decode(w.wrapped.as_bytes())
            .map_err(|_| Error::corrupted(place(Bucket::Keys, key), "decodes", "the wrapped key is not base64"))?;
        self.keys().unwrap(owner, &bytes).ok_or_else(|| {
            Error::corrupted(place(Bucket::Keys, key), "aead-authentic", "the subject's data key does not unwrap")
        })
    }

    /// The opaque subject id a reference designates (no storage access).
    pub fn subject_id(&self, field: &str, r: &SubjectRef) -> Result<String> {
        let hash = match r {
            SubjectRef::Email(e) => self
                .keys()
                .lookup_hash("email", &validate::email("email", e).map_err(|er| er.at(format!("{field}.email")))?),
            SubjectRef::External(x) => {
                validate::printable(&format!("{field}.external"), x, 128)?;
                self.keys().lookup_hash("external", x)
            }
            SubjectRef::Subject(s) => {
                check_subject_id(&format!("{field}.subject"), s)?;
                return Ok(s.clone());
            }
        };
        Ok(format!("s-{}", BASE32_NOPAD.encode(&hash).to_lowercase()))
    }
}

/// The error for a subject whose data key is not in the keys bucket.
pub(crate) fn missing_key(sid: &str) -> Error {
    Error::corrupted(place(Bucket::Keys, &dek_key(sid)), "key-present", "the subject's data key is missing")
}

/// `s-` and 26 characters of lower-case base32.
pub fn check_subject_id(field: &str, s: &str) -> Result<()> {
    let ok = s.len() == 28
        && s.starts_with("s-")
        && s[2..].chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "subject-id-syntax", "a subject id is s- followed by 26 characters of base32"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::store::{BINARY_DOCUMENT, decode, encode};
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
