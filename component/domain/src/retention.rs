//! Retention: when each stored value's period ends, what happens then, and the sweep that
//! applies it.
//!
//! The rules are the register's ([`RetentionRule`]): an active activity that declares one
//! of a field's purposes and the field's data category keeps that field for the rule's
//! months from its start. What the rules mean together, for one field:
//!
//! - **In use** while a rule whose action is *delete* or *anonymise* (and that no legal
//!   hold marks) still runs.
//! - **In the intermediate archive** (restricted reading, no processing) while only rules
//!   whose action is *archive*, or legal holds, still run. A hold overrides deletion: data
//!   whose in-use rules ended is archived, not deleted, until the hold ends.
//! - **Then** deleted, or anonymised when the rule that ends last says *anonymise*.
//! - A purpose whose every rule ended is dropped from a field still in use for others.
//! - A field no rule covers is reported, never touched (the register check flags the gap).
//!
//! When a rule starts: *collection* and *transaction* at the field's collection; *last
//! contact* at the latest of the collection, the last contact the person initiated
//! (`customers.record-event`) and the person's last consent given for one of the activity's
//! purposes; *end of contract* at the latest of the recorded end of the relationship, the
//! last contact and the last value collected (an order, a payment, a rectification): an
//! imported record counts from the dates it brought, not from the import.
//!
//! A person whose prospecting data (an activity about prospects, counted from the last
//! contact) ends within the notice window is listed once for a re-permission request,
//! which the sweep queues to them in the outbox.
//!
//! The sweep walks the customer file by pages. Each subject changes with one
//! compare-and-swap of its record (deleted whole when nothing is left), so an interrupted
//! sweep leaves every record either before or after, and a second run plans only what is
//! still due.

use crate::Fichier;
use crate::audit::AuditDraft;
use crate::authz::{Operation, authorize};
use crate::customers::{AnonymisedField, ArchivedField, ChangeReason, CustomerBody, Field, FieldChange, Loaded};
use crate::docs::{self, CustomerDoc, CustomerState};
use crate::error::{Error, Result};
use crate::maintenance::Directory;
use crate::model::{Actor, DataCategory, Decision, GivenBy};
use crate::registry::{Activity, RetentionAction, RetentionRule, RetentionStart, SubjectCategory};
use crate::service::place;
use crate::store::{Bucket, Store};
use crate::time::{self, Instant, Stamp, Zone};

/// What the sweep does (or, in a dry run, would do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SweepAction {
    /// Delete a field in use, its value and the values in its history.
    Delete,
    /// Replace a field in use by a coarser form (or delete it when it has none).
    Anonymise,
    /// Move a field to the intermediate archive.
    Archive,
    /// Delete a field from the intermediate archive.
    DeleteArchived,
    /// Stop using a field for a purpose whose retention ended.
    EndPurpose,
    /// Delete the whole record: nothing in use nor archived is left.
    DeleteRecord,
    /// Ask the person once to renew their consent before their prospecting data ends.
    Repermission,
    /// No rule covers the field: reported, not touched.
    NoRule,
    /// The record's processing is restricted (Art. 18): only stored, not swept.
    Restricted,
}

impl SweepAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SweepAction::Delete => "delete",
            SweepAction::Anonymise => "anonymise",
            SweepAction::Archive => "archive",
            SweepAction::DeleteArchived => "delete-archived",
            SweepAction::EndPurpose => "end-purpose",
            SweepAction::DeleteRecord => "delete-record",
            SweepAction::Repermission => "repermission",
            SweepAction::NoRule => "no-rule",
            SweepAction::Restricted => "restricted",
        }
    }
}

/// One thing the sweep does, to whom and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepEntry {
    pub subject: String,
    /// The field (none for a whole-record deletion or a re-permission).
    pub field: Option<String>,
    pub category: Option<DataCategory>,
    pub action: SweepAction,
    /// The activity whose rule decides.
    pub activity: Option<String>,
    /// For `end-purpose` and `repermission`: the purpose concerned.
    pub purpose: Option<String>,
    /// The rule that decides.
    pub rule: Option<RetentionRule>,
    /// When that rule's period ended (for a re-permission: when it will end).
    pub due: Option<Stamp>,
}

