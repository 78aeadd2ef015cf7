//! Access (Art. 15) and portability (Art. 20) exports of one person's data.
//!
//! - **Access**: the identifiers the data is linked to (Art. 4(1), 15(1): the subject as
//!   the request named it, fichier's subject id, and the e-mail address or external id —
//!   a banner's visitor id when its receipts came from the banner — kept, sealed, in the
//!   subject's consent head; nothing is shown that the request did not give or that is
//!   not stored recoverable), every stored field (opened), the intermediate archive, anonymised values,
//!   the record's history, every consent receipt, every request, and the Art. 15(1) a–h
//!   information drawn from the register (purposes and bases, categories, recipients and
//!   transfers, retention, rights, the right to complain, the source of each field,
//!   automated decisions) — the same sections as the generated Art. 13 notice, for the
//!   activities whose purposes the person's data serves.
//! - **Portability**: only the fields the person provided themselves, held on consent or
//!   a contract, in a machine-readable format (JSON or CSV).
//! - **Deterministic**: sections, rows and columns in a fixed order; the same store and
//!   clock give the same bytes. JSON (sections of rows keyed by column), CSV (one row per
//!   value, a `section` column first), HTML (French or English, printable).

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::consent::receipts::HeadBody;
use crate::consent::{Decision, GivenBy, Receipt};
use crate::customers::{CustomerBody, Field};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::{self, Stamp};
use crate::kernel::types::{Actor, Channel, Lang, LawfulBasis, Source, SubjectRef};
use crate::kernel::validate;
use crate::registry::export::{ExportFormat, basis_label, category_label, escape, t};
use crate::registry::{Activity, ActivityPurpose};

/// Which right the export answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportScope {
    /// Art. 15: everything.
    Access,
    /// Art. 20: what the person provided, on consent or a contract.
    Portability,
}

/// An export file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectExport {
    pub media_type: String,
    pub file_name: String,
    pub content: String,
}

