//! `fichier serve` and `fichier api-key …`: the HTTP face (`fichier_host::serve`) on a
//! store that commits concurrent requests in groups, and the API keys its callers present.
//! No rule lives here.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use fichier_host::Runtime;

use serde_json::{Value, json};

use crate::call::{Failure, Output, call, runtime_builder, s};
use crate::wit::WitName;
use crate::{Cli, Role};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    max_body: usize,
    /// Seconds a request may take before it is answered 503 and interrupted.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Also serve the demo shop at `/`, and declare its purposes (`analytics`, `ads`,
    /// `newsletter`, `newsletter-opens`) and notices (French and English) when they are missing.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
pub enum ApiKeyCmd {
    /// Create a key bound to a role; prints its token once.
    Create {
        /// Who or what uses it.
        #[arg(long)]
        name: String,
        /// The key's role: what callers presenting it may do. (`--role`, the acting
        /// role of every command, is still read as the key's role when it is written
        /// once, after `create`, and `--key-role` is not given.)
        #[arg(long, value_enum)]
        key_role: Option<Role>,
    },
    /// Every key (never a secret), revoked ones included.
    List,
    /// Revoke a key: calls made with it are refused from now on.
    Revoke { id: String },
    /// Mint a first admin token offline, for a deployment with no command line into its
    /// store (Spin): prints the token and its SHA-256. Give the SHA-256 as the setting
    /// `bootstrap_admin_sha256` (a secret variable on Spin); the token is then an admin
    /// until the store holds an admin key: create one with it (`POST /v1/api-keys`).
    /// Opens no store.
    Mint,
}

pub fn serve(a: &ServeArgs, cli: &Cli) -> Result<ExitCode, Failure> {
    let &ServeArgs { addr, max_body, timeout, demo } = a;
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let timeout = std::time::Duration::from_secs(timeout.max(1));
    let extra = if demo { vec![("demo".to_owned(), "true".to_owned())] } else { Vec::new() };
    // Requests run concurrently: on SQLite they share commits (see `GroupedKv`); on a
    // database server every write commits on its own, so several processes can serve it.
    let rt = runtime_builder(cli, extra, |cli| crate::call::open_store(cli, true))?
        .pooling(true)
        .deadline(Some(timeout))
        .build()
        .map_err(|e| host(&format!("loading the component: {e:#}")))?;
    if demo {
        seed_demo(&rt)?;
    }
    let opts = fichier_host::serve::ServeOptions { addr, max_body, timeout, ..Default::default() };
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| host(&e))?;
    tokio
        .block_on(fichier_host::serve::serve(
            Arc::new(rt),
            opts,
            |a| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "fichier serving http://{a}/v1/ (data: {})", crate::call::db_shown(cli));
                let _ = writeln!(out, "  admin page: http://{a}/admin   cookie banner: http://{a}/banner.js");
                if demo {
                    let _ = writeln!(out, "  demo shop:  http://{a}/");
                }
            },
            fichier_host::serve::signal(),
        ))
        .map_err(|e| host(&format!("serving on {addr}: {e}")))?;
    let _ = writeln!(std::io::stdout().lock(), "fichier stopped");
    Ok(ExitCode::SUCCESS)
}

