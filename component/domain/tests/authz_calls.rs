//! The check a call meets before its input is read (`authz::authorize_call`): it knows
//! every function the REST face routes to, lets the public call the public routes, and
//! never refuses a call the function itself accepts (every call of the conformance cases
//! that succeeds passes it).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use fichier_domain::kernel::authz::{authorize_call, operations_of};
use fichier_domain::kernel::types::Role;
use serde_json::Value;

const ROUTES: &str = include_str!("../../guest/src/routes.txt");

/// `(function, public)` of every route (`-` for the health check, which calls none).
fn routes() -> Vec<(&'static str, bool)> {
    ROUTES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[2], cols.get(4) == Some(&"public"))
        })
        .filter(|(f, _)| *f != "-")
        .collect()
}

fn role(name: &str) -> Role {
    match name {
        "admin" => Role::Admin,
        "dpo" => Role::Dpo,
        "support" => Role::Support,
        "system" => Role::System,
        "public" => Role::Public,
        other => panic!("no role {other}"),
    }
}

#[test]
fn every_routed_function_is_known_and_the_public_may_call_the_public_routes() {
    for (function, public) in routes() {
        assert!(operations_of(function).is_some(), "{function} is routed but not in authz::operations_of");
        if public {
            assert!(authorize_call(Role::Public, function).is_ok(), "{function} is public");
        }
    }
    // Admin routes are refused ahead to the roles that may never call them.
    let e = authorize_call(Role::Support, "settings.create-api-key").unwrap_err();
    let f = e.field_error().unwrap();
    assert_eq!((e.kind(), f.field.as_str(), f.rule.as_str()), ("forbidden", "actor.role", "role-permitted"));
    assert_eq!(f.message, "the support role may not manage API keys");
    assert!(authorize_call(Role::Public, "consent.record-decision").is_ok(), "some channels are the public's");
    assert!(authorize_call(Role::System, "rights.step").is_ok(), "a token check is anyone's");
    assert!(authorize_call(Role::Admin, "no.such-function").is_ok(), "unknown: the function checks itself");
}

/// The conformance cases' successful calls, role by role: none is refused ahead.
#[test]
fn no_call_the_cases_make_successfully_is_refused_ahead() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for step in case["steps"].as_array().unwrap() {
            let Some(function) = step["call"].as_str() else { continue };
            let succeeds = step.get("expect").is_none_or(|e| e.get("ok").is_some());
            let actor = &step["args"][0];
            let name = match actor {
                Value::String(s) => s.strip_prefix("$actor:").map(str::to_owned),
                Value::Object(o) => o.get("role").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            };
            if let (true, Some(name)) = (succeeds, name) {
                assert!(
                    authorize_call(role(&name), function).is_ok(),
                    "{}: {function} by {name} succeeds in the case, but is refused ahead",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} calls read: are the cases where they were?");
}
