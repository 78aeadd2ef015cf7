//! The stores a shop already runs, against the embedded SQLite file, in one run on one
//! machine: consent receipts per second over HTTP with one, two and three `fichier serve`
//! processes on one PostgreSQL (and one and two on MariaDB), the SQLite figure beside
//! them, and the import's rows per second on each. PostgreSQL and MariaDB are Debian's,
//! started here (private directory, loopback, their default durability: a flush per
//! commit). Round trips per receipt come from PostgreSQL's own count of transactions.
//!
//! `cargo bench -p fichier-host --bench stores -- [--receipts N] [--connections C] [--rows R]`

#[path = "support/conn.rs"]
mod conn;
#[path = "../tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Instant;

use conn::Conn;
use servers::{Engine, Server};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
}

fn fichier(dir: &Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fichier"));
    c.current_dir(dir).env("FICHIER_MASTER_KEY", KEY).args(["--db", db]);
    c
}

fn serve(dir: &Path, db: &str) -> (Child, SocketAddr) {
    let mut c = fichier(dir, db);
    c.args(["serve", "--addr", "127.0.0.1:0"]);
    conn::serving(c)
}

/// An admin key, the purpose and its notice, made through the CLI on `db`.
fn prepare(dir: &Path, db: &str) -> (String, String) {
    let out = fichier(dir, db)
        .args(["--json", "api-key", "create", "--name", "bench", "--key-role", "admin"])
        .output()
        .expect("api-key");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")[1].as_str().expect("token").to_owned();
    let out = fichier(dir, db)
        .args(["purpose", "add", "--id", "analytics", "--kind", "cookie", "--title", "Audience"])
        .output()
        .expect("purpose");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.join("notice.txt"), "Mesure d'audience.").expect("notice");
    let out = fichier(dir, db)
        .args(["--json", "notice", "add", "--purpose", "analytics", "--lang", "fr", "--file", "notice.txt"])
        .output()
        .expect("notice");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let notice = serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    (token, notice)
}

/// Receipts for new visitors, `connections` keep-alive connections spread over `addrs`;
/// receipts per second.
fn receipts(addrs: &[SocketAddr], token: &str, notice: &str, total: usize, connections: usize, tag: &str) -> f64 {
    let per = total / connections;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..connections {
            let addr = addrs[t % addrs.len()];
            s.spawn(move || {
                let mut c = Conn::open(addr);
                for i in 0..per {
                    let body = format!(
                        r#"{{"subject":{{"tag":"external","val":"{tag}-{t}-{i}"}},"purpose":"analytics","decision":"grant","given-by":"subject","channel":"cookie-banner","notice":"{notice}","gpc":false}}"#
                    );
                    let (status, b) = c.post("/v1/consent/receipts", token, &body);
                    assert_eq!(status, 200, "{b}");
                }
            });
        }
    });
    (per * connections) as f64 / start.elapsed().as_secs_f64()
}

/// CPU seconds (user + system) a process and its threads used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0 // USER_HZ
}

/// CPU seconds of every process of a user's whose command line contains `needle`.
fn cpu_of(needle: &str) -> f64 {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .map(cpu_seconds)
        .sum()
}

/// One store: `processes` servers on `db`, warmed up, then measured: receipts per second,
/// and the CPU milliseconds per receipt the `fichier serve` processes and the database
/// server's processes (PostgreSQL's backends) used.
fn run(dir: &Path, db: &str, processes: usize, total: usize, connections: usize) -> (f64, f64, f64) {
    let (token, notice) = prepare(dir, db);
    let servers: Vec<(Child, SocketAddr)> = (0..processes).map(|_| serve(dir, db)).collect();
    let addrs: Vec<SocketAddr> = servers.iter().map(|(_, a)| *a).collect();
    receipts(&addrs, &token, &notice, total / 5, connections, "w");
    let cpu = || servers.iter().map(|(c, _)| cpu_seconds(c.id())).sum::<f64>();
    let (before, db_before) = (cpu(), cpu_of("postgres:"));
    let rate = receipts(&addrs, &token, &notice, total, connections, "m");
    let per = (cpu() - before) * 1e3 / total as f64;
    let db_per = (cpu_of("postgres:") - db_before) * 1e3 / total as f64;
    for (mut child, _) in servers {
        let _ = child.kill();
        let _ = child.wait();
    }
    (rate, per, db_per)
}

