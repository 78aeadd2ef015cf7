//! `fichier_fuzz_targets::stored_documents`: its invariant there (replayed on stable from
//! fuzz/regressions/stored_documents/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fichier_fuzz_targets::stored_documents(data));
