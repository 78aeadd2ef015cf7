//! The component reaches nothing but what the allowlist names: key-value storage,
//! read-only configuration, clocks, randomness, I/O streams, CLI basics and the
//! `wasi:http` types its handler works with. No filesystem, no sockets, no outgoing
//! HTTP. The allowlist is what Spin provides to a component (Spin 3.x: `wasi:http`
//! 0.2, `wasi:keyvalue` draft2, `wasi:config` draft-2024-09-27, `wasi:clocks`,
//! `wasi:random`, `wasi:io`, `wasi:cli`), so Spin can run the very same `.wasm`.

use fichier_host::runtime::component_interfaces;
use fichier_tests::memory_runtime;

const ALLOWED_PREFIXES: [&str; 8] = [
    "wasi:http/types@0.2.",
    "wasi:keyvalue/store@0.2.0-draft2",
    "wasi:keyvalue/atomics@0.2.0-draft2",
    "wasi:keyvalue/batch@0.2.0-draft2",
    "wasi:config/store@0.2.0-draft-2024-09-27",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:io/",
];

fn allowed(name: &str) -> bool {
    ALLOWED_PREFIXES.iter().any(|p| name.starts_with(p)) || name.starts_with("wasi:cli/")
}

#[test]
fn imports_are_on_the_allowlist() {
    let rt = memory_runtime("2026-01-01T00:00:00Z");
    let (imports, exports) = component_interfaces(rt.engine(), rt.component());
    println!("imports: {imports:#?}\nexports: {exports:#?}");
    let forbidden: Vec<&String> = imports.iter().filter(|i| !allowed(i)).collect();
    assert!(forbidden.is_empty(), "imports outside the allowlist: {forbidden:?}");
    assert!(!imports.iter().any(|i| i.starts_with("wasi:filesystem") || i.starts_with("wasi:sockets")));
    assert!(!imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler")), "no outgoing HTTP");
    // The service world: the REST face is a wasi:http 0.2 incoming handler, as Spin's
    // HTTP trigger calls it.
    assert!(
        exports.iter().any(|e| e.starts_with("wasi:http/incoming-handler@0.2.")),
        "wasi:http/incoming-handler@0.2.x not exported"
    );
    for needed in [
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
        "wasi:config/store@0.2.0-draft-2024-09-27",
    ] {
        assert!(imports.iter().any(|i| i == needed), "{needed} not imported");
    }
    for e in ["consent", "ledger", "settings", "maintenance", "types"] {
        let name = format!("fichier:client/{e}@0.1.0");
        assert!(exports.contains(&name), "{name} not exported");
    }
}

/// The component stays within 2 MiB (the customer-file issue's limit): every host loads
/// it, and Spin deployments ship it as is.
#[test]
fn the_component_is_at_most_2_mib() {
    let size = fichier_host::runtime::COMPONENT.len();
    assert!(size <= 2 * 1024 * 1024, "the component weighs {size} bytes, over 2 MiB");
}
