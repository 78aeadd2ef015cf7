//! Per-client counters for the public routes of the HTTP face (the banner's receipts and
//! status, the rights form, token checks), kept in the store so that every instance of
//! the component — one per request, several hosts behind Spin — counts the same.
//!
//! - A client is its address, kept only as a keyed hash (8 bytes of an HMAC under its
//!   own domain), never in clear. An IPv6 client is its network prefix (a /64 unless the
//!   deployment says otherwise): one subscriber is given a whole /64 or more and may send
//!   each request from another address of it. An IPv4 address mapped into IPv6 is that
//!   IPv4 address.
//! - A sliding minute: a request is let through when the client's requests of the current
//!   minute, plus those of the minute before weighted by the part of it still within the
//!   last 60 seconds, plus this one, are at most the limit. A client cannot pass twice the
//!   limit around a minute's boundary, as fixed windows let it.
//! - The counters live in 64 shard documents (`rate/<shard>`), so concurrent clients
//!   rarely race for one document and a request costs one compare-and-swap. A shard holds
//!   each client's counts of its current minute and the one before; the swap that moves it
//!   into a later minute drops what is older, and the clients left with nothing. No
//!   document per minute, so nothing to delete (a shard first written also removes the
//!   per-minute documents, `rate/<minute>/<shard>`, the earlier version left).
//! - A refused request writes nothing.

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::store::{Bucket, Document, Store};

/// The length of a window, in seconds.
pub const WINDOW_SECONDS: i64 = 60;
const WINDOW_MS: i64 = WINDOW_SECONDS * 1000;
const SHARDS: u64 = 64;
/// The largest per-minute limit accepted.
pub const MAX_PER_MINUTE: u32 = 100_000;
/// The IPv6 prefix lengths accepted (a /32 is a whole provider; a /128 one address).
pub const IPV6_PREFIXES: std::ops::RangeInclusive<u8> = 32..=128;

/// How public requests are limited (the settings `public_rate_per_minute` and
/// `public_rate_ipv6_prefix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicLimit {
    /// Requests a client may make in any 60 seconds (estimated over two minutes).
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

/// One shard's counters: the minute they run in, and per client its requests in the
/// minute before and in this one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RateShard {
    /// Minutes since the Unix epoch.
    window: i64,
    /// (keyed hash of the client, requests in the minute before, requests in this one)
    counts: Vec<([u8; 8], u32, u32)>,
}

