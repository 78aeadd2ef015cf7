//! Calling any exported function by name with JSON, converted by the function's own
//! component types. The CLI and the conformance runner use it, so they speak the WIT
//! exactly (kebab-case names, variants as `{"tag", "val"}`, options as `null`).
//!
//! JSON shape of WIT values (the same as the conformance cases and jco's, modulo case):
//! record → object; variant → `{"tag": name, "val": payload}`; enum → string;
//! option → `null` or the value; result → `{"ok": v}` / `{"err": v}`; list and tuple →
//! array; flags → array of names; integers → numbers; char → one-character string.

use serde_json::{Map, Value, json};
use wasmtime::component::{Type, Val};

/// Why a JSON value does not fit a WIT type: the path and the expectation.
#[derive(Debug, thiserror::Error)]
#[error("{path}: expected {expected}")]
pub struct ShapeError {
    pub path: String,
    pub expected: String,
}

/// A key the caller chose, as a shape error quotes it: the component's rule for what an
/// error quotes of a caller's input (`fichier_domain::kernel::error::echo`: at most 64
/// characters, a longer key cut and ending with `…`, control and bidirectional-formatting
/// characters shown as `�`), so a megabyte key is not sent back in a message.
pub fn echo(s: &str) -> String {
    const ECHO_CHARS: usize = 64;
    let unsafe_char = |c: char| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let long = s.char_indices().nth(ECHO_CHARS).is_some();
    let keep = if long { ECHO_CHARS - 1 } else { ECHO_CHARS };
    let mut out: String = s.chars().take(keep).map(|c| if unsafe_char(c) { '\u{fffd}' } else { c }).collect();
    if long {
        out.push('…');
    }
    out
}

fn shape(path: &str, expected: impl Into<String>) -> ShapeError {
    ShapeError { path: path.to_string(), expected: expected.into() }
}

fn int<T: TryFrom<i64> + TryFrom<u64>>(path: &str, v: &Value, name: &str) -> Result<T, ShapeError> {
    if let Some(u) = v.as_u64() {
        return T::try_from(u).map_err(|_| shape(path, format!("{name} in range")));
    }
    if let Some(i) = v.as_i64() {
        return T::try_from(i).map_err(|_| shape(path, format!("{name} in range")));
    }
    Err(shape(path, format!("an integer ({name})")))
}

