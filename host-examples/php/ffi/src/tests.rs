//! The ABI's error paths and a round trip, through the exported functions as C calls them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// The error a call left in `err` (and free it).
fn take(err: *mut c_char) -> Value {
    assert!(!err.is_null(), "expected an error");
    // SAFETY: a string this library returned.
    let s = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
    unsafe { fichier_string_free(err) };
    serde_json::from_str(&s).unwrap()
}

fn open_err(config: &CStr) -> Value {
    let mut err = std::ptr::null_mut();
    let h = unsafe { fichier_open(config.as_ptr(), &mut err) };
    assert!(h.is_null());
    take(err)
}

fn cache() -> String {
    // The precompiled-component cache the workspace's tests share (target/fichier-cwasm).
    format!("{}/../../../target/fichier-cwasm", env!("CARGO_MANIFEST_DIR"))
}

fn memory_handle() -> *mut Handle {
    let cfg = json!({"db": ":memory:", "master_key": KEY, "clock": "2026-03-01T10:00:00Z", "cache_dir": cache()});
    let mut err = std::ptr::null_mut();
    let h = unsafe { fichier_open(c(&cfg.to_string()).as_ptr(), &mut err) };
    assert!(err.is_null(), "{}", take(err));
    assert!(!h.is_null());
    h
}

#[test]
fn open_refuses_null_bad_utf8_bad_json_and_bad_keys() {
    let mut err = std::ptr::null_mut();
    assert!(unsafe { fichier_open(std::ptr::null(), &mut err) }.is_null());
    let e = take(err);
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("config"), Some("required")));

    let bad = CString::new(vec![b'{', 0xff, b'}']).unwrap();
    let e = open_err(&bad);
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("config"), Some("utf-8")));

    let e = open_err(&c("{not json"));
    assert_eq!(e["rule"], "json");
    let e = open_err(&c("[]"));
    assert_eq!(e["rule"], "object");
    let e = open_err(&c(r#"{"db": ":memory:", "dbb": 1}"#));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("dbb"), Some("unknown-key")));
    let e = open_err(&c(r#"{}"#));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("db"), Some("required")));
    let e = open_err(&c(r#"{"db": ":memory:", "master_key": "abc"}"#));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("master_key"), Some("hex-256")));
    let cfg = json!({"db": ":memory:", "master_key": KEY, "settings": {"master_key": KEY}});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("settings.master_key"), Some("secret")));
    let cfg = json!({"db": ":memory:", "master_key": KEY, "settings": {"shop_origins": 3}});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("settings.shop_origins"), Some("type")));
    let cfg = json!({"db": ":memory:", "master_key": KEY, "clock": "yesterday"});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("clock"), Some("rfc3339")));
    let cfg = json!({"db": "/nonexistent-dir/sub/f.db", "master_key": KEY});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("db"), Some("openable")));
    // A null error pointer is allowed: the caller only learns that it failed.
    assert!(unsafe { fichier_open(std::ptr::null(), std::ptr::null_mut()) }.is_null());
}

#[test]
fn a_database_server_url_is_refused_by_name_and_never_shows_its_password() {
    // Malformed: refused before anything is opened.
    for (db, said) in [
        ("mysql://shop:s3cret@localhost/shop?pool=0", "pool must be 1 to 256"),
        ("mysql://shop:s3cret@localhost/shop?prefix=wp-", "prefix must be"),
        ("postgres://shop:s3cret@[::1/shop", "not a URL"),
    ] {
        let e = open_err(&c(&json!({"db": db, "master_key": KEY}).to_string()));
        assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("db"), Some("url")), "{db}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(said), "{db}: {message}");
        assert!(!message.contains("s3cret"), "{db}: the password is shown: {message}");
    }
    // Well formed, but no server answers there: refused as not openable, password hidden.
    let cfg = json!({"db": "mysql://shop:s3cret@127.0.0.1:1/shop?timeout_ms=500", "master_key": KEY});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("db"), Some("openable")), "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("mysql://shop:***@127.0.0.1:1/shop"), "{message}");
    assert!(!message.contains("s3cret"), "the password is shown: {message}");
    // keys_db: a server URL, and only beside a server db.
    let cfg = json!({"db": ":memory:", "keys_db": "mysql://k:s3cret@localhost/keys", "master_key": KEY});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("keys_db"), Some("server-db")));
    let cfg = json!({"db": "mysql://shop@localhost/shop", "keys_db": "/var/lib/keys.db", "master_key": KEY});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("keys_db"), Some("url")));
    let cfg = json!({"db": "mysql://shop@localhost/shop", "keys_db": "mysql://k:s3cret@localhost/keys?pool=x", "master_key": KEY});
    let e = open_err(&c(&cfg.to_string()));
    assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("keys_db"), Some("url")));
    assert!(!e["message"].as_str().unwrap().contains("s3cret"));
}

