//! What the component serves besides the API, through `fichier serve`'s server on
//! loopback: the cookie banner (within its size goal), the admin page, the demo shop
//! (only when the deployment turns the demo on), with their caching, compression and
//! Content-Security-Policy; and the public routes the banner and the shop's forms use.
//! The pages' behaviour in a browser is tested in `tests/browser/` (Chromium).

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;

use fichier_tests::http::{Resp, Server, get, post, problem, request};
use serde_json::json;

const NOW: &str = "2026-03-01T10:00:00Z";

fn asset_file(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../component/guest/assets");
    std::fs::read(dir.join(name)).unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

fn fetch(s: &Server, path: &str, headers: &[(&str, &str)]) -> Resp {
    request(s.addr, "GET", path, headers, b"")
}

#[test]
fn the_banner_is_served_compressed_within_its_8_kb_goal_and_revalidated_by_etag() {
    let s = Server::start_with(NOW, &[("public_rate_per_minute", "2")]);
    let mut total = 0;
    for name in ["banner.js", "banner.css"] {
        let path = format!("/{name}");
        let plain = fetch(&s, &path, &[]);
        assert_eq!(plain.status, 200);
        assert!(plain.body == asset_file(name), "{name} is served as committed");
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.header("vary"), Some("accept-encoding"));
        let gz = fetch(&s, &path, &[("Accept-Encoding", "gzip, br")]);
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        assert!(gunzip(&gz.body) == plain.body, "{name}: gzip decodes to the file");
        assert_eq!(gz.header("vary"), Some("accept-encoding"));
        assert_eq!(gz.header("cache-control"), Some("no-cache"));
        total += gz.body.len();
        // gzip only where Accept-Encoding takes it.
        for accept in ["identity", "gzip;q=0, *", "br", "*;q=0"] {
            let r = fetch(&s, &path, &[("Accept-Encoding", accept)]);
            assert!(r.header("content-encoding").is_none() && r.body == plain.body, "{name}, {accept}");
        }
        // Revalidation: the same ETag is 304 without a body; another is the file. Each
        // representation has its own strong ETag (the bytes differ).
        let (etag, plain_etag) = (gz.header("etag").unwrap().to_owned(), plain.header("etag").unwrap().to_owned());
        assert!(plain_etag.starts_with('"') && plain_etag.len() == 26, "{plain_etag}");
        assert_eq!(etag, format!("{}-gz\"", &plain_etag[..25]));
        let again = fetch(&s, &path, &[("If-None-Match", &etag), ("Accept-Encoding", "gzip")]);
        assert_eq!((again.status, again.body.len(), again.header("etag")), (304, 0, Some(etag.as_str())));
        let again = fetch(&s, &path, &[("If-None-Match", &plain_etag)]);
        assert_eq!((again.status, again.body.len()), (304, 0));
        // The gzip bytes' ETag does not validate the file's, nor the other way round.
        assert_eq!(fetch(&s, &path, &[("If-None-Match", &etag)]).status, 200);
        assert_eq!(fetch(&s, &path, &[("If-None-Match", &plain_etag), ("Accept-Encoding", "gzip")]).status, 200);
        assert_eq!(fetch(&s, &path, &[("If-None-Match", "\"other\"")]).status, 200);
    }
    assert_eq!(fetch(&s, "/banner.js", &[]).header("content-type"), Some("text/javascript; charset=utf-8"));
    // The size goal (vanilla-cookieconsent is 15.5 KB, tarteaucitron 23.8 KB).
    assert!(total <= 8 * 1024, "banner.js + banner.css are {total} bytes gzip");
    // Files cost no store write: they are not counted against the public rate limit
    // (2 a minute here), which the API still applies.
    for _ in 0..5 {
        assert_eq!(fetch(&s, "/banner.js", &[]).status, 200);
    }
    for _ in 0..2 {
        assert_eq!(get(s.addr, "/v1/purposes", None).status, 200);
    }
    assert_eq!(get(s.addr, "/v1/purposes", None).status, 429);
}

#[test]
fn pages_carry_a_strict_policy_and_the_demo_shop_is_served_only_when_turned_on() {
    let s = Server::start(NOW);
    let admin = fetch(&s, "/admin", &[]);
    assert_eq!((admin.status, admin.header("content-type")), (200, Some("text/html; charset=utf-8")));
    let csp = admin.header("content-security-policy").unwrap();
    for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(admin.header("x-frame-options"), Some("DENY"));
    assert!(admin.body == asset_file("admin.html"), "admin.html is served as committed");
    // Scripts are not pages: no policy header on them.
    assert_eq!(fetch(&s, "/admin.js", &[]).header("content-security-policy"), None);
    // Without the demo: no shop at `/`, nor its files.
    for path in ["/", "/shop.js", "/demo-analytics.js"] {
        let (status, field, rule) = problem(&fetch(&s, path, &[]));
        assert_eq!((status, field.as_str(), rule.as_str()), (404, "path", "known-route"), "{path}");
    }
    // Nothing outside the folder, and files are read, not written.
    for path in ["/../Cargo.toml", "/assets/banner.js", "/banner.js/", "/%2e%2e/banner.js", "/nothing.js"] {
        assert_eq!(fetch(&s, path, &[]).status, 404, "{path}");
    }
    let r = request(s.addr, "POST", "/banner.js", &[("Content-Type", "application/json")], b"{}");
    assert_eq!(problem(&r).0, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));

    let demo = Server::start_with(NOW, &[("demo", "true")]);
    let shop = fetch(&demo, "/", &[]);
    assert_eq!(shop.status, 200);
    assert!(shop.body == asset_file("shop.html"), "shop.html is served as committed");
    let csp = shop.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' data: https://analytics.example") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(fetch(&demo, "/demo-analytics.js", &[]).status, 200);
}

