//! The import session's operations: `begin` (options checked, the session document
//! created), `feed` (a chunk: parsed and validated whole, then each row redacted,
//! checked, normalised and written with one compare-and-swap per customer, the session
//! swapped last), `report`.

use std::collections::BTreeMap;

use super::columns::{column_of, plan_columns, redact};
use super::parse::{Record, parse_chunk};
use super::{
    ChunkResult, ColumnPlan, HashMap, HashSet, ImportDoc, ImportOptions, ImportReport, IssueCount, MAX_CHUNK_BYTES,
    MAX_EXAMPLES, ROWS_PER_BATCH, RowIssue, RuleCount, Session, import_key,
};
use crate::customers::fields::FieldRules;
use crate::customers::{self, ChangeReason, CustomerBody, CustomerDoc, CustomerState, Field, FieldInput, Outcome};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, storage_error};
use crate::kernel::time;
use crate::kernel::types::{Actor, SubjectRef};
use crate::minimisation;
use crate::minimisation::Severity;

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
            issue_counts: Vec::new(),
        };
        let key = import_key(&id);
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
        let mut doc = self
            .get_doc::<ImportDoc>(Bucket::Data, &import_key(session))?
            .ok_or_else(|| Error::not_found("session", "session-exists", "no import session has this id"))?;
        if doc.issue_counts.is_empty() && !doc.issues.is_empty() {
            // A session of an earlier version counted nothing per rule: its first 200
            // issues are all it knows (its totals, `rejected` and `redacted`, are whole).
            let mut tally = Tally::new(&doc);
            for issue in std::mem::take(&mut doc.issues) {
                tally.count(&issue.rule);
                doc.issues.push(issue);
            }
            doc.issue_counts = tally.counts();
        }
        Ok(doc)
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
            let detail = format!("bytes {offset}..{} rows={} rejected={}", r.offset, r.rows, r.rejected);
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
            return Ok(ChunkResult { consumed: 0, offset, rows: 0, rejected: 0, done: true, issues: Vec::new() });
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
        let parsed = parse_chunk(data, delimiter, doc.options.encoding, first_line, offset == 0, last)?;
        let consumed = parsed.consumed;
        let ctx = minimisation::Context {
            purposes: &purposes,
            minor_age: policy.settings.minor_age(),
            today: time::date_in(self.now, policy.settings.zone()),
        };
        let mut records = parsed.records.into_iter().peekable();
        let mut plan_dropped = None;
        if doc.plan.is_none() {
            match records.next() {
                Some(header) => {
                    if last && records.peek().is_none() {
                        return Err(Error::invalid("data", "no-rows", "the file has a header and no rows"));
                    }
                    plan_dropped = Some(plan_columns(&header.fields, &doc.options, &ctx)?);
                }
                None if last => return Err(Error::invalid("data", "empty-file", "the file has no header")),
                // Nothing but blank lines yet (or not even one whole line): nothing to write.
                None if consumed == 0 => {
                    return Ok(ChunkResult {
                        consumed: 0,
                        offset,
                        rows: 0,
                        rejected: 0,
                        done: false,
                        issues: Vec::new(),
                    });
                }
                None => {}
            }
        } else if last && doc.rows == 0 && records.peek().is_none() {
            // The header came in an earlier chunk and no row ever came: refused as the
            // same file fed whole is (found by the fuzz target `import_feed`).
            return Err(Error::invalid("data", "no-rows", "the file has a header and no rows"));
        }
        let plan = match (&plan_dropped, &doc.plan) {
            (Some((p, _)), _) => p.clone(),
            (None, Some(p)) => p.clone(),
            // Blank lines before the header: consumed, no rows.
            (None, None) => Vec::new(),
        };
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let mut tally = Tally::new(&doc);
        let rejected_before = doc.rejected;
        let mut counts = BTreeMap::<String, (Severity, u64)>::new();
        for f in &doc.findings {
            counts.insert(f.rule.clone(), (f.severity, f.count));
        }
        let mut rows = 0u32;
        let mut prepared = Vec::new();
        let mut checker = minimisation::RecordChecker::default();
        for record in records {
            rows += 1;
            doc.rows += 1;
            match prepare_row(record, &plan, &doc.options, &rules, &ctx, &mut checker, &mut tally, &mut counts) {
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
                            tally.note(RowIssue {
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
                    tally.note(issue);
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
                    tally.note(RowIssue { line: row, ..issue });
                }
            }
        }
        // The lines consumed: up to the end of the last whole record (blank lines included).
        doc.lines += parsed.lines;
        if let Some((p, dropped)) = plan_dropped {
            doc.plan = Some(p);
            doc.dropped = dropped;
        }
        doc.offset = offset + consumed as u64;
        doc.done = last && consumed == data.len();
        doc.updated_at = time::format(self.now);
        doc.findings =
            counts.into_iter().map(|(rule, (severity, count))| RuleCount { rule, severity, count }).collect();
        doc.issue_counts = tally.counts();
        let issues = tally.examples();
        doc.issues.extend(issues.iter().cloned());
        let key = import_key(session);
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
        let rejected = u32::try_from(doc.rejected - rejected_before).unwrap_or(u32::MAX);
        Ok(ChunkResult { consumed: consumed as u64, offset: doc.offset, rows, rejected, done: doc.done, issues })
    }

    /// Write prepared rows, [`ROWS_PER_BATCH`] at a time, and then update the directory
    /// once per shard for the whole chunk. Returns each row's line and outcome.
    fn import_rows(&mut self, actor: &Actor, rows: Vec<PreparedRow>) -> Result<Vec<RowOutcome>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut created = Vec::new();
        let mut rows = rows.into_iter();
        loop {
            let batch: Vec<PreparedRow> = rows.by_ref().take(ROWS_PER_BATCH).collect();
            if batch.is_empty() {
                break;
            }
            self.import_batch(actor, batch, &mut out, &mut created)?;
        }
        let _ = self.index_many(Directory::Customers, &created);
        Ok(out)
    }

    /// Write one batch of rows: each record they touch is read by the compare-and-swap
    /// that will commit it, the aliases, data keys and opposition entries in batched
    /// reads. Every handle begun here is swapped or dropped before it returns: a host
    /// bounds the handles a call holds at once (wasmtime: 100 000 per store), so they
    /// are never begun for a whole chunk. A later batch reads what an earlier one wrote.
    fn import_batch(
        &mut self,
        actor: &Actor,
        rows: Vec<PreparedRow>,
        out: &mut Vec<RowOutcome>,
        created: &mut Vec<String>,
    ) -> Result<()> {
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
            let key = customers::customer_key(&row.sid);
            let (cas, bytes) = self.store.cas_begin(Bucket::Data, &key).map_err(|e| storage_error(Bucket::Data, e))?;
            let k = match &bytes {
                None => Known::Absent,
                Some(b) => {
                    let doc: CustomerDoc = crate::kernel::store::decode(&place(Bucket::Data, &key), b)?;
                    match doc.state {
                        CustomerState::Active => Known::Stored(doc),
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
            .map(|r| customers::alias_key(&r.sid))
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
        let dek_keys: Vec<String> = stored.iter().map(|s| crate::kernel::keys::dek_key(s)).collect();
        let wrapped = self.store.get_many(Bucket::Keys, &dek_keys).map_err(|e| storage_error(Bucket::Keys, e))?;
        let mut deks: HashMap<String, crate::kernel::crypto::DataKey> =
            HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        for ((sid, key), bytes) in stored.iter().zip(&dek_keys).zip(wrapped) {
            let Some(b) = bytes else { return Err(crate::kernel::keys::missing_key(sid)) };
            let w: crate::kernel::keys::WrappedKey = crate::kernel::store::decode(&place(Bucket::Keys, key), &b)?;
            deks.insert((*sid).to_string(), self.open_data_key(sid, &w)?);
        }

        // The opposition list (Art. 21): who objected to direct marketing is not imported
        // again. One batched read per chunk; only an entry still running counts.
        let opposition: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.fields.iter().find(|f| f.name == "email").map(|f| self.opposition_key(&f.value)).transpose())
            .collect::<Result<_>>()?;
        let wanted: Vec<String> = opposition.iter().flatten().cloned().collect();
        let listed = self.store.get_many(Bucket::Data, &wanted).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut opposed = HashSet::default();
        for (key, bytes) in wanted.into_iter().zip(listed) {
            if let Some(b) = bytes {
                let entry: crate::rights::restriction::OppositionEntry =
                    crate::kernel::store::decode(&place(Bucket::Data, &key), &b)?;
                if entry.until.instant() > self.now {
                    opposed.insert(key);
                }
            }
        }

        let now = time::Stamp::from_instant(self.now);
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
                    let body = crate::customers::body::open_body(
                        dek,
                        &row.sid,
                        &customers::customer_key(&row.sid),
                        doc.revision,
                        sealed,
                    )?;
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
            if !crate::customers::fields::apply(&mut body, fields, &[], ChangeReason::Imported, actor, now) {
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
        Ok(())
    }
}

/// A row's line and what became of it.
type RowOutcome = (u64, std::result::Result<Outcome, RowIssue>);

/// What the batch knows of a subject before writing.
pub(super) enum Known {
    Absent,
    Stored(CustomerDoc),
    /// Merged into another record, deleted, or reached through an alias.
    Elsewhere,
}

/// A row ready to write: its normalised fields and the subject it names.
pub(super) struct PreparedRow {
    line: u64,
    sid: String,
    subject: SubjectRef,
    by_email: bool,
    fields: Vec<Field>,
}

/// Check and normalise one row (no storage access). Returns the row and the number of
/// values redacted, or the issue that rejects it.
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare_row(
    record: Record,
    plan: &[ColumnPlan],
    options: &ImportOptions,
    rules: &FieldRules<'_>,
    ctx: &minimisation::Context<'_>,
    checker: &mut minimisation::RecordChecker,
    tally: &mut Tally,
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
                tally.note(RowIssue {
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
pub(super) struct PreparedRowDraft {
    line: u64,
    subject: SubjectRef,
    fields: Vec<Field>,
}

/// A session's issues (rejected rows and redactions): every one counted per rule, and
/// the first of each rule kept as examples, so the report stays the same size whatever
/// the file holds.
pub(super) struct Tally {
    counts: BTreeMap<String, u64>,
    per_rule: u64,
    /// Examples the session kept before this chunk.
    earlier: usize,
    /// This chunk's examples.
    kept: Vec<RowIssue>,
}

impl Tally {
    pub(super) fn new(doc: &ImportDoc) -> Self {
        Self {
            counts: doc.issue_counts.iter().map(|c| (c.rule.clone(), c.count)).collect(),
            per_rule: doc.options.examples_per_rule(),
            earlier: doc.issues.len(),
            kept: Vec::new(),
        }
    }

    /// Count one issue of `rule`; how many there were before it.
    fn count(&mut self, rule: &str) -> u64 {
        match self.counts.get_mut(rule) {
            Some(n) => {
                *n += 1;
                *n - 1
            }
            None => {
                self.counts.insert(rule.to_string(), 1);
                0
            }
        }
    }

    /// Count an issue, and keep it if its rule has fewer examples than asked.
    pub(super) fn note(&mut self, issue: RowIssue) {
        let before = self.count(&issue.rule);
        if before < self.per_rule && self.earlier + self.kept.len() < MAX_EXAMPLES {
            self.kept.push(issue);
        }
    }

    fn counts(&self) -> Vec<IssueCount> {
        self.counts.iter().map(|(rule, count)| IssueCount { rule: rule.clone(), count: *count }).collect()
    }

    /// This chunk's examples, in line order.
    fn examples(mut self) -> Vec<RowIssue> {
        self.kept.sort_by_key(|i| i.line);
        self.kept
    }
}
