//! The REST face through `fichier serve`'s server (hyper, wasmtime-wasi-http, one
//! instance per request) on loopback, spoken to by a raw HTTP/1.1 client, so every
//! byte of the request is the test's. Memory storage, pinned clock.

#![allow(clippy::unwrap_used)]

use fichier_tests::http::{Server, get, post, problem, raw, request};
use serde_json::json;

const NOW: &str = "2026-03-01T10:00:00Z";

fn setup_consent(s: &Server, token: &str) -> String {
    let r =
        post(s.addr, "/v1/purposes", Some(token), &json!({"id": "analytics", "kind": "cookie", "title": "Audience"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["declared-by"], json!({"id": format!("key:{}", &token[3..11]), "role": "admin"}));
    let r = post(
        s.addr,
        "/v1/notices",
        Some(token),
        &json!({"purposes": ["analytics"], "lang": "fr", "text": "Nous mesurons l'audience."}),
    );
    assert_eq!(r.status, 200);
    r.json()["reference"].as_str().unwrap().to_owned()
}

/// Global Privacy Control on the public status route (the GPC specification; our policy):
/// the request's `Sec-GPC: 1` reaches `consent.status-with-signals`, so an advertising
/// grant made before the signal was first seen answers `refused`; without the header,
/// `given`.
#[test]
fn the_status_route_passes_the_browsers_global_privacy_control_signal() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let r = post(
        s.addr,
        "/v1/purposes",
        Some(token.as_str()),
        &json!({"id": "ads", "kind": "advertising", "title": "Pub"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = post(
        s.addr,
        "/v1/notices",
        Some(token.as_str()),
        &json!({"purposes": ["ads"], "lang": "fr", "text": "Publicité."}),
    );
    let notice = r.json()["reference"].as_str().unwrap().to_owned();
    let grant = json!({
        "subject": {"tag": "external", "val": "banner-ads"}, "purpose": "ads", "decision": "grant",
        "given-by": "subject", "channel": "cookie-banner", "notice": notice, "gpc": false,
        "at": "2026-02-28T10:00:00Z"
    });
    // Granted the day before the signal is first seen (the server's clock is pinned).
    assert_eq!(post(s.addr, "/v1/consent/receipts", None, &grant).status, 200);
    let body = json!({"subject": {"tag": "external", "val": "banner-ads"}}).to_string();
    let json_h = ("Content-Type", "application/json");
    let r = request(s.addr, "POST", "/v1/consent/status", &[json_h], body.as_bytes());
    assert_eq!((r.status, &r.json()["purposes"][0]["state"]), (200, &json!("given")));
    let r = request(s.addr, "POST", "/v1/consent/status", &[json_h, ("Sec-GPC", "1")], body.as_bytes());
    assert_eq!(
        (r.status, &r.json()["purposes"][0]["state"]),
        (200, &json!("refused")),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["purposes"][0]["receipt"], serde_json::Value::Null);
    // The body can add the signal, not take the header's away.
    let with = json!({"subject": {"tag": "external", "val": "banner-ads"}, "signals": {"gpc": true}}).to_string();
    let r = request(s.addr, "POST", "/v1/consent/status", &[json_h], with.as_bytes());
    assert_eq!(r.json()["purposes"][0]["state"], "refused");
    let without = json!({"subject": {"tag": "external", "val": "banner-ads"}, "signals": {"gpc": false}}).to_string();
    let r = request(s.addr, "POST", "/v1/consent/status", &[json_h, ("Sec-GPC", "1")], without.as_bytes());
    assert_eq!(r.json()["purposes"][0]["state"], "refused");
}

#[test]
fn a_banner_receipt_takes_the_address_and_agent_from_the_request() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let notice = setup_consent(&s, &token);
    let receipt = json!({
        "subject": {"tag": "external", "val": "banner-7f3a"}, "purpose": "analytics", "decision": "grant",
        "given-by": "subject", "channel": "cookie-banner", "notice": notice, "gpc": false,
        "client-ip": "8.8.8.8", "user-agent": "forged"
    });
    // A client's own spin-client-addr is replaced by the host's view of the peer.
    let r = request(
        s.addr,
        "POST",
        "/v1/consent/receipts",
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", "Mozilla/5.0 (test)"),
            ("spin-client-addr", "9.9.9.9:1"),
        ],
        receipt.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = r.json();
    assert_eq!(got["ip-truncated"], "127.0.0.0");
    assert_eq!(got["recorded-by"]["role"], "public");
    use sha2::Digest;
    assert_eq!(got["user-agent-sha256"], hex::encode(sha2::Sha256::digest(b"Mozilla/5.0 (test)")));

    assert_eq!(got["gpc"], false);
    // The browser's Global Privacy Control header counts, whatever the body says.
    let mut second = receipt.clone();
    second["subject"] = json!({"tag": "external", "val": "banner-gpc"});
    let r = request(
        s.addr,
        "POST",
        "/v1/consent/receipts",
        &[("Content-Type", "application/json"), ("Sec-GPC", "1")],
        second.to_string().as_bytes(),
    );
    assert_eq!((r.status, &r.json()["gpc"]), (200, &json!(true)), "{}", String::from_utf8_lossy(&r.body));

    // The visitor reads its own banner id's status; not an e-mail's.
    let st = post(s.addr, "/v1/consent/status", None, &json!({"subject": {"tag": "external", "val": "banner-7f3a"}}));
    assert_eq!(st.status, 200);
    assert_eq!(st.json()["purposes"][0]["state"], "given");
    let r = post(s.addr, "/v1/consent/status", None, &json!({"subject": {"tag": "email", "val": "a@example.org"}}));
    assert_eq!(problem(&r), (401, "actor.role".into(), "role-permitted".into()));
    assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));

    // A keyed caller (the shop's back end relaying a checkout) gives the address itself.
    let mut relayed = receipt.clone();
    relayed["subject"] = json!({"tag": "email", "val": "a@example.org"});
    relayed["channel"] = json!("checkout");
    let auth = format!("Bearer {token}");
    let r = request(
        s.addr,
        "POST",
        "/v1/consent/receipts",
        // A back end's own headers are not the person's browser: its Sec-GPC is not theirs.
        &[("Content-Type", "application/json"), ("Authorization", &auth), ("Sec-GPC", "1")],
        relayed.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!((&r.json()["ip-truncated"], &r.json()["gpc"]), (&json!("8.8.8.0"), &json!(false)));
    let h = post(
        s.addr,
        "/v1/consent/history",
        Some(&token),
        &json!({"subject": {"tag": "email", "val": "a@example.org"}}),
    );
    assert_eq!(h.status, 200);
    assert_eq!(h.json().as_array().unwrap().len(), 1);
    let v = get(s.addr, "/v1/ledger/verify", Some(&token));
    assert_eq!(v.json()["ok"], true);
    assert_eq!(v.json()["receipts"], 3);
}

/// Consent across devices (issue 28): the shop's key mints a customer's reference; with it
/// the public records a banner choice for the customer (the address and agent from the
/// request, the device's banner id kept) and reads the choice in force; without it, or with
/// an altered one, nothing; the public cannot mint one.
#[test]
fn a_logged_in_customers_banner_goes_through_the_reference() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let notice = setup_consent(&s, &token);
    let anne = json!({"subject": {"tag": "email", "val": "anne@example.org"}});
    assert_eq!(problem(&post(s.addr, "/v1/consent/customer-references", None, &anne)).0, 401);
    let minted = post(s.addr, "/v1/consent/customer-references", Some(&token), &anne);
    assert_eq!(minted.status, 200, "{}", String::from_utf8_lossy(&minted.body));
    assert_eq!(minted.json()["expires-at"], "2026-03-02T10:00:00.000Z");
    let reference = minted.json()["token"].as_str().unwrap().to_owned();
    assert!(!reference.contains("anne"));

    let ask = json!({"customer": reference, "lang": "fr", "signals": null});
    let r = post(s.addr, "/v1/banner/choice", None, &ask);
    assert_eq!((r.status, r.json()), (200, json!(null)), "never asked");

    let input = json!({
        "subject": {"tag": "external", "val": "v-device-a"}, "purpose": "analytics", "decision": "refuse",
        "given-by": "subject", "channel": "cookie-banner", "notice": notice, "gpc": false, "client-ip": "8.8.8.8"
    });
    let mut body = input.clone();
    body["customer"] = json!(reference);
    let r = request(
        s.addr,
        "POST",
        "/v1/consent/receipts",
        &[("Content-Type", "application/json"), ("User-Agent", "Mozilla/5.0 (device A)")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = r.json();
    assert_eq!(
        (&got["banner"], &got["decision"], &got["ip-truncated"]),
        (&json!("v-device-a"), &json!("refuse"), &json!("127.0.0.0"))
    );
    let h = post(s.addr, "/v1/consent/history", Some(&token), &anne);
    assert_eq!(h.json()[0]["subject"], got["subject"], "the receipt is the customer's");

    let r = post(s.addr, "/v1/banner/choice", None, &ask);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"notice": notice, "at": "2026-03-01T10:00:00.000Z", "granted": [], "refused": ["analytics"]})
    );

    let mut altered = reference.clone();
    altered.replace_range(30..31, if &reference[30..31] == "A" { "B" } else { "A" });
    let bad = json!({"customer": altered, "lang": "fr", "signals": null});
    assert_eq!(
        problem(&post(s.addr, "/v1/banner/choice", None, &bad)),
        (422, "customer".into(), "token-matches".into())
    );
    let mut with_altered = input.clone();
    with_altered["customer"] = json!(altered);
    let r = post(s.addr, "/v1/consent/receipts", None, &with_altered);
    assert_eq!(problem(&r), (422, "customer".into(), "token-matches".into()));
    // Without a reference, the public cannot name the customer's subject id instead.
    let mut by_sid = input.clone();
    by_sid["subject"] = json!({"tag": "subject", "val": got["subject"]});
    let r = post(s.addr, "/v1/consent/receipts", None, &by_sid);
    assert_eq!(problem(&r), (422, "subject".into(), "banner-id".into()));
    assert_eq!(post(s.addr, "/v1/consent/history", Some(&token), &anne).json().as_array().unwrap().len(), 1);
}

