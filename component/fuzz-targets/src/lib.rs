//! The body of every fuzz target (`fuzz/fuzz_targets/<name>.rs` only calls it), on
//! stable so that `tests/regressions.rs` replays each input kept under
//! `fuzz/regressions/<name>/` through the same function. A target checks its invariant
//! with an assertion: a panic is what the fuzzer reports (natively, the analogue of the
//! component's trap), and what fails the replay.
//!
//! - [`stored_documents`]: every stored document's decoder on arbitrary bytes;
//! - [`caller_input`]: every parser of caller-given strings;
//! - [`import_feed`]: a CSV file fed whole and cut at fuzzer-chosen points, same outcome;
//! - [`rest_face`]: requests through the component's HTTP handler, never a 5xx;
//! - [`backup_manifest`]: a backup's `manifest.json` checked, or refused.

mod documents;
mod import;
mod manifest;
mod rest;
mod strings;

pub use documents::stored_documents;
pub use import::import_feed;
pub use manifest::backup_manifest;
pub use rest::rest_face;
pub use strings::caller_input;

/// A target: its invariant checked on one input (a panic when it does not hold).
pub type Target = fn(&[u8]);

/// Every target by its name (the name of its binary in `fuzz/` and of its directory
/// under `fuzz/regressions/`).
pub const TARGETS: [(&str, Target); 5] = [
    ("stored_documents", stored_documents),
    ("caller_input", caller_input),
    ("import_feed", import_feed),
    ("rest_face", rest_face),
    ("backup_manifest", backup_manifest),
];