/// How to run the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepOptions {
    /// `false`: a dry run: nothing changes (the audit log records the read).
    pub apply: bool,
    /// Start after this subject id (the previous page's `next`).
    pub cursor: Option<String>,
    /// Records per page, 1–1000.
    pub limit: u32,
    /// How many days before a prospect's data ends the re-permission request is listed, 1–365.
    pub repermission_days: u32,
}

/// One page of the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepReport {
    pub entries: Vec<SweepEntry>,
    /// Records read on this page.
    pub scanned: u32,
    /// Records written (changed or deleted) on this page; 0 in a dry run.
    pub changed: u32,
    /// The cursor of the next page (`none`: done).
    pub next: Option<String>,
    pub applied: bool,
}

/// One rule that applies to a field, with when it ends (`None`: not computable, so it
/// never ends by itself).
struct Ruling<'a> {
    activity: &'a Activity,
    rule: &'a RetentionRule,
    end: Option<Instant>,
}

impl Ruling<'_> {
    fn runs(&self, now: Instant) -> bool {
        self.end.is_none_or(|e| e > now)
    }
    /// Rules that keep data in use (the others keep it only in the archive).
    fn in_use(&self) -> bool {
        self.rule.legal_hold.is_none() && self.rule.action != RetentionAction::Archive
    }
    /// Later end first; `None` (never) is the latest.
    fn later(&self, other: &Self) -> bool {
        match (self.end, other.end) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => a > b,
            _ => false,
        }
    }
    fn entry(&self, subject: &str, f: &Field, action: SweepAction) -> SweepEntry {
        SweepEntry {
            subject: subject.into(),
            field: Some(f.name.clone()),
            category: Some(f.category),
            action,
            activity: Some(self.activity.definition.id.clone()),
            purpose: None,
            rule: Some(self.rule.clone()),
            due: self.end.map(Stamp::from_instant),
        }
    }
}

/// The consent a person gave, by purpose: when they last granted it themselves.
pub type Grants = Vec<(String, Stamp)>;

/// What the sweep needs besides the record.
pub struct Context<'a> {
    pub activities: &'a [Activity],
    pub grants: Grants,
    pub now: Instant,
    pub zone: Zone,
    pub repermission_days: u32,
}

impl Context<'_> {
    /// The rules that apply to `f`, each with its end.
    fn rulings(&self, body: &CustomerBody, f: &Field) -> Vec<Ruling<'_>> {
        let mut out = Vec::new();
        for a in self.activities.iter().filter(|a| a.retired.is_none()) {
            let d = &a.definition;
            if !d.purposes.iter().any(|p| f.purposes.contains(&p.id)) {
                continue;
            }
            for rule in d.retention.iter().filter(|r| r.category == f.category) {
                let end = time::add_months(self.start(body, f, a, rule.start), rule.months, self.zone);
                out.push(Ruling { activity: a, rule, end });
            }
        }
        out
    }

    /// The legal hold that keeps `f` longest and still runs at `now`: its activity, the
    /// text that imposes it, and when it ends.
    pub(crate) fn legal_hold(&self, body: &CustomerBody, f: &Field) -> Option<(String, String, Instant)> {
        let rulings = self.rulings(body, f);
        let held = rulings.iter().filter(|r| r.rule.legal_hold.is_some() && r.end.is_some_and(|e| e > self.now));
        let r = last(held)?;
        let text = r.rule.legal_hold.as_ref().map(|h| h.fr.clone()).unwrap_or_default();
        Some((r.activity.definition.id.clone(), text, r.end?))
    }

    fn start(&self, body: &CustomerBody, f: &Field, a: &Activity, start: RetentionStart) -> Instant {
        let at = match start {
            RetentionStart::Collection | RetentionStart::Transaction => f.collected_at,
            RetentionStart::LastContact => {
                let consented = self
                    .grants
                    .iter()
                    .filter(|(p, _)| a.definition.purposes.iter().any(|ap| &ap.id == p))
                    .map(|(_, at)| *at)
                    .max();
                f.collected_at
                    .max(body.last_contact_at.unwrap_or(f.collected_at))
                    .max(consented.unwrap_or(f.collected_at))
            }
            RetentionStart::EndOfContract => {
                // The latest of the recorded end and the last signs of the relationship: a
                // contact, a value collected (an order, a payment, a rectification).
                let collected =
                    body.fields.iter().chain(body.archive.iter().map(|a| &a.field)).map(|f| f.collected_at).max();
                [body.relationship_ended_at, body.last_contact_at, collected]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(body.created_at)
            }
        };
        at.instant()
    }
}

