//! API keys of the HTTP face: created bound to a role, listed without their secret,
//! authenticated in constant time, revoked for good. Only admins manage them.

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::Error;
use fichier_domain::kernel::store::Bucket;
use fichier_domain::kernel::types::{Actor, Role};
use support::{World, admin};

const NOW: &str = "2026-11-29T10:00:00.000Z";

#[test]
fn a_key_authenticates_as_its_role_until_revoked() {
    let mut w = World::empty(NOW, 7, 1);
    let (key, token) = w.f().create_api_key(&admin(), "  back office ", Role::Support).unwrap();
    assert_eq!(key.name, "back office");
    assert_eq!(key.role, Role::Support);
    assert_eq!(key.created_at, NOW);
    assert!(token.starts_with(&format!("fk_{}_", key.id)), "{token}");
    assert_eq!(token.len(), 3 + 8 + 1 + 64);

    let actor = w.f().authenticate(&token, None).unwrap();
    assert_eq!(actor, Actor { id: format!("key:{}", key.id), role: Role::Support });

    // Only the SHA-256 of the secret is stored.
    let secret = token.rsplit('_').next().unwrap();
    for (_, _, bytes) in w.store.raw() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret), "secret stored in clear");
        assert!(!bytes.windows(32).any(|win| hex::encode(win) == secret), "secret stored as bytes");
    }

    w.at("2026-11-30T10:00:00.000Z");
    let revoked = w.f().revoke_api_key(&admin(), &key.id).unwrap();
    assert_eq!(revoked.revoked_at.as_deref(), Some("2026-11-30T10:00:00.000Z"));
    assert_eq!(rule(w.f().authenticate(&token, None).unwrap_err()), "authorization:api-key");
    // Revoking again keeps the first time.
    w.at("2026-12-01T10:00:00.000Z");
    let again = w.f().revoke_api_key(&admin(), &key.id).unwrap();
    assert_eq!(again.revoked_at.as_deref(), Some("2026-11-30T10:00:00.000Z"));
    let listed = w.f().list_api_keys(&admin()).unwrap();
    assert_eq!(listed, vec![again]);
}

#[test]
fn wrong_or_malformed_tokens_are_all_the_same_refusal() {
    let mut w = World::empty(NOW, 7, 2);
    let (key, token) = w.f().create_api_key(&admin(), "ops", Role::Admin).unwrap();
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    let other_id = token.replacen(&key.id, "00000000", 1);
    for bad in [
        "",
        "fk_",
        "Bearer x",
        &flipped,
        &other_id,
        &token[..token.len() - 2],
        &format!("{token}00"),
        &token.replace("fk_", "fx_"),
        "fk_zzzzzzzz_zz",
    ] {
        assert_eq!(rule(w.f().authenticate(bad, None).unwrap_err()), "authorization:api-key", "{bad:?}");
    }
}

#[test]
fn only_admins_manage_keys_and_no_key_is_public() {
    let mut w = World::empty(NOW, 7, 3);
    for role in [Role::Dpo, Role::Support, Role::System, Role::Public] {
        let who = Actor { id: "x".into(), role };
        assert!(matches!(w.f().create_api_key(&who, "k", Role::Support), Err(Error::Forbidden(_))), "{role:?}");
        assert!(matches!(w.f().list_api_keys(&who), Err(Error::Forbidden(_))), "{role:?}");
        assert!(matches!(w.f().revoke_api_key(&who, "00000000"), Err(Error::Forbidden(_))), "{role:?}");
    }
    assert_eq!(rule(w.f().create_api_key(&admin(), "k", Role::Public).unwrap_err()), "role:not-public");
    assert_eq!(rule(w.f().create_api_key(&admin(), "", Role::Dpo).unwrap_err()), "name:non-empty");
    assert_eq!(rule(w.f().create_api_key(&admin(), &"n".repeat(101), Role::Dpo).unwrap_err()), "name:max-length");
    assert_eq!(rule(w.f().revoke_api_key(&admin(), "00000000").unwrap_err()), "id:known-api-key");
    // Refused inputs wrote nothing.
    assert!(w.store.raw().iter().all(|(b, k, _)| !(*b == Bucket::Keys && k == "api-keys")));
}

/// The first admin of a deployment with no command line into its store (Spin): the
/// setting holds the SHA-256 of a token minted offline; the token is an admin until the
/// store holds an admin key, then refused for good.
#[test]
fn a_bootstrap_token_is_an_admin_until_an_admin_key_exists() {
    use sha2::Digest;
    let mut w = World::empty(NOW, 7, 4);
    let token = format!("fk_0a1b2c3d_{}", "5e".repeat(32));
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let setting = Some(hash.as_str());

    // Without the setting, or with another token's hash, it is nobody.
    assert_eq!(rule(w.f().authenticate(&token, None).unwrap_err()), "authorization:api-key");
    let other = hex::encode(sha2::Sha256::digest(b"fk_0a1b2c3d_other"));
    assert_eq!(rule(w.f().authenticate(&token, Some(&other)).unwrap_err()), "authorization:api-key");
    let near = format!("fk_0a1b2c3d_{}", "5f".repeat(32));
    assert_eq!(rule(w.f().authenticate(&near, setting).unwrap_err()), "authorization:api-key");
    // A setting that is not a SHA-256 names itself.
    for bad in ["", "abc", &hash[..63], &format!("{}zz", &hash[..62])] {
        assert_eq!(
            rule(w.f().authenticate(&token, Some(bad)).unwrap_err()),
            "config:bootstrap_admin_sha256:sha256-hex",
            "{bad:?}"
        );
    }
    // Upper-case digits and surrounding blanks (a pasted secret) are the same hash.
    let pasted = format!(" {} \n", hash.to_uppercase());
    assert_eq!(w.f().authenticate(&token, Some(&pasted)).unwrap().role, Role::Admin);

    let bootstrap = w.f().authenticate(&token, setting).unwrap();
    assert_eq!(bootstrap, Actor { id: "bootstrap:0a1b2c3d".into(), role: Role::Admin });
    // Keys of other roles leave it working; the first admin key ends it.
    w.f().create_api_key(&bootstrap, "front", Role::Public).unwrap_err();
    w.f().create_api_key(&bootstrap, "support desk", Role::Support).unwrap();
    assert_eq!(w.f().authenticate(&token, setting).unwrap().role, Role::Admin);
    let (key, admin_token) = w.f().create_api_key(&bootstrap, "back office", Role::Admin).unwrap();
    assert_eq!(key.created_by, "bootstrap:0a1b2c3d");
    assert_eq!(rule(w.f().authenticate(&token, setting).unwrap_err()), "authorization:api-key");
    // Even once that key is revoked: the bootstrap is for a store that never had an admin.
    let keeper = w.f().authenticate(&admin_token, None).unwrap();
    w.f().revoke_api_key(&keeper, &key.id).unwrap();
    assert_eq!(rule(w.f().authenticate(&token, setting).unwrap_err()), "authorization:api-key");
}
