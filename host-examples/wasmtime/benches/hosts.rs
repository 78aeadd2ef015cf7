//! The Rust host's side of the per-host comparison (issue 7, point 5), run by hand:
//! `cargo bench -p fichier-host --bench hosts`. The Node (`host-examples/node/bench/`) and
//! PHP (`host-examples/php/bench/`) benches measure the same things with the same
//! definitions, and `scripts/bench-hosts` prints the three side by side as ratios to this one.
//!
//! Definitions shared by the three: the built-in component; a pinned clock
//! (2026-03-01T10:00:00Z); a purpose `newsletter` (kind marketing) declared and a French
//! notice registered first; 200 warm-up then 2 000 timed iterations, median and mean.
//! - `open`: what a process pays before its first call: engine, the component loaded from
//!   the precompiled cache (warm) or compiled (cold, an empty cache directory), `InstancePre`.
//! - `instantiate`: a fresh instance, no call (on demand, as the CLI and the PHP library
//!   allocate; and pooled, as `fichier serve`).
//! - `list-purposes` / `record-decision`: `invoke` with JSON arguments — what every host's
//!   generic call does — with a fresh instance per call, on the in-memory store and on a
//!   SQLite file (one transaction per call, as the CLI).
//! - `http GET /v1/purposes`: the component's own HTTP handler, in-process (what the PHP
//!   library's in-process transport calls).
//!
//! Prints a table and one JSON line (`{"host":"rust",…}`, microseconds).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_host::kv::{KvBackend, MemoryKv, SqliteKv};
use fichier_host::runtime::LABELS;
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use http_body_util::{BodyExt, Empty};
use serde_json::{Value, json};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW: &str = "2026-03-01T10:00:00Z";
const WARM: usize = 200;
const N: usize = 2000;

#[derive(Clone, Copy)]
struct Stat {
    median: f64,
    mean: f64,
}

fn measure(label: &str, n: usize, mut f: impl FnMut(usize)) -> Stat {
    for i in 0..WARM.min(n) {
        f(i);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        f(WARM + i);
        times.push(start.elapsed());
    }
    let mean = times.iter().sum::<Duration>().as_secs_f64() * 1e6 / n as f64;
    times.sort();
    let median = times[n / 2].as_secs_f64() * 1e6;
    println!("{label:<58} {median:10.1} µs median {mean:10.1} µs mean");
    Stat { median, mean }
}

fn builder(kv: Arc<dyn KvBackend>, cache: Option<std::path::PathBuf>) -> RuntimeBuilder {
    RuntimeBuilder::new(kv)
        // The clock is pinned, so the public routes' per-minute limit would never turn over.
        .config(vec![("master_key".into(), KEY.into()), ("public_rate_per_minute".into(), "100000".into())])
        .clock(Clock::pinned(NOW).expect("clock"))
        .cache_dir(cache)
        .pooling(false)
}

fn cache() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm")
}

fn admin() -> Value {
    json!({"id": "bench", "role": "admin"})
}

