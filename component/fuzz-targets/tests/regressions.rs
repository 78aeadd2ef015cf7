//! Every input kept under `fuzz/regressions/<target>/` (a crash the fuzzer found, once
//! fixed, and the seeds each target starts from) replayed through its target's function,
//! on stable: what `scripts/fuzz` saved fails here until it is fixed.

use std::path::{Path, PathBuf};

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions")
}

#[test]
fn every_kept_input_replays_through_its_target() {
    let mut failed = Vec::new();
    for (name, target) in fichier_fuzz_targets::TARGETS {
        let dir = regressions().join(name);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (each target keeps its inputs there)", dir.display()))
            .map(|e| e.map(|e| e.path()).unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
            .filter(|p| p.is_file())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{}: no input to replay", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failed.push(input.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "inputs that fail their target (panic messages above): {failed:#?}");
}

#[test]
fn every_regressions_directory_is_a_target() {
    let names: Vec<&str> = fichier_fuzz_targets::TARGETS.iter().map(|(n, _)| *n).collect();
    for entry in std::fs::read_dir(regressions()).expect("fuzz/regressions") {
        let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        assert!(names.contains(&name.as_str()), "fuzz/regressions/{name} is no target's: {names:?}");
    }
}