/// The demo shop's purposes and notices (`serve --demo`): declared when missing; a
/// notice registered again with the same text keeps its version.
fn seed_demo(rt: &Runtime) -> Result<(), Failure> {
    let actor = json!({"id": "demo", "role": "admin"});
    let declared = call(rt, "consent", "list-purposes", std::slice::from_ref(&actor))?;
    let have = |id: &str| declared.as_array().is_some_and(|l| l.iter().any(|p| p["id"] == json!(id)));
    for (id, kind, title) in [
        ("analytics", "cookie", "Mesure d'audience / Audience measurement"),
        ("ads", "advertising", "Publicité personnalisée / Personalised advertising"),
        ("newsletter", "marketing", "Lettre d'information / Newsletter"),
        ("newsletter-opens", "email-tracking", "Mesure d'ouverture de la lettre / Newsletter open tracking"),
    ] {
        if !have(id) {
            // The opens' measuring serves the newsletter (declared just before).
            let serves = (kind == "email-tracking").then_some("newsletter");
            let input = json!({"id": id, "kind": kind, "title": title, "serves": serves});
            call(rt, "consent", "declare-purpose", &[actor.clone(), input])?;
        }
    }
    for (purposes, lang, text) in [
        (&["ads", "analytics"][..], "fr", include_str!("../../../../../examples/demo/banner.fr.txt")),
        (&["ads", "analytics"][..], "en", include_str!("../../../../../examples/demo/banner.en.txt")),
        (&["newsletter"][..], "fr", include_str!("../../../../../examples/demo/newsletter.fr.txt")),
        (&["newsletter"][..], "en", include_str!("../../../../../examples/demo/newsletter.en.txt")),
        (&["newsletter-opens"][..], "fr", include_str!("../../../../../examples/demo/newsletter-opens.fr.txt")),
        (&["newsletter-opens"][..], "en", include_str!("../../../../../examples/demo/newsletter-opens.en.txt")),
    ] {
        let input = json!({"purposes": purposes, "lang": lang, "text": text});
        call(rt, "consent", "register-notice", &[actor.clone(), input])?;
    }
    Ok(())
}

