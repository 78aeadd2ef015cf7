//! The organisation and the activities of the register: validation of every Art. 30(1)
//! field, changes (create, update, retire) recorded with who changed which fields when,
//! and the e-shop defaults loaded on request.

use super::{
    Activity, ActivityInput, ChangeAction, LawfulBasis, Organisation, REGISTRY_KEY, RegistryChange, RegistryDoc,
    RetentionAction, Retirement, SecurityMeasure, SubjectCategory,
};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::types::Actor;
use crate::kernel::{time, validate};

pub(super) const MAX_ACTIVITIES: usize = 200;
pub(super) const MAX_ITEMS: usize = 64;
pub(super) const MAX_TEXT: usize = 2000;
/// EU and EEA countries: a transfer is to a country outside these.
pub(super) const EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
];

pub(super) fn items<T>(field: &str, list: &[T], min: usize) -> Result<()> {
    if list.len() < min {
        return Err(Error::invalid(field, "non-empty", "give at least one"));
    }
    if list.len() > MAX_ITEMS {
        return Err(Error::invalid(field, "max-items", format!("at most {MAX_ITEMS}")));
    }
    Ok(())
}

/// An activity id: 1–64 of `a-z 0-9 -`, starting with a letter.
pub fn activity_id(field: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "activity-id-syntax", "1–64 of a-z, 0-9 and '-', starting with a letter"))
    }
}

