//! Shared helpers for the tests that run against the built component.

use std::path::PathBuf;
use std::sync::Arc;

use fichier_host::kv::{KvBackend, MemoryKv, SqliteKv};
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

/// A fixed master key for tests (never a real deployment's).
pub const TEST_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// The precompiled-component cache every test shares (one compilation per build).
pub fn cache_dir() -> PathBuf {
    // tests/ → the workspace's target directory.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fichier-cwasm")
}

/// A runtime over `kv` with a pinned clock.
pub fn runtime_with(kv: Arc<dyn KvBackend>, clock: Clock, key: &str) -> Runtime {
    RuntimeBuilder::new(kv)
        .config(vec![("master_key".into(), key.into())])
        .clock(clock)
        .cache_dir(Some(cache_dir()))
        .build()
        .expect("runtime")
}

pub fn memory_runtime(now: &str) -> Runtime {
    runtime_with(Arc::new(MemoryKv::new(&["default", "keys"])), Clock::pinned(now).expect("clock"), TEST_KEY)
}

pub fn sqlite_runtime(db: &std::path::Path, now: &str, key: &str) -> Runtime {
    runtime_with(Arc::new(SqliteKv::open(db).expect("sqlite")), Clock::pinned(now).expect("clock"), key)
}

pub fn admin() -> Value {
    json!({"id": "test-admin", "role": "admin"})
}

/// Call and expect `{"ok": …}`.
pub fn ok(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Value {
    let r = rt.invoke(iface, func, args).unwrap_or_else(|e| panic!("{iface}.{func}: {e}"));
    match r.get("ok") {
        Some(v) => v.clone(),
        None => panic!("{iface}.{func} failed: {r}"),
    }
}

/// Call and expect `{"err": …}`: the error value.
pub fn err(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Value {
    let r = rt.invoke(iface, func, args).unwrap_or_else(|e| panic!("{iface}.{func}: {e}"));
    match r.get("err") {
        Some(v) => v.clone(),
        None => panic!("{iface}.{func} unexpectedly succeeded: {r}"),
    }
}

/// Every row of both SQLite files behind `db` as (label, key, value), for before/after
/// comparisons and for inspecting what is stored.
pub fn dump(db: &std::path::Path) -> Vec<(String, String, Vec<u8>)> {
    let mut rows = Vec::new();
    for (label, path) in fichier_host::kv::store_files(db) {
        let conn = rusqlite::Connection::open(&path).expect("open");
        let mut stmt = conn.prepare("SELECT key, value FROM kv ORDER BY key").expect("prepare");
        let it = stmt
            .query_map([], |r| Ok((label.clone(), r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .expect("query");
        rows.extend(it.map(|r| r.expect("row")));
    }
    rows
}
pub mod http;
pub mod openapi;
