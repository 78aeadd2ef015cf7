//! The OpenAPI 3.1 document of the REST face, built from the route table the component
//! routes by (`component/guest/src/routes.txt`) and the WIT the component is built from
//! (names, types and doc comments). `tests/tests/openapi.rs` keeps `docs/openapi.json`
//! equal to it; the component serves that file at `/openapi.json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};
use wit_parser::{Resolve, Type, TypeDefKind, TypeId};

/// Where a route's arguments come from (see `routes.txt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
    Args,
    Raw,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// `(interface, function)`; `None` for `/v1/health`.
    pub function: Option<(String, String)>,
    pub source: Source,
    pub public: bool,
}

/// The route table, parsed.
pub fn routes(text: &str) -> Vec<Route> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert!(cols.len() >= 4, "routes.txt: {l}");
            let function = cols[2].split_once('.').map(|(i, f)| (i.to_owned(), f.to_owned()));
            let source = match cols[3] {
                "query" | "-" => Source::Query,
                "body" => Source::Body,
                "args" => Source::Args,
                "raw" => Source::Raw,
                other => panic!("routes.txt: unknown source {other}"),
            };
            Route {
                method: cols[0].to_owned(),
                path: cols[1].to_owned(),
                function,
                source,
                public: cols.get(4) == Some(&"public"),
            }
        })
        .collect()
}

struct Gen<'a> {
    resolve: &'a Resolve,
    schemas: BTreeMap<String, Value>,
}

fn docs(d: &wit_parser::Docs) -> Option<String> {
    d.contents.as_ref().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())
}

fn with_description(mut schema: Value, d: &wit_parser::Docs) -> Value {
    // (A $ref's siblings are allowed in 3.1: a field keeps its own words.)
    if let (Some(text), Some(o)) = (docs(d), schema.as_object_mut()) {
        o.insert("description".into(), Value::String(text));
    }
    schema
}

impl Gen<'_> {
    fn ty(&mut self, t: &Type) -> Value {
        match t {
            Type::Bool => json!({"type": "boolean"}),
            Type::U8 => json!({"type": "integer", "minimum": 0, "maximum": u8::MAX}),
            Type::U16 => json!({"type": "integer", "minimum": 0, "maximum": u16::MAX}),
            Type::U32 => json!({"type": "integer", "minimum": 0, "maximum": u32::MAX}),
            Type::U64 => json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
            Type::S8 => json!({"type": "integer", "minimum": i8::MIN, "maximum": i8::MAX}),
            Type::S16 => json!({"type": "integer", "minimum": i16::MIN, "maximum": i16::MAX}),
            Type::S32 => json!({"type": "integer", "minimum": i32::MIN, "maximum": i32::MAX}),
            Type::S64 => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
            Type::F32 | Type::F64 => json!({"type": "number"}),
            Type::Char | Type::String => json!({"type": "string"}),
            Type::ErrorContext => panic!("error-context is not used over HTTP"),
            Type::Id(id) => self.id(*id),
        }
    }

    fn id(&mut self, id: TypeId) -> Value {
        let def = &self.resolve.types[id];
        let Some(name) = &def.name else { return self.kind(&def.kind) };
        let owner = match def.owner {
            wit_parser::TypeOwner::Interface(i) => self.resolve.interfaces[i].name.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let key = format!("{owner}.{name}");
        if !self.schemas.contains_key(&key) {
            self.schemas.insert(key.clone(), Value::Null); // recursion guard
            let schema = with_description(self.kind(&def.kind), &def.docs);
            self.schemas.insert(key.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{key}")})
    }

    fn kind(&mut self, k: &TypeDefKind) -> Value {
        match k {
            TypeDefKind::Record(r) => {
                let mut props = Map::new();
                let mut required = Vec::new();
                for f in &r.fields {
                    if !self.optional(&f.ty) {
                        required.push(Value::String(f.name.clone()));
                    }
                    let s = self.ty(&f.ty);
                    props.insert(f.name.clone(), with_description(s, &f.docs));
                }
                json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
            }
            TypeDefKind::Variant(v) => {
                let cases: Vec<Value> = v
                    .cases
                    .iter()
                    .map(|c| {
                        let mut props = Map::new();
                        props.insert("tag".into(), json!({"const": c.name}));
                        let mut required = vec![json!("tag")];
                        if let Some(t) = &c.ty {
                            props.insert("val".into(), self.ty(t));
                            required.push(json!("val"));
                        }
                        let case = json!({"type": "object", "properties": props, "required": required,
                            "additionalProperties": false});
                        with_description(case, &c.docs)
                    })
                    .collect();
                json!({"oneOf": cases})
            }
            TypeDefKind::Enum(e) => {
                json!({"type": "string", "enum": e.cases.iter().map(|c| c.name.clone()).collect::<Vec<_>>()})
            }
            TypeDefKind::Option(t) => json!({"anyOf": [self.ty(t), {"type": "null"}]}),
            TypeDefKind::List(t) => json!({"type": "array", "items": self.ty(t)}),
            TypeDefKind::Tuple(t) => {
                // An array of exactly n items, each one of the tuple's types. (Tools that
                // read OpenAPI 3.1 with older JSON Schema drafts reject `prefixItems`.)
                let mut items: Vec<Value> = Vec::new();
                for x in &t.types {
                    let s = self.ty(x);
                    if !items.contains(&s) {
                        items.push(s);
                    }
                }
                let n = t.types.len();
                let items = if items.len() == 1 { items.remove(0) } else { json!({"anyOf": items}) };
                json!({"type": "array", "items": items, "minItems": n, "maxItems": n,
                    "description": "A tuple: the items in the order of the WIT type."})
            }
            TypeDefKind::Type(t) => self.ty(t),
            other => panic!("no JSON mapping for a WIT {}", other.as_str()),
        }
    }

    /// An `option` (absent means none) or a `bool` query flag.
    fn optional(&self, t: &Type) -> bool {
        match t {
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Option(_) => true,
                TypeDefKind::Type(inner) => self.optional(inner),
                _ => false,
            },
            _ => false,
        }
    }

    /// The `ok` type of a function's `result`.
    fn ok_type(&self, t: &Type) -> Option<Type> {
        match t {
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Result(r) => r.ok,
                _ => Some(*t),
            },
            _ => Some(*t),
        }
    }
}

