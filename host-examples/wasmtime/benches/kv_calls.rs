//! What the REST face's calls cost in key-value calls, and what that costs on a store
//! where every write is its own durable transaction (Spin's SQLite store; any store
//! without call-level commits), against one that commits a call at once (`fichier serve`'s
//! own stores).
//!
//! 1. **Reads and writes per operation**, counted by `CountingKv` under `fichier serve`'s
//!    server, in process, over memory (the figures `tests/tests/writes.rs` holds).
//! 2. **Receipts per second at one connection** on durable SQLite files: every write its
//!    own transaction (`CountingKv::per_write`, Spin-like) against the host's batch per
//!    call, with the writes per receipt that explain the ratio.
//!
//! `cargo bench -p fichier-host --bench kv_calls -- [--receipts N]`

#[path = "support/conn.rs"]
mod conn;

use std::net::SocketAddr;

use conn::Conn;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_host::kv::{CountingKv, KvBackend, KvCalls, MemoryKv, SqliteKv};
use fichier_host::runtime::LABELS;
use fichier_host::serve::{ServeOptions, serve};
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW: &str = "2026-12-01T10:00:00Z";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
}

/// `fichier serve`'s server over `kv`, in this process, on a free loopback port.
fn start(kv: Arc<dyn KvBackend>) -> (SocketAddr, Arc<Runtime>) {
    let rt = Arc::new(
        RuntimeBuilder::new(kv)
            // The clock is pinned: every receipt falls in one rate-limit window.
            .config(vec![("master_key".into(), KEY.into()), ("public_rate_per_minute".into(), "100000".into())])
            .clock(Clock::pinned(NOW).expect("clock"))
            .pooling(true)
            .deadline(Some(Duration::from_secs(30)))
            .build()
            .expect("runtime"),
    );
    let admin = json!({"id": "bench", "role": "admin"});
    let call = |f: &str, args: Vec<Value>| {
        let r = rt.invoke("consent", f, &args).expect("call");
        assert!(r.get("ok").is_some(), "{f}: {r}");
    };
    for (id, kind) in [("analytics", "cookie"), ("ads", "advertising")] {
        call("declare-purpose", vec![admin.clone(), json!({"id": id, "kind": kind, "title": id})]);
    }
    call(
        "register-notice",
        vec![admin, json!({"purposes": ["ads", "analytics"], "lang": "fr", "text": "Nous mesurons l'audience."})],
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let served = rt.clone();
    std::thread::spawn(move || {
        let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
        let opts = ServeOptions { addr: "127.0.0.1:0".parse().expect("addr"), ..ServeOptions::default() };
        tokio.block_on(serve(served, opts, move |a| tx.send(a).expect("addr"), std::future::pending())).expect("serve");
    });
    (rx.recv_timeout(Duration::from_secs(120)).expect("listening"), rt)
}

fn receipt(visitor: &str, purpose: &str) -> String {
    json!({
        "subject": {"tag": "external", "val": visitor}, "purpose": purpose, "decision": "grant",
        "given-by": "subject", "channel": "cookie-banner", "notice": "ads+analytics:fr:v1", "gpc": false
    })
    .to_string()
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn counts() {
    let kv = Arc::new(CountingKv::new(Arc::new(MemoryKv::new(&LABELS))));
    let (addr, _rt) = start(kv.clone());
    let mut c = Conn::open(addr);
    // The store's first seal (the master key's check value) out of the way.
    c.send("POST", "/v1/consent/receipts", &[JSON], &receipt("warm-up", "analytics"));
    let (_, banner) = c.send("GET", "/v1/banner?lang=fr", &[], "");
    let etag = {
        let raw = Conn::open(addr).raw(b"GET /v1/banner?lang=fr HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
        raw.lines()
            .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")).map(str::to_owned))
            .unwrap_or_default()
    };
    assert!(!banner.is_empty());
    type Op<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, &'a str)>, String);
    let ops: Vec<Op> = vec![
        ("banner configuration", "GET", "/v1/banner?lang=fr", vec![], String::new()),
        (
            "banner configuration, unchanged (304)",
            "GET",
            "/v1/banner?lang=fr",
            vec![("If-None-Match", &etag)],
            String::new(),
        ),
        ("public receipt, new visitor", "POST", "/v1/consent/receipts", vec![JSON], receipt("v-1", "analytics")),
        ("public receipt, same visitor", "POST", "/v1/consent/receipts", vec![JSON], receipt("v-1", "ads")),
        (
            "public status",
            "POST",
            "/v1/consent/status",
            vec![JSON],
            json!({"subject": {"tag": "external", "val": "v-1"}}).to_string(),
        ),
        (
            "notice for purposes",
            "POST",
            "/v1/notices/for",
            vec![JSON],
            json!({"purposes": ["analytics"], "lang": "fr"}).to_string(),
        ),
    ];
    println!("key-value calls per request (fichier serve's server, memory store)");
    println!("{:<40} {:>6} {:>6}", "operation", "reads", "writes");
    for (name, method, path, headers, body) in &ops {
        let before = kv.calls();
        let (status, _) = c.send(method, path, headers, body);
        let KvCalls { reads, writes } = kv.calls() - before;
        println!("{name:<40} {reads:>6} {writes:>6}   ({status})");
    }
}

/// Receipts for new visitors, one connection, `n` of them: per second, and the writes
/// each made.
fn receipts_per_second(kv: Arc<CountingKv>, n: usize) -> (f64, f64) {
    let (addr, _rt) = start(kv.clone());
    let mut c = Conn::open(addr);
    c.send("POST", "/v1/consent/receipts", &[JSON], &receipt("warm-up", "analytics"));
    let before = kv.calls();
    let started = Instant::now();
    for i in 0..n {
        let (status, body) = c.send("POST", "/v1/consent/receipts", &[JSON], &receipt(&format!("v-{i}"), "analytics"));
        assert_eq!(status, 200, "{body}");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = kv.calls() - before;
    (n as f64 / elapsed, calls.writes as f64 / n as f64)
}

fn main() {
    counts();
    let n = arg("--receipts", 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let per_call = Arc::new(CountingKv::new(Arc::new(SqliteKv::open(&dir.path().join("call.db")).expect("sqlite"))));
    let per_write =
        Arc::new(CountingKv::new(Arc::new(SqliteKv::open(&dir.path().join("write.db")).expect("sqlite"))).per_write());
    let (call_rate, call_writes) = receipts_per_second(per_call, n);
    let (write_rate, write_writes) = receipts_per_second(per_write, n);
    println!();
    println!("public receipts (new visitors), one connection, {n} each, durable SQLite files");
    println!("{:<48} {:>10} {:>16}", "store", "receipts/s", "writes/receipt");
    println!("{:<48} {call_rate:>10.0} {call_writes:>16.1}", "a batch per call (fichier serve, the CLI)");
    println!("{:<48} {write_rate:>10.0} {write_writes:>16.1}", "a transaction per write (Spin-like)");
    println!("ratio, per write / per call: {:.2}", write_rate / call_rate);
}
