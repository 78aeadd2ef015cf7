//! The REST face: `wasi:http/incoming-handler`. Every route calls the same exported
//! function a library host calls, with its arguments read from the request by the one
//! JSON mapping of WIT values (`json.rs`, derived from the WIT), so the HTTP face and
//! the library cannot drift apart. Errors are `application/problem+json` (RFC 9457)
//! naming the field and the rule.
//!
//! - The caller is an API key's actor (`Authorization: Bearer fk_…`), or the public:
//!   the component's role checks then decide, and a public call refused for its role is
//!   `401` (a key is needed) rather than `403`.
//! - A public receipt's client address and user agent come from the request
//!   (`spin-client-addr`, which Spin and `fichier serve` set, and `user-agent`), never
//!   from its body.
//! - Personal data never goes in a URL: lookups by subject are `POST`s with the subject
//!   in the body (URLs end up in access logs).

use crate::Component;
use crate::bindings::exports::fichier::client::{
    audit, breaches, consent, customer_import, customers, ledger, maintenance, minimisation, outbox, registry,
    retention, rights, settings,
};
use crate::bindings::exports::wasi::http::incoming_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
    http_error_code,
};
use crate::bindings::wasi::io::streams::StreamError;
use crate::json::{self, Json, JsonError, Value};
use crate::wit;

/// The OpenAPI 3.1 document of this API (built by the tests from `routes.txt` and the
/// WIT), minified and gzip-compressed by `build.rs`.
const OPENAPI_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openapi.json.gz"));

/// The files of `assets/` (see `build.rs`).
mod assets {
    /// A file as served: as is, gzip-compressed, and its ETag.
    pub struct Asset {
        pub name: &'static str,
        pub content_type: &'static str,
        pub raw: &'static [u8],
        pub packed: &'static [u8],
        pub etag: &'static str,
    }

    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The pages' Content-Security-Policy: their own scripts and styles only, nothing
/// inline, no framing. The demo shop may also show the stand-in analytics pixel.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
     connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const DEMO_CSP: &str = "default-src 'self'; img-src 'self' data: https://analytics.example; style-src 'self'; \
     script-src 'self'; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The header Spin (and `fichier serve`) put the client's address in.
const CLIENT_ADDR: &str = "spin-client-addr";

/// The largest request body read (an import chunk of 256 KiB fits many times).
pub const MAX_BODY: usize = 4 << 20;
/// The deepest JSON nesting accepted (serde_json's own limit is 128).
const MAX_DEPTH: usize = 32;

/// A response before it is written.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(v).unwrap_or_default(),
            headers: Vec::new(),
        }
    }
}

/// An RFC 9457 problem: `type` names the kind, `field` and `rule` what failed.
struct Problem {
    /// A header the problem carries: `allow` for `405`, `retry-after` for `429`.
    header: Option<Box<(&'static str, String)>>,
    status: u16,
    kind: &'static str,
    field: String,
    rule: String,
    detail: String,
}

impl Problem {
    fn new(status: u16, kind: &'static str, field: &str, rule: &str, detail: impl Into<String>) -> Self {
        Problem { header: None, status, kind, field: field.into(), rule: rule.into(), detail: detail.into() }
    }

    /// `405`, with the methods that are allowed in `Allow`.
    fn not_allowed(allow: String, detail: impl Into<String>) -> Self {
        let mut p = Problem::new(405, "method-not-allowed", "method", "allowed-method", detail);
        p.header = Some(Box::new(("allow", allow)));
        p
    }

    fn body(e: JsonError) -> Self {
        let detail = format!("the request body does not fit its type at `{}` ({})", e.field, e.rule);
        Problem { header: None, status: 422, kind: "invalid-input", field: e.field, rule: e.rule, detail }
    }

    fn query(name: &str, e: JsonError) -> Self {
        Problem::new(400, "invalid-input", name, &e.rule, format!("query parameter `{name}`: {}", e.rule))
    }

