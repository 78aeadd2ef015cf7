//! The public routes' per-address counters: a limit per sliding minute, 64 shard
//! documents and nothing else, the address kept only as a keyed hash.

#![allow(clippy::unwrap_used)]

mod support;

use fichier_domain::Error;
use fichier_domain::kernel::store::{Bucket, Store};
use fichier_domain::web::ratelimit::{PublicLimit, client_of};
use support::World;

fn per_minute(n: u32) -> PublicLimit {
    PublicLimit { per_minute: n, ..PublicLimit::default() }
}

fn rule(e: Error) -> String {
    e.field_error().map(|f| format!("{}:{}:{}", f.field, f.rule, f.message)).unwrap_or_else(|| format!("{e:?}"))
}

/// The rate documents in the store.
fn rate_keys(w: &World) -> Vec<String> {
    w.store
        .raw()
        .into_iter()
        .filter(|(b, k, _)| *b == Bucket::Data && k.starts_with("rate/"))
        .map(|(_, k, _)| k)
        .collect()
}

#[test]
fn a_client_gets_its_limit_per_minute_and_no_more() {
    let mut w = World::empty("2026-11-29T10:00:15.000Z", 7, 1);
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 1);
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 0);
    // Over: nothing written, and the seconds until a request passes: the next minute's
    // first half still counts half of this minute's two requests.
    let before = w.store.raw();
    assert_eq!(rule(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap_err()), "client:rate-limit:75");
    assert_eq!(w.store.raw(), before);
    // Another address has its own count.
    assert_eq!(w.f().count_public_request("2001:db8::1", per_minute(2)).unwrap(), 1);
    // At 10:01:29 the two of 10:00 still weigh more than one; at 10:01:30, one.
    w.at("2026-11-29T10:01:29.999Z");
    assert!(w.f().count_public_request("192.0.2.1", per_minute(2)).is_err());
    w.at("2026-11-29T10:01:30.000Z");
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 0);
    // Two minutes on, nothing of 10:00 or 10:01 counts.
    w.at("2026-11-29T10:03:00.000Z");
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 1);
    // One document per shard, whatever the minutes: nothing to delete.
    let keys = rate_keys(&w);
    assert!(!keys.is_empty() && keys.len() <= 2, "{keys:?}");
    assert!(keys.iter().all(|k| k.split('/').count() == 2), "{keys:?}");
    // Addresses are never stored in clear.
    for (_, k, v) in w.store.raw() {
        for addr in ["192.0.2.1", "2001:db8::1"] {
            assert!(!k.contains(addr) && !String::from_utf8_lossy(&v).contains(addr));
        }
    }
}

/// Around a minute's boundary a client passes its limit once, not twice: with fixed
/// windows, 120 requests at 10:00:58 and 120 more at 10:01:02 all passed.
#[test]
fn a_minute_boundary_does_not_double_the_limit() {
    let mut w = World::empty("2026-11-29T10:00:58.000Z", 7, 5);
    let limit = per_minute(120);
    let mut passed = 0;
    for at in ["2026-11-29T10:00:58.000Z", "2026-11-29T10:01:02.000Z"] {
        w.at(at);
        for _ in 0..120 {
            passed += u32::from(w.f().count_public_request("192.0.2.9", limit).is_ok());
        }
    }
    // 120 at 10:00:58; at 10:01:02, 120 × 58/60 = 116 of them still count: 4 more.
    assert_eq!(passed, 124);
    // A minute later the 10:01 ones count as the minute before: 4 × 58/60 + 1 ≤ 120.
    w.at("2026-11-29T10:02:02.000Z");
    for _ in 0..116 {
        w.f().count_public_request("192.0.2.9", limit).unwrap();
    }
    assert!(w.f().count_public_request("192.0.2.9", limit).is_err());
}

