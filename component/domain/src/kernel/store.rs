//! The storage port: what the domain needs from `wasi:keyvalue@0.2.0-draft2`, and the
//! versioned document envelope every stored value uses.
//!
//! The domain never does IO itself: the guest implements [`Store`] over the imported
//! buckets, tests and benches use [`MemoryStore`].

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Error, FieldError, Result};

/// The two buckets fichier opens (Spin `key_value_stores` labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// Everything but keys: label `default`.
    Data,
    /// Wrapped per-subject data keys and the key check: label `keys`.
    Keys,
}

impl Bucket {
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Data => "default",
            Bucket::Keys => "keys",
        }
    }
}

/// A store failure as reported by the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

/// Largest value fichier writes: Spin's key-value limit.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Outcome of a compare-and-swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swap {
    Committed,
    /// Someone else wrote the key since `cas_begin`: read again and retry.
    Lost,
}

/// What the domain needs from a key-value store. Implementations must be durable
/// ("acknowledged only after commit") for `set` and `cas_swap`.
pub trait Store {
    /// An open compare-and-swap handle.
    type Cas;
    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Values for many keys, in order.
    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError>;
    /// One page of keys (any order) and the cursor of the next page.
    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError>;
    /// Start a compare-and-swap on `key`: the handle and the value it compares against.
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StoreError>;
    /// Write `value` if `key` still holds what `cas_begin` saw.
    fn cas_swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Swap, StoreError>;
}

/// The values of `keys`, in their order, from what `wasi:keyvalue/batch.get-many`
/// returned: pairs in the order asked are taken as they come (the hosts of this
/// repository); a host may also answer in another order or leave absent keys out (Spin's
/// SQLite store), and repeated keys each get their value.
pub fn values_in_order(keys: &[String], found: Vec<(String, Option<Vec<u8>>)>) -> Vec<Option<Vec<u8>>> {
    if found.len() == keys.len() && found.iter().zip(keys).all(|((k, _), want)| k == want) {
        return found.into_iter().map(|(_, v)| v).collect();
    }
    let map: std::collections::HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
    keys.iter().map(|k| map.get(k).cloned().flatten()).collect()
}

pub(crate) fn storage_error(bucket: Bucket, e: StoreError) -> Error {
    Error::Storage(FieldError::new(format!("store:{}", bucket.label()), "available", e.0))
}

/// A stored document type: its kind, its current schema version, and how to bring an
/// older version up to date.
pub trait Document: Serialize + DeserializeOwned {
    const KIND: &'static str;
    const SCHEMA: u32;
    /// Stored in the binary envelope ([`BINARY_DOCUMENT`], postcard) rather than JSON: the
    /// documents written once per customer or per chunk by an import. Either form is read.
    const BINARY: bool = false;
    /// Binary and never written as JSON by any version: the JSON reader is left out for it
    /// (serde_json's code for a type is the bulk of the component's size).
    const BINARY_ONLY: bool = false;
    /// Turn the body of schema `from` (< `SCHEMA`) into the body of schema `from + 1`.
    /// JSON documents only: a binary document that changes shape needs its own migration.
    fn migrate(from: u32, body: serde_json::Value) -> std::result::Result<serde_json::Value, String> {
        let _ = body;
        Err(format!("no migration from schema {from}"))
    }
    /// Read the postcard body of an older schema `from` (binary documents that changed
    /// shape): the whole body, decoded into the current shape.
    fn migrate_binary(from: u32, body: &[u8]) -> std::result::Result<Self, String>
    where
        Self: Sized,
    {
        let _ = body;
        Err(format!("no migration of binary schema {from}"))
    }
}

/// `document!(Type, "kind", schema)` implements [`Document`] for a type that needs no
/// migration; `binary` stores it in the binary envelope, `binary_only` also leaves its
/// JSON reader out.
macro_rules! document {
    ($t:ty, $kind:literal, $schema:literal) => {
        impl $crate::kernel::store::Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
        }
    };
    ($t:ty, $kind:literal, $schema:literal, binary) => {
        impl $crate::kernel::store::Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
            const BINARY: bool = true;
        }
    };
    ($t:ty, $kind:literal, $schema:literal, binary_only) => {
        impl $crate::kernel::store::Document for $t {
            const KIND: &'static str = $kind;
            const SCHEMA: u32 = $schema;
            const BINARY: bool = true;
            const BINARY_ONLY: bool = true;
        }
    };
}
pub(crate) use document;

/// The first byte of a document in the binary envelope: postcard of (kind, schema, body).
/// A JSON document starts with `{`.
pub const BINARY_DOCUMENT: u8 = 0xF1;

/// The envelope as one value: what [`encode`] writes, byte for byte (checked by a test).
#[cfg(test)]
#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    kind: &'a str,
    schema: u32,
    body: &'a T,
}

