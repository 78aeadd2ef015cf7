//! Import of a shop's customer export (CSV), fed in chunks by the host.
//!
//! The host sends consecutive byte ranges of the file; each `feed` parses the whole
//! records it holds (never the last, possibly cut one, unless the host says the range
//! reaches the end of the file), validates them all first (encoding, size, syntax:
//! a failure writes nothing), then imports row by row: redaction of forbidden values,
//! minimisation findings, normalisation, and one compare-and-swap per customer. The
//! session document (`import/<id>`) records the offset reached and the counts; it is
//! swapped last, so a crash mid-chunk re-feeds rows that are then found unchanged.

use std::collections::BTreeMap;

/// Maps and sets over subject ids, which are keyed hashes already: a fixed-seed fast
/// hash (no randomness in the domain, and no way for a file to choose colliding ids).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::crypto::sha256_parts;
use crate::customers::{self, ChangeReason, CustomerBody, Field, FieldInput, FieldRules, Outcome};
use crate::docs::{self};
use crate::error::{Error, Result};
use crate::identifiers::{self, FindingKind};
use crate::maintenance::Directory;
use crate::minimisation::{self, FieldType, FormField, Severity};
use crate::model::{Actor, DataCategory, LawfulBasis, Purpose, Source, SubjectRef};
use crate::normalize;
use crate::service::place;
use crate::store::{Bucket, Document, Store, storage_error};
use crate::time;
use crate::validate;

/// Largest record (one CSV row): 1 MiB.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Largest chunk a host may feed: 4 MiB.
pub const MAX_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Most columns a file may have.
pub const MAX_COLUMNS: usize = 256;
/// Row issues kept in the session (the chunk results carry them all).
pub const KEPT_ISSUES: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Latin1,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ColumnMapping {
    pub column: String,
    pub field: Option<String>,
    pub category: Option<DataCategory>,
    pub purposes: Vec<String>,
    pub basis: Option<LawfulBasis>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImportOptions {
    pub name: String,
    pub file_sha256: String,
    pub mapping: Vec<ColumnMapping>,
    pub encoding: TextEncoding,
    pub delimiter: String,
    pub default_purposes: Vec<String>,
    pub default_basis: LawfulBasis,
    pub source: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RowIssue {
    pub line: u64,
    pub column: String,
    pub rule: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub offset: u64,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkResult {
    pub consumed: u64,
    pub offset: u64,
    pub rows: u32,
    pub done: bool,
    pub issues: Vec<RowIssue>,
}

/// Where a column goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ColumnPlan {
    pub column: String,
    pub field: Option<String>,
    pub category: Option<DataCategory>,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
}

/// The session: options, plan, position and counts. No personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImportDoc {
    pub id: String,
    pub options: ImportOptions,
    pub started_at: String,
    pub updated_at: String,
    pub offset: u64,
    /// Lines consumed (the header is line 1).
    pub lines: u64,
    pub done: bool,
    pub plan: Option<Vec<ColumnPlan>>,
    pub dropped: Vec<RowIssue>,
    pub rows: u64,
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub redacted: u64,
    pub findings: Vec<RuleCount>,
    pub issues: Vec<RowIssue>,
}

impl Document for ImportDoc {
    const KIND: &'static str = "import";
    const SCHEMA: u32 = 1;
}

/// The report is the session document.
pub type ImportReport = ImportDoc;

/// The built-in mapping: WooCommerce's customer export and common French/English
/// headers (compared case-, accent- and separator-insensitively).
pub fn builtin_field(header: &str) -> Option<&'static str> {
    let key: String = normalize::fold(header).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match key.as_str() {
        "email" | "emailaddress" | "billingemail" | "useremail" | "courriel" | "adresseemail" | "mail" => "email",
        "firstname" | "billingfirstname" | "prenom" | "givenname" => "given-name",
        "lastname" | "billinglastname" | "nom" | "nomdefamille" | "familyname" | "surname" => "family-name",
        "phone" | "billingphone" | "telephone" | "tel" | "mobile" | "portable" => "phone",
        "address1" | "billingaddress1" | "address" | "adresse" | "addressline1" => "address-line1",
        "address2" | "billingaddress2" | "addressline2" | "complementdadresse" => "address-line2",
        "postcode" | "billingpostcode" | "postalcode" | "codepostal" | "zip" | "zipcode" | "cp" => "postal-code",
        "city" | "billingcity" | "ville" | "commune" => "city",
        "country" | "billingcountry" | "pays" | "countryregion" => "country",
        "company" | "billingcompany" | "societe" | "entreprise" => "company",
        "customerid" | "userid" | "id" | "idclient" | "numeroclient" | "customernumber" => "customer-number",
        "dateofbirth" | "birthdate" | "datedenaissance" | "birthday" => "birth-date",
        _ => return None,
    })
}