/// (key, French heading, English heading)
type Column = (&'static str, &'static str, &'static str);

struct Table {
    id: &'static str,
    title: (&'static str, &'static str),
    columns: &'static [Column],
    rows: Vec<Vec<String>>,
}

const IDENTIFIERS: &[Column] =
    &[("kind", "Identifiant", "Identifier"), ("value", "Valeur", "Value"), ("from", "Origine", "Where from")];
const FIELDS: &[Column] = &[
    ("name", "Donnée", "Field"),
    ("value", "Valeur", "Value"),
    ("category", "Catégorie", "Category"),
    ("purposes", "Finalités", "Purposes"),
    ("basis", "Base légale", "Lawful basis"),
    ("source", "Source", "Source"),
    ("collected-at", "Collectée le", "Collected on"),
    ("verified-at", "Vérifiée le", "Verified on"),
];
const ARCHIVE: &[Column] = &[
    ("name", "Donnée", "Field"),
    ("value", "Valeur", "Value"),
    ("category", "Catégorie", "Category"),
    ("archived-at", "Archivée le", "Archived on"),
    ("until", "Jusqu'au", "Until"),
    ("activity", "Traitement", "Activity"),
];
const ANONYMISED: &[Column] = &[
    ("name", "Donnée", "Field"),
    ("value", "Forme conservée", "Form kept"),
    ("category", "Catégorie", "Category"),
    ("at", "Le", "On"),
];
const HISTORY: &[Column] = &[
    ("field", "Donnée", "Field"),
    ("previous", "Avant", "Before"),
    ("value", "Après", "After"),
    ("reason", "Motif", "Reason"),
    ("at", "Le", "On"),
    ("by", "Par", "By"),
];
const CONSENT: &[Column] = &[
    ("receipt", "Preuve", "Receipt"),
    ("purpose", "Finalité", "Purpose"),
    ("decision", "Choix", "Choice"),
    ("given-by", "Exprimé par", "Given by"),
    ("channel", "Canal", "Channel"),
    ("at", "Le", "On"),
    ("notice", "Information présentée", "Notice shown"),
];
const REQUESTS: &[Column] = &[
    ("id", "Demande", "Request"),
    ("kind", "Droit", "Right"),
    ("state", "État", "State"),
    ("received-at", "Reçue le", "Received on"),
    ("outcome", "Réponse", "Answer"),
];
const INFORMATION: &[Column] = &[("heading", "Rubrique", "Heading"), ("text", "Information", "Information")];

/// The identifiers a person's data is linked to (Art. 4(1)): the subject as the request
/// named it (`request`), fichier's subject id (`fichier`), and what the subject's consent
/// head keeps, sealed, of how receipts named the person (`consent-receipts`): the
/// e-mail address as last given, the external id — `banner-id` when receipts came from
/// the cookie banner, whose visitor id it is —, and the banner ids of the devices a
/// logged-in customer decided on (`Receipt::banner`). Only what the request gave or the
/// store keeps recoverable; a value already listed is not repeated.
fn identifier_rows(given: &SubjectRef, sid: &str, head: &HeadBody, receipts: &[Receipt]) -> Vec<Vec<String>> {
    let external_kind =
        if receipts.iter().any(|r| r.channel == Channel::CookieBanner) { "banner-id" } else { "external-id" };
    let row = |kind: &str, value: &str, from: &str| vec![kind.to_owned(), value.to_owned(), from.to_owned()];
    let mut rows = vec![match given {
        SubjectRef::Email(e) => row("email", e.trim(), "request"),
        SubjectRef::External(x) => row(external_kind, x, "request"),
        SubjectRef::Subject(s) => row("subject-id", s, "request"),
    }];
    if !matches!(given, SubjectRef::Subject(s) if s == sid) {
        rows.push(row("subject-id", sid, "fichier"));
    }
    if let Some(e) = &head.email {
        let same = matches!(given, SubjectRef::Email(g) if validate::email("subject.email", g).is_ok_and(|g| &g == e));
        if !same {
            rows.push(row("email", e, "consent-receipts"));
        }
    }
    if let Some(x) = &head.external
        && !matches!(given, SubjectRef::External(g) if g == x)
    {
        rows.push(row(external_kind, x, "consent-receipts"));
    }
    for device in receipts.iter().filter_map(|r| r.banner.as_deref()) {
        if !rows.iter().any(|r| r[0] == "banner-id" && r[1] == device) {
            rows.push(row("banner-id", device, "consent-receipts"));
        }
    }
    rows
}

fn source(s: &Source) -> String {
    match s {
        Source::Person => "person".into(),
        Source::ThirdParty(name) => format!("third-party: {name}"),
    }
}

fn field_row(f: &Field, lang: Lang) -> Vec<String> {
    vec![
        f.name.clone(),
        f.value.clone(),
        category_label(f.category, lang).into(),
        f.purposes.join("; "),
        basis_label(f.basis, lang).into(),
        source(&f.source),
        f.collected_at.to_string(),
        f.verified_at.map(|t| t.to_string()).unwrap_or_default(),
    ]
}

/// What the person provided, on consent or a contract (Art. 20(1)).
fn portable(f: &Field) -> bool {
    f.source == Source::Person && matches!(f.basis, LawfulBasis::Consent | LawfulBasis::Contract)
}

/// One row of a JSON section: its columns' keys and values, in order.
struct Row<'a>(&'a [Column], &'a [String]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for ((key, _, _), value) in self.0.iter().zip(self.1) {
            m.serialize_entry(key, value)?;
        }
        m.end()
    }
}

struct Section<'a>(&'a Table);

impl Serialize for Section<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("section", self.0.id)?;
        let rows: Vec<Row<'_>> = self.0.rows.iter().map(|r| Row(self.0.columns, r)).collect();
        m.serialize_entry("rows", &rows)?;
        m.end()
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct JsonOut<'a> {
    format: &'static str,
    subject: &'a str,
    exported_at: &'a str,
    sections: Vec<Section<'a>>,
}