const PROBLEM: &str = "#/components/schemas/problem";

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details, naming the field and the rule that failed.",
        "properties": {
            "type": {"type": "string", "description": "urn:fichier:problem:<kind>: invalid-input, not-found, forbidden, unauthenticated, conflict, too-large, unsupported-media-type, method-not-allowed, timeout, corrupted, config, storage, other."},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": "The field (a dotted path into the body, a query parameter or a header)."},
            "rule": {"type": "string", "description": "The rule it broke, e.g. required, type:string, unknown-field, one-of:a|b."}
        },
        "required": ["type", "title", "status", "detail", "field", "rule"]
    })
}

/// The `HEAD` operation beside a `GET` one: the same parameters and security, the same
/// answers' headers and no body (RFC 9110 §9.3.2).
fn head_of(get: &Map<String, Value>) -> Value {
    let mut head = Map::new();
    let id = get["operationId"].as_str().unwrap_or_default();
    head.insert("operationId".into(), json!(format!("{id}.head")));
    head.insert("summary".into(), json!(format!("The headers `{id}` answers with, without its body.")));
    if let Some(tags) = get.get("tags") {
        head.insert("tags".into(), tags.clone());
    }
    if let Some(parameters) = get.get("parameters") {
        head.insert("parameters".into(), parameters.clone());
    }
    head.insert(
        "responses".into(),
        json!({
            "200": {"description": "The headers of the GET answer; no body."},
            "default": {"description": "The headers of the problem GET answers with; no body."}
        }),
    );
    head.insert("security".into(), get["security"].clone());
    Value::Object(head)
}