/// Rules a column header alone may break: the column is dropped whatever the mapping.
const FORBIDDEN_COLUMN_RULES: [&str; 5] = ["nir", "cvv-field", "card-number", "plain-password", "special-category"];

fn hex64(field: &str, s: &str) -> Result<()> {
    if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::invalid(field, "sha256-hex", "64 lower-case hexadecimal characters"))
    }
}

fn check_purposes(field: &str, ids: &[String], declared: &[Purpose], min: usize) -> Result<()> {
    if ids.len() < min || ids.len() > customers::MAX_PURPOSES {
        return Err(Error::invalid(field, "range-1-16", "1 to 16 declared purposes"));
    }
    crate::consent::check_declared(ids, declared, |i| format!("{field}[{i}]"))
}

impl ImportOptions {
    fn validate(&self, declared: &[Purpose]) -> Result<u8> {
        validate::printable("options.name", &self.name, 200)?;
        hex64("options.file-sha256", &self.file_sha256)?;
        let delimiter = match self.delimiter.as_str() {
            "," => b',',
            ";" => b';',
            "\t" => b'\t',
            _ => {
                return Err(Error::invalid("options.delimiter", "delimiter", "the separator is ',', ';' or a tab"));
            }
        };
        check_purposes("options.default-purposes", &self.default_purposes, declared, 1)?;
        if let Some(Source::ThirdParty(n)) = &self.source {
            validate::printable("options.source", n, 200)?;
        }
        if self.mapping.len() > MAX_COLUMNS {
            return Err(Error::invalid("options.mapping", "max-items", format!("at most {MAX_COLUMNS} columns")));
        }
        for (i, m) in self.mapping.iter().enumerate() {
            let p = format!("options.mapping[{i}]");
            validate::printable(&format!("{p}.column"), &m.column, 200)?;
            if self.mapping[..i].iter().any(|o| o.column == m.column) {
                return Err(Error::invalid(format!("{p}.column"), "unique", "a column is mapped once"));
            }
            if let Some(f) = &m.field {
                customers::field_name(&format!("{p}.field"), f)?;
                if self.mapping[..i].iter().any(|o| o.field.as_ref() == Some(f)) {
                    return Err(Error::invalid(format!("{p}.field"), "unique", "two columns cannot fill one field"));
                }
            }
            if !m.purposes.is_empty() {
                check_purposes(&format!("{p}.purposes"), &m.purposes, declared, 1)?;
            }
        }
        Ok(delimiter)
    }

    /// The session id: the file and every option that changes what is imported.
    fn session_id(&self) -> String {
        let options = serde_json::to_vec(self).unwrap_or_default();
        format!("imp-{}", &hex::encode(sha256_parts(&[b"fichier/import/v1", &options]))[..32])
    }
}

/// Windows-1252 (a superset of ISO-8859-1's printable range) to a string.
pub fn decode_latin1(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xa0).contains(&b) { HIGH[usize::from(b - 0x80)] } else { char::from(b) }).collect()
}

/// Whether invalid UTF-8 looks like Latin-1 text (accented letters as single high bytes).
fn looks_latin1(bytes: &[u8]) -> bool {
    let high = bytes.iter().filter(|b| **b >= 0xa0).count();
    high > 0 && decode_latin1(bytes).chars().filter(|c| "éèêàâçùûôîïëÉÈÀÇ".contains(*c)).count() * 2 >= high
}

/// One parsed record: its line and its decoded fields.
struct Record {
    line: u64,
    fields: Vec<String>,
}

