//! Consent receipts per second over HTTP: `fichier serve` (the real binary, durable
//! SQLite with group commit) in one process, this load generator in another, on
//! loopback. Each of `--connections` keep-alive connections posts receipts for its own
//! visitors as fast as answers come; every answer is sent only once its receipt is
//! durable. Reports throughput, latency percentiles, and the ratio to plain SQLite's
//! durable one-row commits measured in the same run on the same disk (same pragmas).
//!
//! `cargo bench -p fichier-host --bench http_receipts -- [--requests N] [--connections C] [--prefill V]`
//!
//! With `--prefill V`, the same measured run is repeated after V more banner visitors (one
//! receipt each, not timed) were stored, and the ratio of the two rates is printed: how the
//! receipts' rate holds as the store fills (issue 29: ≥ 0.95× with 1 000 000 visitors).

#[path = "support/conn.rs"]
mod conn;

use std::net::SocketAddr;

use conn::Conn;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
}

fn start_server(bin: &Path, dir: &Path) -> (Child, SocketAddr, String) {
    let db = dir.join("bench.db");
    let db = db.to_str().expect("a UTF-8 path");
    let out = Command::new(bin)
        .args(["--db", db, "--json", "api-key", "create", "--name", "bench", "--key-role", "admin"])
        .env("FICHIER_MASTER_KEY", KEY)
        .output()
        .expect("api-key create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let token = created[1].as_str().expect("token").to_owned();
    let mut serve = Command::new(bin);
    serve.args(["--db", db, "serve", "--addr", "127.0.0.1:0"]).env("FICHIER_MASTER_KEY", KEY);
    let (child, addr) = conn::serving(serve);
    (child, addr, token)
}

/// Plain SQLite: durable one-row commits per second for `for_how_long`, same pragmas
/// as fichier's files (WAL, synchronous FULL, 16 KiB pages).
fn raw_commits(path: &Path, for_how_long: Duration) -> f64 {
    let c = rusqlite::Connection::open(path).expect("open");
    c.pragma_update(None, "page_size", 16384).expect("pragma");
    c.pragma_update(None, "journal_mode", "WAL").expect("pragma");
    c.pragma_update(None, "synchronous", "FULL").expect("pragma");
    c.execute_batch("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL)")
        .expect("create");
    let value = vec![7u8; 600];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < for_how_long {
        c.execute("INSERT INTO kv VALUES (?1, ?2, ?3)", rusqlite::params![format!("receipt/{n}"), value, n as i64])
            .expect("insert");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let requests = arg("--requests", 20_000);
    let connections = arg("--connections", 32).max(1);
    let bin = Path::new(env!("CARGO_BIN_EXE_fichier"));
    let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").into()))
        .expect("tempdir");

    let baseline = raw_commits(&dir.path().join("raw.db"), Duration::from_secs(3));

    let (mut child, addr, token) = start_server(bin, dir.path());
    let mut c = Conn::open(addr);
    let (s, b) = c.post("/v1/purposes", &token, r#"{"id":"analytics","kind":"cookie","title":"Audience"}"#);
    assert_eq!(s, 200, "{b}");
    let (s, b) = c.post("/v1/notices", &token, r#"{"purposes":["analytics"],"lang":"fr","text":"Mesure d'audience."}"#);
    assert_eq!(s, 200, "{b}");
    let notice: serde_json::Value = serde_json::from_str(&b).expect("json");
    let notice = notice["reference"].as_str().expect("reference").to_owned();

    let per = requests / connections;
    let run = |label: &str, tag: &str| {
        let start = Instant::now();
        let workers: Vec<_> = (0..connections)
            .map(|t| {
                let (token, notice, tag) = (token.clone(), notice.clone(), tag.to_owned());
                std::thread::spawn(move || {
                    let mut c = Conn::open(addr);
                    let mut lat = Vec::with_capacity(per);
                    for i in 0..per {
                        let body = format!(
                            r#"{{"subject":{{"tag":"external","val":"{tag}-{t}-{i}"}},"purpose":"analytics","decision":"grant","given-by":"subject","channel":"cookie-banner","notice":"{notice}","gpc":false}}"#
                        );
                        let t0 = Instant::now();
                        let (status, b) = c.post("/v1/consent/receipts", &token, &body);
                        lat.push(t0.elapsed());
                        assert_eq!(status, 200, "{b}");
                    }
                    lat
                })
            })
            .collect();
        let mut lat: Vec<Duration> = workers.into_iter().flat_map(|w| w.join().expect("worker")).collect();
        let wall = start.elapsed();
        lat.sort();
        let rate = lat.len() as f64 / wall.as_secs_f64();
        println!(
            "{label}: {} receipts in {:.2} s over {connections} connections: {rate:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            lat.len(),
            wall.as_secs_f64(),
            percentile(&lat, 0.50).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        );
        rate
    };
    run("warm-up", "w");
    let rate = run("measured", "m");
    println!("plain SQLite, one durable row per commit: {baseline:.0} commits/s");
    println!("ratio: {:.2}x the one-row-per-commit baseline", rate / baseline);
    let prefill = arg("--prefill", 0);
    if prefill > 0 {
        let start = Instant::now();
        let batch = per.max(1) * connections;
        let mut stored = 0;
        let mut round = 0;
        while stored < prefill {
            run(&format!("prefill {round}"), &format!("p{round}"));
            stored += batch;
            round += 1;
            eprintln!("{stored} visitors stored ({:.0} s)", start.elapsed().as_secs_f64());
        }
        let full = run(&format!("measured with {stored} more visitors"), "f");
        println!(
            "with {stored} more visitors stored: {:.2}x the rate measured with {} visitors",
            full / rate,
            2 * batch
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
