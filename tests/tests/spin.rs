//! The Spin deployment (`host-examples/spin/`): the manifest runs the very component this
//! build makes, with the stores and the variable the component uses. The Spin CLI cannot
//! be installed here; `imports.rs` checks the component's imports against what Spin
//! provides, and `fichier serve` applies Spin's store rules (`runtime.rs`).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use fichier_host::Clock;
use fichier_host::kv::{KvBackend, KvError, MemoryKv, Versioned};
use fichier_host::runtime::{COMPONENT, LABELS};
use fichier_tests::http::{Server, problem, request};
use fichier_tests::{TEST_KEY, admin, runtime_with};
use toml::Value;

fn spin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-examples/spin")
}

fn read(name: &str) -> Value {
    let text = std::fs::read_to_string(spin_dir().join(name)).unwrap();
    text.parse::<toml::Table>().map(Value::Table).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_manifest_runs_this_build_of_the_component() {
    let m = read("spin.toml");
    assert_eq!(m["spin_manifest_version"].as_integer(), Some(2));
    let triggers = m["trigger"]["http"].as_array().unwrap();
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0]["route"].as_str(), Some("/..."));
    assert_eq!(triggers[0]["component"].as_str(), Some("fichier"));

    let c = &m["component"]["fichier"];
    // The source is the file fichier-artifact's build script writes, byte for byte what
    // the host embeds.
    let source = spin_dir().join(c["source"].as_str().unwrap());
    let built = std::fs::read(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    assert!(built == COMPONENT, "{} is not the component this build embeds", source.display());
    // The build command makes it.
    let build = &c["build"];
    assert!(build["command"].as_str().unwrap().contains("-p fichier-artifact"));
    assert_eq!(
        spin_dir().join(build["workdir"].as_str().unwrap()).canonicalize().unwrap(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
    );

    // The stores are the labels the component opens; nothing else is declared.
    let stores: Vec<&str> = c["key_value_stores"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(stores, LABELS);
    assert_eq!(c["allowed_outbound_hosts"].as_array().map(Vec::len), Some(0));

    // The master key: an application variable, required and secret, given to the
    // component under the wasi:config key the component reads.
    let var = &m["variables"]["master_key"];
    assert_eq!(var["required"].as_bool(), Some(true));
    assert_eq!(var["secret"].as_bool(), Some(true));
    assert_eq!(c["variables"]["master_key"].as_str(), Some("{{ master_key }}"));
    // The first admin's token, as its SHA-256: optional (empty: none), secret.
    let var = &m["variables"]["bootstrap_admin_sha256"];
    assert_eq!((var["default"].as_str(), var["secret"].as_bool()), (Some(""), Some(true)));
    assert_eq!(c["variables"]["bootstrap_admin_sha256"].as_str(), Some("{{ bootstrap_admin_sha256 }}"));
}

/// The shop-app's manifest has Spin compose it with this build of fichier when it loads
/// them (`[component.shop.dependencies]`), fichier inheriting the shop component's stores
/// and master key; no `wac` step is needed.
#[test]
fn the_shop_app_manifest_composes_with_this_build_of_fichier() {
    let dir = spin_dir().join("shop-app");
    let m = read("shop-app/spin.toml");
    let c = &m["component"]["shop"];
    assert!(
        c["source"].as_str().unwrap().ends_with("target/shop-app/wasm32-wasip2/release/fichier_shop_app.wasm"),
        "the shop-app's own build: {}",
        c["source"]
    );
    assert_eq!(c["dependencies_inherit_configuration"].as_bool(), Some(true));
    let deps = c["dependencies"].as_table().unwrap();
    assert_eq!(deps.keys().collect::<Vec<_>>(), ["fichier:client@0.1.0"]);
    let fichier = dir.join(deps["fichier:client@0.1.0"]["path"].as_str().unwrap());
    let built = std::fs::read(&fichier).unwrap_or_else(|e| panic!("{}: {e}", fichier.display()));
    assert!(built == COMPONENT, "{} is not the component this build embeds", fichier.display());
    let stores: Vec<&str> = c["key_value_stores"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(stores, LABELS);
    assert_eq!(c["variables"]["master_key"].as_str(), Some("{{ master_key }}"));
    let build: Vec<&str> = c["build"]["command"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(build[0].contains("-p fichier-artifact") && build[1].contains("--target wasm32-wasip2"), "{build:?}");
    assert!(!build.iter().any(|b| b.contains("wac ")), "{build:?}");
}

#[test]
fn both_runtime_configs_back_every_store() {
    for (file, kind) in [("runtime-config.sqlite.toml", "spin"), ("runtime-config.redis.toml", "redis")] {
        let rc = read(file);
        let stores = rc["key_value_store"].as_table().unwrap();
        let mut labels: Vec<&str> = stores.keys().map(String::as_str).collect();
        labels.sort_unstable();
        assert_eq!(labels, LABELS, "{file}");
        for (label, s) in stores {
            assert_eq!(s["type"].as_str(), Some(kind), "{file} {label}");
        }
        // The keys never share a file or a database with the data they open.
        let place = |l: &str| stores[l].get("path").or_else(|| stores[l].get("url")).and_then(Value::as_str).unwrap();
        assert_ne!(place("default"), place("keys"), "{file}");
    }
}

/// A store that does what Spin's Redis store does (v3.0.0 to v4.0.2,
/// `host-examples/spin/upstream/README.md`): every compare-and-swap writes its value, then
/// reports that it failed.
struct RedisLike {
    inner: MemoryKv,
    swaps: AtomicU32,
}

impl KvBackend for RedisLike {
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }
    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        self.inner.get(label, key)
    }
    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.inner.set(label, key, value)
    }
    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.inner.delete(label, key)
    }
    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        self.inner.list_after(label, cursor)
    }
    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        self.swaps.fetch_add(1, Ordering::SeqCst);
        self.inner.swap_if(label, key, seen, value)?;
        Ok(false)
    }
    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.inner.increment(label, key, delta)
    }
}

/// On such a store a public call is a 503 naming the store at its third swap, not 64
/// retries answered 409.
#[test]
fn a_store_whose_swaps_fail_after_writing_is_a_503_naming_it() {
    let kv = Arc::new(RedisLike { inner: MemoryKv::new(&LABELS), swaps: AtomicU32::new(0) });
    let rt = runtime_with(kv.clone(), Clock::pinned("2026-12-01T09:00:00Z").unwrap(), TEST_KEY);
    // An idempotent change is done at the first try and found done at the second.
    let purpose = serde_json::json!({"id": "newsletter", "kind": "marketing", "title": "Lettre"});
    let r = rt.invoke("consent", "declare-purpose", &[admin(), purpose]).unwrap();
    assert!(r.get("ok").is_some(), "{r}");
    // A count is not: the public's rate-limit counter is refused at its third swap.
    let s = Server::serving(Arc::new(rt));
    let before = kv.swaps.load(Ordering::SeqCst);
    let body = br#"{"subject":{"tag":"external","val":"b-1"}}"#;
    let r = request(s.addr, "POST", "/v1/consent/status", &[("Content-Type", "application/json")], body);
    assert_eq!(problem(&r), (503, "store:default".into(), "compare-and-swap".into()));
    assert_eq!(kv.swaps.load(Ordering::SeqCst) - before, 3);
}