impl Document for RateShard {
    const KIND: &'static str = "rate";
    // Schema 1 was one document per minute (`rate/<minute>/<shard>`), never read now.
    const SCHEMA: u32 = 2;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

impl RateShard {
    /// Move the counters into `window` (not before theirs): this minute's become the
    /// previous one's when `window` is the next minute; later, nothing is left. A client
    /// with nothing in either minute is dropped.
    fn roll(&mut self, window: i64) {
        if window <= self.window {
            return;
        }
        if window - self.window == 1 {
            for c in &mut self.counts {
                (c.1, c.2) = (c.2, 0);
            }
            self.counts.retain(|c| c.1 > 0);
        } else {
            self.counts.clear();
        }
        self.window = window;
    }
}

/// Whether a request `elapsed` ms into the minute passes, after `previous` requests in
/// the minute before and `current` in this one: the estimate counting it,
/// `previous × (60 s − elapsed) / 60 s + current + 1`, is at most `limit` (in ms units,
/// so integer).
fn admits(previous: u32, current: u32, limit: u32, elapsed: i64) -> bool {
    let weighted = i64::from(previous) * (WINDOW_MS - elapsed);
    weighted + (i64::from(current) + 1) * WINDOW_MS <= i64::from(limit) * WINDOW_MS
}

/// How many ms after `elapsed` (into the minute) a refused client's next request passes,
/// if it sends none meanwhile.
fn wait_ms(previous: u32, current: u32, limit: u32, elapsed: i64) -> i64 {
    let (previous, current, limit) = (i64::from(previous), i64::from(current), i64::from(limit));
    // Within this minute, as the minute before weighs less: previous × (W − t) ≤ room.
    let room = (limit - current - 1) * WINDOW_MS;
    if previous > 0 && room >= 0 {
        let at = WINDOW_MS - room / previous;
        if at < WINDOW_MS {
            return (at - elapsed).max(1);
        }
    }
    // In the next minute, this minute's requests weighing as the minute before.
    let at = if current == 0 { 0 } else { (WINDOW_MS - (limit - 1) * WINDOW_MS / current).max(0) };
    WINDOW_MS - elapsed + at
}

/// The rule a client over its limit breaks; `retry-after` seconds are in the message.
pub const RULE: &str = "rate-limit";

impl<S: Store> Fichier<'_, S> {
    /// Count one public request from `addr` (the client's address) against its client
    /// ([`client_of`]). Over the limit (the sliding minute of the module's doc):
    /// `conflict` on `client` with the rule [`RULE`], and as the message the seconds until
    /// a request passes again. Returns the requests left now.
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
        let hash = self.master_ring().lookup_hash("rate-limit", &client);
        let mut tag = [0u8; 8];
        tag.copy_from_slice(&hash[..8]);
        let shard = u64::from_be_bytes(tag) % SHARDS;
        let ms = self.now.timestamp_millis();
        let key = format!("rate/{shard:02}");
        let (left, fresh) = self.update::<RateShard, (u32, bool)>(
            Bucket::Data,
            &key,
            |_, current| {
                let fresh = current.is_none();
                let mut doc = current.unwrap_or_default();
                // A request stamped before the shard's minute (another instance's clock a
                // little ahead) counts at that minute's start, where the minute before
                // weighs most.
                let (window, elapsed) = match ms.div_euclid(WINDOW_MS) {
                    w if w < doc.window => (doc.window, 0),
                    w => (w, ms.rem_euclid(WINDOW_MS)),
                };
                doc.roll(window);
                let at = match doc.counts.iter().position(|c| c.0 == tag) {
                    Some(at) => at,
                    None => {
                        doc.counts.push((tag, 0, 0));
                        doc.counts.len() - 1
                    }
                };
                let (_, previous, count) = doc.counts[at];
                if !admits(previous, count, per_minute, elapsed) {
                    let seconds = (wait_ms(previous, count, per_minute, elapsed) + 999) / 1000;
                    return Err(Error::Conflict(FieldError::new("client", RULE, seconds.to_string())));
                }
                doc.counts[at].2 = count + 1;
                let room = i64::from(per_minute) * WINDOW_MS - i64::from(previous) * (WINDOW_MS - elapsed);
                let left = (room + WINDOW_MS - 1).div_euclid(WINDOW_MS) - i64::from(count + 1);
                Ok(Some((doc, (u32::try_from(left).unwrap_or(0), fresh))))
            },
            || (per_minute, false),
        )?;
        // A shard's first write removes what the earlier layout left of it, one document per
        // minute (`rate/<minute>/<shard>`, the last three minutes' at most): one read, and
        // a delete only for what is there.
        if fresh {
            let minute = ms.div_euclid(WINDOW_MS);
            let old: Vec<String> = (0..3).map(|k| format!("rate/{}/{shard:02}", minute - k)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    const W: i64 = WINDOW_MS;

    #[test]
    fn the_minute_before_weighs_by_what_is_left_of_it() {
        // No minute before: `limit` requests a minute.
        assert!(admits(0, 119, 120, 0) && !admits(0, 120, 120, 59_999));
        // 120 just before the minute: at 2 s in, 120 × 58/60 = 116 of them still count.
        assert!(admits(120, 3, 120, 2_000) && !admits(120, 4, 120, 2_000));
        // Half way, half of them.
        assert!(admits(120, 59, 120, W / 2) && !admits(120, 60, 120, W / 2));
    }

    #[test]
    fn a_refused_client_is_told_when_it_passes_again() {
        for (previous, current, limit, elapsed) in [
            (0, 2, 2, 15_000),
            (0, 3, 3, 0),
            (120, 4, 120, 2_000),
            (3, 0, 3, 0),
            (1, 1, 1, 59_999),
            (120, 60, 120, W / 2),
        ] {
            assert!(!admits(previous, current, limit, elapsed));
            let wait = wait_ms(previous, current, limit, elapsed);
            let at = elapsed + wait;
            // It passes then (in this minute, or the next, or the one after, with the counts
            // moved as `roll` moves them), and not a millisecond before.
            let passes = |at: i64| match at.div_euclid(W) {
                0 => admits(previous, current, limit, at),
                1 => admits(current, 0, limit, at - W),
                _ => admits(0, 0, limit, at - 2 * W),
            };
            assert!(passes(at) && !passes(at - 1), "{previous} {current} {limit} {elapsed}: {wait}");
        }
    }
}