impl ActivityInput {
    fn validate(&mut self) -> Result<()> {
        activity_id("input.id", &self.id)?;
        self.name.validate("input.name", 200)?;
        if let Some(j) = &mut self.joint_controller {
            j.validate("input.joint-controller")?;
        }
        items("input.purposes", &self.purposes, 1)?;
        for (i, p) in self.purposes.iter().enumerate() {
            let at = format!("input.purposes[{i}]");
            validate::purpose_id(&format!("{at}.id"), &p.id)?;
            if self.purposes[..i].iter().any(|o| o.id == p.id) {
                return Err(Error::invalid(format!("{at}.id"), "unique", "a purpose appears once per activity"));
            }
            p.description.validate(&format!("{at}.description"), MAX_TEXT)?;
            match (&p.legitimate_interest, p.basis) {
                (None, LawfulBasis::LegitimateInterests) => {
                    return Err(Error::invalid(
                        format!("{at}.legitimate-interest"),
                        "stated-when-legitimate-interests",
                        "state the legitimate interest relied on (Art. 13(1)(d))",
                    ));
                }
                (Some(li), LawfulBasis::LegitimateInterests) => {
                    li.validate(&format!("{at}.legitimate-interest"), MAX_TEXT)?;
                }
                (Some(_), _) => {
                    return Err(Error::invalid(
                        format!("{at}.legitimate-interest"),
                        "only-with-legitimate-interests",
                        "a legitimate interest is stated only for the legitimate-interests basis",
                    ));
                }
                (None, _) => {}
            }
            if let Some(pr) = &p.provision {
                pr.validate(&format!("{at}.provision"), MAX_TEXT)?;
            }
        }
        items("input.subjects", &self.subjects, 1)?;
        for (i, s) in self.subjects.iter().enumerate() {
            if let SubjectCategory::Other(l) = s {
                l.validate(&format!("input.subjects[{i}].other"), 200)?;
            }
            if self.subjects[..i].contains(s) {
                return Err(Error::invalid(format!("input.subjects[{i}]"), "unique", "a category appears once"));
            }
        }
        items("input.data", &self.data, 1)?;
        for (i, d) in self.data.iter().enumerate() {
            d.description.validate(&format!("input.data[{i}].description"), MAX_TEXT)?;
            if self.data[..i].iter().any(|o| o.category == d.category) {
                return Err(Error::invalid(
                    format!("input.data[{i}].category"),
                    "unique",
                    "a data category appears once per activity; describe it all in one entry",
                ));
            }
        }
        items("input.recipients", &self.recipients, 0)?;
        for (i, r) in self.recipients.iter().enumerate() {
            r.name.validate(&format!("input.recipients[{i}].name"), 200)?;
        }
        items("input.transfers", &self.transfers, 0)?;
        for (i, t) in self.transfers.iter_mut().enumerate() {
            let at = format!("input.transfers[{i}]");
            validate::printable(&format!("{at}.recipient"), &t.recipient, 200)?;
            validate::country(&format!("{at}.country"), &t.country)?;
            if EEA.contains(&t.country.as_str()) {
                return Err(Error::invalid(
                    format!("{at}.country"),
                    "outside-eea",
                    "a transfer is to a country outside the EU/EEA; list EU/EEA recipients under recipients",
                ));
            }
            if let Some(d) = &t.details {
                d.validate(&format!("{at}.details"), MAX_TEXT)?;
            }
        }
        items("input.retention", &self.retention, 0)?;
        for (i, r) in self.retention.iter().enumerate() {
            let at = format!("input.retention[{i}]");
            if !(1..=1200).contains(&r.months) {
                return Err(Error::invalid(format!("{at}.months"), "range-1-1200", "1 to 1200 months"));
            }
            if !self.data.iter().any(|d| d.category == r.category) {
                return Err(Error::invalid(
                    format!("{at}.category"),
                    "declared-category",
                    "a retention rule is for a data category the activity declares",
                ));
            }
            if self.retention[..i].iter().any(|o| o.category == r.category) {
                return Err(Error::invalid(format!("{at}.category"), "unique", "one retention rule per category"));
            }
            if let Some(h) = &r.legal_hold {
                h.validate(&format!("{at}.legal-hold"), 500)?;
                if r.action == RetentionAction::Delete && r.months < 12 {
                    // Holds are statutory periods counted in years; a short one is a typo.
                    return Err(Error::invalid(
                        format!("{at}.months"),
                        "legal-hold-period",
                        "a legal hold runs for at least 12 months",
                    ));
                }
            }
        }
        items("input.security", &self.security, 1)?;
        for (i, s) in self.security.iter().enumerate() {
            if let SecurityMeasure::Other(l) = s {
                l.validate(&format!("input.security[{i}].other"), MAX_TEXT)?;
            }
            if self.security[..i].contains(s) {
                return Err(Error::invalid(format!("input.security[{i}]"), "unique", "a measure appears once"));
            }
        }
        if let Some(a) = &self.automated_decisions {
            a.validate("input.automated-decisions", MAX_TEXT)?;
        }
        Ok(())
    }
}

/// The top-level fields of a record that differ between two versions of it.
pub(super) trait Fields: PartialEq {
    /// (name, whether `self` and `other` differ there), for every field.
    fn diff(&self, other: &Self) -> Vec<(&'static str, bool)>;

    fn changed(&self, other: &Self) -> Vec<String> {
        self.diff(other).into_iter().filter(|(_, d)| *d).map(|(n, _)| n.to_string()).collect()
    }

    fn all(&self) -> Vec<String> {
        self.diff(self).into_iter().map(|(n, _)| n.to_string()).collect()
    }
}

impl Fields for Organisation {
    fn diff(&self, o: &Self) -> Vec<(&'static str, bool)> {
        vec![
            ("controller", self.controller != o.controller),
            ("representative", self.representative != o.representative),
            ("dpo", self.dpo != o.dpo),
        ]
    }
}

impl Fields for ActivityInput {
    fn diff(&self, o: &Self) -> Vec<(&'static str, bool)> {
        vec![
            ("id", self.id != o.id),
            ("name", self.name != o.name),
            ("joint-controller", self.joint_controller != o.joint_controller),
            ("purposes", self.purposes != o.purposes),
            ("subjects", self.subjects != o.subjects),
            ("data", self.data != o.data),
            ("recipients", self.recipients != o.recipients),
            ("transfers", self.transfers != o.transfers),
            ("retention", self.retention != o.retention),
            ("security", self.security != o.security),
            ("automated-decisions", self.automated_decisions != o.automated_decisions),
        ]
    }
}

impl RegistryDoc {
    fn record(&mut self, at: &str, actor: &Actor, target: &str, action: ChangeAction, fields: Vec<String>) {
        let sequence = self.history.last().map_or(1, |c| c.sequence + 1);
        self.history.push(RegistryChange {
            sequence,
            at: at.into(),
            actor: actor.clone(),
            target: target.into(),
            action,
            fields,
        });
    }