/// A shop's form or checkout asks fichier which notice to show (and cite) for its
/// purposes, without a key: the component's rule, not the shop's.
#[test]
fn the_notice_for_some_purposes_is_public() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let notice = setup_consent(&s, &token);
    let r = post(s.addr, "/v1/notices/for", None, &json!({"purposes": ["analytics"], "lang": "fr"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (r.json()[0]["reference"].as_str(), r.json()[1].as_str()),
        (Some(notice.as_str()), Some("Nous mesurons l'audience."))
    );
    let r = post(s.addr, "/v1/notices/for", None, &json!({"purposes": ["analytics"], "lang": "en"}));
    assert_eq!(problem(&r), (404, "lang".into(), "notice-for".into()));
    let r = post(s.addr, "/v1/notices/for", None, &json!({"purposes": [], "lang": "fr"}));
    assert_eq!(problem(&r), (422, "purposes".into(), "non-empty".into()));
}

#[test]
fn keys_roles_and_revocation() {
    let s = Server::start(NOW);
    let admin_key = s.key("admin");
    let support = s.key("support");
    // No key, a malformed one, an unknown one: 401.
    assert_eq!(problem(&get(s.addr, "/v1/api-keys", None)), (401, "authorization".into(), "api-key".into()));
    // Without a key, a key holder's route says so before it reads the body (a broken body
    // would otherwise tell a stranger what the route expects).
    for body in [&b"{\"id\":"[..], br#"{"id":"a","kind":"cookie","title":"t","extra":1}"#] {
        let r = request(s.addr, "POST", "/v1/purposes", &[("Content-Type", "application/json")], body);
        assert_eq!(problem(&r), (401, "authorization".into(), "api-key".into()));
    }
    for bad in ["fk_nope", "Basic abc", &format!("{}0", &admin_key[..admin_key.len() - 1])] {
        let r = request(s.addr, "GET", "/v1/policy", &[("Authorization", bad)], b"");
        assert_eq!(problem(&r), (401, "authorization".into(), "api-key".into()), "{bad}");
    }
    // A support key reads the policy but may not manage keys.
    assert_eq!(get(s.addr, "/v1/policy", Some(&support)).status, 200);
    assert_eq!(problem(&get(s.addr, "/v1/api-keys", Some(&support))).0, 403);
    // Keys are created and revoked over HTTP by an admin; the secret is never listed.
    let r = post(s.addr, "/v1/api-keys", Some(&admin_key), &json!({"name": "crm sync", "role": "system"}));
    assert_eq!(r.status, 200);
    let (made, token) = (r.json()[0].clone(), r.json()[1].as_str().unwrap().to_owned());
    assert_eq!(get(s.addr, "/v1/subjects?limit=5", Some(&token)).status, 200);
    let listed = get(s.addr, "/v1/api-keys", Some(&admin_key));
    assert!(!String::from_utf8_lossy(&listed.body).contains(&token[12..]));
    let id = made["id"].as_str().unwrap();
    let r = request(
        s.addr,
        "POST",
        &format!("/v1/api-keys/{id}/revoke"),
        &[("Authorization", &format!("Bearer {admin_key}"))],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(problem(&get(s.addr, "/v1/subjects", Some(&token))), (401, "authorization".into(), "api-key".into()));
}

/// A key's role is checked before the request's body or query is read, for every route
/// (from the component's role table): a key whose role may never call the route is told
/// so (`403`, the function's own refusal) and learns nothing of what the route takes,
/// where it was told `400`/`422` naming the field and the rule.
#[test]
fn a_role_is_refused_before_the_input_is_read() {
    let s = Server::start(NOW);
    let admin = s.key("admin");
    let keys = [("dpo", s.key("dpo")), ("support", s.key("support")), ("system", s.key("system"))];
    let key = |role: &str| keys.iter().find(|(r, _)| *r == role).map(|(_, k)| k.clone()).unwrap();
    let send = |method: &str, path: &str, token: &str, body: &[u8]| {
        let auth = format!("Bearer {token}");
        let mut h = vec![("Authorization", auth.as_str())];
        if !body.is_empty() {
            h.push(("Content-Type", "application/json"));
        }
        request(s.addr, method, path, &h, body)
    };
    // (role, method, path, what the role may not do); each with two bad inputs.
    let refused = [
        ("support", "POST", "/v1/api-keys", "manage API keys"),
        ("dpo", "POST", "/v1/api-keys", "manage API keys"),
        ("support", "PUT", "/v1/policy", "change the policy"),
        ("support", "POST", "/v1/purposes", "declare a purpose"),
        ("support", "POST", "/v1/retention/sweep", "run the retention sweep"),
        ("support", "POST", "/v1/subjects/erase", "erase a person"),
        ("support", "POST", "/v1/breaches", "change the breach register"),
        ("support", "POST", "/v1/customers/merge", "merge customer records"),
        ("support", "POST", "/v1/imports", "import customers"),
        ("system", "POST", "/v1/requests/search", "read rights requests"),
        ("system", "POST", "/v1/registry/activities", "change the record of processing activities"),
        ("system", "POST", "/v1/subjects/export", "export a person's data"),
        ("support", "GET", "/v1/audit/entries?limit=lots", "read or verify the audit log"),
        ("support", "GET", "/v1/subjects?limit=lots", "list subjects"),
        ("support", "GET", "/v1/consent/rates?from=yesterday", "read consent statistics"),
        ("dpo", "GET", "/v1/outbox?limit=lots", "read or acknowledge the outbox"),
    ];
    for (role, method, path, what) in refused {
        let bodies: [&[u8]; 2] =
            if method == "GET" { [b"", b""] } else { [b"{\"name\":", br#"{"zzz-not-a-field": 1}"#] };
        for body in bodies {
            // An admin is told what is wrong with the input: it is wrong.
            let r = send(method, path, &admin, body);
            assert!(matches!(r.status, 400 | 422), "{method} {path} by admin: {r:?}");
            // The role that may never call the route is told only that.
            let r = send(method, path, &key(role), body);
            assert_eq!(problem(&r), (403, "actor.role".into(), "role-permitted".into()), "{role} {method} {path}");
            assert_eq!(r.json()["detail"], format!("the {role} role may not {what}"), "{method} {path}");
        }
    }
    // Every route, every key: a refusal is the role's, never the input's; nothing is 5xx.
    let routes =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../component/guest/src/routes.txt")).unwrap();
    let mut refusals = 0;
    for line in routes.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let path = cols[1].split('/').map(|seg| if seg.starts_with('{') { "x" } else { seg }).collect::<Vec<_>>();
        let path = format!("{}?limit=lots&cursor=%00&from=x&to=x&after=x&format=x&lang=x&target=x", path.join("/"));
        for (role, token) in &keys {
            let r = send(cols[0], &path, token, if cols[0] == "GET" { b"" } else { b"{\"a\":" });
            assert!(r.status < 500, "{} {path} by {role}: {r:?}", cols[0]);
            if r.status == 403 {
                assert_eq!(problem(&r), (403, "actor.role".into(), "role-permitted".into()), "{line} by {role}");
                refusals += 1;
            }
        }
    }
    assert!(refusals > 40, "only {refusals} refusals");
}

/// An error quotes at most 64 characters of what the caller sent, wherever it quotes it
/// (a JSON key the type does not have, at any depth; a notice reference in the path): a
/// megabyte key used to come back twice, in `field` and in `detail`.
#[test]
fn an_error_quotes_at_most_64_characters_of_the_input() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let key = "k".repeat(1 << 20);
    let cut = format!("{}…", "k".repeat(63));
    let with_key = |mut v: serde_json::Value, at: &[&str]| {
        let mut o = &mut v;
        for k in at {
            o = &mut o[*k];
        }
        o[key.as_str()] = json!(1);
        v
    };
    let purpose = json!({"id": "a", "kind": "cookie", "title": "t"});
    let status = json!({"subject": {"tag": "email", "val": "a@example.org"}});
    let policy = json!({"country": "FR", "minor-ages": [], "default-minor-age": 15, "validity": [],
        "max-future-skew-seconds": 0, "reverify": [], "time-zone": "Europe/Paris", "audit-retention-days": 365,
        "opposition-months": 36});
    for (method, path, body, field) in [
        ("POST", "/v1/purposes", with_key(purpose, &[]), cut.clone()),
        ("POST", "/v1/consent/status", with_key(status.clone(), &["subject"]), format!("subject.{cut}")),
        ("POST", "/v1/consent/status", with_key(status, &[]), cut.clone()),
        ("PUT", "/v1/policy", with_key(policy, &[]), cut.clone()),
    ] {
        let auth = format!("Bearer {token}");
        let headers = [("Content-Type", "application/json"), ("Authorization", auth.as_str())];
        let r = request(s.addr, method, path, &headers, body.to_string().as_bytes());
        assert_eq!(problem(&r), (422, field, "unknown-field".into()), "{method} {path}");
        assert!(r.body.len() < 1024, "{method} {path}: {} bytes", r.body.len());
    }
    // A reference of 2 000 characters that names no notice: the detail quotes 64.
    let reference = format!("{}:fr:v1", vec!["a"; 997].join("+"));
    let r = get(s.addr, &format!("/v1/notices/{reference}"), Some(&token));
    assert_eq!(problem(&r), (404, "reference".into(), "registered-notice".into()));
    let detail = r.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(&format!("{}…", &reference[..63])) && detail.len() < 200, "{detail}");
}

/// `HEAD` answers wherever `GET` does, with the same status and headers and no body:
/// every `GET` route of the table, the files, the OpenAPI document, GPC's resource.
/// `405` lists it beside `GET`, and not where there is no `GET`.
#[test]
fn head_answers_every_get_route_with_its_headers_and_no_body() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let auth = format!("Bearer {token}");
    let routes =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../component/guest/src/routes.txt")).unwrap();
    let mut paths: Vec<String> = routes
        .lines()
        .filter(|l| l.starts_with("GET "))
        .map(|l| {
            let path = l.split_whitespace().nth(1).unwrap();
            path.split('/').map(|seg| if seg.starts_with('{') { "x" } else { seg }).collect::<Vec<_>>().join("/")
        })
        .collect();
    paths.extend(
        ["/admin", "/banner.js", "/openapi.json", "/.well-known/gpc.json", "/v1/banner?lang=fr"].map(String::from),
    );
    for path in &paths {
        for accept in ["gzip", "identity"] {
            let headers = [("Authorization", auth.as_str()), ("Accept-Encoding", accept)];
            let get = request(s.addr, "GET", path, &headers, b"");
            let head = request(s.addr, "HEAD", path, &headers, b"");
            assert_eq!(head.status, get.status, "HEAD {path}: {head:?}");
            assert!(head.body.is_empty(), "HEAD {path}: {} bytes of body", head.body.len());
            let without_date = |r: &fichier_tests::http::Resp| {
                r.headers.iter().filter(|(k, _)| k != "date").cloned().collect::<Vec<_>>()
            };
            assert_eq!(without_date(&head), without_date(&get), "HEAD {path} ({accept})");
            assert_eq!(head.header("content-length"), Some(get.body.len().to_string().as_str()), "HEAD {path}");
        }
    }
    // Where there is no GET, HEAD is not allowed either, and is not offered.
    let r = request(s.addr, "HEAD", "/v1/consent/receipts", &[], b"");
    assert_eq!((r.status, r.header("allow"), r.body.len()), (405, Some("POST"), 0));
}