/// JSON → `Val` of type `ty`.
pub fn to_val(path: &str, ty: &Type, v: &Value) -> Result<Val, ShapeError> {
    Ok(match ty {
        Type::Bool => Val::Bool(v.as_bool().ok_or_else(|| shape(path, "a boolean"))?),
        Type::S8 => Val::S8(int(path, v, "s8")?),
        Type::U8 => Val::U8(int(path, v, "u8")?),
        Type::S16 => Val::S16(int(path, v, "s16")?),
        Type::U16 => Val::U16(int(path, v, "u16")?),
        Type::S32 => Val::S32(int(path, v, "s32")?),
        Type::U32 => Val::U32(int(path, v, "u32")?),
        Type::S64 => Val::S64(int(path, v, "s64")?),
        Type::U64 => Val::U64(int(path, v, "u64")?),
        Type::Float32 => Val::Float32(v.as_f64().ok_or_else(|| shape(path, "a number"))? as f32),
        Type::Float64 => Val::Float64(v.as_f64().ok_or_else(|| shape(path, "a number"))?),
        Type::Char => {
            let s = v.as_str().ok_or_else(|| shape(path, "a one-character string"))?;
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(shape(path, "a one-character string")),
            }
        }
        Type::String => Val::String(v.as_str().ok_or_else(|| shape(path, "a string"))?.to_string()),
        Type::List(l) => {
            let items = v.as_array().ok_or_else(|| shape(path, "an array"))?;
            let t = l.ty();
            Val::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| to_val(&format!("{path}[{i}]"), &t, x))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Record(r) => {
            let obj = v.as_object().ok_or_else(|| shape(path, "an object"))?;
            for k in obj.keys() {
                if !r.fields().any(|f| f.name == k) {
                    return Err(shape(&format!("{path}.{}", echo(k)), "no such field"));
                }
            }
            let mut fields = Vec::new();
            for f in r.fields() {
                let p = format!("{path}.{}", f.name);
                let x = obj.get(f.name).unwrap_or(&Value::Null);
                if x.is_null() && !matches!(f.ty, Type::Option(_)) {
                    return Err(shape(&p, "a value (the field is required)"));
                }
                fields.push((f.name.to_string(), to_val(&p, &f.ty, x)?));
            }
            Val::Record(fields)
        }
        Type::Tuple(t) => {
            let items = v.as_array().ok_or_else(|| shape(path, "an array (tuple)"))?;
            if items.len() != t.types().len() {
                return Err(shape(path, format!("{} items", t.types().len())));
            }
            Val::Tuple(
                t.types()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (ty, x))| to_val(&format!("{path}[{i}]"), &ty, x))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Variant(var) => {
            let obj = v.as_object().ok_or_else(|| shape(path, "an object {\"tag\", \"val\"}"))?;
            let tag = obj.get("tag").and_then(Value::as_str).ok_or_else(|| shape(path, "a \"tag\""))?;
            let case = var.cases().find(|c| c.name == tag).ok_or_else(|| {
                shape(
                    &format!("{path}.tag"),
                    format!("one of {}", var.cases().map(|c| c.name).collect::<Vec<_>>().join(", ")),
                )
            })?;
            let payload = match &case.ty {
                Some(t) => Some(Box::new(to_val(&format!("{path}.val"), t, obj.get("val").unwrap_or(&Value::Null))?)),
                None => None,
            };
            Val::Variant(tag.to_string(), payload)
        }
        Type::Enum(e) => {
            let s = v.as_str().ok_or_else(|| shape(path, "a string"))?;
            if !e.names().any(|n| n == s) {
                return Err(shape(path, format!("one of {}", e.names().collect::<Vec<_>>().join(", "))));
            }
            Val::Enum(s.to_string())
        }
        Type::Option(o) => {
            if v.is_null() {
                Val::Option(None)
            } else {
                Val::Option(Some(Box::new(to_val(path, &o.ty(), v)?)))
            }
        }
        Type::Result(r) => {
            let obj = v.as_object().ok_or_else(|| shape(path, "an object {\"ok\"} or {\"err\"}"))?;
            let side = |t: Option<Type>, key: &str| -> Result<Option<Box<Val>>, ShapeError> {
                match t {
                    Some(t) => {
                        Ok(Some(Box::new(to_val(&format!("{path}.{key}"), &t, obj.get(key).unwrap_or(&Value::Null))?)))
                    }
                    None => Ok(None),
                }
            };
            if obj.contains_key("ok") {
                Val::Result(Ok(side(r.ok(), "ok")?))
            } else if obj.contains_key("err") {
                Val::Result(Err(side(r.err(), "err")?))
            } else {
                return Err(shape(path, "an object {\"ok\"} or {\"err\"}"));
            }
        }
        Type::Flags(f) => {
            let items = v.as_array().ok_or_else(|| shape(path, "an array of flag names"))?;
            let mut out = Vec::new();
            for x in items {
                let s = x.as_str().ok_or_else(|| shape(path, "flag names"))?;
                if !f.names().any(|n| n == s) {
                    return Err(shape(path, format!("flags among {}", f.names().collect::<Vec<_>>().join(", "))));
                }
                out.push(s.to_string());
            }
            Val::Flags(out)
        }
        other => {
            return Err(shape(path, format!("a type fichier does not export ({other:?})")));
        }
    })
}

/// `Val` → JSON.
pub fn from_val(v: Val) -> Value {
    // Owned: a page of a thousand records moves its strings into the JSON instead of
    // copying them (the CLI's `customers list --all` spent a fifth of its time copying).
    match v {
        Val::Bool(b) => json!(b),
        Val::S8(x) => json!(x),
        Val::U8(x) => json!(x),
        Val::S16(x) => json!(x),
        Val::U16(x) => json!(x),
        Val::S32(x) => json!(x),
        Val::U32(x) => json!(x),
        Val::S64(x) => json!(x),
        Val::U64(x) => json!(x),
        Val::Float32(x) => json!(x),
        Val::Float64(x) => json!(x),
        Val::Char(c) => json!(c.to_string()),
        Val::String(s) => Value::String(s),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.into_iter().map(from_val).collect())
        }
        Val::Record(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, from_val(v))).collect::<Map<_, _>>()),
        Val::Variant(tag, payload) => match payload {
            Some(p) => json!({"tag": tag, "val": from_val(*p)}),
            None => json!({"tag": tag}),
        },
        Val::Enum(s) => Value::String(s),
        Val::Option(o) => o.map_or(Value::Null, |v| from_val(*v)),
        Val::Result(Ok(v)) => json!({"ok": v.map_or(Value::Null, |v| from_val(*v))}),
        Val::Result(Err(v)) => json!({"err": v.map_or(Value::Null, |v| from_val(*v))}),
        Val::Flags(names) => json!(names),
        Val::Map(pairs) => Value::Array(pairs.into_iter().map(|(k, v)| json!([from_val(k), from_val(v)])).collect()),
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
            json!("<handle>")
        }
    }
}

