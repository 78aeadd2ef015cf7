//! Copying both stores from one backend to another (`fichier store copy`): a shop moves
//! from SQLite files to PostgreSQL, or back, with one command.
//!
//! - The source is read from one consistent snapshot, which the caller opens
//!   ([`crate::kv::SqlKv::begin_snapshot`], or SQLite files copied with `VACUUM INTO`).
//! - The keys are copied before the data, page by page (1000 keys, each page one
//!   transaction on the target): at every moment the target's data has its keys.
//! - Resumable: run again with `resume`, a page writes only the keys missing or different
//!   on the target, and keys the source no longer has are deleted, so the target ends as a
//!   mirror of the snapshot. Without `resume` a target that holds anything is refused.
//! - [`compare`] then walks both again: the same keys and the same bytes.

use std::collections::HashSet;

use crate::kv::{KvBackend, KvError};

/// Labels in copy order: the keys first.
pub const ORDER: [&str; 2] = ["keys", "default"];

/// What the copy did to one label.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub label: String,
    /// Keys in the source snapshot.
    pub keys: u64,
    /// Written to the target (missing or different there).
    pub written: u64,
    /// Already identical on the target (a resumed copy).
    pub unchanged: u64,
    /// Deleted from the target (no longer in the source).
    pub deleted: u64,
    /// Bytes of values in the source.
    pub bytes: u64,
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target's {label} store is not empty: copy into an empty store, or pass --resume to finish a copy")]
    TargetNotEmpty { label: String },
    #[error("reading the source's {label} store: {error}")]
    Source { label: String, error: KvError },
    #[error("writing the target's {label} store: {error}")]
    Target { label: String, error: KvError },
}

/// Every key of `label`, page by page, with its value: `each` gets a page at a time.
fn pages(
    kv: &dyn KvBackend,
    label: &str,
    mut each: impl FnMut(Vec<(String, Vec<u8>)>) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    let src = |error| CopyError::Source { label: label.into(), error };
    let mut cursor: Option<String> = None;
    loop {
        let keys = kv.list_after(label, cursor.as_deref()).map_err(src)?;
        let Some(last) = keys.last().cloned() else { return Ok(()) };
        let values = kv.get_many(label, &keys).map_err(src)?;
        // A key listed but gone by the read: not in this (non-snapshot) source any more.
        let page = keys.into_iter().zip(values).filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        each(page)?;
        cursor = Some(last);
    }
}

/// Copy `from` (a snapshot) into `to`, the keys first. `progress(label, keys so far)`.
pub fn copy(
    from: &dyn KvBackend,
    to: &dyn KvBackend,
    resume: bool,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Vec<Copied>, CopyError> {
    if !resume {
        for label in ORDER {
            let first = to.list_after(label, None).map_err(|error| CopyError::Target { label: label.into(), error })?;
            if !first.is_empty() {
                return Err(CopyError::TargetNotEmpty { label: label.into() });
            }
        }
    }
    let mut report = Vec::new();
    for label in ORDER {
        let dst = |error| CopyError::Target { label: label.into(), error };
        let mut done = Copied { label: label.into(), ..Copied::default() };
        let mut seen: HashSet<String> = HashSet::new();
        pages(from, label, |page| {
            let existing = if resume {
                let keys: Vec<String> = page.iter().map(|(k, _)| k.clone()).collect();
                to.get_many(label, &keys).map_err(dst)?
            } else {
                vec![None; page.len()]
            };
            to.begin().map_err(dst)?;
            let written = (|| {
                let mut n = 0;
                for ((key, value), there) in page.iter().zip(&existing) {
                    if there.as_deref() != Some(value.as_slice()) {
                        to.set(label, key, value)?;
                        n += 1;
                    }
                }
                Ok::<u64, KvError>(n)
            })();
            let written = match written {
                Ok(n) => n,
                Err(e) => {
                    to.rollback();
                    return Err(dst(e));
                }
            };
            to.commit().map_err(dst)?;
            done.keys += page.len() as u64;
            done.written += written;
            done.unchanged += page.len() as u64 - written;
            done.bytes += page.iter().map(|(_, v)| v.len() as u64).sum::<u64>();
            if resume {
                seen.extend(page.into_iter().map(|(k, _)| k));
            }
            progress(label, done.keys);
            Ok(())
        })?;
        if resume {
            // A mirror: what the source no longer has goes.
            let mut extra = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let keys = to.list_after(label, cursor.as_deref()).map_err(dst)?;
                let Some(last) = keys.last().cloned() else { break };
                extra.extend(keys.into_iter().filter(|k| !seen.contains(k)));
                cursor = Some(last);
            }
            for key in &extra {
                to.delete(label, key).map_err(dst)?;
            }
            done.deleted = extra.len() as u64;
        }
        report.push(done);
    }
    Ok(report)
}