/// Split `data` into whole records. Returns the records and the bytes they span.
fn parse_chunk(
    data: &[u8],
    delimiter: u8,
    encoding: TextEncoding,
    first_line: u64,
    last: bool,
) -> Result<(Vec<Record>, usize)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(data);
    let mut records = Vec::new();
    let mut consumed = 0usize;
    let mut line = first_line;
    let mut record = csv::ByteRecord::new();
    loop {
        let start = consumed;
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(_) => {
                return Err(Error::invalid("data", "csv-syntax", format!("line {line}: the CSV cannot be read")));
            }
        };
        if !more {
            break;
        }
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(data.len());
        if end == data.len() && !last {
            break; // maybe cut: the host sends it again with what follows
        }
        if end - start > MAX_RECORD_BYTES {
            return Err(Error::invalid(
                "data",
                "max-record-size",
                format!("line {line}: a record is over {} bytes", MAX_RECORD_BYTES),
            ));
        }
        // Quotes come in pairs in a well-formed record (enclosing pairs, doubled quotes
        // inside): an odd count is a quote never closed, which would swallow the rows after it.
        if data[start..end].iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err(Error::invalid(
                "data",
                "csv-syntax",
                format!("line {line}: a quote is not closed (or a quote stands inside an unquoted value)"),
            ));
        }
        let lines_spanned = data[start..end].iter().filter(|b| **b == b'\n').count().max(1) as u64;
        let mut fields = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            let raw = if line == 1 && i == 0 { raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw) } else { raw };
            let text = match encoding {
                TextEncoding::Latin1 => decode_latin1(raw),
                TextEncoding::Utf8 => match std::str::from_utf8(raw) {
                    Ok(s) => s.to_string(),
                    Err(_) => {
                        let hint = if looks_latin1(raw) {
                            "; the file looks like Latin-1 (Windows-1252): import it with the latin1 encoding"
                        } else {
                            ""
                        };
                        return Err(Error::invalid(
                            "data",
                            "utf-8",
                            format!("line {line}, column {}: not UTF-8{hint}", i + 1),
                        ));
                    }
                },
            };
            fields.push(text);
        }
        // A blank line is no record.
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push(Record { line, fields });
        }
        line += lines_spanned;
        consumed = end;
    }
    // What is left is the start of one record: if it is already over the limit, it is
    // refused now rather than asked for again with more bytes.
    if !last && data.len() - consumed > MAX_RECORD_BYTES {
        return Err(Error::invalid(
            "data",
            "max-record-size",
            format!("line {line}: a record is over {} bytes", MAX_RECORD_BYTES),
        ));
    }
    Ok((records, consumed))
}

/// The plan for a header: where each column goes, and the columns dropped with why.
fn plan_columns(
    header: &[String],
    options: &ImportOptions,
    ctx: &minimisation::Context<'_>,
) -> Result<(Vec<ColumnPlan>, Vec<RowIssue>)> {
    if header.len() > MAX_COLUMNS {
        return Err(Error::invalid("data", "max-columns", format!("line 1: more than {MAX_COLUMNS} columns")));
    }
    for (i, h) in header.iter().enumerate() {
        if h.trim().is_empty() {
            return Err(Error::invalid("data", "column-name", format!("line 1: column {} has no name", i + 1)));
        }
        if header[..i].iter().any(|o| o.trim() == h.trim()) {
            return Err(Error::invalid(
                "data",
                "unique-columns",
                format!("line 1: the column {} appears twice", h.trim()),
            ));
        }
    }
    for (i, m) in options.mapping.iter().enumerate() {
        if !header.iter().any(|h| h.trim() == m.column) {
            return Err(Error::invalid(
                format!("options.mapping[{i}].column"),
                "missing-column",
                format!("the file has no column {}", m.column),
            ));
        }
    }
    let mut plan = Vec::with_capacity(header.len());
    let mut dropped = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for h in header {
        let column = h.trim().to_string();
        let probe = FormField {
            name: column.clone(),
            label: column.clone(),
            field_type: FieldType::Text,
            required: false,
            purposes: options.default_purposes.clone(),
        };
        let forbidden = minimisation::check_form(&[probe], ctx)
            .into_iter()
            .find(|f| f.severity == Severity::Block && FORBIDDEN_COLUMN_RULES.contains(&f.rule.as_str()));
        let mapped = options.mapping.iter().find(|m| m.column == column);
        let (field, category, purposes, basis) = match (&forbidden, mapped) {
            (Some(f), _) => {
                dropped.push(RowIssue {
                    line: 1,
                    column: column.clone(),
                    rule: f.rule.clone(),
                    message: format!("column dropped: {}", f.message),
                });
                (None, None, Vec::new(), options.default_basis)
            }
            (None, Some(m)) => {
                if m.field.is_none() {
                    dropped.push(RowIssue {
                        line: 1,
                        column: column.clone(),
                        rule: "mapped-to-nothing".into(),
                        message: "column dropped by the mapping".into(),
                    });
                }
                let purposes =
                    if m.purposes.is_empty() { options.default_purposes.clone() } else { m.purposes.clone() };
                (m.field.clone(), m.category, purposes, m.basis.unwrap_or(options.default_basis))
            }
            (None, None) if options.mapping.is_empty() => match builtin_field(&column) {
                Some(f) if !used.iter().any(|u| u == f) => {
                    (Some(f.to_string()), None, options.default_purposes.clone(), options.default_basis)
                }
                _ => {
                    dropped.push(RowIssue {
                        line: 1,
                        column: column.clone(),
                        rule: "unknown-column".into(),
                        message: "column dropped: no customer field is declared for it (minimisation)".into(),
                    });
                    (None, None, Vec::new(), options.default_basis)
                }
            },
            (None, None) => {
                dropped.push(RowIssue {
                    line: 1,
                    column: column.clone(),
                    rule: "unmapped-column".into(),
                    message: "column dropped: the mapping does not name it".into(),
                });
                (None, None, Vec::new(), options.default_basis)
            }
        };
        if let Some(f) = &field {
            used.push(f.clone());
        }
        plan.push(ColumnPlan { column, field, category, purposes, basis });
    }
    let has_id = plan.iter().any(|p| matches!(p.field.as_deref(), Some("email" | "customer-number")));
    if !has_id {
        return Err(Error::invalid(
            "options.mapping",
            "identifier-column",
            "no column gives an e-mail or a customer number to name each customer",
        ));
    }
    Ok((plan, dropped))
}

