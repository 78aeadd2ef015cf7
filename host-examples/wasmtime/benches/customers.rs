//! Customer-file benchmarks (run by hand: `cargo bench -p fichier-host --bench customers`).
//!
//! 1. Import of 100 000 generated rows through the component into SQLite files, as
//!    `fichier import` does it (1 MiB chunks, one transaction per chunk, each chunk's
//!    instance allocated on demand): rows per second and the peak RSS of a process that
//!    does only that (the bench re-runs itself as a child, so the figure is not the
//!    parent's). Beside it, the raw cost of inserting the same rows into SQLite in one
//!    transaction, and the ratio.
//! 2. A minimisation check of one 9-field record: natively (the domain crate on an
//!    in-memory store), through the component with one instance for every call, and
//!    with a fresh instance per call (as served).
//! 3. The retention sweep over the imported file (the e-shop defaults of the register),
//!    pages of 500, each one SQLite transaction, as `fichier sweep` does: a dry run when nothing is due, a dry run ten
//!    years later when every record is due, and the sweep that then deletes them all.
//! 4. The access export (Art. 15, JSON) of one customer among the imported ones, a fresh
//!    instance per call as served, audit entry included: p50 and p99 over 500 customers
//!    (goal p50 ≤ 5 ms).
//! 5. `FICHIER_BENCH_PART=refused`: the `fichier import` command itself, as a shop runs it
//!    (`--report FILE`), on a WooCommerce-like file of 1 000 000 rows (`FICHIER_BENCH_ROWS`)
//!    whose every other row has a malformed e-mail and is refused: rows per second and the
//!    peak RSS of the command's process (goal ≤ 256 MB), as GNU time (`/usr/bin/time`,
//!    which this part needs) reads it from the kernel when the process ends.
//!
//! `FICHIER_BENCH_ROWS` changes the number of rows (default 100 000), `FICHIER_CHUNK` the
//! chunk size in bytes (default 1 MiB); `FICHIER_BENCH_PART=check` runs only the
//! component's check on one instance, for a profiler; `FICHIER_BENCH_PART=sweep` only the
//! imports and the sweep; `FICHIER_BENCH_PART=export` only the imports and the exports. With `FICHIER_PERFMAP=1` wasmtime writes
//! `/tmp/perf-<pid>.map`, so `perf record` names the component's functions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_domain::kernel::types as d;
use fichier_host::bindings::{
    consent as c, minimisation as m, registry as rg, retention as r, rights as rx, types as t,
};
use fichier_host::import::{self, ImportRequest};
use fichier_host::kv::{MemoryKv, SqliteKv};
use fichier_host::{Clock, Runtime, RuntimeBuilder};

#[path = "../../../component/domain/benches/support/sample_rows.rs"]
mod sample_rows;

const KEY: &str = "0707070707070707070707070707070707070707070707070707070707070707";
const NOW: &str = "2026-11-29T10:00:00Z";
const CHECKS: usize = 2_000;

fn rows() -> usize {
    std::env::var("FICHIER_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// The chunk size in bytes: `FICHIER_CHUNK`, or the CLI's default.
fn chunk() -> usize {
    std::env::var("FICHIER_CHUNK").ok().and_then(|v| v.parse().ok()).unwrap_or(import::DEFAULT_CHUNK)
}

fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm")
}

/// A runtime over `kv`: with the pooling allocator as `fichier serve` has it, or
/// allocating each instance on demand as the CLI does (`import`, `sweep`).
fn runtime(kv: Arc<dyn fichier_host::kv::KvBackend>, pooling: bool) -> Runtime {
    RuntimeBuilder::new(kv)
        .config(vec![("master_key".into(), KEY.into())])
        .clock(Clock::pinned(NOW).expect("clock"))
        .cache_dir(Some(cache()))
        .pooling(pooling)
        .build()
        .expect("runtime")
}

fn actor() -> t::Actor {
    t::Actor { id: "bench".into(), role: t::Role::Admin }
}

fn declare(rt: &Runtime) {
    rt.call(|lib, store| {
        lib.fichier_client_consent().call_declare_purpose(
            store,
            &actor(),
            &c::PurposeInput {
                id: "orders".into(),
                kind: c::PurposeKind::Service,
                title: "Commandes".into(),
                validity_months: None,
                serves: None,
            },
        )
    })
    .expect("call")
    .expect("declare");
}

/// A WooCommerce-like export with `n` customers (deterministic).
fn write_csv(path: &Path, n: usize) {
    std::fs::write(path, sample_rows::woocommerce_csv(n)).expect("csv");
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The child: import `csv` into a fresh store in `dir`; prints seconds and peak RSS.
fn child_import(csv: &Path, dir: &Path) {
    let kv = Arc::new(SqliteKv::open(&dir.join("bench.db")).expect("sqlite"));
    let rt = runtime(kv, false);
    declare(&rt);
    let req = ImportRequest {
        file: csv.to_path_buf(),
        mapping: None,
        encoding: None,
        delimiter: None,
        purposes: vec!["orders".into()],
        basis: None,
        source: None,
        chunk: chunk(),
        examples_per_rule: None,
    };
    let start = Instant::now();
    let report = import::run(&rt, &actor(), &req, &mut |_| {}).expect("import");
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.imported as usize + report.unchanged as usize, report.rows as usize, "{report:?}");
    println!("RESULT {secs} {} {}", report.rows, vm_hwm_kib());
}

/// The same rows inserted raw: one `INSERT` per CSV line, one transaction.
fn raw_sqlite(csv: &Path, dir: &Path) -> Duration {
    let text = std::fs::read_to_string(csv).expect("csv");
    let conn = rusqlite::Connection::open(dir.join("raw.db")).expect("raw");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "FULL").expect("sync");
    conn.execute_batch("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID").expect("table");
    let start = Instant::now();
    let tx = conn.unchecked_transaction().expect("tx");
    {
        let mut stmt = tx.prepare("INSERT INTO kv (key, value) VALUES (?1, ?2)").expect("stmt");
        for (i, line) in text.lines().skip(1).enumerate() {
            stmt.execute(rusqlite::params![format!("row/{i:08}"), line.as_bytes()]).expect("insert");
        }
    }
    tx.commit().expect("commit");
    start.elapsed()
}

