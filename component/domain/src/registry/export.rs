//! Exports of the register: JSON (everything, both languages), CSV (one row per active
//! activity, columns in the order of the CNIL template's sheet) and an HTML document in the
//! CNIL template's shape (a common page, then one sheet per activity) that prints one sheet
//! per page; CSV and HTML in French or English.

use serde::Serialize;

use super::{
    Activity, Contact, DataItem, Organisation, RegistryDoc, RetentionAction, RetentionRule, RetentionStart, Safeguard,
    SecurityMeasure, SubjectCategory,
};
use crate::Fichier;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Store;
use crate::kernel::time;
use crate::kernel::types::{Actor, DataCategory, Lang, LawfulBasis};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    Html,
}

/// A label in both languages.
pub(crate) fn t(lang: Lang, fr: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

pub fn category_label(c: DataCategory, lang: Lang) -> &'static str {
    match c {
        DataCategory::Identity => t(lang, "État civil, identité", "Identity"),
        DataCategory::Contact => t(lang, "Coordonnées", "Contact details"),
        DataCategory::PostalAddress => t(lang, "Adresse postale", "Postal address"),
        DataCategory::Order => t(lang, "Commandes", "Orders"),
        DataCategory::Payment => t(lang, "Informations d'ordre économique et financier", "Payment and financial data"),
        DataCategory::MarketingPreferences => t(lang, "Préférences commerciales", "Marketing preferences"),
        DataCategory::Account => t(lang, "Compte client", "Customer account"),
        DataCategory::FreeText => t(lang, "Commentaires libres", "Free text"),
        DataCategory::Other => t(lang, "Autres données", "Other data"),
    }
}

pub fn basis_label(b: LawfulBasis, lang: Lang) -> &'static str {
    match b {
        LawfulBasis::Consent => t(lang, "consentement (art. 6.1.a)", "consent (Art. 6(1)(a))"),
        LawfulBasis::Contract => {
            t(lang, "exécution d'un contrat (art. 6.1.b)", "performance of a contract (Art. 6(1)(b))")
        }
        LawfulBasis::LegalObligation => t(lang, "obligation légale (art. 6.1.c)", "legal obligation (Art. 6(1)(c))"),
        LawfulBasis::VitalInterests => t(lang, "intérêts vitaux (art. 6.1.d)", "vital interests (Art. 6(1)(d))"),
        LawfulBasis::PublicTask => t(lang, "mission d'intérêt public (art. 6.1.e)", "public task (Art. 6(1)(e))"),
        LawfulBasis::LegitimateInterests => {
            t(lang, "intérêt légitime (art. 6.1.f)", "legitimate interests (Art. 6(1)(f))")
        }
    }
}

fn subject_label(s: &SubjectCategory, lang: Lang) -> String {
    match s {
        SubjectCategory::Customers => t(lang, "Clients", "Customers").into(),
        SubjectCategory::Prospects => t(lang, "Prospects", "Prospects").into(),
        SubjectCategory::Visitors => t(lang, "Visiteurs du site", "Website visitors").into(),
        SubjectCategory::Suppliers => t(lang, "Fournisseurs", "Suppliers").into(),
        SubjectCategory::Employees => t(lang, "Salariés", "Employees").into(),
        SubjectCategory::Other(l) => l.get(lang).into(),
    }
}

fn safeguard_label(s: Safeguard, lang: Lang) -> &'static str {
    match s {
        Safeguard::AdequacyDecision => t(lang, "décision d'adéquation (art. 45)", "adequacy decision (Art. 45)"),
        Safeguard::StandardContractualClauses => {
            t(lang, "clauses contractuelles types (art. 46)", "standard contractual clauses (Art. 46)")
        }
        Safeguard::BindingCorporateRules => {
            t(lang, "règles d'entreprise contraignantes (art. 47)", "binding corporate rules (Art. 47)")
        }
        Safeguard::Derogation => t(lang, "dérogation (art. 49)", "derogation (Art. 49)"),
    }
}

fn measure_label(m: &SecurityMeasure, lang: Lang) -> String {
    match m {
        SecurityMeasure::EncryptionAtRest => {
            t(lang, "Chiffrement des données au repos, une clé par personne", "Encryption at rest, one key per person")
                .into()
        }
        SecurityMeasure::Pseudonymisation => t(
            lang,
            "Pseudonymisation : recherches par empreinte à clé, aucun identifiant en clair",
            "Pseudonymisation: look-ups by keyed hash, no identifier in clear",
        )
        .into(),
        SecurityMeasure::AccessControl => t(lang, "Contrôle d'accès par rôle", "Role-based access control").into(),
        SecurityMeasure::TamperEvidentLog => {
            t(lang, "Journal chaîné et vérifiable des consentements", "Hash-chained, verifiable consent records").into()
        }
        SecurityMeasure::EncryptionInTransit => {
            t(lang, "Chiffrement des échanges (TLS)", "Encryption in transit (TLS)").into()
        }
        SecurityMeasure::Backups => t(lang, "Sauvegardes restaurables", "Restorable backups").into(),
        SecurityMeasure::Other(l) => l.get(lang).into(),
    }
}

