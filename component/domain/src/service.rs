//! [`Fichier`]: one operation's context (store, clock, randomness, keys) and the
//! storage mechanics every capability shares: typed documents, the compare-and-swap
//! retry loop, subjects and their data keys.

use data_encoding::{BASE32_NOPAD, BASE64};

use crate::crypto::{DataKey, Entropy, KeyRing, MasterKey};
use crate::docs::{self, HeadBody, KeyCheck, SubjectHead, WrappedKey};
use crate::error::{Error, Result};
use crate::model::SubjectRef;
use crate::store::{self, Bucket, Document, Store, Swap, storage_error};
use crate::time::Instant;
use crate::validate;

/// How many times a lost compare-and-swap is retried from a fresh read.
pub const CAS_ATTEMPTS: usize = 64;

/// One call's context. Hosts (through the guest) build one per call: the store they
/// lend, the time their clock says, their randomness and the master key.
pub struct Fichier<'a, S: Store> {
    pub(crate) store: &'a S,
    pub(crate) now: Instant,
    pub(crate) entropy: &'a mut dyn Entropy,
    master: MasterKey,
    /// Derived from `master` on first use: most reads and every check need no key, and
    /// the derivation (HKDF, cipher set-up) costs more than a minimisation check.
    keys: std::cell::OnceCell<KeyRing>,
}

/// A subject as loaded for a change or a read.
pub(crate) struct LoadedSubject {
    /// `None` for a subject never seen.
    pub head: Option<SubjectHead>,
    pub body: HeadBody,
}

impl<'a, S: Store> Fichier<'a, S> {
    pub fn new(store: &'a S, master: &MasterKey, now: Instant, entropy: &'a mut dyn Entropy) -> Self {
        Self { store, now, entropy, master: master.clone(), keys: std::cell::OnceCell::new() }
    }

