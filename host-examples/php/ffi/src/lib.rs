//! # fichier-php
//!
//! The fichier component in-process for PHP (or any C caller): a small C ABI over the Rust
//! host library (`fichier-host`), declared in `../fichier.h`, loaded by PHP's `FFI::cdef`.
//!
//! - `fichier_open` builds a [`Runtime`] from a JSON configuration (the store: a SQLite
//!   file, `:memory:`, or the tables of a MariaDB/MySQL or PostgreSQL database the shop
//!   already runs, [`SqlKv`] in its shared mode, one pool per process; the master
//!   key, `wasi:config` settings, the clock, the compiled-component cache), on the engine and
//!   compiled component this process shares between its handles
//!   ([`RuntimeBuilder::shared`]), with the process's one-worker Tokio runtime for the HTTP
//!   handler.
//! - `fichier_http` gives one request to the component's own `wasi:http/incoming-handler`
//!   ([`Runtime::handle_http`], a fresh instance, its writes committed when it returns):
//!   bytes in, bytes out, with the client address and body limit `fichier serve` applies.
//! - `fichier_invoke` makes a library-world call as the CLI does ([`Runtime::invoke_batched`]).
//!
//! Every exported function catches panics, checks its pointers and UTF-8, and reports a
//! failure as data: a JSON object `{"field", "rule", "message"}` in an out-parameter.

// The C ABI needs raw pointers, `no_mangle` exports and `Box::from_raw`: unsafe code is
// confined to this crate's exported functions and the helpers that read their arguments.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use fichier_host::kv::{ErasureJournal, JournalingKv, KvBackend, MemoryKv, SqlKv, SqlUrl, SqliteKv, is_url};
use fichier_host::runtime::{CallError, LABELS, ResponseSender};
use fichier_host::serve::{self, CLIENT_ADDR};
use fichier_host::{Clock, Runtime, RuntimeBuilder, master};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::{Map, Value, json};

/// The ABI version `fichier.h` describes.
pub const ABI_VERSION: u32 = 1;

/// The largest request body `fichier_http` accepts by default, as `fichier serve`.
pub const DEFAULT_MAX_BODY: usize = 4 << 20;

/// An open handle: the component, and the Tokio runtime its HTTP handler runs in.
pub struct Handle {
    rt: Runtime,
    // A multi-thread runtime with one worker, not a current-thread one: the handler runs on
    // the caller's thread (wasmtime's sync bindings block on this runtime's handle), while
    // the response body it streams must be drained concurrently, by a task on the worker;
    // a current-thread runtime runs no task while the handler blocks.
    // One per process, shared by its handles (`io_runtime`).
    tokio: Arc<tokio::runtime::Runtime>,
    max_body: usize,
}

/// A response as `fichier.h` declares it.
#[repr(C)]
pub struct FichierResponse {
    pub status: u16,
    pub headers_json: *mut c_char,
    pub body: *mut c_char,
    pub body_len: usize,
}

/// A refused input or a failure, reported to the caller as JSON.
#[derive(Debug)]
struct AbiError {
    field: String,
    rule: &'static str,
    message: String,
}

fn fail(field: &str, rule: &'static str, message: impl Into<String>) -> AbiError {
    AbiError { field: field.to_owned(), rule, message: message.into() }
}

impl AbiError {
    fn to_json(&self) -> String {
        json!({"field": self.field, "rule": self.rule, "message": self.message}).to_string()
    }
}

/// A string for the caller (freed with `fichier_string_free`). JSON never holds a NUL byte;
/// any other text is cut at its first NUL rather than refused.
fn to_c(s: String) -> *mut c_char {
    let c = CString::new(s).unwrap_or_else(|e| {
        let at = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(at);
        CString::new(bytes).unwrap_or_default()
    });
    c.into_raw()
}

/// Run `f`, catching a panic; an error goes to `*error` (when `error` is not null).
fn guarded<T>(error: *mut *mut c_char, f: impl FnOnce() -> Result<T, AbiError>) -> Option<T> {
    let out = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(fail("", "panic", "the library panicked; the call had no effect it could report")));
    match out {
        Ok(v) => Some(v),
        Err(e) => {
            if !error.is_null() {
                // SAFETY: `error` is not null and, by the ABI's contract, points to a
                // writable `char *`.
                unsafe { *error = to_c(e.to_json()) };
            }
            None
        }
    }
}

