//! The scan's report as text (standard output) and as a self-contained HTML page the shop
//! can keep as evidence. Every text from the page or the browser is escaped.

use std::fmt::Write;

use super::Report;
use super::rules::{Finding, State};

const STATES: [State; 4] = [State::Before, State::Refused, State::Accepted, State::Withdrawn];

fn states(f: &Finding) -> String {
    f.states.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

fn pages(f: &Finding) -> String {
    f.pages.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
}

fn counts(r: &Report, s: State) -> (usize, usize, usize) {
    (
        r.cookies.iter().filter(|c| c.state == s).count(),
        r.storage.iter().filter(|k| k.state == s).count(),
        r.third_party_requests
            .iter()
            .filter(|q| q.state == s)
            .map(|q| &q.host)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
    )
}

pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "fichier scan {} · {} · {}", r.fichier_version, r.browser, r.started_at);
    let _ = writeln!(o, "pages ({}): {}", r.pages.len(), r.pages.join(" "));
    for c in &r.clicks {
        let _ = writeln!(o, "clicked « {} » on {} → {}", c.control, c.page, c.state.name());
    }
    for s in STATES {
        let (c, k, h) = counts(r, s);
        let _ = writeln!(o, "{:<10} {c} cookie(s), {k} storage key(s), {h} third-party host(s)", s.name());
    }
    let n = |k: &str| r.summary.get(k).copied().unwrap_or(0);
    let _ = writeln!(o, "findings: {} error(s), {} warning(s), {} info", n("error"), n("warning"), n("info"));
    for f in &r.findings {
        let _ = writeln!(o, "{:<7} {} · {} · {}", f.severity.name(), f.rule, f.subject, states(f));
        let _ = writeln!(o, "        {}", f.message);
        let _ = writeln!(o, "        pages: {}", pages(f));
        let _ = writeln!(o, "        source: {}", f.source);
    }
    o
}

/// `s` safe in HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn row(o: &mut String, cells: &[&str]) {
    o.push_str("<tr>");
    for c in cells {
        let _ = write!(o, "<td>{}</td>", esc(c));
    }
    o.push_str("</tr>\n");
}

fn head(o: &mut String, cells: &[&str]) {
    o.push_str("<table><thead><tr>");
    for c in cells {
        let _ = write!(o, "<th scope=\"col\">{}</th>", esc(c));
    }
    o.push_str("</tr></thead><tbody>\n");
}

pub fn html(r: &Report) -> String {
    let mut o = String::new();
    o.push_str("<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(o, "<title>Rapport fichier scan — {}</title>", esc(&r.started_at));
    o.push_str(
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;color:#111}\
         table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #999;padding:.25rem .5rem;\
         text-align:left;vertical-align:top}th{background:#eee}.error{color:#8b0000;font-weight:bold}.warning{color:#7a4a00}\
         code{font-size:.9em}</style>\n</head>\n<body>\n",
    );
    let _ = writeln!(o, "<h1>Cookies et traceurs : ce que le navigateur stocke et envoie</h1>");
    o.push_str("<dl>\n");
    let n = |k: &str| r.summary.get(k).copied().unwrap_or(0).to_string();
    let banner = r.banner.clone().unwrap_or_else(|| "—".into());
    let offline = if r.offline { "oui / yes" } else { "non / no" };
    for (k, v) in [
        ("Date (début, fin)", format!("{} — {}", r.started_at, r.finished_at)),
        ("Outil", format!("fichier {}", r.fichier_version)),
        ("Navigateur", format!("{} ({})", r.browser, r.user_agent)),
        ("Adresses données", r.urls.join(" ")),
        ("Profondeur des liens", r.depth.to_string()),
        ("Hors ligne (--offline)", offline.to_owned()),
        ("Bannière", banner),
        (
            "Constats",
            format!("{} erreur(s), {} avertissement(s), {} information(s)", n("error"), n("warning"), n("info")),
        ),
    ] {
        let _ = writeln!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    o.push_str("</dl>\n<h2>Pages visitées</h2>\n<ul>\n");
    for p in &r.pages {
        let _ = writeln!(o, "<li><code>{}</code></li>", esc(p));
    }
    o.push_str("</ul>\n<h2>États et clics sur la bannière</h2>\n");
    head(&mut o, &["page", "bouton", "état obtenu"]);
    for c in &r.clicks {
        row(&mut o, &[&c.page, &c.control, c.state.name()]);
    }
    o.push_str("</tbody></table>\n<h2>Constats</h2>\n");
    head(&mut o, &["gravité", "règle", "objet", "constat", "états", "pages", "source"]);
    if r.findings.is_empty() {
        o.push_str("<tr><td colspan=\"7\">Aucun constat / no finding</td></tr>\n");
    }
    for f in &r.findings {
        let _ = write!(o, "<tr class=\"{}\">", f.severity.name());
        for c in [f.severity.name(), f.rule, &f.subject, &f.message, &states(f), &pages(f), f.source] {
            let _ = write!(o, "<td>{}</td>", esc(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n<h2>Déclarations de la page</h2>\n");
    head(&mut o, &["finalité", "cookies (data-cookies-*)", "destinataires (data-recipients-*)"]);
    for (id, p) in &r.declarations.purposes {
        row(&mut o, &[id, &p.cookies.join(" "), &p.recipients.join(" ")]);
    }
    o.push_str("</tbody></table>\n<h2>Cookies (sans leur valeur)</h2>\n");
    head(&mut o, &["état", "nom", "domaine", "chemin", "expiration", "vu sur"]);
    for c in &r.cookies {
        let exp = c
            .expires
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "session".into());
        row(&mut o, &[c.state.name(), &c.name, &c.domain, &c.path, &exp, &c.page]);
    }
    o.push_str("</tbody></table>\n<h2>Stockage local (clés)</h2>\n");
    head(&mut o, &["état", "zone", "clé", "vu sur"]);
    for k in &r.storage {
        row(&mut o, &[k.state.name(), &k.area, &k.key, &k.page]);
    }
    o.push_str("</tbody></table>\n<h2>Requêtes vers des tiers (sans paramètres)</h2>\n");
    head(&mut o, &["état", "hôte", "adresse", "type", "page"]);
    for q in &r.third_party_requests {
        row(&mut o, &[q.state.name(), &q.host, &q.url, &q.kind, &q.page]);
    }
    o.push_str("</tbody></table>\n<h2>Règles appliquées</h2>\n");
    head(&mut o, &["règle", "vérifie", "source"]);
    for rule in &r.rules {
        row(
            &mut o,
            &[
                rule["id"].as_str().unwrap_or_default(),
                rule["checks"].as_str().unwrap_or_default(),
                rule["source"].as_str().unwrap_or_default(),
            ],
        );
    }
    o.push_str("</tbody></table>\n</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_everything() {
        assert_eq!(esc("<script>'a' & \"b\"</script>"), "&lt;script&gt;&#39;a&#39; &amp; &quot;b&quot;&lt;/script&gt;");
    }
}