    pub(crate) fn keys(&self) -> &KeyRing {
        self.keys.get_or_init(|| KeyRing::new(&self.master))
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    // ---- raw storage, with errors named ----

    pub(crate) fn get_raw(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>> {
        self.store.get(bucket, key).map_err(|e| storage_error(bucket, e))
    }

    pub(crate) fn set_raw(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
        check_size(bucket, key, value)?;
        self.store.set(bucket, key, value).map_err(|e| storage_error(bucket, e))
    }

    pub(crate) fn get_doc<T: Document>(&self, bucket: Bucket, key: &str) -> Result<Option<T>> {
        match self.get_raw(bucket, key)? {
            None => Ok(None),
            Some(bytes) => store::decode(&place(bucket, key), &bytes).map(Some),
        }
    }

    /// Read-modify-write `key` with one compare-and-swap, retried from a fresh read
    /// when another writer got there first. `change` sees the current document (or
    /// `None`) and returns the new one and a result, or `Ok(None)` to write nothing.
    pub(crate) fn update<T: Document, R>(
        &mut self,
        bucket: Bucket,
        key: &str,
        change: impl FnMut(&mut Self, Option<T>) -> Result<Option<(T, R)>>,
        unchanged: impl FnOnce() -> R,
    ) -> Result<R> {
        self.update_from(bucket, key, None, change, unchanged)
    }

    /// [`Self::update`] whose first attempt uses a compare-and-swap the caller has
    /// already begun on `key` (and the value it saw): a batch that begins one per record
    /// reads each record once, not once to decide and again to write.
    pub(crate) fn update_from<T: Document, R>(
        &mut self,
        bucket: Bucket,
        key: &str,
        mut begun: Option<(S::Cas, Option<Vec<u8>>)>,
        mut change: impl FnMut(&mut Self, Option<T>) -> Result<Option<(T, R)>>,
        unchanged: impl FnOnce() -> R,
    ) -> Result<R> {
        for _ in 0..CAS_ATTEMPTS {
            let (cas, current) = match begun.take() {
                Some(b) => b,
                None => self.store.cas_begin(bucket, key).map_err(|e| storage_error(bucket, e))?,
            };
            let current = match current {
                None => None,
                Some(bytes) => Some(store::decode::<T>(&place(bucket, key), &bytes)?),
            };
            let Some((next, result)) = change(self, current)? else {
                return Ok(unchanged());
            };
            let bytes = store::encode(&next);
            check_size(bucket, key, &bytes)?;
            match self.store.cas_swap(cas, &bytes).map_err(|e| storage_error(bucket, e))? {
                Swap::Committed => return Ok(result),
                Swap::Lost => continue,
            }
        }
        Err(Error::conflict(
            place(bucket, key),
            "compare-and-swap",
            format!("still losing to concurrent writers after {CAS_ATTEMPTS} attempts; retry later"),
        ))
    }

    // ---- keys ----

    /// Check the master key against the store's key-check value; on a store that has
    /// none yet, create it when `create` (a write is about to seal something).
    pub(crate) fn check_master_key(&mut self, create: bool) -> Result<()> {
        let stored: Option<KeyCheck> = self.get_doc(Bucket::Keys, docs::KEY_CHECK_KEY)?;
        match stored {
            Some(check) => self.compare_check(&check),
            None if !create => Ok(()),
            None => {
                let value = hex::encode(self.keys().check_value());
                self.update::<KeyCheck, ()>(
                    Bucket::Keys,
                    docs::KEY_CHECK_KEY,
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
                    place(Bucket::Keys, docs::KEY_CHECK_KEY),
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
        self.named_key(&docs::dek_key(sid), sid, create)
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
        self.create_named_key(&docs::dek_key(sid), sid)
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
        self.unwrap_key(sid, &docs::dek_key(sid), w)
    }

    fn unwrap_key(&self, owner: &str, key: &str, w: &WrappedKey) -> Result<DataKey> {
        let bytes = BASE64
            .decode(w.wrapped.as_bytes())
            .map_err(|_| Error::corrupted(place(Bucket::Keys, key), "decodes", "the wrapped key is not base64"))?;
        self.keys().unwrap(owner, &bytes).ok_or_else(|| {
            Error::corrupted(place(Bucket::Keys, key), "aead-authentic", "the subject's data key does not unwrap")
        })
    }

    // ---- subjects ----

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

    /// Open a stored head's sealed body with the subject's data key.
    pub(crate) fn open_head(&mut self, sid: &str, head: &SubjectHead) -> Result<HeadBody> {
        let key = docs::subject_key(sid);
        let dek = self.existing_data_key(sid)?;
        let sealed = BASE64
            .decode(head.sealed.as_bytes())
            .map_err(|_| Error::corrupted(place(Bucket::Data, &key), "decodes", "the sealed head is not base64"))?;
        let Some(plain) = dek.open(&head_context(head), sid, &sealed) else {
            // An erasure replaced the key and had not yet rewritten the head: everything
            // in it was the person's, now unreadable (the erasure run again rewrites it).
            if self.erased_at(sid)?.is_some() {
                return Ok(HeadBody {
                    shredded: u32::try_from(head.chain.len()).unwrap_or(u32::MAX),
                    ..HeadBody::default()
                });
            }
            return Err(Error::corrupted(
                place(Bucket::Data, &key),
                "aead-authentic",
                "the subject's head fails authentication",
            ));
        };
        serde_json::from_slice(&plain)
            .map_err(|e| Error::corrupted(place(Bucket::Data, &key), "decodes", format!("sealed head: {e}")))
    }

    /// Load a subject for reading.
    pub(crate) fn load_subject(&mut self, sid: &str) -> Result<LoadedSubject> {
        let head: Option<SubjectHead> = self.get_doc(Bucket::Data, &docs::subject_key(sid))?;
        let body = match &head {
            Some(h) => {
                if h.subject != sid {
                    return Err(Error::corrupted(
                        place(Bucket::Data, &docs::subject_key(sid)),
                        "subject-matches",
                        "the head belongs to another subject",
                    ));
                }
                self.open_head(sid, h)?
            }
            None => HeadBody::default(),
        };
        Ok(LoadedSubject { head, body })
    }

    /// Seal a head body for storage.
    pub(crate) fn seal_head(&mut self, sid: &str, chain: Vec<String>, body: &HeadBody, dek: &DataKey) -> SubjectHead {
        let mut head = SubjectHead { subject: sid.to_string(), chain, sealed: String::new() };
        let plain = serde_json::to_vec(body).unwrap_or_else(|_| unreachable!("head bodies serialise"));
        head.sealed = BASE64.encode(&dek.seal(&head_context(&head), sid, &plain, self.entropy));
        head
    }
}

/// The sealed body is bound to the chain it was written with: a sealed body copied
/// from an older head fails to open.
fn head_context(head: &SubjectHead) -> String {
    format!("head/{}/{}", head.chain.len(), head.chain.last().map(String::as_str).unwrap_or("-"))
}

/// The error for a subject whose data key is not in the keys bucket.
pub(crate) fn missing_key(sid: &str) -> Error {
    Error::corrupted(place(Bucket::Keys, &docs::dek_key(sid)), "key-present", "the subject's data key is missing")
}

/// `store:<label>/<key>`: how errors name a stored value.
pub(crate) fn place(bucket: Bucket, key: &str) -> String {
    format!("store:{}/{}", bucket.label(), key)
}

impl<S: Store> Fichier<'_, S> {
    /// Whether `value` fits the store's value limit (checked before writing anything).
    pub(crate) fn check_fits(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
        check_size(bucket, key, value)
    }
}

fn check_size(bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
    if value.len() > store::MAX_VALUE_BYTES {
        return Err(Error::conflict(
            place(bucket, key),
            "max-value-size",
            format!("the value would be {} bytes, over the store's 1 MiB limit", value.len()),
        ));
    }
    Ok(())
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