/// A required UTF-8 string argument.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that outlives the call.
unsafe fn text<'a>(p: *const c_char, field: &str) -> Result<&'a str, AbiError> {
    if p.is_null() {
        return Err(fail(field, "required", format!("{field} is required (a NULL pointer was passed)")));
    }
    // SAFETY: not null, and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|_| fail(field, "utf-8", format!("{field} must be UTF-8")))
}

/// An optional UTF-8 string argument (NULL: none).
///
/// # Safety
/// As [`text`].
unsafe fn opt_text<'a>(p: *const c_char, field: &str) -> Result<Option<&'a str>, AbiError> {
    if p.is_null() { Ok(None) } else { unsafe { text(p, field) }.map(Some) }
}

const CONFIG_KEYS: [&str; 10] =
    ["db", "keys_db", "master_key", "key_file", "settings", "clock", "cache_dir", "pooling", "max_body", "timeout_ms"];

/// A call's run time unless the configuration says otherwise (`timeout_ms`), as
/// `fichier serve`'s default `--timeout`: a PHP worker is never held by a runaway call.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

fn config_str<'a>(cfg: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, AbiError> {
    match cfg.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(fail(key, "type", format!("{key} must be a non-empty string"))),
    }
}

/// The handle a JSON configuration describes (see `fichier.h`).
fn open(config_json: &str) -> Result<Handle, AbiError> {
    let cfg: Value =
        serde_json::from_str(config_json).map_err(|e| fail("config", "json", format!("config is not JSON: {e}")))?;
    let Value::Object(cfg) = cfg else {
        return Err(fail("config", "object", "config must be a JSON object"));
    };
    if let Some(k) = cfg.keys().find(|k| !CONFIG_KEYS.contains(&k.as_str())) {
        return Err(fail(
            k,
            "unknown-key",
            format!("unknown configuration key {k} (known: {})", CONFIG_KEYS.join(", ")),
        ));
    }
    let db = config_str(&cfg, "db")?.ok_or_else(|| {
        fail("db", "required", "db is required: a path, \":memory:\", or a mysql:// or postgres:// URL")
    })?;
    let memory = db == ":memory:";
    // A database server: its URL read now, so a malformed one is refused before anything
    // else is done (and messages show it with its password hidden).
    let server = if is_url(db) { Some(SqlUrl::parse(db).map_err(|e| fail("db", "url", e.to_string()))?) } else { None };
    let keys_db = match config_str(&cfg, "keys_db")? {
        None => None,
        Some(_) if server.is_none() => {
            return Err(fail(
                "keys_db",
                "server-db",
                "keys_db puts the keys in a database server of their own: db must name a server too (a SQLite db keeps its keys in <stem>.keys.db)",
            ));
        }
        Some(k) if is_url(k) => {
            SqlUrl::parse(k).map_err(|e| fail("keys_db", "url", e.to_string().replacen("db:", "keys_db:", 1)))?;
            Some(k)
        }
        Some(_) => return Err(fail("keys_db", "url", "keys_db must be a mysql:// or postgres:// URL")),
    };

    let master_key = match config_str(&cfg, "master_key")? {
        Some(k) if master::valid_hex_key(k) => k.to_owned(),
        Some(_) => {
            return Err(fail("master_key", "hex-256", "master_key must be 64 hexadecimal characters (256 bits)"));
        }
        None => {
            let key_file = match config_str(&cfg, "key_file")? {
                Some(f) => Some(PathBuf::from(f)),
                // The key never lives in the database: no key file beside a server.
                None if memory || server.is_some() => None,
                None => Some(master::default_key_file(Path::new(db))),
            };
            match key_file {
                // FICHIER_MASTER_KEY first, then the key file (created if absent), as the CLI.
                Some(f) => {
                    master::resolve_master_key(&f).map_err(|e| fail("master_key", "resolvable", format!("{e:#}")))?
                }
                None => match master::master_key_from_env() {
                    Ok(Some(k)) => k,
                    Err(e) => return Err(fail("master_key", "hex-256", format!("{e:#}"))),
                    Ok(None) => {
                        let store = if memory { "a :memory: store" } else { "a database server (which holds no key)" };
                        return Err(fail(
                            "master_key",
                            "required",
                            format!("{store} needs master_key (or FICHIER_MASTER_KEY, or key_file)"),
                        ));
                    }
                },
            }
        }
    };

    let mut settings: Vec<(String, String)> = Vec::new();
    match cfg.get("settings") {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let field = format!("settings.{k}");
                if k.is_empty() {
                    return Err(fail("settings", "name", "a setting's name must not be empty"));
                }
                if k == "master_key" {
                    return Err(fail(
                        &field,
                        "secret",
                        "the master key is a secret: give it as master_key, not a setting",
                    ));
                }
                let Value::String(s) = v else {
                    return Err(fail(&field, "type", format!("setting {k} must be a string")));
                };
                settings.push((k.clone(), s.clone()));
            }
        }
        Some(_) => return Err(fail("settings", "type", "settings must be an object of strings")),
    }
    settings.sort();
    settings.push(("master_key".into(), master_key));

    let clock = match config_str(&cfg, "clock")? {
        Some(t) => {
            Clock::pinned(t).map_err(|e| fail("clock", "rfc3339", format!("clock must be an RFC 3339 instant: {e}")))?
        }
        None => Clock::System,
    };
    let pooling = match cfg.get("pooling") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(fail("pooling", "type", "pooling must be true or false")),
    };
    let max_body = match cfg.get("max_body") {
        None => DEFAULT_MAX_BODY,
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| fail("max_body", "type", "max_body must be a number of bytes (an integer >= 0)"))?,
    };

    // Absent: the default; null: no bound; else 1 ms to 1 hour (a call is stopped between
    // that and 10 ms more: the epoch ticks every 10 ms).
    let timeout = match cfg.get("timeout_ms") {
        None => Some(DEFAULT_TIMEOUT_MS),
        Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| (1..=3_600_000).contains(n)).ok_or_else(|| {
            fail("timeout_ms", "range", "timeout_ms must be a number of milliseconds from 1 to 3600000, or null")
        })?),
    };
    let kv: Arc<dyn KvBackend> = if memory {
        Arc::new(MemoryKv::new(&LABELS))
    } else if let Some(url) = &server {
        server_store(db, keys_db).map_err(|e| fail("db", "openable", format!("opening {}: {e}", url.shown())))?
    } else {
        // Erasures are journaled beside the files, as by the CLI (`fichier restore` replays them).
        let files = SqliteKv::open(Path::new(db)).map_err(|e| fail("db", "openable", format!("opening {db}: {e}")))?;
        Arc::new(JournalingKv::new(Arc::new(files), ErasureJournal::beside(Path::new(db)), clock.clone()))
    };
    // The engine and the compiled component are the process's: a PHP-FPM worker loads them
    // at its first request and every later handle takes them as they are (the library is
    // linked `-z nodelete`, so PHP's FFI unloading it at the end of a request keeps them).
    let mut builder = RuntimeBuilder::new(kv)
        .config(settings)
        .clock(clock)
        .pooling(pooling)
        .shared(true)
        .deadline(timeout.map(std::time::Duration::from_millis));
    match cfg.get("cache_dir") {
        // Absent: the CLI's cache (RuntimeBuilder's default).
        None => {}
        Some(Value::Null) => builder = builder.cache_dir(None),
        Some(Value::String(d)) if !d.is_empty() => builder = builder.cache_dir(Some(PathBuf::from(d))),
        Some(_) => return Err(fail("cache_dir", "type", "cache_dir must be a directory path or null")),
    }
    let rt = builder.build().map_err(|e| fail("", "load", format!("loading the component: {e:#}")))?;
    Ok(Handle { rt, tokio: io_runtime()?, max_body })
}