/// Replace NIRs, card numbers and IBANs inside `value` by `[redacted:<kind>]`.
fn redact(value: String) -> (String, Vec<FindingKind>) {
    // Most values (names, streets, cities) cannot hold a NIR, a card number or an IBAN.
    if !minimisation::may_hold_identifier(&value, false) {
        return (value, Vec::new());
    }
    let found: Vec<identifiers::Finding> = identifiers::find_in_text(&value)
        .into_iter()
        .filter(|f| matches!(f.kind, FindingKind::Nir | FindingKind::CardNumber | FindingKind::Iban))
        .collect();
    if found.is_empty() {
        return (value, Vec::new());
    }
    let mut out = String::with_capacity(value.len());
    let mut at = 0;
    let mut kinds = Vec::new();
    for f in found {
        if f.start < at || f.end > value.len() || !value.is_char_boundary(f.start) || !value.is_char_boundary(f.end) {
            continue;
        }
        out.push_str(&value[at..f.start]);
        out.push_str(&format!("[redacted:{}]", f.kind.as_str()));
        at = f.end;
        kinds.push(f.kind);
    }
    out.push_str(&value[at..]);
    (out, kinds)
}

/// Which column an error's field path (`fields[i]…`) points at.
fn column_of(path: &str, columns: &[&str]) -> String {
    path.strip_prefix("fields[")
        .and_then(|r| r.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| columns.get(i))
        .map_or_else(|| path.to_string(), |column| column.to_string())
}