    fn from_wit(e: wit::Error, authenticated: bool) -> Self {
        let (status, kind, fe) = match e {
            wit::Error::InvalidInput(f) => (422, "invalid-input", f),
            wit::Error::NotFound(f) => (404, "not-found", f),
            wit::Error::Forbidden(f) if !authenticated => (401, "unauthenticated", f),
            wit::Error::Forbidden(f) => (403, "forbidden", f),
            wit::Error::Conflict(f) if f.rule == fichier_domain::ratelimit::RULE => {
                let mut p = Problem::new(
                    429,
                    "too-many-requests",
                    &f.field,
                    &f.rule,
                    "too many requests from this address; retry later",
                );
                p.header = Some(Box::new(("retry-after", f.message)));
                return p;
            }
            wit::Error::Conflict(f) => (409, "conflict", f),
            wit::Error::Corrupted(f) => (500, "corrupted", f),
            wit::Error::Config(f) => (500, "config", f),
            wit::Error::Storage(f) => (503, "storage", f),
            wit::Error::Other(m) => {
                return Problem::new(500, "other", "", "", m);
            }
        };
        Problem { header: None, status, kind, field: fe.field, rule: fe.rule, detail: fe.message }
    }

    fn reply(self) -> Reply {
        let mut m = json::Map::new();
        m.insert("type".into(), Value::String(format!("urn:fichier:problem:{}", self.kind)));
        m.insert("title".into(), Value::String(title(self.status).into()));
        m.insert("status".into(), Value::from(self.status));
        m.insert("detail".into(), Value::String(self.detail));
        m.insert("field".into(), Value::String(self.field));
        m.insert("rule".into(), Value::String(self.rule));
        let mut r = Reply::json(self.status, &Value::Object(m));
        r.content_type = "application/problem+json";
        if self.status == 401 {
            r.headers.push(("www-authenticate", "Bearer realm=\"fichier\"".into()));
        }
        if let Some(h) = self.header {
            r.headers.push(*h);
        }
        r
    }
}

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// What the router sees of a request.
struct Request {
    method: &'static str,
    /// `host[:port]` the request was sent to (the `Host` header, which wasi:http keeps apart).
    authority: Option<String>,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

impl incoming_handler::Guest for Component {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let reply = match read(request) {
            Ok(req) => respond(&req),
            Err(p) => p.reply(),
        };
        send(out, reply);
    }
}

fn read(request: IncomingRequest) -> Result<Request, Problem> {
    let method = match request.method() {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        _ => "OTHER",
    };
    let target = request.path_with_query().unwrap_or_else(|| "/".into());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let headers = request.headers().entries();
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    if let Ok(incoming) = request.consume() {
        if let Ok(stream) = incoming.stream() {
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(chunk) => {
                        if body.len() + chunk.len() > MAX_BODY {
                            return Err(too_large());
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(e)) => {
                        // A host that says why (Spin does) stopped a body over its limit.
                        if matches!(http_error_code(&e), Some(ErrorCode::HttpRequestBodySize(_))) {
                            return Err(too_large());
                        }
                        return Err(Problem::new(
                            400,
                            "invalid-input",
                            "body",
                            "readable",
                            "the body could not be read",
                        ));
                    }
                }
            }
            drop(stream);
        }
        let _ = IncomingBody::finish(incoming);
    }
    Ok(Request {
        method,
        authority: request.authority(),
        path: path.to_owned(),
        query: parse_query(query)?,
        headers,
        body,
    })
}

fn too_large() -> Problem {
    Problem::new(413, "too-large", "body", "max-bytes", format!("a request body is at most {MAX_BODY} bytes"))
}

/// `a=1&b=x%20y` → pairs, percent-decoded (`+` is a space).
fn parse_query(q: &str) -> Result<Vec<(String, String)>, Problem> {
    let mut out = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let bad =
            || Problem::new(400, "invalid-input", "query", "percent-encoding", "the query string is not valid UTF-8");
        out.push((decode(k).ok_or_else(bad)?, decode(v).ok_or_else(bad)?));
    }
    Ok(out)
}

/// A path segment, percent-decoded; unlike a query, `+` is not a space.
fn decode_segment(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if s.contains('%') { decode(&s.replace('+', "%2B")).map(Into::into) } else { Some(s.into()) }
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn send(out: ResponseOutparam, r: Reply) {
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("content-type".into(), r.content_type.as_bytes().to_vec()),
        ("x-content-type-options".into(), b"nosniff".to_vec()),
    ];
    if r.status != 304 {
        entries.push(("content-length".into(), r.body.len().to_string().into_bytes()));
    }
    if !r.headers.iter().any(|(k, _)| *k == "cache-control") {
        entries.push(("cache-control".into(), b"no-store".to_vec()));
    }
    entries.extend(r.headers.into_iter().map(|(k, v)| (k.to_owned(), v.into_bytes())));
    let Ok(headers) = Fields::from_list(&entries) else { return };
    let resp = OutgoingResponse::new(headers);
    let _ = resp.set_status_code(r.status);
    let Ok(body) = resp.body() else { return };
    ResponseOutparam::set(out, Ok(resp));
    if let Ok(stream) = body.write() {
        for chunk in r.body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                return;
            }
        }
        drop(stream);
    }
    let _ = OutgoingBody::finish(body, None);
}

