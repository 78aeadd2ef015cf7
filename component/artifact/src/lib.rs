//! # fichier-artifact
//!
//! The fichier component (`component/guest`) built as every host loads it, like
//! wasmtime's `crates/test-programs/artifacts`: this crate's build script builds the
//! guest for wasm32-wasip2 with a nested cargo, optimises it with Binaryen and makes it
//! a component, writing `target/guest/fichier.wasm` (what Node, Spin and PHP load).
//! `cargo build -p fichier-artifact` makes that file without compiling wasmtime; the
//! Rust host embeds [`COMPONENT`].

/// Where the component was written: `<target>/guest/fichier.wasm`.
pub const COMPONENT_PATH: &str = env!("FICHIER_COMPONENT");

/// The component's bytes.
pub const COMPONENT: &[u8] = include_bytes!(env!("FICHIER_COMPONENT"));

/// The SHA-256 of [`COMPONENT`] (hex), computed when it was built (a host names its
/// precompiled cache entry with it without hashing 2 MB at every start).
pub const COMPONENT_SHA256: &str = env!("FICHIER_COMPONENT_SHA256");
