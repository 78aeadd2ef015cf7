//! `fichier scan URL…`: what a shop's pages make the browser store and send, in four
//! states — before any choice, after « Tout refuser », after « Tout accepter », after a
//! withdrawal —, read in the system's Chromium and judged against what the page declares
//! (`data-cookies-*`, `data-recipients-*` on the banner's script tag). The rules and
//! their sources are in `rules`; the browser in `cdp`; this module drives the visits and
//! writes the reports (text, JSON, HTML).

mod cdp;
mod report;
pub mod rules;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Cli;
use crate::call::{Failure, call, on_server, runtime, write_file, write_stdout};
use cdp::Browser;
use rules::{Declarations, Finding, SeenCookie, SeenRequest, SeenStorage, State};

/// The banner's buttons, found by their `data-fichier` action as banner.js builds them.
const REFUSE: &str = "#fichier-banner button[data-fichier=refuse]";
const ACCEPT: &str = "#fichier-banner button[data-fichier=accept]";
/// The page's « Gérer mes cookies » link, else the banner's own reopen button.
const REOPEN: &str = "[data-fichier-open], button[data-fichier=reopen]";

/// The exit status when an error-level finding exists.
pub const FOUND_ERROR: u8 = 4;

#[derive(Args)]
pub struct ScanArgs {
    /// The pages to load first (http:// or https://); the first one is where the banner's
    /// buttons are clicked.
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// Also visit the same-origin links found, this many steps away from the given pages
    /// (0–5).
    #[arg(long, default_value_t = 1)]
    depth: u32,
    /// At most this many pages in all (1–100).
    #[arg(long, default_value_t = 10)]
    max_pages: usize,
    /// The browser: a path, or a name looked up in PATH. Never downloaded.
    #[arg(long, default_value = "chromium", env = "FICHIER_CHROMIUM")]
    chromium: String,
    /// Resolve no host name but localhost and loopback addresses (127.*, ::1): requests
    /// to other hosts are still made, and recorded, but leave nothing on the network.
    #[arg(long)]
    offline: bool,
    /// Seconds to wait for the browser, a page to settle or a banner button (1–300).
    #[arg(long, default_value_t = 15)]
    timeout: u64,
    /// Also compare with the register of processing activities in --db (read, never
    /// changed): each purpose the banner's tag declares recorded by an activity, each
    /// third party called after acceptance named by an external recipient of it (the
    /// recipient's name holds the host, e.g. « Régie (ads.example) »).
    #[arg(long)]
    register: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json_file: Option<PathBuf>,
    /// Also write the report as a self-contained HTML page to this file (evidence to keep).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// A click on a banner control, as evidence of how each state was reached.
#[derive(Clone, Debug, Serialize)]
pub struct Click {
    pub state: State,
    pub page: String,
    pub control: String,
}

/// What the whole scan saw and found.
#[derive(Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub fichier_version: &'static str,
    pub browser: String,
    pub user_agent: String,
    pub started_at: String,
    pub finished_at: String,
    pub urls: Vec<String>,
    pub pages: Vec<String>,
    pub depth: u32,
    pub offline: bool,
    /// The banner script's address, as the pages include it.
    pub banner: Option<String>,
    pub clicks: Vec<Click>,
    pub declarations: Declarations,
    /// The register as read with `--register`.
    pub register: Option<rules::Register>,
    pub cookies: Vec<SeenCookie>,
    pub third_party_requests: Vec<SeenRequest>,
    pub storage: Vec<SeenStorage>,
    pub findings: Vec<Finding>,
    pub summary: BTreeMap<&'static str, usize>,
    pub rules: Vec<Value>,
}

/// Everything observed so far, deduplicated.
#[derive(Default)]
struct Observed {
    pages: Vec<String>,
    banner: Option<String>,
    decl: Declarations,
    cookies: Vec<SeenCookie>,
    requests: Vec<SeenRequest>,
    storage: Vec<SeenStorage>,
    clicks: Vec<Click>,
    seen: HashSet<String>,
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::Host(format!("scan: {e}"))
}

