//! Per-client counters for the public routes of the HTTP face (the banner's receipts and
//! status, the rights form, token checks), kept in the store so that every instance of
//! the component — one per request, several hosts behind Spin — counts the same.
//!
//! - A client is its address, kept only as a keyed hash (8 bytes of an HMAC under its
//!   own domain), never in clear. An IPv6 client is its network prefix (a /64 unless the
//!   deployment says otherwise): one subscriber is given a whole /64 or more and may send
//!   each request from another address of it. An IPv4 address mapped into IPv6 is that
//!   IPv4 address.
//! - Fixed windows of a minute. A window's counters live in 64 shard documents
//!   (`rate/<window>/<shard>`), so concurrent clients rarely race for one document and a
//!   client costs one compare-and-swap per request.
//! - The first request of a shard in a new window deletes that shard's two previous
//!   windows: at most three windows of counters exist at any time.
//! - A refused request writes nothing.

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::store::{Bucket, Document, Store};

/// The length of a window, in seconds.
pub const WINDOW_SECONDS: i64 = 60;
const SHARDS: u64 = 64;
/// The largest per-minute limit accepted.
pub const MAX_PER_MINUTE: u32 = 100_000;
/// The IPv6 prefix lengths accepted (a /32 is a whole provider; a /128 one address).
pub const IPV6_PREFIXES: std::ops::RangeInclusive<u8> = 32..=128;

/// How public requests are limited (the settings `public_rate_per_minute` and
/// `public_rate_ipv6_prefix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicLimit {
    /// Requests a client may make in a minute.
    pub per_minute: u32,
    /// How many leading bits of an IPv6 address make one client.
    pub ipv6_prefix: u8,
}

impl Default for PublicLimit {
    fn default() -> Self {
        PublicLimit { per_minute: 120, ipv6_prefix: 64 }
    }
}

/// The client a request from `addr` counts against: an IPv4 address as it is, an IPv6
/// one as its first `prefix` bits (`2001:db8:0:1::/64`), an IPv4 address mapped into
/// IPv6 as that IPv4 address, and anything else (no address: `unknown`) as it is.
pub fn client_of(addr: &str, prefix: u8) -> String {
    use std::net::{IpAddr, Ipv6Addr};
    match addr.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = prefix.min(128);
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                format!("{}/{prefix}", Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
        Err(_) => addr.to_owned(),
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RateShard {
    /// (keyed hash of the client, requests in this window)
    counts: Vec<([u8; 8], u32)>,
}

impl Document for RateShard {
    const KIND: &'static str = "rate";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// The rule a client over its limit breaks; `retry-after` seconds are in the message.
pub const RULE: &str = "rate-limit";

impl<S: Store> Fichier<'_, S> {
    /// Count one public request from `addr` (the client's address) against its client
    /// ([`client_of`]). Over the limit in the current window: `conflict` on `client` with
    /// the rule [`RULE`], and the seconds until the window ends as the message. Returns
    /// the requests left in the window.
    pub fn count_public_request(&mut self, addr: &str, limit: PublicLimit) -> Result<u32> {
        let PublicLimit { per_minute, ipv6_prefix } = limit;
        if per_minute == 0 || per_minute > MAX_PER_MINUTE {
            return Err(Error::config(
                "config:public_rate_per_minute",
                "range",
                format!("1 to {MAX_PER_MINUTE} requests a minute"),
            ));
        }
        if !IPV6_PREFIXES.contains(&ipv6_prefix) {
            return Err(Error::config(
                "config:public_rate_ipv6_prefix",
                "range",
                format!("an IPv6 prefix length from {} to {}", IPV6_PREFIXES.start(), IPV6_PREFIXES.end()),
            ));
        }
        let client = client_of(addr, ipv6_prefix);
        let hash = self.keys().lookup_hash("rate-limit", &client);
        let mut tag = [0u8; 8];
        tag.copy_from_slice(&hash[..8]);
        let shard = u64::from_be_bytes(tag) % SHARDS;
        let seconds = self.now.timestamp();
        let window = seconds.div_euclid(WINDOW_SECONDS);
        let retry_after = WINDOW_SECONDS - seconds.rem_euclid(WINDOW_SECONDS);
        let key = format!("rate/{window}/{shard:02}");
        let (left, fresh) = self.update::<RateShard, (u32, bool)>(
            Bucket::Data,
            &key,
            |_, current| {
                let fresh = current.is_none();
                let mut doc = current.unwrap_or_default();
                let count = match doc.counts.iter_mut().find(|(t, _)| *t == tag) {
                    Some((_, n)) => n,
                    None => {
                        doc.counts.push((tag, 0));
                        let last = doc.counts.len() - 1;
                        &mut doc.counts[last].1
                    }
                };
                if *count >= per_minute {
                    return Err(Error::Conflict(FieldError::new("client", RULE, retry_after.to_string())));
                }
                *count += 1;
                let left = per_minute - *count;
                Ok(Some((doc, (left, fresh))))
            },
            || (per_minute, false),
        )?;
        // The shard's first request of a window removes its older windows, those that
        // exist: one read for both, and a write only for what is there (on a store where
        // every write is a transaction, a quiet shop's requests write their counter only).
        if fresh {
            let old: Vec<String> = [window - 1, window - 2].iter().map(|w| format!("rate/{w}/{shard:02}")).collect();
            if let Ok(found) = self.store.get_many(Bucket::Data, &old) {
                for (key, value) in old.iter().zip(found) {
                    if value.is_some() {
                        let _ = self.store.delete(Bucket::Data, key);
                    }
                }
            }
        }
        Ok(left)
    }
}
