//! The component's one JSON mapping of WIT values, used by its HTTP face. The
//! `#[derive(Json)]` of `fichier-json-derive` (added to every type wit-bindgen
//! generates) calls the helpers here; the conventions are those of the conformance
//! cases (`tests/conformance/README.md`). A value that does not fit its type is a
//! [`JsonError`] naming the path of the field and the rule it broke.

pub use serde_json::{Map, Value};

/// A JSON value that does not fit the WIT type it should have: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Dotted path from the top of the body: `input.subject.tag`, `fields.2.value`.
    pub field: String,
    /// The rule: `required`, `type:string`, `unknown-field`, `one-of:a|b`, `range:u32`, …
    pub rule: String,
}

impl JsonError {
    fn new(rule: impl Into<String>) -> Self {
        JsonError { field: String::new(), rule: rule.into() }
    }

    /// The error as seen from the enclosing field or index. `outer` may be a key the
    /// caller chose (an unknown field): it is quoted as every error quotes a caller's
    /// string, at most 64 characters (`fichier_domain::kernel::error::echo`).
    #[must_use]
    pub fn within(mut self, outer: &str) -> Self {
        let outer = fichier_domain::kernel::error::echo(outer);
        self.field = if self.field.is_empty() { outer.into_owned() } else { format!("{outer}.{}", self.field) };
        self
    }

    pub fn one_of(cases: &[&str]) -> Self {
        JsonError::new(format!("one-of:{}", cases.join("|")))
    }
}

/// A WIT type read from and written to JSON.
pub trait Json: Sized {
    fn from_json(v: &Value) -> Result<Self, JsonError>;
    /// Append the value as JSON text to `out` (a record's keys in byte order, as
    /// serde_json writes a map).
    fn write_json(&self, out: &mut Vec<u8>);
    /// The value of a record field that is absent: an error but for `option`.
    fn absent() -> Result<Self, JsonError> {
        Err(JsonError::new("required"))
    }
}

/// The object of a record, refusing any key the record does not have.
pub fn object<'a>(v: &'a Value, keys: &[&str]) -> Result<&'a Map<String, Value>, JsonError> {
    let Value::Object(o) = v else { return Err(JsonError::new("type:object")) };
    if let Some(k) = o.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(JsonError::new("unknown-field").within(k));
    }
    Ok(o)
}

/// One field of a record.
pub fn field<T: Json>(o: &Map<String, Value>, key: &str) -> Result<T, JsonError> {
    member(o.get(key), key)
}

/// A value that may be absent (a record's field, a variant's payload), named `at`.
fn member<T: Json>(v: Option<&Value>, at: &str) -> Result<T, JsonError> {
    match v {
        Some(v) => T::from_json(v),
        None => T::absent(),
    }
    .map_err(|e| e.within(at))
}

pub fn string(v: &Value) -> Result<&str, JsonError> {
    v.as_str().ok_or_else(|| JsonError::new("type:string"))
}

/// `{"tag": …, "val": …}`: the tag and the payload, if any.
pub fn variant(v: &Value) -> Result<(&str, Option<&Value>), JsonError> {
    let o = object(v, &["tag", "val"])?;
    let tag = o.get("tag").ok_or_else(|| JsonError::new("required").within("tag"))?;
    Ok((string(tag).map_err(|e| e.within("tag"))?, o.get("val")))
}

pub fn payload<T: Json>(val: Option<&Value>) -> Result<T, JsonError> {
    member(val, "val")
}

pub fn no_payload(val: Option<&Value>) -> Result<(), JsonError> {
    match val {
        None | Some(Value::Null) => Ok(()),
        Some(_) => Err(JsonError::new("no-payload").within("val")),
    }
}

/// A scalar (string, number, boolean) as serde_json writes it; writing to a `Vec` does
/// not fail.
fn scalar(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    let _ = serde_json::to_writer(out, v);
}

impl Json for String {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        string(v).map(str::to_owned)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        scalar(out, self);
    }
}

impl Json for bool {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_bool().ok_or_else(|| JsonError::new("type:bool"))
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        scalar(out, self);
    }
}

