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
    fn to_json(&self) -> Value;
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

pub fn tagged(tag: &str, val: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("tag".into(), Value::String(tag.into()));
    if let Some(v) = val {
        m.insert("val".into(), v);
    }
    Value::Object(m)
}

impl Json for String {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        string(v).map(str::to_owned)
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Json for bool {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_bool().ok_or_else(|| JsonError::new("type:bool"))
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
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
            fn to_json(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}
integers!(u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64", i8 => "s8", i16 => "s16", i32 => "s32", i64 => "s64");

impl<T: Json> Json for Option<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        if v.is_null() { Ok(None) } else { T::from_json(v).map(Some) }
    }
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, Json::to_json)
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
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(Json::to_json).collect())
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
    fn to_json(&self) -> Value {
        Value::Array(vec![self.0.to_json(), self.1.to_json()])
    }
}