/// How two stores differ (at most `limit` differences named).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// Keys compared, over both labels.
    pub keys: u64,
    /// `label/key: why`, the first `limit` of them.
    pub differences: Vec<String>,
    /// How many differences in all.
    pub different: u64,
}

/// Walk `a` and `b` together: the same keys, the same values.
pub fn compare(a: &dyn KvBackend, b: &dyn KvBackend, limit: usize) -> Result<Comparison, CopyError> {
    let mut out = Comparison::default();
    let note = |out: &mut Comparison, what: String| {
        out.different += 1;
        if out.differences.len() < limit {
            out.differences.push(what);
        }
    };
    for label in ORDER {
        let dst = |error| CopyError::Target { label: label.into(), error };
        let mut in_a: HashSet<String> = HashSet::new();
        pages(a, label, |page| {
            let keys: Vec<String> = page.iter().map(|(k, _)| k.clone()).collect();
            let there = b.get_many(label, &keys).map_err(dst)?;
            for ((key, value), other) in page.into_iter().zip(there) {
                out.keys += 1;
                match other {
                    None => note(&mut out, format!("{label}/{key}: missing from the target")),
                    Some(v) if v != value => note(&mut out, format!("{label}/{key}: a different value")),
                    Some(_) => {}
                }
                in_a.insert(key);
            }
            Ok(())
        })?;
        let mut cursor: Option<String> = None;
        loop {
            let keys = b.list_after(label, cursor.as_deref()).map_err(dst)?;
            let Some(last) = keys.last().cloned() else { break };
            for key in keys.into_iter().filter(|k| !in_a.contains(k)) {
                note(&mut out, format!("{label}/{key}: only in the target"));
            }
            cursor = Some(last);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    fn store(pairs: &[(&str, &str, &str)]) -> MemoryKv {
        let kv = MemoryKv::new(&["default", "keys"]);
        for (label, k, v) in pairs {
            kv.set(label, k, v.as_bytes()).unwrap();
        }
        kv
    }

    #[test]
    fn a_copy_mirrors_the_source_keys_first_and_a_resumed_one_writes_only_what_differs() {
        let mut many: Vec<(String, String)> =
            (0..2500).map(|i| (format!("customer/{i:05}"), format!("v{i}"))).collect();
        many.push(("check".into(), "k".into()));
        let from = MemoryKv::new(&["default", "keys"]);
        for (k, v) in &many {
            from.set(if k == "check" { "keys" } else { "default" }, k, v.as_bytes()).unwrap();
        }
        let to = MemoryKv::new(&["default", "keys"]);
        let mut seen = Vec::new();
        let report = copy(&from, &to, false, &mut |label, n| seen.push((label.to_string(), n))).unwrap();
        assert_eq!(seen.first().map(|(l, _)| l.as_str()), Some("keys"), "the keys first");
        assert_eq!(seen.last(), Some(&("default".to_string(), 2500)));
        assert_eq!((report[1].keys, report[1].written, report[1].unchanged), (2500, 2500, 0));
        let same = compare(&from, &to, 10).unwrap();
        assert_eq!((same.keys, same.different), (2501, 0));

        // A non-empty target is refused without --resume.
        assert!(matches!(copy(&from, &to, false, &mut |_, _| {}), Err(CopyError::TargetNotEmpty { .. })));

        // The source changed since (an interrupted copy run again): only the differences move.
        from.set("default", "customer/00007", b"changed").unwrap();
        from.delete("default", "customer/00008").unwrap();
        to.set("default", "stray", b"x").unwrap();
        let before = compare(&from, &to, 10).unwrap();
        assert_eq!(before.different, 3, "{before:?}");
        assert!(before.differences.iter().any(|d| d == "default/customer/00007: a different value"));
        assert!(before.differences.iter().any(|d| d == "default/stray: only in the target"));
        let report = copy(&from, &to, true, &mut |_, _| {}).unwrap();
        assert_eq!((report[1].written, report[1].unchanged, report[1].deleted), (1, 2498, 2));
        assert_eq!(compare(&from, &to, 10).unwrap().different, 0);
    }

    #[test]
    fn a_difference_list_is_bounded() {
        let from = store(&[("default", "a", "1"), ("default", "b", "2"), ("default", "c", "3")]);
        let to = store(&[]);
        let c = compare(&from, &to, 2).unwrap();
        assert_eq!((c.different, c.differences.len()), (3, 2));
    }
}
