//! Errors as `application/problem+json` (RFC 9457): `type` names the kind, `field`
//! and `rule` what failed, `detail` says it in a sentence.

use super::Reply;
use crate::json::{self, JsonError, Value};
use crate::wit;

/// An RFC 9457 problem: `type` names the kind, `field` and `rule` what failed.
pub(super) struct Problem {
    /// A header the problem carries: `allow` for `405`, `retry-after` for `429`.
    header: Option<Box<(&'static str, String)>>,
    status: u16,
    kind: &'static str,
    field: String,
    rule: String,
    detail: String,
}

impl Problem {
    pub(super) fn new(status: u16, kind: &'static str, field: &str, rule: &str, detail: impl Into<String>) -> Self {
        Problem { header: None, status, kind, field: field.into(), rule: rule.into(), detail: detail.into() }
    }

    /// `405`, with the methods that are allowed in `Allow`.
    pub(super) fn not_allowed(allow: String, detail: impl Into<String>) -> Self {
        let mut p = Problem::new(405, "method-not-allowed", "method", "allowed-method", detail);
        p.header = Some(Box::new(("allow", allow)));
        p
    }

    pub(super) fn body(e: JsonError) -> Self {
        let detail = format!("the request body does not fit its type at `{}` ({})", e.field, e.rule);
        Problem { header: None, status: 422, kind: "invalid-input", field: e.field, rule: e.rule, detail }
    }

    pub(super) fn query(name: &str, e: JsonError) -> Self {
        Problem::new(400, "invalid-input", name, &e.rule, format!("query parameter `{name}`: {}", e.rule))
    }

    pub(super) fn from_wit(e: wit::Error, authenticated: bool) -> Self {
        let (status, kind, fe) = match e {
            wit::Error::InvalidInput(f) => (422, "invalid-input", f),
            wit::Error::NotFound(f) => (404, "not-found", f),
            wit::Error::Forbidden(f) if !authenticated => (401, "unauthenticated", f),
            wit::Error::Forbidden(f) => (403, "forbidden", f),
            wit::Error::Conflict(f) if f.rule == fichier_domain::web::ratelimit::RULE => {
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

    pub(super) fn reply(self) -> Reply {
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
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}