fn native_checks() -> Duration {
    fichier_bench_guest::check(CHECKS)
}

fn wit_category(c: d::DataCategory) -> t::DataCategory {
    match c {
        d::DataCategory::Identity => t::DataCategory::Identity,
        d::DataCategory::Contact => t::DataCategory::Contact,
        d::DataCategory::PostalAddress => t::DataCategory::PostalAddress,
        d::DataCategory::Account => t::DataCategory::Account,
        _ => t::DataCategory::Other,
    }
}

fn component_checks(per_call_instance: bool, calls: usize) -> Duration {
    let rt = runtime(Arc::new(MemoryKv::new(&["default", "keys"])), true);
    declare(&rt);
    let fields: Vec<m::RecordField> = fichier_bench_guest::check_fields()
        .into_iter()
        .map(|(n, v, c)| m::RecordField {
            name: n.into(),
            value: v.into(),
            category: c.map(wit_category),
            purposes: vec!["orders".into()],
        })
        .collect();
    let check = |lib: &fichier_host::bindings::Library, store: &mut wasmtime::Store<_>| -> wasmtime::Result<()> {
        let r = lib
            .fichier_client_minimisation()
            .call_check_record(store, &actor(), &fields)?
            .map_err(|e| wasmtime::format_err!("{e:?}"))?;
        assert!(r.is_empty());
        Ok(())
    };
    // Warm the instance allocator and caches.
    rt.call(|lib, store| check(lib, store)).expect("warm");
    let start = Instant::now();
    if per_call_instance {
        for _ in 0..calls {
            rt.call(|lib, store| check(lib, store)).expect("call");
        }
    } else {
        rt.call(|lib, store| (0..calls).try_for_each(|_| check(lib, store))).expect("calls");
    }
    start.elapsed()
}

/// A call that never touches the minimisation tables, fresh instance per call: the
/// as-served floor, to tell the tables' first-use cost from instantiation.
fn policy_reads() -> Duration {
    let rt = runtime(Arc::new(MemoryKv::new(&["default", "keys"])), true);
    let read = |lib: &fichier_host::bindings::Library, store: &mut wasmtime::Store<_>| -> wasmtime::Result<()> {
        lib.fichier_client_settings().call_get_policy(store, &actor())?.map_err(|e| wasmtime::format_err!("{e:?}"))?;
        Ok(())
    };
    rt.call(|lib, store| read(lib, store)).expect("warm");
    let start = Instant::now();
    for _ in 0..CHECKS {
        rt.call(|lib, store| read(lib, store)).expect("call");
    }
    start.elapsed()
}

