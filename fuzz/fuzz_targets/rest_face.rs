//! `fichier_fuzz_targets::rest_face`: its invariant there (replayed on stable from
//! fuzz/regressions/rest_face/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fichier_fuzz_targets::rest_face(data));