/// The rule among `rulings` that ends last (ties: the first, in register order).
fn last<'r, 'a>(rulings: impl Iterator<Item = &'r Ruling<'a>>) -> Option<&'r Ruling<'a>>
where
    'a: 'r,
{
    rulings.fold(None, |best: Option<&Ruling>, r| match best {
        Some(b) if !r.later(b) => Some(b),
        _ => Some(r),
    })
}

/// What the sweep does to one subject's record (pure: nothing is read or written).
pub fn plan(subject: &str, body: &CustomerBody, cx: &Context<'_>) -> Vec<SweepEntry> {
    let now = cx.now;
    let mut out = Vec::new();
    if body.restriction.is_some() {
        out.push(SweepEntry {
            subject: subject.into(),
            field: None,
            category: None,
            action: SweepAction::Restricted,
            activity: None,
            purpose: None,
            rule: None,
            due: None,
        });
        return out;
    }
    let mut repermission: Option<SweepEntry> = None;
    for f in &body.fields {
        let rulings = cx.rulings(body, f);
        if rulings.is_empty() {
            out.push(SweepEntry {
                subject: subject.into(),
                field: Some(f.name.clone()),
                category: Some(f.category),
                action: SweepAction::NoRule,
                activity: None,
                purpose: None,
                rule: None,
                due: None,
            });
            continue;
        }
        if rulings.iter().any(|r| r.in_use() && r.runs(now)) {
            // In use: purposes whose every rule ended are dropped.
            for p in &f.purposes {
                let mine: Vec<&Ruling> =
                    rulings.iter().filter(|r| r.activity.definition.purposes.iter().any(|ap| &ap.id == p)).collect();
                if !mine.is_empty()
                    && mine.iter().all(|r| !r.runs(now))
                    && let Some(r) = last(mine.into_iter())
                {
                    out.push(SweepEntry { purpose: Some(p.clone()), ..r.entry(subject, f, SweepAction::EndPurpose) });
                }
            }
            // Prospecting data about to end: one re-permission request.
            let window = chrono::Duration::days(i64::from(cx.repermission_days));
            for r in rulings.iter().filter(|r| r.in_use() && r.runs(now)) {
                let d = &r.activity.definition;
                let prospecting =
                    r.rule.start == RetentionStart::LastContact && d.subjects.contains(&SubjectCategory::Prospects);
                let Some(end) = r.end else { continue };
                let asked = body.repermission_asked_at.is_some_and(|a| a.instant() + window >= end);
                if prospecting && !asked && end - window <= now {
                    let earlier = repermission.as_ref().is_none_or(|e| e.due.is_some_and(|d| d.instant() > end));
                    if earlier {
                        let purpose = d.purposes.iter().find(|p| f.purposes.contains(&p.id)).map(|p| p.id.clone());
                        repermission = Some(SweepEntry {
                            field: None,
                            category: None,
                            purpose,
                            ..r.entry(subject, f, SweepAction::Repermission)
                        });
                    }
                }
            }
            continue;
        }
        if let Some(r) = last(rulings.iter().filter(|r| !r.in_use() && r.runs(now))) {
            out.push(r.entry(subject, f, SweepAction::Archive));
            continue;
        }
        if let Some(r) = last(rulings.iter()) {
            let action =
                if r.rule.action == RetentionAction::Anonymise { SweepAction::Anonymise } else { SweepAction::Delete };
            out.push(r.entry(subject, f, action));
        }
    }
    for a in &body.archive {
        let f = &a.field;
        let rulings = cx.rulings(body, f);
        // Archived data is never in use again; it stays while a rule keeps it.
        if rulings.iter().any(|r| r.runs(now)) {
            continue;
        }
        match last(rulings.iter()) {
            Some(r) => out.push(r.entry(subject, f, SweepAction::DeleteArchived)),
            // No rule left at all (the activity was retired or changed): the archive's own term.
            None if a.until.instant() <= now => out.push(SweepEntry {
                subject: subject.into(),
                field: Some(f.name.clone()),
                category: Some(f.category),
                action: SweepAction::DeleteArchived,
                activity: Some(a.activity.clone()),
                purpose: None,
                rule: None,
                due: Some(a.until),
            }),
            None => {}
        }
    }
    out.extend(repermission);
    let mut after = body.clone();
    let touches = out
        .iter()
        .any(|e| !matches!(e.action, SweepAction::NoRule | SweepAction::Repermission | SweepAction::Restricted));
    if touches {
        let sweeper = Actor { id: "sweep".into(), role: crate::model::Role::System };
        apply(&mut after, &out, &sweeper, Stamp::from_instant(now));
        if after.is_empty() {
            out.push(SweepEntry {
                subject: subject.into(),
                field: None,
                category: None,
                action: SweepAction::DeleteRecord,
                activity: None,
                purpose: None,
                rule: None,
                due: None,
            });
        }
    }
    out
}

