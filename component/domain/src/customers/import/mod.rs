//! Import of a shop's customer export (CSV), fed in chunks by the host.
//!
//! The host sends consecutive byte ranges of the file; each `feed` parses the whole
//! records it holds (never the last, possibly cut one, unless the host says the range
//! reaches the end of the file), validates them all first (encoding, size, syntax:
//! a failure writes nothing), then imports row by row: redaction of forbidden values,
//! minimisation findings, normalisation, and one compare-and-swap per customer. The
//! session document (`import/<id>`) records the offset reached and the counts; it is
//! swapped last, so a crash mid-chunk re-feeds rows that are then found unchanged.
//!
//! - [`parse`] — whole CSV records out of a byte range (UTF-8 or Latin-1).
//! - [`columns`] — the header's plan: where each column goes, forbidden columns dropped,
//!   forbidden values redacted.
//! - [`feed`] — the session's operations (`begin`, `feed`, `report`) and the rows'
//!   validation and writes.

use serde::{Deserialize, Serialize};

use crate::consent::Purpose;
use crate::customers;
use crate::kernel::crypto::sha256_parts;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Document;
use crate::kernel::types::{DataCategory, LawfulBasis, Source};
use crate::kernel::validate;
use crate::minimisation::Severity;

mod columns;
mod feed;
mod parse;
#[cfg(test)]
mod tests;

pub use columns::builtin_field;
pub use parse::decode_latin1;

/// Maps and sets over subject ids, which are keyed hashes already: a fixed-seed fast
/// hash (no randomness in the domain, and no way for a file to choose colliding ids).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// Largest record (one CSV row): 1 MiB.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Largest chunk a host may feed: 4 MiB.
pub const MAX_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Most columns a file may have.
pub const MAX_COLUMNS: usize = 256;
/// Rows whose records are read and written together: the compare-and-swap handles a
/// call holds at once (one per distinct customer of a batch) stay this few whatever the
/// chunk holds.
pub const ROWS_PER_BATCH: usize = 1000;
/// Rejected rows and redactions the report keeps per rule as examples, unless the
/// options say otherwise; the counts per rule are always complete.
pub const DEFAULT_EXAMPLES_PER_RULE: u32 = 20;
/// Most examples per rule the options may ask for.
pub const MAX_EXAMPLES_PER_RULE: u32 = 100;
/// Most examples the report keeps in all, whatever the rules: the session document is
/// rewritten with every chunk and a stored value is at most 1 MiB.
pub const MAX_EXAMPLES: usize = 1000;

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
    /// Examples the report keeps per rule (`None`: [`DEFAULT_EXAMPLES_PER_RULE`]). Not
    /// part of the session's identity; absent from the stored options when `None`, so
    /// the sessions of earlier versions keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples_per_rule: Option<u32>,
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

/// How many issues (rejected rows and redactions) one rule had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct IssueCount {
    pub rule: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkResult {
    pub consumed: u64,
    pub offset: u64,
    pub rows: u32,
    /// Rows of this chunk not imported.
    pub rejected: u32,
    pub done: bool,
    /// The issues of this chunk the report keeps as examples.
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
    /// Examples: the first issues of each rule (see [`ImportOptions::examples_per_rule`],
    /// [`MAX_EXAMPLES`]), in line order. (Before `issue-counts`: the first 200 issues.)
    pub issues: Vec<RowIssue>,
    /// Every issue counted per rule, sorted by rule. Absent from the sessions of earlier
    /// versions: read from their examples then.
    #[serde(default)]
    pub issue_counts: Vec<IssueCount>,
}

impl Document for ImportDoc {
    const KIND: &'static str = "import";
    const SCHEMA: u32 = 1;
}

/// The report is the session document.
pub type ImportReport = ImportDoc;

/// The key of an import session in the data bucket.
pub fn import_key(id: &str) -> String {
    format!("import/{id}")
}

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
        if self.examples_per_rule.is_some_and(|n| n > MAX_EXAMPLES_PER_RULE) {
            return Err(Error::invalid(
                "options.examples-per-rule",
                "range-0-100",
                format!("0 to {MAX_EXAMPLES_PER_RULE} examples per rule"),
            ));
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

    /// The examples the report keeps per rule.
    fn examples_per_rule(&self) -> u64 {
        u64::from(self.examples_per_rule.unwrap_or(DEFAULT_EXAMPLES_PER_RULE))
    }

    /// The session id: the file and every option that changes what is imported (not how
    /// many examples the report keeps).
    fn session_id(&self) -> String {
        let identity = ImportOptions { examples_per_rule: None, ..self.clone() };
        let options = serde_json::to_vec(&identity).unwrap_or_default();
        format!("imp-{}", &hex::encode(sha256_parts(&[b"fichier/import/v1", &options]))[..32])
    }
}
