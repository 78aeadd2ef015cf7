//! # fichier-host
//!
//! The Rust host of the fichier component: wasmtime with the component compiled once
//! and instantiated per operation, `wasi:keyvalue@0.2.0-draft2` on SQLite, PostgreSQL or MariaDB/MySQL (or memory),
//! `wasi:config` from a settings file and the environment, WASI clocks and randomness,
//! and the master key. The host holds no policy: every rule is in the component.

pub mod bindings;
pub mod clock;
pub mod copy;
pub mod dynamic;
pub mod import;
pub mod kv;
pub mod master;
pub mod runtime;
pub mod serve;

pub use clock::Clock;
pub use runtime::{CallError, Runtime, RuntimeBuilder};
