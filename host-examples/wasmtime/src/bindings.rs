//! Host bindings for the `fichier:client/library` world and the host side of the
//! imports it needs beyond WASI: `wasi:keyvalue@0.2.0-draft2` and `wasi:config`.

use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};

use crate::kv::{KvBackend, KvError, Versioned};

mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "fichier:client/library",
        with: {
            "wasi:keyvalue/store.bucket": super::BucketHandle,
            "wasi:keyvalue/atomics.cas": super::CasHandle,
        },
        imports: { default: trappable },
    });
}

pub use generated::exports::fichier::client::types;
pub use generated::exports::fichier::client::{
    audit, breaches, consent, customer_import, customers, ledger, maintenance, minimisation, outbox, registry,
    retention, rights, settings,
};
use generated::wasi::config::store as config;
use generated::wasi::keyvalue::{atomics, batch, store};
pub use generated::{Library, LibraryPre};

/// An open bucket: its label (shared with the handles opened from it: no copy per call).
pub struct BucketHandle {
    label: Arc<str>,
}

/// An open compare-and-swap: the key and the version (and value) it saw.
pub struct CasHandle {
    label: Arc<str>,
    key: String,
    seen: Option<Versioned>,
}

/// What a call's store holds beside WASI: the key-value backend, the labels this
/// deployment declares (Spin's `key_value_stores`), and the configuration.
pub struct Imports {
    pub kv: Arc<dyn KvBackend>,
    pub allowed_labels: Arc<Vec<String>>,
    pub config: Arc<Vec<(String, String)>>,
    pub table: ResourceTable,
}

fn kv_err(e: KvError) -> store::Error {
    match e {
        KvError::NoSuchStore => store::Error::NoSuchStore,
        KvError::AccessDenied => store::Error::AccessDenied,
        KvError::Other(m) => store::Error::Other(m),
    }
}

impl Imports {
    fn label(&self, b: &Resource<BucketHandle>) -> wasmtime::Result<Arc<str>> {
        Ok(self.table.get(b)?.label.clone())
    }
}

impl store::Host for Imports {
    fn open(&mut self, identifier: String) -> wasmtime::Result<Result<Resource<BucketHandle>, store::Error>> {
        // Spin's rule: a label the deployment does not declare is `access-denied`.
        if !self.allowed_labels.contains(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        if !self.kv.labels().contains(&identifier) {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(BucketHandle { label: identifier.into() })?))
    }
}

impl store::HostBucket for Imports {
    fn get(
        &mut self,
        b: Resource<BucketHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.get(&label, &key).map(|v| v.map(|(_, b)| b)).map_err(kv_err))
    }

    fn set(
        &mut self,
        b: Resource<BucketHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.set(&label, &key, &value).map_err(kv_err))
    }

    fn delete(&mut self, b: Resource<BucketHandle>, key: String) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.delete(&label, &key).map_err(kv_err))
    }

    fn exists(&mut self, b: Resource<BucketHandle>, key: String) -> wasmtime::Result<Result<bool, store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.get(&label, &key).map(|v| v.is_some()).map_err(kv_err))
    }

    fn list_keys(
        &mut self,
        b: Resource<BucketHandle>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.list_after(&label, cursor.as_deref()).map_err(kv_err).map(|keys| {
            let cursor = if keys.len() == crate::kv::LIST_PAGE { keys.last().cloned() } else { None };
            store::KeyResponse { keys, cursor }
        }))
    }

    fn drop(&mut self, b: Resource<BucketHandle>) -> wasmtime::Result<()> {
        self.table.delete(b)?;
        Ok(())
    }
}

impl atomics::Host for Imports {
    fn increment(
        &mut self,
        b: Resource<BucketHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.increment(&label, &key, delta).map_err(kv_err))
    }

    fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let handle = self.table.delete(cas)?;
        match self.kv.swap_if(&handle.label, &handle.key, handle.seen.as_ref().map(|(v, _)| *v), &value) {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                // A fresh handle at the latest version, as the interface requires.
                let seen = match self.kv.get(&handle.label, &handle.key) {
                    Ok(s) => s,
                    Err(e) => return Ok(Err(atomics::CasError::StoreError(kv_err(e)))),
                };
                let fresh = self.table.push(CasHandle { label: handle.label, key: handle.key, seen })?;
                Ok(Err(atomics::CasError::CasFailed(fresh)))
            }
            Err(e) => Ok(Err(atomics::CasError::StoreError(kv_err(e)))),
        }
    }
}

impl atomics::HostCas for Imports {
    fn new(
        &mut self,
        b: Resource<BucketHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, store::Error>> {
        let label = self.label(&b)?;
        let seen = match self.kv.get(&label, &key) {
            Ok(s) => s,
            Err(e) => return Ok(Err(kv_err(e))),
        };
        Ok(Ok(self.table.push(CasHandle { label, key, seen })?))
    }

    fn current(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(Ok(self.table.get(&cas)?.seen.as_ref().map(|(_, v)| v.clone())))
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for Imports {
    fn get_many(
        &mut self,
        b: Resource<BucketHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        let label = self.label(&b)?;
        Ok(self.kv.get_many(&label, &keys).map_err(kv_err).map(|values| keys.into_iter().zip(values).collect()))
    }

    fn set_many(
        &mut self,
        b: Resource<BucketHandle>,
        kvs: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label(&b)?;
        for (k, v) in kvs {
            if let Err(e) = self.kv.set(&label, &k, &v) {
                return Ok(Err(kv_err(e)));
            }
        }
        Ok(Ok(()))
    }

    fn delete_many(
        &mut self,
        b: Resource<BucketHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label(&b)?;
        for k in keys {
            if let Err(e) = self.kv.delete(&label, &k) {
                return Ok(Err(kv_err(e)));
            }
        }
        Ok(Ok(()))
    }
}

impl config::Host for Imports {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, config::Error>> {
        Ok(Ok(self.config.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config::Error>> {
        Ok(Ok(self.config.as_ref().clone()))
    }
}

/// Add the world's own imports (key-value, config) to a linker whose store data
/// reaches an [`Imports`] through `get`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut Imports,
) -> wasmtime::Result<()> {
    Library::add_to_linker::<T, wasmtime::component::HasSelf<Imports>>(linker, get)
}