fn declare_banner(s: &Server, token: &str) {
    for (id, kind) in [("analytics", "cookie"), ("ads", "advertising"), ("newsletter", "marketing")] {
        let r = post(s.addr, "/v1/purposes", Some(token), &json!({"id": id, "kind": kind, "title": id}));
        assert_eq!(r.status, 200);
    }
    let r = post(
        s.addr,
        "/v1/notices",
        Some(token),
        &json!({"purposes": ["analytics", "ads"], "lang": "fr", "text": "Cookies : mesure d'audience et publicité."}),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn the_banner_reads_its_configuration_and_the_admin_its_rates() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    declare_banner(&s, &token);
    let b = get(s.addr, "/v1/banner?lang=fr", None);
    assert_eq!(b.status, 200, "{}", String::from_utf8_lossy(&b.body));
    let b = b.json();
    assert_eq!(b["notice"]["reference"], "ads+analytics:fr:v1");
    assert_eq!(b["notice"]["text"], "Cookies : mesure d'audience et publicité.");
    let ids: Vec<&str> = b["purposes"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ads", "analytics"]);
    assert_eq!(b["purposes"][0]["grant-months"], 6);
    assert_eq!(problem(&get(s.addr, "/v1/banner?lang=en", None)), (404, "lang".into(), "banner-notice".into()));
    // A reference in a path may be percent-encoded (as `encodeURIComponent` does).
    for path in ["/v1/notices/ads+analytics:fr:v1", "/v1/notices/ads%2Banalytics%3Afr%3Av1"] {
        let n = get(s.addr, path, None);
        assert_eq!((n.status, n.json()[0]["reference"].as_str()), (200, Some("ads+analytics:fr:v1")), "{path}");
    }
    assert_eq!(problem(&get(s.addr, "/v1/banner", None)).0, 400);

    // Two visitors decide through the banner; the admin reads the day's counts.
    for (visitor, decision) in [("v-1", "grant"), ("v-2", "refuse")] {
        let receipt = json!({"subject": {"tag": "external", "val": visitor}, "purpose": "analytics",
            "decision": decision, "given-by": "subject", "channel": "cookie-banner",
            "notice": "ads+analytics:fr:v1", "gpc": false});
        assert_eq!(post(s.addr, "/v1/consent/receipts", None, &receipt).status, 200);
    }
    let rates = get(s.addr, "/v1/consent/rates?from=2026-02-01&to=2026-03-01", Some(&token));
    assert_eq!(rates.status, 200);
    assert_eq!(
        rates.json(),
        json!([{"day": "2026-03-01", "purpose": "analytics", "grants": 1, "refusals": 1, "withdrawals": 0}])
    );
    assert_eq!(problem(&get(s.addr, "/v1/consent/rates?from=2026-02-01&to=2026-03-01", None)).0, 401);
    let support = s.key("support");
    assert_eq!(problem(&get(s.addr, "/v1/consent/rates?from=2026-02-01&to=2026-03-01", Some(&support))).0, 403);
    let (status, field, rule) = problem(&get(s.addr, "/v1/consent/rates?from=2026-03-02&to=2026-03-01", Some(&token)));
    assert_eq!((status, field.as_str(), rule.as_str()), (422, "to", "not-before-from"));
}

#[test]
fn a_visitor_files_a_rights_request_through_the_form_and_proves_it_by_token() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let form = json!({"subject": {"tag": "email", "val": "Visiteur@Example.org"}, "kind": "access",
        "channel": "web-form", "lang": "fr", "details": "Une copie, merci.", "identity-verified": false});
    let r = post(s.addr, "/v1/requests", None, &form);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = r.json();
    assert_eq!(
        (got["id"].as_str(), got["state"].as_str(), got["subject"].as_str()),
        (Some("R-000001"), Some("awaiting-identity"), Some(""))
    );
    assert_eq!((got["email"].clone(), got["details"].clone()), (json!(null), json!(null)));
    // What only staff may ask: a request the shop says it verified, or by phone.
    for (k, v) in [("identity-verified", json!(true)), ("channel", json!("phone"))] {
        let mut bad = form.clone();
        bad[k] = v;
        assert_eq!(problem(&post(s.addr, "/v1/requests", None, &bad)).0, 401, "{k}");
    }
    // The token the outbox sends proves the request.
    let outbox = get(s.addr, "/v1/outbox?limit=10", Some(&token)).json()["messages"].clone();
    assert_eq!(outbox[0]["to"], "visiteur@example.org");
    let body = outbox[0]["body"].as_str().unwrap();
    let code = body.split_whitespace().find(|w| w.len() == 24 && w.chars().all(|c| c.is_ascii_alphanumeric())).unwrap();
    let r = post(s.addr, "/v1/requests/R-000001/steps", None, &json!({"tag": "verify-token", "val": code}));
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("in-progress")));
}
