//! The exported `fichier:client` interfaces, one module each: the interface's `Guest`
//! impl (each function maps its arguments to the domain's types, calls the domain
//! through [`crate::run`] and maps the result back) and the conversions it needs.
//! `types` holds the vocabulary every interface shares. Exhaustive `match`es, no casts,
//! no rules.
//!
//! A type that crosses both ways is a pair: [`enum_pairs!`] and [`record_pairs!`] write
//! its two `From` impls from one list of its cases or fields, so a case or a field added
//! on either side fails to compile here. A type that crosses one way only is a function
//! beside the `Guest` impl that needs it.

/// How a field or a payload crosses: as is, or by its own pair (`into`), item by item
/// (`each`, a list), or inside an option (`opt`).
macro_rules! cross {
    ($x:ident) => {
        $x
    };
    ($x:ident into) => {
        $x.into()
    };
    ($x:ident each) => {
        $x.into_iter().map(Into::into).collect()
    };
    ($x:ident opt) => {
        $x.map(Into::into)
    };
}

/// WIT enum (or variant) ↔ domain enum: `wit::Role = d::Role { Admin, Dpo, … }` writes
/// `From` each way, each an exhaustive `match` naming every case, no cast and no
/// wildcard arm. A case with a payload names it and says how it crosses:
/// `ThirdParty(name)`, `Other(label: into)` (see [`cross!`]).
macro_rules! enum_pairs {
    ($($w:ty = $d:ty { $($case:ident $(($x:ident $(: $how:ident)?))?),+ $(,)? })*) => {$(
        enum_pairs!(@from $w => $d { $($case $(($x $(: $how)?))?),+ });
        enum_pairs!(@from $d => $w { $($case $(($x $(: $how)?))?),+ });
    )*};
    (@from $from:ty => $to:ty { $($case:ident $(($x:ident $(: $how:ident)?))?),+ }) => {
        impl From<$from> for $to {
            fn from(v: $from) -> Self {
                type In = $from;
                match v {
                    $(In::$case $(($x))? => Self::$case $((cross!($x $($how)?)))?,)+
                }
            }
        }
    };
}

/// WIT record ↔ domain record: `s::MinorAge = d::MinorAge { country, age }` writes
/// `From` each way, each destructuring every field and building the other side from
/// them; a field crosses as [`cross!`] says (`kind: into`, `validity: each`).
macro_rules! record_pairs {
    ($($w:ty = $d:ty { $($field:ident $(: $how:ident)?),+ $(,)? })*) => {$(
        record_pairs!(@from $w => $d { $($field $(: $how)?),+ });
        record_pairs!(@from $d => $w { $($field $(: $how)?),+ });
    )*};
    (@from $from:ty => $to:ty { $($field:ident $(: $how:ident)?),+ }) => {
        impl From<$from> for $to {
            fn from(v: $from) -> Self {
                type In = $from;
                let In { $($field),+ } = v;
                Self { $($field: cross!($field $($how)?)),+ }
            }
        }
    };
}

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
