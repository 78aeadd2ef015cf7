//! The public routes' per-address counters: a limit per minute, a fresh window each
//! minute, old windows deleted, the address kept only as a keyed hash.

#![allow(clippy::unwrap_used)]

mod support;

use fichier_domain::Error;
use fichier_domain::kernel::store::Bucket;
use fichier_domain::web::ratelimit::{PublicLimit, client_of};
use support::World;

fn per_minute(n: u32) -> PublicLimit {
    PublicLimit { per_minute: n, ..PublicLimit::default() }
}

fn rule(e: Error) -> String {
    e.field_error().map(|f| format!("{}:{}:{}", f.field, f.rule, f.message)).unwrap_or_else(|| format!("{e:?}"))
}

#[test]
fn a_client_gets_its_limit_per_minute_and_no_more() {
    let mut w = World::empty("2026-11-29T10:00:15.000Z", 7, 1);
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 1);
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 0);
    // Over: the seconds left in the window, nothing written.
    let before = w.store.raw();
    assert_eq!(rule(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap_err()), "client:rate-limit:45");
    assert_eq!(w.store.raw(), before);
    // Another address has its own count.
    assert_eq!(w.f().count_public_request("2001:db8::1", per_minute(2)).unwrap(), 1);
    // The next minute starts afresh and the old windows go.
    w.at("2026-11-29T10:01:00.000Z");
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 1);
    w.at("2026-11-29T10:02:30.000Z");
    assert_eq!(w.f().count_public_request("192.0.2.1", per_minute(2)).unwrap(), 1);
    let windows: std::collections::BTreeSet<String> = w
        .store
        .raw()
        .into_iter()
        .filter(|(b, k, _)| *b == Bucket::Data && k.starts_with("rate/"))
        .map(|(_, k, _)| k.split('/').nth(1).unwrap().to_owned())
        .collect();
    let window = |t: &str| (fichier_domain::kernel::time::parse("t", t).unwrap().timestamp() / 60).to_string();
    // 10:01 was deleted by the first request of 10:02 in that shard; 10:00 remains only
    // if 2001:db8::1 counts in another shard, until that shard's next request.
    assert!(windows.contains(&window("2026-11-29T10:02:30Z")), "{windows:?}");
    assert!(!windows.contains(&window("2026-11-29T10:01:00Z")), "{windows:?}");
    assert!(windows.iter().all(|x| *x == window("2026-11-29T10:02:30Z") || *x == window("2026-11-29T10:00:15Z")));
    // Addresses are never stored in clear.
    for (_, k, v) in w.store.raw() {
        for addr in ["192.0.2.1", "2001:db8::1"] {
            assert!(!k.contains(addr) && !String::from_utf8_lossy(&v).contains(addr));
        }
    }
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
    assert_eq!(rule(w.f().count_public_request("2001:db8:0:1::2", per_minute(2)).unwrap_err()), "client:rate-limit:45");
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