/// Whether the client takes gzip: `Accept-Encoding` names `gzip` or `*` without `q=0`;
/// `absent` when it sends no such header.
fn gzip_accepted(req: &Request, absent: bool) -> bool {
    req.header("accept-encoding").map_or(absent, |v| {
        v.split(',').any(|e| {
            let mut parts = e.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

/// Files only the demo serves (setting `demo` = `true`, which `fichier serve --demo`
/// sets): the shop page at `/` and what it loads.
fn demo_only(name: &str) -> bool {
    name.starts_with("shop.") || name.starts_with("demo-")
}

/// A file of `assets/`: `/` is the demo shop, `/admin` the admin page, `/<name>` the
/// others. Revalidated by ETag, gzip when the client takes it; pages carry a strict
/// Content-Security-Policy. `None`: not a file.
fn asset(req: &Request) -> Option<Reply> {
    let name = match req.path.as_str() {
        "/" => "shop.html",
        "/admin" => "admin.html",
        p => p.strip_prefix('/').filter(|n| !n.contains('/'))?,
    };
    let file = assets::ASSETS.iter().find(|a| a.name == name)?;
    let (name, content_type, etag) = (file.name, file.content_type, file.etag);
    if demo_only(name) && crate::setting("demo").as_deref() != Some("true") {
        return None;
    }
    if req.method != "GET" {
        return Some(Problem::not_allowed("GET".into(), "a file is read with GET").reply());
    }
    let mut headers = vec![
        ("etag", etag.to_owned()),
        ("cache-control", "no-cache".to_owned()),
        ("vary", "accept-encoding".to_owned()),
    ];
    if content_type.starts_with("text/html") {
        headers.push(("content-security-policy", if demo_only(name) { DEMO_CSP } else { PAGE_CSP }.to_owned()));
        headers.push(("x-frame-options", "DENY".to_owned()));
        headers.push(("referrer-policy", "same-origin".to_owned()));
    }
    if req.header("if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return Some(Reply { status: 304, content_type, body: Vec::new(), headers });
    }
    let body = if gzip_accepted(req, false) {
        headers.push(("content-encoding", "gzip".to_owned()));
        file.packed
    } else {
        file.raw
    };
    Some(Reply { status: 200, content_type, body: body.to_vec(), headers })
}

/// The document as stored: gzip, which every HTTP client and tool accepts; one that
/// says it does not (`Accept-Encoding` without gzip, or `gzip;q=0`) is answered 406.
fn openapi(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET".into(), "the document is read with GET").reply();
    }
    if !gzip_accepted(req, true) {
        return Problem::new(
            406,
            "not-acceptable",
            "accept-encoding",
            "gzip",
            "the document is served gzip-compressed",
        )
        .reply();
    }
    Reply {
        status: 200,
        content_type: "application/json",
        body: OPENAPI_GZ.to_vec(),
        headers: vec![("content-encoding", "gzip".into()), ("vary", "accept-encoding".into())],
    }
}

/// The caller: the actor of a valid API key, or the public.
fn caller(req: &Request) -> Result<(wit::Actor, bool), Problem> {
    let Some(auth) = req.header("authorization") else {
        return Ok((wit::Actor { id: "web".into(), role: wit::Role::Public }, false));
    };
    let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
    match crate::run(|f| f.authenticate(token), wit::Actor::from) {
        Ok(a) => Ok((a, true)),
        Err(e) => Err(Problem::from_wit(e, false)),
    }
}

fn respond(req: &Request) -> Reply {
    if req.path == "/openapi.json" {
        return openapi(req);
    }
    if req.path == "/.well-known/gpc.json" {
        return gpc_support(req);
    }
    if let Some(file) = asset(req) {
        return file;
    }
    let (actor, authenticated) = match caller(req) {
        Ok(c) => c,
        // A wrong key counts against the address like any caller without one.
        Err(p) => return count_public(req).err().unwrap_or_else(|| p.reply()),
    };
    // Path segments are percent-decoded (`%3A` is `:`), `+` stays itself.
    let Some(decoded) = req.path.trim_start_matches('/').split('/').map(decode_segment).collect::<Option<Vec<_>>>()
    else {
        return Problem::new(400, "invalid-input", "path", "percent-encoding", "the path is not valid UTF-8").reply();
    };
    let segments: Vec<&str> = decoded.iter().map(|s| s.as_ref()).collect();
    let Some(("v1", rest)) = segments.split_first().map(|(a, b)| (*a, b)) else {
        return Problem::new(404, "not-found", "path", "known-route", "no such route; the API is under /v1").reply();
    };
    let public = public_methods(rest);
    // Browsers: a public route answers the shop's own origins (CORS), and refuses others.
    let cors = match req.header("origin") {
        Some(origin) => {
            if public.is_empty() {
                Vec::new()
            } else if !origin_allowed(origin, req) {
                return Problem::new(
                    403,
                    "forbidden",
                    "origin",
                    "shop-origin",
                    "this origin is not one of the shop's (setting shop_origins)",
                )
                .reply();
            } else if req.method == "OPTIONS" && req.header("access-control-request-method").is_some() {
                let mut headers = cors_headers(origin);
                headers.push(("access-control-allow-methods", public.join(", ")));
                headers.push(("access-control-allow-headers", "content-type".into()));
                headers.push(("access-control-max-age", "600".into()));
                return Reply { status: 204, content_type: "text/plain", body: Vec::new(), headers };
            } else {
                cors_headers(origin)
            }
        }
        None => Vec::new(),
    };
    // The public is counted per address (the store keeps a keyed hash of it): 429 past
    // the deployment's `public_rate_per_minute` (default 120; IPv6 clients per /64, or
    // `public_rate_ipv6_prefix`).
    if !authenticated
        && rest != ["health"]
        && let Err(mut reply) = count_public(req)
    {
        reply.headers.extend(cors);
        return reply;
    }
    // A route for key holders only answers a caller without a key before it reads the
    // body: such a caller learns nothing of what the body should hold.
    if !authenticated && !public.contains(&req.method) && allowed_methods(rest).contains(&req.method) {
        let mut reply = Problem::new(
            401,
            "unauthenticated",
            "authorization",
            "api-key",
            "this route needs an API key (Authorization: Bearer fk_…)",
        )
        .reply();
        reply.headers.extend(cors);
        return reply;
    }
    let mut reply = match route(req, rest, actor) {
        Ok(Out::Json(v)) => Reply::json(200, &v),
        Ok(Out::Text(content_type, body)) => {
            Reply { status: 200, content_type, body: body.into_bytes(), headers: Vec::new() }
        }
        Err(Failure::Problem(p)) => p.reply(),
        Err(Failure::Wit(e)) => Problem::from_wit(e, authenticated).reply(),
    };
    reply.headers.extend(cors);
    reply
}

/// Count a request without a valid key against its address; the `429` (or a store
/// failure) when it is over the limit.
fn count_public(req: &Request) -> Result<(), Reply> {
    use fichier_domain::ratelimit::PublicLimit;
    let client = req.header(CLIENT_ADDR).map_or_else(|| "unknown".to_owned(), strip_port);
    // A setting given but not a number is out of range (0), so the error names it.
    let defaults = PublicLimit::default();
    let limit = PublicLimit {
        per_minute: crate::setting("public_rate_per_minute")
            .map_or(defaults.per_minute, |v| v.trim().parse().unwrap_or(0)),
        ipv6_prefix: crate::setting("public_rate_ipv6_prefix")
            .map_or(defaults.ipv6_prefix, |v| v.trim().parse().unwrap_or(0)),
    };
    crate::run(|f| f.count_public_request(&client, limit), |_| ()).map_err(|e| Problem::from_wit(e, false).reply())
}

fn cors_headers(origin: &str) -> Vec<(&'static str, String)> {
    vec![("access-control-allow-origin", origin.to_owned()), ("vary", "origin".into())]
}

/// The shop's origins (`shop_origins`: comma-separated, e.g.
/// `https://boutique.example,https://www.boutique.example`), or the request's own.
fn origin_allowed(origin: &str, req: &Request) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    let same = origin
        .split_once("://")
        .is_some_and(|(_, authority)| req.authority.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(authority)));
    same || crate::setting("shop_origins")
        .is_some_and(|list| list.split(',').any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin)))
}