impl<S: Store> Fichier<'_, S> {
    pub fn import_begin(&mut self, actor: &Actor, options: ImportOptions) -> Result<Session> {
        authorize(actor, Operation::Import)?;
        let declared = self.purposes()?;
        options.validate(&declared)?;
        self.check_master_key(true)?;
        let id = options.session_id();
        let at = time::format(self.now);
        let doc = ImportDoc {
            id: id.clone(),
            options,
            started_at: at.clone(),
            updated_at: at,
            offset: 0,
            lines: 0,
            done: false,
            plan: None,
            dropped: Vec::new(),
            rows: 0,
            imported: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            redacted: 0,
            findings: Vec::new(),
            issues: Vec::new(),
        };
        let key = docs::import_key(&id);
        // An existing session (same file, same options) is resumed where it stands.
        let existing = std::cell::RefCell::new(None);
        self.update::<ImportDoc, Session>(
            Bucket::Data,
            &key,
            |_, current| match current {
                Some(d) => {
                    *existing.borrow_mut() = Some(Session { id: d.id, offset: d.offset, done: d.done });
                    Ok(None)
                }
                None => Ok(Some((doc.clone(), Session { id: id.clone(), offset: 0, done: false }))),
            },
            || existing.borrow_mut().take().unwrap_or_else(|| unreachable!("set when a session exists")),
        )
    }

    fn import_doc(&self, session: &str) -> Result<ImportDoc> {
        if !session.starts_with("imp-") || session.len() != 36 || !session[4..].chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::invalid("session", "session-id-syntax", "a session id is imp- and 32 hex digits"));
        }
        self.get_doc::<ImportDoc>(Bucket::Data, &docs::import_key(session))?
            .ok_or_else(|| Error::not_found("session", "session-exists", "no import session has this id"))
    }

    pub fn import_report(&mut self, actor: &Actor, session: &str) -> Result<ImportReport> {
        authorize(actor, Operation::Import)?;
        self.import_doc(session)
    }

    /// Feed the next chunk; audited as one `import.chunk` entry (the rows it committed).
    pub fn import_feed(
        &mut self,
        actor: &Actor,
        session: &str,
        offset: u64,
        data: &[u8],
        last: bool,
    ) -> Result<ChunkResult> {
        let r = self.import_feed_unaudited(actor, session, offset, data, last)?;
        if r.consumed > 0 {
            let detail = format!("bytes {offset}..{} rows={} issues={}", r.offset, r.rows, r.issues.len());
            self.audit(
                actor,
                vec![crate::audit::AuditDraft {
                    action: "import.chunk".into(),
                    target: format!("import/{session}"),
                    detail,
                }],
            )?;
        }
        Ok(r)
    }

    fn import_feed_unaudited(
        &mut self,
        actor: &Actor,
        session: &str,
        offset: u64,
        data: &[u8],
        last: bool,
    ) -> Result<ChunkResult> {
        authorize(actor, Operation::Import)?;
        let mut doc = self.import_doc(session)?;
        if doc.offset != offset {
            return Err(Error::conflict(
                "offset",
                "offset",
                format!("the session continues at byte {}, not {offset}", doc.offset),
            ));
        }
        if doc.done {
            return Ok(ChunkResult { consumed: 0, offset, rows: 0, done: true, issues: Vec::new() });
        }
        if data.len() > MAX_CHUNK_BYTES {
            return Err(Error::invalid("data", "max-chunk-size", "feed at most 4 MiB at a time"));
        }
        if offset == 0 && last && data.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid("data", "empty-file", "the file is empty"));
        }
        let (purposes, policy) = self.rules()?;
        let delimiter = doc.options.validate(&purposes)?;
        let first_line = doc.lines + 1;
        let (records, consumed) = parse_chunk(data, delimiter, doc.options.encoding, first_line, last)?;
        let ctx = minimisation::Context {
            purposes: &purposes,
            minor_age: policy.settings.minor_age(),
            today: time::date_in(self.now, policy.settings.zone()),
        };
        let mut records = records.into_iter().peekable();
        let mut plan_dropped = None;
        if doc.plan.is_none() {
            let Some(header) = records.next() else {
                if last {
                    return Err(Error::invalid("data", "empty-file", "the file has no header"));
                }
                return Ok(ChunkResult { consumed: 0, offset, rows: 0, done: false, issues: Vec::new() });
            };
            if last && records.peek().is_none() {
                return Err(Error::invalid("data", "no-rows", "the file has a header and no rows"));
            }
            plan_dropped = Some(plan_columns(&header.fields, &doc.options, &ctx)?);
        }
        let plan = match (&plan_dropped, &doc.plan) {
            (Some((p, _)), _) => p.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => unreachable!("a plan exists once the header is read"),
        };
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let mut issues = Vec::new();
        let mut counts = BTreeMap::<String, (Severity, u64)>::new();
        for f in &doc.findings {
            counts.insert(f.rule.clone(), (f.severity, f.count));
        }
        let mut rows = 0u32;
        let mut last_line = doc.lines;
        let mut prepared = Vec::new();
        let mut checker = minimisation::RecordChecker::default();
        for record in records {
            rows += 1;
            last_line = record.line;
            doc.rows += 1;
            match prepare_row(record, &plan, &doc.options, &rules, &ctx, &mut checker, &mut issues, &mut counts) {
                Ok((draft, redacted)) => {
                    doc.redacted += redacted;
                    match self.subject_id("subject", &draft.subject) {
                        Ok(sid) => prepared.push(PreparedRow {
                            line: draft.line,
                            sid,
                            by_email: matches!(draft.subject, SubjectRef::Email(_)),
                            subject: draft.subject,
                            fields: draft.fields,
                        }),
                        Err(e) => {
                            doc.rejected += 1;
                            let fe = e.field_error().cloned();
                            issues.push(RowIssue {
                                line: draft.line,
                                column: "customer-number".into(),
                                rule: fe.as_ref().map_or_else(|| "invalid".into(), |f| f.rule.clone()),
                                message: fe.map_or_else(|| e.to_string(), |f| f.message),
                            });
                        }
                    }
                }
                Err(issue) => {
                    doc.rejected += 1;
                    issues.push(issue);
                }
            }
        }
        for (row, outcome) in self.import_rows(actor, prepared)? {
            match outcome {
                Ok(Outcome::Created) => doc.imported += 1,
                Ok(Outcome::Updated) => doc.updated += 1,
                Ok(Outcome::Unchanged) => doc.unchanged += 1,
                Err(issue) => {
                    doc.rejected += 1;
                    issues.push(RowIssue { line: row, ..issue });
                }
            }
        }
        // The lines consumed: up to the end of the last whole record (blank lines included).
        let consumed_lines = data[..consumed].iter().filter(|b| **b == b'\n').count() as u64;
        let tail_line = u64::from(consumed > 0 && !data[..consumed].ends_with(b"\n"));
        doc.lines = (doc.lines + consumed_lines + tail_line).max(last_line);
        if let Some((p, dropped)) = plan_dropped {
            doc.plan = Some(p);
            doc.dropped = dropped;
        }
        doc.offset = offset + consumed as u64;
        doc.done = last && consumed == data.len();
        doc.updated_at = time::format(self.now);
        doc.findings =
            counts.into_iter().map(|(rule, (severity, count))| RuleCount { rule, severity, count }).collect();
        for i in &issues {
            if doc.issues.len() < KEPT_ISSUES {
                doc.issues.push(i.clone());
            }
        }
        let key = docs::import_key(session);
        let next = doc.clone();
        self.update::<ImportDoc, ()>(
            Bucket::Data,
            &key,
            |_, current| match current {
                Some(c) if c.offset == offset => Ok(Some((next.clone(), ()))),
                _ => Err(Error::conflict(place(Bucket::Data, &key), "offset", "another feed moved the session on")),
            },
            || (),
        )?;
        Ok(ChunkResult { consumed: consumed as u64, offset: doc.offset, rows, done: doc.done, issues })
    }

    /// Write prepared rows: each record they touch is read by the compare-and-swap that
    /// will commit it, the aliases, data keys and opposition entries in batched reads,
    /// and the directory is updated once per shard. Returns each row's line and outcome.
    fn import_rows(
        &mut self,
        actor: &Actor,
        rows: Vec<PreparedRow>,
    ) -> Result<Vec<(u64, std::result::Result<Outcome, RowIssue>)>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // Each record's compare-and-swap is begun here: the value it saw decides what
        // the row does, and the same handle writes it (one read per record).
        // Hash maps: a chunk holds thousands of subjects, and ordered maps spent more in
        // comparing ids than the rest of the bookkeeping. `distinct` keeps the file order.
        let mut known: HashMap<String, Known> = HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        let mut begun: HashMap<String, (S::Cas, Option<Vec<u8>>)> =
            HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        let mut distinct: Vec<&str> = Vec::with_capacity(rows.len());
        for row in &rows {
            if known.contains_key(&row.sid) {
                continue;
            }
            distinct.push(&row.sid);
            let key = docs::customer_key(&row.sid);
            let (cas, bytes) = self.store.cas_begin(Bucket::Data, &key).map_err(|e| storage_error(Bucket::Data, e))?;
            let k = match &bytes {
                None => Known::Absent,
                Some(b) => {
                    let doc: docs::CustomerDoc = crate::store::decode(&place(Bucket::Data, &key), b)?;
                    match doc.state {
                        docs::CustomerState::Active => Known::Stored(doc),
                        _ => Known::Elsewhere,
                    }
                }
            };
            known.insert(row.sid.clone(), k);
            begun.insert(row.sid.clone(), (cas, bytes));
        }
        // E-mail aliases of the absent ones (a rectified e-mail lives elsewhere).
        let absent_email: Vec<String> = rows
            .iter()
            .filter(|r| r.by_email && matches!(known.get(&r.sid), Some(Known::Absent)))
            .map(|r| docs::alias_key(&r.sid))
            .collect();
        let aliased = self.store.get_many(Bucket::Data, &absent_email).map_err(|e| storage_error(Bucket::Data, e))?;
        for (key, bytes) in absent_email.iter().zip(aliased) {
            if bytes.is_some()
                && let Some(sid) = key.strip_prefix("alias/")
            {
                known.insert(sid.to_string(), Known::Elsewhere);
            }
        }
        // Data keys of the records that exist.
        let stored: Vec<&str> =
            distinct.into_iter().filter(|s| matches!(known.get(*s), Some(Known::Stored(_)))).collect();
        let dek_keys: Vec<String> = stored.iter().map(|s| docs::dek_key(s)).collect();
        let wrapped = self.store.get_many(Bucket::Keys, &dek_keys).map_err(|e| storage_error(Bucket::Keys, e))?;
        let mut deks: HashMap<String, crate::crypto::DataKey> =
            HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        for ((sid, key), bytes) in stored.iter().zip(&dek_keys).zip(wrapped) {
            let Some(b) = bytes else { return Err(crate::service::missing_key(sid)) };
            let w: docs::WrappedKey = crate::store::decode(&place(Bucket::Keys, key), &b)?;
            deks.insert((*sid).to_string(), self.open_data_key(sid, &w)?);
        }

        // The opposition list (Art. 21): who objected to direct marketing is not imported
        // again. One batched read per chunk; only an entry still running counts.
        let opposition: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.fields.iter().find(|f| f.name == "email").map(|f| self.opposition_key(&f.value)))
            .collect();
        let wanted: Vec<String> = opposition.iter().flatten().cloned().collect();
        let listed = self.store.get_many(Bucket::Data, &wanted).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut opposed = HashSet::default();
        for (key, bytes) in wanted.into_iter().zip(listed) {
            if let Some(b) = bytes {
                let entry: crate::objection::OppositionEntry = crate::store::decode(&place(Bucket::Data, &key), &b)?;
                if entry.until.instant() > self.now {
                    opposed.insert(key);
                }
            }
        }

        let now = time::Stamp::from_instant(self.now);
        let mut out = Vec::with_capacity(rows.len());
        let mut created = Vec::new();
        // Records committed in this chunk, kept for a later row of the same person only.
        let mut fresh: HashMap<String, (String, u32, CustomerBody)> = HashMap::default();
        let mut seen_once = HashSet::with_capacity_and_hasher(rows.len(), Default::default());
        let repeated: HashSet<String> =
            rows.iter().filter(|r| !seen_once.insert(r.sid.as_str())).map(|r| r.sid.clone()).collect();
        for (row, opposition) in rows.into_iter().zip(opposition) {
            if opposition.is_some_and(|k| opposed.contains(&k)) {
                let issue = RowIssue {
                    line: row.line,
                    column: "email".into(),
                    rule: "opposed".into(),
                    message: "this person objected to direct marketing (Art. 21): not imported again".into(),
                };
                out.push((row.line, Err(issue)));
                continue;
            }
            let current = match (fresh.remove(&row.sid), known.remove(&row.sid)) {
                (Some((target, rev, body)), _) => Some((target, rev, body)),
                (None, Some(Known::Stored(doc))) => {
                    let dek = deks.get(&row.sid).ok_or_else(|| Error::Other("data key not read".into()))?;
                    let sealed = doc.sealed.as_deref().unwrap_or_default();
                    let body =
                        customers::open_body(dek, &row.sid, &docs::customer_key(&row.sid), doc.revision, sealed)?;
                    Some((row.sid.clone(), doc.revision, body))
                }
                (None, Some(Known::Elsewhere)) => {
                    // Merged away or reached through an alias: the general look-up.
                    match self.find_customer("email", &row.subject)? {
                        Some(l) => {
                            let dek =
                                self.data_key(&l.sid, false)?.ok_or_else(|| Error::Other("no data key".into()))?;
                            deks.insert(l.sid.clone(), dek);
                            Some((l.sid, l.doc.revision, l.body))
                        }
                        None => None,
                    }
                }
                (None, Some(Known::Absent) | None) => None,
            };
            let (target, seen, mut body) = match current {
                Some((sid, rev, body)) => (sid, Some(rev), body),
                None => (row.sid.clone(), None, CustomerBody::new(now)),
            };
            if body.restriction.is_some() {
                let issue = RowIssue {
                    line: row.line,
                    column: String::new(),
                    rule: "restricted".into(),
                    message: "this person's processing is restricted (Art. 18): the record is only stored".into(),
                };
                out.push((row.line, Err(issue)));
                continue;
            }
            // Re-importing must change nothing: keep the dates a record already has.
            let fields: Vec<Field> = row
                .fields
                .into_iter()
                .map(|f| match body.field(&f.name) {
                    Some(e) if e.value == f.value => Field {
                        collected_at: e.collected_at,
                        verified_at: e.verified_at,
                        updated_at: e.updated_at,
                        ..f
                    },
                    _ => f,
                })
                .collect();
            if !customers::apply(&mut body, fields, &[], ChangeReason::Imported, actor, now) {
                if let Some(rev) = seen
                    && repeated.contains(&row.sid)
                {
                    fresh.insert(row.sid.clone(), (target.clone(), rev, body));
                }
                out.push((row.line, Ok(Outcome::Unchanged)));
                continue;
            }
            if !deks.contains_key(&target) {
                let d = self.create_data_key(&target)?;
                deks.insert(target.clone(), d);
            }
            let Some(dek) = deks.get(&target) else { return Err(Error::Other("data key not created".into())) };
            // A handle begun on the target above: it saw what `seen` says, or the swap
            // fails and the commit reads again.
            let first = begun.remove(&target);
            match self.commit_customer_only(&target, seen, body, dek, first) {
                Ok(c) => {
                    if seen.is_none() {
                        created.push(target.clone());
                    }
                    // A row found by its e-mail is stored under that e-mail's id: no alias.
                    if !(row.by_email && target == row.sid) {
                        self.alias_after_commit(&target, &c.body);
                    }
                    if repeated.contains(&row.sid) {
                        fresh.insert(row.sid.clone(), (target, c.revision, c.body));
                    }
                    out.push((row.line, Ok(if seen.is_some() { Outcome::Updated } else { Outcome::Created })));
                }
                Err(Error::Conflict(fe)) if fe.rule == "revision" || fe.rule == "customer-merged" => {
                    out.push((
                        row.line,
                        Err(RowIssue {
                            line: row.line,
                            column: String::new(),
                            rule: "concurrent-change".into(),
                            message: "the customer changed during the import; import this row again".into(),
                        }),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let _ = self.index_many(Directory::Customers, &created);
        Ok(out)
    }
}

/// What the batch knows of a subject before writing.
enum Known {
    Absent,
    Stored(docs::CustomerDoc),
    /// Merged into another record, deleted, or reached through an alias.
    Elsewhere,
}

/// A row ready to write: its normalised fields and the subject it names.
struct PreparedRow {
    line: u64,
    sid: String,
    subject: SubjectRef,
    by_email: bool,
    fields: Vec<Field>,
}

/// Check and normalise one row (no storage access). Returns the row and the number of
/// values redacted, or the issue that rejects it.
#[allow(clippy::too_many_arguments)]
fn prepare_row(
    record: Record,
    plan: &[ColumnPlan],
    options: &ImportOptions,
    rules: &FieldRules<'_>,
    ctx: &minimisation::Context<'_>,
    checker: &mut minimisation::RecordChecker,
    issues: &mut Vec<RowIssue>,
    counts: &mut BTreeMap<String, (Severity, u64)>,
) -> std::result::Result<(PreparedRowDraft, u64), RowIssue> {
    let line = record.line;
    let reject = |column: &str, rule: &str, message: String| RowIssue {
        line,
        column: column.to_string(),
        rule: rule.to_string(),
        message,
    };
    if record.fields.len() != plan.len() {
        return Err(reject(
            "",
            "ragged-row",
            format!("{} values where the header has {} columns", record.fields.len(), plan.len()),
        ));
    }
    let mut inputs = Vec::with_capacity(plan.len());
    // The column of each input, for errors.
    let mut columns: Vec<&str> = Vec::new();
    let mut redacted = 0u64;
    for (p, value) in plan.iter().zip(record.fields) {
        let Some(field) = &p.field else { continue };
        if value.trim().is_empty() {
            continue;
        }
        let structured =
            matches!(field.as_str(), "email" | "phone" | "postal-code" | "customer-number" | "birth-date" | "country");
        let value = if structured {
            value
        } else {
            let (clean, kinds) = redact(value);
            for k in kinds {
                redacted += 1;
                issues.push(RowIssue {
                    line,
                    column: p.column.clone(),
                    rule: "redacted".into(),
                    message: format!("a {} was found in this value and redacted", k.as_str()),
                });
            }
            clean
        };
        columns.push(&p.column);
        inputs.push(FieldInput {
            name: field.clone(),
            value,
            category: p.category,
            purposes: p.purposes.clone(),
            basis: p.basis,
            source: options.source.clone(),
            collected_at: None,
            verified_at: None,
        });
    }
    for finding in checker.check(&inputs, ctx) {
        let e = counts.entry(finding.rule).or_insert((finding.severity, 0));
        e.1 += 1;
    }
    let fields = rules.fields_owned("fields", inputs, &[]).map_err(|e| match e.field_error() {
        Some(fe) => reject(&column_of(&fe.field, &columns), &fe.rule, fe.message.clone()),
        None => reject("", "invalid", e.to_string()),
    })?;
    let email = fields.iter().find(|f| f.name == "email").map(|f| f.value.clone());
    let number = fields.iter().find(|f| f.name == "customer-number").map(|f| f.value.clone());
    let subject = match (email, number) {
        (Some(e), _) => SubjectRef::Email(e),
        (None, Some(n)) => SubjectRef::External(n),
        (None, None) => {
            return Err(reject("", "no-identifier", "the row has neither an e-mail nor a customer number".into()));
        }
    };
    Ok((PreparedRowDraft { line, subject, fields }, redacted))
}

/// A prepared row before its subject id is computed (that needs the key ring).
struct PreparedRowDraft {
    line: u64,
    subject: SubjectRef,
    fields: Vec<Field>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn latin1_is_decoded_and_recognised() {
        let bytes = b"Fran\xe7ois;H\xe9l\xe8ne;\x80";
        assert_eq!(decode_latin1(bytes), "François;Hélène;€");
        assert!(std::str::from_utf8(std::hint::black_box(bytes)).is_err());
        assert!(looks_latin1(bytes));
    }

    #[test]
    fn chunks_stop_before_a_record_that_may_be_cut() {
        let data = b"a,b\n1,2\n3,4";
        let (records, consumed) = parse_chunk(data, b',', TextEncoding::Utf8, 1, false).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(consumed, 8);
        let (records, consumed) = parse_chunk(data, b',', TextEncoding::Utf8, 1, true).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(consumed, data.len());
        assert_eq!(records[2].line, 3);
    }

    #[test]
    fn quoted_newlines_count_their_lines() {
        let data = b"a,b\n\"x\ny\",2\n3,4\n";
        let (records, _) = parse_chunk(data, b',', TextEncoding::Utf8, 1, true).unwrap();
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 4]);
    }

    #[test]
    fn redaction_keeps_no_digit_of_what_it_redacts() {
        let (clean, kinds) = redact("carte 4111 1111 1111 1111 et NIR 253072B07300470 merci".into());
        assert_eq!(kinds.len(), 2, "{clean}");
        assert!(!clean.contains("4111") && !clean.contains("253072"), "{clean}");
        assert!(clean.contains("[redacted:card-number]"));
    }

    #[test]
    fn builtin_mapping_knows_woocommerce_and_french_headers() {
        assert_eq!(builtin_field("billing_email"), Some("email"));
        assert_eq!(builtin_field("Prénom"), Some("given-name"));
        assert_eq!(builtin_field("Code postal"), Some("postal-code"));
        assert_eq!(builtin_field("shipping_address_1"), None);
    }
}
