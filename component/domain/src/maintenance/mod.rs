//! The WIT `maintenance` interface: the store's upkeep.
//!
//! - [`reindex`] — every derived index (the subject and customer directories, e-mail
//!   aliases) rebuilt from the aggregates, at any time, alongside other calls.
//! - [`verify`] — every sealed record opened once, each damaged one named
//!   (`verify-store`), so a damaged record is found before a person asks for it.
//!
//! - [`rotation`] — every wrapped key re-wrapped under a new master key, in resumable
//!   steps (`rotate-master-key`).
//!
//! `list-subjects` pages the subject directory (`kernel::directory`).

pub mod reindex;
pub mod rotation;
pub mod verify;

pub use reindex::ReindexReport;
pub use rotation::{RotationPhase, RotationProgress, RotationStep};
pub use verify::StoreReport;