#[derive(serde::Deserialize)]
struct EnvelopeIn<'a> {
    kind: String,
    schema: u32,
    #[serde(borrow)]
    body: &'a serde_json::value::RawValue,
}

/// Encode a document in its versioned envelope.
pub fn encode<T: Document>(doc: &T) -> Vec<u8> {
    // The envelope's head is written by one function for every kind; only the body's
    // serialisation is the type's own. The bytes are those of serialising
    // `{kind, schema, body}` whole (postcard concatenates fields; kinds need no escaping).
    let mut out = envelope_head(T::KIND, T::SCHEMA, T::BINARY);
    let out = if T::BINARY {
        postcard::to_extend(doc, out).ok()
    } else {
        serde_json::to_writer(&mut out, doc).ok().map(|()| {
            out.push(b'}');
            out
        })
    };
    out.unwrap_or_else(|| unreachable!("fichier documents always serialise"))
}

#[inline(never)]
fn envelope_head(kind: &str, schema: u32, binary: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    if binary {
        out.push(BINARY_DOCUMENT);
        out = postcard::to_extend(&(kind, schema), out).unwrap_or_else(|_| unreachable!("a kind serialises"));
    } else {
        out.extend_from_slice(format!("{{\"kind\":\"{kind}\",\"schema\":{schema},\"body\":").as_bytes());
    }
    out
}

/// A stored value's body, once its envelope was checked.
enum Body<'a> {
    /// postcard of the body, at the current schema.
    Binary(&'a [u8]),
    /// postcard of the body at an older schema ([`Document::migrate_binary`]).
    BinaryOld(&'a [u8], u32),
    /// JSON of the body, and the schema it was written with.
    Json(&'a str, u32),
}

/// Decode a document, migrating an older schema; `place` names it in errors.
pub fn decode<T: Document>(place: &str, bytes: &[u8]) -> Result<T> {
    // Everything but the body's own decoding is one function for every kind: each kind
    // instantiated the envelope checks and their messages again (~4 KB of component each).
    match envelope(place, bytes, T::KIND, T::SCHEMA, T::BINARY_ONLY)? {
        Body::BinaryOld(body, schema) => {
            T::migrate_binary(schema, body).map_err(|m| Error::corrupted(place, "migrates", m))
        }
        Body::Binary(body) => match postcard::take_from_bytes::<T>(body) {
            Ok((doc, [])) => Ok(doc),
            Ok(_) => Err(trailing(place)),
            Err(e) => Err(invalid(place, T::KIND, &e)),
        },
        Body::Json(body, schema) => {
            // `envelope` refused JSON for a binary-only kind; the branch is gone for it, and
            // with it serde_json's reader for the type.
            if T::BINARY_ONLY {
                return Err(Error::corrupted(place, "decodes", "a binary document stored as JSON"));
            }
            // A kind still at schema 1 has nothing to migrate (`envelope` refused any other
            // schema): the migration path, and serde_json's `Value` reader for it, is
            // compiled only for kinds that have one.
            if schema == T::SCHEMA || T::SCHEMA == 1 {
                return serde_json::from_str(body).map_err(|e| invalid(place, T::KIND, &e));
            }
            let mut value: serde_json::Value = serde_json::from_str(body).map_err(|e| invalid(place, T::KIND, &e))?;
            for from in schema..T::SCHEMA {
                value = T::migrate(from, value).map_err(|m| Error::corrupted(place, "migrates", m))?;
            }
            serde_json::from_value(value).map_err(|e| invalid(place, T::KIND, &e))
        }
    }
}

#[inline(never)]
fn invalid(place: &str, kind: &str, e: &dyn std::fmt::Display) -> Error {
    Error::corrupted(place, "decodes", format!("{kind} document: {e}"))
}

#[inline(never)]
fn trailing(place: &str) -> Error {
    Error::corrupted(place, "decodes", "trailing bytes after the document")
}

/// Check a stored value's envelope against the kind and schema expected; its body.
#[inline(never)]
fn envelope<'a>(place: &str, bytes: &'a [u8], want: &str, current: u32, binary_only: bool) -> Result<Body<'a>> {
    let check = |kind: &str, schema: u32| -> Result<()> {
        if kind != want {
            return Err(Error::corrupted(place, "kind", format!("expected a {want} document, found {kind}")));
        }
        if schema == 0 || schema > current {
            return Err(Error::corrupted(
                place,
                "schema-supported",
                format!("schema {schema} of {want} is not supported by this version (up to {current})"),
            ));
        }
        Ok(())
    };
    if let Some((&BINARY_DOCUMENT, rest)) = bytes.split_first() {
        let ((kind, schema), body) = postcard::take_from_bytes::<(&str, u32)>(rest)
            .map_err(|e| Error::corrupted(place, "decodes", format!("the stored value: {e}")))?;
        check(kind, schema)?;
        if schema != current {
            return Ok(Body::BinaryOld(body, schema));
        }
        return Ok(Body::Binary(body));
    }
    if binary_only {
        return Err(Error::corrupted(place, "decodes", format!("a {want} document is stored in binary")));
    }
    let env: EnvelopeIn = serde_json::from_slice(bytes)
        .map_err(|e| Error::corrupted(place, "decodes", format!("the stored value is not a fichier document: {e}")))?;
    check(&env.kind, env.schema)?;
    Ok(Body::Json(env.body.get(), env.schema))
}

