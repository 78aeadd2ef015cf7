//! The architecture invariants of `src/lib.rs` and the contexts' `mod.rs`, checked on the
//! sources: the kernel uses no context, and the minimisation rules (all but
//! `operations.rs`) read no store.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

const CONTEXTS: [&str; 10] = [
    "audit",
    "consent",
    "customers",
    "minimisation",
    "maintenance",
    "outbox",
    "registry",
    "retention",
    "rights",
    "web",
];

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub)
}

#[test]
fn the_kernel_uses_no_context() {
    let files = sources(&src("kernel"));
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for context in CONTEXTS {
            for path in [format!("crate::{context}::"), format!("crate::{context};"), format!("crate::{{{context}")] {
                assert!(!text.contains(&path), "{} names {path}", file.display());
            }
        }
    }
}

#[test]
fn the_minimisation_rules_read_no_store() {
    let files: Vec<PathBuf> =
        sources(&src("minimisation")).into_iter().filter(|f| !f.ends_with("operations.rs")).collect();
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["Fichier", "kernel::store", "kernel::context", "kernel::keys", "Store"] {
            // Whole names only at their end: `Store` and `MemoryStore` are the port, the value
            // handling `Stored` is not.
            let names = text
                .match_indices(forbidden)
                .any(|(i, w)| !text[i + w.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'));
            assert!(!names, "{} names {forbidden}", file.display());
        }
    }
}
