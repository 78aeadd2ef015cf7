//! `fichier_fuzz_targets::caller_input`: its invariant there (replayed on stable from
//! fuzz/regressions/caller_input/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fichier_fuzz_targets::caller_input(data));