    pub fn active(&self) -> impl Iterator<Item = &Activity> {
        self.activities.iter().filter(|a| a.retired.is_none())
    }
}

impl<S: Store> Fichier<'_, S> {
    pub(crate) fn registry(&self) -> Result<RegistryDoc> {
        Ok(self.get_doc::<RegistryDoc>(Bucket::Data, REGISTRY_KEY)?.unwrap_or_default())
    }

    pub fn get_organisation(&mut self, actor: &Actor) -> Result<Option<Organisation>> {
        authorize(actor, Operation::ReadRegistry)?;
        Ok(self.registry()?.organisation)
    }

    /// Set the organisation's details; unchanged details write nothing.
    pub fn set_organisation(&mut self, actor: &Actor, input: Organisation) -> Result<Organisation> {
        authorize(actor, Operation::WriteRegistry)?;
        let mut input = input;
        input.validate()?;
        let at = time::format(self.now);
        let out = input.clone();
        self.update::<RegistryDoc, ()>(
            Bucket::Data,
            REGISTRY_KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                let fields = match &doc.organisation {
                    Some(o) if *o == input => return Ok(None),
                    Some(o) => o.changed(&input),
                    None => input.all(),
                };
                let action = if doc.organisation.is_some() { ChangeAction::Updated } else { ChangeAction::Created };
                doc.organisation = Some(input.clone());
                doc.record(&at, actor, "organisation", action, fields);
                Ok(Some((doc, ())))
            },
            || (),
        )?;
        Ok(out)
    }

    /// Create or change an activity (a retired one is reinstated). A definition equal to the
    /// stored one writes nothing and returns the stored activity.
    pub fn put_activity(&mut self, actor: &Actor, input: ActivityInput) -> Result<Activity> {
        authorize(actor, Operation::WriteRegistry)?;
        let mut input = input;
        input.validate()?;
        let at = time::format(self.now);
        let id = input.id.clone();
        self.update::<RegistryDoc, Option<Activity>>(
            Bucket::Data,
            REGISTRY_KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                Ok(put_into(&mut doc, &input, &at, actor)?.map(|a| (doc, Some(a))))
            },
            || None,
        )?
        .map_or_else(|| self.activity(&id), Ok)
    }

    fn activity(&self, id: &str) -> Result<Activity> {
        self.registry()?
            .activities
            .into_iter()
            .find(|a| a.definition.id == id)
            .ok_or_else(|| Error::not_found("id", "activity-exists", format!("no activity {id} in the register")))
    }

    pub fn get_activity(&mut self, actor: &Actor, id: &str) -> Result<Activity> {
        authorize(actor, Operation::ReadRegistry)?;
        activity_id("id", id)?;
        self.activity(id)
    }

    pub fn list_activities(&mut self, actor: &Actor, include_retired: bool) -> Result<Vec<Activity>> {
        authorize(actor, Operation::ReadRegistry)?;
        let doc = self.registry()?;
        Ok(doc.activities.into_iter().filter(|a| include_retired || a.retired.is_none()).collect())
    }

    /// Retire an activity: it leaves exports and checks, and stays in the history.
    /// Retiring a retired activity changes nothing.
    pub fn retire_activity(&mut self, actor: &Actor, id: &str, reason: &str) -> Result<Activity> {
        authorize(actor, Operation::WriteRegistry)?;
        activity_id("id", id)?;
        validate::text("reason", reason, 500)?;
        let at = time::format(self.now);
        self.update::<RegistryDoc, Option<Activity>>(
            Bucket::Data,
            REGISTRY_KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                let Some(a) = doc.activities.iter_mut().find(|a| a.definition.id == id) else {
                    return Err(Error::not_found("id", "activity-exists", format!("no activity {id} in the register")));
                };
                if a.retired.is_some() {
                    return Ok(None);
                }
                a.retired = Some(Retirement { at: at.clone(), reason: reason.into() });
                a.revision += 1;
                a.changed_at = at.clone();
                a.changed_by = actor.clone();
                let out = a.clone();
                doc.record(&at, actor, id, ChangeAction::Retired, vec!["retired".into()]);
                Ok(Some((doc, Some(out))))
            },
            || None,
        )?
        .map_or_else(|| self.activity(id), Ok)
    }

    pub fn registry_history(&mut self, actor: &Actor, target: Option<&str>) -> Result<Vec<RegistryChange>> {
        authorize(actor, Operation::ReadRegistry)?;
        if let Some(t) = target
            && t != "organisation"
        {
            activity_id("target", t)?;
        }
        Ok(self.registry()?.history.into_iter().filter(|c| target.is_none_or(|t| c.target == t)).collect())
    }

    /// Load the e-shop defaults (CNIL référentiel): activities not yet in the register are
    /// created; those already there, edited or not, are left alone. Returns the ids created.
    pub fn load_shop_defaults(&mut self, actor: &Actor) -> Result<Vec<String>> {
        authorize(actor, Operation::WriteRegistry)?;
        let at = time::format(self.now);
        let mut defaults = crate::registry::defaults::shop();
        for d in &mut defaults {
            d.validate()?;
        }
        self.update::<RegistryDoc, Vec<String>>(
            Bucket::Data,
            REGISTRY_KEY,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                let mut created = Vec::new();
                for d in &defaults {
                    if doc.activities.iter().any(|a| a.definition.id == d.id) {
                        continue;
                    }
                    put_into(&mut doc, d, &at, actor)?;
                    created.push(d.id.clone());
                }
                if created.is_empty() { Ok(None) } else { Ok(Some((doc, created))) }
            },
            Vec::new,
        )
    }
}

