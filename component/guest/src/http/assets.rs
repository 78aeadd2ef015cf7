//! What the component serves besides the API: the OpenAPI document, Global Privacy
//! Control's `/.well-known/gpc.json`, and the files of `assets/` (the cookie banner, the
//! admin page, the demo shop), revalidated by ETag, gzip-compressed only when the
//! client's `Accept-Encoding` takes it (`Vary: Accept-Encoding`), pages with a strict
//! Content-Security-Policy.

use super::Reply;
use super::problem::Problem;
use super::request::Request;

/// The OpenAPI 3.1 document of this API (built by the tests from `routes.txt` and the
/// WIT), minified and gzip-compressed by `build.rs`.
const OPENAPI_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openapi.json.gz"));

/// A file of `assets/` as served: as is, gzip-compressed, and the ETag of each.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    raw: &'static [u8],
    packed: &'static [u8],
    etag: &'static str,
    etag_gz: &'static str,
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

/// Whether the client takes gzip (RFC 9110 §12.5.3): its `Accept-Encoding` lists `gzip`
/// (or `x-gzip`) with a weight above 0, or does not list it and lists `*` above 0. A
/// client that sends no `Accept-Encoding` (curl without `--compressed`) says nothing of
/// gzip, so it gets the bytes themselves.
fn gzip_accepted(req: &Request) -> bool {
    let Some(header) = req.header("accept-encoding") else { return false };
    let (mut gzip, mut any) = (None, None);
    for coding in header.split(',') {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        // A weight is `q=0`…`q=1` with at most three decimals: above 0 when a digit is not 0.
        let weighted = parts
            .find_map(|p| p.split_once('=').filter(|(k, _)| k.trim().eq_ignore_ascii_case("q")))
            .is_none_or(|(_, q)| q.bytes().any(|b| (b'1'..=b'9').contains(&b)));
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(weighted);
        } else if name == "*" {
            any = Some(weighted);
        }
    }
    gzip.or(any).unwrap_or(false)
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
    let gzip = gzip_accepted(req);
    let (name, content_type) = (file.name, file.content_type);
    let etag = if gzip { file.etag_gz } else { file.etag };
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
    let body = if gzip {
        headers.push(("content-encoding", "gzip".to_owned()));
        file.packed
    } else {
        file.raw
    };
    Some(Reply { status: 200, content_type, body: body.to_vec(), headers })
}

/// The document: as stored (gzip) for a client that takes gzip, else inflated, the JSON
/// itself (the component keeps ≈30 KB of gzip rather than ≈250 KB of JSON).
pub(super) fn openapi(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET, HEAD".into(), "the document is read with GET or HEAD").reply();
    }
    let mut headers = vec![("vary", "accept-encoding".to_owned())];
    let body = if gzip_accepted(req) {
        headers.push(("content-encoding", "gzip".to_owned()));
        OPENAPI_GZ.to_vec()
    } else {
        match inflated_openapi() {
            Some(json) => json,
            None => return Problem::new(500, "other", "", "", "the OpenAPI document does not inflate").reply(),
        }
    };
    Reply { status: 200, content_type: "application/json", body, headers }
}

/// The document's JSON: the gzip member's deflate stream, after its 10-byte header
/// (`build.rs` writes no optional field) and before its trailer (CRC-32, then the length,
/// checked here), inflated.
fn inflate_openapi() -> Option<Vec<u8>> {
    let (deflate, trailer) = OPENAPI_GZ.split_at(OPENAPI_GZ.len().saturating_sub(8));
    let size = trailer.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    super::inflate::inflate(deflate.get(10..).unwrap_or_default()).filter(|json| u32::try_from(json.len()).ok() == size)
}

/// [`inflate_openapi`]: in the component each request has a fresh instance, so it inflates
/// each time (a cold path). Natively — the fuzz targets' REST face, one process answering
/// thousands of requests a second — once per process: inflating ~250 KB bit by bit under
/// libFuzzer's tracing took most of the `rest_face` target's time, for a constant input.
fn inflated_openapi() -> Option<Vec<u8>> {
    #[cfg(not(target_family = "wasm"))]
    {
        static DOC: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
        DOC.get_or_init(inflate_openapi).clone()
    }
    #[cfg(target_family = "wasm")]
    inflate_openapi()
}

/// `/.well-known/gpc.json` (Global Privacy Control, section 4.2 of the specification):
/// this site honours the signal (the banner leaves advertising refused under it, every
/// receipt records it, and a status read with it refuses advertising not granted after
/// it). `lastUpdate` is the date this support last changed (when status reads began to
/// honour the signal): move it with any change of what the signal does here.
pub(super) fn gpc_support(req: &Request) -> Reply {
    if req.method != "GET" {
        return Problem::not_allowed("GET, HEAD".into(), "the resource is read with GET or HEAD").reply();
    }
    Reply {
        status: 200,
        content_type: "application/json",
        body: br#"{"gpc":true,"lastUpdate":"2026-12-06"}"#.to_vec(),
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
