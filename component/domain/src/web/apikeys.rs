//! API keys for the HTTP face. A key is `fk_<id>_<secret>`: the id (8 hex digits) finds
//! its entry, the secret (256 random bits, 64 hex digits) proves it. Only the SHA-256 of
//! the secret is stored (a random 256-bit secret needs no slow hash), compared in
//! constant time. Each key is bound to one role of [`crate::kernel::authz`]; the component
//! checks the role of every call as it does for library calls. One document
//! (`api-keys`) holds every key; revoked keys stay listed with their revocation time.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::Fichier;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::types::{Actor, Role};
use crate::kernel::{time, validate};

const KEY: &str = "api-keys";
const MAX_KEYS: usize = 200;

/// One key as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    /// A name for people: who or what uses it (1–100 characters).
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    key: ApiKey,
    #[serde(with = "serde_bytes")]
    secret_sha256: Vec<u8>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApiKeyDoc {
    entries: Vec<Entry>,
}
impl crate::kernel::store::Document for ApiKeyDoc {
    const KIND: &'static str = "api-keys";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// The setting `bootstrap_admin_sha256`: the SHA-256 of the first admin token.
fn bootstrap_hash(hex_digest: &str) -> Result<[u8; 32]> {
    let digest = hex_digest.trim();
    let mut out = [0u8; 32];
    if digest.len() != 64 || hex::decode_to_slice(digest, &mut out).is_err() {
        return Err(Error::config(
            "config:bootstrap_admin_sha256",
            "sha256-hex",
            "the bootstrap admin setting is the SHA-256 of a token, 64 hexadecimal digits (`fichier api-key mint` prints it)",
        ));
    }
    Ok(out)
}

fn unauthenticated() -> Error {
    Error::Forbidden(crate::kernel::error::FieldError::new(
        "authorization",
        "api-key",
        "a valid, unrevoked API key is required",
    ))
}

impl<S: Store> Fichier<'_, S> {
    fn api_keys(&self) -> Result<ApiKeyDoc> {
        Ok(self.get_doc::<ApiKeyDoc>(Bucket::Keys, KEY)?.unwrap_or_default())
    }

    /// Create a key bound to `role`; returns it and the token, shown once.
    pub fn create_api_key(&mut self, actor: &Actor, name: &str, role: Role) -> Result<(ApiKey, String)> {
        authorize(actor, Operation::ManageApiKeys)?;
        validate::printable("name", name.trim(), 100)?;
        if role == Role::Public {
            return Err(Error::invalid("role", "not-public", "public callers need no key"));
        }
        let mut raw = [0u8; 36];
        self.entropy.fill(&mut raw);
        let (id_bytes, secret) = raw.split_at(4);
        let id = hex::encode(id_bytes);
        let token = format!("fk_{id}_{}", hex::encode(secret));
        let key = ApiKey {
            id: id.clone(),
            name: name.trim().to_owned(),
            role,
            created_at: time::format(self.now),
            created_by: actor.id.clone(),
            revoked_at: None,
        };
        let hash = crate::kernel::crypto::sha256_parts(&[secret]).to_vec();
        let entry = Entry { key: key.clone(), secret_sha256: hash };
        self.update::<ApiKeyDoc, ()>(
            Bucket::Keys,
            KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                if doc.entries.len() >= MAX_KEYS {
                    return Err(Error::invalid("name", "max-api-keys", "revoke unused keys first"));
                }
                if doc.entries.iter().any(|e| e.key.id == id) {
                    return Err(Error::conflict("id", "unique", "key id collision; try again"));
                }
                doc.entries.push(entry.clone());
                Ok(Some((doc, ())))
            },
            || (),
        )?;
        Ok((key, token))
    }

    pub fn list_api_keys(&mut self, actor: &Actor) -> Result<Vec<ApiKey>> {
        authorize(actor, Operation::ManageApiKeys)?;
        Ok(self.api_keys()?.entries.into_iter().map(|e| e.key).collect())
    }

    /// Revoke a key (idempotent: a revoked key keeps its first revocation time).
    pub fn revoke_api_key(&mut self, actor: &Actor, id: &str) -> Result<ApiKey> {
        authorize(actor, Operation::ManageApiKeys)?;
        let at = time::format(self.now);
        let revoked = self.update::<ApiKeyDoc, Option<ApiKey>>(
            Bucket::Keys,
            KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                let Some(e) = doc.entries.iter_mut().find(|e| e.key.id == id) else {
                    return Err(Error::not_found("id", "known-api-key", "no API key has this id"));
                };
                if e.key.revoked_at.is_some() {
                    return Ok(None);
                }
                e.key.revoked_at = Some(at.clone());
                let k = e.key.clone();
                Ok(Some((doc, Some(k))))
            },
            || None,
        )?;
        match revoked {
            Some(k) => Ok(k),
            None => {
                self.api_keys()?.entries.into_iter().map(|e| e.key).find(|k| k.id == id).ok_or_else(unauthenticated)
            }
        }
    }

    /// The actor a token stands for: `key:<id>` with the key's role. Any malformed,
    /// unknown or revoked token is the same `forbidden` error.
    ///
    /// `bootstrap_sha256` is the deployment's first admin token, as the SHA-256 (64 hex
    /// digits) of the whole token (the setting `bootstrap_admin_sha256`, a secret variable
    /// on Spin): a token that no stored key has and whose hash it is stands for the admin
    /// `bootstrap:<id>` while the store has never held an admin key. Once one is created
    /// (with that token, over `POST /v1/api-keys`), the setting is ignored. A setting that
    /// is not a SHA-256 is a `config` error naming it.
    pub fn authenticate(&self, token: &str, bootstrap_sha256: Option<&str>) -> Result<Actor> {
        let bootstrap = bootstrap_sha256.map(bootstrap_hash).transpose()?;
        let rest = token.strip_prefix("fk_").ok_or_else(unauthenticated)?;
        let (id, secret) = rest.split_once('_').ok_or_else(unauthenticated)?;
        let secret = hex::decode(secret).map_err(|_| unauthenticated())?;
        if id.len() != 8 || secret.len() != 32 {
            return Err(unauthenticated());
        }
        let doc = self.api_keys()?;
        if let Some(e) = doc.entries.iter().find(|e| e.key.id == id) {
            let hash = crate::kernel::crypto::sha256_parts(&[&secret]);
            if !bool::from(hash.as_slice().ct_eq(&e.secret_sha256)) || e.key.revoked_at.is_some() {
                return Err(unauthenticated());
            }
            return Ok(Actor { id: format!("key:{id}"), role: e.key.role });
        }
        match bootstrap {
            Some(expected) if !doc.entries.iter().any(|e| e.key.role == Role::Admin) => {
                // Plain SHA-256 of the token as printed, so `sha256sum` gives it too.
                let hash = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
                if bool::from(hash.as_slice().ct_eq(&expected)) {
                    return Ok(Actor { id: format!("bootstrap:{id}"), role: Role::Admin });
                }
                Err(unauthenticated())
            }
            _ => Err(unauthenticated()),
        }
    }
}
