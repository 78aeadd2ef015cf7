//! The runtime: one engine, the component compiled once (and cached precompiled),
//! one `InstancePre`, and a fresh instance per operation.
//!
//! Invariant: a trap never leaves a poisoned instance behind — each call gets its own
//! `Store` and instance, dropped when the call returns, trap or not. The store is
//! unchanged by a call that traps before its commit point (the component's design).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Instance, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::sync::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{Imports, Library, LibraryPre};
use crate::clock::Clock;
use crate::dynamic;
use crate::kv::KvBackend;

/// The component this host was built with (built by `fichier-artifact` from
/// `component/guest`).
pub const COMPONENT: &[u8] = fichier_artifact::COMPONENT;

/// The SHA-256 of [`COMPONENT`] (hex), computed when it was built.
pub const COMPONENT_SHA256: &str = fichier_artifact::COMPONENT_SHA256;

/// The labels Spin's `key_value_stores` declares for fichier.
pub const LABELS: [&str; 2] = ["default", "keys"];

/// What one call's `Store` holds.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoOutgoing,
    imports: Imports,
    /// With a deadline: keeps the epoch advancing while the store lives.
    _ticking: Option<Ticking>,
}

/// `wasi:http`'s defaults, and no outgoing requests: the component makes none (its
/// world does not import `wasi:http/outgoing-handler`), and this host could not send one.
struct NoOutgoing;

type OutgoingFuture = Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;
type OutgoingBody = http_body_util::combinators::UnsyncBoxBody<hyper::body::Bytes, wasmtime_wasi_http::Error>;

impl wasmtime_wasi_http::WasiHttpHooks for NoOutgoing {
    fn send_request(
        &mut self,
        _request: hyper::Request<OutgoingBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: OutgoingFuture,
    ) -> Box<
        dyn std::future::Future<
                Output = Result<(hyper::Response<OutgoingBody>, OutgoingFuture), wasmtime_wasi_http::Error>,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.imports.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.imports.table, hooks: &mut self.hooks }
    }
}

/// What the component's HTTP handler answers with (the body streams from the guest).
pub type HttpResponse = hyper::Response<HyperOutgoingBody>;
/// Where the component's HTTP handler puts its response.
pub type ResponseSender = tokio::sync::oneshot::Sender<Result<HttpResponse, ErrorCode>>;

/// Why a call did not produce the component's answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The component trapped (a bug in it, or exhausted resources): the instance was
    /// dropped; the next call gets a fresh one.
    #[error("the component trapped: {0:#}")]
    Trap(wasmtime::Error),
    /// The host could not instantiate the component.
    #[error("instantiation failed: {0:#}")]
    Instantiate(wasmtime::Error),
    /// The call named an export that does not exist or gave arguments of the wrong shape.
    #[error("bad call: {0}")]
    BadCall(String),
}

impl CallError {
    /// The call ran past the runtime's deadline ([`RuntimeBuilder::deadline`]) and was
    /// interrupted.
    pub fn is_deadline(&self) -> bool {
        matches!(self, CallError::Trap(e) if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt))
    }
}

/// How to build a [`Runtime`].
pub struct RuntimeBuilder {
    kv: Arc<dyn KvBackend>,
    config: Vec<(String, String)>,
    labels: Vec<String>,
    clock: Clock,
    cache_dir: Option<PathBuf>,
    pooling: bool,
    fuel: Option<u64>,
    deadline: Option<std::time::Duration>,
    component: Option<Vec<u8>>,
    shared: bool,
}

/// How often the epoch advances on a runtime with a deadline.
const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

impl RuntimeBuilder {
    pub fn new(kv: Arc<dyn KvBackend>) -> Self {
        Self {
            kv,
            config: Vec::new(),
            labels: LABELS.iter().map(|s| s.to_string()).collect(),
            clock: Clock::System,
            cache_dir: default_cache_dir(),
            pooling: true,
            fuel: None,
            deadline: None,
            component: None,
            shared: false,
        }
    }

    /// `wasi:config` entries (the master key as `master_key`, settings).
    pub fn config(mut self, entries: Vec<(String, String)>) -> Self {
        self.config = entries;
        self
    }

