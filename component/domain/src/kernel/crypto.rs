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

    /// [`MasterKey::from_hex`] for the deployment setting `field` (`config:new_master_key`
    /// during a rotation): errors name it.
    pub fn from_hex_setting(field: &str, value: &str) -> Result<Self> {
        Self::from_hex(value).map_err(|_| {
            Error::config(field, "hex-256-bit", "a master key must be 64 hexadecimal characters (256 bits)")
        })
    }
}

/// Keys derived from the master key.
pub struct KeyRing {
    /// HMAC-SHA-256 keyed with the lookup key (cloned per hash: the key's two blocks are
    /// hashed once, not at every look-up).
    lookup: Hmac<Sha256>,
    wrap: WrapKey,
    check: [u8; 32],
    /// The key of unsubscribe tokens' MAC.
    unsubscribe: [u8; 32],
    /// The lookup and unsubscribe secrets as they are (kept for a rotation to carry them
    /// over to the next master key).
    hashes: HashSecrets,
    /// During a master-key rotation: the next master key's wrap key, so a data key created
    /// meanwhile is wrapped under both ([`KeyRing::wrap_next`]).
    next: Option<WrapKey>,
}

/// The secrets the keyed hashes use: the lookup key (subject ids, the opposition list) and
/// the unsubscribe tokens' MAC key. Derived from the store's first master key and kept
/// across rotations: a subject id never changes.
#[derive(Clone, PartialEq, Eq)]
pub struct HashSecrets {
    lookup: [u8; 32],
    unsubscribe: [u8; 32],
}

/// A wrap key: seals data keys and the secrets kept in the key check.
#[derive(Clone)]
pub struct WrapKey {
    cipher: XChaCha20Poly1305,
    secret: [u8; 32],
}

impl WrapKey {
    fn new(secret: [u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new((&secret).into()), secret }
    }

    /// Wrap a subject's data key for storage.
    pub fn wrap(&self, subject: &str, dek: &DataKey, entropy: &mut dyn Entropy) -> Vec<u8> {
        seal_with(&self.cipher, &aad("dek", subject), &dek.0, entropy)
    }

    /// Unwrap a stored data key; fails if it was altered or wrapped under another key.
    pub fn unwrap(&self, subject: &str, wrapped: &[u8]) -> Option<DataKey> {
        let plain = open_with(&self.cipher, &aad("dek", subject), wrapped)?;
        let key: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(DataKey(key))
    }

    /// Seal `secret` (another key) in the role `role`.
    fn seal_secret(&self, role: &str, secret: &[u8], entropy: &mut dyn Entropy) -> Vec<u8> {
        seal_with(&self.cipher, &aad(role, "store"), secret, entropy)
    }

    fn open_secret<const N: usize>(&self, role: &str, sealed: &[u8]) -> Option<[u8; N]> {
        open_with(&self.cipher, &aad(role, "store"), sealed)?.as_slice().try_into().ok()
    }

    /// This wrap key sealed under `under` (a rotation's next wrap key, kept sealed under
    /// the current one so that every process still on the current key can wrap for both).
    pub fn sealed_under(&self, under: &WrapKey, entropy: &mut dyn Entropy) -> Vec<u8> {
        under.seal_secret("next-wrap", &self.secret, entropy)
    }

    /// Open what [`WrapKey::sealed_under`] sealed under `self`.
    pub fn open_wrap_key(&self, sealed: &[u8]) -> Option<WrapKey> {
        self.open_secret::<32>("next-wrap", sealed).map(WrapKey::new)
    }

    /// Seal the keyed hashes' secrets under this wrap key.
    pub fn seal_hashes(&self, hashes: &HashSecrets, entropy: &mut dyn Entropy) -> Vec<u8> {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(&hashes.lookup);
        both[32..].copy_from_slice(&hashes.unsubscribe);
        self.seal_secret("hashes", &both, entropy)
    }

    /// Open what [`WrapKey::seal_hashes`] sealed.
    pub fn open_hashes(&self, sealed: &[u8]) -> Option<HashSecrets> {
        let both = self.open_secret::<64>("hashes", sealed)?;
        let (mut lookup, mut unsubscribe) = ([0u8; 32], [0u8; 32]);
        lookup.copy_from_slice(&both[..32]);
        unsubscribe.copy_from_slice(&both[32..]);
        Some(HashSecrets { lookup, unsubscribe })
    }
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
        let hashes = HashSecrets { lookup: derive(b"lookup"), unsubscribe: derive(b"unsubscribe") };
        Self {
            lookup: <Hmac<Sha256> as Mac>::new_from_slice(&hashes.lookup).unwrap_or_else(|_| unreachable!()),
            wrap: WrapKey::new(derive(b"wrap")),
            check: derive(b"check"),
            unsubscribe: hashes.unsubscribe,
            hashes,
            next: None,
        }
    }

    /// This ring with the keyed hashes of an earlier master key (a store whose master
    /// key was rotated keeps its first key's hashes).
    pub fn with_hashes(mut self, hashes: HashSecrets) -> Self {
        self.lookup = <Hmac<Sha256> as Mac>::new_from_slice(&hashes.lookup).unwrap_or_else(|_| unreachable!());
        self.unsubscribe = hashes.unsubscribe;
        self.hashes = hashes;
        self
    }

    /// This ring during a rotation to the master key whose wrap key is `next`.
    pub fn with_next(mut self, next: WrapKey) -> Self {
        self.next = Some(next);
        self
    }

    /// The keyed hashes' secrets this ring uses.
    pub fn hashes(&self) -> &HashSecrets {
        &self.hashes
    }

    /// The wrap key of this ring's master key.
    pub fn wrap_key(&self) -> &WrapKey {
        &self.wrap
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
        self.wrap.wrap(subject, dek, entropy)
    }

    /// During a rotation, the data key wrapped under the next master key too.
    pub fn wrap_next(&self, subject: &str, dek: &DataKey, entropy: &mut dyn Entropy) -> Option<Vec<u8>> {
        self.next.as_ref().map(|n| n.wrap(subject, dek, entropy))
    }

    /// Unwrap a stored data key; fails if it was altered or wrapped under another master key.
    pub fn unwrap(&self, subject: &str, wrapped: &[u8]) -> Option<DataKey> {
        self.wrap.unwrap(subject, wrapped)
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