pub fn api_key(
    c: &ApiKeyCmd,
    rt: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    match c {
        ApiKeyCmd::Mint => mint()?,
        ApiKeyCmd::Create { name, key_role } => {
            // `main` resolved the key's role (`KeyRoles`) before any command ran.
            let Some(role) = key_role else {
                return Err(Failure::Host("api-key create: the key's role is missing (--key-role)".into()));
            };
            let r = call(&rt()?, "settings", "create-api-key", &[actor, json!(name), json!(role.wit())])?;
            Output::new(
                &r,
                format!(
                    "API key {} ({}, role {}):\n{}\nShown once: keep it in the shop's secrets.",
                    s(&r[0]["id"]),
                    s(&r[0]["name"]),
                    s(&r[0]["role"]),
                    s(&r[1])
                ),
            )
        }
        ApiKeyCmd::List => {
            let r = call(&rt()?, "settings", "list-api-keys", &[actor])?;
            let human = r
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .map(|k| {
                            let state =
                                k["revoked-at"].as_str().map_or("active".to_owned(), |t| format!("revoked {t}"));
                            format!("{}  {:<8} {}  ({state})", s(&k["id"]), s(&k["role"]), s(&k["name"]))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            Output::new(&r, human)
        }
        ApiKeyCmd::Revoke { id } => {
            let r = call(&rt()?, "settings", "revoke-api-key", &[actor, json!(id)])?;
            Output::new(&r, format!("API key {} revoked at {}", s(&r["id"]), s(&r["revoked-at"])))
        }
    }
    .done(as_json)
}

/// A token in the form API keys have (`fk_<8 hex>_<64 hex>`), from the system's
/// randomness, and the plain SHA-256 of it (what `sha256sum` prints for the token).
fn mint() -> Result<Output, Failure> {
    let mut raw = [0u8; 36];
    getrandom::fill(&mut raw).map_err(|e| Failure::Host(format!("no system randomness: {e}")))?;
    let token = format!("fk_{}_{}", hex::encode(&raw[..4]), hex::encode(&raw[4..]));
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    let human = format!(
        "Bootstrap admin token (shown once; it is an admin until the store holds an admin key):\n{token}\n\
         Its SHA-256, the setting bootstrap_admin_sha256 (on Spin: the variable bootstrap_admin_sha256):\n{sha256}"
    );
    Ok(Output::new(&json!({"token": token, "sha256": sha256}), human))
}

/// How `api-key create` was given its two roles: the acting role (`--role`, as for every
/// command; default admin) and the key's (`--key-role`). clap keeps one value of a global
/// argument wherever it is written, so where `--role` stands is read from the command
/// line itself ([`role_positions`]): `before` and `after` the words `api-key create`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleFlags {
    pub before: usize,
    pub after: usize,
}

/// The acting role and the key's role of `api-key create`, or why they cannot be told
/// apart. `parsed` is clap's value of `--role` (the last one written, or the default).
///
/// - `--key-role` given: it is the key's role, `--role` the acting one (written once).
/// - No `--key-role` and one `--role` after `create` (the old spelling, `api-key create
///   --name … --role support`): that is the key's role, and the acting role the default.
/// - Anything else is refused, naming `--key-role`: `--role` written twice (the two
///   values cannot be told apart once parsed), or no role for the key at all.
pub fn key_roles(parsed: Role, key_role: Option<Role>, flags: RoleFlags) -> Result<(Role, Role), String> {
    let RoleFlags { before, after } = flags;
    if before + after > 1 {
        return Err("--role is given twice: write the acting role as --role before `api-key create` and the \
                    key's role as --key-role"
            .into());
    }
    match key_role {
        Some(key) => Ok((parsed, key)),
        None if after == 1 => Ok((Role::Admin, parsed)),
        None if before == 1 => Err("--role before `api-key create` is the acting role; name the key's role with \
                                    --key-role <admin|dpo|support|system|public>"
            .into()),
        None => Err("the key's role is missing: --key-role <admin|dpo|support|system|public>".into()),
    }
}

/// Where `--role` (or `--role=…`) is written in `args` (the program's arguments, its
/// name first): before the subcommand words `api-key create`, or after them. Options
/// that take a value skip it, as clap reads them (`Cli`'s own definition says which).
pub fn role_positions(args: &[std::ffi::OsString]) -> RoleFlags {
    use clap::CommandFactory;
    let cli = crate::Cli::command();
    let create = cli.find_subcommand("api-key").and_then(|c| c.find_subcommand("create"));
    let takes_value = |long: &str| {
        cli.get_arguments()
            .chain(create.into_iter().flat_map(clap::Command::get_arguments))
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    let mut flags = RoleFlags { before: 0, after: 0 };
    let mut words = 0;
    let mut tokens = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(token) = tokens.next() {
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = long.split_once('=').map_or((long, false), |(n, _)| (n, true));
            if name == "role" {
                if words >= 2 {
                    flags.after += 1;
                } else {
                    flags.before += 1;
                }
            }
            if !inline && takes_value(name) {
                tokens.next();
            }
        } else if !token.starts_with('-') {
            words += 1;
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<std::ffi::OsString> {
        std::iter::once("fichier").chain(line.split_whitespace()).map(Into::into).collect()
    }

    #[test]
    fn where_role_is_written() {
        let at = |line: &str| {
            let RoleFlags { before, after } = role_positions(&args(line));
            (before, after)
        };
        assert_eq!(at("api-key create --name a --role support"), (0, 1));
        assert_eq!(at("--role dpo api-key create --name a"), (1, 0));
        assert_eq!(at("--db x.db api-key --role=dpo create --name a --role admin"), (1, 1));
        // A value that spells `--role`'s name is a value, not the flag.
        assert_eq!(at("--actor role api-key create --name --role"), (0, 0));
        assert_eq!(at("api-key create --name a --key-role support --json"), (0, 0));
    }

    #[test]
    fn the_roles_of_a_new_key() {
        let flags = |before, after| RoleFlags { before, after };
        for key in [Role::Admin, Role::Dpo, Role::Support, Role::System, Role::Public] {
            // --key-role, with or without an acting role.
            assert_eq!(key_roles(Role::Admin, Some(key), flags(0, 0)), Ok((Role::Admin, key)));
            assert_eq!(key_roles(Role::Dpo, Some(key), flags(1, 0)), Ok((Role::Dpo, key)));
            // The old spelling: one --role after `create`, the acting role the default.
            assert_eq!(key_roles(key, None, flags(0, 1)), Ok((Role::Admin, key)));
        }
        // Ambiguous or missing: refused, naming --key-role.
        for (parsed, key, f) in [
            (Role::Support, None, flags(1, 1)),
            (Role::Support, Some(Role::Dpo), flags(1, 1)),
            (Role::Dpo, None, flags(1, 0)),
            (Role::Admin, None, flags(0, 0)),
        ] {
            let e = key_roles(parsed, key, f).expect_err("refused");
            assert!(e.contains("--key-role"), "{e}");
        }
    }
}
