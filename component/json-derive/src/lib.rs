//! `#[derive(Json)]` for the types `wit-bindgen` generates, so that the component's HTTP
//! face reads and writes WIT values with one mapping, derived from the WIT itself. Values
//! are read from a `serde_json::Value` and written straight as JSON text (no tree of
//! values built first: a page of 1 000 customers is ~2.5 MB of it). The
//! JSON conventions are those of the conformance cases and of the Rust host's `invoke`:
//!
//! | WIT | JSON |
//! |---|---|
//! | record | object, kebab-case field names; an absent `option` field is `none`; unknown fields are refused |
//! | variant | `{"tag": "case", "val": payload}`, or `{"tag": "case"}` |
//! | enum | `"case"` |
//!
//! wit-bindgen writes a WIT enum as a Rust enum with `#[repr(u8)]` (or wider) and a
//! variant as one without, which is how the two are told apart. Rust names are turned
//! back into WIT's: `user_agent_sha256` → `user-agent-sha256`, `NotFound` → `not-found`,
//! and a trailing `_` (a Rust keyword escaped) is dropped. The generated code calls
//! `crate::json`, which the deriving crate provides.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Data, DeriveInput, Fields, parse_macro_input};

#[proc_macro_derive(Json)]
pub fn derive_json(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `user_agent_sha256` → `user-agent-sha256`; `type_` → `type`.
fn field_name(rust: &str) -> String {
    let s = rust.strip_prefix("r#").unwrap_or(rust);
    s.trim_end_matches('_').replace('_', "-")
}

/// `NotFound` → `not-found`; `Ipv4` → `ipv4`.
fn case_name(rust: &str) -> String {
    let mut out = String::new();
    for (i, c) in rust.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let (from, to) = match &input.data {
        Data::Struct(s) => {
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new_spanned(name, "derive(Json): only records (named fields)"));
            };
            let idents: Vec<_> = fields.named.iter().filter_map(|f| f.ident.clone()).collect();
            let keys: Vec<String> = idents.iter().map(|i| field_name(&i.to_string())).collect();
            // Written with the keys in byte order, as serde_json writes a map: `{"a":…,"b":…}`.
            let mut sorted: Vec<(&String, &syn::Ident)> = keys.iter().zip(&idents).collect();
            sorted.sort();
            let prefixes: Vec<String> = sorted
                .iter()
                .enumerate()
                .map(|(i, (k, _))| format!("{}\"{k}\":", if i == 0 { "{" } else { "," }))
                .collect();
            let ordered: Vec<&syn::Ident> = sorted.iter().map(|(_, i)| *i).collect();
            let close = if keys.is_empty() { "{}" } else { "}" };
            (
                quote! {
                    let o = crate::json::object(v, &[#(#keys),*])?;
                    Ok(Self { #(#idents: crate::json::field(o, #keys)?,)* })
                },
                quote! {
                    #(
                        out.extend_from_slice(#prefixes.as_bytes());
                        crate::json::Json::write_json(&self.#ordered, out);
                    )*
                    out.extend_from_slice(#close.as_bytes());
                },
            )
        }
        Data::Enum(e) => {
            let is_enum = input.attrs.iter().any(|a| a.path().is_ident("repr"));
            let mut from_arms = Vec::new();
            let mut to_arms = Vec::new();
            let mut cases = Vec::new();
            for var in &e.variants {
                let v = &var.ident;
                let case = case_name(&v.to_string());
                cases.push(case.clone());
                match (&var.fields, is_enum) {
                    (Fields::Unit, true) => {
                        from_arms.push(quote! { #case => Ok(Self::#v), });
                        let text = format!("\"{case}\"");
                        to_arms.push(quote! { Self::#v => out.extend_from_slice(#text.as_bytes()), });
                    }
                    (Fields::Unit, false) => {
                        from_arms.push(quote! { #case => crate::json::no_payload(val).map(|()| Self::#v), });
                        let text = format!("{{\"tag\":\"{case}\"}}");
                        to_arms.push(quote! { Self::#v => out.extend_from_slice(#text.as_bytes()), });
                    }
                    (Fields::Unnamed(f), false) if f.unnamed.len() == 1 => {
                        from_arms.push(quote! { #case => crate::json::payload(val).map(Self::#v), });
                        let open = format!("{{\"tag\":\"{case}\",\"val\":");
                        to_arms.push(quote! {
                            Self::#v(x) => {
                                out.extend_from_slice(#open.as_bytes());
                                crate::json::Json::write_json(x, out);
                                out.push(b'}');
                            }
                        });
                    }
                    _ => return Err(syn::Error::new_spanned(v, "derive(Json): a WIT case has at most one payload")),
                }
            }
            let from = if is_enum {
                quote! {
                    let s = crate::json::string(v)?;
                    match s { #(#from_arms)* _ => Err(crate::json::JsonError::one_of(&[#(#cases),*])) }
                }
            } else {
                quote! {
                    let (tag, val) = crate::json::variant(v)?;
                    match tag {
                        #(#from_arms)*
                        _ => Err(crate::json::JsonError::one_of(&[#(#cases),*]).within("tag")),
                    }
                }
            };
            (from, quote! { match self { #(#to_arms)* } })
        }
        Data::Union(_) => return Err(syn::Error::new_spanned(name, "derive(Json): unions are not WIT types")),
    };
    let (imp, ty, wh) = input.generics.split_for_impl();
    Ok(quote! {
        impl #imp crate::json::Json for #name #ty #wh {
            fn from_json(v: &crate::json::Value) -> ::core::result::Result<Self, crate::json::JsonError> { #from }
            fn write_json(&self, out: &mut ::std::vec::Vec<u8>) { #to }
        }
    })
}
