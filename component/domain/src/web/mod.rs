//! What only the REST face (`wasi:http/incoming-handler`) calls: API keys (the WIT
//! `settings` interface's key functions; the guest resolves a request's key to its
//! actor) and the public routes' rate limit.
//!
//! - [`apikeys`] — create, list, revoke, authenticate (only the SHA-256 of a secret is
//!   stored, compared in constant time).
//! - [`ratelimit`] — per-client counters of the public routes (an IPv4 address, or an
//!   IPv6 /64 by default), kept as keyed hashes.

pub mod apikeys;
pub mod ratelimit;