enum Out {
    Json(Value),
    Text(&'static str, String),
}

enum Failure {
    Problem(Problem),
    Wit(wit::Error),
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Problem(p)
    }
}

type Routed = Result<Out, Failure>;

fn out<T: Json>(r: Result<T, wit::Error>) -> Routed {
    r.map(|v| Out::Json(v.to_json())).map_err(Failure::Wit)
}

/// A whole-body route: the component's errors name fields from the body's top, as the
/// body's own JSON errors do (the function's `input.notice` is the body's `notice`).
fn body_out<T: Json>(param: &str, r: Result<T, wit::Error>) -> Routed {
    out(r.map_err(|mut e| {
        if let Some(f) = e.field_error_mut() {
            if f.field == param {
                f.field.clear();
            } else if let Some(rest) = f.field.strip_prefix(param).and_then(|r| r.strip_prefix('.')) {
                f.field = rest.to_owned();
            }
        }
        e
    }))
}

/// The body as JSON: `application/json`, at most [`MAX_DEPTH`] deep.
fn body(req: &Request) -> Result<Value, Problem> {
    let ct = req.header("content-type").unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(Problem::new(
            415,
            "unsupported-media-type",
            "content-type",
            "application/json",
            "the body must be application/json",
        ));
    }
    if depth(&req.body) > MAX_DEPTH {
        return Err(Problem::new(
            400,
            "invalid-input",
            "body",
            "max-depth",
            format!("JSON nests at most {MAX_DEPTH} deep"),
        ));
    }
    serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(
            400,
            "invalid-input",
            "body",
            "json",
            format!("malformed JSON at line {}, column {}", e.line(), e.column()),
        )
    })
}