/// The audit entries of planned actions (what is only reported is not audited).
fn drafts(entries: &[SweepEntry]) -> Vec<AuditDraft> {
    entries
        .iter()
        .filter(|e| !matches!(e.action, SweepAction::NoRule | SweepAction::Restricted))
        .map(|e| {
            let mut detail = Vec::new();
            if let Some(f) = &e.field {
                detail.push(format!("field={f}"));
            }
            if let Some(p) = &e.purpose {
                detail.push(format!("purpose={p}"));
            }
            if let Some(a) = &e.activity {
                detail.push(format!("activity={a}"));
            }
            if let Some(r) = &e.rule {
                let hold = if r.legal_hold.is_some() { " hold" } else { "" };
                let start = match r.start {
                    RetentionStart::Collection => "collection",
                    RetentionStart::LastContact => "last-contact",
                    RetentionStart::EndOfContract => "end-of-contract",
                    RetentionStart::Transaction => "transaction",
                };
                detail.push(format!("rule={}:{}m:{start}{hold}", r.category.as_str(), r.months));
            }
            if let Some(d) = e.due {
                detail.push(format!("due={d}"));
            }
            AuditDraft {
                action: format!("retention.{}", e.action.as_str()),
                target: e.subject.clone(),
                detail: detail.join(" "),
            }
        })
        .collect()
}

/// The coarse form a field keeps once anonymised, if it has one: a year of birth, a
/// département, a country.
pub fn coarse(name: &str, value: &str) -> Option<String> {
    match name {
        "birth-date" => value.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit())).map(str::to_string),
        "postal-code" if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) => {
            let n = if value.starts_with("97") || value.starts_with("98") { 3 } else { 2 };
            Some(value[..n].to_string())
        }
        "country" => Some(value.to_string()),
        _ => None,
    }
}

/// Remove a field's values from the history (the entries stay: who, when, why).
fn forget_values(body: &mut CustomerBody, name: &str) {
    for c in body.history.iter_mut().filter(|c| c.field == name) {
        c.previous = None;
        c.value = None;
    }
}

