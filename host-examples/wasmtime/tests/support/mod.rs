//! What the CLI's end-to-end tests share: the `fichier` binary run in a directory with
//! the test master key and the compiled-component cache every test run shares.
#![allow(dead_code)] // each test file uses its part

pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The master key of every test store.
pub const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// The precompiled component, shared by every run of the tests.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm")
}

/// The binary, run in `dir` with the master key in the environment and the shared cache.
pub fn keyed(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fichier"));
    c.current_dir(dir).env("FICHIER_MASTER_KEY", KEY).env("FICHIER_CACHE_DIR", cache_dir());
    c
}

/// The same with the clock pinned at `now` and no `FICHIER_DB` from the environment.
pub fn pinned(dir: &Path, now: &str) -> Command {
    let mut c = keyed(dir);
    c.env("FICHIER_PINNED_CLOCK", now).env_remove("FICHIER_DB");
    c
}

/// What a run of `args` printed as JSON, once it succeeded.
pub fn success_json(args: &[&str], out: &Output) -> Value {
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}