pub fn months_label(months: u32, lang: Lang) -> String {
    match (months % 12, months / 12, lang) {
        (0, 1, Lang::Fr) => "1 an".into(),
        (0, y, Lang::Fr) => format!("{y} ans"),
        (0, 1, Lang::En) => "1 year".into(),
        (0, y, Lang::En) => format!("{y} years"),
        (_, _, Lang::Fr) => format!("{months} mois"),
        (_, _, Lang::En) if months == 1 => "1 month".into(),
        (_, _, Lang::En) => format!("{months} months"),
    }
}

pub fn start_label(s: RetentionStart, lang: Lang) -> &'static str {
    match s {
        RetentionStart::Collection => t(lang, "à compter de la collecte", "from collection"),
        RetentionStart::LastContact => t(
            lang,
            "à compter du dernier achat ou contact à l'initiative de la personne",
            "from the person's last purchase or contact",
        ),
        RetentionStart::LastLogin => {
            t(lang, "à compter de la dernière connexion au compte", "from the last login to the account")
        }
        RetentionStart::EndOfContract => {
            t(lang, "à compter de la fin de la relation contractuelle", "from the end of the contract")
        }
        RetentionStart::Transaction => t(lang, "à compter de la transaction", "from the transaction"),
    }
}

fn action_label(a: RetentionAction, lang: Lang) -> &'static str {
    match a {
        RetentionAction::Delete => t(lang, "puis suppression", "then deleted"),
        RetentionAction::Anonymise => t(lang, "puis anonymisation", "then anonymised"),
        RetentionAction::Archive => t(lang, "en archive intermédiaire", "in intermediate archive"),
    }
}

/// A data item as one line: its category, then its description.
pub fn data_line(d: &DataItem, lang: Lang) -> String {
    format!("{} : {}", category_label(d.category, lang), d.description.get(lang))
}

/// A retention rule as one line: its category, then the period.
pub fn retention_line(r: &RetentionRule, lang: Lang) -> String {
    format!("{} : {}", category_label(r.category, lang), retention_label(r, lang))
}

pub fn retention_label(r: &RetentionRule, lang: Lang) -> String {
    let mut s =
        format!("{} {} {}", months_label(r.months, lang), start_label(r.start, lang), action_label(r.action, lang));
    if let Some(h) = &r.legal_hold {
        s.push_str(&format!(" ({}: {})", t(lang, "obligation légale", "legal hold"), h.get(lang)));
    }
    s
}

/// A contact on one line: name, address, e-mail, phone.
pub fn contact_label(c: &Contact) -> String {
    let mut parts = vec![c.name.clone()];
    parts.extend(c.address.iter().map(|a| a.replace('\n', ", ")));
    parts.extend(c.email.iter().cloned());
    parts.extend(c.phone.iter().cloned());
    parts.join(", ")
}

fn opt_contact(c: Option<&Contact>) -> String {
    c.map_or_else(|| "—".into(), contact_label)
}

/// The columns of the CSV export and the rows of a sheet, in the CNIL template's order:
/// description, actors, purposes, security, data and their retention, sensitive data,
/// people concerned, recipients, transfers (then automated decisions, for Art. 13).
pub const HEADINGS: [(&str, &str); 17] = [
    ("Référence", "Reference"),
    ("Nom du traitement", "Processing activity"),
    ("Date de création", "Created"),
    ("Dernière mise à jour", "Last updated"),
    ("Responsable du traitement", "Controller"),
    ("Représentant", "Representative"),
    ("Responsable conjoint", "Joint controller"),
    ("Délégué à la protection des données", "Data protection officer"),
    ("Finalités et bases légales", "Purposes and lawful bases"),
    ("Mesures de sécurité", "Security measures"),
    ("Catégories de données personnelles", "Categories of personal data"),
    ("Durées de conservation", "Retention periods"),
    ("Données sensibles", "Sensitive data"),
    ("Catégories de personnes concernées", "Categories of data subjects"),
    ("Destinataires", "Recipients"),
    ("Transferts hors de l'Union européenne", "Transfers outside the EU"),
    ("Décisions automatisées", "Automated decisions"),
];

/// The rows of one activity's sheet: (heading, lines), headed as [`HEADINGS`].
/// The calendar date of a stored UTC timestamp in the shop's zone.
fn day(stamp: &str, zone: time::Zone) -> String {
    time::parse("at", stamp).map_or_else(|_| stamp.chars().take(10).collect(), |t| time::date_in(t, zone).to_string())
}

