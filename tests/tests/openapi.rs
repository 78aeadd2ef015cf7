//! `docs/openapi.json` describes the REST face: it is built from the route table the
//! component routes by and the WIT it is built from (`fichier_tests::openapi`), this test
//! fails when it is stale (`FICHIER_UPDATE_OPENAPI=1` rewrites it), the component serves
//! it at `/openapi.json`, and every route it lists is served. `.ci/run` runs schemathesis
//! against it on a live `fichier serve`.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use fichier_tests::http::{Server, request};
use fichier_tests::openapi::{Source, generate, routes};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn route_table() -> String {
    std::fs::read_to_string(root().join("component/guest/src/routes.txt")).unwrap()
}

#[test]
fn the_openapi_document_is_current() {
    let doc = generate(&root().join("wit"), &route_table()).unwrap();
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = root().join("docs/openapi.json");
    if std::env::var_os("FICHIER_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: run FICHIER_UPDATE_OPENAPI=1 cargo test -p fichier-tests --test openapi",
        path.display()
    );
    // Every operation of the table is there, with its function's id, and HEAD beside
    // every GET.
    let n: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    let gets = routes(&route_table()).iter().filter(|r| r.method == "GET").count();
    assert_eq!(n, routes(&route_table()).len() + gets + 2, "the routes, HEAD, and /openapi.json (GET, HEAD)");
    assert_eq!(doc["paths"]["/v1/purposes"]["head"]["operationId"], "consent.list-purposes.head");
    assert_eq!(doc["paths"]["/v1/consent/receipts"]["post"]["operationId"], "consent.record-decision");
    let receipt = &doc["components"]["schemas"]["consent.receipt-input"];
    assert_eq!(receipt["additionalProperties"], false);
    assert!(receipt["required"].as_array().unwrap().contains(&Value::from("purpose")));
    assert!(!receipt["required"].as_array().unwrap().contains(&Value::from("notice")), "options are optional");
}

#[test]
fn the_component_serves_the_document_and_every_route() {
    let s = Server::start("2026-03-01T10:00:00Z");
    let token = s.key("admin");
    let auth = format!("Bearer {token}");
    let served = request(s.addr, "GET", "/openapi.json", &[("Accept-Encoding", "gzip, deflate")], b"");
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    assert_eq!(served.header("content-encoding"), Some("gzip"));
    assert_eq!(served.header("vary"), Some("accept-encoding"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&served.body[..]), &mut text).unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/openapi.json")).unwrap()).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), committed);
    // gzip only where Accept-Encoding takes it: a client that says nothing (curl without
    // --compressed) or refuses gzip gets the JSON itself.
    for (accept, gzip) in [
        (None, false),
        (Some("identity"), false),
        (Some("gzip;q=0"), false),
        (Some("gzip; q=0.0, identity"), false),
        (Some("gzip;q=0, *"), false),
        (Some("*;q=0"), false),
        (Some("deflate, br"), false),
        (Some("gzip;q=0.5"), true),
        (Some("x-gzip"), true),
        (Some("br, *"), true),
        (Some("GZIP;Q=0.001"), true),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept-Encoding", *a)).collect();
        let r = request(s.addr, "GET", "/openapi.json", &headers, b"");
        assert_eq!((r.status, r.header("vary")), (200, Some("accept-encoding")), "{accept:?}");
        assert_eq!(r.header("content-encoding") == Some("gzip"), gzip, "{accept:?}");
        if !gzip {
            assert_eq!(serde_json::from_slice::<Value>(&r.body).unwrap(), committed, "{accept:?}");
        }
    }

    // Read with GET or HEAD only, as the document says (schemathesis' undeclared-method check).
    for method in ["POST", "PUT", "DELETE", "TRACE"] {
        let r = request(s.addr, method, "/openapi.json", &[("Accept-Encoding", "gzip")], b"");
        assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")), "{method}");
    }

    // Every route of the table reaches its function: whatever the answer (the arguments
    // here are empty), it is not the router's 404 or 405.
    for r in routes(&route_table()) {
        let path =
            r.path.split('/').map(|seg| if seg.starts_with('{') { "x" } else { seg }).collect::<Vec<_>>().join("/");
        let (headers, body): (Vec<(&str, &str)>, &[u8]) = match (r.method.as_str(), r.source) {
            ("GET", _) => (vec![("Authorization", &auth)], b""),
            (_, Source::Raw) => (vec![("Authorization", &auth), ("Content-Type", "application/octet-stream")], b""),
            (_, Source::Query) => (vec![("Authorization", &auth)], b""),
            _ => (vec![("Authorization", &auth), ("Content-Type", "application/json")], b"{}"),
        };
        let resp = request(s.addr, &r.method, &path, &headers, body);
        let rule = if resp.header("content-type") == Some("application/problem+json") {
            resp.json()["rule"].as_str().unwrap_or("").to_owned()
        } else {
            String::new()
        };
        assert!(
            !(resp.status == 404 && rule == "known-route") && resp.status != 405,
            "{} {}: {} {}",
            r.method,
            r.path,
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        assert!(resp.status < 500, "{} {}: {}", r.method, r.path, String::from_utf8_lossy(&resp.body));
    }
}
