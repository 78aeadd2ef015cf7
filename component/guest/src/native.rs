//! The component's REST face natively, in-process: never in the component (its build is
//! `wasm32` only). A [`Deployment`] lends the exported functions what the component's
//! host lends them there (`host.rs`) — the store (a [`MemoryStore`]), the master key, the
//! clock (fixed), randomness (seeded, so a run replays) and the deployment's settings —
//! and [`Deployment::handle`] answers a request through the same reading, routing and
//! replies as `wasi:http/incoming-handler` (`http/`). The fuzz target `rest_face` drives
//! it (`fichier-fuzz-targets`), without wasmtime.

use std::cell::RefCell;
use std::marker::PhantomData;

use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::time::Instant;
use fichier_domain::{Error, Fichier};

use crate::wit;

/// What the thread's deployment holds.
struct State {
    /// The [`Deployment`] that installed it.
    id: u64,
    store: MemoryStore,
    master: MasterKey,
    now: Instant,
    entropy: SeededEntropy,
    settings: Vec<(String, String)>,
}

thread_local! {
    /// The deployment installed on this thread, if any.
    static CURRENT: RefCell<Option<State>> = const { RefCell::new(None) };
    /// The last deployment's id.
    static INSTALLED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A deployment on this thread: a new, empty in-memory store behind the REST face, until
/// it is dropped. One at a time per thread: a new one replaces the last.
pub struct Deployment {
    id: u64,
    /// Tied to the thread it was installed on.
    _thread: PhantomData<*const ()>,
}

/// A response: its status, headers (as the component writes them) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Deployment {
    /// `settings` are what `wasi:config` would give (`bootstrap_admin_sha256`,
    /// `public_rate_per_minute`, `shop_origins`, `demo`, …); `seed` seeds the randomness.
    pub fn new(master: MasterKey, now: Instant, seed: u64, settings: Vec<(String, String)>) -> Self {
        let id = INSTALLED.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        let state = State { id, store: MemoryStore::new(), master, now, entropy: SeededEntropy::new(seed), settings };
        CURRENT.with(|c| *c.borrow_mut() = Some(state));
        Deployment { id, _thread: PhantomData }
    }

    /// Answer one request: `method` as sent (`GET`, `POST`, … ; any other is the
    /// component's `OTHER`), `target` the path and query, `headers` as sent (`Host` is the
    /// authority), `body` whole.
    pub fn handle(&self, method: &str, target: &str, headers: Vec<(String, Vec<u8>)>, body: Vec<u8>) -> Response {
        crate::http::answer(method, target, headers, body)
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        // Not a later deployment's state.
        CURRENT.with(|c| {
            let mut current = c.borrow_mut();
            if current.as_ref().is_some_and(|s| s.id == self.id) {
                *current = None;
            }
        });
    }
}

/// A setting of the thread's deployment.
pub(crate) fn setting(key: &str) -> Option<String> {
    CURRENT.with(|c| c.borrow().as_ref()?.settings.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
}

/// Run one operation with a fresh context over the thread's deployment, as the
/// component's `run` does over its host's.
pub(crate) fn run<T, U>(
    op: impl FnOnce(&mut Fichier<'_, MemoryStore>) -> Result<T, Error>,
    map: impl FnOnce(T) -> U,
) -> Result<U, wit::Error> {
    let result = CURRENT.with(|c| {
        let mut current = c
            .try_borrow_mut()
            .map_err(|_| Error::config("native", "one-call", "a call inside a call of the native deployment"))?;
        let Some(State { store, master, now, entropy, .. }) = current.as_mut() else {
            return Err(Error::config("native", "deployment", "no native deployment on this thread (Deployment::new)"));
        };
        let mut fichier = Fichier::new(store, master, *now, entropy);
        op(&mut fichier)
    });
    result.map(map).map_err(wit::Error::from)
}
