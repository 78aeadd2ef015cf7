//! The breach register (GDPR Art. 33(5)): every personal-data breach is documented — its
//! facts, effects and remedial action — whether or not it is notified. The CNIL is told
//! within 72 hours of the controller becoming aware of it unless it is unlikely to result
//! in a risk (Art. 33(1)); the people are told when the risk is high, unless Art. 34(3)
//! applies (Art. 34).
//!
//! Stored: `breaches` — [`BreachRegister`], the commit point of every change (binary only).

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document};
use crate::kernel::time::{self, Instant};
use crate::kernel::types::{Actor, DataCategory, Lang, SubjectRef};
use crate::kernel::validate;

/// Hours the controller has to notify the CNIL (Art. 33(1)).
pub const NOTIFY_HOURS: i64 = 72;
const MAX_BREACHES: usize = 2000;

/// The breach register (Art. 33(5)).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BreachRegister {
    /// Oldest first; ids are their position.
    #[serde(default)]
    pub breaches: Vec<Breach>,
}
document!(BreachRegister, "breaches", 1, binary_only);

/// The key of [`BreachRegister`] in the data bucket.
pub const BREACHES_KEY: &str = "breaches";
/// People told per `notify-people` call.
pub const MAX_NOTICES: usize = 500;

/// What `notify-people` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreachNotices {
    /// The messages queued, one per person.
    pub queued: Vec<String>,
    /// Subject ids with no known e-mail (to reach another way, or erased).
    pub unreachable: Vec<String>,
}

/// What the breach affected (the three kinds the CNIL's form asks about).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreachNature {
    Confidentiality,
    Integrity,
    Availability,
}

/// The controller's assessment of the risk to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreachRisk {
    /// Unlikely to result in a risk: documented, not notified (Art. 33(1)).
    Unlikely,
    /// A risk: the CNIL is notified.
    Risk,
    /// A high risk: the CNIL and the people are told (Art. 34(1)).
    High,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BreachInput {
    /// When the controller became aware of it (starts the 72 hours).
    pub discovered_at: String,
    #[serde(default)]
    pub occurred_at: Option<String>,
    pub nature: Vec<BreachNature>,
    pub description: String,
    pub categories: Vec<DataCategory>,
    /// Approximate numbers (Art. 33(3)(a)).
    pub subjects_approx: u64,
    pub records_approx: u64,
    /// Likely consequences (Art. 33(3)(c)).
    pub consequences: String,
    /// Measures taken or proposed (Art. 33(3)(d)).
    pub measures: String,
    pub risk: BreachRisk,
}

/// The notification to the CNIL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CnilNotification {
    pub at: String,
    #[serde(default)]
    pub reference: Option<String>,
    /// Why it came after the 72 hours (Art. 33(1)); required then.
    #[serde(default)]
    pub delay_reason: Option<String>,
}

/// Whether the people were told (Art. 34), or which Art. 34(3) exception applies. New
/// cases go last: the register is stored in postcard, which numbers the cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeopleInformed {
    /// Told, at this time.
    Told(String),
    /// Not told, and why (a reason outside the three exceptions below, or recorded before
    /// they were).
    NotTold(String),
    /// Art. 34(3)(a): the data are unintelligible to anyone not authorised to see them
    /// (e.g. encrypted, the key safe); how.
    Unintelligible(String),
    /// Art. 34(3)(b): measures taken since make the high risk no longer likely; which.
    LaterMeasures(String),
    /// Art. 34(3)(c): telling each person would take disproportionate effort; a public
    /// communication informs them as effectively instead.
    DisproportionateEffort(Disproportionate),
}

/// Art. 34(3)(c): why telling each person would take disproportionate effort, and the
/// public communication made instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Disproportionate {
    pub reason: String,
    /// Not made yet: the breach shows the communication as due.
    pub public_communication: Option<PublicCommunication>,
}

/// A public communication (Art. 34(3)(c)): when, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PublicCommunication {
    pub at: String,
    /// The medium and place (a notice on the shop's home page, a press release…).
    pub medium: String,
}