/// The arguments checked: each URL http(s) with a host, the numbers in range.
fn check(a: &ScanArgs) -> Result<Vec<url::Url>, Failure> {
    let bad = |field: &str, rule: &str, what: String| Failure::Host(format!("scan: {field}: {what} (rule: {rule})"));
    if a.depth > 5 {
        return Err(bad("--depth", "range", format!("{} is not within 0–5", a.depth)));
    }
    if !(1..=100).contains(&a.max_pages) {
        return Err(bad("--max-pages", "range", format!("{} is not within 1–100", a.max_pages)));
    }
    if !(1..=300).contains(&a.timeout) {
        return Err(bad("--timeout", "range", format!("{} is not within 1–300", a.timeout)));
    }
    a.urls
        .iter()
        .map(|u| match url::Url::parse(u) {
            Ok(p) if matches!(p.scheme(), "http" | "https") && p.host_str().is_some() => Ok(p),
            Ok(_) => Err(bad("URL", "http-url", format!("`{u}` is not an http:// or https:// address"))),
            Err(e) => Err(bad("URL", "http-url", format!("`{u}`: {e}"))),
        })
        .collect()
}

pub fn scan(a: &ScanArgs, cli: &Cli, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let urls = check(a)?;
    let exe = cdp::find_chromium(&a.chromium).map_err(fail)?;
    let register = if a.register {
        if on_server(cli).is_none() && !cli.db.exists() {
            return Err(fail(format!("--register: there is no store at {} (--db)", cli.db.display())));
        }
        let list = call(&runtime(cli)?, "registry", "list-activities", &[actor, json!(false)])?;
        Some(rules::Register::from_activities(&list))
    } else {
        None
    };
    let timeout = Duration::from_secs(a.timeout);
    let started = Utc::now();
    let mut obs = Observed::default();
    let first = urls[0].to_string();

    // A fresh profile for each sequence: nothing chosen in one is seen in the other.
    let (browser, user_agent) = {
        let mut b = Browser::launch(&exe, a.offline, timeout).map_err(fail)?;
        crawl(&mut b, &urls, a.depth, a.max_pages, &mut obs)?;
        b.navigate(&first).map_err(fail)?;
        record(&mut b, &first, State::Before, &mut obs)?;
        click(&mut b, REFUSE, &first, State::Refused, &mut obs)?;
        visit_all(&mut b, State::Refused, &mut obs)?;
        (b.version.clone(), b.user_agent.clone())
    };
    {
        let mut b = Browser::launch(&exe, a.offline, timeout).map_err(fail)?;
        b.navigate(&first).map_err(fail)?;
        record(&mut b, &first, State::Before, &mut obs)?;
        click(&mut b, ACCEPT, &first, State::Accepted, &mut obs)?;
        visit_all(&mut b, State::Accepted, &mut obs)?;
        b.navigate(&first).map_err(fail)?;
        record(&mut b, &first, State::Accepted, &mut obs)?;
        let reopened = b.click(REOPEN).map_err(fail)?;
        obs.clicks.push(Click { state: State::Accepted, page: first.clone(), control: reopened });
        click(&mut b, REFUSE, &first, State::Withdrawn, &mut obs)?;
        visit_all(&mut b, State::Withdrawn, &mut obs)?;
    }

    let findings = rules::evaluate(&obs.decl, &obs.cookies, &obs.requests, &obs.storage, register.as_ref());
    let mut summary = BTreeMap::from([("error", 0), ("warning", 0), ("info", 0)]);
    for f in &findings {
        *summary.entry(f.severity.name()).or_default() += 1;
    }
    let report = Report {
        tool: "fichier scan",
        fichier_version: env!("CARGO_PKG_VERSION"),
        browser,
        user_agent,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finished_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        urls: urls.iter().map(url::Url::to_string).collect(),
        pages: obs.pages,
        depth: a.depth,
        offline: a.offline,
        banner: obs.banner,
        clicks: obs.clicks,
        declarations: obs.decl,
        register,
        cookies: obs.cookies,
        third_party_requests: obs.requests,
        storage: obs.storage,
        findings,
        summary,
        rules: rules::RULES.iter().map(|r| json!({"id": r.id, "checks": r.checks, "source": r.source})).collect(),
    };
    let json = serde_json::to_string_pretty(&report).map_err(fail)?;
    if let Some(p) = &a.json_file {
        write_file(p, format!("{json}\n").as_bytes())?;
    }
    if let Some(p) = &a.html {
        write_file(p, report::html(&report).as_bytes())?;
    }
    if as_json {
        write_stdout(format!("{json}\n").as_bytes());
    } else {
        write_stdout(report::text(&report).as_bytes());
    }
    let errors = report.summary.get("error").copied().unwrap_or(0);
    Ok(if errors > 0 { ExitCode::from(FOUND_ERROR) } else { ExitCode::SUCCESS })
}