/// Apply planned entries to a record. Returns whether anything changed.
pub fn apply(body: &mut CustomerBody, entries: &[SweepEntry], by: &Actor, now: Stamp) -> bool {
    let mut changed = false;
    let note = |body: &mut CustomerBody, field: &str, reason| {
        body.history.push(FieldChange {
            field: field.into(),
            previous: None,
            value: None,
            reason,
            at: now,
            by: by.clone(),
            from_subject: None,
        });
    };
    for e in entries {
        let Some(name) = e.field.as_deref() else {
            if e.action == SweepAction::Repermission {
                body.repermission_asked_at = Some(now);
                changed = true;
            }
            continue;
        };
        match e.action {
            SweepAction::Delete | SweepAction::Anonymise | SweepAction::Archive => {
                let Some(i) = body.fields.iter().position(|f| f.name == name) else { continue };
                let f = body.fields.remove(i);
                forget_values(body, name);
                if name == "email" {
                    body.email_bounced_at = None;
                }
                let reason = match e.action {
                    SweepAction::Archive => {
                        let until = e.due.unwrap_or(now);
                        let activity = e.activity.clone().unwrap_or_default();
                        body.archive.push(ArchivedField { field: f, archived_at: now, until, activity });
                        ChangeReason::Archived
                    }
                    SweepAction::Anonymise => match coarse(&f.name, &f.value) {
                        Some(value) => {
                            body.anonymised.retain(|a| a.name != f.name);
                            body.anonymised.push(AnonymisedField {
                                name: f.name,
                                category: f.category,
                                value,
                                at: now,
                            });
                            ChangeReason::Anonymised
                        }
                        None => ChangeReason::Expired,
                    },
                    _ => ChangeReason::Expired,
                };
                note(body, name, reason);
                changed = true;
            }
            SweepAction::DeleteArchived => {
                let before = body.archive.len();
                body.archive.retain(|a| a.field.name != name);
                if body.archive.len() != before {
                    forget_values(body, name);
                    note(body, name, ChangeReason::Expired);
                    changed = true;
                }
            }
            SweepAction::EndPurpose => {
                let Some(p) = e.purpose.as_deref() else { continue };
                if let Some(f) = body.fields.iter_mut().find(|f| f.name == name)
                    && let Some(i) = f.purposes.iter().position(|x| x == p)
                {
                    f.purposes.remove(i);
                    changed = true;
                }
            }
            SweepAction::DeleteRecord | SweepAction::Repermission | SweepAction::NoRule | SweepAction::Restricted => {}
        }
    }
    if changed {
        body.updated_at = now;
    }
    changed
}