fn render_csv(tables: &[Table]) -> Result<String> {
    let failed = |e: ::csv::Error| Error::Other(format!("writing the CSV export: {e}"));
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).flexible(true).from_writer(Vec::new());
    for table in tables {
        w.write_record(std::iter::once("section").chain(table.columns.iter().map(|c| c.0))).map_err(failed)?;
        for r in &table.rows {
            let cells = r.iter().map(|c| crate::registry::export::csv_cell(c));
            w.write_record(std::iter::once(std::borrow::Cow::Borrowed(table.id)).chain(cells).map(|c| c.into_owned()))
                .map_err(failed)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| Error::Other(format!("writing the CSV export: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Other(format!("writing the CSV export: {e}")))
}

fn render_html(tables: &[Table], subject: &str, at: &str, lang: Lang, info: &str) -> String {
    let title = t(lang, "Vos données personnelles", "Your personal data");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n<p>{} <code>{}</code> — {} {}</p>\n",
        lang.as_str(),
        crate::registry::export::STYLE,
        t(lang, "Personne :", "Person:"),
        escape(subject),
        t(lang, "exporté le", "exported on"),
        escape(at),
    );
    for table in tables {
        out.push_str(&format!("<h2>{}</h2>\n", t(lang, table.title.0, table.title.1)));
        if table.rows.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", t(lang, "Aucune.", "None.")));
            continue;
        }
        out.push_str("<table>\n<tr>");
        for (_, fr, en) in table.columns {
            out.push_str(&format!("<th>{}</th>", t(lang, fr, en)));
        }
        out.push_str("</tr>\n");
        for r in &table.rows {
            out.push_str("<tr>");
            for v in r {
                out.push_str(&format!("<td>{}</td>", escape(v)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str(info);
    out.push_str("</body>\n</html>\n");
    out
}

impl<S: Store> Fichier<'_, S> {
    /// Export a person's data for an access (Art. 15) or portability (Art. 20) request.
    pub fn export_subject(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        scope: ExportScope,
        format: ExportFormat,
        lang: Lang,
    ) -> Result<SubjectExport> {
        authorize(actor, Operation::ExportData)?;
        if scope == ExportScope::Portability && format == ExportFormat::Html {
            return Err(Error::invalid(
                "format",
                "machine-readable",
                "portability is for machines (Art. 20(1)): JSON or CSV",
            ));
        }
        let sid = self.subject_id("subject", subject)?;
        self.check_master_key(false)?;
        let loaded = self.find_customer("subject", subject)?;
        let target = loaded.as_ref().map_or(sid, |c| c.sid.clone());
        let body = loaded.map(|c| c.body);
        let head = self.load_subject(&target)?;
        let receipts = match &head.head {
            Some(h) => self.read_receipts(&target, h, head.body.shredded as usize)?,
            None => Vec::new(),
        };
        let register: crate::rights::RequestRegister =
            self.get_doc(Bucket::Data, crate::rights::REQUESTS_KEY)?.unwrap_or_default();
        let requests: Vec<_> = register.requests.into_iter().filter(|r| r.subject == target).collect();
        if body.is_none() && receipts.is_empty() && requests.is_empty() {
            return Err(Error::not_found("subject", "known-subject", "nothing is stored for this person"));
        }
        let empty = CustomerBody::new(Stamp::from_instant(self.now));
        let body = body.as_ref().unwrap_or(&empty);
        let at = time::format(self.now);

        let mut tables = Vec::new();
        if scope == ExportScope::Access {
            tables.push(Table {
                id: "identifiers",
                title: ("Identifiants auxquels vos données sont liées", "Identifiers your data is linked to"),
                columns: IDENTIFIERS,
                rows: identifier_rows(subject, &target, &head.body, &receipts),
            });
        }
        let fields = body.fields.iter().filter(|f| scope == ExportScope::Access || portable(f));
        tables.push(Table {
            id: "fields",
            title: ("Données enregistrées", "Stored data"),
            columns: FIELDS,
            rows: fields.map(|f| field_row(f, lang)).collect(),
        });
        let mut info_html = String::new();
        if scope == ExportScope::Access {
            tables.push(Table {
                id: "archive",
                title: ("Archive intermédiaire", "Intermediate archive"),
                columns: ARCHIVE,
                rows: body
                    .archive
                    .iter()
                    .map(|a| {
                        vec![
                            a.field.name.clone(),
                            a.field.value.clone(),
                            category_label(a.field.category, lang).into(),
                            a.archived_at.to_string(),
                            a.until.to_string(),
                            a.activity.clone(),
                        ]
                    })
                    .collect(),
            });
            tables.push(Table {
                id: "anonymised",
                title: ("Données anonymisées", "Anonymised data"),
                columns: ANONYMISED,
                rows: body
                    .anonymised
                    .iter()
                    .map(|a| {
                        vec![a.name.clone(), a.value.clone(), category_label(a.category, lang).into(), a.at.to_string()]
                    })
                    .collect(),
            });
            tables.push(Table {
                id: "history",
                title: ("Historique des modifications", "History of changes"),
                columns: HISTORY,
                rows: body
                    .history
                    .iter()
                    .map(|h| {
                        vec![
                            h.field.clone(),
                            h.previous.clone().unwrap_or_default(),
                            h.value.clone().unwrap_or_default(),
                            h.reason.as_str().into(),
                            h.at.to_string(),
                            h.by.role.as_str().into(),
                        ]
                    })
                    .collect(),
            });
            tables.push(Table {
                id: "consent",
                title: ("Consentements et refus", "Consents and refusals"),
                columns: CONSENT,
                rows: receipts
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.purpose.clone(),
                            match r.decision {
                                Decision::Grant => "grant",
                                Decision::Refuse => "refuse",
                                Decision::Withdraw => "withdraw",
                            }
                            .into(),
                            match r.given_by {
                                GivenBy::Subject => "subject",
                                GivenBy::Parent => "parent",
                            }
                            .into(),
                            r.channel.as_str().into(),
                            r.at.clone(),
                            r.notice.as_ref().map(|n| n.reference.clone()).unwrap_or_default(),
                        ]
                    })
                    .collect(),
            });
            tables.push(Table {
                id: "requests",
                title: ("Vos demandes", "Your requests"),
                columns: REQUESTS,
                rows: requests
                    .iter()
                    .map(|r| {
                        let outcome = match &r.outcome {
                            Some(crate::rights::Outcome::Done { note, .. }) => note.clone(),
                            Some(crate::rights::Outcome::Refused { reasons, .. }) => reasons.clone(),
                            None => String::new(),
                        };
                        vec![
                            r.id.clone(),
                            r.kind.as_str().into(),
                            r.state.as_str().into(),
                            r.received_at.to_string(),
                            outcome,
                        ]
                    })
                    .collect(),
            });
            // Art. 15(1) a–h: the register's information on the activities the data serves.
            let mut purposes: Vec<&str> = body
                .fields
                .iter()
                .chain(body.archive.iter().map(|a| &a.field))
                .flat_map(|f| f.purposes.iter().map(String::as_str))
                .chain(receipts.iter().map(|r| r.purpose.as_str()))
                .collect();
            crate::kernel::sort::sort_dedup_by_key(&mut purposes, |p| *p);
            let doc = self.registry()?;
            let mut rows = Vec::new();
            match &doc.organisation {
                Some(org) => {
                    let mut chosen: Vec<(&Activity, &ActivityPurpose)> = Vec::new();
                    for id in &purposes {
                        for a in doc.active() {
                            if let Some(p) = a.definition.purposes.iter().find(|p| p.id == *id) {
                                chosen.push((a, p));
                            }
                        }
                    }
                    let (title, sections) = crate::registry::notice::sections(org, &chosen, lang);
                    for (heading, lines) in &sections {
                        for line in lines {
                            rows.push(vec![heading.clone(), line.clone()]);
                        }
                    }
                    info_html = crate::registry::notice::render_html(&title, &sections, lang);
                }
                None => rows.push(vec![
                    t(lang, "Responsable du traitement", "Controller").into(),
                    t(
                        lang,
                        "Le registre ne nomme pas encore le responsable du traitement.",
                        "The register does not name the controller yet.",
                    )
                    .into(),
                ]),
            }
            tables.push(Table {
                id: "information",
                title: ("Informations sur le traitement (art. 15)", "About the processing (Art. 15)"),
                columns: INFORMATION,
                rows,
            });
        }
        let (kind, format_name) = match scope {
            ExportScope::Access => ("access", "fichier-access/1"),
            ExportScope::Portability => ("portability", "fichier-portability/1"),
        };
        let (media_type, ext, content) = match format {
            ExportFormat::Json => {
                let out = JsonOut {
                    format: format_name,
                    subject: &target,
                    exported_at: &at,
                    sections: tables.iter().map(Section).collect(),
                };
                let text = serde_json::to_string_pretty(&out).map_err(|e| Error::Other(format!("JSON export: {e}")))?;
                ("application/json", "json", text + "\n")
            }
            ExportFormat::Csv => ("text/csv; charset=utf-8", "csv", render_csv(&tables)?),
            ExportFormat::Html => {
                // The information sections render as the notice does; the table is for JSON and CSV.
                tables.retain(|t| t.id != "information");
                ("text/html; charset=utf-8", "html", render_html(&tables, &target, &at, lang, &info_html))
            }
        };
        self.audit_one(actor, "rights.export", target.clone(), format!("scope={kind} format={ext}"))?;
        Ok(SubjectExport { media_type: media_type.into(), file_name: format!("{kind}-{target}.{ext}"), content })
    }
}
