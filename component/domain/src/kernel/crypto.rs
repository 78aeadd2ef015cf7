//! Keys and sealing. The master key comes from the host (`wasi:config`); every other
//! key is derived from it (HKDF-SHA-256) or random and wrapped by it.
//!
//! - `lookup` key: HMAC-SHA-256 of e-mails and external ids → opaque subject ids.
//! - `wrap` key: seals each subject's data key (stored in the `keys` bucket).
//! - `check` key: a key-check value, so a wrong master key is reported as such.
//! - subject data keys: 256-bit random, one per subject; seal every personal field.
//!
//! Sealing is XChaCha20-Poly1305 with a random 192-bit nonce and associated data that
//! binds the ciphertext to its subject and its role, so a sealed value moved to another
//! subject or another place fails to open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{Error, Result};

/// Where randomness comes from: the host's (`wasi:random`) in the component, a seeded
/// generator in tests. The domain never creates randomness itself.
pub trait Entropy {
    fn fill(&mut self, buf: &mut [u8]);
}

/// A deterministic [`Entropy`] (SHA-256 in counter mode over a seed) for tests and benches.
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: u64,
}

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        Self { seed: Sha256::digest(seed.to_le_bytes()).into(), counter: 0 }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(self.counter.to_le_bytes());
            self.counter += 1;
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

/// The deployment's master key (256 bits). Never stored, logged or printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    /// Parse the 64 hexadecimal characters of `wasi:config`'s `master_key`.
    pub fn from_hex(value: &str) -> Result<Self> {
        let value = value.trim();
        let mut key = [0u8; 32];
        if value.len() != 64 || hex::decode_to_slice(value, &mut key).is_err() {
            return Err(Error::config(
                "config:master_key",
                "hex-256-bit",
                "the master key must be 64 hexadecimal characters (256 bits)",
            ));
        }
        Ok(Self(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }
}

/// Keys derived from the master key.
pub struct KeyRing {
    /// HMAC-SHA-256 keyed with the lookup key (cloned per hash: the key's two blocks are
    /// hashed once, not at every look-up).
    lookup: Hmac<Sha256>,
    wrap: XChaCha20Poly1305,
    check: [u8; 32],
    /// The key of unsubscribe tokens' MAC.
    unsubscribe: [u8; 32],
}

impl KeyRing {
    pub fn new(master: &MasterKey) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"fichier/v1"), &master.0);
        let derive = |info: &[u8]| {
            let mut out = [0u8; 32];
            // 32 bytes is always a valid HKDF-SHA-256 output length.
            if hk.expand(info, &mut out).is_err() {
                unreachable!("HKDF-SHA-256 can expand 32 bytes");
            }
            out
        };
        let wrap = derive(b"wrap");
        let lookup = <Hmac<Sha256> as Mac>::new_from_slice(&derive(b"lookup")).unwrap_or_else(|_| unreachable!());
        Self {
            lookup,
            wrap: XChaCha20Poly1305::new((&wrap).into()),
            check: derive(b"check"),
            unsubscribe: derive(b"unsubscribe"),
        }
    }

    /// Keyed hash of a lookup value (`email\0…`, `external\0…`), truncated to 128 bits.
    pub fn lookup_hash(&self, domain: &str, value: &str) -> [u8; 16] {
        let mut mac = self.lookup.clone();
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// The MAC of an unsubscribe token's payload (HMAC-SHA-256 under its own derived key,
    /// truncated to 128 bits): checked with no store look-up.
    pub fn unsubscribe_mac(&self, payload: &[u8]) -> [u8; 16] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.unsubscribe).unwrap_or_else(|_| unreachable!());
        mac.update(b"fichier/unsubscribe/v1\0");
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// The key-check value stored in the `keys` bucket.
    pub fn check_value(&self) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.check).unwrap_or_else(|_| unreachable!());
        mac.update(b"fichier key check v1");
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison against a stored key-check value.
    pub fn check_matches(&self, stored: &[u8]) -> bool {
        stored.len() == 32 && bool::from(self.check_value().ct_eq(stored))
    }

    /// Wrap a subject's data key for storage.
    pub fn wrap(&self, subject: &str, dek: &DataKey, entropy: &mut dyn Entropy) -> Vec<u8> {
        seal_with(&self.wrap, &aad("dek", subject), &dek.0, entropy)
    }

    /// Unwrap a stored data key; fails if it was altered or wrapped under another master key.
    pub fn unwrap(&self, subject: &str, wrapped: &[u8]) -> Option<DataKey> {
        let plain = open_with(&self.wrap, &aad("dek", subject), wrapped)?;
        let key: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(DataKey(key))
    }
}

