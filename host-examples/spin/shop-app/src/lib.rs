//! A shop's own Spin service, written with spin-sdk, that keeps its privacy duties
//! through fichier's library interfaces rather than over HTTP.
//!
//! The component imports `fichier:client/consent` and `fichier:client/minimisation`
//! (bindings generated from the repository's `wit/` by the wit-bindgen that spin-sdk
//! re-exports). Composition (`wac plug shop-app.wasm --plug fichier.wasm`) satisfies
//! those imports with fichier's exports: the deployed `.wasm` is one component that
//! exports `wasi:http/incoming-handler` and imports only what Spin provides.
//!
//! Routes:
//! - `POST /newsletter` `{"email", "consent": bool, "notice"}`: the sign-up form's box,
//!   ticked: a sign-up fichier keeps pending until the person confirms from the mail it
//!   queues (double opt-in: `202`, the same answer for every address); unticked: nothing is
//!   recorded (a visitor cannot write in the history of an address they name).
//! - `POST /newsletter/confirm/{token}`: the page the confirmation mail links to posts its
//!   token: the grant is recorded then, citing the notice the form showed.
//! - `POST /privacy/consent` `{"visitor", "purpose", "decision", "notice"}`: the cookie
//!   banner's choice for one purpose (channel `cookie-banner`).
//! - `GET /privacy/status?visitor=…`: where the banner's visitor id stands, per purpose.
//! - `POST /checkout` `{"email", "note", "newsletter": bool, "notice"}`: the order note
//!   is scanned before the shop keeps it (a card number, health data, a national id
//!   number in a free text are refused with the rule and a span, never the value), and
//!   the checkout's newsletter box becomes a receipt (channel `checkout`), recorded by the
//!   shop itself (`system`): the e-mail is the order's, not one a visitor names.
//!
//! The app calls fichier as `shop-app` with the `public` role for what a visitor
//! decides or asks about their own banner id, and with the `system` role for its own
//! checks of what it is about to store: fichier checks the role of every call.

use serde_json::{Value, json};
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    ::spin_sdk::wit_bindgen::generate!({
        world: "fichier-shop:app/shop",
        // fichier's package (with its wasi deps) first, then the shop's world that names it.
        path: ["../../../wit", "wit"],
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        generate_all,
    });
}

use bindings::fichier::client::consent::{self, Channel, Decision, GivenBy, ReceiptInput};
use bindings::fichier::client::minimisation::{self, Severity};
use bindings::fichier::client::types::{Actor, Error, FieldError, Role, SubjectRef};

/// The purpose the newsletter box asks about (declared in fichier by the shop's admin).
const NEWSLETTER: &str = "newsletter";
/// The id fichier records as the caller of every call this app makes.
const APP: &str = "shop-app";

#[http_component]
fn handle(req: Request) -> Response {
    let mut router = Router::new();
    router.post("/newsletter", newsletter);
    router.post("/newsletter/confirm/:token", newsletter_confirm);
    router.post("/privacy/consent", banner_choice);
    router.get("/privacy/status", privacy_status);
    router.post("/checkout", checkout);
    router.handle(req)
}

/// A visitor acting on their own choices (receipts, their banner id's status).
fn visitor() -> Actor {
    Actor { id: APP.into(), role: Role::Public }
}

/// The shop checking what it is about to store.
fn shop() -> Actor {
    Actor { id: APP.into(), role: Role::System }
}

fn newsletter(req: Request, _: Params) -> Response {
    let body = match json_body(&req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(email) = body["email"].as_str() else { return bad_request("email", "an e-mail address is required") };
    let Some(granted) = body["consent"].as_bool() else {
        return bad_request("consent", "true (the box was ticked) or false");
    };
    if !granted {
        return json_response(200, &json!({ "outcome": "nothing-recorded" }));
    }
    let input =
        receipt_input(&req, SubjectRef::Email(email.into()), NEWSLETTER, Decision::Grant, Channel::WebForm, &body);
    match consent::sign_up(&visitor(), &input) {
        Ok(a) => json_response(202, &json!({ "outcome": outcome_name(a.outcome) })),
        Err(e) => problem(&e),
    }
}

fn newsletter_confirm(_: Request, params: Params) -> Response {
    let Some(token) = params.get("token") else { return bad_request("token", "the confirmation mail's token") };
    match consent::confirm(&visitor(), token) {
        Ok(a) => json_response(202, &json!({ "outcome": outcome_name(a.outcome) })),
        Err(e) => problem(&e),
    }
}

fn outcome_name(o: consent::PublicOutcome) -> &'static str {
    match o {
        consent::PublicOutcome::ConfirmationSent => "confirmation-sent",
        consent::PublicOutcome::Confirmed => "confirmed",
        consent::PublicOutcome::Withdrawn => "withdrawn",
    }
}

