//! The host runtime: the precompiled-component cache and its invalidation, Spin's
//! store-label rule, and wasi:config settings.

use std::sync::Arc;

use fichier_host::kv::MemoryKv;
use fichier_host::{Clock, RuntimeBuilder};
use fichier_tests::*;
use serde_json::json;

fn cached_files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|it| it.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.retain(|n| n.ends_with(".cwasm"));
    v.sort();
    v
}

/// Put `bytes` in place of a cache entry the way anything that writes the cache must: a
/// new file renamed over it. Entries are mapped by the runtimes that loaded them, so an
/// entry changed in place (truncated, rewritten) would fault in every process using it.
fn replace(path: &std::path::Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn build(cache: &std::path::Path, fuel: bool, component: Option<Vec<u8>>) -> fichier_host::Runtime {
    let mut b = RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .clock(Clock::pinned("2026-01-01T00:00:00Z").expect("clock"))
        .cache_dir(Some(cache.to_path_buf()))
        .fuel(fuel.then_some(u64::MAX));
    if let Some(c) = component {
        b = b.component(c);
    }
    b.build().expect("runtime")
}

#[test]
fn the_compiled_component_is_cached_and_invalidated_by_engine_or_component_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let rt = build(&cache, false, None);
    ok(&rt, "consent", "list-purposes", &[admin()]);
    let first = cached_files(&cache);
    assert_eq!(first.len(), 1, "compiled once and cached");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&cache).expect("dir").permissions().mode() & 0o077, 0, "cache dir is private");
    }
    let modified = std::fs::metadata(cache.join(&first[0])).and_then(|m| m.modified()).expect("mtime");
    let again = build(&cache, false, None);
    ok(&again, "consent", "list-purposes", &[admin()]);
    assert_eq!(cached_files(&cache), first, "the same engine and component reuse the artifact");
    assert_eq!(std::fs::metadata(cache.join(&first[0])).and_then(|m| m.modified()).expect("mtime"), modified);
    // Another engine configuration (fuel metering) gets its own artifact.
    let metered = build(&cache, true, None);
    ok(&metered, "consent", "list-purposes", &[admin()]);
    assert_eq!(cached_files(&cache).len(), 2);
    // Another component too (the same code with a custom section appended is another artifact).
    let mut other = fichier_host::runtime::COMPONENT.to_vec();
    other.extend_from_slice(&[0x00, 0x05, 0x04, b'n', b'o', b't', b'e']);
    let rt3 = build(&cache, false, Some(other));
    ok(&rt3, "consent", "list-purposes", &[admin()]);
    assert_eq!(cached_files(&cache).len(), 3);
    // A cache directory others can write to is not read from (nor written to).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        replace(&cache.join(&first[0]), b"planted");
        let rt5 = build(&cache, false, None);
        ok(&rt5, "consent", "list-purposes", &[admin()]);
        assert_eq!(std::fs::read(cache.join(&first[0])).expect("artifact"), b"planted", "left alone, not loaded");
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    // A damaged artifact is recompiled, not trusted.
    replace(&cache.join(&first[0]), b"garbage");
    let rt4 = build(&cache, false, None);
    ok(&rt4, "consent", "list-purposes", &[admin()]);
    assert!(std::fs::metadata(cache.join(&first[0])).expect("artifact").len() > 1000, "rewritten");
}

#[test]
fn an_undeclared_store_label_is_access_denied_as_on_spin() {
    let rt = RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .labels(&["default"])
        .cache_dir(Some(cache_dir()))
        .build()
        .expect("runtime");
    let e = err(&rt, "consent", "list-purposes", &[admin()]);
    assert_eq!(e["tag"], "storage");
    assert_eq!(e["val"]["field"], "store:keys");
    assert!(e["val"]["message"].as_str().is_some_and(|m| m.contains("access denied")), "{e}");
    // Declared but not provided by the backend: no such store.
    let rt = RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default"])))
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .cache_dir(Some(cache_dir()))
        .build()
        .expect("runtime");
    let e = err(&rt, "consent", "list-purposes", &[admin()]);
    assert!(e["val"]["message"].as_str().is_some_and(|m| m.contains("no such store")), "{e}");
}

#[test]
fn settings_come_from_a_file_and_the_environment_never_the_master_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("settings.json");
    std::fs::write(&file, r#"{"shop_name": "La Boutique", "country": "FR"}"#).expect("write");
    let s = fichier_host::master::load_settings(Some(&file)).expect("settings");
    assert!(s.contains(&("shop_name".to_string(), "La Boutique".to_string())));
    std::fs::write(&file, r#"{"master_key": "00"}"#).expect("write");
    let e = fichier_host::master::load_settings(Some(&file)).expect_err("refused");
    assert!(e.to_string().contains("secret"), "{e}");
    std::fs::write(&file, r#"{"n": 5}"#).expect("write");
    assert!(fichier_host::master::load_settings(Some(&file)).is_err(), "strings only");
    std::fs::write(&file, "not json").expect("write");
    assert!(fichier_host::master::load_settings(Some(&file)).is_err());
}

#[test]
fn the_host_keeps_serving_after_a_trap() {
    let rt = RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .cache_dir(Some(cache_dir()))
        .fuel(Some(10))
        .build()
        .expect("runtime");
    assert!(matches!(rt.invoke("consent", "list-purposes", &[admin()]), Err(fichier_host::CallError::Trap(_))));
    rt.set_fuel(u64::MAX);
    assert_eq!(ok(&rt, "consent", "list-purposes", &[admin()]), json!([]));
}

/// `RuntimeBuilder::shared`: runtimes of one engine configuration take the engine and the
/// compiled component the first one loaded (a PHP-FPM worker's handle per request);
/// another configuration, another component or an unshared build gets its own.
#[test]
fn shared_runtimes_take_one_engine_per_configuration() {
    let make = |shared: bool, deadline: Option<u64>, component: Option<Vec<u8>>| {
        let mut b = RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
            .config(vec![("master_key".into(), TEST_KEY.into())])
            .clock(Clock::pinned("2026-01-01T00:00:00Z").expect("clock"))
            .cache_dir(Some(cache_dir()))
            .pooling(false)
            .shared(shared)
            .deadline(deadline.map(std::time::Duration::from_millis));
        if let Some(c) = component {
            b = b.component(c);
        }
        b.build().expect("runtime")
    };
    let a = make(true, Some(1_000), None);
    let b = make(true, Some(5_000), None);
    assert!(wasmtime::Engine::same(a.engine(), b.engine()), "one configuration, one engine");
    assert_eq!(b.deadline(), Some(std::time::Duration::from_secs(5)), "the bound stays the runtime's own");
    for (why, other) in [
        ("no deadline: compiled without epoch checks", make(true, None, None)),
        ("not shared", make(false, Some(1_000), None)),
        ("another component", make(true, Some(1_000), Some(fichier_host::runtime::COMPONENT.to_vec()))),
    ] {
        assert!(!wasmtime::Engine::same(a.engine(), other.engine()), "{why}");
    }
    // Each keeps its own store and settings.
    let admin = json!({"id": "t", "role": "admin"});
    let purpose = json!({"id": "orders", "kind": "service", "title": "Commandes", "validity-months": null});
    let declared = a.invoke_batched("consent", "declare-purpose", &[admin.clone(), purpose]).expect("call");
    assert!(declared.get("ok").is_some(), "{declared}");
    let listed =
        |rt: &fichier_host::Runtime| rt.invoke("consent", "list-purposes", std::slice::from_ref(&admin)).expect("call");
    assert_eq!(listed(&a)["ok"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed(&b)["ok"], json!([]));
}