/// The first sequence's pages, before any choice: the given URLs, then their same-origin
/// links breadth-first down to `depth`, `max_pages` in all.
fn crawl(b: &mut Browser, urls: &[url::Url], depth: u32, max: usize, obs: &mut Observed) -> Result<(), Failure> {
    let mut queue: VecDeque<(url::Url, u32)> = urls.iter().map(|u| (without_fragment(u), 0)).collect();
    let mut queued: HashSet<String> = queue.iter().map(|(u, _)| u.to_string()).collect();
    while let Some((u, d)) = queue.pop_front() {
        if obs.pages.len() >= max {
            break;
        }
        let page = u.to_string();
        b.navigate(&page).map_err(fail)?;
        obs.pages.push(page.clone());
        let links = record(b, &page, State::Before, obs)?;
        if d >= depth {
            continue;
        }
        for link in links {
            let Ok(l) = url::Url::parse(&link) else { continue };
            let l = without_fragment(&l);
            if l.origin() == u.origin() && queued.insert(l.to_string()) {
                queue.push_back((l, d + 1));
            }
        }
    }
    Ok(())
}

fn without_fragment(u: &url::Url) -> url::Url {
    let mut u = u.clone();
    u.set_fragment(None);
    u
}

fn visit_all(b: &mut Browser, state: State, obs: &mut Observed) -> Result<(), Failure> {
    for page in obs.pages.clone() {
        b.navigate(&page).map_err(fail)?;
        record(b, &page, state, obs)?;
    }
    Ok(())
}

/// Click a banner control on the current page; what follows is `state`.
fn click(b: &mut Browser, selector: &str, page: &str, state: State, obs: &mut Observed) -> Result<(), Failure> {
    let control = b.click(selector).map_err(|e| {
        fail(format!("{e} on {page}: is the fichier banner on this page (banner.js, its « Tout refuser » and « Tout accepter » buttons)?"))
    })?;
    obs.clicks.push(Click { state, page: page.to_owned(), control });
    record(b, page, state, obs)?;
    Ok(())
}