/// A JSON description of every function the component exports under
/// `fichier:client/<interface>@<version>`, read from the component's own types (no
/// WIT parsing): `{package, interfaces: {<iface>: {uses: {}, types: {}, funcs: {<name>:
/// {params: [[name, T]], result: T | null}}}}}`, where `T` is a primitive name (`u8`,
/// `string`, …) or `{list: T}`, `{option: T}`, `{tuple: [T]}`, `{result: [T|null, T|null]}`,
/// `{record: [[field, T]]}`, `{variant: [[case, T|null]]}`, `{enum: [case]}`, `{flags: [name]}`.
/// Other hosts (Node) use it to check and convert arguments exactly as [`to_val`] does.
pub fn export_schema(engine: &wasmtime::Engine, component: &wasmtime::component::Component) -> Value {
    use wasmtime::component::types::ComponentItem;
    let mut interfaces = Map::new();
    let mut package = String::new();
    for (name, item) in component.component_type().exports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
        let Some(rest) = name.strip_prefix("fichier:client/") else { continue };
        let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
        package = format!("fichier:client@{version}");
        let mut funcs = Map::new();
        for (fname, ext) in instance.exports(engine) {
            if let ComponentItem::ComponentFunc(f) = ext.ty {
                let params: Vec<Value> = f.params().map(|(n, t)| json!([n, type_schema(&t)])).collect();
                let result = f.results().next().map_or(Value::Null, |t| type_schema(&t));
                funcs.insert(fname.to_string(), json!({"params": params, "result": result}));
            }
        }
        interfaces.insert(iface.to_string(), json!({"uses": {}, "types": {}, "funcs": funcs}));
    }
    json!({"package": package, "interfaces": interfaces})
}

fn type_schema(ty: &Type) -> Value {
    match ty {
        Type::Bool => json!("bool"),
        Type::S8 => json!("s8"),
        Type::U8 => json!("u8"),
        Type::S16 => json!("s16"),
        Type::U16 => json!("u16"),
        Type::S32 => json!("s32"),
        Type::U32 => json!("u32"),
        Type::S64 => json!("s64"),
        Type::U64 => json!("u64"),
        Type::Float32 => json!("f32"),
        Type::Float64 => json!("f64"),
        Type::Char => json!("char"),
        Type::String => json!("string"),
        Type::List(l) => json!({"list": type_schema(&l.ty())}),
        Type::Option(o) => json!({"option": type_schema(&o.ty())}),
        Type::Tuple(t) => json!({"tuple": t.types().map(|t| type_schema(&t)).collect::<Vec<_>>()}),
        Type::Result(r) => {
            json!({"result": [r.ok().map_or(Value::Null, |t| type_schema(&t)), r.err().map_or(Value::Null, |t| type_schema(&t))]})
        }
        Type::Record(r) => {
            json!({"record": r.fields().map(|f| json!([f.name, type_schema(&f.ty)])).collect::<Vec<_>>()})
        }
        Type::Variant(v) => {
            json!({"variant": v.cases().map(|c| json!([c.name, c.ty.as_ref().map_or(Value::Null, type_schema)])).collect::<Vec<_>>()})
        }
        Type::Enum(e) => json!({"enum": e.names().collect::<Vec<_>>()}),
        Type::Flags(f) => json!({"flags": f.names().collect::<Vec<_>>()}),
        other => json!({"handle": format!("{other:?}")}),
    }
}

#[cfg(test)]
mod tests {
    /// The host quotes a caller's key by the component's own rule.
    #[test]
    fn a_key_is_quoted_as_the_component_quotes_input() {
        let long = "k".repeat(1 << 20);
        let accented = "é".repeat(65);
        let exact = "x".repeat(64);
        for s in ["newsletter", "a\u{202e}b\nc\0", exact.as_str(), accented.as_str(), long.as_str()] {
            assert_eq!(super::echo(s), fichier_domain::kernel::error::echo(s), "{}", s.len());
        }
        assert_eq!(super::echo(&long).chars().count(), 64);
    }
}