/// A subject's data key.
pub struct DataKey([u8; 32]);

impl DataKey {
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        let mut k = [0u8; 32];
        entropy.fill(&mut k);
        Self(k)
    }

    /// Seal `plain` for `subject` in the role `context` (`head`, `receipt`, …).
    pub fn seal(&self, context: &str, subject: &str, plain: &[u8], entropy: &mut dyn Entropy) -> Vec<u8> {
        seal_with(&XChaCha20Poly1305::new((&self.0).into()), &aad(context, subject), plain, entropy)
    }

    /// Open what [`DataKey::seal`] sealed with the same context and subject.
    pub fn open(&self, context: &str, subject: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        open_with(&XChaCha20Poly1305::new((&self.0).into()), &aad(context, subject), sealed)
    }
}

fn aad(context: &str, subject: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(16 + context.len() + subject.len());
    a.extend_from_slice(b"fichier/v1/");
    a.extend_from_slice(context.as_bytes());
    a.push(0);
    a.extend_from_slice(subject.as_bytes());
    a
}

const NONCE_LEN: usize = 24;

fn seal_with(cipher: &XChaCha20Poly1305, aad: &[u8], plain: &[u8], entropy: &mut dyn Entropy) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    entropy.fill(&mut nonce);
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .unwrap_or_else(|_| unreachable!("XChaCha20-Poly1305 encrypts any length below 256 GiB"));
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open_with(cipher: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).ok()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 over length-prefixed parts (unambiguous concatenation).
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_place() {
        let mut e = SeededEntropy::new(1);
        let k = DataKey::generate(&mut e);
        let sealed = k.seal("head", "s-a", b"alice@example.org", &mut e);
        assert_eq!(k.open("head", "s-a", &sealed).as_deref(), Some(&b"alice@example.org"[..]));
        assert!(k.open("head", "s-b", &sealed).is_none(), "moved to another subject");
        assert!(k.open("receipt", "s-a", &sealed).is_none(), "moved to another role");
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(k.open("head", "s-a", &flipped).is_none(), "altered");
        assert!(k.open("head", "s-a", &sealed[..10]).is_none(), "truncated");
        assert!(!sealed.windows(5).any(|w| w == b"alice"), "plaintext visible");
    }

    #[test]
    fn wrapped_keys_need_the_same_master_key() {
        let mut e = SeededEntropy::new(2);
        let ring = KeyRing::new(&MasterKey::from_bytes([7; 32]));
        let other = KeyRing::new(&MasterKey::from_bytes([8; 32]));
        let dek = DataKey::generate(&mut e);
        let wrapped = ring.wrap("s-a", &dek, &mut e);
        assert!(ring.unwrap("s-a", &wrapped).is_some());
        assert!(other.unwrap("s-a", &wrapped).is_none());
        assert!(ring.unwrap("s-b", &wrapped).is_none());
        assert!(ring.check_matches(&ring.check_value()));
        assert!(!other.check_matches(&ring.check_value()));
    }

    #[test]
    fn master_key_parsing() {
        assert!(MasterKey::from_hex(&"ab".repeat(32)).is_ok());
        for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
            match MasterKey::from_hex(bad) {
                Err(Error::Config(e)) => {
                    assert_eq!((e.field.as_str(), e.rule.as_str()), ("config:master_key", "hex-256-bit"))
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
