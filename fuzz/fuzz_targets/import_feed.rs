//! `fichier_fuzz_targets::import_feed`: its invariant there (replayed on stable from
//! fuzz/regressions/import_feed/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fichier_fuzz_targets::import_feed(data));