fn sheet(a: &Activity, org: Option<&Organisation>, lang: Lang, zone: time::Zone) -> Vec<(&'static str, Vec<String>)> {
    let d = &a.definition;
    let none = || vec![t(lang, "Aucun", "None").to_string()];
    let or_none = |v: Vec<String>| if v.is_empty() { none() } else { v };
    vec![
        (t(lang, "Référence", "Reference"), vec![d.id.clone()]),
        (t(lang, "Nom du traitement", "Processing activity"), vec![d.name.get(lang).into()]),
        (t(lang, "Date de création", "Created"), vec![day(&a.created_at, zone)]),
        (t(lang, "Dernière mise à jour", "Last updated"), vec![day(&a.changed_at, zone)]),
        (
            t(lang, "Responsable du traitement", "Controller"),
            vec![org.map_or_else(|| t(lang, "(non renseigné)", "(not set)").into(), |o| contact_label(&o.controller))],
        ),
        (t(lang, "Représentant", "Representative"), vec![opt_contact(org.and_then(|o| o.representative.as_ref()))]),
        (t(lang, "Responsable conjoint", "Joint controller"), vec![opt_contact(d.joint_controller.as_ref())]),
        (
            t(lang, "Délégué à la protection des données", "Data protection officer"),
            vec![opt_contact(org.and_then(|o| o.dpo.as_ref()))],
        ),
        (
            t(lang, "Finalités et bases légales", "Purposes and lawful bases"),
            d.purposes
                .iter()
                .map(|p| {
                    let mut s = format!("{} — {}", p.description.get(lang), basis_label(p.basis, lang));
                    if let Some(li) = &p.legitimate_interest {
                        s.push_str(&format!(" ({}: {})", t(lang, "intérêt poursuivi", "interest"), li.get(lang)));
                    }
                    s
                })
                .collect(),
        ),
        (
            t(lang, "Mesures de sécurité", "Security measures"),
            d.security.iter().map(|m| measure_label(m, lang)).collect(),
        ),
        (
            t(lang, "Catégories de données personnelles", "Categories of personal data"),
            d.data.iter().map(|x| data_line(x, lang)).collect(),
        ),
        (
            t(lang, "Durées de conservation", "Retention periods"),
            or_none(d.retention.iter().map(|r| retention_line(r, lang)).collect()),
        ),
        (t(lang, "Données sensibles", "Sensitive data"), {
            let sensitive: Vec<String> = d.data.iter().filter(|x| x.sensitive).map(|x| data_line(x, lang)).collect();
            if sensitive.is_empty() { vec![t(lang, "Aucune", "None").to_string()] } else { sensitive }
        }),
        (
            t(lang, "Catégories de personnes concernées", "Categories of data subjects"),
            d.subjects.iter().map(|s| subject_label(s, lang)).collect(),
        ),
        (
            t(lang, "Destinataires", "Recipients"),
            or_none(
                d.recipients
                    .iter()
                    .map(|r| {
                        let side =
                            if r.internal { t(lang, "interne", "internal") } else { t(lang, "externe", "external") };
                        format!("{} ({side})", r.name.get(lang))
                    })
                    .collect(),
            ),
        ),
        (
            t(lang, "Transferts hors de l'Union européenne", "Transfers outside the EU"),
            or_none(
                d.transfers
                    .iter()
                    .map(|x| {
                        let mut s = format!("{}, {} — {}", x.recipient, x.country, safeguard_label(x.safeguard, lang));
                        if let Some(det) = &x.details {
                            s.push_str(&format!(" ({})", det.get(lang)));
                        }
                        s
                    })
                    .collect(),
            ),
        ),
        (
            t(lang, "Décisions automatisées", "Automated decisions"),
            vec![
                d.automated_decisions
                    .as_ref()
                    .map_or_else(|| t(lang, "Aucune", "None").to_string(), |l| l.get(lang).to_string()),
            ],
        ),
    ]
}