/// The OpenAPI document for the WIT in `wit_dir` and the route table `routes_txt`.
pub fn generate(wit_dir: &Path, routes_txt: &str) -> anyhow::Result<Value> {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_dir(wit_dir)?;
    let interfaces = resolve.packages[pkg].interfaces.clone();
    let mut g = Gen { resolve: &resolve, schemas: BTreeMap::new() };
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for r in routes(routes_txt) {
        let mut op = Map::new();
        let mut parameters = Vec::new();
        let ok: Value;
        match &r.function {
            None => {
                op.insert("operationId".into(), json!("health"));
                op.insert("summary".into(), json!("The service answers."));
                ok = json!({"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]});
            }
            Some((iface, func)) => {
                let iid = *interfaces.get(iface).unwrap_or_else(|| panic!("routes.txt: no interface {iface}"));
                let f = resolve.interfaces[iid]
                    .functions
                    .get(func)
                    .or_else(|| resolve.interfaces[iid].functions.get(&format!("%{func}")))
                    .unwrap_or_else(|| panic!("routes.txt: no function {iface}.{func}"));
                op.insert("operationId".into(), json!(format!("{iface}.{func}")));
                if let Some(d) = docs(&f.docs) {
                    let summary = d.split(". ").next().unwrap_or(&d).trim_end_matches('.').to_owned();
                    op.insert("summary".into(), json!(summary));
                    op.insert("description".into(), json!(d));
                }
                op.insert("tags".into(), json!([iface]));
                let params: Vec<&wit_parser::Param> = f.params.iter().filter(|p| p.name != "actor").collect();
                let in_path: Vec<&wit_parser::Param> =
                    params.iter().copied().filter(|p| r.path.contains(&format!("{{{}}}", p.name))).collect();
                let rest: Vec<&wit_parser::Param> =
                    params.iter().copied().filter(|p| !r.path.contains(&format!("{{{}}}", p.name))).collect();
                for p in &in_path {
                    parameters.push(json!({"name": p.name, "in": "path", "required": true, "schema": g.ty(&p.ty)}));
                }
                match r.source {
                    Source::Query => {
                        for p in &rest {
                            let optional = g.optional(&p.ty) || p.ty == Type::Bool;
                            let mut schema = g.ty(&p.ty);
                            if let Some(inner) = schema.get("anyOf").and_then(|a| a.get(0)).cloned() {
                                schema = inner; // absent is none; a query value is never null
                            }
                            parameters
                                .push(json!({"name": p.name, "in": "query", "required": !optional, "schema": schema}));
                        }
                    }
                    Source::Body => {
                        assert_eq!(rest.len(), 1, "routes.txt: {} body takes one parameter", r.path);
                        let schema = g.ty(&rest[0].ty);
                        op.insert(
                            "requestBody".into(),
                            json!({"required": true, "content": {"application/json": {"schema": schema}}}),
                        );
                    }
                    Source::Args => {
                        let mut props = Map::new();
                        let mut required = Vec::new();
                        for p in &rest {
                            if !g.optional(&p.ty) {
                                required.push(json!(p.name));
                            }
                            props.insert(p.name.clone(), g.ty(&p.ty));
                        }
                        let schema = json!({"type": "object", "properties": props, "required": required,
                            "additionalProperties": false});
                        op.insert(
                            "requestBody".into(),
                            json!({"required": true, "content": {"application/json": {"schema": schema}}}),
                        );
                    }
                    Source::Raw => {
                        for p in rest.iter().filter(|p| p.name != "data") {
                            parameters
                                .push(json!({"name": p.name, "in": "query", "required": true, "schema": g.ty(&p.ty)}));
                        }
                        op.insert(
                            "requestBody".into(),
                            json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}),
                        );
                    }
                }
                ok = match f.result.as_ref().and_then(|t| g.ok_type(t)) {
                    Some(t) => g.ty(&t),
                    None => json!({"type": "null"}),
                };
            }
        }
        if !parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        let ok_content = if r.function.as_ref().is_some_and(|(i, f)| i == "registry" && f == "export") {
            json!({"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}}})
        } else {
            json!({"application/json": {"schema": ok}})
        };
        // A public answer about an e-mail (issue 24) is `202 Accepted`, the same whatever the address.
        let accepted = r
            .function
            .as_ref()
            .is_some_and(|(i, f)| i == "consent" && matches!(f.as_str(), "sign-up" | "confirm" | "unsubscribe"));
        let (status, description) = if accepted {
            ("202", "Accepted: the same answer whether the address is known or not.")
        } else {
            ("200", "The function's result.")
        };
        op.insert(
            "responses".into(),
            json!({
                status: {"description": description, "content": ok_content},
                "default": {"description": "A problem: the field and the rule.",
                    "content": {"application/problem+json": {"schema": {"$ref": PROBLEM}}}}
            }),
        );
        let security = if r.public { json!([{}, {"apiKey": []}]) } else { json!([{"apiKey": []}]) };
        op.insert("security".into(), security);
        let path = paths.entry(r.path.clone()).or_default();
        if r.method == "GET" {
            path.insert("head".into(), head_of(&op));
        }
        path.insert(r.method.to_ascii_lowercase(), Value::Object(op));
    }
    let openapi = json!({"operationId": "openapi", "summary": "This document (gzip-compressed when Accept-Encoding takes gzip).", "security": [{}],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}});
    let path = paths.entry("/openapi.json".into()).or_default();
    path.insert("head".into(), head_of(openapi.as_object().expect("an object")));
    path.insert("get".into(), openapi);
    let mut schemas: Map<String, Value> = g.schemas.into_iter().collect();
    schemas.insert("problem".into(), problem_schema());
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fichier",
            "version": "0.1.0",
            "description": "The REST face of the fichier component: every capability of fichier:client@0.1.0 under /v1/. Bodies are WIT values as JSON (records as objects with kebab-case names, variants as {\"tag\", \"val\"}, enums as strings, options as null or the value). Errors are application/problem+json naming the field and the rule. Admin routes need an API key (Authorization: Bearer fk_…); public routes take none.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key made with `fichier api-key create` or POST /v1/api-keys: fk_<id>_<secret>."}}
        }
    }))
}