impl PeopleInformed {
    /// The Art. 34(3) exception relied on, if any: `a`, `b` or `c`.
    pub fn exception(&self) -> Option<char> {
        match self {
            PeopleInformed::Told(_) | PeopleInformed::NotTold(_) => None,
            PeopleInformed::Unintelligible(_) => Some('a'),
            PeopleInformed::LaterMeasures(_) => Some('b'),
            PeopleInformed::DisproportionateEffort(_) => Some('c'),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BreachChange {
    pub at: String,
    pub actor: Actor,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Breach {
    /// `B-0001`, `B-0002`, …
    pub id: String,
    pub facts: BreachInput,
    /// discovered-at + 72 hours.
    pub deadline: String,
    #[serde(default)]
    pub cnil: Option<CnilNotification>,
    #[serde(default)]
    pub people: Option<PeopleInformed>,
    pub history: Vec<BreachChange>,
}

/// A breach as read, with what the clock says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreachView {
    pub breach: Breach,
    /// The CNIL must be notified (risk) and is not yet.
    pub notification_due: bool,
    /// …and the 72 hours have run out.
    pub overdue: bool,
    /// The people must be told (high risk) and nothing is recorded about it yet: no one
    /// is due once they were told, or an Art. 34(3) exception is recorded.
    pub people_due: bool,
    /// Art. 34(3)(c) is relied on and no public communication is recorded yet.
    pub public_communication_due: bool,
}

fn not_future(field: &str, value: &str, now: Instant) -> Result<Instant> {
    let at = time::parse(field, value)?;
    if at > now + chrono::Duration::minutes(5) {
        return Err(Error::invalid(field, "not-in-future", "a time in the register cannot be in the future"));
    }
    Ok(at)
}

/// A register's instant shown as a day: its calendar date in the shop's `zone`, as
/// `DD/MM/YYYY` (GDPR.md "Time limits": 23:30 UTC on 14 June is 15 June in Paris in
/// summer). The 72-hour clock runs on the instant; only what is shown as a day is the
/// local date. The stored instants are canonical RFC 3339, so an unreadable one (never
/// written) is shown as it is.
pub fn day_shown(instant: &str, zone: time::Zone) -> String {
    match time::parse("at", instant) {
        Ok(t) => {
            let d = time::date_in(t, zone);
            format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
        }
        Err(_) => instant.to_string(),
    }
}

impl BreachInput {
    fn validate(&mut self, now: Instant) -> Result<Instant> {
        let discovered = not_future("input.discovered-at", &self.discovered_at, now)?;
        self.discovered_at = time::format(discovered);
        if let Some(o) = &self.occurred_at {
            let occurred = not_future("input.occurred-at", o, now)?;
            if occurred > discovered {
                return Err(Error::invalid(
                    "input.occurred-at",
                    "before-discovery",
                    "a breach occurs before it is discovered",
                ));
            }
            self.occurred_at = Some(time::format(occurred));
        }
        if self.nature.is_empty() {
            return Err(Error::invalid("input.nature", "non-empty", "say what the breach affected"));
        }
        crate::kernel::sort::sort_dedup_by_key(&mut self.nature, |n| *n);
        validate::text("input.description", &self.description, 4000)?;
        if self.categories.is_empty() {
            return Err(Error::invalid("input.categories", "non-empty", "name the categories of data concerned"));
        }
        crate::kernel::sort::sort_dedup_by_key(&mut self.categories, |c| c.as_str());
        if self.records_approx < self.subjects_approx {
            return Err(Error::invalid(
                "input.records-approx",
                "at-least-subjects",
                "each person concerned has at least one record concerned",
            ));
        }
        validate::text("input.consequences", &self.consequences, 4000)?;
        validate::text("input.measures", &self.measures, 4000)?;
        Ok(discovered)
    }
}

fn deadline_of(discovered: Instant) -> Instant {
    discovered + chrono::Duration::hours(NOTIFY_HOURS)
}

fn view(b: Breach, now: Instant) -> BreachView {
    let deadline = time::parse("deadline", &b.deadline).unwrap_or(now);
    let notification_due = b.facts.risk != BreachRisk::Unlikely && b.cnil.is_none();
    BreachView {
        overdue: notification_due && now > deadline,
        people_due: b.facts.risk == BreachRisk::High && b.people.is_none(),
        public_communication_due: matches!(
            &b.people,
            Some(PeopleInformed::DisproportionateEffort(Disproportionate { public_communication: None, .. }))
        ),
        notification_due,
        breach: b,
    }
}

fn find<'a>(reg: &'a mut BreachRegister, id: &str) -> Result<&'a mut Breach> {
    reg.breaches
        .iter_mut()
        .find(|b| b.id == id)
        .ok_or_else(|| Error::not_found("id", "breach-exists", format!("no breach {id} in the register")))
}

fn check_id(id: &str) -> Result<()> {
    let ok = id.len() == 6 && id.starts_with("B-") && id[2..].chars().all(|c| c.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid("id", "breach-id-syntax", "a breach id looks like B-0001")) }
}

