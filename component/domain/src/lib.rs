//! # fichier-domain
//!
//! Every rule of fichier, in plain Rust: no IO, no clock, no randomness, no WIT.
//! Time, randomness and the master key arrive as arguments ([`Fichier::new`]); storage
//! is the [`store::Store`] port, which the guest implements over `wasi:keyvalue` and
//! tests implement in memory.

pub mod access;
pub mod apikeys;
pub mod audit;
pub mod authz;
pub mod banner;
pub mod basis;
pub mod breach;
pub mod checks;
pub mod consent;
pub mod crypto;
pub mod customers;
pub mod docs;
pub mod duplicates;
pub mod erasure;
pub mod error;
pub mod identifiers;
pub mod import;
pub mod ledger;
pub mod maintenance;
pub mod minimisation;
pub mod model;
pub mod normalize;
pub mod objection;
pub mod phone;
pub mod ratelimit;
pub mod registry;
mod registry_defaults;
pub mod registry_export;
pub mod registry_notice;
pub mod retention;
pub mod rights;
pub mod service;
pub mod settings;
mod sort;
pub mod store;
pub mod time;
pub mod validate;

pub use error::{Error, FieldError, Result};
pub use service::Fichier;