macro_rules! integers {
    ($($t:ty => $rule:literal),*) => {$(
        impl Json for $t {
            fn from_json(v: &Value) -> Result<Self, JsonError> {
                let n = if let Some(n) = v.as_u64() {
                    <$t>::try_from(n).ok()
                } else if let Some(n) = v.as_i64() {
                    <$t>::try_from(n).ok()
                } else {
                    return Err(JsonError::new("type:integer"));
                };
                n.ok_or_else(|| JsonError::new(concat!("range:", $rule)))
            }
            fn write_json(&self, out: &mut Vec<u8>) {
                scalar(out, self);
            }
        }
    )*};
}
integers!(u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64", i8 => "s8", i16 => "s16", i32 => "s32", i64 => "s64");

impl<T: Json> Json for Option<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        if v.is_null() { Ok(None) } else { T::from_json(v).map(Some) }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(x) => x.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn absent() -> Result<Self, JsonError> {
        Ok(None)
    }
}

impl<T: Json> Json for Vec<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let Value::Array(items) = v else { return Err(JsonError::new("type:array")) };
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            out.push(T::from_json(x).map_err(|e| e.within(&i.to_string()))?);
        }
        Ok(out)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            x.write_json(out);
        }
        out.push(b']');
    }
}

impl<A: Json, B: Json> Json for (A, B) {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        match v {
            Value::Array(x) if x.len() == 2 => {
                Ok((A::from_json(&x[0]).map_err(|e| e.within("0"))?, B::from_json(&x[1]).map_err(|e| e.within("1"))?))
            }
            _ => Err(JsonError::new("type:tuple-2")),
        }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        self.0.write_json(out);
        out.push(b',');
        self.1.write_json(out);
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::{Json, Value};
    use fichier_json_derive::Json;

    #[derive(Json, Debug, PartialEq)]
    struct Record {
        zone: String,
        age_days: Option<u32>,
        tags: Vec<String>,
        pair: (i64, bool),
        kind: Kind,
        source: Source,
        none: Option<Source>,
    }

    #[derive(Json, Debug, PartialEq, Clone, Copy)]
    #[repr(u8)]
    enum Kind {
        Service,
        DirectMarketing,
    }

    #[derive(Json, Debug, PartialEq)]
    enum Source {
        Person,
        Import(String),
        Nested(Option<Vec<Kind>>),
    }

    #[derive(Json, Debug, PartialEq)]
    struct Empty {}

    fn text<T: Json>(v: &T) -> String {
        let mut out = Vec::new();
        v.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The text written is what serde_json writes for the same value as a map (keys in
    /// byte order, its escapes, no spaces), and it reads back as the same value.
    #[test]
    fn values_are_written_as_serde_json_writes_them_and_read_back() {
        let r = Record {
            zone: "Réunion \"974\" \\ \n\t\u{1}\u{7f} 🇫🇷".into(),
            age_days: Some(4_294_967_295),
            tags: vec![String::new(), "a,b".into()],
            pair: (-9_223_372_036_854_775_808, false),
            kind: Kind::DirectMarketing,
            source: Source::Import("clients.csv".into()),
            none: None,
        };
        let written = text(&r);
        let expected = serde_json::json!({
            "zone": "Réunion \"974\" \\ \n\t\u{1}\u{7f} 🇫🇷",
            "age-days": 4_294_967_295_u32,
            "tags": ["", "a,b"],
            "pair": [-9_223_372_036_854_775_808_i64, false],
            "kind": "direct-marketing",
            "source": {"tag": "import", "val": "clients.csv"},
            "none": null,
        });
        assert_eq!(written, serde_json::to_string(&expected).unwrap_or_default());
        let back: Value = serde_json::from_str(&written).unwrap_or_default();
        assert_eq!(Record::from_json(&back), Ok(r));
        for (v, t) in [
            (Source::Person, r#"{"tag":"person"}"#),
            (Source::Nested(None), r#"{"tag":"nested","val":null}"#),
            (Source::Nested(Some(vec![])), r#"{"tag":"nested","val":[]}"#),
            (
                Source::Nested(Some(vec![Kind::Service, Kind::DirectMarketing])),
                r#"{"tag":"nested","val":["service","direct-marketing"]}"#,
            ),
        ] {
            assert_eq!(text(&v), t);
            assert_eq!(Source::from_json(&serde_json::from_str(t).unwrap_or_default()), Ok(v));
        }
        assert_eq!(text(&Empty {}), "{}");
        assert_eq!(text(&Vec::<Empty>::new()), "[]");
    }
}