/// The database servers this process's handles use: (process, data URL, keys URL, store).
type Servers = Vec<(u32, String, Option<String>, Arc<SqlKv>)>;
static SERVERS: Mutex<Servers> = Mutex::new(Vec::new());

/// The store on a database server: one [`SqlKv`] per process and pair of URLs, shared by
/// every handle the process opens (a PHP-FPM worker opens one per request: its pool's
/// connections and the tables' creation are done once), in its shared mode (every write
/// its own transaction, calls concurrent: PHP workers of one site, and other sites on the
/// same database, write at once). A child forked after that connects anew: the parent's
/// client thread did not come along.
fn server_store(db: &str, keys: Option<&str>) -> Result<Arc<dyn KvBackend>, fichier_host::kv::KvError> {
    let pid = std::process::id();
    let mut servers = SERVERS.lock().unwrap_or_else(PoisonError::into_inner);
    if servers.iter().any(|(p, ..)| *p != pid) {
        // Forgotten, not dropped: dropping would stop a runtime whose thread is not ours.
        for stale in servers.extract_if(.., |(p, ..)| *p != pid) {
            std::mem::forget(stale);
        }
    }
    if let Some((.., kv)) = servers.iter().find(|(_, d, k, _)| d == db && k.as_deref() == keys) {
        return Ok(kv.clone());
    }
    let kv = Arc::new(SqlKv::connect(db, keys)?.shared());
    servers.push((pid, db.to_owned(), keys.map(str::to_owned), kv.clone()));
    Ok(kv)
}