/// The counters of another minute go with the swap that moves a shard on, and a shard's
/// first write removes the per-minute documents of the earlier layout.
#[test]
fn older_counts_go_and_the_earlier_layout_is_removed() {
    let mut w = World::empty("2026-11-29T10:00:15.000Z", 7, 6);
    let minute = fichier_domain::kernel::time::parse("t", "2026-11-29T10:00:15Z").unwrap().timestamp() / 60;
    // Left by the earlier version: this minute's and the two before, for every shard.
    for shard in 0..64 {
        for k in 0..3 {
            w.store.set(Bucket::Data, &format!("rate/{}/{shard:02}", minute - k), b"old").unwrap();
        }
    }
    for n in 0..1000 {
        w.f().count_public_request(&format!("198.51.{}.{}", n / 250, n % 250), per_minute(5)).unwrap();
    }
    let keys = rate_keys(&w);
    assert!(keys.iter().all(|k| k.split('/').count() == 2), "{keys:?}");
    assert_eq!(keys.len(), 64, "one document per shard, the old ones gone");
    // Two minutes on, a shard's swap drops its old clients: each shard holds one client.
    w.at("2026-11-29T10:02:15.000Z");
    let before: usize = w.store.raw().iter().filter(|(_, k, _)| k.starts_with("rate/")).map(|(_, _, v)| v.len()).sum();
    for n in 0..64 {
        w.f().count_public_request(&format!("203.0.113.{n}"), per_minute(5)).unwrap();
    }
    let after: usize = w.store.raw().iter().filter(|(_, k, _)| k.starts_with("rate/")).map(|(_, _, v)| v.len()).sum();
    assert!(after < before, "{after} bytes of counters, {before} before");
}

#[test]
fn a_limit_out_of_range_is_a_configuration_error() {
    let mut w = World::empty("2026-11-29T10:00:00.000Z", 7, 2);
    for bad in [0, 100_001] {
        assert!(matches!(w.f().count_public_request("192.0.2.1", per_minute(bad)), Err(Error::Config(_))), "{bad}");
    }
    assert!(w.store.raw().is_empty());
}

/// One subscriber is given a whole IPv6 /64 (or more) and can send each request from
/// another address of it: an IPv6 client is its prefix, /64 unless the deployment says.
#[test]
fn an_ipv6_client_is_its_prefix() {
    assert_eq!(client_of("2001:db8:0:1:aaaa:bbbb:cccc:dddd", 64), "2001:db8:0:1::/64");
    assert_eq!(client_of("2001:db8:0:1:aaaa:bbbb:cccc:dddd", 48), "2001:db8::/48");
    assert_eq!(client_of("2001:db8:0:1:aaaa:bbbb:cccc:dddd", 128), "2001:db8:0:1:aaaa:bbbb:cccc:dddd/128");
    assert_eq!(client_of("::ffff:192.0.2.7", 64), "192.0.2.7", "an IPv4 address mapped into IPv6");
    assert_eq!(client_of(" 192.0.2.7", 64), "192.0.2.7");
    assert_eq!(client_of("unknown", 64), "unknown");

    let mut w = World::empty("2026-11-29T10:00:15.000Z", 7, 3);
    assert_eq!(w.f().count_public_request("2001:db8:0:1::1", per_minute(2)).unwrap(), 1);
    // Another address of the same /64: the same client, now over.
    assert_eq!(w.f().count_public_request("2001:db8:0:1:ffff::9", per_minute(2)).unwrap(), 0);
    assert_eq!(rule(w.f().count_public_request("2001:db8:0:1::2", per_minute(2)).unwrap_err()), "client:rate-limit:75");
    // The next /64 is another client; with /128 every address is its own.
    assert_eq!(w.f().count_public_request("2001:db8:0:2::1", per_minute(2)).unwrap(), 1);
    let each = PublicLimit { per_minute: 2, ipv6_prefix: 128 };
    assert_eq!(w.f().count_public_request("2001:db8:0:1::3", each).unwrap(), 1);
    // An IPv4 client counts the same whether or not the host wrote it mapped into IPv6.
    assert_eq!(w.f().count_public_request("192.0.2.7", per_minute(2)).unwrap(), 1);
    assert_eq!(w.f().count_public_request("::ffff:192.0.2.7", per_minute(2)).unwrap(), 0);
    // Neither an address nor a prefix is stored in clear.
    for (_, k, v) in w.store.raw() {
        for clear in ["2001:db8", "192.0.2.7"] {
            assert!(!k.contains(clear) && !String::from_utf8_lossy(&v).contains(clear));
        }
    }
}

#[test]
fn an_ipv6_prefix_out_of_range_is_a_configuration_error() {
    let mut w = World::empty("2026-11-29T10:00:00.000Z", 7, 4);
    for bad in [0, 31, 129] {
        let limit = PublicLimit { per_minute: 10, ipv6_prefix: bad };
        let e = w.f().count_public_request("2001:db8::1", limit).unwrap_err();
        assert!(rule(e.clone()).starts_with("config:public_rate_ipv6_prefix:range:"), "{bad}: {}", rule(e));
    }
    assert!(w.store.raw().is_empty());
}