#[test]
fn calls_refuse_null_handles_and_bad_arguments() {
    let mut err = std::ptr::null_mut();
    let r = unsafe {
        fichier_http(
            std::ptr::null_mut(),
            c("GET").as_ptr(),
            c("/").as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            0,
            &mut err,
        )
    };
    assert!(r.is_null());
    assert_eq!(take(err)["field"], "handle");
    let mut err = std::ptr::null_mut();
    let out = unsafe {
        fichier_invoke(std::ptr::null_mut(), c("consent").as_ptr(), c("x").as_ptr(), c("[]").as_ptr(), &mut err)
    };
    assert!(out.is_null());
    assert_eq!(take(err)["rule"], "required");
    // Freeing NULL is a no-op.
    unsafe {
        fichier_close(std::ptr::null_mut());
        fichier_response_free(std::ptr::null_mut());
        fichier_string_free(std::ptr::null_mut());
    }
}

#[test]
fn a_memory_handle_serves_calls_and_requests_and_reports_bad_input() {
    let h = memory_handle();
    let actor = c(r#"[{"id": "t", "role": "admin"}]"#);
    let mut err = std::ptr::null_mut();
    let out =
        unsafe { fichier_invoke(h, c("consent").as_ptr(), c("list-purposes").as_ptr(), actor.as_ptr(), &mut err) };
    assert!(!out.is_null());
    let v: Value = serde_json::from_str(unsafe { CStr::from_ptr(out) }.to_str().unwrap()).unwrap();
    unsafe { fichier_string_free(out) };
    assert_eq!(v, json!({"ok": []}));

    for (args, rule) in [("{", "json"), ("{}", "json-array"), ("[1, 2, 3]", "bad-call")] {
        let mut err = std::ptr::null_mut();
        let out = unsafe {
            fichier_invoke(h, c("consent").as_ptr(), c("list-purposes").as_ptr(), c(args).as_ptr(), &mut err)
        };
        assert!(out.is_null());
        assert_eq!(take(err)["rule"], rule, "{args}");
    }
    let mut err = std::ptr::null_mut();
    let out = unsafe { fichier_invoke(h, c("consent").as_ptr(), c("no-such").as_ptr(), actor.as_ptr(), &mut err) };
    assert!(out.is_null());
    assert_eq!(take(err)["rule"], "bad-call");

    let http = |method: &str, path: &str, headers: Option<&str>, body: &[u8]| {
        let mut err = std::ptr::null_mut();
        let hs = headers.map(c);
        let r = unsafe {
            fichier_http(
                h,
                c(method).as_ptr(),
                c(path).as_ptr(),
                hs.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                std::ptr::null(),
                body.as_ptr().cast(),
                body.len(),
                &mut err,
            )
        };
        if r.is_null() {
            return Err(take(err));
        }
        let resp = unsafe { &*r };
        let headers: Value =
            serde_json::from_str(&unsafe { std::ffi::CStr::from_ptr(resp.headers_json) }.to_string_lossy()).unwrap();
        // An empty body is a null pointer (the ABI's contract).
        let body = if resp.body_len == 0 {
            Vec::new()
        } else {
            unsafe { std::slice::from_raw_parts(resp.body.cast::<u8>(), resp.body_len) }.to_vec()
        };
        let out = (resp.status, headers, body);
        unsafe { fichier_response_free(r) };
        Ok(out)
    };
    let (status, get_headers, body) = http("GET", "/v1/purposes", None, b"").unwrap();
    assert_eq!((status, body.as_slice()), (200, b"[]".as_slice()));
    // HEAD: GET's status and headers (its content-length too), no body.
    assert_eq!(http("HEAD", "/v1/purposes", None, b"").unwrap(), (200, get_headers, Vec::new()));
    assert_eq!(http("GET", "v1/purposes", None, b"").unwrap_err()["rule"], "request-target");
    assert_eq!(http("G T", "/v1/purposes", None, b"").unwrap_err()["field"], "method");
    assert_eq!(http("GET", "/", Some("{"), b"").unwrap_err()["rule"], "json-pairs");
    assert_eq!(http("GET", "/", Some(r#"[["a b", "c"]]"#), b"").unwrap_err()["rule"], "token");
    let big = vec![b'x'; DEFAULT_MAX_BODY + 1];
    let (status, _, body) = http("POST", "/v1/purposes", None, &big).unwrap();
    assert_eq!(status, 413);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["rule"], "max-bytes");

    let mut err = std::ptr::null_mut();
    assert_eq!(unsafe { fichier_set_clock(h, c("not a time").as_ptr(), &mut err) }, 0);
    assert_eq!(take(err)["field"], "clock");
    assert_eq!(unsafe { fichier_set_clock(h, c("2026-04-01T00:00:00Z").as_ptr(), std::ptr::null_mut()) }, 1);
    unsafe { fichier_close(h) };
}

/// A deterministic generator (xorshift64*) for the mutation test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Flip, drop, duplicate or insert bytes of a valid input (never a NUL: C strings).
    fn mutate(&mut self, valid: &[u8]) -> Vec<u8> {
        const SPICE: &[u8] = b"{}[]\",:\\\r\n \x7f\xc3\xff0-9eE.%/";
        let mut v = valid.to_vec();
        for _ in 0..1 + self.below(4) {
            if v.is_empty() {
                v.push(b'{');
            }
            let i = self.below(v.len());
            match self.below(5) {
                0 => v[i] ^= 1 << self.below(8),
                1 => v.truncate(i),
                2 => {
                    let tail = v[i..].to_vec();
                    v.extend_from_slice(&tail[..tail.len().min(64)]);
                }
                3 => v.insert(i, SPICE[self.below(SPICE.len())]),
                _ => v[i] = SPICE[self.below(SPICE.len())],
            }
        }
        for b in &mut v {
            if *b == 0 {
                *b = b' ';
            }
        }
        v
    }

    /// A value of another type or shape.
    fn json_variant(&mut self) -> Value {
        match self.below(10) {
            0 => Value::Null,
            1 => json!(0),
            2 => json!(-1),
            3 => json!(u64::MAX),
            4 => json!(""),
            5 => json!("x"),
            6 => json!([]),
            7 => json!({}),
            8 => json!(true),
            _ => json!("é\u{7f}\r\n".repeat(self.below(300))),
        }
    }

    /// Remove, add or change one member somewhere in a JSON document.
    fn mutate_value(&mut self, v: &mut Value) {
        match v {
            Value::Object(o) if !o.is_empty() && self.below(4) != 0 => {
                let k = o.keys().nth(self.below(o.len())).cloned().unwrap();
                match self.below(4) {
                    0 => {
                        o.remove(&k);
                    }
                    1 => {
                        let extra = self.json_variant();
                        o.insert(format!("{k}x"), extra);
                    }
                    _ => self.mutate_value(o.get_mut(&k).unwrap()),
                }
            }
            Value::Array(a) if !a.is_empty() && self.below(4) != 0 => {
                let i = self.below(a.len());
                self.mutate_value(&mut a[i]);
            }
            other => *other = self.json_variant(),
        }
    }

    /// A JSON input mutated as bytes (mostly not JSON any more) or as a document (JSON
    /// that the ABI's validation must refuse by name, or take).
    fn mutate_json(&mut self, valid: &str) -> Vec<u8> {
        if self.below(2) == 0 {
            return self.mutate(valid.as_bytes());
        }
        let mut v: Value = serde_json::from_str(valid).unwrap();
        self.mutate_value(&mut v);
        v.to_string().into_bytes().into_iter().map(|b| if b == 0 { b' ' } else { b }).collect()
    }
}

/// A refusal names a field and a rule, and is never a caught panic.
fn assert_typed(e: &Value, what: &str) {
    assert!(e["field"].is_string() && e["rule"].is_string(), "{what}: {e}");
    assert_ne!(e["rule"], "panic", "{what}: {e}");
}

/// The ABI's decoders (the configuration, the request's method, target, headers and
/// client address, a call's arguments) take mutated input: each is served or refused with
/// a named field and rule, never a panic. (Stable counterpart of a fuzz run.)
#[test]
fn mutated_configurations_requests_and_arguments_are_served_or_refused_by_name() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // (served, refused) per decoder: both must happen, or the mutations test nothing.
    let mut tally = [(0, 0); 3];
    let cache = cache();
    let config = json!({"db": ":memory:", "master_key": KEY, "clock": "2026-03-01T10:00:00Z", "cache_dir": cache,
                        "settings": {"shop_origins": "https://shop.example"}, "pooling": false, "max_body": 65536})
    .to_string();
    for _ in 0..300 {
        let m = rng.mutate_json(&config);
        // Only configurations that stay in memory: a mutated path would create files.
        if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(&m)
            && (o.get("db").is_some_and(|d| d != ":memory:")
                || o.contains_key("key_file")
                || o.get("cache_dir").is_some_and(|d| d != &json!(cache)))
        {
            continue;
        }
        let cs = CString::new(m).unwrap();
        let mut err = std::ptr::null_mut();
        let h = unsafe { fichier_open(cs.as_ptr(), &mut err) };
        if h.is_null() {
            assert_typed(&take(err), &format!("open {cs:?}"));
            tally[0].1 += 1;
        } else {
            unsafe { fichier_close(h) };
            tally[0].0 += 1;
        }
    }

    let h = memory_handle();
    let requests: [(&str, &str, &str, &str, &[u8]); 4] = [
        ("GET", "/v1/purposes?x=1", r#"[["accept", "application/json"]]"#, "192.0.2.1:5", b""),
        (
            "POST",
            "/v1/consent/receipts",
            r#"[["content-type", "application/json"], ["origin", "https://shop.example"]]"#,
            "2001:db8::1",
            br#"{"subject": {"tag": "external", "val": "v"}, "purpose": "p"}"#,
        ),
        ("GET", "/banner.js", r#"[["if-none-match", "\"abc\""]]"#, "127.0.0.1", b""),
        ("PUT", "/v1/policy", r#"[["authorization", "Bearer fk_x"]]"#, "10.0.0.1:80", b"{}"),
    ];
    for _ in 0..400 {
        let (method, path, headers, addr, body) = requests[rng.below(requests.len())];
        let mut parts = [
            method.as_bytes().to_vec(),
            path.as_bytes().to_vec(),
            headers.as_bytes().to_vec(),
            addr.as_bytes().to_vec(),
            body.to_vec(),
        ];
        let which = rng.below(parts.len());
        parts[which] = if which == 2 { rng.mutate_json(headers) } else { rng.mutate(&parts[which]) };
        let [m, p, hs, a, b] = parts.map(|x| CString::new(x).unwrap());
        let mut err = std::ptr::null_mut();
        let b = b.as_bytes();
        let r = unsafe {
            fichier_http(h, m.as_ptr(), p.as_ptr(), hs.as_ptr(), a.as_ptr(), b.as_ptr().cast(), b.len(), &mut err)
        };
        if r.is_null() {
            assert_typed(&take(err), &format!("http {m:?} {p:?} {hs:?} {a:?}"));
            tally[1].1 += 1;
        } else {
            let status = unsafe { (*r).status };
            assert!((100..600).contains(&status), "{status}");
            unsafe { fichier_response_free(r) };
            tally[1].0 += 1;
        }
    }

    let args = r#"[{"id": "t", "role": "admin"}, {"id": "newsletter", "kind": "marketing", "title": "Lettre", "validity-months": 12}]"#;
    for _ in 0..300 {
        let a = CString::new(rng.mutate_json(args)).unwrap();
        let mut err = std::ptr::null_mut();
        let out =
            unsafe { fichier_invoke(h, c("consent").as_ptr(), c("declare-purpose").as_ptr(), a.as_ptr(), &mut err) };
        if out.is_null() {
            assert_typed(&take(err), &format!("invoke {a:?}"));
            tally[2].1 += 1;
        } else {
            let v: Value = serde_json::from_str(unsafe { CStr::from_ptr(out) }.to_str().unwrap()).unwrap();
            unsafe { fichier_string_free(out) };
            assert!(v.get("ok").is_some() || v["err"]["tag"].is_string(), "{v}");
            tally[2].0 += 1;
        }
    }
    unsafe { fichier_close(h) };
    println!("(served, refused): open {:?}, http {:?}, invoke {:?}", tally[0], tally[1], tally[2]);
    assert!(tally.iter().all(|&(served, refused)| served > 3 && refused > 10), "{tally:?}");
}

/// The per-call cost in the Rust host with the same build as the library PHP loads (the
/// reference for bench/bench.php's figures): `cargo test -p fichier-php -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn rust_side_per_call_cost() {
    fn median(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    }
    fn time(label: &str, mut f: impl FnMut(usize)) {
        for i in 0..200 {
            f(i);
        }
        let mut t = Vec::with_capacity(2000);
        for i in 0..2000 {
            let s = std::time::Instant::now();
            f(200 + i);
            t.push(s.elapsed().as_secs_f64() * 1e6);
        }
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        println!("{label:<52} median {:>8.1} µs  mean {:>8.1} µs", median(t), mean);
    }
    let h = memory_handle();
    let handle = unsafe { &*h };
    let admin = json!({"id": "bench", "role": "admin"});
    let ok = |r: Result<Value, CallError>| assert!(r.expect("call").get("ok").is_some());
    ok(handle.rt.invoke_batched(
        "consent",
        "declare-purpose",
        &[admin.clone(), json!({"id": "newsletter", "kind": "marketing", "title": "Lettre", "validity-months": null})],
    ));
    ok(handle.rt.invoke_batched(
        "consent",
        "register-notice",
        &[admin.clone(), json!({"purposes": ["newsletter"], "lang": "fr", "text": "Texte."})],
    ));
    time("Runtime::invoke_batched consent.list-purposes", |_| {
        ok(handle.rt.invoke_batched("consent", "list-purposes", std::slice::from_ref(&admin)))
    });
    let args = c(&json!([admin]).to_string());
    time("fichier_invoke consent.list-purposes (C ABI)", |_| {
        let out = unsafe {
            fichier_invoke(h, c("consent").as_ptr(), c("list-purposes").as_ptr(), args.as_ptr(), std::ptr::null_mut())
        };
        assert!(!out.is_null());
        unsafe { fichier_string_free(out) };
    });
    time("Runtime::invoke_batched consent.record-decision", |i| {
        let input = json!({"subject": {"tag": "external", "val": format!("c-{i}")}, "purpose": "newsletter",
            "decision": "grant", "given-by": "subject", "channel": "web-form", "notice": "newsletter:fr:v1", "at": null,
            "receipt-id": null, "client-ip": null, "user-agent": null, "gpc": false, "age": null});
        ok(handle.rt.invoke_batched("consent", "record-decision", &[admin.clone(), input]))
    });
    let created =
        handle.rt.invoke_batched("settings", "create-api-key", &[admin.clone(), json!("bench"), json!("admin")]);
    let token = created.expect("key")["ok"][1].as_str().expect("token").to_owned();
    let headers = json!([["authorization", format!("Bearer {token}")]]).to_string();
    time("Handle::http GET /v1/purposes (with a key)", |_| {
        let (status, _, _) = handle.http("GET", "/v1/purposes", Some(&headers), None, b"").expect("served");
        assert_eq!(status, 200);
    });
    unsafe { fichier_close(h) };
}

#[path = "../../../../component/domain/benches/support/sample_rows.rs"]
mod sample_rows;

#[test]
fn a_call_past_timeout_ms_is_stopped_writes_nothing_and_is_answered_503() {
    for (timeout, rule) in
        [(json!(0), "range"), (json!(3_600_001), "range"), (json!("10"), "range"), (json!(1.5), "range")]
    {
        let cfg = json!({"db": ":memory:", "master_key": KEY, "timeout_ms": timeout});
        let e = open_err(&c(&cfg.to_string()));
        assert_eq!((e["field"].as_str(), e["rule"].as_str()), (Some("timeout_ms"), Some(rule)), "{timeout}");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let cfg =
        json!({"db": db, "master_key": KEY, "clock": "2026-03-01T10:00:00Z", "cache_dir": cache(), "timeout_ms": 50});
    let mut err = std::ptr::null_mut();
    let h = unsafe { fichier_open(c(&cfg.to_string()).as_ptr(), &mut err) };
    assert!(err.is_null(), "{}", take(err));
    // SAFETY: a live handle, closed at the end.
    let handle = unsafe { &*h };
    let admin = json!({"id": "t", "role": "admin"});
    let call = |iface: &str, func: &str, args: Value| handle.invoke(iface, func, &args.to_string());
    let purpose = json!({"id": "orders", "kind": "service", "title": "Commandes", "validity-months": null});
    call("consent", "declare-purpose", json!([admin, purpose])).unwrap();
    let key: Value =
        serde_json::from_str(&call("settings", "create-api-key", json!([admin, "t", "admin"])).unwrap()).unwrap();
    let token = key["ok"][1].as_str().unwrap().to_owned();
    // A chunk of 6 000 customers takes ~300 ms in the component: far past 50 ms (and the
    // 60 ms at most that a 50 ms bound gives, the epoch ticking every 10 ms).
    let csv = sample_rows::woocommerce_csv(6000).into_bytes();
    let options = json!({
        "name": "t.csv", "file-sha256": "0".repeat(64), "mapping": [], "encoding": "utf8", "delimiter": ",",
        "default-purposes": ["orders"], "default-basis": "contract", "source": null
    });
    let session: Value =
        serde_json::from_str(&call("customer-import", "begin", json!([admin, options])).unwrap()).unwrap();
    let id = session["ok"]["id"].as_str().unwrap().to_owned();

    let e = call("customer-import", "feed", json!([admin, id, 0, csv, true])).unwrap_err();
    assert_eq!((e.field.as_str(), e.rule), ("", "deadline"), "{}", e.message);
    let auth = json!([["authorization", format!("Bearer {token}")]]).to_string();
    let path = format!("/v1/imports/{id}/chunks?offset=0&last=true");
    let (status, _, body) = handle.http("POST", &path, Some(&auth), None, &csv).unwrap();
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, problem["rule"].as_str()), (503, Some("deadline")), "{problem}");
    // Neither wrote anything: the session is where it began, and there is no customer.
    let report: Value = serde_json::from_str(&call("customer-import", "report", json!([admin, id])).unwrap()).unwrap();
    assert_eq!((report["ok"]["rows"].as_u64(), report["ok"]["done"].as_bool()), (Some(0), Some(false)), "{report}");
    let page: Value =
        serde_json::from_str(&call("customers", "list-customers", json!([admin, null, 10])).unwrap()).unwrap();
    assert_eq!(page["ok"]["customers"], json!([]), "{page}");
    unsafe { fichier_close(h) };
}
