//! The component's host: `wasi:keyvalue` buckets as the domain's store, `wasi:clocks` as
//! its clock, `wasi:random` as its entropy, `wasi:config` for the master key and the
//! deployment's settings.

use fichier_domain::kernel::crypto::{Entropy, MasterKey};
use fichier_domain::{Error, Fichier};

use crate::bindings::wasi;
use crate::{kv, wit};

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
pub(crate) fn setting(key: &str) -> Option<String> {
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
pub(crate) fn run<T, U>(
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
