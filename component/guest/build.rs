//! Packs `docs/openapi.json` for the component to serve at `/openapi.json`: minified and
//! gzip-compressed (≈23 KB instead of ≈250 KB in the component), served with
//! `Content-Encoding: gzip`.

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let source = manifest.join("../../docs/openapi.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).expect("read docs/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    let minified = serde_json::to_vec(&doc).expect("serialise");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&minified).expect("compress");
    let packed = gz.finish().expect("compress");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("openapi.json.gz"), packed).expect("write");
}
