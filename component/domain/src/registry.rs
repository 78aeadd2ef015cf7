//! The record of processing activities (GDPR Art. 30(1)): the organisation (controller,
//! representative, DPO), and one entry per processing activity with its purposes and
//! their lawful bases, the people and data concerned, recipients, transfers, retention per
//! data category and security measures. One document (`registry`) is the commit point of
//! every change; it keeps the history of changes (who, what, when).

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::docs::{self, RegistryDoc};
use crate::error::{Error, Result};
use crate::model::{Actor, DataCategory, LawfulBasis, PurposeKind};
use crate::store::{Bucket, Store};
use crate::time;
use crate::validate;

/// A text shown to people, in French and optionally in English (French is used where
/// English is missing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub fr: String,
    #[serde(default)]
    pub en: Option<String>,
}

impl Localized {
    pub fn new(fr: &str, en: &str) -> Self {
        Self { fr: fr.into(), en: Some(en.into()) }
    }

    /// The text in `lang`, French when there is no English.
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => en,
            _ => &self.fr,
        }
    }

    fn validate(&self, field: &str, max: usize) -> Result<()> {
        validate::text(&format!("{field}.fr"), &self.fr, max)?;
        if let Some(en) = &self.en {
            validate::text(&format!("{field}.en"), en, max)?;
        }
        Ok(())
    }
}

/// The languages of exports and notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// Name and contact details (Art. 30(1)(a)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl Contact {
    fn validate(&mut self, field: &str) -> Result<()> {
        validate::printable(&format!("{field}.name"), &self.name, 200)?;
        if let Some(a) = &self.address {
            validate::text(&format!("{field}.address"), a, 500)?;
        }
        if let Some(e) = &self.email {
            self.email = Some(validate::email(&format!("{field}.email"), e)?);
        }
        if let Some(p) = &self.phone {
            validate::printable(&format!("{field}.phone"), p, 40)?;
        }
        if self.address.is_none() && self.email.is_none() && self.phone.is_none() {
            return Err(Error::invalid(
                field,
                "contact-details",
                "give at least one way to reach them: an address, an e-mail or a phone",
            ));
        }
        Ok(())
    }
}

/// The organisation: the common page of the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Organisation {
    pub controller: Contact,
    #[serde(default)]
    pub representative: Option<Contact>,
    #[serde(default)]
    pub dpo: Option<Contact>,
}

impl Organisation {
    fn validate(&mut self) -> Result<()> {
        self.controller.validate("input.controller")?;
        if let Some(r) = &mut self.representative {
            r.validate("input.representative")?;
        }
        if let Some(d) = &mut self.dpo {
            d.validate("input.dpo")?;
        }
        Ok(())
    }
}

/// One purpose of an activity (Art. 30(1)(b)) and its lawful basis (Art. 6(1)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActivityPurpose {
    /// A purpose id; when the consent catalogue declares the same id, this is the activity
    /// that purpose belongs to.
    pub id: String,
    pub description: Localized,
    pub basis: LawfulBasis,
    /// The interest relied on, required when the basis is legitimate interests (Art. 13(1)(d)).
    #[serde(default)]
    pub legitimate_interest: Option<Localized>,
    /// Whether providing the data is required and what happens if not (Art. 13(2)(e)).
    #[serde(default)]
    pub provision: Option<Localized>,
}

/// Whose data an activity processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectCategory {
    Customers,
    Prospects,
    Visitors,
    Suppliers,
    Employees,
    Other(Localized),
}

/// A category of data an activity processes (Art. 30(1)(c)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DataItem {
    pub category: DataCategory,
    pub description: Localized,
    /// Special categories (Art. 9), offences (Art. 10) or the NIR.
    #[serde(default)]
    pub sensitive: bool,
}

/// Who receives the data (Art. 30(1)(d)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recipient {
    pub name: Localized,
    /// Internal (a department of the controller) or external.
    #[serde(default)]
    pub internal: bool,
}