/// Rows per second of `fichier import` of `rows` customers into `db`.
fn import(dir: &Path, db: &str, rows: usize) -> f64 {
    let out = fichier(dir, db)
        .args(["purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"])
        .output()
        .expect("purpose");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = dir.join("customers.csv");
    if !csv.exists() {
        let mut text = String::from("email,first_name,last_name,city,phone\n");
        for i in 0..rows {
            text.push_str(&format!("client{i}@example.org,Jean,Dupont,Lyon,06{i:08}\n"));
        }
        std::fs::write(&csv, text).expect("csv");
    }
    let start = Instant::now();
    let out =
        fichier(dir, db).args(["--json", "import", "customers.csv", "--purpose", "orders"]).output().expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    rows as f64 / start.elapsed().as_secs_f64()
}

/// PostgreSQL's committed transactions in `db` (each statement outside a batch is one).
fn pg_commits(server: &Server, db_url: &str) -> u64 {
    let name = db_url.rsplit('/').next().unwrap_or_default();
    let out = Command::new("psql")
        .args(["-X", "-At", "-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "fichier", "-d", name, "-c"])
        .arg(format!("SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'"))
        .output()
        .expect("psql");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total = arg("--receipts", 3000);
    let connections = arg("--connections", 12).max(1);
    let rows = arg("--rows", 20_000);
    let scratch =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").into()))
            .expect("tempdir");
    let dir = |name: &str| {
        let d = scratch.path().join(name);
        std::fs::create_dir_all(&d).expect("dir");
        d
    };
    println!("receipts for new visitors over HTTP, {total} measured, {connections} connections:");
    let (sqlite, cpu, _) = run(&dir("sqlite"), "shop.db", 1, total, connections);
    println!("  SQLite file, 1 process: {sqlite:.0}/s (1.00); fichier CPU {cpu:.2} ms/receipt");

    let mut pg = Server::start(Engine::Postgres);
    for processes in 1..=3 {
        let url = pg.database("");
        let (rate, cpu, pg_cpu) = run(&dir(&format!("pg{processes}")), &url, processes, total, connections);
        println!(
            "  PostgreSQL, {processes} process(es): {rate:.0}/s ({:.2}× SQLite); fichier CPU {cpu:.2} ms/receipt, PostgreSQL CPU {pg_cpu:.2} ms/receipt",
            rate / sqlite
        );
    }
    // PostgreSQL's committed transactions per receipt (a call's writes are one; a read
    // outside it is one), one receipt after another on one connection.
    let url = pg.database("");
    let d = dir("pg-trips");
    let (token, notice) = prepare(&d, &url);
    let (mut child, addr) = serve(&d, &url);
    receipts(&[addr], &token, &notice, 20, 1, "w");
    let _ = child.kill();
    let _ = child.wait();
    // A backend reports its counts when it exits: each count is taken with none running.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let before = pg_commits(&pg, &url);
    let (mut child, addr) = serve(&d, &url);
    let n = 200;
    receipts(&[addr], &token, &notice, n, 1, "t");
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let trips = (pg_commits(&pg, &url) - before) as f64 / n as f64;
    println!("  PostgreSQL transactions per receipt of a new visitor: {trips:.1}");

    let mut maria = Server::start(Engine::MariaDb);
    for processes in 1..=2 {
        let url = maria.database("");
        let (rate, cpu, _) = run(&dir(&format!("maria{processes}")), &url, processes, total, connections);
        println!(
            "  MariaDB, {processes} process(es): {rate:.0}/s ({:.2}× SQLite); fichier CPU {cpu:.2} ms/receipt",
            rate / sqlite
        );
    }

    println!("import of {rows} customers (fichier import, one transaction per chunk):");
    let d = dir("import");
    let sqlite = import(&d, "import.db", rows);
    println!("  SQLite file: {sqlite:.0} rows/s (1.00)");
    let url = pg.database("");
    let rate = import(&d, &url, rows);
    println!("  PostgreSQL: {rate:.0} rows/s ({:.2}× SQLite)", rate / sqlite);
    let url = maria.database("");
    let rate = import(&d, &url, rows);
    println!("  MariaDB: {rate:.0} rows/s ({:.2}× SQLite)", rate / sqlite);
}
