//! Reading a request and its limits: the body whole and at most [`MAX_BODY`], JSON at
//! most [`MAX_DEPTH`] deep and only `application/json`, the query percent-decoded; and
//! the arguments a route takes from them (the whole body, named members, a query
//! parameter).

use super::problem::Problem;
use crate::bindings::wasi::http::types::{ErrorCode, IncomingBody, IncomingRequest, Method, http_error_code};
use crate::bindings::wasi::io::streams::StreamError;
use crate::json::{self, Json, JsonError, Value};

/// The largest request body read (an import chunk of 256 KiB fits many times).
pub(super) const MAX_BODY: usize = 4 << 20;
/// The deepest JSON nesting accepted (serde_json's own limit is 128).
const MAX_DEPTH: usize = 32;

/// What the router sees of a request.
pub(super) struct Request {
    /// `GET` for a `HEAD` request, which is answered as `GET` ([`Request::head`]).
    pub(super) method: &'static str,
    /// The request is a `HEAD`: the host sends no body.
    pub(super) head: bool,
    /// `host[:port]` the request was sent to (the `Host` header, which wasi:http keeps apart).
    pub(super) authority: Option<String>,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(String, Vec<u8>)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The last value of a header a platform adds after the client's own: Spin appends
    /// its `spin-client-addr` to the headers the client sent (and a value joined by a
    /// proxy, `a, b`, ends with the one added last), so only the last one is the
    /// platform's.
    pub(super) fn platform_header(&self, name: &str) -> Option<&str> {
        let (_, v) = self.headers.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        let v = std::str::from_utf8(v).ok()?;
        Some(v.rsplit(',').next().unwrap_or(v).trim())
    }
}

pub(super) fn read(request: IncomingRequest) -> Result<Request, Problem> {
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
    let headers = request.headers().entries();
    check_declared(&headers)?;
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
    from_parts(method, &target, request.authority(), headers, body)
}

/// `413` before the body is read when its declared length is over [`MAX_BODY`].
pub(super) fn check_declared(headers: &[(String, Vec<u8>)]) -> Result<(), Problem> {
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    Ok(())
}

/// The request the router sees, from what was read: `method` one of `GET`, `HEAD`,
/// `POST`, `PUT`, `DELETE`, `OPTIONS` or `OTHER`; `target` the path and query.
pub(super) fn from_parts(
    method: &'static str,
    target: &str,
    authority: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
) -> Result<Request, Problem> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // HEAD is GET without the body (RFC 9110 §9.3.2): the same route and the same
    // headers. The body is written as for GET — wasi:http holds a response to its
    // `content-length` — and the host's HTTP layer sends none (hyper under `fichier
    // serve` and Spin; the PHP library drops it).
    let head = method == "HEAD";
    Ok(Request {
        method: if head { "GET" } else { method },
        head,
        authority,
        path: path.to_owned(),
        query: parse_query(query)?,
        headers,
        body,
    })
}

pub(super) fn too_large() -> Problem {
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
pub(super) fn decode_segment(s: &str) -> Option<std::borrow::Cow<'_, str>> {
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
pub(super) fn whole<T: Json>(req: &Request) -> Result<T, Problem> {
    T::from_json(&body(req)?).map_err(Problem::body)
}

/// A body object of named arguments.
pub(super) struct Args(Value);

pub(super) fn args(req: &Request, names: &[&str]) -> Result<Args, Problem> {
    let v = body(req)?;
    json::object(&v, names).map_err(Problem::body)?;
    Ok(Args(v))
}

impl Args {
    pub(super) fn get<T: Json>(&self, name: &str) -> Result<T, Problem> {
        match &self.0 {
            Value::Object(o) => json::field(o, name).map_err(Problem::body),
            _ => Err(Problem::body(JsonError { field: String::new(), rule: "type:object".into() })),
        }
    }
}

/// A query parameter: its text as a string, or as a JSON scalar (`20`, `true`).
pub(super) fn query<T: Json>(req: &Request, name: &str) -> Result<T, Problem> {
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

pub(super) fn no_body(req: &Request) -> Result<(), Problem> {
    if req.body.is_empty() {
        Ok(())
    } else {
        Err(Problem::new(400, "invalid-input", "body", "empty", "this route takes no body"))
    }
}
