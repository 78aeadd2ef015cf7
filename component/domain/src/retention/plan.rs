//! The retention plan (pure: nothing is read or written): which rules of the register
//! apply to each field of a record, when each ends, and what the sweep does about it;
//! then applying the planned entries to the record.

use super::{SweepAction, SweepEntry};
use crate::customers::{AnonymisedField, ArchivedField, ChangeReason, CustomerBody, Field, FieldChange};
use crate::kernel::time::{self, Instant, Stamp, Zone};
use crate::kernel::types::{Actor, DataCategory};
use crate::registry::{Activity, RetentionAction, RetentionRule, RetentionStart, SubjectCategory};

/// One rule that applies to a field, with when it ends (`None`: not computable, so it
/// never ends by itself).
pub(super) struct Ruling<'a> {
    activity: &'a Activity,
    rule: &'a RetentionRule,
    end: Option<Instant>,
}

impl Ruling<'_> {
    /// Still running at `now`: its end is the last millisecond of its last day, so it is
    /// past only after that instant.
    fn runs(&self, now: Instant) -> bool {
        self.end.is_none_or(|e| e >= now)
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
                // The period ends at the end of its last day, in the shop's zone (Reg. 1182/71
                // art. 3): the data is past its limit only from the next midnight.
                let end = time::period_end(self.start(body, f, a, rule.start), rule.months, self.zone);
                out.push(Ruling { activity: a, rule, end });
            }
        }
        out
    }

    /// The legal hold that keeps `f` longest and still runs at `now`: its activity, the
    /// text that imposes it, and when it ends.
    pub(crate) fn legal_hold(&self, body: &CustomerBody, f: &Field) -> Option<(String, String, Instant)> {
        let rulings = self.rulings(body, f);
        let held = rulings.iter().filter(|r| r.rule.legal_hold.is_some() && r.end.is_some_and(|e| e >= self.now));
        let r = last(held)?;
        let text = r.rule.legal_hold.as_ref().map(|h| h.fr.clone()).unwrap_or_default();
        Some((r.activity.definition.id.clone(), text, r.end?))
    }

    fn start(&self, body: &CustomerBody, f: &Field, a: &Activity, start: RetentionStart) -> Instant {
        let at = match start {
            RetentionStart::Collection | RetentionStart::Transaction => f.collected_at,
            RetentionStart::LastContact => {
                // The end of the relationship (référentiel 2021-131): the latest of the
                // collection, a contact the person initiated, a purchase (an order or a
                // payment collected, archived or not), their own consent to one of the
                // activity's purposes and the recorded end of the relationship. A login is
                // none of these: it restarts only the account's inactivity.
                let consented = self
                    .grants
                    .iter()
                    .filter(|(p, _)| a.definition.purposes.iter().any(|ap| &ap.id == p))
                    .map(|(_, at)| *at)
                    .max();
                [Some(f.collected_at), body.last_contact_at, last_purchase(body), consented, body.relationship_ended_at]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(f.collected_at)
            }
            RetentionStart::LastLogin => f.collected_at.max(body.last_login_at.unwrap_or(f.collected_at)),
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

/// Whether an open dispute or claim names the field (it keeps it until closed).
pub(crate) fn disputed(body: &CustomerBody, name: &str) -> bool {
    body.disputes.iter().any(|d| d.fields.iter().any(|x| x == name))
}

/// When the person last bought: the latest order or payment value collected, in use or
/// archived.
fn last_purchase(body: &CustomerBody) -> Option<Stamp> {
    body.fields
        .iter()
        .chain(body.archive.iter().map(|a| &a.field))
        .filter(|f| matches!(f.category, DataCategory::Order | DataCategory::Payment))
        .map(|f| f.collected_at)
        .max()
}

/// The rule among `rulings` that ends last (ties: the first, in register order).
pub(super) fn last<'r, 'a>(rulings: impl Iterator<Item = &'r Ruling<'a>>) -> Option<&'r Ruling<'a>>
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
        if disputed(body, &f.name) {
            // An open dispute keeps it past its rules (Art. 17(3)(e)): archived, no longer
            // used, until the dispute is closed; then deleted as its rules say.
            if let Some(r) = last(rulings.iter()) {
                out.push(r.entry(subject, f, SweepAction::Archive));
            }
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
        // Archived data is never in use again; it stays while a rule or an open dispute
        // keeps it.
        if rulings.iter().any(|r| r.runs(now)) || disputed(body, &f.name) {
            continue;
        }
        match last(rulings.iter()) {
            Some(r) => out.push(r.entry(subject, f, SweepAction::DeleteArchived)),
            // No rule left at all (the activity was retired or changed): the archive's own term.
            None if a.until.instant() < now => out.push(SweepEntry {
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
        let sweeper = Actor { id: "sweep".into(), role: crate::kernel::types::Role::System };
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
pub(super) fn forget_values(body: &mut CustomerBody, name: &str) {
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
