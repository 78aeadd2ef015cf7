//! # fichier-domain
//!
//! Every rule of fichier, in plain Rust: no IO, no clock, no randomness, no WIT.
//! Time, randomness and the master key arrive as arguments ([`Fichier::new`]); storage
//! is the [`Store`](kernel::store::Store) port, which the guest implements over
//! `wasi:keyvalue` and tests implement in memory.
//!
//! The modules mirror the WIT package `fichier:client`: one context per interface (or
//! pair of interfaces), on a [`kernel`] they all share.
//!
//! | module | WIT interface(s) |
//! |---|---|
//! | [`kernel`] | `types`, `settings` (the policy) |
//! | [`consent`] | `consent`, `ledger` |
//! | [`customers`] | `customers`, `customer-import` |
//! | [`minimisation`] | `minimisation` |
//! | [`registry`] | `registry`, `breaches` |
//! | [`retention`] | `retention` |
//! | [`rights`] | `rights` |
//! | [`outbox`] | `outbox` |
//! | [`audit`] | `audit` |
//! | [`maintenance`] | `maintenance` (`reindex`, `verify-store`) |
//! | [`web`] | `settings` (API keys), and what only the REST face calls |
//!
//! **Architecture invariant:** a context uses the kernel and may use other contexts; the
//! kernel uses no context.
//!
//! **Architecture invariant:** every public operation takes the acting [`Actor`]
//! (kernel::types::Actor), checks its role ([`kernel::authz`]) and validates its input
//! before it reads or writes, and returns a typed [`Error`] naming the field and the rule.

pub mod audit;
pub mod consent;
pub mod customers;
pub mod kernel;
pub mod maintenance;
pub mod minimisation;
pub mod outbox;
pub mod registry;
pub mod retention;
pub mod rights;
pub mod web;

pub use kernel::context::Fichier;
pub use kernel::error::{Error, FieldError, Result};
