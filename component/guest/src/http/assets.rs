//! What the component serves besides the API: the OpenAPI document, Global Privacy
//! Control's `/.well-known/gpc.json`, and the files of `assets/` (the cookie banner, the
//! admin page, the demo shop), revalidated by ETag, gzip-compressed when the client
//! takes it, pages with a strict Content-Security-Policy.

use super::Reply;
use super::problem::Problem;
use super::request::Request;

/// The OpenAPI 3.1 document of this API (built by the tests from `routes.txt` and the
/// WIT), minified and gzip-compressed by `build.rs`.
const OPENAPI_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openapi.json.gz"));

/// A file of `assets/` as served: as is, gzip-compressed, and its ETag.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    raw: &'static [u8],
    packed: &'static [u8],
    etag: &'static str,
}

// `ASSETS`, every file of `assets/` as `build.rs` packs it.
include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The pages' Content-Security-Policy: their own scripts and styles only, nothing
/// inline, no framing. The demo shop may also show the stand-in analytics pixel.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
     connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const DEMO_CSP: &str = "default-src 'self'; img-src 'self' data: https://analytics.example; style-src 'self'; \
     script-src 'self'; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

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
pub(super) fn asset(req: &Request) -> Option<Reply> {
    let name = match req.path.as_str() {
        "/" => "shop.html",
        "/admin" => "admin.html",
        p => p.strip_prefix('/').filter(|n| !n.contains('/'))?,
    };
    let file = ASSETS.iter().find(|a| a.name == name)?;
    let (name, content_type, etag) = (file.name, file.content_type, file.etag);
    if demo_only(name) && crate::setting("demo").as_deref() != Some("true") {
        return None;
    }
    if req.method != "GET" {
        return Some(Problem::not_allowed("GET, HEAD".into(), "a file is read with GET or HEAD").reply());
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
pub(super) fn openapi(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET, HEAD".into(), "the document is read with GET or HEAD").reply();
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

/// `/.well-known/gpc.json` (Global Privacy Control, section 4.2 of the specification):
/// this site honours the signal (the banner leaves advertising refused under it, and
/// every receipt records it).
pub(super) fn gpc_support(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET, HEAD".into(), "the resource is read with GET or HEAD").reply();
    }
    Reply {
        status: 200,
        content_type: "application/json",
        body: br#"{"gpc":true}"#.to_vec(),
        headers: vec![("cache-control", "max-age=86400".into()), ("access-control-allow-origin", "*".into())],
    }
}

/// A public answer that browsers and proxies may keep `max_age` seconds: its strong ETag
/// (from the body's SHA-256), and `304` with no body when the request already has it.
pub(super) fn cacheable(req: &Request, mut reply: Reply, max_age: u32) -> Reply {
    let digest = fichier_domain::kernel::crypto::sha256_hex(&reply.body);
    let etag = format!("\"{}\"", &digest[..32]);
    reply.headers.push(("etag", etag.clone()));
    reply.headers.push(("cache-control", format!("public, max-age={max_age}")));
    if req.header("if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        reply.status = 304;
        reply.body = Vec::new();
    }
    reply
}