/// The I/O runtime of this process's handles, and the process that started it.
static IO: Mutex<Option<(u32, Arc<tokio::runtime::Runtime>)>> = Mutex::new(None);

/// The process's I/O runtime, started by its first handle. A child forked after that
/// starts its own: the parent's worker thread did not come along (and dropping that
/// runtime would wait for it).
fn io_runtime() -> Result<Arc<tokio::runtime::Runtime>, AbiError> {
    let pid = std::process::id();
    let mut io = IO.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((p, rt)) = io.as_ref()
        && *p == pid
    {
        return Ok(rt.clone());
    }
    if let Some(stale) = io.take() {
        std::mem::forget(stale);
    }
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fichier-php-io")
            .build()
            .map_err(|e| fail("", "tokio", format!("starting the I/O runtime: {e}")))?,
    );
    *io = Some((pid, rt.clone()));
    Ok(rt)
}

impl Handle {
    /// The call's bound in milliseconds, for messages.
    fn bound_ms(&self) -> u128 {
        self.rt.deadline().map_or(0, |d| d.as_millis())
    }
}

/// A response built by the library itself (the component never ran), as `fichier serve`'s.
fn problem(status: StatusCode, kind: &str, field: &str, rule: &str, detail: &str) -> Answer {
    let headers = vec![("content-type".to_owned(), "application/problem+json".to_owned())];
    (status.as_u16(), headers, serve::problem_body(status, kind, field, rule, detail))
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

impl Handle {
    fn http(
        &self,
        method: &str,
        path: &str,
        headers_json: Option<&str>,
        client_addr: Option<&str>,
        body: &[u8],
    ) -> Result<Answer, AbiError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| fail("method", "token", "method must be an HTTP token"))?;
        if !path.starts_with('/') {
            return Err(fail("path", "request-target", "path must start with /"));
        }
        let uri: hyper::Uri = path
            .parse()
            .map_err(|e| fail("path", "request-target", format!("path is not a valid request target: {e}")))?;
        let sized = !body.is_empty() || matches!(method, Method::POST | Method::PUT | Method::PATCH);
        // The answer to HEAD has GET's headers and no body: the component writes the body
        // (wasi:http holds a response to its `content-length`), the transport sends none,
        // as hyper does under `fichier serve` (RFC 9110 §9.3.2).
        let head = method == Method::HEAD;
        let mut req = Request::builder().method(method).uri(uri);
        let pairs: Vec<(String, String)> = match headers_json {
            None => Vec::new(),
            Some(j) => serde_json::from_str(j).map_err(|e| {
                fail("headers", "json-pairs", format!("headers must be a JSON array of [name, value]: {e}"))
            })?,
        };
        let mut has_host = false;
        {
            let Some(h) = req.headers_mut() else {
                return Err(fail("path", "request-target", "the request could not be built"));
            };
            for (name, value) in &pairs {
                let n = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| fail("headers", "token", format!("{name:?} is not a header name")))?;
                let v = HeaderValue::from_str(value).map_err(|_| {
                    fail(&format!("headers.{name}"), "header-value", "a header value is visible ASCII or tabs")
                })?;
                // The client address is the host's to set; the body's length is the body's.
                if n == CLIENT_ADDR || n == CONTENT_LENGTH {
                    continue;
                }
                has_host |= n == HOST;
                h.append(n, v);
            }
            if !has_host {
                h.insert(HOST, HeaderValue::from_static("localhost"));
            }
            if sized {
                h.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
            }
            if let Some(a) = client_addr {
                let v = HeaderValue::from_str(a).map_err(|_| {
                    fail("client_addr", "ip", "client_addr must be an IP address, optionally with a port")
                })?;
                h.insert(CLIENT_ADDR, v);
            }
        }
        if body.len() > self.max_body {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "body",
                "max-bytes",
                &serve::too_large_detail(self.max_body),
            ));
        }
        let body = Full::new(Bytes::copy_from_slice(body));
        let request = req.body(body).map_err(|e| fail("headers", "request", format!("{e}")))?;

        let (tx, rx): (ResponseSender, _) = tokio::sync::oneshot::channel();
        // Drains the response body while the handler writes it.
        let collector = self.tokio.spawn(async move {
            match rx.await {
                Ok(Ok(resp)) => {
                    let (parts, body) = resp.into_parts();
                    let bytes = body.collect().await.map_err(|e| format!("the component's answer broke off: {e:?}"))?;
                    Ok((parts, bytes.to_bytes()))
                }
                Ok(Err(code)) => Err(format!("the component answered with an error: {code:?}")),
                Err(_) => Err("the component set no response".to_owned()),
            }
        });
        let handled = {
            let _in_tokio = self.tokio.enter();
            self.rt.handle_http(request, tx)
        };
        let collected = self.tokio.block_on(collector);
        let served = match (handled, collected) {
            (Ok(()), Ok(Ok(r))) => Ok(r),
            // As `fichier serve` answers a request past its deadline.
            (Err(e), _) if e.is_deadline() => {
                let ms = self.bound_ms();
                return Ok(problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "",
                    "deadline",
                    &format!("no answer within {ms} ms"),
                ));
            }
            (Err(CallError::Trap(e)), _) => Err(format!("the component trapped: {e:#}")),
            (Err(e), _) => Err(e.to_string()),
            (Ok(()), Ok(Err(why))) => Err(why),
            (Ok(()), Err(e)) => Err(format!("the response's reader failed: {e}")),
        };
        match served {
            Ok((parts, bytes)) => {
                let headers = parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                Ok((parts.status.as_u16(), headers, if head { Vec::new() } else { bytes.to_vec() }))
            }
            // As `fichier serve`: the reason is the operator's (stderr), not the client's.
            Err(why) => {
                eprintln!("fichier-php: {why}");
                Ok(problem(StatusCode::INTERNAL_SERVER_ERROR, "other", "", "", "the request could not be served"))
            }
        }
    }

    fn invoke(&self, interface: &str, function: &str, args_json: &str) -> Result<String, AbiError> {
        let args: Value = serde_json::from_str(args_json)
            .map_err(|e| fail("args", "json", format!("args must be a JSON array of the arguments: {e}")))?;
        let Value::Array(args) = args else {
            return Err(fail("args", "json-array", "args must be a JSON array of the arguments, in order"));
        };
        let out = self.rt.invoke_batched(interface, function, &args).map_err(|e| match e {
            e if e.is_deadline() => fail(
                "",
                "deadline",
                format!("the call ran past {} ms and was stopped; it wrote nothing", self.bound_ms()),
            ),
            CallError::BadCall(m) => fail("args", "bad-call", m),
            CallError::Trap(e) => fail("", "trap", format!("the component trapped: {e:#}")),
            CallError::Instantiate(e) => fail("", "instantiate", format!("instantiation failed: {e:#}")),
        })?;
        Ok(out.to_string())
    }
}