    /// Labels the deployment declares (default: `default`, `keys`). Opening any other
    /// label is `access-denied`, as on Spin.
    pub fn labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Where precompiled components are cached (`None`: compile every time).
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Use the pooling allocator (default) or allocate on demand.
    pub fn pooling(mut self, on: bool) -> Self {
        self.pooling = on;
        self
    }

    /// Give each call this much fuel (a bound on the work of one call); a call that
    /// runs out traps. `None` (default): unbounded, and no metering cost.
    pub fn fuel(mut self, fuel: Option<u64>) -> Self {
        self.fuel = fuel;
        self
    }

    /// Bound the run time of every call (epoch interruption, checked every 10 ms): a call
    /// still running after `limit` (give or take a tick: between `limit` and `limit` +
    /// 10 ms) traps, its writes rolled back. `None` (default): no
    /// bound and no checks compiled in.
    pub fn deadline(mut self, limit: Option<std::time::Duration>) -> Self {
        self.deadline = limit;
        self
    }

    /// Run another component than the built-in one (tests of the host itself).
    pub fn component(mut self, bytes: Vec<u8>) -> Self {
        self.component = Some(bytes);
        self
    }

    /// Share the engine, the compiled component and its `InstancePre` with every other
    /// runtime of this process built with `shared` and the same engine settings (pooling,
    /// fuel or not, a deadline or not) and cache directory. The first such build loads
    /// them; the later ones take them as they are, in microseconds instead of ~1 ms, and
    /// their calls find the pooling allocator's slots warm. For a process that opens a
    /// runtime per unit of work, as a PHP-FPM worker opens a handle per request. What is
    /// shared lives until the process ends (one engine per configuration and cache
    /// directory: a process that uses many cache directories keeps one for each); a child
    /// forked after it was loaded loads its own (a fork keeps no thread). Only for the built-in component: with
    /// [`RuntimeBuilder::component`] nothing is shared.
    pub fn shared(mut self, on: bool) -> Self {
        self.shared = on;
        self
    }

    pub fn build(self) -> wasmtime::Result<Runtime> {
        let settings =
            EngineSettings { pooling: self.pooling, fuel: self.fuel.is_some(), epochs: self.deadline.is_some() };
        let loaded = match (&self.component, self.shared) {
            (None, true) => shared_loaded(settings, self.cache_dir.as_deref())?,
            (component, _) => Arc::new(Loaded::load(settings, component.as_deref(), self.cache_dir.as_deref())?),
        };
        Ok(Runtime {
            loaded,
            // The store counts ticks from when it is made, and the first may come at once:
            // one tick more than the limit holds, so a call always gets at least `limit`
            // (and at most a tick more).
            deadline_ticks: self
                .deadline
                .map(|d| u64::try_from(d.as_millis().div_ceil(EPOCH_TICK.as_millis())).unwrap_or(u64::MAX / 2) + 1),
            deadline: self.deadline,
            kv: self.kv,
            labels: Arc::new(self.labels),
            config: Arc::new(self.config),
            clock: self.clock,
            fuel: std::sync::atomic::AtomicU64::new(self.fuel.unwrap_or(0)),
            metered: self.fuel.is_some(),
        })
    }
}

/// What makes two engines different: what the compiled code was compiled for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct EngineSettings {
    pooling: bool,
    fuel: bool,
    epochs: bool,
}

/// An engine and the component compiled for it, ready to instantiate: what runtimes can
/// share ([`RuntimeBuilder::shared`]).
struct Loaded {
    engine: Engine,
    component: Component,
    pre: InstancePre<HostState>,
    typed: Option<LibraryPre<HostState>>,
    proxy: Option<ProxyPre<HostState>>,
    /// With epoch interruption: what advances the epoch while calls run.
    ticker: Option<Ticker>,
}

