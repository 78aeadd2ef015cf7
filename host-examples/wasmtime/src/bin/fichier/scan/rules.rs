//! The rules `fichier scan` applies to what the browser stored and sent. Each rule is a
//! function of one observation, the page's declarations and the scan's clock, with its
//! source (`RULES`); a finding names the rule, the source and the evidence, never a
//! cookie's value.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Months, Utc};
use serde::Serialize;
use serde_json::{Value, json};

/// Where the visitor stands when something is observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The first visit: the banner is shown, nothing chosen.
    Before,
    /// After « Tout refuser » on a first visit.
    Refused,
    /// After « Tout accepter » on a first visit.
    Accepted,
    /// After « Tout accepter », then the banner reopened and « Tout refuser ».
    Withdrawn,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Before => "before",
            State::Refused => "refused",
            State::Accepted => "accepted",
            State::Withdrawn => "withdrawn",
        }
    }
    /// No purpose is granted in this state.
    fn none_granted(self) -> bool {
        self != State::Accepted
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A rule: its id, what it checks and its source.
pub struct Rule {
    pub id: &'static str,
    pub checks: &'static str,
    pub source: &'static str,
}

const ART82: &str = "Loi Informatique et Libertés art. 82; CNIL délibération 2020-091 (lignes directrices « cookies et autres traceurs ») art. 2";

pub const COOKIE_BEFORE_CHOICE: Rule = Rule {
    id: "cookie-before-choice",
    checks: "a cookie of a declared purpose, a known advertising tracker or a third-party cookie stored before any choice",
    source: "Loi Informatique et Libertés art. 82; CNIL délibération 2020-091 art. 2 (consent before any non-exempt tracker is written or read); CNIL 2025 sanctions (cookies set before any choice)",
};
pub const COOKIE_AFTER_REFUSAL: Rule = Rule {
    id: "cookie-after-refusal",
    checks: "a cookie of a declared purpose, a known advertising tracker or a third-party cookie still stored after « Tout refuser » or a withdrawal",
    source: "Loi Informatique et Libertés art. 82; CNIL délibération 2020-092 (refusing as easy as accepting; withdrawal at any time); GDPR art. 7(3); CNIL 2025 sanctions (cookies after « Tout refuser », read after withdrawal)",
};
pub const UNDECLARED_COOKIE: Rule = Rule {
    id: "undeclared-cookie",
    checks: "a cookie no purpose declares (data-cookies-*): exempt only if strictly necessary, and the banner does not delete it on refusal",
    source: "CNIL délibération 2020-091 art. 5 (exempt: cart, session, authentication, load balancing, preferences — strictly necessary to the service asked); CNIL 2025 sanctions (trackers mislabelled « strictly necessary »)",
};
pub const LIFETIME: Rule = Rule {
    id: "lifetime-over-13-months",
    checks: "a cookie whose expiry is more than 13 months after it was observed",
    source: "CNIL délibération 2020-091 art. 5 and recommandation 2020-092: a tracker's lifetime is 13 months at most, not extended on each visit",
};
pub const AUDIENCE_NOT_EXEMPT: Rule = Rule {
    id: "audience-exemption-not-met",
    checks: "an audience-measurement cookie treated as exempt (no purpose declares it) that fails an exemption condition the browser can see: first-party, lifetime ≤ 13 months, value not passed on to a third party",
    source: "CNIL délibération 2020-091 art. 5: audience measurement is exempt only if strictly first-party, anonymous statistics, not cross-referenced nor passed on, lifetime ≤ 13 months, data ≤ 25 months",
};
pub const AUDIENCE_CLAIMED: Rule = Rule {
    id: "audience-exemption-claimed",
    checks: "an audience-measurement cookie treated as exempt that meets the conditions the browser can see: the others (anonymous statistics, no cross-referencing, data kept ≤ 25 months) are the tool's settings, to check there",
    source: "CNIL délibération 2020-091 art. 5 (audience-measurement exemption)",
};
pub const THIRD_PARTY_BEFORE: Rule = Rule {
    id: "third-party-before-choice",
    checks: "a request to a third party before any choice (a pixel, beacon or call: error; a script, style or font from a host no purpose declares: warning, it still receives the visitor's address)",
    source: ART82,
};
pub const THIRD_PARTY_AFTER_REFUSAL: Rule = Rule {
    id: "third-party-after-refusal",
    checks: "a request to a third party after « Tout refuser » or a withdrawal (a pixel, beacon or call, or a declared tracker's host: error; a script, style or font: warning)",
    source: "Loi Informatique et Libertés art. 82; CNIL délibération 2020-092 (a refusal means no tracker); CNIL 2025 sanctions (trackers called after « Tout refuser »)",
};
pub const UNDECLARED_THIRD_PARTY: Rule = Rule {
    id: "undeclared-third-party",
    checks: "a third party called after « Tout accepter » that no purpose declares (data-recipients-*): the consent was not informed of it",
    source: "GDPR art. 4(11) and 13(1)(e) (recipients); CNIL recommandation 2020-092 (list the third parties on the banner)",
};
pub const STORAGE_WITHOUT_CONSENT: Rule = Rule {
    id: "storage-without-consent",
    checks: "a localStorage or sessionStorage key of a declared purpose or a known tracker before any choice or after a refusal",
    source: "Loi Informatique et Libertés art. 82 (any storage in the terminal, not only cookies); CNIL délibération 2020-091 art. 2",
};
pub const UNDECLARED_STORAGE: Rule = Rule {
    id: "undeclared-storage",
    checks: "a localStorage or sessionStorage key no purpose declares: exempt only if strictly necessary",
    source: "Loi Informatique et Libertés art. 82; CNIL délibération 2020-091 art. 5",
};

pub const PURPOSE_NOT_IN_REGISTER: Rule = Rule {
    id: "purpose-not-in-register",
    checks: "(--register) a purpose the banner's tag declares that no activity of the register records",
    source: "GDPR art. 30(1)(b) (the record names each processing's purposes)",
};
pub const THIRD_PARTY_NOT_IN_REGISTER: Rule = Rule {
    id: "third-party-not-in-register",
    checks: "(--register) a third party called after « Tout accepter » that no external recipient of the register names (its name holds the host), in the activity recording its purpose",
    source: "GDPR art. 30(1)(d) (the record names the recipients) and art. 13(1)(e)",
};

pub const RULES: [&Rule; 14] = [
    &COOKIE_BEFORE_CHOICE,
    &COOKIE_AFTER_REFUSAL,
    &UNDECLARED_COOKIE,
    &LIFETIME,
    &AUDIENCE_NOT_EXEMPT,
    &AUDIENCE_CLAIMED,
    &THIRD_PARTY_BEFORE,
    &THIRD_PARTY_AFTER_REFUSAL,
    &UNDECLARED_THIRD_PARTY,
    &STORAGE_WITHOUT_CONSENT,
    &UNDECLARED_STORAGE,
    &PURPOSE_NOT_IN_REGISTER,
    &THIRD_PARTY_NOT_IN_REGISTER,
    &CONSENT_STORE,
];

/// Not a rule that finds anything: the banner's own cookie, storing the choice, is exempt.
pub const CONSENT_STORE: Rule = Rule {
    id: "consent-store",
    checks: "the banner's cookie fichier_consent keeps the visitor's choice (consent or refusal)",
    source: "CNIL délibération 2020-091 art. 5 (a tracker keeping the choice about trackers is exempt)",
};

/// The name of the banner's own cookie.
pub const CONSENT_COOKIE: &str = "fichier_consent";

/// Well-known audience-measurement cookies (Google Analytics, Matomo, Hotjar, Microsoft
/// Clarity, Piano): the ones a shop may leave ungated claiming the exemption.
const AUDIENCE: [&str; 12] =
    ["_ga", "_ga_*", "_gid", "_gat*", "__utm*", "_pk_*", "mtm_*", "_hj*", "_clck", "_clsk", "_pcid", "_pctx"];
/// Well-known advertising trackers (Meta, Google Ads and DoubleClick, Microsoft Ads,
/// TikTok): never exempt.
const ADVERTISING: [&str; 11] =
    ["_fbp", "_fbc", "_gcl_*", "IDE", "test_cookie", "__gads", "__gpi", "_uetsid", "_uetvid", "_ttp", "MUID"];

/// What the page declares: per purpose, its cookie patterns (`data-cookies-ID`, as the
/// banner reads them: `name`, or `prefix*`) and the hosts its tags call
/// (`data-recipients-ID`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Declarations {
    pub purposes: BTreeMap<String, Purpose>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Purpose {
    pub cookies: Vec<String>,
    pub recipients: Vec<String>,
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// What a cookie or storage key is, by its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    ConsentStore,
    Declared(String),
    Audience,
    Advertising,
    Unknown,
}

pub fn classify(name: &str, decl: &Declarations) -> Class {
    if name == CONSENT_COOKIE {
        return Class::ConsentStore;
    }
    if let Some((id, _)) = decl.purposes.iter().find(|(_, p)| p.cookies.iter().any(|pat| matches(pat, name))) {
        return Class::Declared(id.clone());
    }
    if AUDIENCE.iter().any(|p| matches(p, name)) {
        Class::Audience
    } else if ADVERTISING.iter().any(|p| matches(p, name)) {
        Class::Advertising
    } else {
        Class::Unknown
    }
}

/// `host` is the page's own (the same host, or one is a subdomain of the other).
pub fn same_site(host: &str, page_host: &str) -> bool {
    let h = host.trim_start_matches('.').to_ascii_lowercase();
    let p = page_host.to_ascii_lowercase();
    h == p || p.ends_with(&format!(".{h}")) || h.ends_with(&format!(".{p}"))
}

/// A cookie as the browser holds it (never its value in a report).
#[derive(Clone, Debug, Serialize)]
pub struct SeenCookie {
    pub name: String,
    pub domain: String,
    pub path: String,
    /// Unix seconds; None for a session cookie.
    pub expires: Option<i64>,
    #[serde(skip)]
    pub value: String,
    pub state: State,
    /// The page after whose load it was first seen in this state.
    pub page: String,
    /// The page's host (what is first-party).
    #[serde(skip)]
    pub page_host: String,
    /// When it was observed (the scan's clock).
    pub observed_at: DateTime<Utc>,
}

/// A request to a host other than the page's and the banner's.
#[derive(Clone, Debug, Serialize)]
pub struct SeenRequest {
    pub host: String,
    /// Scheme, host and path: the query (which may carry personal data) is left out.
    pub url: String,
    /// The DevTools resource type.
    #[serde(rename = "type")]
    pub kind: String,
    pub state: State,
    pub page: String,
    /// The full URL, to look for a cookie's value in it; never reported.
    #[serde(skip)]
    pub full_url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeenStorage {
    pub area: String,
    pub key: String,
    pub state: State,
    pub page: String,
}

/// One finding: what, by which rule and source, the evidence, where and when.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    pub source: &'static str,
    /// The cookie (`name @ domain`), host or storage key concerned.
    pub subject: String,
    pub message: String,
    pub evidence: Value,
    pub states: BTreeSet<State>,
    pub pages: BTreeSet<String>,
}

fn finding(rule: &Rule, severity: Severity, subject: String, message: String, evidence: Value) -> Finding {
    Finding {
        severity,
        rule: rule.id,
        source: rule.source,
        subject,
        message,
        evidence,
        states: BTreeSet::new(),
        pages: BTreeSet::new(),
    }
}

fn cookie_evidence(c: &SeenCookie) -> Value {
    json!({
        "cookie": c.name,
        "domain": c.domain,
        "path": c.path,
        "expires": c.expires.and_then(|s| DateTime::from_timestamp(s, 0)).map(|d| d.to_rfc3339()),
        "lifetime_days": c.expires.map(|s| (s - c.observed_at.timestamp()) / 86_400),
    })
}

fn cookie_finding(rule: &Rule, severity: Severity, c: &SeenCookie, message: String) -> Finding {
    let mut f = finding(rule, severity, format!("{} @ {}", c.name, c.domain), message, cookie_evidence(c));
    f.states.insert(c.state);
    f.pages.insert(c.page.clone());
    f
}

/// Why a cookie stored without a grant is not exempt, if it is not.
fn needs_consent(c: &SeenCookie, decl: &Declarations) -> Option<String> {
    let third = !same_site(&c.domain, &c.page_host);
    match classify(&c.name, decl) {
        Class::ConsentStore | Class::Audience => None,
        Class::Declared(id) => Some(format!("the page declares it for the purpose `{id}`")),
        Class::Advertising => Some("a known advertising tracker".to_owned()),
        Class::Unknown if third => Some("a third-party cookie".to_owned()),
        Class::Unknown => None,
    }
}

/// `cookie-before-choice`.
pub fn cookie_before_choice(c: &SeenCookie, decl: &Declarations) -> Option<Finding> {
    if c.state != State::Before {
        return None;
    }
    let why = needs_consent(c, decl)?;
    Some(cookie_finding(
        &COOKIE_BEFORE_CHOICE,
        Severity::Error,
        c,
        format!("{} is stored before any choice: {why}", c.name),
    ))
}

/// `cookie-after-refusal`.
pub fn cookie_after_refusal(c: &SeenCookie, decl: &Declarations) -> Option<Finding> {
    if !matches!(c.state, State::Refused | State::Withdrawn) {
        return None;
    }
    let why = needs_consent(c, decl)?;
    Some(cookie_finding(
        &COOKIE_AFTER_REFUSAL,
        Severity::Error,
        c,
        format!("{} is stored after « Tout refuser » (see the states): {why}", c.name),
    ))
}

/// `undeclared-cookie`: a first-party cookie of no known kind that no purpose declares
/// (a third-party one with no grant is `cookie-before-choice` / `-after-refusal`).
pub fn undeclared_cookie(c: &SeenCookie, decl: &Declarations) -> Option<Finding> {
    if classify(&c.name, decl) != Class::Unknown {
        return None;
    }
    if !same_site(&c.domain, &c.page_host) && c.state.none_granted() {
        return None;
    }
    Some(cookie_finding(
        &UNDECLARED_COOKIE,
        Severity::Warning,
        c,
        format!(
            "{} is declared by no purpose: exempt only if strictly necessary; else list it in data-cookies-*",
            c.name
        ),
    ))
}

/// The expiry is past 13 calendar months after `at` (the day clamped to the month's end,
/// as the banner counts).
pub fn over_13_months(expires: Option<i64>, at: DateTime<Utc>) -> bool {
    let Some(limit) = at.checked_add_months(Months::new(13)) else { return false };
    expires.is_some_and(|e| e > limit.timestamp())
}

/// `lifetime-over-13-months` (an undeclared audience cookie is judged by
/// `audience-exemption-not-met`, which counts its lifetime among the conditions).
pub fn lifetime(c: &SeenCookie, decl: &Declarations) -> Option<Finding> {
    if classify(&c.name, decl) == Class::Audience || !over_13_months(c.expires, c.observed_at) {
        return None;
    }
    Some(cookie_finding(&LIFETIME, Severity::Error, c, format!("{} is kept beyond 13 months", c.name)))
}

/// `audience-exemption-not-met` / `audience-exemption-claimed`: an audience cookie no
/// purpose declares, against the exemption's conditions the browser can see.
pub fn audience_exemption(c: &SeenCookie, decl: &Declarations, third_party: &[SeenRequest]) -> Option<Finding> {
    if classify(&c.name, decl) != Class::Audience {
        return None;
    }
    let mut failed = Vec::new();
    if !same_site(&c.domain, &c.page_host) {
        failed.push("not first-party".to_owned());
    }
    if over_13_months(c.expires, c.observed_at) {
        failed.push("lifetime over 13 months".to_owned());
    }
    if c.value.len() >= 6
        && let Some(r) = third_party.iter().find(|r| r.full_url.contains(&c.value))
    {
        failed.push(format!("its value is sent to {}", r.host));
    }
    Some(if failed.is_empty() {
        cookie_finding(
            &AUDIENCE_CLAIMED,
            Severity::Info,
            c,
            format!("{} is left ungated as exempt audience measurement: check the tool's settings", c.name),
        )
    } else {
        let mut f = cookie_finding(
            &AUDIENCE_NOT_EXEMPT,
            Severity::Error,
            c,
            format!("{} is left ungated as exempt audience measurement, but: {}", c.name, failed.join("; ")),
        );
        f.evidence["failed"] = json!(failed);
        f
    })
}

fn declared_host(host: &str, decl: &Declarations) -> Option<String> {
    decl.purposes
        .iter()
        .find(|(_, p)| p.recipients.iter().any(|h| host == h || host.ends_with(&format!(".{h}"))))
        .map(|(id, _)| id.clone())
}

/// A call that carries data by its nature (not a library being fetched).
fn is_call(kind: &str) -> bool {
    matches!(kind, "Image" | "Ping" | "XHR" | "Fetch" | "EventSource" | "WebSocket" | "Media" | "Other" | "Beacon")
}

/// `third-party-before-choice` / `third-party-after-refusal`.
pub fn third_party_without_grant(r: &SeenRequest, decl: &Declarations) -> Option<Finding> {
    if !r.state.none_granted() {
        return None;
    }
    let declared = declared_host(&r.host, decl);
    let severity = if is_call(&r.kind) || declared.is_some() { Severity::Error } else { Severity::Warning };
    let (rule, when) = match r.state {
        State::Before => (&THIRD_PARTY_BEFORE, "before any choice"),
        _ => (&THIRD_PARTY_AFTER_REFUSAL, "after « Tout refuser » (see the states)"),
    };
    let what = match &declared {
        Some(id) => format!(" (declared for the purpose `{id}`)"),
        None => String::new(),
    };
    let mut f = finding(
        rule,
        severity,
        r.host.clone(),
        format!("{}{what} is called {when} ({} request)", r.host, r.kind),
        json!({"host": r.host, "url": r.url, "type": r.kind}),
    );
    f.states.insert(r.state);
    f.pages.insert(r.page.clone());
    Some(f)
}

/// `undeclared-third-party`.
pub fn undeclared_third_party(r: &SeenRequest, decl: &Declarations) -> Option<Finding> {
    if r.state != State::Accepted || declared_host(&r.host, decl).is_some() {
        return None;
    }
    let mut f = finding(
        &UNDECLARED_THIRD_PARTY,
        Severity::Error,
        r.host.clone(),
        format!("{} is called after « Tout accepter » but no purpose declares it (data-recipients-*)", r.host),
        json!({"host": r.host, "url": r.url, "type": r.kind}),
    );
    f.states.insert(r.state);
    f.pages.insert(r.page.clone());
    Some(f)
}

/// `storage-without-consent` / `undeclared-storage`.
pub fn storage(s: &SeenStorage, decl: &Declarations) -> Option<Finding> {
    let class = classify(&s.key, decl);
    let tracker = matches!(class, Class::Declared(_) | Class::Audience | Class::Advertising);
    let (rule, severity, message) = if tracker && s.state.none_granted() {
        (&STORAGE_WITHOUT_CONSENT, Severity::Error, format!("{} `{}` is stored with no grant", s.area, s.key))
    } else if class == Class::Unknown {
        (
            &UNDECLARED_STORAGE,
            Severity::Warning,
            format!("{} `{}` is declared by no purpose: exempt only if strictly necessary", s.area, s.key),
        )
    } else {
        return None;
    };
    let mut f =
        finding(rule, severity, format!("{} {}", s.area, s.key), message, json!({"area": s.area, "key": s.key}));
    f.states.insert(s.state);
    f.pages.insert(s.page.clone());
    Some(f)
}

/// The register of processing activities as far as the scan needs it (`--register`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Register {
    pub activities: Vec<Activity>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Activity {
    pub id: String,
    pub purposes: Vec<String>,
    /// The names (French and English) of its external recipients.
    pub external_recipients: Vec<String>,
}

impl Register {
    /// From `registry.list-activities`' answer (each activity's `definition`).
    pub fn from_activities(list: &Value) -> Register {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let activities = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| &a["definition"])
            .map(|a| Activity {
                id: a["id"].as_str().unwrap_or_default().to_owned(),
                purposes: a["purposes"].as_array().into_iter().flatten().filter_map(|p| text(&p["id"])).collect(),
                external_recipients: a["recipients"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["internal"] == json!(false))
                    .flat_map(|r| [text(&r["name"]["fr"]), text(&r["name"]["en"])])
                    .flatten()
                    .collect(),
            })
            .collect();
        Register { activities }
    }
}

