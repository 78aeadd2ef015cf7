//! `fichier_fuzz_targets::backup_manifest`: its invariant there (replayed on stable from
//! fuzz/regressions/backup_manifest/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fichier_fuzz_targets::backup_manifest(data));
