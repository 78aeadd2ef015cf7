//! Routing: `/v1/…` to the same `Guest` function a library host calls, and the route
//! table (`routes.txt`, a constant built by `build.rs`) for `405` with `Allow` and for
//! CORS.

use super::caller::{public_receipt, status_signals};
use super::problem::Problem;
use super::request::{Request, args, no_body, query, whole};
use crate::Component;
use crate::bindings::exports::fichier::client::{
    audit, breaches, consent, customer_import, customers, ledger, maintenance, minimisation, outbox, registry,
    retention, rights, settings,
};
use crate::json::Json;
use crate::wit;

/// What a route answers: a WIT value as JSON text, or a text of its media type.
pub(super) enum Out {
    Json(Vec<u8>),
    /// `202 Accepted`: a public answer about an e-mail, the same whatever the address.
    Accepted(Vec<u8>),
    Text(&'static str, String),
}

/// Why a route did not answer: its request did not fit, or the function failed.
pub(super) enum Failure {
    Problem(Problem),
    Wit(wit::Error),
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Problem(p)
    }
}

type Routed = Result<Out, Failure>;

/// A WIT value as JSON text.
fn json<T: Json>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.write_json(&mut out);
    out
}

fn out<T: Json>(r: Result<T, wit::Error>) -> Routed {
    r.map(|v| Out::Json(json(&v))).map_err(Failure::Wit)
}

fn accepted<T: Json>(r: Result<T, wit::Error>) -> Routed {
    r.map(|v| Out::Accepted(json(&v))).map_err(Failure::Wit)
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

#[allow(clippy::too_many_lines)] // one arm per route: the table is the API
pub(super) fn route(req: &Request, path: &[&str], a: wit::Actor) -> Routed {
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
        ("GET", ["health"]) => Ok(Out::Json(br#"{"status":"ok"}"#.to_vec())),

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
        ("POST", ["consent", "sign-ups"]) => {
            let input = public_receipt(req, whole(req)?, &a);
            match body_out("input", C::sign_up(a, input))? {
                Out::Json(v) => Ok(Out::Accepted(v)),
                other => Ok(other),
            }
        }
        ("POST", ["consent", "confirm", token]) => accepted(C::confirm(a, s(token))),
        ("POST", ["consent", "unsubscribe-links"]) => {
            let x = args(req, &["subject", "purpose"])?;
            out(C::unsubscribe_link(a, x.get("subject")?, x.get("purpose")?))
        }
        ("POST", ["consent", "mail-links"]) => {
            let x = args(req, &["subject", "campaign", "purpose"])?;
            out(C::mint_mail_links(a, x.get("subject")?, x.get("campaign")?, x.get("purpose")?))
        }
        ("GET", ["consent", "opens"]) => out(C::opens(a, query(req, "from")?, query(req, "to")?)),
        ("GET", ["consent", "tracking-to-ask"]) => {
            out(C::tracking_to_ask(a, query(req, "purpose")?, query(req, "cursor")?, query(req, "limit")?))
        }
        // RFC 8058: the mail client's one-click POST (`List-Unsubscribe=One-Click`) or none.
        ("POST", ["unsubscribe", token]) => accepted(C::unsubscribe(a, s(token))),
        ("POST", ["consent", "customer-references"]) => {
            out(C::mint_customer_reference(a, args(req, &["subject"])?.get("subject")?))
        }
        ("POST", ["banner", "choice"]) => {
            let x = args(req, &["customer", "lang", "signals"])?;
            out(C::customer_choice(a, x.get("customer")?, x.get("lang")?, status_signals(req, x.get("signals")?)))
        }
        ("POST", ["consent", "status"]) => {
            let x = args(req, &["subject", "signals"])?;
            out(C::status_with_signals(a, x.get("subject")?, status_signals(req, x.get("signals")?)))
        }
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
        ("GET", ["maintenance", "verify-store"]) => out(C::verify_store(a)),
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
        ("GET", ["customers", "duplicates"]) => out(C::find_duplicates(a, query(req, "cursor")?, query(req, "limit")?)),
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
        ("POST", ["minimisation", "identifier"]) => out(C::check_identifier(a, args(req, &["value"])?.get("value")?)),

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
        ("POST", ["retention", "disputes"]) => {
            let x = args(req, &["subject", "reference", "fields"])?;
            out(C::open_dispute(a, x.get("subject")?, x.get("reference")?, x.get("fields")?))
        }
        ("POST", ["retention", "disputes", "close"]) => {
            let x = args(req, &["subject", "reference"])?;
            out(C::close_dispute(a, x.get("subject")?, x.get("reference")?))
        }

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
        ("GET", ["outbox"]) => out(C::pending(a, query(req, "after")?, query(req, "limit")?)),
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
                let m = if req.head { "HEAD" } else { m };
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
/// into the OpenAPI document. Used here to answer `405` rather than `404` when a path is
/// served with another method, for CORS, and to check a caller's role before its input
/// is read ([`function_of`]).
struct Route {
    method: &'static str,
    /// The path after `/v1/`, split at `/`; `{name}` matches any segment.
    segments: &'static [&'static str],
    /// The exported function it calls, `interface.function`; empty for none.
    function: &'static str,
    public: bool,
}

include!(concat!(env!("OUT_DIR"), "/routes.rs"));

/// `["notices", "{reference}"]` matches `["notices", "x"]` (the path after `/v1/`).
fn matches(pattern: &[&str], path: &[&str]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(a, b)| a.starts_with('{') || a == b)
}

/// The methods that serve `path` (for `405` and its `Allow` header), `HEAD` wherever
/// `GET` is; empty: no route.
pub(super) fn allowed_methods(path: &[&str]) -> Vec<&'static str> {
    let mut methods = methods_of(path, false);
    if let Some(get) = methods.iter().position(|m| *m == "GET") {
        methods.insert(get + 1, "HEAD");
    }
    methods
}

/// The methods that serve `path` to the public (for CORS).
pub(super) fn public_methods(path: &[&str]) -> Vec<&'static str> {
    methods_of(path, true)
}

/// The routes that serve `path`, the most literal ones only: a literal segment beats a
/// placeholder (`requests/search` is not `requests/{id}`).
fn routes_of(path: &[&str], public_only: bool) -> impl Iterator<Item = &'static Route> {
    let candidates =
        move || ROUTE_TABLE.iter().filter(move |r| (!public_only || r.public) && matches(r.segments, path));
    let literals = |r: &Route| r.segments.iter().filter(|s| !s.starts_with('{')).count();
    let best = candidates().map(literals).max().unwrap_or(0);
    candidates().filter(move |r| literals(r) == best)
}

fn methods_of(path: &[&str], public_only: bool) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = routes_of(path, public_only).map(|r| r.method).collect();
    methods.dedup();
    methods
}

/// The exported function `method` on `path` calls (`interface.function`), if it calls one.
pub(super) fn function_of(method: &str, path: &[&str]) -> Option<&'static str> {
    routes_of(path, false).find(|r| r.method == method).map(|r| r.function).filter(|f| !f.is_empty())
}