/// `purpose-not-in-register`.
pub fn purpose_not_in_register(purpose: &str, reg: &Register) -> Option<Finding> {
    if reg.activities.iter().any(|a| a.purposes.iter().any(|p| p == purpose)) {
        return None;
    }
    Some(finding(
        &PURPOSE_NOT_IN_REGISTER,
        Severity::Warning,
        purpose.to_owned(),
        format!("the banner's tag declares the purpose `{purpose}`, which no activity of the register records"),
        json!({"purpose": purpose}),
    ))
}

/// `third-party-not-in-register`: the activities that record the host's purpose (all of
/// them when the tag declares the host for none) must have an external recipient whose
/// name holds the host.
pub fn third_party_not_in_register(r: &SeenRequest, decl: &Declarations, reg: &Register) -> Option<Finding> {
    if r.state != State::Accepted {
        return None;
    }
    let purpose = declared_host(&r.host, decl);
    let host = r.host.to_ascii_lowercase();
    let named = reg
        .activities
        .iter()
        .filter(|a| purpose.as_ref().is_none_or(|p| a.purposes.contains(p)))
        .flat_map(|a| &a.external_recipients)
        .any(|name| name.to_lowercase().contains(&host));
    if named {
        return None;
    }
    let scope = match &purpose {
        Some(p) => format!("the activity recording `{p}`"),
        None => "any activity".to_owned(),
    };
    let mut f = finding(
        &THIRD_PARTY_NOT_IN_REGISTER,
        Severity::Warning,
        r.host.clone(),
        format!(
            "{} is called after « Tout accepter » but no external recipient of {scope} in the register names it",
            r.host
        ),
        json!({"host": r.host, "url": r.url, "type": r.kind}),
    );
    f.states.insert(r.state);
    f.pages.insert(r.page.clone());
    Some(f)
}