/// The safeguard of a transfer outside the EU/EEA (Art. 44–49).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safeguard {
    /// Art. 45.
    AdequacyDecision,
    /// Art. 46(2)(c).
    StandardContractualClauses,
    /// Art. 47.
    BindingCorporateRules,
    /// Art. 49 (specific situations).
    Derogation,
}

/// A transfer outside the EU/EEA (Art. 30(1)(e)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Transfer {
    pub recipient: String,
    /// ISO 3166-1 alpha-2, outside the EEA.
    pub country: String,
    pub safeguard: Safeguard,
    #[serde(default)]
    pub details: Option<Localized>,
}

/// When a retention period starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionStart {
    /// The data's collection.
    Collection,
    /// The last contact initiated by the person (a click counts, an opened e-mail does not).
    LastContact,
    /// The end of the contract or commercial relationship.
    EndOfContract,
    /// The transaction's date.
    Transaction,
}

/// What happens when a retention period ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionAction {
    Delete,
    Anonymise,
    /// Intermediate archive, logically separated, restricted access.
    Archive,
}

/// How long a category of data is kept by an activity (Art. 30(1)(f)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RetentionRule {
    pub category: DataCategory,
    /// 1–1200 months.
    pub months: u32,
    pub start: RetentionStart,
    pub action: RetentionAction,
    /// A legal hold (the text that imposes keeping it, e.g. Code de commerce L123-22):
    /// overrides deletion and erasure for what it covers until the period ends.
    #[serde(default)]
    pub legal_hold: Option<Localized>,
}

/// A security measure (Art. 30(1)(g), Art. 32).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityMeasure {
    /// Personal fields sealed at rest with per-subject keys.
    EncryptionAtRest,
    /// Look-ups by keyed hash; no identifier in clear.
    Pseudonymisation,
    /// Roles checked on every call.
    AccessControl,
    /// Hash-chained, verifiable records (consent ledger).
    TamperEvidentLog,
    /// Encrypted transport (TLS).
    EncryptionInTransit,
    /// Backups restorable after an incident.
    Backups,
    /// Anything else, described.
    Other(Localized),
}

/// An activity as its author writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActivityInput {
    /// 1–64 of `a-z 0-9 -`, starting with a letter.
    pub id: String,
    pub name: Localized,
    #[serde(default)]
    pub joint_controller: Option<Contact>,
    pub purposes: Vec<ActivityPurpose>,
    pub subjects: Vec<SubjectCategory>,
    pub data: Vec<DataItem>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    pub retention: Vec<RetentionRule>,
    pub security: Vec<SecurityMeasure>,
    /// Automated decisions, including profiling (Art. 13(2)(f)); `None`: there are none.
    #[serde(default)]
    pub automated_decisions: Option<Localized>,
}

/// A stored activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Activity {
    pub definition: ActivityInput,
    /// 1 at creation, +1 per change.
    pub revision: u32,
    /// Set when retired (kept in the register's history, out of exports and checks).
    #[serde(default)]
    pub retired: Option<Retirement>,
    pub created_at: String,
    pub changed_at: String,
    pub changed_by: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Retirement {
    pub at: String,
    pub reason: String,
}

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeAction {
    Created,
    Updated,
    Retired,
    Reinstated,
}

/// One entry of the register's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryChange {
    /// 1, 2, … over the whole register.
    pub sequence: u32,
    pub at: String,
    pub actor: Actor,
    /// `organisation`, or an activity id.
    pub target: String,
    pub action: ChangeAction,
    /// The top-level fields that changed (all of them at creation).
    pub fields: Vec<String>,
}

const MAX_ACTIVITIES: usize = 200;
const MAX_ITEMS: usize = 64;
const MAX_TEXT: usize = 2000;
/// EU and EEA countries: a transfer is to a country outside these.
const EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
];

