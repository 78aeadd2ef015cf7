//! The manifest of a `fichier backup` directory (`manifest.json`): what it holds, and
//! its checking before a restore opens anything. No IO: the CLI (`fichier backup` and
//! `fichier restore`, host-examples/wasmtime) reads and writes the files; the fuzz
//! target `backup_manifest` feeds [`parse`] arbitrary bytes.
//!
//! ```json
//! {"format": "fichier-backup/1", "created-at": "2026-11-29T10:00:00.000Z",
//!  "files": [{"store": "default", "name": "data.db", "bytes": 8192, "sha256": "…"},
//!            {"store": "keys", "name": "keys.db", "bytes": 8192, "sha256": "…"}],
//!  "key-check-sha256": "…" or null, "erasure-journal": "/path/shop.erasures" or null}
//! ```

use serde_json::Value;

/// The format this version writes and reads.
pub const FORMAT: &str = "fichier-backup/1";
/// The file each store is copied to, by its label: the data first, then the keys.
pub const FILES: [(&str, &str); 2] = [("default", "data.db"), ("keys", "keys.db")];

/// A manifest refused: the member and the rule it fails, and a sentence ending in
/// `refused` (what the CLI prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

fn refused(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { field: field.into(), rule, message: message.into() }
}

/// One copied store file, as the manifest gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The store's label (`default`, `keys`).
    pub store: &'static str,
    /// The file's name in the backup directory.
    pub name: &'static str,
    pub bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// A checked manifest: every member the restore relies on is there and of its type.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The manifest as read (the restore's report shows it).
    pub value: Value,
    /// When the backup was taken.
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    /// One entry for each of [`FILES`], in that order.
    pub files: Vec<FileEntry>,
    /// SHA-256 (lowercase hex) of the keys store's key check; `None`: no key check yet.
    pub key_check_sha256: Option<String>,
    /// The erasure journal beside the store the backup was taken from, if it says.
    pub erasure_journal: Option<String>,
}

/// 64 hex digits, lowercase (as [`hex`](https://docs.rs/hex) and `sha256sum` write).
fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Check a manifest's bytes: JSON, this [`FORMAT`], an entry with a size and a SHA-256
/// for each of [`FILES`], a key check (or `null`), a creation time (RFC 3339) and the
/// journal's path (a string, `null` or absent). The first rule it fails is refused.
pub fn parse(text: &[u8]) -> Result<Manifest, Refusal> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|e| refused("manifest", "json", format!("the manifest is not JSON ({e}): refused")))?;
    if !value.is_object() {
        return Err(refused("manifest", "object", "the manifest is not a JSON object: refused"));
    }
    if value["format"] != FORMAT {
        return Err(refused(
            "format",
            "known-format",
            format!("the manifest's format is {}, not {FORMAT}: refused", value["format"]),
        ));
    }
    let mut files = Vec::new();
    for (store, name) in FILES {
        let entry = value["files"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["store"] == store && f["name"] == name))
            .ok_or_else(|| {
                refused("files", "present", format!("the manifest names no {name} for the {store} store: refused"))
            })?;
        let (Some(sha256), Some(bytes)) = (entry["sha256"].as_str(), entry["bytes"].as_u64()) else {
            return Err(refused(
                format!("files.{name}"),
                "sha256-and-bytes",
                format!("the manifest's entry for {name} has no sha256 and bytes: refused"),
            ));
        };
        if !is_sha256(sha256) {
            return Err(refused(
                format!("files.{name}.sha256"),
                "sha256-hex",
                format!("the manifest's SHA-256 of {name} is not 64 lowercase hex digits: refused"),
            ));
        }
        files.push(FileEntry { store, name, bytes, sha256: sha256.to_owned() });
    }
    let key_check_sha256 = match &value["key-check-sha256"] {
        Value::Null => None,
        Value::String(s) if is_sha256(s) => Some(s.clone()),
        _ => {
            return Err(refused(
                "key-check-sha256",
                "sha256-hex-or-null",
                "the manifest's key-check-sha256 is neither 64 lowercase hex digits nor null: refused",
            ));
        }
    };
    let created_at = value["created-at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| refused("created-at", "rfc3339", "the manifest's created-at is not a time: refused"))?;
    let erasure_journal = match &value["erasure-journal"] {
        Value::Null => None,
        Value::String(p) if !p.is_empty() => Some(p.clone()),
        _ => {
            return Err(refused(
                "erasure-journal",
                "path-or-null",
                "the manifest's erasure-journal is neither a path nor null: refused",
            ));
        }
    };
    Ok(Manifest { value, created_at, files, key_check_sha256, erasure_journal })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn manifest(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut v = serde_json::json!({
            "format": FORMAT,
            "created-at": "2026-11-29T10:00:00.000Z",
            "files": [
                {"store": "default", "name": "data.db", "bytes": 8192, "sha256": SHA},
                {"store": "keys", "name": "keys.db", "bytes": 4096, "sha256": SHA},
            ],
            "key-check-sha256": SHA,
            "erasure-journal": "/srv/shop.erasures",
        });
        edit(&mut v);
        serde_json::to_vec(&v).unwrap_or_default()
    }

    fn rule(text: &[u8]) -> &'static str {
        parse(text).err().map_or("accepted", |r| r.rule)
    }

    #[test]
    fn a_whole_manifest_is_checked_into_its_parts() {
        let m = parse(&manifest(|_| {})).expect("a whole manifest");
        assert_eq!(
            m.files.iter().map(|f| (f.store, f.name, f.bytes)).collect::<Vec<_>>(),
            [("default", "data.db", 8192), ("keys", "keys.db", 4096)]
        );
        assert_eq!(m.key_check_sha256.as_deref(), Some(SHA));
        assert_eq!(m.erasure_journal.as_deref(), Some("/srv/shop.erasures"));
        assert_eq!(m.created_at.to_rfc3339(), "2026-11-29T10:00:00+00:00");
        let m = parse(&manifest(|v| {
            v["key-check-sha256"] = Value::Null;
            v["erasure-journal"] = Value::Null;
        }))
        .expect("no key check, no journal");
        assert_eq!((m.key_check_sha256, m.erasure_journal), (None, None));
    }

    #[test]
    fn each_rule_refuses_its_member() {
        assert_eq!(rule(b"{\"format\""), "json");
        assert_eq!(rule(b"[1]"), "object");
        assert_eq!(rule(br#"{"format": "other/9"}"#), "known-format");
        assert_eq!(rule(&manifest(|v| v["files"] = Value::Null)), "present");
        assert_eq!(rule(&manifest(|v| v["files"][1]["name"] = "data.db".into())), "present");
        assert_eq!(rule(&manifest(|v| v["files"][0]["bytes"] = (-1).into())), "sha256-and-bytes");
        assert_eq!(rule(&manifest(|v| v["files"][0]["sha256"] = SHA.to_uppercase().into())), "sha256-hex");
        assert_eq!(rule(&manifest(|v| v["key-check-sha256"] = 5.into())), "sha256-hex-or-null");
        assert_eq!(rule(&manifest(|v| v["created-at"] = "yesterday".into())), "rfc3339");
        assert_eq!(rule(&manifest(|v| v["erasure-journal"] = "".into())), "path-or-null");
        let r = parse(br#"{"format": "other/9"}"#).expect_err("refused");
        assert_eq!((r.field.as_str(), r.to_string().ends_with("refused")), ("format", true));
    }
}
