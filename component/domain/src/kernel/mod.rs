//! The kernel: what every context stands on, and nothing of any context.
//!
//! - [`context`] — [`Fichier`](context::Fichier), one call's context (the store port,
//!   `now`, randomness, the master key), raw storage with its errors named, typed
//!   documents and the compare-and-swap retry loop.
//! - [`keys`] — the master key's check value, per-subject data keys wrapped in the `keys`
//!   bucket, subject ids from keyed look-up hashes.
//! - [`store`] — the storage port (`wasi:keyvalue` as the domain needs it), the
//!   versioned document envelope (JSON or binary), [`MemoryStore`](store::MemoryStore).
//! - [`crypto`] — HKDF-derived keys, XChaCha20-Poly1305 sealing, key wrapping, HMAC.
//! - [`error`] — the one error type, naming the field and the rule.
//! - [`time`] — RFC 3339, calendar arithmetic in the shop's zone, [`Stamp`](time::Stamp).
//! - [`validate`] — field validators shared by every entry point.
//! - [`authz`] — the role table: which role may do what.
//! - [`directory`] — the sharded directories of subjects and customers.
//! - [`policy`] — the policy document every context reads (and its `settings` operations).
//! - [`types`] — the shared vocabulary (the WIT `types` interface and a few enums every
//!   context reads).
//! - [`sort`] — one compiled stable sort for small, cold lists.
//!
//! **Architecture invariant:** the kernel depends on no context (`consent`, `customers`,
//! …): a context may use the kernel, never the other way round.
//!
//! **Architecture invariant:** nothing here does IO, reads a clock or draws randomness:
//! they come in through [`Fichier::new`](context::Fichier::new).

pub mod authz;
pub mod context;
pub mod crypto;
pub mod directory;
pub mod encoding;
pub mod error;
pub mod keys;
pub mod nfc;
pub mod policy;
pub(crate) mod sort;
pub mod store;
pub mod time;
pub mod types;
pub mod validate;
