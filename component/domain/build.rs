//! Generates the tables of `src/minimisation/lexicon.rs` that need Unicode data (lower-casing,
//! `char::is_alphanumeric`), which `const fn`s cannot compute: `OUT_DIR/latin.rs`.

use std::fmt::Write as _;
use std::path::Path;

include!("src/minimisation/fold_rules.rs");

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/minimisation/fold_rules.rs");
    let (first, last) = ('\u{c0}', '\u{17f}');
    let mut latin = String::new();
    for c in first..=last {
        let mut folded = String::new();
        fold_non_ascii(c, &mut folded);
        writeln!(latin, "    ({}, {folded:?}), // {c}", c.is_alphanumeric()).expect("writing to a String");
    }
    let len = u32::from(last) - u32::from(first) + 1;
    let code = format!(
        "/// For `U+00C0..=U+017F`: whether the character is alphanumeric, and its folded form.\n\
         const LATIN: [(bool, &str); {len}] = [\n{latin}];\n"
    );
    let out = std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts");
    std::fs::write(Path::new(&out).join("latin.rs"), code).expect("writing OUT_DIR/latin.rs");
}
