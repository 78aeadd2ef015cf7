//! The exported `fichier:client` interfaces, one module each: the interface's `Guest`
//! impl (each function maps its arguments to the domain's types, calls the domain
//! through [`crate::run`] and maps the result back) and the conversions it needs.
//! `types` holds the vocabulary every interface shares. Exhaustive `match`es, no casts,
//! no rules.

mod audit;
mod breaches;
mod consent;
mod customer_import;
mod customers;
mod ledger;
mod maintenance;
mod minimisation;
mod outbox;
mod registry;
mod retention;
mod rights;
mod settings;
pub mod types;
