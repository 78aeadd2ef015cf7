//! The text encodings of bytes: base64 (RFC 4648 §4, padded) for sealed bytes in JSON
//! documents, base64url without padding (§5) for tokens in URLs, lower-case base32 without
//! padding (§6) for ids and secrets people may read out.
//!
//! base64 goes through the `base64` crate. base32 is written here: `data-encoding`'s codec,
//! which served all three, is generic over every bit width and weighed ~60 KB of the
//! component (measured 2026-12-06, `docs/performance.md`, component size) for encoding
//! 16-byte ids. Every decoder is strict: it refuses what no encoder writes (other
//! characters, padding where there is none, a length no input gives, non-zero trailing
//! bits), so one value has one text.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Standard base64, padded.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Bytes of standard padded base64; `None` when it is not.
pub fn from_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.as_bytes()).ok()
}

/// base64url without padding.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Bytes of unpadded base64url; `None` when it is not.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Lower-case base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u16, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[usize::from((acc >> bits) & 31)]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[usize::from((acc << (5 - bits)) & 31)]));
    }
    out
}

/// Bytes of unpadded base32, either case; `None` when it is not.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u16, 0u32);
    for c in text.bytes() {
        let v = match c.to_ascii_lowercase() {
            l @ b'a'..=b'z' => l - b'a',
            d @ b'2'..=b'7' => d - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u16::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(acc >> bits).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    // What is left: fewer than 5 bits, all zero (a length and an ending an encoder writes).
    (bits < 5 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 4648 §10's test vectors.
    #[test]
    fn rfc_4648_vectors() {
        let vectors = [
            ("", "", "", ""),
            ("f", "Zg==", "Zg", "my"),
            ("fo", "Zm8=", "Zm8", "mzxq"),
            ("foo", "Zm9v", "Zm9v", "mzxw6"),
            ("foob", "Zm9vYg==", "Zm9vYg", "mzxw6yq"),
            ("fooba", "Zm9vYmE=", "Zm9vYmE", "mzxw6ytb"),
            ("foobar", "Zm9vYmFy", "Zm9vYmFy", "mzxw6ytboi"),
        ];
        for (plain, b64, b64url, b32) in vectors {
            assert_eq!(base64(plain.as_bytes()), b64);
            assert_eq!(base64url(plain.as_bytes()), b64url);
            assert_eq!(base32(plain.as_bytes()), b32);
            assert_eq!(from_base64(b64).unwrap(), plain.as_bytes());
            assert_eq!(from_base64url(b64url).unwrap(), plain.as_bytes());
            assert_eq!(from_base32(b32).unwrap(), plain.as_bytes());
            assert_eq!(from_base32(&b32.to_uppercase()).unwrap(), plain.as_bytes());
        }
    }

    /// Every length round-trips, and one value has one text: a changed trailing bit, a
    /// length no input gives, padding or another character are refused.
    #[test]
    fn strict_round_trips() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97).wrapping_add(n)).collect();
            assert_eq!(from_base32(&base32(&bytes)).unwrap(), bytes);
            assert_eq!(from_base64(&base64(&bytes)).unwrap(), bytes);
            assert_eq!(from_base64url(&base64url(&bytes)).unwrap(), bytes);
        }
        for bad in ["a", "abc", "abcdef", "my=", "mz", "mzxw7", "m1", "m y", "mé"] {
            assert_eq!(from_base32(bad), None, "{bad}");
        }
        assert_eq!(from_base64("Zg"), None);
        assert_eq!(from_base64("Zh=="), None);
        assert_eq!(from_base64url("Zg=="), None);
        assert_eq!(from_base64url("Zh"), None);
        assert_eq!(from_base64url("Z+8"), None);
    }
}
