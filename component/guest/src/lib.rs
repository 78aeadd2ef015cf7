//! The fichier component. This crate only maps `fichier:client` WIT types to the
//! domain crate's and back, and lends the domain the component's imports:
//! `wasi:keyvalue` buckets as its store, `wasi:clocks` as its clock, `wasi:random` as
//! its entropy, `wasi:config` for the master key. No rule lives here.
//!
//! - `exports/`: one module per exported interface, its `Guest` impl and conversions;
//! - `http/`: the REST face (`wasi:http/incoming-handler`), calling the same functions;
//! - `json.rs`: the one JSON mapping of WIT values; `kv.rs`: the store over `wasi:keyvalue`;
//! - `host.rs`: the clock, randomness and configuration, and [`run`] (in the component);
//! - `native.rs` (natively only, never in the component): the same [`run`] and settings
//!   over an in-memory store, a fixed clock and seeded randomness, and the REST face
//!   called in-process, for the fuzz target (`fuzz/`) and its stable replay.
//! - here: the bindings.

mod exports;
#[cfg(target_arch = "wasm32")]
mod host;
mod http;
mod json;
#[cfg(target_arch = "wasm32")]
mod kv;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use bindings::exports::fichier::client::types as wit;
#[cfg(target_arch = "wasm32")]
use host::{run, setting};
#[cfg(not(target_arch = "wasm32"))]
use native::{run, setting};

#[allow(unsafe_code)] // the generated ABI glue is the only unsafe code of the component
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "service",
        generate_all,
        // One JSON mapping for every WIT value the HTTP face reads or writes (json.rs).
        additional_derives: [fichier_json_derive::Json],
        additional_derives_ignore: ["stream-error", "error-code", "dns-error-payload", "tls-alert-received-payload",
            "field-size-payload", "header-error", "request-options-error", "method", "scheme",
            "error", "cas-error", "key-response"],
    });
    // The component's exports; natively (`native.rs`) the functions are called in-process,
    // and the exported symbols' WIT names would not link.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

struct Component;