/// Sweep the whole file once, in pages of 500; returns the time, records read and
/// entries reported.
fn sweep_all(rt: &Runtime, apply: bool) -> (Duration, u64, u64) {
    let (mut cursor, mut scanned, mut entries) = (None, 0u64, 0u64);
    let start = Instant::now();
    loop {
        let options = r::SweepOptions { apply, cursor: cursor.take(), limit: 500, repermission_days: 30 };
        let page = rt
            .call_batched(|lib, store| lib.fichier_client_retention().call_sweep(store, &actor(), &options))
            .expect("call")
            .expect("sweep");
        scanned += u64::from(page.scanned);
        entries += page.entries.len() as u64;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    (start.elapsed(), scanned, entries)
}

/// The sweep over the file an import child left in `dir`.
fn sweeps(dir: &Path) {
    let kv = Arc::new(SqliteKv::open(&dir.join("bench.db")).expect("sqlite"));
    let rt = runtime(kv, false);
    rt.call(|lib, store| lib.fichier_client_registry().call_load_shop_defaults(store, &actor()))
        .expect("call")
        .expect("defaults");
    let line = |what: &str, (d, n, e): (Duration, u64, u64)| {
        let secs = d.as_secs_f64();
        println!("  {what:<34}: {:>8.0} records/s ({secs:.2} s, {n} records, {e} entries)", n as f64 / secs);
    };
    println!("retention sweep of the imported file (pages of 500, SQLite):");
    line("dry run, nothing due", sweep_all(&rt, false));
    rt.clock().set("2036-12-01T10:00:00Z").expect("clock");
    line("dry run ten years later, all due", sweep_all(&rt, false));
    line("sweep: every record deleted", sweep_all(&rt, true));
}

/// Access exports of 500 customers spread over the `n` imported into `dir`, one fresh
/// instance per call; prints p50 and p99.
fn exports(dir: &Path, n: usize) {
    let kv = Arc::new(SqliteKv::open(&dir.join("bench.db")).expect("sqlite"));
    let rt = runtime(kv, true);
    rt.call(|lib, store| lib.fichier_client_registry().call_load_shop_defaults(store, &actor()))
        .expect("call")
        .expect("defaults");
    let mut times = Vec::with_capacity(500);
    let mut bytes = 0usize;
    for k in 0..500usize {
        let i = (k * 7919 + 13) % n;
        let who = t::SubjectRef::Email(format!("client{i}@example.org"));
        let start = Instant::now();
        let e = rt
            .call(|lib, store| {
                lib.fichier_client_rights().call_export_data(
                    store,
                    &actor(),
                    &who,
                    rx::ExportScope::Access,
                    rg::ExportFormat::Json,
                    rg::Lang::Fr,
                )
            })
            .expect("call")
            .expect("export");
        times.push(start.elapsed());
        bytes += e.content.len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("access export (JSON) of one customer among {n}, instance per call, audited (500 customers):");
    println!(
        "  p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal p50 ≤ 5 ms); {} bytes per export on average",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1]),
        bytes / times.len()
    );
}