impl Loaded {
    fn load(settings: EngineSettings, bytes: Option<&[u8]>, cache_dir: Option<&Path>) -> wasmtime::Result<Loaded> {
        let engine = engine(settings.pooling, settings.fuel, settings.epochs)?;
        let component = match bytes {
            Some(bytes) => load_component(&engine, bytes, None, cache_dir)?,
            None => load_component(&engine, COMPONENT, Some(COMPONENT_SHA256), cache_dir)?,
        };
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        crate::bindings::add_to_linker(&mut linker, |s: &mut HostState| &mut s.imports)?;
        let pre = linker.instantiate_pre(&component)?;
        let typed = LibraryPre::new(pre.clone()).ok();
        let proxy = ProxyPre::new(pre.clone()).ok();
        let ticker = if settings.epochs { Some(Ticker::start(&engine)?) } else { None };
        Ok(Loaded { engine, component, pre, typed, proxy, ticker })
    }
}

/// The process's shared engines ([`RuntimeBuilder::shared`]), with the process that
/// loaded them.
type SharedEntry = (u32, EngineSettings, Option<PathBuf>, Arc<Loaded>);
static SHARED: std::sync::Mutex<Vec<SharedEntry>> = std::sync::Mutex::new(Vec::new());

fn shared_loaded(settings: EngineSettings, cache_dir: Option<&Path>) -> wasmtime::Result<Arc<Loaded>> {
    let pid = std::process::id();
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Loaded by the parent of a fork: its ticker thread did not come along, and dropping
    // it could wait on threads that are not there. Leave it be.
    for stale in shared.extract_if(.., |(p, ..)| *p != pid) {
        std::mem::forget(stale);
    }
    if let Some((.., loaded)) = shared.iter().find(|(_, s, dir, _)| *s == settings && dir.as_deref() == cache_dir) {
        return Ok(loaded.clone());
    }
    let loaded = Arc::new(Loaded::load(settings, None, cache_dir)?);
    shared.push((pid, settings, cache_dir.map(Path::to_path_buf), loaded.clone()));
    Ok(loaded)
}

/// Advances an engine's epoch every [`EPOCH_TICK`] while at least one store with a
/// deadline lives (each holds a [`Ticking`]), and sleeps otherwise: an idle process
/// (a PHP-FPM worker between requests, an idle server) is not woken 100 times a second.
struct Ticker {
    shared: Arc<TickerShared>,
}

struct TickerShared {
    /// Stores alive that need the epoch to advance.
    active: std::sync::atomic::AtomicUsize,
    /// Set when the engine's runtimes are gone: the thread ends once no store needs it.
    stop: std::sync::atomic::AtomicBool,
    thread: std::sync::OnceLock<std::thread::Thread>,
}

/// Held by a store with a deadline: the epoch advances while it lives.
struct Ticking(Arc<TickerShared>);

impl Ticker {
    fn start(engine: &Engine) -> std::io::Result<Ticker> {
        use std::sync::atomic::Ordering::SeqCst;
        let shared =
            Arc::new(TickerShared { active: 0.into(), stop: false.into(), thread: std::sync::OnceLock::new() });
        let weak = engine.weak();
        let theirs = shared.clone();
        let handle = std::thread::Builder::new().name("fichier-epoch".into()).spawn(move || {
            loop {
                // Parked until a store needs ticks (an `unpark` before the `park` is kept,
                // so a store made meanwhile is not missed).
                while theirs.active.load(SeqCst) == 0 && !theirs.stop.load(SeqCst) {
                    std::thread::park();
                }
                // Stopped, it still ticks for the stores that outlive their runtime, and
                // ends with the last of them.
                if theirs.stop.load(SeqCst) && theirs.active.load(SeqCst) == 0 {
                    return;
                }
                let Some(engine) = weak.upgrade() else { return };
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
        let _ = shared.thread.set(handle.thread().clone());
        Ok(Ticker { shared })
    }

    fn ticking(&self) -> Ticking {
        if self.shared.active.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0
            && let Some(t) = self.shared.thread.get()
        {
            t.unpark();
        }
        Ticking(self.shared.clone())
    }
}

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.shared.thread.get() {
            t.unpark();
        }
    }
}

/// The engine configuration every `fichier` binary uses (and caches against).
fn engine(pooling: bool, fuel: bool, epochs: bool) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(fuel);
    config.epoch_interruption(epochs);
    // For profiling: wasmtime writes /tmp/perf-<pid>.map so `perf` can name JIT frames.
    if std::env::var_os("FICHIER_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(256)
            .total_core_instances(512)
            .total_memories(256)
            .total_tables(512)
            .max_memory_size(256 << 20)
            // A reused slot is reset in place rather than unmapped: the kernel's PAGEMAP_SCAN
            // (Linux 6.7+; `Auto` falls back elsewhere) finds the pages the last instance
            // wrote, and only those are restored (zeroed, or copied back from the
            // component's data), up to the whole initial memory (4 MiB), so the next
            // instance takes no page faults. Measured on the HTTP receipt in-process: 258 →
            // 190 µs per request, instantiation 39 → 17 µs, against memset of the first
            // MiB and madvise of the rest.
            .linear_memory_keep_resident(4 << 20)
            .pagemap_scan(wasmtime::Enabled::Auto)
            .table_keep_resident(64 << 10);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config)
}

fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("FICHIER_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("fichier"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/fichier"))
}

/// Compile the component, or load it precompiled from the cache. The cache key covers
/// the component's bytes (`sha256`, when known, is their digest) and the engine's
/// compatibility hash, so a new component or a different engine configuration never
/// loads a stale artifact.
fn load_component(
    engine: &Engine,
    bytes: &[u8],
    sha256: Option<&str>,
    cache_dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, bytes);
    };
    if dir.exists() && !trusted_cache_dir(dir) {
        // Someone else could have planted an artifact there: compile, do not load.
        return Component::new(engine, bytes);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = match sha256 {
        Some(d) => d[..32.min(d.len())].to_owned(),
        None => hex::encode(&Sha256::digest(bytes)[..16]),
    };
    let key = format!("{digest}-{:016x}", h.finish());
    let path = dir.join(format!("fichier-{key}.cwasm"));
    if path.exists() {
        // SAFETY: the file is one this host wrote (below) into its own private cache
        // directory under a name that commits to the component and the engine
        // configuration; `deserialize_file` also checks the engine compatibility header.
        // It is mapped, not copied: entries are written whole under a temporary name and
        // renamed, never rewritten in place, so a mapping never sees its file change.
        #[allow(unsafe_code)]
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let compiled = engine.precompile_component(bytes)?;
    if create_private_dir(dir).is_ok() {
        let tmp = dir.join(format!(".fichier-{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, &compiled).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    // SAFETY: `compiled` was produced just now by `precompile_component` on this engine.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    Ok(component)
}

/// A cache directory is trusted when only its owner can write to it and that owner is
/// this process's user: precompiled code loaded from it runs unchecked.
fn trusted_cache_dir(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else { return false };
        let owner_only = meta.mode() & 0o022 == 0;
        // /proc/self belongs to the process's effective user (Linux); elsewhere the mode check stands alone.
        let same_user = std::fs::metadata("/proc/self").map_or(true, |me| me.uid() == meta.uid());
        owner_only && same_user
    }
    #[cfg(not(unix))]
    {
        dir.is_dir()
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// A loaded component, ready to serve calls.
pub struct Runtime {
    loaded: Arc<Loaded>,
    /// Epoch ticks a call may run (with [`RuntimeBuilder::deadline`]).
    deadline_ticks: Option<u64>,
    deadline: Option<std::time::Duration>,
    kv: Arc<dyn KvBackend>,
    labels: Arc<Vec<String>>,
    config: Arc<Vec<(String, String)>>,
    clock: Clock,
    fuel: std::sync::atomic::AtomicU64,
    metered: bool,
}

impl Runtime {
    /// Change the fuel of later calls (only on a runtime built with [`RuntimeBuilder::fuel`]).
    pub fn set_fuel(&self, fuel: u64) {
        self.fuel.store(fuel, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn engine(&self) -> &Engine {
        &self.loaded.engine
    }

    pub fn component(&self) -> &Component {
        &self.loaded.component
    }

    /// The bound on a call's run time ([`RuntimeBuilder::deadline`]).
    pub fn deadline(&self) -> Option<std::time::Duration> {
        self.deadline
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn kv(&self) -> &Arc<dyn KvBackend> {
        &self.kv
    }

    /// A fresh store for one call.
    pub fn new_store(&self) -> Store<HostState> {
        let wasi = WasiCtxBuilder::new().wall_clock(self.clock.wall()).build();
        let imports = Imports {
            kv: self.kv.clone(),
            allowed_labels: self.labels.clone(),
            config: self.config.clone(),
            table: ResourceTable::new(),
        };
        let ticking = self.loaded.ticker.as_ref().map(Ticker::ticking);
        let mut store = Store::new(
            &self.loaded.engine,
            HostState { wasi, http: WasiHttpCtx::new(), hooks: NoOutgoing, imports, _ticking: ticking },
        );
        if let Some(ticks) = self.deadline_ticks {
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }
        if self.metered {
            // Only fails on an engine without fuel, which `metered` rules out.
            let _ = store.set_fuel(self.fuel.load(std::sync::atomic::Ordering::SeqCst));
        }
        store
    }

    /// Instantiate only (for measuring instantiation).
    pub fn instantiate(&self) -> wasmtime::Result<(Store<HostState>, Instance)> {
        let mut store = self.new_store();
        let instance = self.loaded.pre.instantiate(&mut store)?;
        Ok((store, instance))
    }

    /// Run `f` against a fresh instance through the typed bindings.
    pub fn call<R>(
        &self,
        f: impl FnOnce(&Library, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let typed = self
            .loaded
            .typed
            .as_ref()
            .ok_or_else(|| CallError::BadCall("the component is not a fichier library".into()))?;
        let mut store = self.new_store();
        let lib = typed.instantiate(&mut store).map_err(CallError::Instantiate)?;
        f(&lib, &mut store).map_err(CallError::Trap)
    }

    /// Whether the store commits concurrent calls in groups ([`KvBackend::grouped`]):
    /// then calls may run concurrently.
    pub fn grouped(&self) -> bool {
        self.kv.grouped()
    }

    /// Run `call` with its writes in one batch of the key-value backend
    /// ([`KvBackend::begin`]): committed when `keep` accepts its outcome, rolled back
    /// otherwise and when the call traps or the host fails. On a grouped backend
    /// ([`KvBackend::grouped`]): returns once the call's writes are durable.
    fn batched<T>(
        &self,
        call: impl FnOnce() -> Result<T, CallError>,
        keep: impl FnOnce(&T) -> bool,
    ) -> Result<T, CallError> {
        if self.kv.grouped() {
            // Group commit: no batch; the call's writes are durable (with those of the
            // calls finishing meanwhile) before it returns. A call that traps keeps what
            // it wrote, as after a crash: the component's commit points keep the store
            // consistent.
            self.kv.enter();
            let out = call();
            return match self.kv.durable() {
                Ok(()) => out,
                Err(e) => Err(CallError::BadCall(format!("committing: {e}"))),
            };
        }
        self.kv.begin().map_err(|e| CallError::BadCall(format!("opening a batch: {e}")))?;
        match call() {
            Ok(v) if keep(&v) => {
                if let Err(e) = self.kv.commit() {
                    self.kv.rollback();
                    return Err(CallError::BadCall(format!("committing the batch: {e}")));
                }
                Ok(v)
            }
            other => {
                self.kv.rollback();
                other
            }
        }
    }

    /// Like [`Runtime::call`], with every write of the call in one batch: committed when
    /// the call returns `Ok(Ok(_))`, rolled back otherwise (an error or a trap leaves the
    /// store as it was).
    pub fn call_batched<R, E>(
        &self,
        f: impl FnOnce(&Library, &mut Store<HostState>) -> wasmtime::Result<Result<R, E>>,
    ) -> Result<Result<R, E>, CallError> {
        self.batched(|| self.call(f), |r| r.is_ok())
    }

    /// Like [`Runtime::invoke`], with every write of the call in one batch, committed
    /// when the call returns and rolled back when it traps or the host fails. So a change
    /// and its audit entry commit together, and a page of the retention sweep is one
    /// durable commit instead of one per record. A call that returns an error commits
    /// what it wrote: nothing, for a refused input, or what it chose to keep (a wrong
    /// identity token counts a try).
    pub fn invoke_batched(&self, interface: &str, function: &str, args: &[Value]) -> Result<Value, CallError> {
        self.batched(|| self.invoke(interface, function, args), |_| true)
    }

    /// Serve one HTTP request with a fresh instance's `wasi:http/incoming-handler`, its
    /// writes in one batch (committed when the handler returns, rolled back when it
    /// traps), or on a grouped backend durable when this returns. The response goes to `respond` as soon as the component sets it; its body
    /// streams while the handler writes it. Must run inside a Tokio runtime (the request
    /// body is read from it).
    pub fn handle_http<B>(&self, request: hyper::Request<B>, respond: ResponseSender) -> Result<(), CallError>
    where
        B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let proxy = self
            .loaded
            .proxy
            .as_ref()
            .ok_or_else(|| CallError::BadCall("the component does not export wasi:http/incoming-handler".into()))?;
        self.batched(
            || {
                let mut store = self.new_store();
                let req = store
                    .data_mut()
                    .http()
                    .new_incoming_request(Scheme::Http, request)
                    .map_err(|e| CallError::BadCall(format!("{e:#}")))?;
                let out = store
                    .data_mut()
                    .http()
                    .new_response_outparam(respond)
                    .map_err(|e| CallError::BadCall(format!("{e:#}")))?;
                let instance = proxy.instantiate(&mut store).map_err(CallError::Instantiate)?;
                instance.wasi_http_incoming_handler().call_handle(&mut store, req, out).map_err(CallError::Trap)
            },
            |_| true,
        )
    }

    /// Call `<interface>.<function>` (e.g. `consent`, `status`) with JSON arguments in
    /// parameter order; returns the JSON of the function's result. A WIT `result`
    /// comes back as `{"ok": …}` or `{"err": …}`.
    pub fn invoke(&self, interface: &str, function: &str, args: &[Value]) -> Result<Value, CallError> {
        let mut store = self.new_store();
        let instance = self.loaded.pre.instantiate(&mut store).map_err(CallError::Instantiate)?;
        let iface_name = format!("fichier:client/{interface}@0.1.0");
        let iface = instance
            .get_export_index(&mut store, None, &iface_name)
            .ok_or_else(|| CallError::BadCall(format!("no export {iface_name}")))?;
        let idx = instance
            .get_export_index(&mut store, Some(&iface), function)
            .ok_or_else(|| CallError::BadCall(format!("no function {function} in {iface_name}")))?;
        let func = instance
            .get_func(&mut store, idx)
            .ok_or_else(|| CallError::BadCall(format!("{interface}.{function} is not a function")))?;
        let ty = func.ty(&store);
        let params: Vec<(String, wasmtime::component::Type)> = ty.params().map(|(n, t)| (n.to_string(), t)).collect();
        if params.len() != args.len() {
            return Err(CallError::BadCall(format!(
                "{interface}.{function} takes {} arguments ({}), got {}",
                params.len(),
                params.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                args.len()
            )));
        }
        let vals = params
            .iter()
            .zip(args)
            .map(|((name, t), a)| dynamic::to_val(name, t, a))
            .collect::<Result<Vec<Val>, _>>()
            .map_err(|e| CallError::BadCall(e.to_string()))?;
        let mut results = vec![Val::Bool(false); ty.results().len()];
        func.call(&mut store, &vals, &mut results).map_err(CallError::Trap)?;
        Ok(match results.len() {
            0 => Value::Null,
            1 => results.pop().map_or(Value::Null, dynamic::from_val),
            _ => Value::Array(results.into_iter().map(dynamic::from_val).collect()),
        })
    }
}

/// Names of every import and export of a component, as `(name, is_import)`.
pub fn component_interfaces(engine: &Engine, component: &Component) -> (Vec<String>, Vec<String>) {
    let ty = component.component_type();
    let imports = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let exports = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    (imports, exports)
}

/// Turn an error JSON from the component into a readable line.
pub fn describe_error(err: &Value) -> String {
    let tag = err.get("tag").and_then(Value::as_str).unwrap_or("error");
    match err.get("val") {
        Some(Value::Object(f)) => format!(
            "{tag}: {} [{}]: {}",
            f.get("field").and_then(Value::as_str).unwrap_or("?"),
            f.get("rule").and_then(Value::as_str).unwrap_or("?"),
            f.get("message").and_then(Value::as_str).unwrap_or("")
        ),
        Some(Value::String(s)) => format!("{tag}: {s}"),
        _ => tag.to_string(),
    }
}