impl<S: Store> Fichier<'_, S> {
    /// One page of the retention sweep (a dry run unless `options.apply`).
    pub fn sweep(&mut self, actor: &Actor, options: &SweepOptions) -> Result<SweepReport> {
        authorize(actor, Operation::Sweep)?;
        if !(1..=365).contains(&options.repermission_days) {
            return Err(Error::invalid("options.repermission-days", "range-1-365", "1 to 365 days"));
        }
        let register = self.registry()?;
        let policy = self.current_policy()?;
        let (page, next) = self.page(options.cursor.as_deref(), options.limit)?;
        let zone = policy.settings.zone();
        let mut report =
            SweepReport { entries: Vec::new(), scanned: page.len() as u32, changed: 0, next, applied: options.apply };
        let now = Stamp::from_instant(self.now);
        if options.cursor.is_none() {
            // A run's first page also ends the holds that kept erased people's data.
            let ended: Vec<SweepEntry> = self
                .expire_holds(false)?
                .into_iter()
                .map(|h| SweepEntry {
                    subject: h.subject,
                    field: Some(h.field),
                    category: Some(h.category),
                    action: SweepAction::DeleteArchived,
                    activity: Some(h.rule),
                    purpose: None,
                    rule: None,
                    due: Some(h.until),
                })
                .collect();
            if options.apply && !ended.is_empty() {
                self.audit(actor, drafts(&ended))?;
                self.expire_holds(true)?;
            }
            report.entries.extend(ended);
        }
        let (activities, instant, days) = (&register.activities[..], self.now, options.repermission_days);
        let context = |grants| Context { activities, grants, now: instant, zone, repermission_days: days };
        let mut planned = Vec::with_capacity(page.len());
        for loaded in page {
            let cx = context(self.grants(&loaded.sid)?);
            let entries = plan(&loaded.sid, &loaded.body, &cx);
            planned.push((loaded, cx, entries));
        }
        if !options.apply {
            let detail = format!(
                "dry run: {} records from {}",
                report.scanned,
                options.cursor.as_deref().unwrap_or("the start")
            );
            self.audit(
                actor,
                vec![AuditDraft { action: "retention.dry-run".into(), target: "customers".into(), detail }],
            )?;
            report.entries.extend(planned.into_iter().flat_map(|(_, _, e)| e));
            return Ok(report);
        }
        // Every action of the page is audited before any is made; re-permission requests
        // are queued before the record notes them (at least once: a crash in between
        // sends the request again rather than never).
        self.audit(actor, planned.iter().flat_map(|(_, _, e)| drafts(e)).collect())?;
        for (loaded, _, entries) in &planned {
            for e in entries.iter().filter(|e| e.action == SweepAction::Repermission) {
                self.ask_repermission(&register.activities, loaded, e, zone)?;
            }
        }
        for (loaded, cx, entries) in planned {
            let (changed, entries) = self.sweep_one(actor, loaded, entries, &cx, now)?;
            report.changed += u32::from(changed);
            report.entries.extend(entries);
        }
        Ok(report)
    }

    /// Apply a subject's planned entries with one compare-and-swap; when the record moved
    /// since it was read, plan again (and audit the new plan) from what is stored.
    fn sweep_one(
        &mut self,
        actor: &Actor,
        loaded: Loaded,
        entries: Vec<SweepEntry>,
        cx: &Context<'_>,
        now: Stamp,
    ) -> Result<(bool, Vec<SweepEntry>)> {
        let sid = loaded.sid.clone();
        let (mut l, mut entries) = (loaded, entries);
        for _ in 0..crate::service::CAS_ATTEMPTS {
            let mut body = l.body.clone();
            if !apply(&mut body, &entries, actor, now) {
                return Ok((false, entries));
            }
            let outcome = if body.is_empty() {
                self.delete_swept(&sid, l.doc.revision)
            } else {
                let dek = self.existing_data_key(&sid)?;
                self.commit_customer_only(&sid, Some(l.doc.revision), body, &dek, None).map(|_| ())
            };
            match outcome {
                Err(Error::Conflict(e)) if e.rule == "revision" => {}
                Err(e) => return Err(e),
                Ok(()) => return Ok((true, entries)),
            }
            let Some(fresh) = self.load_active(&sid)? else { return Ok((false, Vec::new())) };
            l = fresh;
            entries = plan(&sid, &l.body, cx);
            self.audit(actor, drafts(&entries))?;
        }
        Err(Error::conflict("subject", "compare-and-swap", "a record keeps changing; run the sweep again"))
    }

    /// Queue the one re-permission request of `e` to the person (when an e-mail is known).
    fn ask_repermission(&mut self, activities: &[Activity], loaded: &Loaded, e: &SweepEntry, zone: Zone) -> Result<()> {
        let Some(to) = loaded.body.email() else { return Ok(()) };
        let what = activities
            .iter()
            .flat_map(|a| a.definition.purposes.iter())
            .find(|p| Some(&p.id) == e.purpose.as_ref())
            .map_or_else(|| e.purpose.clone().unwrap_or_default(), |p| p.description.fr.clone());
        let day = e.due.map_or_else(String::new, |d| {
            use chrono::Datelike;
            let n = time::date_in(d.instant(), zone);
            format!("{:02}/{:02}/{}", n.day(), n.month(), n.year())
        });
        let body = format!(
            "Bonjour,\n\nVous nous avez donné votre accord pour : {what}.\n\nSans nouvelle de votre part, nous \
             cesserons le {day} et effacerons les données gardées à cette seule fin. Pour continuer, il suffit de \
             nous le confirmer, depuis votre compte ou en répondant à ce message.\n"
        );
        let message = crate::rights::MessageBody {
            to: to.to_string(),
            title: "Souhaitez-vous continuer à recevoir nos offres ?".into(),
            body,
        };
        let dek = self.existing_data_key(&loaded.sid)?;
        self.queue(&loaded.sid, &dek, crate::rights::MessageKind::Repermission, None, message)?;
        Ok(())
    }

    /// The consent a subject granted themselves, by purpose: the latest grant of each.
    pub(crate) fn grants(&mut self, sid: &str) -> Result<Grants> {
        let head = self.load_subject(sid)?;
        let mut out: Grants = Vec::new();
        for r in head.body.receipts.iter().filter(|r| r.decision == Decision::Grant && r.given_by == GivenBy::Subject) {
            let at = Stamp::from_instant(time::parse("receipt.at", &r.at)?);
            match out.iter_mut().find(|(p, _)| p == &r.purpose) {
                Some((_, t)) => *t = (*t).max(at),
                None => out.push((r.purpose.clone(), at)),
            }
        }
        Ok(out)
    }

    /// A record emptied by the sweep: deleted at the revision it was planned against.
    fn delete_swept(&mut self, sid: &str, seen: u32) -> Result<()> {
        let key = docs::customer_key(sid);
        let sid_owned = sid.to_string();
        self.update::<CustomerDoc, ()>(
            Bucket::Data,
            &key,
            |_, current| match current {
                Some(d) if d.state == CustomerState::Active && d.revision == seen => Ok(Some((
                    CustomerDoc {
                        subject: d.subject,
                        revision: d.revision + 1,
                        state: CustomerState::Deleted,
                        sealed: None,
                    },
                    (),
                ))),
                _ => Err(Error::conflict(
                    place(Bucket::Data, &docs::customer_key(&sid_owned)),
                    "revision",
                    "the record changed during the sweep",
                )),
            },
            || (),
        )?;
        let _ = self.unindex_in(Directory::Customers, sid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::registry::Activity;

    fn stamp(t: &str) -> Stamp {
        Stamp::from_instant(time::parse("t", t).expect("valid"))
    }

    /// One activity keeping contact data `months` from collection, then deleting it.
    fn activity(months: u32) -> Activity {
        let mut a = crate::registry_defaults::shop().remove(0);
        a.retention = vec![RetentionRule {
            category: DataCategory::Contact,
            months,
            start: RetentionStart::Collection,
            action: RetentionAction::Delete,
            legal_hold: None,
        }];
        Activity {
            definition: a,
            revision: 1,
            retired: None,
            created_at: "2020-01-01T00:00:00.000Z".into(),
            changed_at: "2020-01-01T00:00:00.000Z".into(),
            changed_by: Actor { id: "a".into(), role: Role::Admin },
        }
    }

    /// Due dates on the Paris calendar: the same local date and wall time N months on, or
    /// that month's last day; across clock changes the wall time is kept.
    #[test]
    fn due_dates_follow_the_shop_calendar() {
        let table = [
            // (collected, months, due)
            ("2024-02-29T09:00:00Z", 12, "2025-02-28T09:00:00.000Z"),
            ("2024-02-29T09:00:00Z", 48, "2028-02-29T09:00:00.000Z"),
            ("2023-01-31T11:00:00Z", 1, "2023-02-28T11:00:00.000Z"),
            ("2023-03-31T10:00:00Z", 1, "2023-04-30T10:00:00.000Z"),
            // 31 May 23:30 UTC is 1 June 01:30 in Paris: one month on is 1 July.
            ("2023-05-31T23:30:00Z", 1, "2023-06-30T23:30:00.000Z"),
            // 10:00 in Paris in winter (09:00 UTC) is 10:00 in summer (08:00 UTC).
            ("2023-01-15T09:00:00Z", 6, "2023-07-15T08:00:00.000Z"),
            // 02:30 summer time, 26 October 2024; one year on, 26 October 2025 is the day
            // clocks go back and 02:30 happens twice: the first (summer time) counts.
            ("2024-10-26T00:30:00Z", 12, "2025-10-26T00:30:00.000Z"),
            // 02:30 winter time, 30 March 2024; on 30 March 2025 clocks go forward and
            // 02:30 does not exist: read with the offset before the change (03:30 summer).
            ("2024-03-30T01:30:00Z", 12, "2025-03-30T01:30:00.000Z"),
        ];
        for (collected, months, due) in table {
            let activities = [activity(months)];
            let cx = Context {
                activities: &activities,
                grants: Vec::new(),
                now: time::parse("now", "2040-01-01T00:00:00Z").expect("now"),
                zone: time::DEFAULT_ZONE,
                repermission_days: 30,
            };
            let planned = plan("s-x", &crate::customers::phone_record(stamp(collected)), &cx);
            assert_eq!(planned[0].due.map(|d| d.to_string()).as_deref(), Some(due), "{collected} + {months}");
            assert_eq!(planned[0].action, SweepAction::Delete);
            assert_eq!(planned.last().map(|e| e.action), Some(SweepAction::DeleteRecord));
        }
    }
}
