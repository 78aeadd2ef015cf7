//! `host-examples/node/wit-schema.json` describes the component's exports, read from the
//! component's own types by the Rust host. Node checks `invoke` arguments with it. This
//! test fails when the file is stale; `FICHIER_UPDATE_SCHEMA=1` rewrites it.

use fichier_host::dynamic::export_schema;
use fichier_tests::memory_runtime;

#[test]
fn the_node_schema_matches_the_component() {
    let rt = memory_runtime("2026-01-01T00:00:00Z");
    let schema = export_schema(rt.engine(), rt.component());
    let text = serde_json::to_string_pretty(&schema).expect("json") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-examples/node/wit-schema.json");
    assert_eq!(schema["package"], "fichier:client@0.1.0");
    for iface in ["consent", "ledger", "settings", "maintenance"] {
        assert!(schema["interfaces"][iface]["funcs"].as_object().is_some_and(|f| !f.is_empty()), "{iface}");
    }
    let status = &schema["interfaces"]["consent"]["funcs"]["status"];
    assert_eq!(status["params"][0][0], "actor");
    assert_eq!(
        status["params"][0][1]["record"][1],
        serde_json::json!(["role", {"enum": ["admin", "dpo", "support", "system", "public"]}])
    );
    if std::env::var_os("FICHIER_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &text).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: run FICHIER_UPDATE_SCHEMA=1 cargo test -p fichier-tests --test wit_schema",
        path.display()
    );
}