/// Put a validated definition into the register; `None` when it is unchanged.
pub(super) fn put_into(
    doc: &mut RegistryDoc,
    input: &ActivityInput,
    at: &str,
    actor: &Actor,
) -> Result<Option<Activity>> {
    let existing = doc.activities.iter_mut().find(|a| a.definition.id == input.id);
    let (activity, action, fields) = match existing {
        Some(a) if a.definition == *input && a.retired.is_none() => return Ok(None),
        Some(a) => {
            let mut fields = a.definition.changed(input);
            let action = if a.retired.is_some() {
                fields.push("retired".into());
                ChangeAction::Reinstated
            } else {
                ChangeAction::Updated
            };
            a.definition = input.clone();
            a.retired = None;
            a.revision += 1;
            a.changed_at = at.into();
            a.changed_by = actor.clone();
            (a.clone(), action, fields)
        }
        None => {
            if doc.activities.len() >= MAX_ACTIVITIES {
                return Err(Error::invalid(
                    "input.id",
                    "max-activities",
                    format!("a register holds at most {MAX_ACTIVITIES} activities"),
                ));
            }
            let a = Activity {
                definition: input.clone(),
                revision: 1,
                retired: None,
                created_at: at.into(),
                changed_at: at.into(),
                changed_by: actor.clone(),
            };
            doc.activities.push(a.clone());
            crate::kernel::sort::sort_by(&mut doc.activities, |x, y| x.definition.id.cmp(&y.definition.id));
            (a, ChangeAction::Created, input.all())
        }
    };
    doc.record(at, actor, &input.id, action, fields);
    Ok(Some(activity))
}