fn items<T>(field: &str, list: &[T], min: usize) -> Result<()> {
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
trait Fields: PartialEq {
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
        Ok(self.get_doc::<RegistryDoc>(Bucket::Data, docs::REGISTRY_KEY)?.unwrap_or_default())
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
            docs::REGISTRY_KEY,
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
            docs::REGISTRY_KEY,
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
            docs::REGISTRY_KEY,
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
        let mut defaults = crate::registry_defaults::shop();
        for d in &mut defaults {
            d.validate()?;
        }
        self.update::<RegistryDoc, Vec<String>>(
            Bucket::Data,
            docs::REGISTRY_KEY,
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
fn put_into(doc: &mut RegistryDoc, input: &ActivityInput, at: &str, actor: &Actor) -> Result<Option<Activity>> {
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
            crate::sort::sort_by(&mut doc.activities, |x, y| x.definition.id.cmp(&y.definition.id));
            (a, ChangeAction::Created, input.all())
        }
    };
    doc.record(at, actor, &input.id, action, fields);
    Ok(Some(activity))
}

/// Which kinds of catalogue purpose need consent as their basis.
pub fn kind_needs_consent(kind: PurposeKind) -> bool {
    matches!(kind, PurposeKind::Cookie | PurposeKind::Advertising)
}

/// A gap between the register and what the shop does (`registry.check`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryFinding {
    pub severity: crate::minimisation::Severity,
    /// What it is about: `organisation`, `activity:<id>`, `purpose:<id>`, `category:<name>`.
    pub target: String,
    /// Stable kebab-case rule id.
    pub rule: String,
    /// The article or CNIL text.
    pub source: String,
    pub message: String,
    pub fix: String,
}

fn finding(
    severity: crate::minimisation::Severity,
    target: String,
    rule: &str,
    source: &str,
    message: String,
    fix: String,
) -> RegistryFinding {
    RegistryFinding { severity, target, rule: rule.into(), source: source.into(), message, fix }
}

/// What the customer file holds: per (category, purpose), how many records.
pub type Usage = std::collections::BTreeMap<(DataCategory, String), u64>;