/// The ABI version this library speaks.
#[unsafe(no_mangle)]
pub extern "C" fn fichier_abi_version() -> u32 {
    ABI_VERSION
}

/// Open a handle; NULL and `*error` set on failure.
///
/// # Safety
/// `config_json` is null or a NUL-terminated string; `error` is null or points to a
/// writable `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_open(config_json: *const c_char, error: *mut *mut c_char) -> *mut Handle {
    guarded(error, || {
        // SAFETY: the caller's contract above.
        let cfg = unsafe { text(config_json, "config") }?;
        open(cfg).map(|h| Box::into_raw(Box::new(h)))
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Close a handle (NULL: no-op).
///
/// # Safety
/// `handle` is null or a handle from `fichier_open` not closed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_close(handle: *mut Handle) {
    if handle.is_null() {
        return;
    }
    // SAFETY: a live handle from `fichier_open`, closed once.
    let h = unsafe { Box::from_raw(handle) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(h)));
}

/// # Safety
/// `handle` is null or a live handle.
unsafe fn live<'a>(handle: *const Handle) -> Result<&'a Handle, AbiError> {
    // SAFETY: null or live, by the caller's contract.
    unsafe { handle.as_ref() }.ok_or_else(|| fail("handle", "required", "handle is required (NULL was passed)"))
}