fn ok(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Value {
    let r = rt.invoke_batched(iface, func, args).expect("call");
    assert!(r.get("ok").is_some(), "{iface}.{func}: {r}");
    r
}

fn setup(rt: &Runtime) -> String {
    ok(
        rt,
        "consent",
        "declare-purpose",
        &[admin(), json!({"id": "newsletter", "kind": "marketing", "title": "Lettre", "validity-months": null})],
    );
    let n = ok(
        rt,
        "consent",
        "register-notice",
        &[admin(), json!({"purposes": ["newsletter"], "lang": "fr", "text": "Texte."})],
    );
    n["ok"]["reference"].as_str().expect("reference").to_string()
}

fn grant(notice: &str, i: usize) -> Value {
    json!({"subject": {"tag": "external", "val": format!("c-{i}")}, "purpose": "newsletter", "decision": "grant",
           "given-by": "subject", "channel": "web-form", "notice": notice, "at": null, "receipt-id": null,
           "client-ip": null, "user-agent": null, "gpc": false, "age": null})
}

fn calls(rt: &Runtime, store: &str, out: &mut serde_json::Map<String, Value>) {
    let notice = setup(rt);
    let s = measure(&format!("invoke consent.list-purposes, fresh instance ({store})"), N, |_| {
        ok(rt, "consent", "list-purposes", &[admin()]);
    });
    out.insert(format!("list-purposes/{store}"), stat(s));
    let s = measure(&format!("invoke consent.record-decision, fresh instance ({store})"), N, |i| {
        ok(rt, "consent", "record-decision", &[admin(), grant(&notice, i)]);
    });
    out.insert(format!("record-decision/{store}"), stat(s));
}

fn stat(s: Stat) -> Value {
    json!({"median": (s.median * 10.0).round() / 10.0, "mean": (s.mean * 10.0).round() / 10.0})
}

fn main() {
    let mut out = serde_json::Map::new();
    println!("fichier Rust host (wasmtime), {WARM} warm-up + {N} iterations");

    // Opening: cold (empty cache: Cranelift compiles the component) once, warm (from the
    // precompiled cache) as a process that starts does.
    let cold_dir = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    drop(builder(Arc::new(MemoryKv::new(&LABELS)), Some(cold_dir.path().to_path_buf())).build().expect("runtime"));
    let cold = start.elapsed().as_secs_f64() * 1e6;
    println!("{:<58} {cold:10.0} µs", "open, cold (compiles the component)");
    out.insert("open-cold".into(), json!(cold.round()));
    let mut warm: Vec<f64> = (0..20)
        .map(|_| {
            let start = Instant::now();
            drop(builder(Arc::new(MemoryKv::new(&LABELS)), Some(cache())).build().expect("runtime"));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    warm.sort_by(f64::total_cmp);
    println!("{:<58} {:10.0} µs median of 20", "open, warm (precompiled cache)", warm[10]);
    out.insert("open-warm".into(), json!(warm[10].round()));

    let rt = builder(Arc::new(MemoryKv::new(&LABELS)), Some(cache())).build().expect("runtime");
    let s = measure("instantiate (on demand)", N, |_| drop(rt.instantiate().expect("instance")));
    out.insert("instantiate".into(), stat(s));
    let pooled = builder(Arc::new(MemoryKv::new(&LABELS)), Some(cache())).pooling(true).build().expect("runtime");
    let s = measure("instantiate (pooling allocator)", N, |_| drop(pooled.instantiate().expect("instance")));
    out.insert("instantiate-pooled".into(), stat(s));

    calls(&rt, "memory", &mut out);

    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = builder(Arc::new(SqliteKv::open(&dir.path().join("bench.db")).expect("sqlite")), Some(cache()))
        .build()
        .expect("runtime");
    calls(&sqlite, "sqlite", &mut out);

    // The HTTP handler in-process: a request in, the whole answer out.
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("tokio");
    let _inside = tokio.enter();
    let s = measure("http GET /v1/purposes, in-process handler (memory)", N, |_| {
        let req = hyper::Request::get("http://localhost/v1/purposes")
            .header("spin-client-addr", "127.0.0.1:1")
            .body(Empty::<hyper::body::Bytes>::new().map_err(|never| -> wasmtime_wasi_http::Error { match never {} }))
            .expect("request");
        let (tx, rx) = tokio::sync::oneshot::channel();
        rt.handle_http(req, tx).expect("handler");
        let resp = tokio.block_on(rx).expect("answered").expect("a response");
        let status = resp.status();
        let body = tokio.block_on(resp.into_body().collect()).expect("body").to_bytes();
        assert!(status == 200 && body.starts_with(b"["), "{status} {body:?}");
    });
    out.insert("http-get-purposes/memory".into(), stat(s));

    let mut line = serde_json::Map::new();
    line.insert("host".into(), json!("rust"));
    line.extend(out);
    println!("{}", Value::Object(line));
}