/// The deepest nesting of brackets outside strings (checked before parsing).
fn depth(b: &[u8]) -> usize {
    let (mut d, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &c in b {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b']' | b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The whole body as one WIT value.
fn whole<T: Json>(req: &Request) -> Result<T, Problem> {
    T::from_json(&body(req)?).map_err(Problem::body)
}

/// A body object of named arguments.
struct Args(Value);

fn args(req: &Request, names: &[&str]) -> Result<Args, Problem> {
    let v = body(req)?;
    json::object(&v, names).map_err(Problem::body)?;
    Ok(Args(v))
}

impl Args {
    fn get<T: Json>(&self, name: &str) -> Result<T, Problem> {
        match &self.0 {
            Value::Object(o) => json::field(o, name).map_err(Problem::body),
            _ => Err(Problem::body(JsonError { field: String::new(), rule: "type:object".into() })),
        }
    }
}

/// A query parameter: its text as a string, or as a JSON scalar (`20`, `true`).
fn query<T: Json>(req: &Request, name: &str) -> Result<T, Problem> {
    let mut given = req.query.iter().filter(|(k, _)| k == name);
    let Some((_, raw)) = given.next() else {
        return T::absent().map_err(|e| Problem::query(name, e));
    };
    if given.next().is_some() {
        return Err(Problem::new(
            400,
            "invalid-input",
            name,
            "single",
            format!("query parameter `{name}` is given twice"),
        ));
    }
    T::from_json(&Value::String(raw.clone())).or_else(|e| match serde_json::from_str::<Value>(raw) {
        // A number or a flag: its own error (`range:u32`) says more than the string's.
        Ok(scalar @ (Value::Number(_) | Value::Bool(_))) => T::from_json(&scalar).map_err(|e| Problem::query(name, e)),
        _ => Err(Problem::query(name, e)),
    })
}

fn no_body(req: &Request) -> Result<(), Problem> {
    if req.body.is_empty() {
        Ok(())
    } else {
        Err(Problem::new(400, "invalid-input", "body", "empty", "this route takes no body"))
    }
}

/// The methods that serve `path` (for `405` and its `Allow` header); empty: no route.
fn allowed_methods(path: &[&str]) -> Vec<&'static str> {
    methods_of(path, false)
}

/// The methods that serve `path` to the public (for CORS).
fn public_methods(path: &[&str]) -> Vec<&'static str> {
    methods_of(path, true)
}

fn methods_of(path: &[&str], public_only: bool) -> Vec<&'static str> {
    let candidates = || ROUTE_TABLE.iter().filter(|r| (!public_only || r.public) && matches(r.segments, path));
    // A literal segment beats a placeholder: `requests/search` is not `requests/{id}`.
    let literals = |r: &Route| r.segments.iter().filter(|s| !s.starts_with('{')).count();
    let best = candidates().map(literals).max().unwrap_or(0);
    let mut methods: Vec<&'static str> = candidates().filter(|r| literals(r) == best).map(|r| r.method).collect();
    methods.dedup();
    methods
}

