//! `fichier scan` against a real headless Chromium (Debian's `chromium`; the test fails,
//! never skips, without it): the demo shop served by `fichier serve --demo` is clean,
//! and a deliberately leaky page served here (beside the same banner) has each of its
//! planted leaks found by the right rule, and nothing else. Everything is on loopback:
//! the page on 127.0.0.1, a pixel host on 127.0.0.2, an undeclared collector on
//! 127.0.0.3; `--offline` resolves no other name.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Output};
use std::sync::Arc;

use serde_json::Value;

/// A fixed clock for the served component (the browser keeps its own).
const NOW: &str = "2026-11-02T10:00:00Z";

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `fichier serve --demo` on a free loopback port; `shop`: a page origin its banner
/// serves too (the setting `shop_origins`).
fn serve_demo(dir: &Path, shop: Option<&str>) -> (Killed, String) {
    let mut cmd = support::pinned(dir, NOW);
    if let Some(origin) = shop {
        std::fs::write(dir.join("settings.json"), serde_json::json!({"shop_origins": origin}).to_string()).unwrap();
        cmd.args(["--settings", "settings.json"]);
    }
    cmd.args(["--db", "shop.db", "serve", "--demo", "--addr", "127.0.0.1:0"]);
    let (child, addr) = support::serving(cmd);
    (Killed(child), addr)
}

/// A tiny HTTP server on `ip`: `/` and `/page2` answer `page`, anything else an empty
/// 204 (the pixel, the collector). Answers its address.
fn static_server(ip: &str, page: String) -> String {
    let l = TcpListener::bind((ip, 0)).expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    serve_static(l, page);
    addr
}

fn serve_static(l: TcpListener, page: String) {
    let page = Arc::new(page);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let page = Arc::clone(&page);
            std::thread::spawn(move || answer(s, &page));
        }
    });
}

fn answer(mut s: TcpStream, page: &str) {
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut first = String::new();
    if r.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
            break;
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/" | "/page2" => ("200 OK", page),
        _ => ("204 No Content", ""),
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.flush();
    let _ = s.shutdown(std::net::Shutdown::Write);
}

/// The leaky shop: the real banner from `fichier`, and around it
/// - an advertising cookie (declared for `ads`) written by a script outside the gate;
/// - a Matomo-like audience cookie left ungated as "exempt" but kept 25 months;
/// - a pixel on 127.0.0.2 (declared for `ads`) loaded once any choice exists, refused too;
/// - held for `analytics`: a cookie of two years, and a call to 127.0.0.3, declared by no
///   purpose.
fn leaky_page(fichier: &str, pixel: &str, collector: &str) -> String {
    let pixel_host = pixel.split(':').next().unwrap();
    format!(
        r##"<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Boutique qui fuit</title>
<script src="http://{fichier}/banner.js" data-cookies-analytics="_leak_analytics" data-cookies-ads="_leak_ads" data-recipients-ads="{pixel_host}"></script>
<script>
  document.cookie = '_leak_ads=adsvalue0001; path=/';
  document.cookie = '_pk_id.1.leak=pkvalue0001; path=/; max-age=' + 25 * 31 * 86400;
  if (/(^|; )fichier_consent=/.test(document.cookie)) new Image().src = 'http://{pixel}/pixel.gif';
</script>
</head>
<body>
<h1>Boutique qui fuit</h1>
<p><a href="/page2">Page 2</a> · <a href="#" data-fichier-open>Gérer mes cookies</a></p>
<script type="text/plain" data-category="analytics">
  document.cookie = '_leak_analytics=anvalue0001; path=/; max-age=' + 2 * 366 * 86400;
  new Image().src = 'http://{collector}/collect';
</script>
</body>
</html>
"##
    )
}

fn scan(dir: &Path, url: &str, extra: &[&str]) -> (Output, Value, String) {
    let out = support::keyed(dir)
        .args(["scan", url, "--offline", "--json-file", "scan.json", "--html", "scan.html"])
        .args(extra)
        .output()
        .expect("run fichier scan");
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "the scan did not run ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.join("scan.json")).expect("scan.json")).expect("scan.json is JSON");
    let html = std::fs::read_to_string(dir.join("scan.html")).expect("scan.html");
    (out, json, html)
}