/// One request to the component's HTTP handler; NULL and `*error` set on failure.
///
/// # Safety
/// `handle` is null or live; the strings are null or NUL-terminated; `body` is null or
/// points to `body_len` readable bytes; `error` is null or points to a writable `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_http(
    handle: *mut Handle,
    method: *const c_char,
    path: *const c_char,
    headers_json: *const c_char,
    client_addr: *const c_char,
    body: *const c_char,
    body_len: usize,
    error: *mut *mut c_char,
) -> *mut FichierResponse {
    guarded(error, || {
        // SAFETY: the caller's contract above, for every pointer.
        let (h, method, path, headers, addr) = unsafe {
            (
                live(handle)?,
                text(method, "method")?,
                text(path, "path")?,
                opt_text(headers_json, "headers")?,
                opt_text(client_addr, "client_addr")?,
            )
        };
        let body: &[u8] = match (body.is_null(), body_len) {
            (_, 0) => &[],
            (true, _) => return Err(fail("body", "required", "body is NULL but body_len is not 0")),
            // SAFETY: `body` points to `body_len` readable bytes, by the caller's contract.
            (false, n) => unsafe { std::slice::from_raw_parts(body.cast::<u8>(), n) },
        };
        let (status, headers, bytes) = h.http(method, path, headers, addr, body)?;
        let headers_json = to_c(serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into()));
        let body_len = bytes.len();
        let body =
            if body_len == 0 { std::ptr::null_mut() } else { Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>() };
        Ok(Box::into_raw(Box::new(FichierResponse { status, headers_json, body, body_len })))
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Free a response (NULL: no-op).
///
/// # Safety
/// `response` is null or a response from `fichier_http` not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_response_free(response: *mut FichierResponse) {
    if response.is_null() {
        return;
    }
    // SAFETY: made by `fichier_http` with `Box::into_raw`, freed once; its parts likewise.
    unsafe {
        let r = Box::from_raw(response);
        fichier_string_free(r.headers_json);
        if !r.body.is_null() {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(r.body.cast::<u8>(), r.body_len)));
        }
    }
}

/// A library-world call; the result's JSON, or NULL and `*error` set.
///
/// # Safety
/// `handle` is null or live; the strings are null or NUL-terminated; `error` is null or
/// points to a writable `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_invoke(
    handle: *mut Handle,
    interface: *const c_char,
    function: *const c_char,
    args_json: *const c_char,
    error: *mut *mut c_char,
) -> *mut c_char {
    guarded(error, || {
        // SAFETY: the caller's contract above.
        let (h, i, f, a) = unsafe {
            (live(handle)?, text(interface, "interface")?, text(function, "function")?, text(args_json, "args")?)
        };
        h.invoke(i, f, a).map(to_c)
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Move the handle's pinned clock; 1 on success, 0 and `*error` set on failure.
///
/// # Safety
/// `handle` is null or live; `rfc3339` is null or NUL-terminated; `error` is null or points
/// to a writable `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_set_clock(
    handle: *mut Handle,
    rfc3339: *const c_char,
    error: *mut *mut c_char,
) -> i32 {
    guarded(error, || {
        // SAFETY: the caller's contract above.
        let (h, t) = unsafe { (live(handle)?, text(rfc3339, "clock")?) };
        if matches!(h.rt.clock(), Clock::System) {
            return Err(fail("clock", "pinned", "this handle reads the system clock: open it with a clock to move it"));
        }
        h.rt.clock().set(t).map_err(|e| fail("clock", "rfc3339", format!("clock must be an RFC 3339 instant: {e}")))
    })
    .map_or(0, |()| 1)
}

/// Free a string the library returned (NULL: no-op).
///
/// # Safety
/// `s` is null or a string from this library not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fichier_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: made by `CString::into_raw` in this library, freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

#[cfg(test)]
mod tests;
