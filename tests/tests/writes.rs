//! What the hot paths cost on a store where every key-value write is its own transaction
//! (Spin's SQLite store; any store without call-level commits): their reads and writes,
//! counted by `CountingKv` under `fichier serve`'s server. The banner's configuration is
//! read on every page view and writes nothing; a receipt writes what its commit point
//! needs and the derived indexes it keeps up to date, each write named below.
//! (`cargo bench -p fichier-host --bench kv_calls` prints the same figures for more
//! operations, and what they cost on a durable store.)

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use fichier_host::kv::{CountingKv, KvCalls, MemoryKv};
use fichier_host::runtime::LABELS;
use fichier_host::{Clock, RuntimeBuilder};
use fichier_tests::http::{Resp, Server, get, request};
use fichier_tests::{TEST_KEY, admin, cache_dir, ok};
use serde_json::json;

const NOW: &str = "2026-12-01T10:00:00Z";

struct Counted {
    kv: Arc<CountingKv>,
    server: Server,
}

impl Counted {
    fn start() -> Counted {
        let kv = Arc::new(CountingKv::new(Arc::new(MemoryKv::new(&LABELS))));
        let rt = RuntimeBuilder::new(kv.clone())
            .config(vec![("master_key".into(), TEST_KEY.into())])
            .clock(Clock::pinned(NOW).unwrap())
            .cache_dir(Some(cache_dir()))
            .build()
            .unwrap();
        for (id, kind) in [("analytics", "cookie"), ("ads", "advertising")] {
            ok(&rt, "consent", "declare-purpose", &[admin(), json!({"id": id, "kind": kind, "title": id})]);
        }
        let notice = json!({"purposes": ["ads", "analytics"], "lang": "fr", "text": "Nous mesurons l'audience."});
        ok(&rt, "consent", "register-notice", &[admin(), notice]);
        Counted { kv, server: Server::serving(Arc::new(rt)) }
    }

    /// The request's answer and the key-value calls it made.
    fn counted(&self, send: impl FnOnce(&Server) -> Resp) -> (Resp, KvCalls) {
        let before = self.kv.calls();
        let r = send(&self.server);
        (r, self.kv.calls() - before)
    }

    fn receipt(&self, visitor: &str, purpose: &str) -> (Resp, KvCalls) {
        let body = json!({
            "subject": {"tag": "external", "val": visitor}, "purpose": purpose, "decision": "grant",
            "given-by": "subject", "channel": "cookie-banner", "notice": "ads+analytics:fr:v1", "gpc": false
        })
        .to_string();
        self.counted(|s| {
            request(s.addr, "POST", "/v1/consent/receipts", &[("Content-Type", "application/json")], body.as_bytes())
        })
    }
}

#[test]
fn the_banners_configuration_is_read_and_kept_and_writes_nothing() {
    let c = Counted::start();
    let (r, calls) = c.counted(|s| get(s.addr, "/v1/banner?lang=fr", None));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(calls.writes, 0, "{calls:?}");
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    let etag = r.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34, "{etag}");
    // The browser's copy is still good: 304, no body, nothing written either.
    let (r, calls) =
        c.counted(|s| request(s.addr, "GET", "/v1/banner?lang=fr", &[("If-None-Match", etag.as_str())], b""));
    assert_eq!((r.status, r.body.len(), calls.writes), (304, 0, 0));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    // Another language is another document.
    let (r, _) = c.counted(|s| get(s.addr, "/v1/banner?lang=en", None));
    assert_ne!(r.header("etag"), Some(etag.as_str()));
}

#[test]
fn a_public_receipt_writes_what_its_commit_point_needs() {
    let c = Counted::start();
    // The store's first sealed write also records the master key's check value; the
    // address's rate-limit shard is new in this window and has no older one to remove.
    let (r, zeroth) = c.receipt("banner-0", "analytics");
    assert_eq!((r.status, zeroth.writes), (200, 7), "{zeroth:?}");
    // A new visitor: the rate counter, its data key (created), the receipt entry, the
    // head (the commit point), its directory entry, the day's statistics.
    let (r, first) = c.receipt("banner-1", "analytics");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(first.writes, 6, "{first:?}");
    // Its reads: the catalogues (purposes, policy, notices) in one get-many and the key
    // check with the subject's data key in another, then one read per compare-and-swap
    // (10 before the reads ahead: on a database server each is a round trip).
    assert_eq!(first.reads, 7, "{first:?}");
    // The same visitor again: no key to create, no directory entry to add.
    let (r, again) = c.receipt("banner-1", "ads");
    assert_eq!(r.status, 200);
    assert_eq!(again.writes, 4, "{again:?}");
    assert_eq!(again.reads, 5, "{again:?}");
    // A status read by the public: only its rate counter.
    let (r, status) = c.counted(|s| {
        let body = json!({"subject": {"tag": "external", "val": "banner-1"}}).to_string();
        request(s.addr, "POST", "/v1/consent/status", &[("Content-Type", "application/json")], body.as_bytes())
    });
    assert_eq!((r.status, status.writes), (200, 1), "{status:?}");
}
