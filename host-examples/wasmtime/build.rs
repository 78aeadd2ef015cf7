//! Builds the fichier component (`component/guest`) for wasm32-wasip2 so that
//! `cargo build` and `cargo test` need no manual step, and exposes its path as
//! `FICHIER_COMPONENT`. Like wasmtime's test-programs artifacts: a nested cargo into
//! its own target directory (no lock contention), `rerun-if-changed` from dep-info.
//! A failed guest build fails this build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..").canonicalize().expect("workspace root");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<pkg>/out: the guest builds in <target>/guest.
    let target_dir = out.ancestors().nth(4).map(Path::to_path_buf).unwrap_or_else(|| root.join("target"));
    let guest_target = target_dir.join("guest");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--locked", "-p", "fichier-guest", "--target", "wasm32-wasip2", "--profile", "component"])
        .arg("--target-dir")
        .arg(&guest_target);
    // Nothing of the outer build's flags or wrappers (clippy, coverage) applies to the guest.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PROFILE_RELEASE_DEBUG",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // Start with 4 MiB of linear memory (the 1 MiB stack and the heap a call uses), so a
    // call does not pay for growing memory page by page in every fresh instance.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Clink-arg=--initial-memory=4194304");
    let status = cmd.status().expect("run cargo to build the component");
    if !status.success() {
        panic!("building the fichier component (cargo build -p fichier-guest --target wasm32-wasip2) failed");
    }
    let wasm = guest_target.join("wasm32-wasip2/component/fichier_guest.wasm");
    if !wasm.exists() {
        panic!("the component was not produced at {}", wasm.display());
    }
    println!("cargo:rustc-env=FICHIER_COMPONENT={}", wasm.display());

    // Rebuild when anything the guest was built from changes.
    let depinfo = guest_target.join("wasm32-wasip2/component/fichier_guest.d");
    if let Ok(deps) = std::fs::read_to_string(&depinfo)
        && let Some((_, files)) = deps.split_once(": ")
    {
        for f in files.split_whitespace() {
            println!("cargo:rerun-if-changed={}", f.replace("\\ ", " "));
        }
    }
    for p in ["wit", "component/guest/Cargo.toml", "component/domain/Cargo.toml", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}
