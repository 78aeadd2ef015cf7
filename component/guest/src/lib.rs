//! The fichier component. This crate only maps `fichier:client` WIT types to the
//! domain crate's and back, and lends the domain the component's imports:
//! `wasi:keyvalue` buckets as its store, `wasi:clocks` as its clock, `wasi:random` as
//! its entropy, `wasi:config` for the master key. No rule lives here.
//!
//! - `exports/`: one module per exported interface, its `Guest` impl and conversions;
//! - `http/`: the REST face (`wasi:http/incoming-handler`), calling the same functions;
//! - `json.rs`: the one JSON mapping of WIT values; `kv.rs`: the store over `wasi:keyvalue`;
//! - here: the bindings, the clock, randomness and configuration, and [`run`].

mod exports;
mod http;
mod json;
mod kv;

use bindings::exports::fichier::client::types as wit;
use bindings::wasi;
use fichier_domain::kernel::crypto::{Entropy, MasterKey};
use fichier_domain::{Error, Fichier};

#[allow(unsafe_code)] // the generated ABI glue is the only unsafe code of the component
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "service",
        generate_all,
        // One JSON mapping for every WIT value the HTTP face reads or writes (json.rs).
        additional_derives: [fichier_json_derive::Json],
        additional_derives_ignore: ["stream-error", "error-code", "dns-error-payload", "tls-alert-received-payload",
            "field-size-payload", "header-error", "request-options-error", "method", "scheme",
            "error", "cas-error", "key-response"],
    });
    use super::Component;
    export!(Component with_types_in self);
}

struct Component;

/// Randomness from the host (`wasi:random/random.get-random-bytes` through getrandom).
struct HostEntropy;

impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // No randomness means no safe nonce: stop this call (the host drops the
            // instance and reports a trap) rather than seal with a predictable one.
            std::process::abort();
        }
    }
}

fn now() -> fichier_domain::kernel::time::Instant {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let ms = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
    fichier_domain::kernel::time::from_unix_millis(ms).unwrap_or_default()
}

thread_local! {
    /// The master key, read from `wasi:config` on the instance's first call (a
    /// component's configuration does not change while it lives).
    static MASTER: std::cell::OnceCell<MasterKey> = const { std::cell::OnceCell::new() };
    /// The two buckets, opened on the instance's first call and kept for its later ones.
    static STORE: std::cell::OnceCell<kv::KvStore> = const { std::cell::OnceCell::new() };
}

fn master_key() -> Result<MasterKey, Error> {
    MASTER.with(|m| match m.get() {
        Some(k) => Ok(k.clone()),
        None => {
            let k = read_master_key()?;
            Ok(m.get_or_init(|| k).clone())
        }
    })
}

/// A deployment setting from `wasi:config` (a Spin variable, `fichier serve --settings`).
fn setting(key: &str) -> Option<String> {
    wasi::config::store::get(key).ok().flatten()
}

fn read_master_key() -> Result<MasterKey, Error> {
    match wasi::config::store::get("master_key") {
        Ok(Some(v)) => MasterKey::from_hex(&v),
        Ok(None) => Err(Error::config(
            "config:master_key",
            "present",
            "no master key is configured (wasi:config key master_key; FICHIER_MASTER_KEY for the fichier host)",
        )),
        Err(e) => Err(Error::config("config:master_key", "readable", format!("{e:?}"))),
    }
}

/// Run one operation with a fresh context over the host's store, clock and randomness.
fn run<T, U>(
    op: impl FnOnce(&mut Fichier<'_, kv::KvStore>) -> Result<T, Error>,
    map: impl FnOnce(T) -> U,
) -> Result<U, wit::Error> {
    let result = (|| {
        let master = master_key()?;
        STORE.with(|cell| {
            let store = match cell.get() {
                Some(s) => s,
                None => {
                    let opened = kv::KvStore::open()?;
                    cell.get_or_init(|| opened)
                }
            };
            let mut entropy = HostEntropy;
            let mut fichier = Fichier::new(store, &master, now(), &mut entropy);
            op(&mut fichier)
        })
    })();
    result.map(map).map_err(wit::Error::from)
}
