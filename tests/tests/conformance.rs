//! Runs every case of `tests/conformance/` against the component in the Rust host.
//! The same files run in Node (host-examples/node) and PHP (host-examples/php).

use std::collections::BTreeMap;
use std::path::PathBuf;

use fichier_tests::memory_runtime;
use serde_json::{Value, json};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn substitute(v: &Value, saved: &BTreeMap<String, Value>) -> Value {
    match v {
        Value::String(s) if s.starts_with("$actor:") => json!({"id": "conformance", "role": &s[7..]}),
        Value::String(s) if s.starts_with("$utf8:") => json!(&s.as_bytes()[6..]),
        Value::String(s) if s.starts_with("$ref:") => {
            saved.get(&s[5..]).cloned().unwrap_or_else(|| panic!("nothing saved as {}", &s[5..]))
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, saved)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), substitute(x, saved))).collect()),
        other => other.clone(),
    }
}

/// Whether `actual` matches the pattern `expected`; on mismatch, the path and why.
fn matches(path: &str, expected: &Value, actual: Option<&Value>) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(s), a) if s == "$absent" => match a {
            None | Some(Value::Null) => Ok(()),
            Some(a) => Err(format!("{path}: expected absent, found {a}")),
        },
        (Value::String(s), Some(_)) if s == "$any" => Ok(()),
        (Value::String(s), Some(Value::String(a))) if s == "$hex64" => {
            if a.len() == 64 && a.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
                Ok(())
            } else {
                Err(format!("{path}: expected 64 hex characters, found {a}"))
            }
        }
        (Value::Object(e), Some(Value::Object(a))) => {
            for (k, ev) in e {
                matches(&format!("{path}.{k}"), ev, a.get(k))?;
            }
            Ok(())
        }
        (Value::Array(e), Some(Value::Array(a))) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: expected {} items, found {}: {}",
                    e.len(),
                    a.len(),
                    Value::Array(a.clone())
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(&format!("{path}[{i}]"), ev, Some(av))?;
            }
            Ok(())
        }
        (e, Some(a)) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, found {}", a.map_or("nothing".to_string(), Value::to_string))),
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, part| match part.parse::<usize>() {
        Ok(i) => cur.get(i),
        Err(_) => cur.get(part),
    })
}

fn run_case(path: &std::path::Path) -> Result<usize, String> {
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).map_err(|e| e.to_string())?)
        .map_err(|e| format!("not JSON: {e}"))?;
    let clock = case["clock"].as_str().ok_or("a case needs a clock")?;
    let rt = memory_runtime(clock);
    let mut saved = BTreeMap::new();
    let steps = case["steps"].as_array().ok_or("a case needs steps")?;
    for (i, step) in steps.iter().enumerate() {
        if let Some(t) = step.get("clock").and_then(Value::as_str) {
            rt.clock().set(t).map_err(|e| format!("step {i}: clock: {e}"))?;
        }
        let Some(call) = step.get("call").and_then(Value::as_str) else { continue };
        let (iface, func) = call.split_once('.').ok_or(format!("step {i}: call is interface.function"))?;
        let args: Vec<Value> = substitute(&step["args"], &saved).as_array().cloned().unwrap_or_default();
        let result = rt.invoke(iface, func, &args).map_err(|e| format!("step {i} ({call}): {e}"))?;
        // A step without `expect` must succeed.
        let expected = step.get("expect").map_or_else(|| json!({"ok": "$any"}), |e| substitute(e, &saved));
        matches("result", &expected, Some(&result)).map_err(|m| format!("step {i} ({call}): {m}\n  got {result}"))?;
        if let Some(save) = step.get("save").and_then(Value::as_object) {
            for (name, p) in save {
                let p = p.as_str().ok_or("save paths are strings")?;
                let v = lookup(&result, p).ok_or(format!("step {i}: nothing at {p} to save in {result}"))?;
                saved.insert(name.clone(), v.clone());
            }
        }
    }
    Ok(steps.len())
}

#[test]
fn every_conformance_case_passes_in_the_rust_host() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/conformance")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected the consent cases, found {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        match run_case(f) {
            Ok(n) => println!("ok   {} ({n} steps)", f.display()),
            Err(e) => failures.push(format!("FAIL {}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_matcher_rejects_what_it_should() {
    assert!(matches("r", &json!({"a": 1}), Some(&json!({"a": 1, "b": 2}))).is_ok());
    assert!(matches("r", &json!({"a": 1}), Some(&json!({"a": 2}))).is_err());
    assert!(matches("r", &json!([1]), Some(&json!([1, 2]))).is_err());
    assert!(matches("r", &json!({"a": "$absent"}), Some(&json!({"a": 3}))).is_err());
    assert!(matches("r", &json!({"a": "$hex64"}), Some(&json!({"a": "abc"}))).is_err());
    assert!(matches("r", &json!({"ok": {}}), Some(&json!({"err": {}}))).is_err());
}

/// Every function the component exports is called by at least one case, so every host's
/// runner (Rust, Node, PHP) exercises every capability.
#[test]
fn every_exported_function_has_a_case() {
    let rt = memory_runtime("2026-03-01T10:00:00Z");
    let schema = fichier_host::dynamic::export_schema(rt.engine(), rt.component());
    let mut called = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(cases_dir()).expect("tests/conformance") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        for step in case["steps"].as_array().into_iter().flatten() {
            if let Some(call) = step.get("call").and_then(Value::as_str) {
                called.insert(call.to_string());
            }
        }
    }
    let interfaces = schema["interfaces"].as_object().expect("interfaces");
    let exported: Vec<String> = interfaces
        .iter()
        .flat_map(|(i, v)| v["funcs"].as_object().into_iter().flatten().map(move |(f, _)| format!("{i}.{f}")))
        .collect();
    assert!(exported.len() >= 60, "expected the library's functions, found {}", exported.len());
    let missing: Vec<&String> = exported.iter().filter(|f| !called.contains(*f)).collect();
    assert!(missing.is_empty(), "exported functions no conformance case calls: {missing:?}");
    let unknown: Vec<&String> = called.iter().filter(|c| !exported.contains(c)).collect();
    assert!(unknown.is_empty(), "cases call functions the component does not export: {unknown:?}");
}