fn banner_choice(req: Request, _: Params) -> Response {
    let body = match json_body(&req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(visitor_id) = body["visitor"].as_str() else { return bad_request("visitor", "the banner's visitor id") };
    let Some(purpose) = body["purpose"].as_str() else { return bad_request("purpose", "a declared purpose id") };
    let decision = match body["decision"].as_str() {
        Some("grant") => Decision::Grant,
        Some("refuse") => Decision::Refuse,
        Some("withdraw") => Decision::Withdraw,
        _ => return bad_request("decision", "grant, refuse or withdraw"),
    };
    let subject = SubjectRef::External(visitor_id.into());
    let input = receipt_input(&req, subject, purpose, decision, Channel::CookieBanner, &body);
    match consent::record_decision(&visitor(), &input) {
        Ok(r) => json_response(201, &receipt_json(&r)),
        Err(e) => problem(&e),
    }
}

fn privacy_status(req: Request, _: Params) -> Response {
    let visitor_id = form_urlencoded::parse(req.query().as_bytes()).find(|(k, _)| k == "visitor").map(|(_, v)| v);
    let Some(visitor_id) = visitor_id else { return bad_request("visitor", "?visitor=<the banner's visitor id>") };
    match consent::status(&visitor(), &SubjectRef::External(visitor_id.into_owned())) {
        Ok(s) => {
            let purposes: Vec<Value> = s
                .purposes
                .iter()
                .map(|p| {
                    json!({
                        "purpose": p.purpose,
                        "state": state_name(p.state),
                        "reason": p.reason,
                        "receipt": p.receipt,
                        "expires-at": p.expires_at,
                    })
                })
                .collect();
            json_response(200, &json!({ "subject": s.subject, "purposes": purposes }))
        }
        Err(e) => problem(&e),
    }
}

fn checkout(req: Request, _: Params) -> Response {
    let body = match json_body(&req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(email) = body["email"].as_str() else { return bad_request("email", "an e-mail address is required") };
    let note = body["note"].as_str().unwrap_or("");
    // The note is free text the shop would keep with the order: scan it first.
    let findings = if note.is_empty() {
        Vec::new()
    } else {
        match minimisation::scan_text(&shop(), "note", note) {
            Ok(f) => f,
            Err(e) => return problem(&e),
        }
    };
    let findings_json: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "severity": severity_name(f.severity),
                "field": f.field,
                "rule": f.rule,
                "message": f.message,
                "fix": f.fix,
                "kind": f.kind,
                "span": f.span.as_ref().map(|s| json!({ "start": s.start, "end": s.end })),
            })
        })
        .collect();
    if findings.iter().any(|f| f.severity == Severity::Block) {
        return json_response(
            422,
            &json!({
                "title": "the order note holds data the shop must not keep",
                "findings": findings_json,
            }),
        );
    }
    let receipt = if body["newsletter"].as_bool() == Some(true) {
        let input =
            receipt_input(&req, SubjectRef::Email(email.into()), NEWSLETTER, Decision::Grant, Channel::Checkout, &body);
        match consent::record_decision(&shop(), &input) {
            Ok(r) => Some(r.id),
            Err(e) => return problem(&e),
        }
    } else {
        None
    };
    json_response(200, &json!({ "order": "accepted", "note-findings": findings_json, "newsletter-receipt": receipt }))
}

/// A receipt for what the request's visitor decided, with what the request tells of
/// them: the address Spin saw (`spin-client-addr`), the User-Agent, the GPC signal.
fn receipt_input(
    req: &Request,
    subject: SubjectRef,
    purpose: &str,
    decision: Decision,
    channel: Channel,
    body: &Value,
) -> ReceiptInput {
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::to_owned);
    ReceiptInput {
        subject,
        purpose: purpose.into(),
        decision,
        given_by: GivenBy::Subject,
        channel,
        notice: body["notice"].as_str().map(str::to_owned),
        at: None,
        receipt_id: None,
        client_ip: header("spin-client-addr").map(|a| client_ip(&a)),
        user_agent: header("user-agent"),
        gpc: header("sec-gpc").as_deref() == Some("1"),
        age: None,
        customer: None,
    }
}

/// The address of `ip:port` or `[ipv6]:port` (fichier keeps only a truncated form).
fn client_ip(addr: &str) -> String {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().to_string(),
        Err(_) => addr.to_owned(),
    }
}

fn receipt_json(r: &consent::Receipt) -> Value {
    json!({
        "receipt": r.id,
        "subject": r.subject,
        "purpose": r.purpose,
        "decision": match r.decision {
            Decision::Grant => "grant",
            Decision::Refuse => "refuse",
            Decision::Withdraw => "withdraw",
        },
        "at": r.at,
        "notice": r.notice.as_ref().map(|n| n.reference.clone()),
    })
}

fn state_name(s: consent::ConsentState) -> &'static str {
    use consent::ConsentState::*;
    match s {
        Given => "given",
        Refused => "refused",
        Withdrawn => "withdrawn",
        Expired => "expired",
        PendingParentalConsent => "pending-parental-consent",
        NeverAsked => "never-asked",
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Block => "block",
        Severity::Warn => "warn",
        Severity::Info => "info",
    }
}

fn json_body(req: &Request) -> Result<Value, Response> {
    match serde_json::from_slice::<Value>(req.body()) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(bad_request("", "the body is a JSON object")),
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string()).build()
}

fn bad_request(field: &str, detail: &str) -> Response {
    problem_response(400, "invalid-request", field, "required", detail)
}

/// fichier's error as `application/problem+json`, naming the field and the rule.
fn problem(e: &Error) -> Response {
    let (status, kind, f) = match e {
        Error::InvalidInput(f) => (422, "invalid-input", f),
        Error::NotFound(f) => (422, "not-found", f),
        Error::Forbidden(f) => (403, "forbidden", f),
        Error::Conflict(f) => (409, "conflict", f),
        Error::Corrupted(f) => (500, "corrupted", f),
        Error::Config(f) => (500, "config", f),
        Error::Storage(f) => (503, "storage", f),
        Error::Other(message) => {
            return problem_response(500, "other", "", "", message);
        }
    };
    let FieldError { field, rule, message } = f;
    problem_response(status, kind, field, rule, message)
}

fn problem_response(status: u16, kind: &str, field: &str, rule: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("urn:fichier-shop:problem:{kind}"),
        "status": status,
        "field": field,
        "rule": rule,
        "detail": detail,
    });
    Response::builder().status(status).header("content-type", "application/problem+json").body(body.to_string()).build()
}