/// A public receipt's address and user agent are the request's, not the body's; so is
/// its Global Privacy Control signal when the browser sends `Sec-GPC: 1` (the body's
/// `gpc` can add the signal, not take the header's away).
fn public_receipt(req: &Request, mut input: consent::ReceiptInput, actor: &wit::Actor) -> consent::ReceiptInput {
    if actor.role == wit::Role::Public {
        input.client_ip = req.header(CLIENT_ADDR).map(strip_port);
        input.user_agent = req.header("user-agent").map(str::to_owned);
        input.gpc |= req.header("sec-gpc").is_some_and(|v| v.trim() == "1");
    }
    input
}

/// `/.well-known/gpc.json` (Global Privacy Control, section 4.2 of the specification):
/// this site honours the signal (the banner leaves advertising refused under it, and
/// every receipt records it).
fn gpc_support(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET".into(), "the resource is read with GET").reply();
    }
    Reply {
        status: 200,
        content_type: "application/json",
        body: br#"{"gpc":true}"#.to_vec(),
        headers: vec![("cache-control", "max-age=86400".into()), ("access-control-allow-origin", "*".into())],
    }
}

/// `192.0.2.1:5000` → `192.0.2.1`; `[2001:db8::1]:5000` → `2001:db8::1`.
fn strip_port(addr: &str) -> String {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match a.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => host.to_owned(),
        _ => a.to_owned(),
    }
}

