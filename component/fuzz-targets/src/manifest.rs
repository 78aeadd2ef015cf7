//! A backup's `manifest.json` on arbitrary bytes: a typed refusal or a checked manifest,
//! never a panic; a checked manifest holds what a restore relies on, and written back
//! reads the same.

use fichier_backup_manifest::{FILES, Manifest, parse};

/// Check `data` as a backup manifest.
pub fn backup_manifest(data: &[u8]) {
    let m = match parse(data) {
        Ok(m) => m,
        Err(r) => {
            assert!(!r.field.is_empty() && r.message.ends_with("refused"), "a refusal names its member: {r:?}");
            return;
        }
    };
    assert_eq!(m.files.iter().map(|f| (f.store, f.name)).collect::<Vec<_>>(), FILES, "one entry per store file");
    for f in &m.files {
        assert!(f.sha256.len() == 64 && f.sha256.bytes().all(|b| b.is_ascii_hexdigit()), "{f:?}");
    }
    // What a restore relies on, not the whole value: a member it does not read may be a
    // float that does not come back bit for bit (`regressions/backup_manifest/float-member`).
    let again = serde_json::to_vec(&m.value).map(|text| parse(&text));
    let parts = |m: &Manifest| (m.created_at, m.files.clone(), m.key_check_sha256.clone(), m.erasure_journal.clone());
    assert!(
        matches!(again, Ok(Ok(ref n)) if parts(n) == parts(&m)),
        "a checked manifest written back reads the same: {again:?}"
    );
}
