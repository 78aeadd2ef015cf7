//! Builds the fichier component (`component/guest`) for wasm32-wasip2 so that
//! `cargo build` and `cargo test` need no manual step, and gives `src/lib.rs` its path
//! (`FICHIER_COMPONENT`) and digest (`FICHIER_COMPONENT_SHA256`). Like wasmtime's test-programs artifacts: a nested cargo into
//! its own target directory (no lock contention), `rerun-if-changed` from dep-info.
//! A failed guest build fails this build.
//!
//! The guest is linked as a core module (`--skip-wit-component`), optimised with
//! Binaryen's `wasm-opt -Oz` (about a fifth smaller than LLVM's output alone), then
//! encoded as a component by `wit-component` from the WIT the module carries. The
//! result is `<target>/guest/fichier.wasm`, the one artifact every host loads; it is
//! redone only when the core module's bytes change.

use std::path::{Path, PathBuf};
use std::process::Command;

include!("nested_cargo.rs");

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
        .args(["rustc", "--locked", "-p", "fichier-guest", "--target", "wasm32-wasip2", "--profile", "component"])
        // A cdylib here only: the crate is an rlib for its native callers, and two crate
        // types in one build would turn LTO off.
        .args(["--crate-type", "cdylib"])
        .arg("--target-dir")
        .arg(&guest_target);
    // Nothing of the outer build's flags or wrappers (clippy, coverage) applies to the guest.
    for var in NESTED_CARGO_CLEARS {
        cmd.env_remove(var);
    }
    // Start with 4 MiB of linear memory (the 1 MiB stack and the heap a call uses), so a
    // call does not pay for growing memory page by page in every fresh instance.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Clink-arg=--initial-memory=4194304\x1f-Clink-arg=--skip-wit-component");
    let status = cmd.status().expect("run cargo to build the component");
    if !status.success() {
        panic!(
            "building the fichier component (cargo rustc -p fichier-guest --target wasm32-wasip2 --crate-type cdylib) failed"
        );
    }
    let core = guest_target.join("wasm32-wasip2/component/fichier_guest.wasm");
    let wasm = guest_target.join("fichier.wasm");
    if let Err(e) = component(&core, &wasm) {
        panic!("making the component from {}: {e}", core.display());
    }
    println!("cargo:rustc-env=FICHIER_COMPONENT={}", wasm.display());
    // Its digest, so the host names its precompiled cache entry without hashing 2 MB at
    // every start (a PHP request opens the component each time).
    let built = std::fs::read(&wasm).expect("read the component");
    println!(
        "cargo:rustc-env=FICHIER_COMPONENT_SHA256={}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&built))
    );

    // Rebuild when anything the guest was built from changes.
    let depinfo = guest_target.join("wasm32-wasip2/component/fichier_guest.d");
    if let Ok(deps) = std::fs::read_to_string(&depinfo)
        && let Some((_, files)) = deps.split_once(": ")
    {
        for f in files.split_whitespace() {
            println!("cargo:rerun-if-changed={}", f.replace("\\ ", " "));
        }
    }
    for p in [
        "wit",
        "component/guest/assets",
        "component/guest/Cargo.toml",
        "component/domain/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}

/// Optimise the core module and encode it as a component, unless `wasm` was already
/// made from these very bytes (its `.source` file holds their SHA-256).
fn component(core: &Path, wasm: &Path) -> Result<(), String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(core).map_err(|e| format!("reading the core module: {e}"))?;
    let source = hex::encode(Sha256::digest(&bytes));
    let stamp = wasm.with_extension("wasm.source");
    if wasm.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == source) {
        return Ok(());
    }
    let optimised = wasm.with_extension("opt.core.wasm");
    let mut opts = wasm_opt::OptimizationOptions::new_optimize_for_size_aggressively();
    // The features rustc enables for wasm32-wasip2 (Rust 1.95).
    for f in [
        wasm_opt::Feature::BulkMemory,
        wasm_opt::Feature::SignExt,
        wasm_opt::Feature::MutableGlobals,
        wasm_opt::Feature::TruncSat,
        wasm_opt::Feature::Multivalue,
        wasm_opt::Feature::ReferenceTypes,
    ] {
        opts.enable_feature(f);
    }
    opts.debug_info(false).run(core, &optimised).map_err(|e| format!("wasm-opt: {e}"))?;
    let module = std::fs::read(&optimised).map_err(|e| format!("reading the optimised module: {e}"))?;
    let encoded = wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| format!("wit-component: {e:#}"))?;
    let encoded = without_custom_section(&encoded, b"component-name")?;
    let tmp = wasm.with_extension("wasm.tmp");
    std::fs::write(&tmp, &encoded).map_err(|e| format!("writing the component: {e}"))?;
    std::fs::rename(&tmp, wasm).map_err(|e| format!("writing the component: {e}"))?;
    std::fs::write(&stamp, source).map_err(|e| format!("writing the component's stamp: {e}"))?;
    let _ = std::fs::remove_file(&optimised);
    Ok(())
}

/// `component` without its top-level custom sections called `name`: the component-level
/// debug names (20 KB) no host reads (wasmtime names frames from the core modules, whose
/// names are stripped already; jco and the Spin runtime go by import and export names).
fn without_custom_section(component: &[u8], name: &[u8]) -> Result<Vec<u8>, String> {
    fn leb(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(*at).ok_or("a section runs past the component's end")?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
            shift += 7;
            if shift > 28 {
                return Err("a section size is not a 32-bit LEB128".into());
            }
        }
    }
    let mut out = component.get(..8).ok_or("not a component")?.to_vec();
    let mut at = 8;
    while at < component.len() {
        let start = at;
        let id = component[at];
        at += 1;
        let size = leb(component, &mut at)?;
        let end = at.checked_add(size).filter(|&e| e <= component.len()).ok_or("a section runs past the end")?;
        let drop = id == 0 && {
            let mut n = at;
            let len = leb(component, &mut n)?;
            component.get(n..n + len) == Some(name)
        };
        if !drop {
            out.extend_from_slice(&component[start..end]);
        }
        at = end;
    }
    Ok(out)
}