/// A WooCommerce-like export of `n` rows whose odd rows have an e-mail without `@`.
fn half_refused_csv(n: usize) -> String {
    let all = sample_rows::woocommerce_csv(n);
    let mut out = String::with_capacity(all.len() + n);
    for (i, line) in all.lines().enumerate() {
        // Line 0 is the header; row r is line r + 1.
        if i > 0 && i % 2 == 0 {
            out.push_str(&line.replacen("@example.org", "-at-example.org", 1));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Part 5: `fichier import` of a file half of whose rows are refused, the process's
/// peak RSS and rows per second.
fn refused_import(n: usize) {
    let tmp = tempfile::tempdir().expect("tmp");
    let csv = tmp.path().join("half-refused.csv");
    std::fs::write(&csv, half_refused_csv(n)).expect("csv");
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let fichier = |args: &[&str]| {
        let mut c = std::process::Command::new("/usr/bin/time");
        c.args(["-f", "RESULT %M %e"])
            .arg(env!("CARGO_BIN_EXE_fichier"))
            .arg("--db")
            .arg(tmp.path().join("bench.db"))
            .args(args)
            .env("FICHIER_MASTER_KEY", KEY)
            .env("FICHIER_PINNED_CLOCK", NOW)
            .env("FICHIER_CACHE_DIR", cache())
            .env_remove("FICHIER_DB")
            .stdout(std::process::Stdio::null());
        let out = c.output().expect("/usr/bin/time (GNU time) runs the command");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let line = stderr.lines().rev().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| panic!("{stderr}"));
        let parts: Vec<&str> = line.split_whitespace().collect();
        let kib: u64 = parts[1].parse().expect("kib");
        let secs: f64 = parts[2].parse().expect("secs");
        (out.status.code(), kib, secs, stderr)
    };
    // Declaring the purpose also compiles and caches the component.
    let (code, ..) = fichier(&["purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"]);
    assert_eq!(code, Some(0), "purpose add");
    let report = tmp.path().join("report.json");
    let csv_arg = csv.to_str().expect("utf-8 path");
    let report_arg = report.to_str().expect("utf-8 path");
    let (code, kib, secs, stderr) = fichier(&["import", csv_arg, "--purpose", "orders", "--report", report_arg]);
    let written = std::fs::metadata(&report).map(|m| m.len()).unwrap_or(0);
    println!(
        "`fichier import --report` of {n} rows, every other one refused ({:.1} MB CSV, default chunks):",
        size as f64 / 1e6
    );
    println!("  exit {code:?}; report {:.1} KB", written as f64 / 1e3);
    if code != Some(0) && code != Some(2) {
        println!("  {}", stderr.lines().filter(|l| !l.starts_with("RESULT ")).collect::<Vec<_>>().join("\n  "));
    }
    println!("  {:>9.0} rows/s ({secs:.2} s)", n as f64 / secs);
    println!("  peak RSS of the process: {:.1} MiB (goal ≤ 256 MB)", kib as f64 / 1024.0);
}

fn main() {
    if std::env::var("FICHIER_BENCH_PART").is_ok_and(|p| p == "refused") {
        refused_import(std::env::var("FICHIER_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000));
        return;
    }
    // `cargo bench` passes `--bench`; the child is marked by an environment variable.
    if let (Ok(csv), Ok(dir)) = (std::env::var("FICHIER_BENCH_CSV"), std::env::var("FICHIER_BENCH_DIR")) {
        child_import(Path::new(&csv), Path::new(&dir));
        return;
    }
    // Only the component's check, on one instance, for a profiler (`perf record`).
    if std::env::var("FICHIER_BENCH_PART").is_ok_and(|p| p == "check") {
        let d = component_checks(false, 100 * CHECKS);
        println!("component, one instance: {:.2} µs", d.as_secs_f64() * 1e6 / (100 * CHECKS) as f64);
        return;
    }
    let n = rows();
    let tmp = tempfile::tempdir().expect("tmp");
    let csv = tmp.path().join("customers.csv");
    write_csv(&csv, n);
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    println!(
        "import of {n} generated rows ({:.1} MB CSV), {} KiB chunks, SQLite files:",
        size as f64 / 1e6,
        chunk() / 1024
    );
    let exe = std::env::current_exe().expect("exe");
    let mut best: Option<(f64, u64)> = None;
    for round in 0..2 {
        let dir = tmp.path().join(format!("run{round}"));
        std::fs::create_dir_all(&dir).expect("dir");
        let out = std::process::Command::new(&exe)
            .env("FICHIER_BENCH_CSV", &csv)
            .env("FICHIER_BENCH_DIR", &dir)
            .output()
            .expect("child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| {
            panic!("child failed: {}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
        });
        let parts: Vec<&str> = line.split_whitespace().collect();
        let secs: f64 = parts[1].parse().expect("secs");
        let hwm: u64 = parts[3].parse().expect("hwm");
        if best.is_none_or(|(s, _)| secs < s) {
            best = Some((secs, hwm));
        }
    }
    let (secs, hwm) = best.expect("a run");
    if std::env::var("FICHIER_BENCH_PART").is_ok_and(|p| p == "sweep") {
        sweeps(&tmp.path().join("run0"));
        return;
    }
    if std::env::var("FICHIER_BENCH_PART").is_ok_and(|p| p == "export") {
        exports(&tmp.path().join("run1"), n);
        return;
    }
    let raw = (0..3).map(|i| {
        let dir = tmp.path().join(format!("raw{i}"));
        std::fs::create_dir_all(&dir).expect("dir");
        raw_sqlite(&csv, &dir)
    });
    let raw = raw.min().expect("raw").as_secs_f64();
    println!("  through the component : {:>9.0} rows/s ({secs:.2} s; goal ≥ 20 000 rows/s)", n as f64 / secs);
    println!("  peak RSS of the import process: {:.1} MiB (goal ≤ 256 MB)", hwm as f64 / 1024.0);
    println!("  raw SQLite inserts    : {:>9.0} rows/s ({raw:.3} s, one transaction)", n as f64 / raw);
    println!("  ratio import / raw    : {:.1}×", secs / raw);

    println!("minimisation check of one 9-field record ({CHECKS} calls, best of 5):");
    let best = |f: &dyn Fn() -> Duration| (0..5).map(|_| f()).min().expect("runs");
    let native = best(&native_checks);
    let one = best(&|| component_checks(false, CHECKS));
    let fresh = best(&|| component_checks(true, CHECKS));
    let us = |d: Duration| d.as_secs_f64() * 1e6 / CHECKS as f64;
    println!("  native                         : {:>7.2} µs", us(native));
    println!(
        "  component, one instance        : {:>7.2} µs ({:.2}× native; goal ≤ 1.3×)",
        us(one),
        us(one) / us(native)
    );
    println!("  component, instance per call   : {:>7.2} µs ({:.2}× native)", us(fresh), us(fresh) / us(native));
    let floor = best(&policy_reads);
    println!("  (settings.get-policy, instance per call: {:>7.2} µs)", us(floor));
    exports(&tmp.path().join("run1"), n);
    sweeps(&tmp.path().join("run0"));
}