/// (bucket, key) → (version, value).
type Rows = BTreeMap<(Bucket, String), (u64, Vec<u8>)>;

/// An in-memory [`Store`] (tests, benchmarks, hosts' in-memory option).
#[derive(Default)]
pub struct MemoryStore {
    inner: RefCell<Rows>,
    version: RefCell<u64>,
}

/// A [`MemoryStore`] compare-and-swap handle: the version seen.
pub struct MemoryCas {
    bucket: Bucket,
    key: String,
    seen: Option<u64>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every (bucket, key, value), for tests that inspect or tamper with raw storage.
    pub fn raw(&self) -> Vec<(Bucket, String, Vec<u8>)> {
        self.inner.borrow().iter().map(|((b, k), (_, v))| (*b, k.clone(), v.clone())).collect()
    }

    /// Overwrite a raw value (tests simulating tampering or another writer).
    pub fn raw_set(&self, bucket: Bucket, key: &str, value: Vec<u8>) {
        let v = self.next_version();
        self.inner.borrow_mut().insert((bucket, key.to_string()), (v, value));
    }

    fn next_version(&self) -> u64 {
        let mut v = self.version.borrow_mut();
        *v += 1;
        *v
    }
}

impl Store for MemoryStore {
    type Cas = MemoryCas;

    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.borrow().get(&(bucket, key.to_string())).map(|(_, v)| v.clone()))
    }

    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|k| self.get(bucket, k)).collect()
    }

    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.raw_set(bucket, key, value.to_vec());
        Ok(())
    }

    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().remove(&(bucket, key.to_string()));
        Ok(())
    }

    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        const PAGE: usize = 1000;
        let inner = self.inner.borrow();
        let keys: Vec<String> = inner
            .keys()
            .filter(|(b, k)| *b == bucket && cursor.is_none_or(|c| k.as_str() > c))
            .take(PAGE + 1)
            .map(|(_, k)| k.clone())
            .collect();
        if keys.len() > PAGE {
            let page = keys[..PAGE].to_vec();
            let next = page.last().cloned();
            Ok((page, next))
        } else {
            Ok((keys, None))
        }
    }

    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(MemoryCas, Option<Vec<u8>>), StoreError> {
        let found = self.inner.borrow().get(&(bucket, key.to_string())).cloned();
        let cas = MemoryCas { bucket, key: key.to_string(), seen: found.as_ref().map(|(v, _)| *v) };
        Ok((cas, found.map(|(_, v)| v)))
    }

    fn cas_swap(&self, cas: MemoryCas, value: &[u8]) -> Result<Swap, StoreError> {
        let current = self.inner.borrow().get(&(cas.bucket, cas.key.clone())).map(|(v, _)| *v);
        if current != cas.seen {
            return Ok(Swap::Lost);
        }
        self.raw_set(cas.bucket, &cas.key, value.to_vec());
        Ok(Swap::Committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct V2 {
        name: String,
        tags: Vec<String>,
    }

    impl Document for V2 {
        const KIND: &'static str = "test-doc";
        const SCHEMA: u32 = 2;
        fn migrate(from: u32, mut body: serde_json::Value) -> std::result::Result<serde_json::Value, String> {
            match from {
                1 => {
                    // v1 had a single `tag`.
                    let tag = body.get("tag").cloned().unwrap_or(serde_json::Value::Null);
                    let obj = body.as_object_mut().ok_or("v1 body is not an object")?;
                    obj.remove("tag");
                    obj.insert("tags".into(), serde_json::json!(if tag.is_null() { vec![] } else { vec![tag] }));
                    Ok(body)
                }
                _ => Err(format!("no migration from schema {from}")),
            }
        }
    }

    #[test]
    fn older_schemas_are_migrated_newer_refused() {
        let v1 = br#"{"kind":"test-doc","schema":1,"body":{"name":"a","tag":"x"}}"#;
        assert_eq!(decode::<V2>("k", v1), Ok(V2 { name: "a".into(), tags: vec!["x".into()] }));
        let v3 = br#"{"kind":"test-doc","schema":3,"body":{}}"#;
        assert!(matches!(decode::<V2>("k", v3), Err(Error::Corrupted(e)) if e.rule == "schema-supported"));
        let other = br#"{"kind":"other","schema":1,"body":{}}"#;
        assert!(matches!(decode::<V2>("k", other), Err(Error::Corrupted(e)) if e.rule == "kind"));
        assert!(matches!(decode::<V2>("k", b"\xff"), Err(Error::Corrupted(e)) if e.rule == "decodes"));
        let round = encode(&V2 { name: "b".into(), tags: vec![] });
        assert_eq!(decode::<V2>("k", &round).map(|d| d.name), Ok("b".to_string()));
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Bin {
        name: String,
        n: u32,
    }

    impl Document for Bin {
        const KIND: &'static str = "bin-doc";
        const SCHEMA: u32 = 1;
        const BINARY: bool = true;
    }

    #[test]
    fn binary_documents_round_trip_and_json_ones_are_still_read() {
        let doc = Bin { name: "é".into(), n: 300 };
        let bytes = encode(&doc);
        assert_eq!(bytes[0], BINARY_DOCUMENT);
        assert_eq!(decode::<Bin>("k", &bytes), Ok(Bin { name: "é".into(), n: 300 }));
        // The same document written as JSON before it became binary.
        let json = br#"{"kind":"bin-doc","schema":1,"body":{"name":"x","n":1}}"#;
        assert_eq!(decode::<Bin>("k", json), Ok(Bin { name: "x".into(), n: 1 }));
        // Another kind, a newer schema, trailing or missing bytes: typed errors.
        let other = encode(&V2 { name: "b".into(), tags: vec![] });
        assert!(matches!(decode::<Bin>("k", &other), Err(Error::Corrupted(e)) if e.rule == "kind"));
        let mut newer = vec![BINARY_DOCUMENT];
        newer.extend(postcard::to_allocvec(&("bin-doc", 2u32, "x", 1u32)).unwrap_or_default());
        assert!(matches!(decode::<Bin>("k", &newer), Err(Error::Corrupted(e)) if e.rule == "schema-supported"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(decode::<Bin>("k", &longer), Err(Error::Corrupted(e)) if e.rule == "decodes"));
        assert!(
            matches!(decode::<Bin>("k", &bytes[..bytes.len() - 1]), Err(Error::Corrupted(e)) if e.rule == "decodes")
        );
    }

    #[test]
    fn the_envelope_is_written_as_serialising_it_whole_would() {
        let v = V2 { name: "a \"b\" é".into(), tags: vec!["x".into()] };
        let whole =
            serde_json::to_vec(&EnvelopeOut { kind: V2::KIND, schema: V2::SCHEMA, body: &v }).unwrap_or_default();
        assert_eq!(encode(&v), whole);
        let b = Bin { name: "é".into(), n: 300 };
        let mut whole = vec![BINARY_DOCUMENT];
        whole.extend(
            postcard::to_allocvec(&EnvelopeOut { kind: Bin::KIND, schema: Bin::SCHEMA, body: &b }).unwrap_or_default(),
        );
        assert_eq!(encode(&b), whole);
    }

    #[test]
    fn batched_values_come_back_in_the_order_asked_whatever_the_host_did() {
        let keys: Vec<String> = ["a", "b", "a", "c"].map(String::from).to_vec();
        let v = |s: &str| Some(s.as_bytes().to_vec());
        let pair = |k: &str, val: Option<Vec<u8>>| (k.to_string(), val);
        let want = vec![v("1"), None, v("1"), v("3")];
        // In order, absent keys as `None`.
        let in_order = vec![pair("a", v("1")), pair("b", None), pair("a", v("1")), pair("c", v("3"))];
        assert_eq!(values_in_order(&keys, in_order), want);
        // Another order, absent and repeated keys left out.
        let shuffled = vec![pair("c", v("3")), pair("a", v("1"))];
        assert_eq!(values_in_order(&keys, shuffled), want);
        assert_eq!(values_in_order(&[], Vec::new()), Vec::<Option<Vec<u8>>>::new());
    }

    #[test]
    fn memory_cas_detects_a_concurrent_writer() {
        let s = MemoryStore::new();
        let (cas, cur) = s.cas_begin(Bucket::Data, "k").expect("begin");
        assert_eq!(cur, None);
        s.set(Bucket::Data, "k", b"other").expect("set");
        assert_eq!(s.cas_swap(cas, b"mine").expect("swap"), Swap::Lost);
        let (cas, cur) = s.cas_begin(Bucket::Data, "k").expect("begin");
        assert_eq!(cur.as_deref(), Some(&b"other"[..]));
        assert_eq!(s.cas_swap(cas, b"mine").expect("swap"), Swap::Committed);
    }
}