#[allow(clippy::too_many_lines)] // one arm per route: the table is the API
fn route(req: &Request, path: &[&str], a: wit::Actor) -> Routed {
    use consent::Guest as Consent;
    use customers::Guest as Customers;
    use registry::Guest as Registry;
    use rights::Guest as Rights;
    use {
        audit::Guest as _, breaches::Guest as _, customer_import::Guest as _, ledger::Guest as _,
        maintenance::Guest as _, minimisation::Guest as _, outbox::Guest as _, retention::Guest as _,
        settings::Guest as _,
    };
    type C = Component;
    let m = req.method;
    let s = |x: &str| x.to_owned();
    match (m, path) {
        ("GET", ["health"]) => Ok(Out::Json(serde_json::json!({"status": "ok"}))),

        // consent
        ("GET", ["purposes"]) => out(C::list_purposes(a)),
        ("POST", ["purposes"]) => body_out("input", C::declare_purpose(a, whole(req)?)),
        ("GET", ["notices"]) => out(C::list_notices(a)),
        ("POST", ["notices"]) => body_out("input", C::register_notice(a, whole(req)?)),
        ("GET", ["notices", r]) => out(C::get_notice(a, s(r))),
        ("POST", ["notices", "for"]) => {
            let x = args(req, &["purposes", "lang"])?;
            out(C::notice_for(a, x.get("purposes")?, x.get("lang")?))
        }
        ("POST", ["consent", "receipts"]) => {
            let input = public_receipt(req, whole(req)?, &a);
            body_out("input", C::record_decision(a, input))
        }
        ("POST", ["consent", "status"]) => out(C::status(a, args(req, &["subject"])?.get("subject")?)),
        ("POST", ["consent", "history"]) => out(<C as Consent>::history(a, args(req, &["subject"])?.get("subject")?)),
        ("GET", ["consent", "rates"]) => out(C::rates(a, query(req, "from")?, query(req, "to")?)),
        ("GET", ["banner"]) => out(C::banner(a, query(req, "lang")?)),

        // ledger
        ("GET", ["ledger", "verify"]) => out(<C as ledger::Guest>::verify(a)),
        ("GET", ["ledger", "anchors"]) => out(C::list_anchors(a)),
        ("POST", ["ledger", "anchors"]) => {
            no_body(req)?;
            out(C::take_anchor(a))
        }

        // settings and keys
        ("GET", ["policy"]) => out(C::get_policy(a)),
        ("PUT", ["policy"]) => body_out("input", C::set_policy(a, whole(req)?)),
        ("GET", ["policy", "history"]) => out(C::policy_history(a)),
        ("GET", ["api-keys"]) => out(C::list_api_keys(a)),
        ("POST", ["api-keys"]) => {
            let x = args(req, &["name", "role"])?;
            out(C::create_api_key(a, x.get("name")?, x.get("role")?))
        }
        ("POST", ["api-keys", id, "revoke"]) => out(C::revoke_api_key(a, s(id))),

        // maintenance
        ("POST", ["maintenance", "reindex"]) => out(C::reindex(a)),
        ("GET", ["subjects"]) => out(C::list_subjects(a, query(req, "cursor")?, query(req, "limit")?)),

        // customers
        ("GET", ["customers"]) => out(C::list_customers(a, query(req, "cursor")?, query(req, "limit")?)),
        ("POST", ["customers"]) => {
            let x = args(req, &["subject", "fields"])?;
            out(C::create(a, x.get("subject")?, x.get("fields")?))
        }
        ("POST", ["customers", "get"]) => out(<C as Customers>::get(a, args(req, &["subject"])?.get("subject")?)),
        ("POST", ["customers", "rectify"]) => {
            let x = args(req, &["subject", "set", "remove"])?;
            out(C::rectify(a, x.get("subject")?, x.get("set")?, x.get("remove")?))
        }
        ("POST", ["customers", "history"]) => {
            out(<C as Customers>::history(a, args(req, &["subject"])?.get("subject")?))
        }
        ("POST", ["customers", "delete"]) => out(C::delete(a, args(req, &["subject"])?.get("subject")?)),
        ("GET", ["customers", "duplicates"]) => out(C::find_duplicates(a)),
        ("POST", ["customers", "merge"]) => {
            let x = args(req, &["kept", "absorbed"])?;
            out(C::merge(a, x.get("kept")?, x.get("absorbed")?))
        }
        ("GET", ["customers", "review"]) => out(C::review(a, query(req, "cursor")?, query(req, "limit")?)),
        ("POST", ["customers", "bounced"]) => out(C::mark_bounced(a, args(req, &["subject"])?.get("subject")?)),
        ("POST", ["customers", "reverify"]) => {
            let x = args(req, &["subject", "fields"])?;
            out(C::reverify(a, x.get("subject")?, x.get("fields")?))
        }
        ("POST", ["customers", "events"]) => {
            let x = args(req, &["subject", "event", "at"])?;
            out(C::record_event(a, x.get("subject")?, x.get("event")?, x.get("at")?))
        }
        ("POST", ["customers", "archived"]) => out(C::archived(a, args(req, &["subject"])?.get("subject")?)),

        // minimisation
        ("POST", ["minimisation", "form"]) => out(C::check_form(a, args(req, &["fields"])?.get("fields")?)),
        ("POST", ["minimisation", "record"]) => out(C::check_record(a, args(req, &["fields"])?.get("fields")?)),
        ("POST", ["minimisation", "text"]) => {
            let x = args(req, &["field", "text"])?;
            out(C::scan_text(a, x.get("field")?, x.get("text")?))
        }

        // import: the chunk is the raw body (bytes of the CSV file from `offset`)
        ("POST", ["imports"]) => body_out("options", C::begin(a, whole(req)?)),
        ("POST", ["imports", session, "chunks"]) => {
            let offset = query(req, "offset")?;
            let last = query(req, "last")?;
            out(C::feed(a, s(session), offset, req.body.clone(), last))
        }
        ("GET", ["imports", session]) => out(C::report(a, s(session))),

        // the register (Art. 30) and its notices
        ("GET", ["registry", "organisation"]) => out(C::get_organisation(a)),
        ("PUT", ["registry", "organisation"]) => body_out("input", C::set_organisation(a, whole(req)?)),
        ("GET", ["registry", "activities"]) => {
            out(C::list_activities(a, query::<Option<bool>>(req, "include-retired")?.unwrap_or(false)))
        }
        ("POST", ["registry", "activities"]) => body_out("input", C::put_activity(a, whole(req)?)),
        ("GET", ["registry", "activities", id]) => out(C::get_activity(a, s(id))),
        ("POST", ["registry", "activities", id, "retire"]) => {
            out(C::retire_activity(a, s(id), args(req, &["reason"])?.get("reason")?))
        }
        ("GET", ["registry", "history"]) => out(<C as Registry>::history(a, query(req, "target")?)),
        ("POST", ["registry", "shop-defaults"]) => out(C::load_shop_defaults(a)),
        ("GET", ["registry", "export"]) => {
            let format: registry::ExportFormat = query(req, "format")?;
            let text = C::export(a, format, query(req, "lang")?).map_err(Failure::Wit)?;
            Ok(Out::Text(media(format), text))
        }
        ("GET", ["registry", "check"]) => out(<C as Registry>::check(a)),
        ("POST", ["registry", "basis"]) => {
            let x = args(req, &["answers", "lang"])?;
            out(C::assist_basis(a, x.get("answers")?, x.get("lang")?))
        }
        ("POST", ["registry", "notice"]) => {
            let x = args(req, &["purposes", "lang"])?;
            out(C::generate_notice(a, x.get("purposes")?, x.get("lang")?))
        }

        // the breach register
        ("GET", ["breaches"]) => out(C::list_breaches(a, query::<Option<bool>>(req, "overdue-only")?.unwrap_or(false))),
        ("POST", ["breaches"]) => body_out("input", C::record_breach(a, whole(req)?)),
        ("GET", ["breaches", id]) => out(C::get_breach(a, s(id))),
        ("PUT", ["breaches", id]) => body_out("input", C::update_breach(a, s(id), whole(req)?)),
        ("POST", ["breaches", id, "cnil"]) => {
            let x = args(req, &["at", "reference", "delay-reason"])?;
            out(C::notify_cnil(a, s(id), x.get("at")?, x.get("reference")?, x.get("delay-reason")?))
        }
        ("POST", ["breaches", id, "people-informed"]) => {
            out(C::inform_people(a, s(id), args(req, &["informed"])?.get("informed")?))
        }
        ("POST", ["breaches", id, "notify-people"]) => {
            let x = args(req, &["subjects", "lang"])?;
            out(C::notify_people(a, s(id), x.get("subjects")?, x.get("lang")?))
        }

        // retention
        ("POST", ["retention", "sweep"]) => body_out("options", C::sweep(a, whole(req)?)),

        // rights requests (the identity-token step is open to the public)
        ("POST", ["requests"]) => body_out("input", C::new_request(a, whole(req)?)),
        ("POST", ["requests", "search"]) => body_out("filter", C::list_requests(a, whole(req)?)),
        ("GET", ["requests", id]) if *id != "search" => out(C::get_request(a, s(id))),
        ("POST", ["requests", id, "steps"]) => body_out("step", C::step(a, s(id), whole(req)?)),
        ("POST", ["subjects", "erase"]) => {
            let x = args(req, &["subject", "options"])?;
            out(C::erase(a, x.get("subject")?, x.get("options")?))
        }
        ("POST", ["subjects", "processing"]) => {
            let x = args(req, &["subject", "change"])?;
            out(C::change_processing(a, x.get("subject")?, x.get("change")?))
        }
        ("POST", ["subjects", "export"]) => {
            let x = args(req, &["subject", "scope", "format", "lang"])?;
            out(<C as Rights>::export_data(a, x.get("subject")?, x.get("scope")?, x.get("format")?, x.get("lang")?))
        }
        ("GET", ["outbox"]) => out(C::pending(a, query(req, "limit")?)),
        ("POST", ["outbox", id, "ack"]) => out(C::ack(a, s(id))),

        // the audit log
        ("GET", ["audit", "verify"]) => out(<C as audit::Guest>::verify(a)),
        ("GET", ["audit", "entries"]) => out(C::entries(a, query(req, "after")?, query(req, "limit")?)),
        ("POST", ["audit", "prune"]) => out(C::prune(a)),

        _ => {
            let allowed = allowed_methods(path);
            if allowed.is_empty() {
                Err(Problem::new(404, "not-found", "path", "known-route", "no such route").into())
            } else {
                Err(Problem::not_allowed(allowed.join(", "), format!("{m} is not allowed here")).into())
            }
        }
    }
}

fn media(f: registry::ExportFormat) -> &'static str {
    match f {
        registry::ExportFormat::Json => "application/json",
        registry::ExportFormat::Csv => "text/csv; charset=utf-8",
        registry::ExportFormat::Html => "text/html; charset=utf-8",
    }
}

/// A line of the route table (`routes.txt`): what the router serves, which tests turn
/// into the OpenAPI document. Used here only to answer `405` rather than `404` when a
/// path is served with another method, and for CORS.
struct Route {
    method: &'static str,
    /// The path after `/v1/`, split at `/`; `{name}` matches any segment.
    segments: &'static [&'static str],
    public: bool,
}

include!(concat!(env!("OUT_DIR"), "/routes.rs"));

/// `["notices", "{reference}"]` matches `["notices", "x"]` (the path after `/v1/`).
fn matches(pattern: &[&str], path: &[&str]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(a, b)| a.starts_with('{') || a == b)
}
