//! The shop's own Spin service (`host-examples/spin/shop-app`, written with spin-sdk)
//! composed with fichier: the shop-app imports fichier's library interfaces, fichier
//! exports them, and the composition — made here in-process with `wac-graph`, as
//! `wac plug` makes it — is one component that Spin can run as it is:
//!
//! - every import of the composition is an interface Spin 3.x provides ([`SPIN_PROVIDES`]);
//! - no `fichier:client` interface is imported any more (fichier's instance inside
//!   satisfies them all);
//! - it exports `wasi:http/incoming-handler@0.2.x`, the shop-app's, which Spin's HTTP
//!   trigger calls;
//! - served by this repository's host (wasmtime-wasi-http, Spin's rules), the shop's
//!   routes record receipts and read statuses through the fichier inside it.
//!
//! The shop-app is built by a nested `cargo build --locked --release --target
//! wasm32-wasip2` into `target/shop-app` (a no-op when nothing changed), the file the
//! shop-app's `spin.toml` runs with fichier as its component dependency (Spin composes
//! them at load time, as this test does); the composition is also written to
//! `target/shop-app/shop-composed.wasm`, what `wac plug` would make ahead of time.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fichier_host::kv::MemoryKv;
use fichier_host::runtime::COMPONENT;
use fichier_host::{Clock, RuntimeBuilder};
use fichier_tests::http::{Resp, Server, get, post, request};
use fichier_tests::{TEST_KEY, admin, cache_dir, ok, runtime_with};
use serde_json::{Value, json};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

include!("../../component/artifact/nested_cargo.rs");

/// What Spin 3.x provides to a component, as `(package/interface, versions)`: the
/// `platform` world of `spin:up@3.6.0` (the WIT spin-sdk 5.2.0 ships, which Spin 3.6
/// implements) and the earlier worlds Spin keeps serving (`fermyon:spin@2.0.0`, the
/// unversioned Spin 1 interfaces). A version ending in `.` is a prefix: Spin links any
/// `wasi` 0.2 patch release (0.2.0 – 0.2.6). WASIp3 release candidates are left out
/// (unstable in Spin 3.x, and this build targets WASIp2).
const SPIN_PROVIDES: &[(&str, &[&str])] = &[
    // wasi:cli/imports@0.2.x: CLI basics, clocks, filesystem, sockets, random, I/O.
    ("wasi:cli/environment", &["0.2."]),
    ("wasi:cli/exit", &["0.2."]),
    ("wasi:cli/stdin", &["0.2."]),
    ("wasi:cli/stdout", &["0.2."]),
    ("wasi:cli/stderr", &["0.2."]),
    ("wasi:cli/terminal-input", &["0.2."]),
    ("wasi:cli/terminal-output", &["0.2."]),
    ("wasi:cli/terminal-stdin", &["0.2."]),
    ("wasi:cli/terminal-stdout", &["0.2."]),
    ("wasi:cli/terminal-stderr", &["0.2."]),
    ("wasi:clocks/monotonic-clock", &["0.2."]),
    ("wasi:clocks/wall-clock", &["0.2."]),
    ("wasi:filesystem/types", &["0.2."]),
    ("wasi:filesystem/preopens", &["0.2."]),
    ("wasi:sockets/network", &["0.2."]),
    ("wasi:sockets/instance-network", &["0.2."]),
    ("wasi:sockets/udp", &["0.2."]),
    ("wasi:sockets/udp-create-socket", &["0.2."]),
    ("wasi:sockets/tcp", &["0.2."]),
    ("wasi:sockets/tcp-create-socket", &["0.2."]),
    ("wasi:sockets/ip-name-lookup", &["0.2."]),
    ("wasi:random/random", &["0.2."]),
    ("wasi:random/insecure", &["0.2."]),
    ("wasi:random/insecure-seed", &["0.2."]),
    ("wasi:io/error", &["0.2."]),
    ("wasi:io/poll", &["0.2."]),
    ("wasi:io/streams", &["0.2."]),
    // wasi:http 0.2: the types, and outgoing requests (to `allowed_outbound_hosts`).
    ("wasi:http/types", &["0.2."]),
    ("wasi:http/outgoing-handler", &["0.2."]),
    // Key-value stores (`key_value_stores`) and variables (`[variables]`).
    ("wasi:keyvalue/store", &["0.2.0-draft2"]),
    ("wasi:keyvalue/atomics", &["0.2.0-draft2"]),
    ("wasi:keyvalue/batch", &["0.2.0-draft2"]),
    ("wasi:config/store", &["0.2.0-draft-2024-09-27"]),
    // Spin's own interfaces: fermyon:spin/platform@2.0.0, the unversioned Spin 1 ones,
    // and the spin:postgres / spin:sqlite packages of Spin 3.
    ("fermyon:spin/llm", &["2.0.0", ""]),
    ("fermyon:spin/redis", &["2.0.0", ""]),
    ("fermyon:spin/redis-types", &[""]),
    ("fermyon:spin/mqtt", &["2.0.0"]),
    ("fermyon:spin/postgres", &["2.0.0", ""]),
    ("fermyon:spin/mysql", &["2.0.0", ""]),
    ("fermyon:spin/rdbms-types", &["2.0.0", ""]),
    ("fermyon:spin/sqlite", &["2.0.0", ""]),
    ("fermyon:spin/key-value", &["2.0.0", ""]),
    ("fermyon:spin/variables", &["2.0.0"]),
    ("fermyon:spin/config", &[""]),
    ("fermyon:spin/http", &[""]),
    ("fermyon:spin/http-types", &[""]),
    ("spin:postgres/postgres", &["3.0.0", "4.0.0"]),
    ("spin:sqlite/sqlite", &["3.0.0"]),
];