impl<S: Store> Fichier<'_, S> {
    fn breaches(&self) -> Result<BreachRegister> {
        Ok(self.get_doc::<BreachRegister>(Bucket::Data, BREACHES_KEY)?.unwrap_or_default())
    }

    /// Document a breach; returns it with its 72-hour deadline.
    pub fn record_breach(&mut self, actor: &Actor, input: BreachInput) -> Result<BreachView> {
        authorize(actor, Operation::WriteBreaches)?;
        let mut input = input;
        let discovered = input.validate(self.now)?;
        let at = time::format(self.now);
        let b = self.update::<BreachRegister, Breach>(
            Bucket::Data,
            BREACHES_KEY,
            |_, current| {
                let mut reg = current.unwrap_or_default();
                if reg.breaches.len() >= MAX_BREACHES {
                    return Err(Error::invalid("input", "max-breaches", "the register is full; archive it"));
                }
                let b = Breach {
                    id: format!("B-{:04}", reg.breaches.len() + 1),
                    facts: input.clone(),
                    deadline: time::format(deadline_of(discovered)),
                    cnil: None,
                    people: None,
                    history: vec![BreachChange { at: at.clone(), actor: actor.clone(), what: "recorded".into() }],
                };
                reg.breaches.push(b.clone());
                Ok(Some((reg, b)))
            },
            || unreachable!("recording always writes"),
        )?;
        Ok(view(b, self.now))
    }

    /// Correct or complete a breach's facts (the deadline follows the discovery time).
    pub fn update_breach(&mut self, actor: &Actor, id: &str, input: BreachInput) -> Result<BreachView> {
        authorize(actor, Operation::WriteBreaches)?;
        check_id(id)?;
        let mut input = input;
        let discovered = input.validate(self.now)?;
        let at = time::format(self.now);
        self.change_breach(id, |b| {
            if b.facts == input {
                return Ok(false);
            }
            b.facts = input.clone();
            b.deadline = time::format(deadline_of(discovered));
            b.history.push(BreachChange { at: at.clone(), actor: actor.clone(), what: "facts updated".into() });
            Ok(true)
        })
    }

    /// Record the notification to the CNIL.
    pub fn notify_cnil(
        &mut self,
        actor: &Actor,
        id: &str,
        at: &str,
        reference: Option<String>,
        delay_reason: Option<String>,
    ) -> Result<BreachView> {
        authorize(actor, Operation::WriteBreaches)?;
        check_id(id)?;
        let when = not_future("at", at, self.now)?;
        if let Some(r) = &reference {
            validate::printable("reference", r, 100)?;
        }
        if let Some(r) = &delay_reason {
            validate::text("delay-reason", r, 2000)?;
        }
        let now = time::format(self.now);
        self.change_breach(id, |b| {
            let deadline = time::parse("deadline", &b.deadline)?;
            if when < time::parse("discovered-at", &b.facts.discovered_at)? {
                return Err(Error::invalid("at", "after-discovery", "a notification follows the discovery"));
            }
            if when > deadline && delay_reason.is_none() {
                return Err(Error::invalid(
                    "delay-reason",
                    "reason-for-delay",
                    "a notification after 72 hours gives the reasons for the delay (Art. 33(1))",
                ));
            }
            let n = CnilNotification {
                at: time::format(when),
                reference: reference.clone(),
                delay_reason: delay_reason.clone(),
            };
            if b.cnil.as_ref() == Some(&n) {
                return Ok(false);
            }
            b.cnil = Some(n);
            b.history.push(BreachChange { at: now.clone(), actor: actor.clone(), what: "CNIL notified".into() });
            Ok(true)
        })
    }

    /// Record whether the people were told, and when; or why not: which Art. 34(3)
    /// exception applies — (a) the data are unintelligible, (b) later measures make the
    /// high risk no longer likely, (c) disproportionate effort, with the public
    /// communication made instead (when and where; until it is recorded the breach shows
    /// it as due).
    pub fn inform_people(&mut self, actor: &Actor, id: &str, informed: PeopleInformed) -> Result<BreachView> {
        authorize(actor, Operation::WriteBreaches)?;
        check_id(id)?;
        let informed = match informed {
            PeopleInformed::Told(at) => PeopleInformed::Told(time::format(not_future("informed.told", &at, self.now)?)),
            PeopleInformed::NotTold(reason) => {
                validate::text("informed.not-told", &reason, 2000)?;
                PeopleInformed::NotTold(reason)
            }
            PeopleInformed::Unintelligible(how) => {
                validate::text("informed.unintelligible", &how, 2000)?;
                PeopleInformed::Unintelligible(how)
            }
            PeopleInformed::LaterMeasures(which) => {
                validate::text("informed.later-measures", &which, 2000)?;
                PeopleInformed::LaterMeasures(which)
            }
            PeopleInformed::DisproportionateEffort(d) => {
                validate::text("informed.disproportionate-effort.reason", &d.reason, 2000)?;
                let public_communication = match d.public_communication {
                    None => None,
                    Some(p) => {
                        const FIELD: &str = "informed.disproportionate-effort.public-communication";
                        let at = not_future(&format!("{FIELD}.at"), &p.at, self.now)?;
                        validate::text(&format!("{FIELD}.medium"), &p.medium, 500)?;
                        Some(PublicCommunication { at: time::format(at), medium: p.medium })
                    }
                };
                PeopleInformed::DisproportionateEffort(Disproportionate { reason: d.reason, public_communication })
            }
        };
        let zone = self.current_policy()?.settings.zone();
        let now = time::format(self.now);
        self.change_breach(id, |b| {
            if let PeopleInformed::DisproportionateEffort(Disproportionate { public_communication: Some(p), .. }) =
                &informed
                && time::parse("at", &p.at)? < time::parse("discovered-at", &b.facts.discovered_at)?
            {
                return Err(Error::invalid(
                    "informed.disproportionate-effort.public-communication.at",
                    "after-discovery",
                    "a public communication about a breach follows its discovery",
                ));
            }
            if b.people.as_ref() == Some(&informed) {
                return Ok(false);
            }
            let what = match &informed {
                PeopleInformed::Told(_) => "people told".to_string(),
                PeopleInformed::NotTold(_) => "people not told (reason recorded)".to_string(),
                PeopleInformed::Unintelligible(_) => {
                    "people not told: Art. 34(3)(a), the data are unintelligible".to_string()
                }
                PeopleInformed::LaterMeasures(_) => {
                    "people not told: Art. 34(3)(b), later measures make the high risk unlikely".to_string()
                }
                PeopleInformed::DisproportionateEffort(d) => match &d.public_communication {
                    Some(p) => format!(
                        "people not told one by one: Art. 34(3)(c), public communication of {}",
                        day_shown(&p.at, zone)
                    ),
                    None => "people not told one by one: Art. 34(3)(c), public communication to be made".to_string(),
                },
            };
            b.people = Some(informed.clone());
            b.history.push(BreachChange { at: now.clone(), actor: actor.clone(), what });
            Ok(true)
        })
    }

    /// Tell the people (Art. 34): one message per person in the outbox with what Art.
    /// 34(2) requires (the breach's nature, a contact point, its likely consequences, the
    /// measures), sealed under their key, queued in one swap; records that the people were
    /// told. People with no known e-mail are returned as unreachable.
    pub fn notify_people(
        &mut self,
        actor: &Actor,
        id: &str,
        subjects: &[SubjectRef],
        lang: Lang,
    ) -> Result<BreachNotices> {
        authorize(actor, Operation::WriteBreaches)?;
        check_id(id)?;
        if subjects.is_empty() || subjects.len() > MAX_NOTICES {
            return Err(Error::invalid("subjects", "count-1-500", "1 to 500 people per call"));
        }
        let mut sids = Vec::with_capacity(subjects.len());
        for (i, r) in subjects.iter().enumerate() {
            sids.push(self.subject_id(&format!("subjects[{i}]"), r)?);
        }
        let breach = find(&mut self.breaches()?, id)?.clone();
        self.check_master_key(false)?;
        let register = self.registry()?;
        let contact = register
            .organisation
            .as_ref()
            .map(|o| crate::registry::export::contact_label(o.dpo.as_ref().unwrap_or(&o.controller)))
            .ok_or_else(|| {
                Error::not_found(
                    "organisation",
                    "organisation-set",
                    "the register names no controller: Art. 34(2) requires a contact point in the notice",
                )
            })?;
        let f = &breach.facts;
        // The day it happened (or, unknown, was found), as the shop's calendar shows it.
        let zone = self.current_policy()?.settings.zone();
        let when = match (&f.occurred_at, lang) {
            (Some(o), Lang::Fr) => format!("Date de la violation : {}", day_shown(o, zone)),
            (None, Lang::Fr) => format!("Violation constatée le {}", day_shown(&f.discovered_at, zone)),
            (Some(o), Lang::En) => format!("Date of the breach: {}", day_shown(o, zone)),
            (None, Lang::En) => format!("Breach discovered on {}", day_shown(&f.discovered_at, zone)),
        };
        let (title, body) = match lang {
            Lang::Fr => (
                "Information sur une violation de vos données personnelles".to_string(),
                format!(
                    "Bonjour,\n\nNous vous informons d'une violation de données personnelles vous concernant \
                     (article 34 du RGPD).\n\n{when}\n\nCe qui s'est passé : {}\n\nConséquences probables : {}\n\n\
                     Mesures prises ou proposées : {}\n\nPour toute question : {contact}\n",
                    f.description, f.consequences, f.measures
                ),
            ),
            Lang::En => (
                "About a breach of your personal data".to_string(),
                format!(
                    "Hello,\n\nWe are informing you of a personal data breach that concerns you (GDPR Art. 34).\n\n\
                     {when}\n\nWhat happened: {}\n\nLikely consequences: {}\n\nMeasures taken or proposed: {}\n\n\
                     For any question: {contact}\n",
                    f.description, f.consequences, f.measures
                ),
            ),
        };
        let mut out = BreachNotices { queued: Vec::new(), unreachable: Vec::new() };
        let mut messages = Vec::new();
        for (sid, r) in sids.iter().zip(subjects) {
            let email = match self.find_customer("subject", r)? {
                Some(l) => l.body.email().map(str::to_string),
                None => self.load_subject(sid)?.body.email,
            };
            let (Some(to), Some(dek)) = (email, self.data_key(sid, false)?) else {
                out.unreachable.push(sid.clone());
                continue;
            };
            let body = crate::outbox::MessageBody { to, title: title.clone(), body: body.clone() };
            messages.push((sid.clone(), dek, body));
        }
        let messages = messages.iter().map(|(sid, dek, body)| (sid.clone(), dek, None, body.clone())).collect();
        out.queued = self.queue_many(crate::outbox::MessageKind::BreachNotice, messages)?;
        if !out.queued.is_empty() {
            let now = time::format(self.now);
            let n = out.queued.len();
            self.change_breach(id, |b| {
                // An Art. 34(3) exception stays recorded (the record says which applies,
                // Art. 33(5)): telling some people anyway, e.g. those reachable beside a
                // public communication, does not undo it; the history says they were told.
                if matches!(b.people, None | Some(PeopleInformed::NotTold(_))) {
                    b.people = Some(PeopleInformed::Told(now.clone()));
                }
                b.history.push(BreachChange {
                    at: now.clone(),
                    actor: actor.clone(),
                    what: format!("{n} people told through the outbox"),
                });
                Ok(true)
            })?;
        }
        self.audit_one(
            actor,
            "breaches.notify-people",
            id.to_string(),
            format!("queued={} unreachable={}", out.queued.len(), out.unreachable.len()),
        )?;
        Ok(out)
    }

    fn change_breach(&mut self, id: &str, mut f: impl FnMut(&mut Breach) -> Result<bool>) -> Result<BreachView> {
        let out = self.update::<BreachRegister, Option<Breach>>(
            Bucket::Data,
            BREACHES_KEY,
            |_, current| {
                let mut reg = current.unwrap_or_default();
                let b = find(&mut reg, id)?;
                if !f(b)? {
                    return Ok(None);
                }
                let b = b.clone();
                Ok(Some((reg, Some(b))))
            },
            || None,
        )?;
        let b = match out {
            Some(b) => b,
            None => find(&mut self.breaches()?, id)?.clone(),
        };
        Ok(view(b, self.now))
    }

    pub fn get_breach(&mut self, actor: &Actor, id: &str) -> Result<BreachView> {
        authorize(actor, Operation::ReadBreaches)?;
        check_id(id)?;
        Ok(view(find(&mut self.breaches()?, id)?.clone(), self.now))
    }

    /// Every breach, oldest first; `overdue_only` keeps those whose notification is late.
    pub fn list_breaches(&mut self, actor: &Actor, overdue_only: bool) -> Result<Vec<BreachView>> {
        authorize(actor, Operation::ReadBreaches)?;
        let now = self.now;
        Ok(self.breaches()?.breaches.into_iter().map(|b| view(b, now)).filter(|v| !overdue_only || v.overdue).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_72_hours_after_discovery_across_a_clock_change() {
        // 2026-10-23T22:30Z is the Friday before the last Sunday of October (Paris goes
        // from UTC+2 to UTC+1 on the 25th): 72 hours are 72 hours, whatever the zone.
        let d = time::parse("t", "2026-10-23T22:30:00Z").unwrap_or_default();
        assert_eq!(time::format(deadline_of(d)), "2026-10-26T22:30:00.000Z");
        let leap = time::parse("t", "2028-02-27T12:00:00+01:00").unwrap_or_default();
        assert_eq!(time::format(deadline_of(leap)), "2028-03-01T11:00:00.000Z");
    }

    /// The register is stored in postcard, which numbers an enum's cases: the Art. 34(3)
    /// cases come after the two a stored register may already hold, so it still decodes.
    #[test]
    fn the_people_informed_cases_keep_their_stored_numbers() {
        let first = |p: PeopleInformed| postcard::to_allocvec(&p).unwrap_or_default().first().copied();
        assert_eq!(first(PeopleInformed::Told("t".into())), Some(0));
        assert_eq!(first(PeopleInformed::NotTold("n".into())), Some(1));
        assert_eq!(first(PeopleInformed::Unintelligible("a".into())), Some(2));
        assert_eq!(first(PeopleInformed::LaterMeasures("b".into())), Some(3));
        let c = Disproportionate { reason: "c".into(), public_communication: None };
        assert_eq!(first(PeopleInformed::DisproportionateEffort(c)), Some(4));
    }

    /// GDPR.md "Time limits": the calendar date of an instant is its Paris date.
    #[test]
    fn a_day_shown_is_the_paris_date() {
        assert_eq!(day_shown("2026-06-14T23:30:00.000Z", time::DEFAULT_ZONE), "15/06/2026");
        assert_eq!(day_shown("2026-06-14T21:59:59.999Z", time::DEFAULT_ZONE), "14/06/2026");
        assert_eq!(day_shown("2026-12-14T23:30:00.000Z", time::DEFAULT_ZONE), "15/12/2026");
        assert_eq!(day_shown("2026-12-14T22:30:00.000Z", time::DEFAULT_ZONE), "14/12/2026");
    }
}