/// What the page in the tab shows now: the banner's declarations, storage keys, the
/// third-party requests since the last record and every cookie. Answers its links.
fn record(b: &mut Browser, page: &str, state: State, obs: &mut Observed) -> Result<Vec<String>, Failure> {
    let info = b
        .eval(
            "(() => {
               const s = document.querySelector('script[src*=\"banner.js\"]');
               let l = [], ss = [];
               try { l = Object.keys(localStorage); ss = Object.keys(sessionStorage); } catch (e) {}
               const w = window.__fichierScanWrites ? window.__fichierScanWrites.splice(0) : [];
               return { host: location.hostname, writes: w,
                        banner: s && { src: s.src, attrs: [...s.attributes].map(a => [a.name, a.value]) },
                        links: [...document.querySelectorAll('a[href]')].map(a => a.href),
                        local: l, session: ss };
             })()",
        )
        .map_err(fail)?;
    let page_host = info["host"].as_str().unwrap_or_default().to_owned();
    let mut banner_host = None;
    if let Some(banner) = info["banner"].as_object() {
        let src = banner["src"].as_str().unwrap_or_default();
        banner_host = url::Url::parse(src).ok().and_then(|u| u.host_str().map(str::to_owned));
        obs.banner.get_or_insert_with(|| src.to_owned());
        for pair in banner["attrs"].as_array().into_iter().flatten() {
            let (name, value) = (pair[0].as_str().unwrap_or_default(), pair[1].as_str().unwrap_or_default());
            declare(&mut obs.decl, name, value);
        }
    }
    for (area, keys) in [("localStorage", &info["local"]), ("sessionStorage", &info["session"])] {
        for key in keys.as_array().into_iter().flatten().filter_map(Value::as_str) {
            if obs.seen.insert(format!("s\n{area}\n{key}\n{}", state.name())) {
                obs.storage.push(SeenStorage { area: area.into(), key: key.into(), state, page: page.into() });
            }
        }
    }
    for r in b.take_requests() {
        let Ok(u) = url::Url::parse(&r.url) else { continue };
        let Some(host) = u.host_str() else { continue };
        let own = rules::same_site(host, &page_host) || banner_host.as_deref().is_some_and(|h| host == h);
        if own {
            continue;
        }
        let shown = format!("{}://{}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path());
        let shown = match u.port() {
            Some(p) => format!("{}://{host}:{p}{}", u.scheme(), u.path()),
            None => shown,
        };
        if obs.seen.insert(format!("r\n{shown}\n{}\n{}\n{page}", r.kind, state.name())) {
            obs.requests.push(SeenRequest {
                host: host.to_owned(),
                url: shown,
                kind: r.kind,
                state,
                page: page.to_owned(),
                full_url: r.url,
            });
        }
    }
    // Cookies the page's scripts wrote, even if deleted since: as the browser keeps them.
    let written = info["writes"].as_array().into_iter().flatten().map(|w| {
        let at = w["at"].as_f64().unwrap_or_default() / 1000.0;
        let expires = match (w["maxAge"].as_f64(), w["expires"].as_f64()) {
            (Some(m), _) => Some(at + m),
            (None, Some(e)) => Some(e / 1000.0),
            _ => None,
        };
        json!({"name": w["name"], "domain": w["domain"], "path": w["path"], "value": w["value"],
               "session": expires.is_none(), "expires": expires})
    });
    let now = Utc::now();
    for c in written.collect::<Vec<_>>().into_iter().chain(b.cookies().map_err(fail)?) {
        let name = c["name"].as_str().unwrap_or_default().to_owned();
        let domain = c["domain"].as_str().unwrap_or_default().to_owned();
        let path = c["path"].as_str().unwrap_or_default().to_owned();
        if !obs.seen.insert(format!("c\n{name}\n{domain}\n{path}\n{}", state.name())) {
            continue;
        }
        let session = c["session"].as_bool().unwrap_or(false);
        let expires = c["expires"].as_f64().filter(|e| !session && *e > 0.0).map(|e| e.floor() as i64);
        obs.cookies.push(SeenCookie {
            name,
            domain,
            path,
            expires,
            value: c["value"].as_str().unwrap_or_default().to_owned(),
            state,
            page: page.to_owned(),
            page_host: page_host.clone(),
            observed_at: now,
        });
    }
    Ok(info["links"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// One attribute of the banner's script tag: `data-cookies-ID` (cookie patterns) or
/// `data-recipients-ID` (hosts), space-separated.
fn declare(decl: &mut Declarations, name: &str, value: &str) {
    let (id, lower) = if let Some(id) = name.strip_prefix("data-cookies-") {
        (id, false)
    } else if let Some(id) = name.strip_prefix("data-recipients-") {
        (id, true)
    } else {
        return;
    };
    let p = decl.purposes.entry(id.to_owned()).or_default();
    let list = if lower { &mut p.recipients } else { &mut p.cookies };
    for w in value.split_whitespace() {
        let w = if lower { w.to_ascii_lowercase() } else { w.to_owned() };
        if !list.contains(&w) {
            list.push(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_come_from_the_banner_attributes() {
        let mut d = Declarations::default();
        declare(&mut d, "data-cookies-analytics", "_ga _ga_*  _gid");
        declare(&mut d, "data-cookies-analytics", "_gid");
        declare(&mut d, "data-recipients-analytics", "Stats.Example");
        declare(&mut d, "data-lang", "fr");
        declare(&mut d, "src", "/banner.js");
        assert_eq!(d.purposes.len(), 1);
        let p = &d.purposes["analytics"];
        assert_eq!(p.cookies, ["_ga", "_ga_*", "_gid"]);
        assert_eq!(p.recipients, ["stats.example"]);
    }

    fn args(urls: &[&str]) -> ScanArgs {
        ScanArgs {
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            depth: 1,
            max_pages: 10,
            chromium: "chromium".into(),
            offline: true,
            timeout: 15,
            register: false,
            json_file: None,
            html: None,
        }
    }

    #[test]
    fn arguments_are_checked_with_the_field_and_rule() {
        assert!(check(&args(&["http://127.0.0.1:8080/"])).is_ok());
        let msg = |a: &ScanArgs| match check(a) {
            Err(Failure::Host(m)) => m,
            _ => String::new(),
        };
        assert!(msg(&args(&["file:///etc/passwd"])).contains("(rule: http-url)"));
        assert!(msg(&args(&["not a url"])).starts_with("scan: URL:"));
        let mut a = args(&["http://127.0.0.1/"]);
        a.depth = 6;
        assert!(msg(&a).starts_with("scan: --depth:"));
        a.depth = 1;
        a.max_pages = 0;
        assert!(msg(&a).starts_with("scan: --max-pages:"));
    }

    #[test]
    fn a_missing_browser_is_named() {
        let e = cdp::find_chromium("/nonexistent/chromium").map(|_| ()).map_err(|e| e.to_string());
        assert!(e.is_err_and(|m| m.contains("`/nonexistent/chromium` was not found")));
        let e = cdp::find_chromium("no-such-browser-fichier").map(|_| ()).map_err(|e| e.to_string());
        assert!(e.is_err_and(|m| m.contains("`no-such-browser-fichier` was not found")));
    }
}
