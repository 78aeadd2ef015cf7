//! Packs what the component serves besides the API:
//! - `docs/openapi.json`, minified and gzip-compressed (≈23 KB instead of ≈250 KB in the
//!   component), served at `/openapi.json` with `Content-Encoding: gzip`;
//! - the files of `assets/` (the cookie banner, the admin page, the demo shop), each
//!   kept as is and gzip-compressed, with a strong ETag for each (SHA-256 of the file;
//!   `-gz` for the compressed bytes), as the generated table `ASSETS` of `assets.rs`;
//! - the route table `src/routes.txt` as the constant `ROUTE_TABLE` of `routes.rs`
//!   (method, path segments after `/v1/`, the function called, public), so a request does not parse the
//!   text: it did, twice, on every request (~25% of an HTTP receipt's time in the
//!   component, `split_whitespace` in wasm).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).expect("compress");
    gz.finish().expect("compress")
}

fn content_type(name: &str) -> &'static str {
    match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain; charset=utf-8",
        other => panic!("assets/{name}: no content type for {other:?}; add it to build.rs"),
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    let source = manifest.join("../../docs/openapi.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).expect("read docs/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    let minified = serde_json::to_vec(&doc).expect("serialise");
    let packed = gzip(&minified);
    // A gzip member with no optional header fields: its deflate stream is the bytes from
    // 10 to 8 before the end, which the component inflates for a client without gzip.
    assert_eq!(packed.get(3), Some(&0), "the gzip header of openapi.json has no optional fields");
    std::fs::write(out.join("openapi.json.gz"), packed).expect("write");

    let dir = manifest.join("assets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("read assets/").file_name().into_string().expect("asset names are UTF-8"))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut table = String::from("/// Every file of `assets/`, by name.\nconst ASSETS: &[Asset] = &[\n");
    for name in &names {
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "assets/{name}: names are [A-Za-z0-9._-]"
        );
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).expect("read an asset");
        let packed = gzip(&bytes);
        let gz_name = format!("asset-{name}.gz");
        std::fs::write(out.join(&gz_name), packed).expect("write");
        // A strong ETag per representation: the file, and its gzip (other bytes).
        let digest = hex(&Sha256::digest(&bytes)[..12]);
        let (etag, etag_gz) = (format!("\"{digest}\""), format!("\"{digest}-gz\""));
        table.push_str(&format!(
            "    Asset {{ name: {name:?}, content_type: {:?}, raw: include_bytes!({:?}), \
             packed: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{gz_name}\")), etag: {etag:?}, \
             etag_gz: {etag_gz:?} }},\n",
            content_type(name),
            path.display().to_string(),
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("assets.rs"), table).expect("write");

    let routes = manifest.join("src/routes.txt");
    println!("cargo:rerun-if-changed={}", routes.display());
    let text = std::fs::read_to_string(&routes).expect("read src/routes.txt");
    std::fs::write(out.join("routes.rs"), route_table(&text)).expect("write");
}

/// `GET /v1/notices/{reference} consent.get-notice query public` →
/// `Route { method: "GET", segments: &["notices", "{reference}"], function: "consent.get-notice", public: true }`
/// (`function` is empty for a route that calls none, `-`).
fn route_table(text: &str) -> String {
    let mut table = String::from("/// `routes.txt`, parsed at build time.\nconst ROUTE_TABLE: &[Route] = &[\n");
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (method, path, function) = match cols.as_slice() {
            [m, p, f, _] | [m, p, f, _, "public"] => (*m, *p, if *f == "-" { "" } else { *f }),
            _ => panic!("routes.txt:{}: method, path, function, source and maybe `public`", n + 1),
        };
        assert!(["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method), "routes.txt:{}: method {method}", n + 1);
        let rest = path.strip_prefix("/v1/").unwrap_or_else(|| panic!("routes.txt:{}: paths start /v1/", n + 1));
        let segments: Vec<&str> = rest.split('/').collect();
        table.push_str(&format!(
            "    Route {{ method: {method:?}, segments: &{segments:?}, function: {function:?}, public: {} }},\n",
            cols.len() == 5
        ));
    }
    table.push_str("];\n");
    table
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