/// The consistency rules, pure: the register against the consent catalogue and the
/// customer file's usage.
pub fn check(doc: &RegistryDoc, catalogue: &[crate::model::Purpose], usage: &Usage) -> Vec<RegistryFinding> {
    use crate::minimisation::Severity::{Block, Info, Warn};
    let mut out = Vec::new();
    let active: Vec<&Activity> = doc.active().collect();
    match &doc.organisation {
        None => out.push(finding(
            Block,
            "organisation".into(),
            "organisation-set",
            "GDPR Art. 30(1)(a)",
            "the register does not name the controller and its contact details".into(),
            "set the organisation (fichier registry organisation)".into(),
        )),
        Some(o) if o.dpo.is_none() => out.push(finding(
            Info,
            "organisation".into(),
            "dpo-contact",
            "GDPR Art. 30(1)(a), 37",
            "no data protection officer is named (required only in the cases of Art. 37)".into(),
            "name the DPO if one is designated".into(),
        )),
        Some(_) => {}
    }
    if active.is_empty() {
        out.push(finding(
            Block,
            "register".into(),
            "activities-declared",
            "GDPR Art. 30(1)",
            "the register has no active processing activity".into(),
            "load the e-shop defaults (fichier registry init --shop) and edit them".into(),
        ));
    }
    let declares_purpose = |id: &str| -> Vec<&Activity> {
        active.iter().copied().filter(|a| a.definition.purposes.iter().any(|p| p.id == id)).collect()
    };
    // Every consent purpose belongs to an activity, which gives it a lawful basis.
    for p in catalogue {
        let owners = declares_purpose(&p.id);
        if owners.is_empty() {
            out.push(finding(
                Block,
                format!("purpose:{}", p.id),
                "purpose-in-activity",
                "GDPR Art. 30(1)(b), 6(1)",
                format!("purpose {} is declared for consent but no activity of the register declares it, so it has no lawful basis on record", p.id),
                format!("add purpose {} to the activity it serves, with its lawful basis", p.id),
            ));
            continue;
        }
        for a in owners {
            let Some(ap) = a.definition.purposes.iter().find(|x| x.id == p.id) else { continue };
            let expected = match p.kind {
                PurposeKind::Cookie | PurposeKind::Advertising => ap.basis == LawfulBasis::Consent,
                PurposeKind::Marketing => {
                    matches!(ap.basis, LawfulBasis::Consent | LawfulBasis::LegitimateInterests)
                }
                PurposeKind::Service => true,
            };
            if !expected {
                out.push(finding(
                    Warn,
                    format!("purpose:{}", p.id),
                    "purpose-basis-fits-kind",
                    "CNIL délibération 2020-091; CPCE L34-5",
                    format!(
                        "purpose {} is a {:?} purpose but activity {} gives it the basis {}",
                        p.id,
                        p.kind,
                        a.definition.id,
                        ap.basis.as_str()
                    )
                    .to_lowercase(),
                    "trackers and advertising need consent; e-mail marketing needs consent or, for similar products to existing customers, legitimate interests".into(),
                ));
            }
        }
    }
    // Every category stored for a purpose is declared by an activity serving that purpose.
    let mut categories: std::collections::BTreeMap<DataCategory, u64> = Default::default();
    for ((category, purpose), n) in usage {
        *categories.entry(*category).or_default() += n;
        let owners = declares_purpose(purpose);
        if owners.is_empty() {
            out.push(finding(
                Block,
                format!("purpose:{purpose}"),
                "stored-purpose-in-activity",
                "GDPR Art. 30(1)(b), 5(1)(b)",
                format!(
                    "{n} customer field(s) are kept for purpose {purpose}, which no activity of the register declares"
                ),
                format!("declare purpose {purpose} in the activity it serves, or stop keeping these fields"),
            ));
        } else if !owners.iter().any(|a| a.definition.data.iter().any(|d| d.category == *category)) {
            out.push(finding(
                Block,
                format!("category:{}", category.as_str()),
                "stored-category-declared",
                "GDPR Art. 30(1)(c)",
                format!(
                    "{n} customer field(s) of category {} are kept for purpose {purpose}, but no activity declaring that purpose lists the category",
                    category.as_str()
                ),
                format!("add category {} to the activity of purpose {purpose}, with its retention", category.as_str()),
            ));
        }
    }
    for category in categories.keys() {
        if !active.iter().any(|a| a.definition.data.iter().any(|d| d.category == *category)) {
            out.push(finding(
                Block,
                format!("category:{}", category.as_str()),
                "category-in-activity",
                "GDPR Art. 30(1)(c)",
                format!("the customer file holds {} data, which no activity declares", category.as_str()),
                format!("declare category {} in the activity that needs it", category.as_str()),
            ));
        }
    }
    for a in &active {
        for d in &a.definition.data {
            if !a.definition.retention.iter().any(|r| r.category == d.category) {
                out.push(finding(
                    Block,
                    format!("activity:{}", a.definition.id),
                    "retention-per-category",
                    "GDPR Art. 30(1)(f), 5(1)(e)",
                    format!("activity {} keeps {} data with no retention rule", a.definition.id, d.category.as_str()),
                    format!("add a retention rule for {} (duration, start, action)", d.category.as_str()),
                ));
            }
            if d.sensitive {
                out.push(finding(
                    Warn,
                    format!("activity:{}", a.definition.id),
                    "sensitive-data",
                    "GDPR Art. 9(1), 10",
                    format!(
                        "activity {} declares sensitive {} data, which Art. 9 forbids save its exceptions",
                        a.definition.id,
                        d.category.as_str()
                    ),
                    "remove it, or record the Art. 9(2) exception relied on and run an impact assessment (Art. 35)"
                        .into(),
                ));
            }
        }
    }
    crate::sort::sort_by(&mut out, |x, y| (x.severity, &x.target, &x.rule).cmp(&(y.severity, &y.target, &y.rule)));
    out
}

impl<S: Store> Fichier<'_, S> {
    /// Check the register against the consent catalogue and the customer file.
    pub fn check_registry(&mut self, actor: &Actor) -> Result<Vec<RegistryFinding>> {
        authorize(actor, Operation::ReadRegistry)?;
        let doc = self.registry()?;
        let catalogue = self.purposes()?;
        let usage = self.customer_usage()?;
        Ok(check(&doc, &catalogue, &usage))
    }
}
