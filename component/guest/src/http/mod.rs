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
//!
//! A request goes through:
//! 1. [`request::read`]: method (`HEAD` is answered as `GET`, and the host sends no
//!    body), path, query, headers and the whole body (at most [`request::MAX_BODY`],
//!    else `413`);
//! 2. [`respond`]: the OpenAPI document, `/.well-known/gpc.json`, the files of
//!    `assets/` ([`assets`]) and the mails' tracking pixel (`/t/<token>.gif`) first; then who calls, a browser's origin and CORS, the
//!    public's rate limit, and whether the caller's key and role may call the route at
//!    all ([`caller`]); then the route ([`routes`]), which reads its arguments from the
//!    body or the query ([`request`]) and calls the `Guest` function;
//! 3. [`send`]: JSON, a file, or an RFC 9457 problem ([`problem`]).

mod assets;
mod caller;
mod inflate;
mod problem;
mod request;
mod routes;

use crate::Component;
use crate::bindings::exports::wasi::http::incoming_handler;
use crate::bindings::wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use crate::json::Value;

use problem::Problem;
use request::Request;
use routes::{Failure, Out};

/// A response before it is written.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply::json_text(status, serde_json::to_vec(v).unwrap_or_default())
    }

    /// A JSON text already written.
    fn json_text(status: u16, body: Vec<u8>) -> Reply {
        Reply { status, content_type: "application/json", body, headers: Vec::new() }
    }
}

impl incoming_handler::Guest for Component {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let reply = match request::read(request) {
            Ok(req) => respond(&req),
            Err(p) => p.reply(),
        };
        send(out, reply);
    }
}

/// The answer to a request read whole (step 2 above).
fn respond(req: &Request) -> Reply {
    if req.path == "/openapi.json" {
        return assets::openapi(req);
    }
    if req.path == "/.well-known/gpc.json" {
        return assets::gpc_support(req);
    }
    if let Some(file) = assets::asset(req) {
        return file;
    }
    if let Some(token) = req.path.strip_prefix("/t/").and_then(|t| t.strip_suffix(".gif")) {
        return pixel(req, token);
    }
    let (actor, authenticated) = match caller::resolve(req) {
        Ok(c) => c,
        // A wrong key counts against the address like any caller without one.
        Err(p) => return caller::count_public(req).err().unwrap_or_else(|| p.reply()),
    };
    // Path segments are percent-decoded (`%3A` is `:`), `+` stays itself.
    let Some(decoded) =
        req.path.trim_start_matches('/').split('/').map(request::decode_segment).collect::<Option<Vec<_>>>()
    else {
        return Problem::new(400, "invalid-input", "path", "percent-encoding", "the path is not valid UTF-8").reply();
    };
    let segments: Vec<&str> = decoded.iter().map(|s| s.as_ref()).collect();
    let Some(("v1", rest)) = segments.split_first().map(|(a, b)| (*a, b)) else {
        return Problem::new(404, "not-found", "path", "known-route", "no such route; the API is under /v1").reply();
    };
    let public = routes::public_methods(rest);
    // Browsers: a public route answers the shop's own origins (CORS), and refuses others.
    let cors = match caller::cors(req, &public) {
        Ok(headers) => headers,
        Err(reply) => return reply,
    };
    // The public is counted per address (the store keeps a keyed hash of it): 429 past
    // the deployment's `public_rate_per_minute` (default 120; IPv6 clients per /64, or
    // `public_rate_ipv6_prefix`). Not the health check, nor the banner's configuration,
    // which every page view reads: public, cacheable, and a read of it writes nothing.
    let banner = req.method == "GET" && rest == ["banner"];
    if !authenticated
        && rest != ["health"]
        && !banner
        && let Err(mut reply) = caller::count_public(req)
    {
        reply.headers.extend(cors);
        return reply;
    }
    // Who may call the route is decided before its body is read: a caller refused for
    // its key or its role learns nothing of what the body should hold.
    if let Err(p) = caller::admit(req, rest, &public, &actor, authenticated) {
        let mut reply = p.reply();
        reply.headers.extend(cors);
        return reply;
    }
    let mut reply = match routes::route(req, rest, actor) {
        Ok(Out::Json(body)) => Reply::json_text(200, body),
        Ok(Out::Accepted(body)) => Reply::json_text(202, body),
        Ok(Out::Text(content_type, body)) => {
            Reply { status: 200, content_type, body: body.into_bytes(), headers: Vec::new() }
        }
        Err(Failure::Problem(p)) => p.reply(),
        Err(Failure::Wit(e)) => Problem::from_wit(e, authenticated).reply(),
    };
    if banner && reply.status == 200 {
        reply = assets::cacheable(req, reply, BANNER_MAX_AGE);
    }
    reply.headers.extend(cors);
    reply
}

/// A transparent 1×1 GIF (43 bytes): every answer of the pixel route.
pub(crate) const PIXEL_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `GET /t/<token>.gif`, the tracking pixel of the shop's mails: the same image, never
/// cached (`no-store`, so each open asks again), whatever the token (bad, unknown, of a
/// withdrawn consent) and whatever happened: `consent.open-pixel` counts the open, or not,
/// and its answer is dropped. The public's rate limit holds: past it, nothing is counted.
/// No CORS (an `<img>` needs none), no key (a mail client sends none).
fn pixel(req: &Request, token: &str) -> Reply {
    use crate::bindings::exports::fichier::client::consent::Guest as _;
    if req.method != "GET" {
        return Problem::not_allowed("GET, HEAD".into(), format!("{} is not allowed here", req.method)).reply();
    }
    // `HEAD` (a link checker, a proxy probing) gets the same headers and counts nothing.
    if !req.head && caller::count_public(req).is_ok() {
        let public = crate::wit::Actor { id: "web".into(), role: crate::wit::Role::Public };
        let _ = Component::open_pixel(public, token.to_owned());
    }
    Reply { status: 200, content_type: "image/gif", body: PIXEL_GIF.to_vec(), headers: Vec::new() }
}

/// How long a browser or a proxy may keep the banner's configuration before asking again
/// (a new notice or purpose reaches visitors within this time).
const BANNER_MAX_AGE: u32 = 60;

/// The reply's headers: `content-type`, `nosniff`, `content-length` (not on `304`),
/// `cache-control: no-store` unless the reply sets its own, then the reply's own.
fn header_entries(r: &Reply) -> Vec<(String, Vec<u8>)> {
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
    entries.extend(r.headers.iter().map(|(k, v)| ((*k).to_owned(), v.clone().into_bytes())));
    entries
}

/// Write the reply: its headers ([`header_entries`]), then the body in 4 KiB writes.
fn send(out: ResponseOutparam, r: Reply) {
    let Ok(headers) = Fields::from_list(&header_entries(&r)) else { return };
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

/// The REST face natively (not in the component): a request read whole through the same
/// [`respond`], for the fuzz target and tests (`crate::native`).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn answer(
    method: &str,
    target: &str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
) -> crate::native::Response {
    // The methods wasi:http names that the router knows; any other is `OTHER`.
    let method = match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    };
    // wasi:http keeps the `Host` header apart as the authority.
    let authority = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .map(str::to_owned);
    let read = request::check_declared(&headers).and_then(|()| {
        if body.len() > request::MAX_BODY {
            return Err(request::too_large());
        }
        request::from_parts(method, if target.is_empty() { "/" } else { target }, authority, headers, body)
    });
    let reply = match read {
        Ok(req) => respond(&req),
        Err(p) => p.reply(),
    };
    crate::native::Response { status: reply.status, headers: header_entries(&reply), body: reply.body }
}