/// Every rule over every observation; one finding per rule and subject, with every state
/// and page it was seen in. Errors first.
pub fn evaluate(
    decl: &Declarations,
    cookies: &[SeenCookie],
    requests: &[SeenRequest],
    stored: &[SeenStorage],
    register: Option<&Register>,
) -> Vec<Finding> {
    let mut all = Vec::new();
    if let Some(reg) = register {
        for purpose in decl.purposes.keys() {
            all.extend(purpose_not_in_register(purpose, reg));
        }
        for r in requests {
            all.extend(third_party_not_in_register(r, decl, reg));
        }
    }
    for c in cookies {
        all.extend(cookie_before_choice(c, decl));
        all.extend(cookie_after_refusal(c, decl));
        all.extend(undeclared_cookie(c, decl));
        all.extend(lifetime(c, decl));
        all.extend(audience_exemption(c, decl, requests));
    }
    for r in requests {
        all.extend(third_party_without_grant(r, decl));
        all.extend(undeclared_third_party(r, decl));
    }
    for s in stored {
        all.extend(storage(s, decl));
    }
    let mut merged: BTreeMap<(&'static str, String), Finding> = BTreeMap::new();
    for f in all {
        match merged.get_mut(&(f.rule, f.subject.clone())) {
            Some(m) => {
                m.states.extend(f.states);
                m.pages.extend(f.pages);
                m.severity = m.severity.min(f.severity);
            }
            None => {
                merged.insert((f.rule, f.subject.clone()), f);
            }
        }
    }
    let mut out: Vec<Finding> = merged.into_values().collect();
    out.sort_by(|a, b| (a.severity, a.rule, &a.subject).cmp(&(b.severity, b.rule, &b.subject)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-02-01T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }
    fn decl() -> Declarations {
        let mut d = Declarations::default();
        d.purposes.insert(
            "analytics".into(),
            Purpose { cookies: vec!["_stat".into(), "_st_*".into()], recipients: vec!["stats.example".into()] },
        );
        d.purposes.insert("ads".into(), Purpose { cookies: vec!["_ad".into()], recipients: vec![] });
        d
    }
    fn cookie(name: &str, domain: &str, state: State, expires_days: Option<i64>) -> SeenCookie {
        SeenCookie {
            name: name.into(),
            domain: domain.into(),
            path: "/".into(),
            expires: expires_days.map(|d| at().timestamp() + d * 86_400),
            value: "abcdef123456".into(),
            state,
            page: "http://shop.example/".into(),
            page_host: "shop.example".into(),
            observed_at: at(),
        }
    }
    fn request(host: &str, kind: &str, state: State) -> SeenRequest {
        SeenRequest {
            host: host.into(),
            url: format!("https://{host}/p"),
            kind: kind.into(),
            state,
            page: "http://shop.example/".into(),
            full_url: format!("https://{host}/p?id=abcdef123456"),
        }
    }
    fn ids(fs: &[Finding]) -> Vec<(&'static str, Severity)> {
        fs.iter().map(|f| (f.rule, f.severity)).collect()
    }

    #[test]
    fn classify_follows_the_banner_patterns() {
        let d = decl();
        assert_eq!(classify("_st_x", &d), Class::Declared("analytics".into()));
        assert_eq!(classify("_stat", &d), Class::Declared("analytics".into()));
        assert_eq!(classify("_status", &d), Class::Unknown);
        assert_eq!(classify("fichier_consent", &d), Class::ConsentStore);
        assert_eq!(classify("_pk_id.1.abcd", &d), Class::Audience);
        assert_eq!(classify("_fbp", &d), Class::Advertising);
    }

    #[test]
    fn same_site_is_the_host_or_a_subdomain() {
        assert!(same_site(".shop.example", "shop.example"));
        assert!(same_site("cdn.shop.example", "shop.example"));
        assert!(same_site("shop.example", "www.shop.example"));
        assert!(!same_site("ads.example", "shop.example"));
        assert!(!same_site("127.0.0.2", "127.0.0.1"));
    }

    #[test]
    fn a_declared_cookie_before_the_choice_is_an_error_the_consent_cookie_is_not() {
        let d = decl();
        let f = cookie_before_choice(&cookie("_ad", "shop.example", State::Before, None), &d);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("cookie-before-choice", Severity::Error)));
        assert!(cookie_before_choice(&cookie("fichier_consent", "shop.example", State::Before, None), &d).is_none());
        assert!(cookie_before_choice(&cookie("_ad", "shop.example", State::Accepted, None), &d).is_none());
        // A third-party cookie of no known name needs consent too; a first-party one is
        // only undeclared.
        assert!(cookie_before_choice(&cookie("uid", "tracker.example", State::Before, None), &d).is_some());
        assert!(cookie_before_choice(&cookie("cart", "shop.example", State::Before, None), &d).is_none());
        assert!(cookie_before_choice(&cookie("_fbp", ".shop.example", State::Before, None), &d).is_some());
    }

    #[test]
    fn a_declared_cookie_after_a_refusal_or_withdrawal_is_an_error() {
        let d = decl();
        for s in [State::Refused, State::Withdrawn] {
            let f = cookie_after_refusal(&cookie("_st_1", "shop.example", s, None), &d);
            assert_eq!(f.map(|f| f.rule), Some("cookie-after-refusal"));
        }
        assert!(cookie_after_refusal(&cookie("_st_1", "shop.example", State::Before, None), &d).is_none());
        assert!(cookie_after_refusal(&cookie("fichier_consent", "shop.example", State::Refused, None), &d).is_none());
    }

    #[test]
    fn an_unknown_first_party_cookie_is_a_warning() {
        let d = decl();
        let f = undeclared_cookie(&cookie("cart", "shop.example", State::Before, None), &d);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("undeclared-cookie", Severity::Warning)));
        assert!(undeclared_cookie(&cookie("_ad", "shop.example", State::Accepted, None), &d).is_none());
        assert!(undeclared_cookie(&cookie("uid", "tracker.example", State::Refused, None), &d).is_none());
        assert!(undeclared_cookie(&cookie("uid", "tracker.example", State::Accepted, None), &d).is_some());
    }

    #[test]
    fn thirteen_months_are_calendar_months_from_the_observation() {
        // 2027-02-01 + 13 months = 2028-03-01: 394 days (2028 is a leap year).
        assert!(!over_13_months(Some(at().timestamp() + 394 * 86_400), at()));
        assert!(over_13_months(Some(at().timestamp() + 394 * 86_400 + 1), at()));
        // The banner's old 395 days were past it on such a day.
        assert!(over_13_months(Some(at().timestamp() + 395 * 86_400), at()));
        assert!(!over_13_months(None, at()));
        let d = decl();
        let f = lifetime(&cookie("_stat", "shop.example", State::Accepted, Some(730)), &d);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("lifetime-over-13-months", Severity::Error)));
        assert!(lifetime(&cookie("_stat", "shop.example", State::Accepted, Some(390)), &d).is_none());
        // An audience cookie's lifetime is one of its exemption's conditions instead.
        assert!(lifetime(&cookie("_pk_id.1", "shop.example", State::Before, Some(730)), &d).is_none());
    }

    #[test]
    fn the_audience_exemption_needs_each_visible_condition() {
        let d = decl();
        let ok = audience_exemption(&cookie("_pk_id.1", "shop.example", State::Before, Some(390)), &d, &[]);
        assert_eq!(ok.map(|f| (f.rule, f.severity)), Some(("audience-exemption-claimed", Severity::Info)));
        let long = audience_exemption(&cookie("_pk_id.1", "shop.example", State::Before, Some(760)), &d, &[]);
        assert_eq!(long.map(|f| (f.rule, f.severity)), Some(("audience-exemption-not-met", Severity::Error)));
        let third = audience_exemption(&cookie("_ga", "stats.example", State::Before, Some(30)), &d, &[]);
        assert_eq!(third.map(|f| f.rule), Some("audience-exemption-not-met"));
        let sent = audience_exemption(
            &cookie("_ga", "shop.example", State::Before, Some(30)),
            &d,
            &[request("collector.example", "Image", State::Before)],
        );
        assert_eq!(sent.map(|f| f.evidence["failed"].clone()), Some(json!(["its value is sent to collector.example"])));
        // Declared under a purpose, it is gated: not a claimed exemption.
        assert!(audience_exemption(&cookie("_stat", "shop.example", State::Before, Some(30)), &d, &[]).is_none());
    }

    #[test]
    fn third_parties_without_a_grant() {
        let d = decl();
        let pixel = third_party_without_grant(&request("px.example", "Image", State::Refused), &d);
        assert_eq!(pixel.map(|f| (f.rule, f.severity)), Some(("third-party-after-refusal", Severity::Error)));
        let cdn = third_party_without_grant(&request("cdn.example", "Script", State::Before), &d);
        assert_eq!(cdn.map(|f| (f.rule, f.severity)), Some(("third-party-before-choice", Severity::Warning)));
        let declared = third_party_without_grant(&request("stats.example", "Script", State::Withdrawn), &d);
        assert_eq!(declared.map(|f| (f.rule, f.severity)), Some(("third-party-after-refusal", Severity::Error)));
        assert!(third_party_without_grant(&request("px.example", "Image", State::Accepted), &d).is_none());
    }

    #[test]
    fn an_undeclared_third_party_after_acceptance() {
        let d = decl();
        let f = undeclared_third_party(&request("other.example", "Image", State::Accepted), &d);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("undeclared-third-party", Severity::Error)));
        assert!(undeclared_third_party(&request("stats.example", "Image", State::Accepted), &d).is_none());
        assert!(undeclared_third_party(&request("a.stats.example", "Image", State::Accepted), &d).is_none());
        assert!(undeclared_third_party(&request("notstats.example", "Image", State::Accepted), &d).is_some());
        assert!(undeclared_third_party(&request("other.example", "Image", State::Before), &d).is_none());
    }

    #[test]
    fn storage_keys() {
        let d = decl();
        let s =
            |key: &str, state| SeenStorage { area: "localStorage".into(), key: key.into(), state, page: "p".into() };
        assert_eq!(storage(&s("_ad", State::Before), &d).map(|f| f.rule), Some("storage-without-consent"));
        assert!(storage(&s("_ad", State::Accepted), &d).is_none());
        let f = storage(&s("theme", State::Accepted), &d);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("undeclared-storage", Severity::Warning)));
    }

    fn register() -> Register {
        Register::from_activities(&json!([
            {"definition": {"id": "audience", "purposes": [{"id": "analytics"}],
             "recipients": [{"name": {"fr": "Mesure (stats.example)", "en": null}, "internal": false},
                            {"name": {"fr": "Service marketing (px.example)"}, "internal": true}]}},
            {"definition": {"id": "advertising", "purposes": [{"id": "other"}],
             "recipients": [{"name": {"fr": "Régie", "en": "Ad network (PX.example)"}, "internal": false}]}}
        ]))
    }

    #[test]
    fn the_register_records_the_purposes() {
        let reg = register();
        assert_eq!(reg.activities[0].external_recipients, ["Mesure (stats.example)"]);
        assert!(purpose_not_in_register("analytics", &reg).is_none());
        let f = purpose_not_in_register("ads", &reg);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("purpose-not-in-register", Severity::Warning)));
    }

    #[test]
    fn the_register_names_the_third_parties_of_each_purpose() {
        let (d, reg) = (decl(), register());
        // Declared for analytics and named by the activity recording analytics.
        assert!(third_party_not_in_register(&request("stats.example", "Image", State::Accepted), &d, &reg).is_none());
        // Undeclared on the tag: any activity's external recipient may name it (the English
        // name, case aside); an internal recipient does not count.
        assert!(third_party_not_in_register(&request("px.example", "Image", State::Accepted), &d, &reg).is_none());
        let f = third_party_not_in_register(&request("other.example", "Image", State::Accepted), &d, &reg);
        assert_eq!(f.map(|f| (f.rule, f.severity)), Some(("third-party-not-in-register", Severity::Warning)));
        let mut d2 = d.clone();
        if let Some(p) = d2.purposes.get_mut("ads") {
            p.recipients.push("px.example".into());
        }
        // Declared for ads, whose activity (none) does not name it.
        assert!(third_party_not_in_register(&request("px.example", "Image", State::Accepted), &d2, &reg).is_some());
        assert!(third_party_not_in_register(&request("other.example", "Image", State::Refused), &d, &reg).is_none());
    }

    #[test]
    fn evaluate_merges_one_finding_per_rule_and_subject() {
        let d = decl();
        let cookies = [
            cookie("_ad", "shop.example", State::Refused, None),
            cookie("_ad", "shop.example", State::Withdrawn, None),
            cookie("fichier_consent", "shop.example", State::Refused, Some(390)),
        ];
        let requests =
            [request("px.example", "Image", State::Refused), request("px.example", "Image", State::Withdrawn)];
        let fs = evaluate(&d, &cookies, &requests, &[], None);
        assert_eq!(
            ids(&fs),
            [("cookie-after-refusal", Severity::Error), ("third-party-after-refusal", Severity::Error)]
        );
        assert_eq!(fs[0].states, BTreeSet::from([State::Refused, State::Withdrawn]));
        // No value in the evidence.
        assert!(!serde_json::to_string(&fs).unwrap_or_default().contains("abcdef123456"));
    }
}
