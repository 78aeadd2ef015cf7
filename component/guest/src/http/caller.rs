//! Who calls: an API key's actor or the public; a browser's origin (the shop's own
//! origins only, on public routes) and CORS; the public's rate limit per address; and a
//! public receipt's address, user agent and GPC signal, taken from the request.

use super::Reply;
use super::problem::Problem;
use super::request::Request;
use crate::bindings::exports::fichier::client::consent;
use crate::wit;

/// The header Spin (and `fichier serve`) put the client's address in, after any the
/// client sent: only its last value is the platform's ([`Request::platform_header`]).
const CLIENT_ADDR: &str = "spin-client-addr";

/// The caller: the actor of a valid API key (and `true`), or the public.
pub(super) fn resolve(req: &Request) -> Result<(wit::Actor, bool), Problem> {
    let Some(auth) = req.header("authorization") else {
        return Ok((wit::Actor { id: "web".into(), role: wit::Role::Public }, false));
    };
    let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
    // The first admin token of a deployment with no command line into its store (Spin):
    // its SHA-256, a secret setting, empty when unused.
    let bootstrap = crate::setting("bootstrap_admin_sha256").filter(|v| !v.trim().is_empty());
    match crate::run(|f| f.authenticate(token, bootstrap.as_deref()), wit::Actor::from) {
        Ok(a) => Ok((a, true)),
        Err(e) => Err(Problem::from_wit(e, false)),
    }
}

/// Whether the caller may call `method` on `path` at all, decided before the request's
/// body or query is read, so that a caller refused for who it is learns nothing of what
/// they should hold: without a key, a route for key holders is `401`; with any caller, a
/// role the route's function permits for no input is that function's own refusal
/// (`403`, `401` for the public), from the component's role table
/// (`authz::authorize_call`).
pub(super) fn admit(
    req: &Request,
    path: &[&str],
    public: &[&str],
    actor: &wit::Actor,
    authenticated: bool,
) -> Result<(), Problem> {
    if !authenticated && !public.contains(&req.method) && super::routes::allowed_methods(path).contains(&req.method) {
        return Err(Problem::new(
            401,
            "unauthenticated",
            "authorization",
            "api-key",
            "this route needs an API key (Authorization: Bearer fk_…)",
        ));
    }
    match super::routes::function_of(req.method, path) {
        Some(function) => fichier_domain::kernel::authz::authorize_call(actor.role.into(), function)
            .map_err(|e| Problem::from_wit(e.into(), authenticated)),
        None => Ok(()),
    }
}

/// Count a request without a valid key against its address; the `429` (or a store
/// failure) when it is over the limit.
pub(super) fn count_public(req: &Request) -> Result<(), Reply> {
    use fichier_domain::web::ratelimit::PublicLimit;
    let client = req.platform_header(CLIENT_ADDR).map_or_else(|| "unknown".to_owned(), strip_port);
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

/// A browser's request (it sends `Origin`) to a public route: the CORS headers for the
/// shop's own origins, the answer to a preflight, or `403` for any other origin. No
/// headers for a route that is not public, nor for a request without `Origin`.
pub(super) fn cors(req: &Request, public: &[&'static str]) -> Result<Vec<(&'static str, String)>, Reply> {
    Ok(match req.header("origin") {
        Some(origin) => {
            if public.is_empty() {
                Vec::new()
            } else if !origin_allowed(origin, req) {
                return Err(Problem::new(
                    403,
                    "forbidden",
                    "origin",
                    "shop-origin",
                    "this origin is not one of the shop's (setting shop_origins)",
                )
                .reply());
            } else if req.method == "OPTIONS" && req.header("access-control-request-method").is_some() {
                let mut headers = cors_headers(origin);
                headers.push(("access-control-allow-methods", public.join(", ")));
                headers.push(("access-control-allow-headers", "content-type".into()));
                headers.push(("access-control-max-age", "600".into()));
                return Err(Reply { status: 204, content_type: "text/plain", body: Vec::new(), headers });
            } else {
                cors_headers(origin)
            }
        }
        None => Vec::new(),
    })
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

/// A public receipt's address and user agent are the request's, not the body's; so is
/// its Global Privacy Control signal when the browser sends `Sec-GPC: 1` (the body's
/// `gpc` can add the signal, not take the header's away).
pub(super) fn public_receipt(
    req: &Request,
    mut input: consent::ReceiptInput,
    actor: &wit::Actor,
) -> consent::ReceiptInput {
    if actor.role == wit::Role::Public {
        input.client_ip = req.platform_header(CLIENT_ADDR).map(strip_port);
        input.user_agent = req.header("user-agent").map(str::to_owned);
        input.gpc |= req.header("sec-gpc").is_some_and(|v| v.trim() == "1");
    }
    input
}

/// A status read's signals: the body's, and Global Privacy Control when the browser sends
/// `Sec-GPC: 1` (the body can add the signal, not take the header's away), whoever calls.
pub(super) fn status_signals(req: &Request, body: Option<consent::StatusSignals>) -> Option<consent::StatusSignals> {
    let header = req.header("sec-gpc").is_some_and(|v| v.trim() == "1");
    match body {
        Some(mut s) => {
            s.gpc |= header;
            Some(s)
        }
        None => header.then_some(consent::StatusSignals { gpc: true }),
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