fn csv(doc: &RegistryDoc, lang: Lang, zone: time::Zone) -> Result<String> {
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    let failed = |e: ::csv::Error| Error::Other(format!("writing the CSV export: {e}"));
    let org = doc.organisation.as_ref();
    w.write_record(HEADINGS.iter().map(|&(fr, en)| t(lang, fr, en))).map_err(failed)?;
    for a in doc.active() {
        let cells: Vec<String> =
            sheet(a, org, lang, zone).iter().map(|(_, v)| csv_cell(&v.join("\n")).into_owned()).collect();
        w.write_record(&cells).map_err(failed)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Other(format!("writing the CSV export: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Other(format!("writing the CSV export: {e}")))
}

/// A CSV cell a spreadsheet will not run as a formula (CSV injection, OWASP): a cell
/// starting with `=`, `@`, a tab or a carriage return gets a leading `'`; one starting
/// with `+` or `-` too, unless it is only a number (`+33612345678`, `-12.5`), which a
/// spreadsheet reads as a value and which must stay intact in a portability export.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = match s.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => {
            let rest = &s[1..];
            rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'.' | b','))
        }
        _ => false,
    };
    if risky { std::borrow::Cow::Owned(format!("'{s}")) } else { std::borrow::Cow::Borrowed(s) }
}

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = "body{font:11pt/1.4 system-ui,sans-serif;color:#111;margin:2em}h1,h2{color:#1a3a6b}\
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #999;padding:.4em;vertical-align:top;text-align:left}\
th{background:#e8eef7;width:30%}td p{margin:0 0 .3em}.sheet{margin-top:3em}\
@media print{body{margin:0}.sheet{break-before:page;margin-top:0}}";

fn html(doc: &RegistryDoc, lang: Lang, exported_at: &str, zone: time::Zone) -> String {
    let org = doc.organisation.as_ref();
    let title = t(lang, "Registre des activités de traitement", "Record of processing activities");
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        lang.as_str()
    );
    h.push_str(&format!("<section class=\"common\">\n<h1>{title}</h1>\n"));
    h.push_str(&format!(
        "<p>{} {}</p>\n",
        t(lang, "Article 30 du RGPD — établi le", "GDPR Article 30 — exported on"),
        escape(&day(exported_at, zone))
    ));
    h.push_str("<table>\n");
    let row = |h: &mut String, k: &str, v: &str| {
        h.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v)))
    };
    row(
        &mut h,
        t(lang, "Responsable du traitement", "Controller"),
        &org.map_or_else(|| t(lang, "(non renseigné)", "(not set)").into(), |o| contact_label(&o.controller)),
    );
    row(&mut h, t(lang, "Représentant", "Representative"), &opt_contact(org.and_then(|o| o.representative.as_ref())));
    row(
        &mut h,
        t(lang, "Délégué à la protection des données", "Data protection officer"),
        &opt_contact(org.and_then(|o| o.dpo.as_ref())),
    );
    h.push_str("</table>\n");
    h.push_str(&format!("<h2>{}</h2>\n<table>\n", t(lang, "Activités de traitement", "Processing activities")));
    h.push_str(&format!(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        t(lang, "Référence", "Reference"),
        t(lang, "Nom", "Name"),
        t(lang, "Créée le", "Created"),
        t(lang, "Mise à jour", "Updated")
    ));
    for a in doc.active() {
        h.push_str(&format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(a.definition.name.get(lang)),
            escape(&day(&a.created_at, zone)),
            escape(&day(&a.changed_at, zone)),
            id = escape(&a.definition.id),
        ));
    }
    h.push_str("</table>\n</section>\n");
    for a in doc.active() {
        h.push_str(&format!(
            "<section class=\"sheet\" id=\"{}\">\n<h2>{} — {}</h2>\n<table>\n",
            escape(&a.definition.id),
            t(lang, "Fiche", "Sheet"),
            escape(a.definition.name.get(lang))
        ));
        for (k, lines) in sheet(a, org, lang, zone) {
            let cell: String = lines.iter().map(|l| format!("<p>{}</p>", escape(l))).collect();
            h.push_str(&format!("<tr><th>{}</th><td>{cell}</td></tr>\n", escape(k)));
        }
        h.push_str("</table>\n</section>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct JsonExport<'a> {
    format: &'static str,
    exported_at: &'a str,
    organisation: Option<&'a Organisation>,
    activities: Vec<&'a Activity>,
}

impl<S: Store> Fichier<'_, S> {
    /// The register, active activities only, as `format` in `lang` (JSON carries both languages).
    pub fn export_registry(&mut self, actor: &Actor, format: ExportFormat, lang: Lang) -> Result<String> {
        authorize(actor, Operation::ReadRegistry)?;
        let doc = self.registry()?;
        let zone = self.current_policy()?.settings.zone();
        let at = time::format(self.now);
        Ok(match format {
            ExportFormat::Json => {
                let out = JsonExport {
                    format: "fichier-registry/1",
                    exported_at: &at,
                    organisation: doc.organisation.as_ref(),
                    activities: doc.active().collect(),
                };
                serde_json::to_string_pretty(&out).map_err(|e| Error::Other(format!("JSON export: {e}")))?
            }
            ExportFormat::Csv => csv(&doc, lang, zone)?,
            ExportFormat::Html => html(&doc, lang, &at, zone),
        })
    }
}
