//! `customer-import`: importing a customer file in chunks.

use fichier_domain::customers::import as di;

use crate::bindings::exports::fichier::client::customer_import as ci;
use crate::{Component, run, wit};

impl ci::Guest for Component {
    fn begin(actor: wit::Actor, options: ci::ImportOptions) -> Result<ci::ImportSession, wit::Error> {
        run(
            |f| f.import_begin(&actor.into(), import_options(options)),
            |s| ci::ImportSession { id: s.id, offset: s.offset, done: s.done },
        )
    }

    fn feed(
        actor: wit::Actor,
        session: String,
        offset: u64,
        data: Vec<u8>,
        last: bool,
    ) -> Result<ci::ChunkResult, wit::Error> {
        run(|f| f.import_feed(&actor.into(), &session, offset, &data, last), chunk_result)
    }

    fn report(actor: wit::Actor, session: String) -> Result<ci::ImportReport, wit::Error> {
        run(|f| f.import_report(&actor.into(), &session), import_report)
    }
}

enum_pairs! {
    ci::TextEncoding = di::TextEncoding { Utf8, Latin1 }
}

fn import_options(o: ci::ImportOptions) -> di::ImportOptions {
    di::ImportOptions {
        name: o.name,
        file_sha256: o.file_sha256,
        mapping: o
            .mapping
            .into_iter()
            .map(|m| di::ColumnMapping {
                column: m.column,
                field: m.field,
                category: m.category.map(Into::into),
                purposes: m.purposes,
                basis: m.basis.map(Into::into),
            })
            .collect(),
        encoding: o.encoding.into(),
        delimiter: o.delimiter,
        default_purposes: o.default_purposes,
        default_basis: o.default_basis.into(),
        source: o.source.map(Into::into),
        examples_per_rule: o.examples_per_rule,
    }
}

fn row_issue(i: di::RowIssue) -> ci::RowIssue {
    ci::RowIssue { line: i.line, column: i.column, rule: i.rule, message: i.message }
}

fn chunk_result(r: di::ChunkResult) -> ci::ChunkResult {
    ci::ChunkResult {
        consumed: r.consumed,
        offset: r.offset,
        rows: r.rows,
        rejected: r.rejected,
        done: r.done,
        issues: r.issues.into_iter().map(row_issue).collect(),
    }
}

fn import_report(r: di::ImportReport) -> ci::ImportReport {
    ci::ImportReport {
        id: r.id,
        name: r.options.name,
        columns: r.plan.unwrap_or_default().into_iter().map(|p| (p.column, p.field)).collect(),
        dropped: r.dropped.into_iter().map(row_issue).collect(),
        rows: r.rows,
        imported: r.imported,
        updated: r.updated,
        unchanged: r.unchanged,
        rejected: r.rejected,
        redacted: r.redacted,
        findings: r
            .findings
            .into_iter()
            .map(|f| ci::RuleCount { rule: f.rule, severity: f.severity.into(), count: f.count })
            .collect(),
        issues: r.issues.into_iter().map(row_issue).collect(),
        issue_counts: r.issue_counts.into_iter().map(|c| ci::IssueCount { rule: c.rule, count: c.count }).collect(),
        done: r.done,
        started_at: r.started_at,
        updated_at: r.updated_at,
    }
}