/// Whether Spin provides the interface `name` (`ns:pkg/iface@version`).
fn spin_provides(name: &str) -> bool {
    let (iface, version) = name.split_once('@').unwrap_or((name, ""));
    SPIN_PROVIDES.iter().any(|(i, versions)| {
        *i == iface && versions.iter().any(|v| if v.ends_with('.') { version.starts_with(v) } else { version == *v })
    })
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shop_dir() -> PathBuf {
    root().join("host-examples/spin/shop-app")
}

/// The shop-app's own target directory, kept between runs so a second run rebuilds nothing.
fn shop_target() -> PathBuf {
    root().join("target/shop-app")
}

/// Build the shop-app (nested cargo, its own lockfile and target directory).
fn build_shop_app() -> Vec<u8> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(shop_dir())
        .args(["build", "--locked", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(shop_dir().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(shop_target());
    // Nothing of the outer build's flags or wrappers applies to the shop-app.
    for var in NESTED_CARGO_CLEARS {
        cmd.env_remove(var);
    }
    let started = std::time::Instant::now();
    let status = cmd.status().expect("run cargo to build the shop-app");
    assert!(status.success(), "building host-examples/spin/shop-app for wasm32-wasip2 failed");
    println!("shop-app build (cargo): {:.1} s", started.elapsed().as_secs_f64());
    let wasm = shop_target().join("wasm32-wasip2/release/fichier_shop_app.wasm");
    std::fs::read(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
}

/// Top-level import and export names of a component.
fn interfaces(name: &str, bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut types = wac_graph::types::Types::default();
    let pkg = Package::from_bytes(name, None, bytes.to_vec(), &mut types).unwrap();
    let world = &types[pkg.ty()];
    (world.imports.keys().cloned().collect(), world.exports.keys().cloned().collect())
}

/// Compose: fichier's exports plugged into the shop-app's `fichier:client` imports; the
/// shop-app's exports exported; everything else both import stays an import.
fn compose(shop: &[u8], fichier: &[u8]) -> Vec<u8> {
    let mut graph = CompositionGraph::new();
    let pkg = Package::from_bytes("fichier-shop:app", None, shop.to_vec(), graph.types_mut()).unwrap();
    let shop_pkg = graph.register_package(pkg).unwrap();
    let pkg = Package::from_bytes("fichier:client", None, fichier.to_vec(), graph.types_mut()).unwrap();
    let fichier_pkg = graph.register_package(pkg).unwrap();

    let shop_world = graph.types()[graph[shop_pkg].ty()].clone();
    let fichier_world = graph.types()[graph[fichier_pkg].ty()].clone();
    let shop_inst = graph.instantiate(shop_pkg);
    let fichier_inst = graph.instantiate(fichier_pkg);
    let mut plugged = 0;
    for name in shop_world.imports.keys().filter(|n| n.starts_with("fichier:client/")) {
        assert!(fichier_world.exports.contains_key(name), "fichier does not export {name}");
        let export = graph.alias_instance_export(fichier_inst, name).unwrap();
        // Fails unless fichier's export is a subtype of what the shop-app imports.
        graph.set_instantiation_argument(shop_inst, name, export).unwrap_or_else(|e| panic!("plugging {name}: {e:#}"));
        plugged += 1;
    }
    assert!(plugged > 0, "the shop-app imports no fichier:client interface");
    for name in shop_world.exports.keys() {
        let export = graph.alias_instance_export(shop_inst, name).unwrap();
        graph.export(export, name).unwrap();
    }
    // `validate: true` has wac-graph validate its output too; checked again below.
    graph.encode(EncodeOptions::default()).unwrap()
}

struct Built {
    shop: Vec<u8>,
    composed: Vec<u8>,
}

/// The shop-app built and composed once per test binary; the composition is written
/// where `wac plug` would (README.md's alternative to Spin's own composition).
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let shop = build_shop_app();
        let started = std::time::Instant::now();
        let composed = compose(&shop, COMPONENT);
        println!("composition (wac-graph): {:.2} s", started.elapsed().as_secs_f64());
        let out = shop_target().join("shop-composed.wasm");
        std::fs::write(&out, &composed).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
        Built { shop, composed }
    })
}

#[test]
fn the_shop_app_imports_fichiers_library_interfaces() {
    let (imports, exports) = interfaces("fichier-shop:app", &built().shop);
    println!("shop-app imports: {imports:#?}\nshop-app exports: {exports:#?}");
    for needed in ["fichier:client/consent@0.1.0", "fichier:client/minimisation@0.1.0"] {
        assert!(imports.iter().any(|i| i == needed), "the shop-app does not import {needed}");
    }
}

#[test]
fn the_composition_imports_only_what_spin_provides() {
    let composed = &built().composed;
    // A valid component under wasmparser's default features (those wasmtime enables).
    wasmparser::Validator::new()
        .validate_all(composed)
        .unwrap_or_else(|e| panic!("the composition does not validate: {e}"));

    let (imports, exports) = interfaces("composed", composed);
    println!("composed imports: {imports:#?}\ncomposed exports: {exports:#?}");
    println!("sizes: shop-app {} B, fichier {} B, composed {} B", built().shop.len(), COMPONENT.len(), composed.len());
    let outside: Vec<&String> = imports.iter().filter(|i| !spin_provides(i)).collect();
    assert!(outside.is_empty(), "imports Spin does not provide: {outside:?}");
    let fichier: Vec<&String> = imports.iter().filter(|i| i.starts_with("fichier:")).collect();
    assert!(fichier.is_empty(), "fichier interfaces left unsatisfied: {fichier:?}");
    // What the composition needs of the deployment: the stores and the master key (the
    // fichier inside), no filesystem, no sockets, no outgoing request.
    for needed in ["wasi:keyvalue/store@0.2.0-draft2", "wasi:config/store@0.2.0-draft-2024-09-27"] {
        assert!(imports.iter().any(|i| i == needed), "{needed} not imported");
    }
    for denied in ["wasi:filesystem/", "wasi:sockets/", "wasi:http/outgoing-handler"] {
        assert!(!imports.iter().any(|i| i.starts_with(denied)), "{denied}* imported: {imports:?}");
    }
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(exports[0].starts_with("wasi:http/incoming-handler@0.2."), "{exports:?}");
}

#[test]
fn the_shop_app_manifest_runs_the_app_this_test_builds_with_fichier_as_its_dependency() {
    built(); // builds the app the manifest names
    let text = std::fs::read_to_string(shop_dir().join("spin.toml")).unwrap();
    let m: toml::Table = text.parse().unwrap();
    assert_eq!(m["spin_manifest_version"].as_integer(), Some(2));
    let c = &m["component"]["shop"];
    let source = shop_dir().join(c["source"].as_str().unwrap());
    // The app this test builds; Spin composes it with fichier when it loads it.
    assert_eq!(
        source.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", source.display())),
        shop_target().join("wasm32-wasip2/release/fichier_shop_app.wasm").canonicalize().unwrap()
    );
    assert_eq!(std::fs::read(&source).unwrap(), built().shop);
    let dependency = shop_dir().join(c["dependencies"]["fichier:client@0.1.0"]["path"].as_str().unwrap());
    assert!(std::fs::read(&dependency).unwrap() == COMPONENT, "{} is not this build of fichier", dependency.display());
    assert_eq!(c["dependencies_inherit_configuration"].as_bool(), Some(true));
    let stores: Vec<&str> = c["key_value_stores"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(stores, fichier_host::runtime::LABELS);
    assert_eq!(c["allowed_outbound_hosts"].as_array().map(Vec::len), Some(0));
    assert_eq!(m["variables"]["master_key"]["secret"].as_bool(), Some(true));
    assert_eq!(c["variables"]["master_key"].as_str(), Some("{{ master_key }}"));
    let build = c["build"]["command"].as_array().unwrap();
    let joined: Vec<&str> = build.iter().map(|v| v.as_str().unwrap()).collect();
    assert!(joined.iter().any(|c| c.contains("--target wasm32-wasip2")), "{joined:?}");
    assert!(!joined.iter().any(|c| c.starts_with("wac plug")), "Spin composes it: {joined:?}");
}

#[test]
fn the_composition_serves_the_shop_through_fichier() {
    let now = "2026-11-29T10:00:00Z";
    let kv = Arc::new(MemoryKv::new(&["default", "keys"]));
    // The shop's admin declares the purposes and registers the notices (fichier's own
    // API; the shop-app has no admin route).
    let admin_rt = runtime_with(kv.clone(), Clock::pinned(now).unwrap(), TEST_KEY);
    for (id, kind) in [("newsletter", "marketing"), ("analytics", "cookie")] {
        let purpose = json!({"id": id, "kind": kind, "title": id, "validity-months": null});
        ok(&admin_rt, "consent", "declare-purpose", &[admin(), purpose]);
    }
    let notice = |purpose: &str| {
        let n = json!({"purposes": [purpose], "lang": "fr", "text": format!("Ce que nous faisons pour {purpose}.")});
        ok(&admin_rt, "consent", "register-notice", &[admin(), n])["reference"].as_str().unwrap().to_owned()
    };
    let (newsletter_notice, analytics_notice) = (notice("newsletter"), notice("analytics"));

    let rt = Arc::new(
        RuntimeBuilder::new(kv.clone())
            .component(built().composed.clone())
            .config(vec![("master_key".into(), TEST_KEY.into())])
            .clock(Clock::pinned(now).unwrap())
            .cache_dir(Some(cache_dir()))
            .pooling(false)
            .deadline(Some(Duration::from_secs(30)))
            .build()
            .unwrap(),
    );
    // Served as `fichier serve` serves fichier alone; stopped when dropped.
    let shop = Server::serving(rt);

    let json = |r: &Resp| -> Value { r.json() };

    // The newsletter box, ticked: a sign-up, pending until the mail's token comes back.
    let r = post(
        shop.addr,
        "/newsletter",
        None,
        &json!({"email": "Alice@Example.org", "consent": true, "notice": newsletter_notice}),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(json(&r), json!({"outcome": "confirmation-sent"}));
    let alice = json!({"tag": "email", "val": "alice@example.org"});
    assert_eq!(ok(&admin_rt, "consent", "history", &[admin(), alice.clone()]), json!([]));
    let page = ok(&admin_rt, "outbox", "pending", &[admin(), json!(null), json!(10)]);
    let token = page["messages"][0]["token"].as_str().unwrap().to_owned();
    let r = post(shop.addr, &format!("/newsletter/confirm/{token}"), None, &json!({}));
    assert_eq!((r.status, json(&r)), (202, json!({"outcome": "confirmed"})), "{}", String::from_utf8_lossy(&r.body));
    // fichier has it, as the shop-app's public call (the address truncated by fichier).
    let history = ok(&admin_rt, "consent", "history", &[admin(), alice]);
    assert_eq!(history[0]["decision"], "grant");
    assert_eq!(history[0]["notice"]["reference"], newsletter_notice.as_str());
    assert_eq!(history[0]["recorded-by"], json!({"id": "shop-app", "role": "public"}));
    assert_eq!(history[0]["channel"], "web-form");
    assert_eq!(history[0]["ip-truncated"], "127.0.0.0");

    // A grant without a notice is refused by fichier, field and rule passed on.
    let r = post(shop.addr, "/newsletter", None, &json!({"email": "bob@example.org", "consent": true}));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(json(&r)["field"].as_str().unwrap().contains("notice"), "{}", json(&r));

    // The cookie banner, then the visitor's status.
    let choice = json!({"visitor": "v-7f3a", "purpose": "analytics", "decision": "refuse", "notice": analytics_notice});
    let r = post(shop.addr, "/privacy/consent", None, &choice);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = get(shop.addr, "/privacy/status?visitor=v-7f3a", None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let status = json(&r);
    let states: Vec<(&str, &str)> = status["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["purpose"].as_str().unwrap(), p["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("analytics", "refused"), ("newsletter", "never-asked")]);

    // Checkout: a card number in the order note is refused with a span, never the value.
    let note = "Livrer au voisin. Ma carte : 4111 1111 1111 1111";
    let r = post(shop.addr, "/checkout", None, &json!({"email": "carol@example.org", "note": note}));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert!(!body.contains("4111"), "{body}");
    let findings = json(&r)["findings"].as_array().unwrap().clone();
    assert!(findings.iter().any(|f| f["severity"] == "block" && f["span"].is_object()), "{findings:?}");
    // A clean note passes, and the checkout's newsletter box becomes a receipt.
    let order = json!({"email": "carol@example.org", "note": "Livrer au voisin.", "newsletter": true, "notice": newsletter_notice});
    let r = post(shop.addr, "/checkout", None, &order);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(json(&r)["newsletter-receipt"].is_string(), "{}", json(&r));

    // Anything else is the router's.
    let r = request(shop.addr, "GET", "/v1/ledger/verify", &[], b"");
    assert_eq!(r.status, 404);
    drop(shop);
}