fn states(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The cookie names seen in `state`.
fn cookies_in(report: &Value, state: &str) -> BTreeSet<String> {
    report["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == state)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_demo_shop_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = serve_demo(dir.path(), None);
    let url = format!("http://{addr}/");
    let (out, report, html) = scan(dir.path(), &url, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(report["findings"], serde_json::json!([]), "{stdout}");
    assert!(stdout.contains("findings: 0 error(s), 0 warning(s), 0 info"), "{stdout}");
    // The four states were reached through the banner's own controls.
    let clicks: Vec<(&str, &str)> = report["clicks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["control"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        clicks,
        [
            ("Tout refuser", "refused"),
            ("Tout accepter", "accepted"),
            ("Gérer mes cookies", "accepted"),
            ("Tout refuser", "withdrawn")
        ]
    );
    // What the browser really did: nothing before the choice, the choice's cookie after
    // a refusal, the held analytics tag (cookie and collector) only after acceptance.
    assert_eq!(cookies_in(&report, "before"), set(&[]));
    assert_eq!(cookies_in(&report, "refused"), set(&["fichier_consent"]));
    assert_eq!(cookies_in(&report, "accepted"), set(&["_demo_analytics", "fichier_consent"]));
    assert_eq!(cookies_in(&report, "withdrawn"), set(&["fichier_consent"]));
    let third: BTreeSet<(String, String)> = report["third_party_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["state"].as_str().unwrap().to_owned(), r["host"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(third, BTreeSet::from([("accepted".to_owned(), "analytics.example".to_owned())]));
    // Its query (the page's path) is not in the report.
    assert!(report["third_party_requests"][0]["url"] == "https://analytics.example/collect");
    // The same-origin link was followed (the admin page).
    assert_eq!(report["pages"], serde_json::json!([url, format!("http://{addr}/admin")]));
    assert!(report["browser"].as_str().unwrap().starts_with("Chrome/"));
    assert_eq!(report["fichier_version"], env!("CARGO_PKG_VERSION"));
    assert!(html.contains(report["browser"].as_str().unwrap()));
    assert!(html.contains(report["started_at"].as_str().unwrap()));
    assert!(html.contains(&url));
    assert!(html.contains("Aucun constat"));
}

/// A register activity recording `ads`, whose external recipient names `host`.
fn advertising_activity(host: &str) -> Value {
    serde_json::json!({
        "id": "advertising",
        "name": {"fr": "Publicité ciblée", "en": "Targeted advertising"},
        "joint-controller": null,
        "purposes": [{"id": "ads", "description": {"fr": "Publicités personnalisées", "en": "Personalised ads"},
                      "basis": "consent", "legitimate-interest": null, "provision": null}],
        "subjects": [{"tag": "visitors"}],
        "data": [{"category": "other", "description": {"fr": "Identifiant publicitaire", "en": "Advertising id"}, "sensitive": false}],
        "recipients": [{"name": {"fr": format!("Régie publicitaire ({host})"), "en": null}, "internal": false}],
        "transfers": [],
        "retention": [{"category": "other", "months": 13, "start": "collection", "action": "delete", "legal-hold": null}],
        "security": [{"tag": "access-control"}],
        "automated-decisions": null
    })
}

#[test]
fn every_planted_leak_is_found_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let shop_listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let shop = shop_listener.local_addr().unwrap().to_string();
    let (_server, fichier) = serve_demo(dir.path(), Some(&format!("http://{shop}")));
    let pixel = static_server("127.0.0.2", String::new());
    let collector = static_server("127.0.0.3", String::new());
    serve_static(shop_listener, leaky_page(&fichier, &pixel, &collector));
    let url = format!("http://{shop}/");
    // The register (another store, read by --register): one activity records `ads` and
    // names the pixel's host among its recipients; none records `analytics`.
    let pixel_host = pixel.split(':').next().unwrap();
    std::fs::write(dir.path().join("activity.json"), advertising_activity(pixel_host).to_string()).unwrap();
    let put = support::pinned(dir.path(), NOW)
        .args(["--db", "register.db", "registry", "put", "activity.json"])
        .output()
        .unwrap();
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
    let (out, report, html) = scan(dir.path(), &url, &["--db", "register.db", "--register"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "an error-level finding exits 4: {stdout}");
    let found: BTreeSet<(String, String, String, BTreeSet<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
                states(&f["states"]),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, BTreeSet<String>)> = [
        ("cookie-before-choice", "_leak_ads @ 127.0.0.1", &["before"][..]),
        ("cookie-after-refusal", "_leak_ads @ 127.0.0.1", &["refused", "withdrawn"][..]),
        (
            "audience-exemption-not-met",
            "_pk_id.1.leak @ 127.0.0.1",
            &["accepted", "before", "refused", "withdrawn"][..],
        ),
        ("third-party-after-refusal", pixel_host, &["refused", "withdrawn"][..]),
        ("lifetime-over-13-months", "_leak_analytics @ 127.0.0.1", &["accepted"][..]),
        ("undeclared-third-party", "127.0.0.3", &["accepted"][..]),
    ]
    .into_iter()
    .map(|(rule, subject, st)| ("error".to_owned(), rule.to_owned(), subject.to_owned(), set(st)))
    .chain([
        ("warning".to_owned(), "purpose-not-in-register".to_owned(), "analytics".to_owned(), set(&[])),
        ("warning".to_owned(), "third-party-not-in-register".to_owned(), "127.0.0.3".to_owned(), set(&["accepted"])),
    ])
    .collect();
    assert_eq!(found, expected, "{stdout}");
    // Each finding cites its source; the exemption names the condition it fails.
    for f in report["findings"].as_array().unwrap() {
        assert!(f["source"].as_str().unwrap().contains("CNIL") || f["source"].as_str().unwrap().contains("GDPR"));
        if f["rule"] == "audience-exemption-not-met" {
            assert_eq!(f["evidence"]["failed"], serde_json::json!(["lifetime over 13 months"]));
        }
    }
    // No cookie value in any report.
    for value in ["adsvalue0001", "pkvalue0001", "anvalue0001"] {
        assert!(!stdout.contains(value) && !html.contains(value));
        assert!(!report.to_string().contains(value));
    }
    assert!(html.contains("cookie-after-refusal") && html.contains("_leak_ads @ 127.0.0.1"));
}

#[test]
fn a_missing_browser_is_named_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::keyed(dir.path())
        .args(["scan", "http://127.0.0.1:9/", "--chromium", "/nonexistent/chromium"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the browser `/nonexistent/chromium` was not found"), "{err}");
    let out = support::keyed(dir.path()).args(["scan", "ftp://127.0.0.1/"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(rule: http-url)"));
    // --register needs a store: none is created.
    let out = support::keyed(dir.path())
        .args(["--db", "none.db", "scan", "http://127.0.0.1:9/", "--register"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--register: there is no store at none.db"));
    assert!(!dir.path().join("none.db").exists());
}
