//! The domain's store port over `wasi:keyvalue@0.2.0-draft2`.

use fichier_domain::Error;
use fichier_domain::kernel::store::{Bucket, Store, StoreError, Swap};

use crate::bindings::wasi::keyvalue::{atomics, batch, store};

/// The two buckets, opened on an instance's first call and kept while it lives.
pub struct KvStore {
    data: store::Bucket,
    keys: store::Bucket,
}

fn err(e: store::Error) -> StoreError {
    StoreError(match e {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(m) => m,
    })
}

impl KvStore {
    pub fn open() -> Result<Self, Error> {
        let open = |b: Bucket| {
            store::open(b.label()).map_err(|e| {
                Error::Storage(fichier_domain::FieldError::new(
                    format!("store:{}", b.label()),
                    "open",
                    format!("the host did not open key-value store `{}`: {}", b.label(), err(e).0),
                ))
            })
        };
        Ok(Self { data: open(Bucket::Data)?, keys: open(Bucket::Keys)? })
    }

    fn bucket(&self, b: Bucket) -> &store::Bucket {
        match b {
            Bucket::Data => &self.data,
            Bucket::Keys => &self.keys,
        }
    }
}

impl Store for KvStore {
    type Cas = atomics::Cas;

    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket(bucket).get(key).map_err(err)
    }

    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = batch::get_many(self.bucket(bucket), keys).map_err(err)?;
        Ok(fichier_domain::kernel::store::values_in_order(keys, found))
    }

    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bucket(bucket).set(key, value).map_err(err)
    }

    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.bucket(bucket).delete(key).map_err(err)
    }

    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        let r = self.bucket(bucket).list_keys(cursor).map_err(err)?;
        Ok((r.keys, r.cursor))
    }

    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(atomics::Cas, Option<Vec<u8>>), StoreError> {
        let cas = atomics::Cas::new(self.bucket(bucket), key).map_err(err)?;
        let current = cas.current().map_err(err)?;
        Ok((cas, current))
    }

    fn cas_swap(&self, cas: atomics::Cas, value: &[u8]) -> Result<Swap, StoreError> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(Swap::Committed),
            Err(atomics::CasError::CasFailed(_)) => Ok(Swap::Lost),
            Err(atomics::CasError::StoreError(e)) => Err(err(e)),
        }
    }
}