/// Method, path, headers, body, and the expected (status, field, rule).
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Vec<u8>, (u16, &'a str, &'a str));

#[test]
fn bad_requests_are_problems_naming_the_field_and_rule() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let auth = format!("Bearer {token}");
    let json_h: [(&str, &str); 2] = [("Content-Type", "application/json"), ("Authorization", &auth)];
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let cases: Vec<Case> = vec![
        ("POST", "/v1/purposes", json_h.to_vec(), b"{\"id\":".to_vec(), (400, "body", "json")),
        (
            "POST",
            "/v1/purposes",
            vec![("Content-Type", "text/plain"), ("Authorization", &auth)],
            b"{}".to_vec(),
            (415, "content-type", "application/json"),
        ),
        (
            "POST",
            "/v1/purposes",
            json_h.to_vec(),
            br#"{"id":"a","kind":"cookie","title":"t","extra":1}"#.to_vec(),
            (422, "extra", "unknown-field"),
        ),
        (
            "POST",
            "/v1/purposes",
            json_h.to_vec(),
            br#"{"id":"a","kind":"nope","title":"t"}"#.to_vec(),
            (422, "kind", "one-of:service|marketing|cookie|advertising|email-tracking"),
        ),
        (
            "POST",
            "/v1/purposes",
            json_h.to_vec(),
            br#"{"id":"a","kind":"cookie"}"#.to_vec(),
            (422, "title", "required"),
        ),
        (
            "POST",
            "/v1/purposes",
            json_h.to_vec(),
            br#"{"id":"Bad Id!","kind":"cookie","title":"t"}"#.to_vec(),
            (422, "id", "purpose-id-syntax"),
        ),
        (
            "POST",
            "/v1/consent/status",
            json_h.to_vec(),
            br#"{"subject":{"tag":"email","val":5}}"#.to_vec(),
            (422, "subject.val", "type:string"),
        ),
        (
            "POST",
            "/v1/consent/status",
            json_h.to_vec(),
            br#"{"subject":{"tag":"phone","val":"x"}}"#.to_vec(),
            (422, "subject.tag", "one-of:email|external|subject"),
        ),
        ("POST", "/v1/consent/status", json_h.to_vec(), deep.into_bytes(), (400, "body", "max-depth")),
        ("POST", "/v1/minimisation/text", json_h.to_vec(), br#"[1,2]"#.to_vec(), (422, "", "type:object")),
        ("GET", "/v1/subjects?limit=abc", vec![("Authorization", &auth)], vec![], (400, "limit", "type:integer")),
        ("GET", "/v1/subjects?limit=99999999999", vec![("Authorization", &auth)], vec![], (400, "limit", "range:u32")),
        ("GET", "/v1/nothing-here", vec![], vec![], (404, "path", "known-route")),
        ("GET", "/etc/passwd", vec![], vec![], (404, "path", "known-route")),
        ("DELETE", "/v1/purposes", vec![], vec![], (405, "method", "allowed-method")),
        ("POST", "/v1/ledger/anchors", json_h.to_vec(), b"{}".to_vec(), (400, "body", "empty")),
        (
            "GET",
            "/v1/notices/..%2F..%2Fkeys",
            vec![("Authorization", &auth)],
            vec![],
            (422, "reference", "notice-reference-syntax"),
        ),
        (
            "GET",
            "/v1/imports/..%2F..%2Fetc%2Fpasswd",
            vec![("Authorization", &auth)],
            vec![],
            (422, "session", "session-id-syntax"),
        ),
    ];
    for (method, path, headers, body, want) in cases {
        let r = request(s.addr, method, path, &headers, &body);
        let (status, field, rule) = problem(&r);
        assert_eq!(
            (status, field.as_str(), rule.as_str()),
            want,
            "{method} {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // Nothing was written by any of them.
    assert_eq!(get(s.addr, "/v1/purposes", Some(&token)).json(), json!([]));
}

#[test]
fn large_bodies_are_refused_before_or_while_reading() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let auth = format!("Bearer {token}");
    let big = vec![b' '; 10 << 20];
    // Declared: the host answers before the component runs.
    let r = request(
        s.addr,
        "POST",
        "/v1/purposes",
        &[("Content-Type", "application/json"), ("Authorization", &auth)],
        &big,
    );
    assert_eq!(problem(&r), (413, "body".into(), "max-bytes".into()));
    // Streamed without a length: the component stops reading at its limit.
    let mut req = format!(
        "POST /v1/purposes HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Authorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.chunks(1 << 20) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = raw(s.addr, &req);
    assert_eq!(problem(&r), (413, "body".into(), "max-bytes".into()));
}

#[test]
fn malformed_requests_and_header_tricks() {
    let s = Server::start(NOW);
    // A NUL in a header value: refused by the HTTP layer, the component never runs.
    let r = raw(s.addr, b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 400);
    // A CRLF smuggled into a value cannot add a header to the response: the response's
    // headers are the component's own, never built from request text.
    let r = request(s.addr, "GET", "/v1/health", &[("X-Name", "a\r\nSet-Cookie: evil=1")], b"");
    assert!(r.header("set-cookie").is_none(), "{r:?}");
    // Responses say what they are and are not cached or sniffed.
    let r = get(s.addr, "/v1/health", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn csv_exports_over_http_neutralise_formulas() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let r = post(s.addr, "/v1/registry/shop-defaults", Some(&token), &json!(null));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut a = get(s.addr, "/v1/registry/activities/newsletter", Some(&token)).json()["definition"].clone();
    if a.is_null() {
        // The defaults name their activities differently: take the first one.
        a = get(s.addr, "/v1/registry/activities", Some(&token)).json()[0]["definition"].clone();
    }
    a["name"]["fr"] = json!("=cmd|' /C calc'!A0");
    let r = post(s.addr, "/v1/registry/activities", Some(&token), &a);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = get(s.addr, "/v1/registry/export?format=csv&lang=fr", Some(&token));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let csv = String::from_utf8(r.body).unwrap();
    assert!(csv.contains("'=cmd|' /C calc'!A0") && !csv.contains(",=cmd") && !csv.contains("\"=cmd"), "{csv}");
    let r = get(s.addr, "/v1/registry/export?format=pdf&lang=fr", Some(&token));
    assert_eq!(problem(&r), (400, "format".into(), "one-of:json|csv|html".into()));
}

#[test]
fn public_routes_answer_the_shops_origins_only() {
    let s = Server::start_with(NOW, &[("shop_origins", "https://boutique.example, https://www.boutique.example/")]);
    let token = s.key("admin");
    let notice = setup_consent(&s, &token);
    let receipt = json!({
        "subject": {"tag": "external", "val": "banner-1"}, "purpose": "analytics", "decision": "refuse",
        "given-by": "subject", "channel": "cookie-banner", "notice": notice, "gpc": true
    })
    .to_string();
    let send = |origin: &str| {
        request(
            s.addr,
            "POST",
            "/v1/consent/receipts",
            &[("Content-Type", "application/json"), ("Origin", origin)],
            receipt.as_bytes(),
        )
    };
    // The shop's origin: answered, with the CORS headers for it.
    let r = send("https://www.boutique.example");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("access-control-allow-origin"), Some("https://www.boutique.example"));
    assert_eq!(r.header("vary"), Some("origin"));
    // Another site's page: refused, nothing recorded.
    let r = send("https://evil.example");
    assert_eq!(problem(&r), (403, "origin".into(), "shop-origin".into()));
    assert!(r.header("access-control-allow-origin").is_none());
    // The server's own pages (same origin as the Host) are the shop's too.
    assert_eq!(send("http://localhost").status, 200);
    // The preflight: the public methods of the path, for the shop's origins only.
    let pre = |origin: &str| {
        request(
            s.addr,
            "OPTIONS",
            "/v1/consent/receipts",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            b"",
        )
    };
    let ok = pre("https://boutique.example");
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(ok.header("access-control-allow-headers"), Some("content-type"));
    assert_eq!(pre("https://evil.example").status, 403);
    // Admin routes get no CORS headers, whatever the origin.
    let r = request(
        s.addr,
        "GET",
        "/v1/policy",
        &[("Origin", "https://boutique.example"), ("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
    // The ledger holds the two receipts that were answered 200.
    let v = get(s.addr, "/v1/ledger/verify", Some(&token)).json();
    assert_eq!(v["receipts"], 2);
}

/// Global Privacy Control's well-known resource says the site honours the signal.
#[test]
fn the_site_says_it_honours_global_privacy_control() {
    let s = Server::start(NOW);
    let r = get(s.addr, "/.well-known/gpc.json", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"gpc": true, "lastUpdate": "2026-12-06"}));
    let r = request(s.addr, "POST", "/.well-known/gpc.json", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
}

/// The rate limit's settings are checked, not silently replaced by their defaults: a
/// deployment that gives one wrong hears of it on the first public request.
#[test]
fn a_rate_setting_that_is_wrong_is_named() {
    for (setting, value) in [
        ("public_rate_per_minute", "lots"),
        ("public_rate_per_minute", "0"),
        ("public_rate_ipv6_prefix", "sixty-four"),
        ("public_rate_ipv6_prefix", "16"),
    ] {
        let s = Server::start_with(NOW, &[(setting, value)]);
        let r = get(s.addr, "/v1/purposes", None);
        assert_eq!(problem(&r), (500, format!("config:{setting}"), "range".into()), "{setting}={value}");
        // A keyed caller is not counted, so not stopped.
        let token = s.key("admin");
        assert_eq!(get(s.addr, "/v1/purposes", Some(&token)).status, 200);
    }
    let s = Server::start_with(NOW, &[("public_rate_ipv6_prefix", "48")]);
    assert_eq!(get(s.addr, "/v1/purposes", None).status, 200);
}

#[test]
fn the_public_is_rate_limited_per_address_without_keeping_it() {
    let s = Server::start_with(NOW, &[("public_rate_per_minute", "3")]);
    let token = s.key("admin");
    let status = || post(s.addr, "/v1/consent/status", None, &json!({"subject": {"tag": "external", "val": "b-9"}}));
    for _ in 0..3 {
        assert_eq!(status().status, 200);
    }
    let r = status();
    assert_eq!(problem(&r), (429, "client".into(), "rate-limit".into()));
    // A sliding minute: at 10:01:00 the three of 10:00 still count whole; from 10:01:20
    // they weigh 40/60 × 3 = 2, and one more passes.
    assert_eq!(r.header("retry-after"), Some("80"));
    // Keyed callers are not counted; the health check is not either.
    for _ in 0..5 {
        assert_eq!(get(s.addr, "/v1/policy", Some(&token)).status, 200);
        assert_eq!(get(s.addr, "/v1/health", None).status, 200);
    }
    // Guessing keys counts too: over the limit, a wrong key is 429 before any check.
    let r = request(s.addr, "GET", "/v1/policy", &[("Authorization", "Bearer fk_00000000_00")], b"");
    assert_eq!(problem(&r).0, 429);
    // Not at the next minute's start, as fixed windows let it; when Retry-After said.
    s.rt.clock().set("2026-03-01T10:01:19Z").unwrap();
    assert_eq!(problem(&status()).0, 429);
    s.rt.clock().set("2026-03-01T10:01:20Z").unwrap();
    assert_eq!(status().status, 200);
    // The address is never stored in clear.
    let kv = s.rt.kv();
    for label in ["default", "keys"] {
        let mut cursor: Option<String> = None;
        loop {
            let keys = kv.list_after(label, cursor.as_deref()).unwrap();
            let Some(last) = keys.last().cloned() else { break };
            for k in &keys {
                let v = kv.get(label, k).unwrap().map(|(_, v)| v).unwrap_or_default();
                assert!(!String::from_utf8_lossy(&v).contains("127.0.0.1") && !k.contains("127.0.0.1"), "{label}/{k}");
            }
            cursor = Some(last);
        }
    }
}

/// `405` names the methods that serve the path (`Allow`), from the route table built into
/// the component: a literal segment beats a placeholder, and CORS offers only the public ones.
#[test]
fn a_wrong_method_is_told_the_methods_of_its_path() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let auth = format!("Bearer {token}");
    for (path, allow) in [
        ("/v1/purposes", "GET, HEAD, POST"),
        // `requests/search` is its own route, not `requests/{id}` (GET).
        ("/v1/requests/search", "POST"),
        ("/v1/requests/q-1", "GET, HEAD"),
        ("/v1/requests/q-1/steps", "POST"),
        ("/v1/notices/n-1", "GET, HEAD"),
        ("/v1/notices/for", "POST"),
    ] {
        let r = request(s.addr, "DELETE", path, &[("Authorization", &auth)], b"");
        assert_eq!(problem(&r), (405, "method".into(), "allowed-method".into()), "{path}");
        assert_eq!(r.header("allow"), Some(allow), "{path}");
    }
    // The preflight offers the public methods only: GET /v1/purposes is public, POST is not.
    let r = request(
        s.addr,
        "OPTIONS",
        "/v1/purposes",
        &[("Origin", "http://localhost"), ("Access-Control-Request-Method", "GET")],
        b"",
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
}

#[path = "../../component/domain/benches/support/sample_rows.rs"]
mod sample_rows;

/// A request whose instance runs past the runtime's deadline is interrupted (epoch) and
/// answered `503` (`timeout`, `deadline`), as one past the server's own timeout; its
/// writes are not kept.
#[test]
fn a_request_past_the_deadline_is_interrupted_and_answered_503() {
    let rt = std::sync::Arc::new(
        fichier_host::RuntimeBuilder::new(std::sync::Arc::new(fichier_host::kv::MemoryKv::new(&["default", "keys"])))
            .config(vec![("master_key".into(), fichier_tests::TEST_KEY.into())])
            .clock(fichier_host::Clock::pinned(NOW).unwrap())
            .cache_dir(Some(fichier_tests::cache_dir()))
            .deadline(Some(std::time::Duration::from_millis(50)))
            .build()
            .unwrap(),
    );
    let s = Server::serving(rt);
    let token = s.key("admin");
    let purpose = json!({"id": "orders", "kind": "service", "title": "Commandes"});
    assert_eq!(post(s.addr, "/v1/purposes", Some(&token), &purpose).status, 200);
    let options = json!({
        "name": "t.csv", "file-sha256": "0".repeat(64), "mapping": [], "encoding": "utf8", "delimiter": ",",
        "default-purposes": ["orders"], "default-basis": "contract"
    });
    let r = post(s.addr, "/v1/imports", Some(&token), &options);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // 6 000 customers take ~300 ms in the component: past the 50–60 ms the deadline gives.
    let csv = sample_rows::woocommerce_csv(6000);
    let auth = format!("Bearer {token}");
    let r = request(
        s.addr,
        "POST",
        &format!("/v1/imports/{id}/chunks?offset=0&last=true"),
        &[("Authorization", &auth), ("Content-Type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(problem(&r), (503, String::new(), "deadline".into()));
    let r = get(s.addr, "/v1/customers?limit=10", Some(&token));
    assert_eq!(r.json()["customers"], json!([]), "{}", String::from_utf8_lossy(&r.body));
}

/// A client that stops sending is not waited for: headers not finished within
/// `header_timeout` close the connection; a body not finished within `timeout` is
/// answered `503` (`deadline`) without running the component.
#[test]
fn a_stalled_client_is_cut_off_at_the_limits() {
    use std::io::{Read, Write};
    let rt = Server::start(NOW).rt.clone();
    let opts = fichier_host::serve::ServeOptions {
        timeout: std::time::Duration::from_millis(300),
        header_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let s = Server::serving_with(rt, opts);
    let open = || {
        let c = std::net::TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        c
    };
    // Half a request line and nothing more: closed, no answer to a request never made.
    let mut c = open();
    c.write_all(b"POST /v1/purposes HTTP/1.1\r\nHost: loc").unwrap();
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "not cut off");
    assert!(!got.starts_with(b"HTTP/1.1 2"), "{}", String::from_utf8_lossy(&got));
    // Headers, then 10 of the 100 bytes promised.
    let mut c = open();
    c.write_all(b"POST /v1/purposes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\": \"a\"")
        .unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    let r = fichier_tests::http::parse(&got);
    assert_eq!(problem(&r), (503, String::new(), "deadline".into()));
    // Nothing was declared.
    let token = s.key("admin");
    assert_eq!(get(s.addr, "/v1/purposes", Some(&token)).json(), json!([]));
}

/// Spin appends its `spin-client-addr` after the headers the client sent (so does
/// `fichier serve`): a client that sends its own first chooses neither its rate-limit
/// bucket nor the address its receipt records.
#[test]
fn a_client_cannot_choose_its_address() {
    let s = Server::start_with(NOW, &[("public_rate_per_minute", "120")]);
    let status = |n: u32| {
        let body = json!({"subject": {"tag": "external", "val": "b-9"}}).to_string();
        let made_up = format!("203.0.{}.{}:4444", n / 250, n % 250);
        request(
            s.addr,
            "POST",
            "/v1/consent/status",
            &[("spin-client-addr", made_up.as_str()), ("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    let answers: Vec<u16> = (0..130).map(|n| status(n).status).collect();
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 120, "{answers:?}");
    assert!(answers[120..].iter().all(|s| *s == 429), "{answers:?}");
}

/// A deployment with no command line into its store (Spin) gets its first admin key with
/// a token minted offline (`fichier api-key mint`), whose SHA-256 is a secret setting:
/// the token is an admin until the store holds an admin key, then refused.
#[test]
fn the_bootstrap_token_makes_the_first_admin_key_then_stops() {
    use sha2::Digest;
    let token = format!("fk_c0ffee00_{}", "ab".repeat(32));
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let s = Server::start_with(NOW, &[("bootstrap_admin_sha256", hash.as_str())]);
    assert_eq!(get(s.addr, "/v1/api-keys", Some("fk_c0ffee00_00")).status, 401);
    assert_eq!(get(s.addr, "/v1/api-keys", Some(&token)).status, 200);
    let r = post(s.addr, "/v1/api-keys", Some(&token), &json!({"name": "back office", "role": "admin"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()[0]["created-by"], "bootstrap:c0ffee00");
    let admin_token = r.json()[1].as_str().unwrap().to_owned();
    assert_eq!(get(s.addr, "/v1/api-keys", Some(&admin_token)).status, 200);
    assert_eq!(problem(&get(s.addr, "/v1/api-keys", Some(&token))).0, 401);

    // An empty setting (Spin's default for an unset variable) is no bootstrap; a malformed
    // one is a 500 naming it.
    let s = Server::start_with(NOW, &[("bootstrap_admin_sha256", "")]);
    assert_eq!(get(s.addr, "/v1/api-keys", Some(&token)).status, 401);
    let s = Server::start_with(NOW, &[("bootstrap_admin_sha256", "not-a-hash")]);
    let r = get(s.addr, "/v1/api-keys", Some(&token));
    assert_eq!(problem(&r), (500, "config:bootstrap_admin_sha256".into(), "sha256-hex".into()));
}

/// Concurrent public requests from one client (the banner sends one receipt per purpose
/// at once) write the same rate-limit counter, often the very same bytes: each is a
/// concurrent write to retry, not a store fault. Under `fichier serve`'s grouped store,
/// which runs requests concurrently, every one is answered 200.
#[test]
fn concurrent_public_receipts_from_one_client_all_land() {
    use fichier_host::kv::GroupedKv;
    let dir = tempfile::tempdir().unwrap();
    let kv = std::sync::Arc::new(GroupedKv::open(&dir.path().join("shop.db")).unwrap());
    let rt = fichier_tests::runtime_with(kv, fichier_host::Clock::pinned(NOW).unwrap(), fichier_tests::TEST_KEY);
    let s = Server::serving(std::sync::Arc::new(rt));
    let token = s.key("admin");
    let notice = setup_consent(&s, &token);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let notice = notice.clone();
                let addr = s.addr;
                scope.spawn(move || {
                    (0..6)
                        .map(|n| {
                            let body = json!({
                                "subject": {"tag": "external", "val": format!("visitor-{n}")},
                                "purpose": "analytics", "receipt-id": format!("r-{t}-{n}"),
                                "decision": "grant", "given-by": "subject", "channel": "cookie-banner",
                                "notice": notice, "gpc": false
                            });
                            let r = post(addr, "/v1/consent/receipts", None, &body);
                            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                            r.status
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.len(), 48);
}

/// A request head over the limits is answered with a problem naming the limit, whatever
/// its size (a bare 431 from the parser before), and a request that is not HTTP too.
#[test]
fn an_oversized_target_or_header_section_is_a_problem() {
    use fichier_host::serve::{MAX_FIELDS, MAX_HEAD, MAX_TARGET};
    let s = Server::start(NOW);
    // At the limit, the request is served; one byte over, 414; far over, still 414.
    let at = format!("/v1/purposes?{}", "a".repeat(MAX_TARGET - "/v1/purposes?".len()));
    assert_eq!(get(s.addr, &at, None).status, 200);
    for extra in [1, 100_000] {
        let over = format!("{at}{}", "a".repeat(extra));
        let r = get(s.addr, &over, None);
        assert_eq!(problem(&r), (414, "target".into(), "max-bytes".into()));
        assert!(r.body.len() < 512, "the target is not echoed: {} bytes", r.body.len());
    }
    // One header over the section's limit, small or large.
    // Past the parser's buffer (1 MiB) the parser answers: its empty 431 is replaced.
    for size in [MAX_HEAD + 1, 200_000, 900_000, 1_500_000] {
        let big = "b".repeat(size);
        let r = request(s.addr, "GET", "/v1/purposes", &[("X-Big", &big)], b"");
        assert_eq!(problem(&r), (431, "headers".into(), "max-bytes".into()), "{size}");
        assert!(r.body.len() < 512);
    }
    // Too many fields.
    let names: Vec<String> = (0..MAX_FIELDS).map(|i| format!("X-F{i}")).collect();
    let fields: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let r = request(s.addr, "GET", "/v1/purposes", &fields, b"");
    assert_eq!(problem(&r), (431, "headers".into(), "max-fields".into()));
    // Within the limits, a request with many fields is served.
    let r = request(s.addr, "GET", "/v1/purposes", &fields[..MAX_FIELDS - 5], b"");
    assert_eq!(r.status, 200);
    // Not HTTP: the parser's empty 400 becomes a problem.
    let r = raw(s.addr, b"GET /v1/purposes HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n");
    assert_eq!(problem(&r), (400, "request".into(), "http-syntax".into()));
}

/// Issue 24: a visitor naming an e-mail neither writes in that person's history nor learns
/// whether the address is known. A sign-up waits for the code its mail carries (double
/// opt-in); a withdrawal takes the mail's one-click unsubscribe token (RFC 8058); every
/// answer is the same `202`.
#[test]
fn consent_by_e_mail_goes_through_the_mail_and_answers_the_same_for_every_address() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let r = post(
        s.addr,
        "/v1/purposes",
        Some(&token),
        &json!({"id": "newsletter", "kind": "marketing", "title": "Lettre"}),
    );
    assert_eq!(r.status, 200);
    let r = post(
        s.addr,
        "/v1/notices",
        Some(&token),
        &json!({"purposes": ["newsletter"], "lang": "fr", "text": "Lettre."}),
    );
    let notice = r.json()["reference"].as_str().unwrap().to_owned();
    let grant = |email: &str| {
        json!({"subject": {"tag": "email", "val": email}, "purpose": "newsletter", "decision": "grant",
            "given-by": "subject", "channel": "web-form", "notice": notice, "gpc": false})
    };
    // The shop's back end knew Anne (checkout); the form's visitor does not know that.
    let mut checkout = grant("anne@example.org");
    checkout["channel"] = json!("checkout");
    let r = post(s.addr, "/v1/consent/receipts", Some(&token), &checkout);
    assert_eq!(r.status, 200);
    // The direct public path refuses an e-mail, whatever the decision.
    let mut withdraw = grant("anne@example.org");
    withdraw["decision"] = json!("withdraw");
    for body in [grant("anne@example.org"), withdraw] {
        let r = post(s.addr, "/v1/consent/receipts", None, &body);
        assert_eq!(problem(&r), (422, "subject".into(), "email-confirmed-by-mail".into()));
    }
    // A sign-up answers the same for a known and an unknown address.
    let known = post(s.addr, "/v1/consent/sign-ups", None, &grant("anne@example.org"));
    let unknown = post(s.addr, "/v1/consent/sign-ups", None, &grant("zoe@example.org"));
    assert_eq!((known.status, unknown.status), (202, 202), "{}", String::from_utf8_lossy(&known.body));
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.json(), json!({"outcome": "confirmation-sent"}));
    // Zoé's code is in the outbox; confirming records her grant, once.
    let page = get(s.addr, "/v1/outbox?limit=10", Some(&token)).json();
    let mail = page["messages"].as_array().unwrap().iter().find(|m| m["to"] == "zoe@example.org").unwrap().clone();
    assert_eq!(mail["kind"], "consent-confirmation");
    let code = mail["body"].as_str().unwrap().split_whitespace().find(|w| w.len() > 26 && w.contains('-')).unwrap();
    let r = request(s.addr, "POST", &format!("/v1/consent/confirm/{code}"), &[], b"");
    assert_eq!((r.status, r.json()), (202, json!({"outcome": "confirmed"})));
    let r = request(s.addr, "POST", &format!("/v1/consent/confirm/{code}"), &[], b"");
    assert_eq!(problem(&r), (422, "token".into(), "token-matches".into()));
    let h = post(
        s.addr,
        "/v1/consent/history",
        Some(&token),
        &json!({"subject": {"tag": "email", "val": "zoe@example.org"}}),
    );
    let h = h.json();
    assert_eq!(
        (h[0]["decision"].as_str(), h[0]["notice"]["reference"].as_str()),
        (Some("grant"), Some(notice.as_str()))
    );
    // The shop mints the unsubscribe link of its mails; the visitor may not.
    let body = json!({"subject": {"tag": "email", "val": "anne@example.org"}, "purpose": "newsletter"});
    assert_eq!(post(s.addr, "/v1/consent/unsubscribe-links", None, &body).status, 401);
    let link = post(s.addr, "/v1/consent/unsubscribe-links", Some(&token), &body);
    assert_eq!(link.status, 200);
    let unsubscribe = link.json().as_str().unwrap().to_owned();
    // The mail client's one-click POST (RFC 8058): a form body, no key.
    let one_click = |t: &str| {
        request(
            s.addr,
            "POST",
            &format!("/v1/unsubscribe/{t}"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click",
        )
    };
    let r = one_click(&unsubscribe);
    assert_eq!((r.status, r.json()), (202, json!({"outcome": "withdrawn"})));
    let h = post(
        s.addr,
        "/v1/consent/history",
        Some(&token),
        &json!({"subject": {"tag": "email", "val": "anne@example.org"}}),
    );
    let last = h.json().as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["decision"].as_str(), last["channel"].as_str()), (Some("withdraw"), Some("email-link")));
    let forged = format!("{}A", &unsubscribe[..unsubscribe.len() - 1]);
    let forged = if forged == unsubscribe { format!("{}B", &unsubscribe[..unsubscribe.len() - 1]) } else { forged };
    assert_eq!(problem(&one_click(&forged)).2, "token-matches");
}

/// Issue 28: the mails' tracking pixel answers the same 1×1 GIF, never cached, for every
/// token — valid, forged, of no consent, of a withdrawn one, not even base64 — and the open
/// counts only while the person's consent to the measuring and to the newsletter stands;
/// the unsubscribe link of the mail stops the count of that very mail.
#[test]
fn the_pixel_answers_the_same_image_for_every_token_and_counts_only_while_consent_stands() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    for p in [
        json!({"id": "newsletter", "kind": "marketing", "title": "Lettre"}),
        json!({"id": "newsletter-opens", "kind": "email-tracking", "title": "Ouvertures", "serves": "newsletter"}),
    ] {
        assert_eq!(post(s.addr, "/v1/purposes", Some(&token), &p).status, 200);
    }
    let mut notices = Vec::new();
    for p in ["newsletter", "newsletter-opens"] {
        let r = post(s.addr, "/v1/notices", Some(&token), &json!({"purposes": [p], "lang": "fr", "text": p}));
        notices.push(r.json()["reference"].as_str().unwrap().to_owned());
    }
    let grant = |email: &str, purpose: &str, notice: &str| {
        let body = json!({"subject": {"tag": "email", "val": email}, "purpose": purpose, "decision": "grant",
            "given-by": "subject", "channel": "checkout", "notice": notice, "gpc": false});
        assert_eq!(post(s.addr, "/v1/consent/receipts", Some(&token), &body).status, 200);
    };
    grant("anne@example.org", "newsletter", &notices[0]);
    grant("anne@example.org", "newsletter-opens", &notices[1]);
    grant("bob@example.org", "newsletter", &notices[0]);
    let links = |email: &str| {
        let body = json!({"subject": {"tag": "email", "val": email}, "campaign": "spring-26", "purpose": "newsletter"});
        assert_eq!(post(s.addr, "/v1/consent/mail-links", None, &body).status, 401, "the public mints nothing");
        let r = post(s.addr, "/v1/consent/mail-links", Some(&token), &body);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let anne = links("anne@example.org");
    let bob = links("bob@example.org");
    let anne_pixel = anne["pixel"]["path"].as_str().unwrap().to_owned();
    assert!(!anne_pixel.contains("anne") && !anne_pixel.contains("example"), "no personal data in the URL");
    let opens = || get(s.addr, "/v1/consent/opens?from=2026-03-01&to=2026-03-31", Some(&token)).json();
    let fetch = |path: &str| request(s.addr, "GET", path, &[], b"");
    let first = fetch(&anne_pixel);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("image/gif"));
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert_eq!(&first.body[..6], b"GIF89a");
    assert_eq!((first.body[6], first.body[8]), (1, 1), "1×1");
    assert_eq!(opens(), json!([{"day": "2026-03-01", "campaign": "spring-26", "opens": 1}]));

    let mut forged = anne_pixel.clone().into_bytes();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let same = |r: &fichier_tests::http::Resp, what: &str| {
        assert_eq!(r.status, 200, "{what}");
        assert_eq!(r.body, first.body, "{what}: the same bytes");
        for h in ["content-type", "cache-control", "content-length"] {
            assert_eq!(r.header(h), first.header(h), "{what}: {h}");
        }
    };
    // HEAD: the same headers, nothing counted.
    let head = request(s.addr, "HEAD", &anne_pixel, &[], b"");
    assert_eq!((head.status, head.header("content-type")), (200, Some("image/gif")));
    assert_eq!(head.header("cache-control"), Some("no-store"));
    assert!(head.body.is_empty());
    same(&fetch(bob["pixel"]["path"].as_str().unwrap()), "no consent to the measuring");
    same(&fetch(&forged), "a forged token");
    same(&fetch("/t/not*base64.gif"), "not base64");
    same(&fetch("/t/.gif"), "empty");
    assert_eq!(opens(), json!([{"day": "2026-03-01", "campaign": "spring-26", "opens": 1}]), "none of them counted");

    // Anne follows her mail's unsubscribe link: her later opens of the same mail are not counted.
    let r = request(s.addr, "POST", anne["unsubscribe"]["path"].as_str().unwrap(), &[], b"");
    assert_eq!(r.status, 202);
    same(&fetch(&anne_pixel), "after the withdrawal");
    assert_eq!(opens(), json!([{"day": "2026-03-01", "campaign": "spring-26", "opens": 1}]));
    let r = request(s.addr, "POST", &anne_pixel, &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));

    // The subscribers to ask: Bob, with the cut-over date.
    let page = get(s.addr, "/v1/consent/tracking-to-ask?purpose=newsletter&limit=100", Some(&token)).json();
    assert_eq!((page["cutover"].as_str(), page["subjects"].as_array().map(Vec::len)), (Some("2026-07-14"), Some(1)));
}

/// The duplicates report pages over HTTP (`?cursor=&limit=`): one candidate pair a page,
/// the cursor resuming after it; a missing or out-of-range limit is a problem naming it.
#[test]
fn the_duplicates_report_pages_with_a_cursor() {
    let s = Server::start(NOW);
    let token = s.key("admin");
    let r =
        post(s.addr, "/v1/purposes", Some(&token), &json!({"id": "orders", "kind": "service", "title": "Commandes"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for who in ["anne@example.org", "bruno@example.org", "chloe@example.org"] {
        let field = |name: &str, value: &str| {
            json!({"name": name, "value": value, "category": null, "purposes": ["orders"], "basis": "contract",
                   "source": null, "collected-at": null, "verified-at": null})
        };
        let body = json!({"subject": {"tag": "email", "val": who}, "fields": [field("email", who), field("phone", "0612345678")]});
        let r = post(s.addr, "/v1/customers", Some(&token), &body);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let (mut cursor, mut pairs, mut pages) = (String::new(), 0, 0);
    loop {
        let r = get(s.addr, &format!("/v1/customers/duplicates?limit=1{cursor}"), Some(&token));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        pairs += page["pairs"].as_array().unwrap().len();
        pages += 1;
        match page["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!((pairs, pages), (3, 3), "three records sharing a phone: three pairs, one a page");
    let r = get(s.addr, "/v1/customers/duplicates", Some(&token));
    assert_eq!(problem(&r).1, "limit");
    let r = get(s.addr, "/v1/customers/duplicates?limit=0", Some(&token));
    assert_eq!((problem(&r).1, problem(&r).2), ("limit".into(), "range-1-100000".into()));
}
