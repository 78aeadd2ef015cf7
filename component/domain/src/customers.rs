//! The customer file: sealed records whose every field carries its category, purposes,
//! lawful basis, source and dates; rectification with history; duplicates and merge;
//! re-verification (Art. 5(1)(d)).
//!
//! Storage: `customer/<sid>` ([`CustomerDoc`]) is the one commit point of a customer.
//! Its body (fields and history) is sealed under the subject's data key, bound to the
//! subject and revision. The directory (`index/customers/<xx>`) and e-mail aliases
//! (`alias/<sid of the e-mail>`) are derived and checked on every read.

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::crypto::DataKey;
use crate::docs::{self, AliasDoc, CustomerDoc, CustomerState};
use crate::duplicates;
use crate::error::{Error, Result};
use crate::maintenance::Directory;
use crate::model::{Actor, DataCategory, LawfulBasis, Policy, Purpose, Source, SubjectRef};
use crate::normalize;
use crate::service::place;
use crate::store::{Bucket, Store};
use crate::time::{self, Instant, Stamp};
use crate::validate::{self, MAX_TEXT_BYTES};

/// Most fields a record holds.
pub const MAX_FIELDS: usize = 64;
/// Most purposes a field serves.
pub const MAX_PURPOSES: usize = 16;
/// How many merge pointers a look-up follows.
const MAX_HOPS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInput {
    pub name: String,
    pub value: String,
    pub category: Option<DataCategory>,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
    pub source: Option<Source>,
    pub collected_at: Option<String>,
    pub verified_at: Option<String>,
}

impl crate::minimisation::RecordView for FieldInput {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self) -> &str {
        &self.value
    }
    fn category(&self) -> Option<DataCategory> {
        self.category
    }
    fn purposes(&self) -> &[String] {
        &self.purposes
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Field {
    pub name: String,
    pub value: String,
    pub category: DataCategory,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
    pub source: Source,
    pub collected_at: Stamp,
    #[serde(default)]
    pub verified_at: Option<Stamp>,
    pub updated_at: Stamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeReason {
    Created,
    Rectified,
    Removed,
    Merged,
    Imported,
    Reverified,
    Bounced,
    /// The retention sweep deleted the value (its retention ended).
    Expired,
    /// The retention sweep replaced the value by a coarser, non-identifying form.
    Anonymised,
    /// The retention sweep moved the value to the intermediate archive.
    Archived,
}

impl ChangeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeReason::Created => "created",
            ChangeReason::Rectified => "rectified",
            ChangeReason::Removed => "removed",
            ChangeReason::Merged => "merged",
            ChangeReason::Imported => "imported",
            ChangeReason::Reverified => "reverified",
            ChangeReason::Bounced => "bounced",
            ChangeReason::Expired => "expired",
            ChangeReason::Anonymised => "anonymised",
            ChangeReason::Archived => "archived",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    pub reason: ChangeReason,
    pub at: Stamp,
    pub by: Actor,
    #[serde(default)]
    pub from_subject: Option<String>,
}

impl FieldChange {
    /// A change made directly on the record (not brought in by a merge).
    fn new(
        field: String,
        previous: Option<String>,
        value: Option<String>,
        reason: ChangeReason,
        at: Stamp,
        by: &Actor,
    ) -> Self {
        Self { field, previous, value, reason, at, by: by.clone(), from_subject: None }
    }
}

/// The sealed part of a customer record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CustomerBody {
    pub created_at: Stamp,
    pub updated_at: Stamp,
    /// Sorted by name.
    pub fields: Vec<Field>,
    pub history: Vec<FieldChange>,
    #[serde(default)]
    pub email_bounced_at: Option<Stamp>,
    #[serde(default)]
    pub merged_from: Vec<String>,
    /// The last contact the person initiated (an order, a reply, a click; not an opened
    /// e-mail): where "last contact" retention periods start.
    #[serde(default)]
    pub last_contact_at: Option<Stamp>,
    /// When the contract or commercial relationship ended, if the shop recorded it.
    #[serde(default)]
    pub relationship_ended_at: Option<Stamp>,
    /// When the sweep last listed this person for a re-permission request.
    #[serde(default)]
    pub repermission_asked_at: Option<Stamp>,
    /// Values kept only in the intermediate archive (restricted reading, no processing).
    #[serde(default)]
    pub archive: Vec<ArchivedField>,
    /// Values replaced by a coarser form at the end of their retention.
    #[serde(default)]
    pub anonymised: Vec<AnonymisedField>,
    /// Art. 18: every processing but storage is stopped.
    #[serde(default)]
    pub restriction: Option<Restriction>,
}

/// A restriction of processing (Art. 18).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Restriction {
    pub since: Stamp,
    /// Why (contested accuracy, unlawful processing, legal claims, pending objection).
    pub reason: String,
    pub by: Actor,
    /// The message telling the person it will be lifted: queued, not yet sent.
    pub lift_notice: Option<String>,
}

/// A field moved to the intermediate archive by the retention sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ArchivedField {
    pub field: Field,
    pub archived_at: Stamp,
    /// When the rules that keep it end (the sweep deletes it then).
    pub until: Stamp,
    /// The activity whose rule keeps it longest.
    pub activity: String,
}

/// What is left of a field once anonymised: its coarse form, no history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AnonymisedField {
    pub name: String,
    pub category: DataCategory,
    pub value: String,
    pub at: Stamp,
}

impl CustomerBody {
    /// An empty record created at `now`.
    pub fn new(now: Stamp) -> Self {
        Self {
            created_at: now,
            updated_at: now,
            fields: Vec::new(),
            history: Vec::new(),
            email_bounced_at: None,
            merged_from: Vec::new(),
            last_contact_at: None,
            relationship_ended_at: None,
            repermission_asked_at: None,
            archive: Vec::new(),
            anonymised: Vec::new(),
            restriction: None,
        }
    }

    /// Nothing identifying left: no field in use and nothing archived.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.archive.is_empty()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn email(&self) -> Option<&str> {
        self.field("email").map(|f| f.value.as_str())
    }
}

/// An event that starts a retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerEvent {
    /// A contact the person initiated (an order, a reply, a click; not an opened e-mail).
    Contact,
    /// The end of the contract or commercial relationship.
    RelationshipEnded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub subject: String,
    pub revision: u32,
    pub body: CustomerBody,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleField {
    pub field: String,
    pub category: DataCategory,
    pub since: String,
    pub due_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewEntry {
    pub subject: String,
    pub stale: Vec<StaleField>,
    pub email_bounced_at: Option<Stamp>,
}

/// How a well-known field is normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Email,
    Phone,
    Name,
    BirthDate,
    PostalCode,
    City,
    Country,
    Plain,
}

/// Well-known field names: their category and normaliser.
fn well_known(name: &str) -> Option<(DataCategory, Kind)> {
    use DataCategory::*;
    Some(match name {
        "email" => (Contact, Kind::Email),
        "phone" => (Contact, Kind::Phone),
        "given-name" | "family-name" => (Identity, Kind::Name),
        "birth-date" => (Identity, Kind::BirthDate),
        "address-line1" | "address-line2" => (PostalAddress, Kind::Plain),
        "postal-code" => (PostalAddress, Kind::PostalCode),
        "city" => (PostalAddress, Kind::City),
        "country" => (PostalAddress, Kind::Country),
        "company" | "customer-number" => (Account, Kind::Plain),
        _ => return None,
    })
}

/// A field name: 1–64 of `a-z 0-9 -`, starting with a letter.
pub fn field_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "field-name-syntax",
            "a field name is 1–64 of a-z, 0-9 and '-', starting with a letter",
        ))
    }
}

/// What validating a record's input needs to know.
pub(crate) struct FieldRules<'p> {
    pub purposes: &'p [Purpose],
    pub now: Instant,
    pub skew_seconds: u32,
    /// `now` as every new field carries it.
    pub now_stamp: Stamp,
    /// Today's date in the shop's zone (dates of birth are not after it).
    pub today: chrono::NaiveDate,
    /// Under this age a person needs a parent's consent (the policy's setting).
    pub minor_age: u8,
}

/// The record check's blocking rules that keep a value out of the customer file written
/// through `create` and `rectify`: what an e-shop may never hold whatever it declares
/// (GDPR.md: a NIR, a CVV, a password in clear, an Art. 9/10 category named by the field)
/// and a NIR, card number or IBAN hidden in free text. The import drops such columns and
/// redacts such values instead, and reports each; a caller of the API is told and fixes
/// its input. Left to the checks, as findings: a card number or an IBAN in a field of its
/// own (a card may be kept with the person's explicit consent, CNIL délibération 2018-303;
/// whether an IBAN's purpose is a payment is read from the purpose's wording, a guess not
/// to refuse on), and a minor's date of birth without a parent's consent (it depends on
/// the consent given, not on the field).
const REFUSED_IN_RECORDS: [&str; 5] = [
    crate::minimisation::rules::SPECIAL_CATEGORY,
    crate::minimisation::rules::NIR,
    crate::minimisation::rules::CVV_FIELD,
    crate::minimisation::rules::PLAIN_PASSWORD,
    crate::minimisation::rules::PERSONAL_DATA_IN_FREE_TEXT,
];

impl<'p> FieldRules<'p> {
    pub fn new(purposes: &'p [Purpose], now: Instant, policy: &Policy) -> Self {
        Self {
            purposes,
            now,
            skew_seconds: policy.settings.max_future_skew_seconds,
            now_stamp: Stamp::from_instant(now),
            today: time::date_in(now, policy.settings.zone()),
            minor_age: policy.settings.minor_age(),
        }
    }

    /// Refuse what the customer file must never hold ([`REFUSED_IN_RECORDS`]): the first
    /// blocking finding of the record check, at `{path}[i].value` when the value holds it
    /// and `{path}[i].name` when the field's name says it; the message is the finding's,
    /// which never repeats the value.
    pub fn refuse_forbidden(&self, path: &str, inputs: &[FieldInput]) -> Result<()> {
        use crate::minimisation::{Context, Severity, check_record};
        let ctx = Context { purposes: self.purposes, minor_age: self.minor_age, today: self.today };
        let refused = check_record(inputs, &ctx)
            .into_iter()
            .find(|f| f.severity == Severity::Block && REFUSED_IN_RECORDS.contains(&f.rule.as_str()));
        let Some(f) = refused else { return Ok(()) };
        let i = inputs.iter().position(|input| input.name == f.field).unwrap_or(0);
        let part = if f.span.is_some() { "value" } else { "name" };
        Err(Error::invalid(format!("{path}[{i}].{part}"), f.rule, format!("{}: {}", f.message, f.fix)))
    }

    fn timestamp(&self, field: &str, value: &Option<String>) -> Result<Option<Instant>> {
        let Some(v) = value else { return Ok(None) };
        let t = time::parse(field, v)?;
        if t > self.now + chrono::Duration::seconds(i64::from(self.skew_seconds)) {
            return Err(Error::invalid(field, "not-in-future", "must not be in the future"));
        }
        Ok(Some(t))
    }

    /// Validate and normalise one input field, `at(suffix)` naming its parts in errors (it
    /// is only called when a rule fails). `country` is the record's country after the
    /// change (postal codes and communes follow La Poste's rules for France).
    fn field(&self, at: &dyn Fn(&str) -> String, input: FieldInput, country: Option<&str>) -> Result<Field> {
        field_name("name", &input.name).map_err(|e| e.at(at(".name")))?;
        let known = well_known(&input.name);
        let category = match (known, input.category) {
            (Some((implied, _)), Some(given)) if given != implied => {
                return Err(Error::invalid(
                    at(".category"),
                    "category-matches-field",
                    format!("{} is {} data", input.name, implied.as_str()),
                ));
            }
            (Some((implied, _)), _) => implied,
            (None, Some(given)) => given,
            (None, None) => {
                return Err(Error::invalid(
                    at(".category"),
                    "category-required",
                    "a field that is not well-known needs a category",
                ));
            }
        };
        let in_value = |e: Error| e.at(at(".value"));
        if input.value.len() > MAX_TEXT_BYTES {
            return Err(Error::invalid(at(".value"), "max-length", "a value has at most 64 KiB"));
        }
        if input.value.trim().is_empty() {
            return Err(Error::invalid(
                at(".value"),
                "non-empty",
                "a value must not be empty (remove the field instead)",
            ));
        }
        let france = country.is_none_or(|c| c == "FR");
        let value = match known.map_or(Kind::Plain, |(_, k)| k) {
            Kind::Email => normalize::email("value", &input.value).map_err(in_value)?,
            Kind::Phone => normalize::phone("value", &input.value).map_err(in_value)?,
            Kind::Name => normalize::name("value", &input.value).map_err(in_value)?,
            Kind::BirthDate => birth_date("value", &input.value, self.today).map_err(in_value)?,
            Kind::PostalCode if france => normalize::postal_code_fr("value", &input.value).map_err(in_value)?,
            Kind::City if france => normalize::commune("value", &input.value).map_err(in_value)?,
            Kind::Country => normalize::country("value", &input.value).map_err(in_value)?,
            Kind::PostalCode | Kind::City | Kind::Plain => {
                if input.value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return Err(Error::invalid(at(".value"), "printable", "must not contain control characters"));
                }
                input.value.trim().to_string()
            }
        };
        if input.purposes.is_empty() || input.purposes.len() > MAX_PURPOSES {
            return Err(Error::invalid(
                at(".purposes"),
                "range-1-16",
                "a field serves 1 to 16 declared purposes (minimisation: no purpose, no field)",
            ));
        }
        crate::consent::check_declared(&input.purposes, self.purposes, |j| at(&format!(".purposes[{j}]")))?;
        let mut purposes = input.purposes;
        purposes.sort();
        purposes.dedup();
        let source = match input.source {
            None | Some(Source::Person) => Source::Person,
            Some(Source::ThirdParty(name)) => {
                validate::printable("source", &name, 200).map_err(|e| e.at(at(".source")))?;
                Source::ThirdParty(name.trim().to_string())
            }
        };
        let collected = self.timestamp(".collected-at", &input.collected_at).map_err(|e| e.at(at(".collected-at")))?;
        let verified = self.timestamp(".verified-at", &input.verified_at).map_err(|e| e.at(at(".verified-at")))?;
        if let (Some(c), Some(v)) = (collected, verified)
            && v < c
        {
            return Err(Error::invalid(
                at(".verified-at"),
                "verified-after-collected",
                "a value cannot be verified before it was collected",
            ));
        }
        Ok(Field {
            name: input.name,
            value,
            category,
            purposes,
            basis: input.basis,
            source,
            collected_at: collected.map_or(self.now_stamp, Stamp::from_instant),
            verified_at: verified.map(Stamp::from_instant),
            updated_at: self.now_stamp,
        })
    }

    /// Validate a whole set of inputs against the record they change; errors name
    /// `path[i].…`.
    pub fn fields(&self, path: &str, inputs: &[FieldInput], existing: &[Field]) -> Result<Vec<Field>> {
        self.fields_owned(path, inputs.to_vec(), existing)
    }

    /// [`FieldRules::fields`] taking the inputs (the import moves its rows in).
    pub fn fields_owned(&self, path: &str, inputs: Vec<FieldInput>, existing: &[Field]) -> Result<Vec<Field>> {
        if inputs.len() > MAX_FIELDS {
            return Err(Error::invalid(path, "max-items", format!("at most {MAX_FIELDS} fields")));
        }
        let country_input = inputs.iter().position(|f| f.name == "country");
        let country = match country_input {
            Some(i) => {
                Some(normalize::country("value", &inputs[i].value).map_err(|e| e.at(format!("{path}[{i}].value")))?)
            }
            None => existing.iter().find(|f| f.name == "country").map(|f| f.value.clone()),
        };
        for (i, input) in inputs.iter().enumerate() {
            if inputs[..i].iter().any(|o| o.name == input.name) {
                return Err(Error::invalid(format!("{path}[{i}].name"), "unique", "a field appears once"));
            }
        }
        let mut out: Vec<Field> = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let at = |suffix: &str| format!("{path}[{i}]{suffix}");
            out.push(self.field(&at, input, country.as_deref())?);
        }
        Ok(out)
    }
}

/// `YYYY-MM-DD`, a real date, not in the future. Read by hand: chrono's pattern and ISO
/// readers weigh kilobytes of component for ten bytes.
fn birth_date(field: &str, raw: &str, today: chrono::NaiveDate) -> Result<String> {
    let raw = raw.trim();
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let number = |r: std::ops::Range<usize>| raw[r].parse::<u32>().unwrap_or(0);
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10);
    let d = shaped
        .then(|| chrono::NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10)))
        .flatten()
        .ok_or_else(|| Error::invalid(field, "date-syntax", "a date of birth is YYYY-MM-DD"))?;
    if d > today {
        return Err(Error::invalid(field, "not-in-future", "a date of birth is not in the future"));
    }
    Ok(raw.to_string())
}

/// Apply `set` and `remove` to `body`, recording each change. Returns whether anything changed.
pub(crate) fn apply(
    body: &mut CustomerBody,
    set: Vec<Field>,
    remove: &[String],
    reason: ChangeReason,
    by: &Actor,
    now: Stamp,
) -> bool {
    body.fields.reserve(set.len());
    body.history.reserve(set.len() + remove.len());
    let mut changed = false;
    for f in set {
        match body.fields.iter_mut().find(|e| e.name == f.name) {
            Some(existing) => {
                let same_value = existing.value == f.value;
                let same_meta = existing.category == f.category
                    && existing.purposes == f.purposes
                    && existing.basis == f.basis
                    && existing.source == f.source;
                if same_value && same_meta {
                    continue;
                }
                if !same_value {
                    body.history.push(FieldChange::new(
                        f.name.clone(),
                        Some(existing.value.clone()),
                        Some(f.value.clone()),
                        reason,
                        now,
                        by,
                    ));
                    if f.name == "email" {
                        body.email_bounced_at = None;
                    }
                    existing.value = f.value;
                    existing.collected_at = f.collected_at;
                    existing.verified_at = f.verified_at;
                    existing.updated_at = now;
                }
                existing.category = f.category;
                existing.purposes = f.purposes;
                existing.basis = f.basis;
                existing.source = f.source;
                changed = true;
            }
            None => {
                body.history.push(FieldChange::new(f.name.clone(), None, Some(f.value.clone()), reason, now, by));
                body.fields.push(f);
                changed = true;
            }
        }
    }
    for name in remove {
        if let Some(i) = body.fields.iter().position(|e| &e.name == name) {
            let old = body.fields.remove(i);
            body.history.push(FieldChange::new(old.name, Some(old.value), None, ChangeReason::Removed, now, by));
            if name == "email" {
                body.email_bounced_at = None;
            }
            changed = true;
        }
    }
    if changed {
        crate::sort::sort_by(&mut body.fields, |a, b| a.name.cmp(&b.name));
        body.updated_at = now;
    }
    changed
}

pub(crate) fn sealed_context(sid: &str, revision: u32) -> String {
    format!("customer/{sid}/{revision}")
}

/// A customer as loaded: where it is and what it holds.
pub(crate) struct Loaded {
    pub sid: String,
    pub doc: CustomerDoc,
    pub body: CustomerBody,
}

impl<S: Store> Fichier<'_, S> {
    // ------------------------------------------------------------ sealing

    pub(crate) fn open_customer(&mut self, sid: &str, doc: &CustomerDoc) -> Result<CustomerBody> {
        let key = docs::customer_key(sid);
        let sealed = doc.sealed.as_deref().ok_or_else(|| {
            Error::corrupted(place(Bucket::Data, &key), "sealed-present", "an active record has no sealed body")
        })?;
        let dek = self.existing_data_key(sid)?;
        open_body(&dek, sid, &key, doc.revision, sealed).map_err(|e| self.erased_instead(sid, e))
    }

    pub(crate) fn seal_customer(
        &mut self,
        sid: &str,
        revision: u32,
        body: &CustomerBody,
        dek: &DataKey,
    ) -> CustomerDoc {
        let plain = encode_body(body);
        let sealed = dek.seal(&sealed_context(sid, revision), sid, &plain, self.entropy);
        CustomerDoc { subject: sid.to_string(), revision, state: CustomerState::Active, sealed: Some(sealed) }
    }

    fn customer_doc(&self, sid: &str) -> Result<Option<CustomerDoc>> {
        let doc: Option<CustomerDoc> = self.get_doc(Bucket::Data, &docs::customer_key(sid))?;
        if let Some(d) = &doc
            && d.subject != sid
        {
            return Err(Error::corrupted(
                place(Bucket::Data, &docs::customer_key(sid)),
                "subject-matches",
                "the record belongs to another subject",
            ));
        }
        Ok(doc)
    }

    /// The active customer at `sid`, following merge pointers.
    fn load_at(&mut self, sid: &str) -> Result<Option<Loaded>> {
        Ok(self.load_following(sid)?.map(|(l, _)| l))
    }

    /// The active customer at `sid`, following merge pointers; `true` if it followed one.
    fn load_following(&mut self, sid: &str) -> Result<Option<(Loaded, bool)>> {
        let start = sid.to_string();
        let mut sid = sid.to_string();
        for _ in 0..MAX_HOPS {
            let Some(doc) = self.customer_doc(&sid)? else { return Ok(None) };
            match &doc.state {
                CustomerState::Active => {
                    let body = self.open_customer(&sid, &doc)?;
                    let followed = sid != start;
                    return Ok(Some((Loaded { sid, doc, body }, followed)));
                }
                CustomerState::Deleted => return Ok(None),
                CustomerState::MergedInto(next) => sid = next.clone(),
            }
        }
        Err(Error::corrupted(place(Bucket::Data, &docs::customer_key(&sid)), "merge-chain", "too many merge pointers"))
    }

    /// The customer a reference designates, if any (an e-mail also finds a record
    /// whose `email` field it became by rectification).
    #[inline(never)]
    pub(crate) fn find_customer(&mut self, field: &str, r: &SubjectRef) -> Result<Option<Loaded>> {
        let sid = self.subject_id(field, r)?;
        let email = match r {
            SubjectRef::Email(e) => Some(normalize::email(&format!("{field}.email"), e)?),
            _ => None,
        };
        if let Some((found, followed)) = self.load_following(&sid)? {
            // A record merged away leads to the one that absorbed it; otherwise an
            // e-mail must still be the record's own.
            match &email {
                Some(e) if !followed && found.body.email() != Some(e.as_str()) => {}
                _ => return Ok(Some(found)),
            }
        }
        let Some(e) = email else { return Ok(None) };
        let Some(alias) = self.get_doc::<AliasDoc>(Bucket::Data, &docs::alias_key(&sid))? else { return Ok(None) };
        if crate::service::check_subject_id("alias", &alias.subject).is_err() {
            return Ok(None);
        }
        Ok(self.load_at(&alias.subject)?.filter(|l| l.body.email() == Some(e.as_str())))
    }

    #[inline(never)]
    fn require_customer(&mut self, field: &str, r: &SubjectRef) -> Result<Loaded> {
        self.check_master_key(false)?;
        self.find_customer(field, r)?
            .ok_or_else(|| Error::not_found(field, "customer-exists", "no customer record for this subject"))
    }

    /// A customer whose processing `actor` may carry out: a restricted record (Art. 18)
    /// is only stored; the DPO and admins still handle it (rectify it, lift the
    /// restriction, answer the person), no one else processes it.
    pub(crate) fn require_processable(&mut self, actor: &Actor, field: &str, r: &SubjectRef) -> Result<Loaded> {
        let l = self.require_customer(field, r)?;
        restriction_allows(actor, &l.body)?;
        Ok(l)
    }

    /// Which active customer holds `email` (normalised), if any.
    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.find_customer("email", &SubjectRef::Email(email.to_string()))?.map(|l| l.sid))
    }

    pub(crate) fn rules(&self) -> Result<(Vec<Purpose>, Policy)> {
        Ok((self.purposes()?, self.current_policy()?))
    }

    /// After a commit: directory entry and e-mail alias (derived, best effort; reindex repairs).
    fn after_commit(&mut self, sid: &str, body: &CustomerBody) {
        let _ = self.index_in(Directory::Customers, sid);
        self.alias_after_commit(sid, body);
    }

    /// The e-mail alias of a committed record, when its e-mail does not name it.
    pub(crate) fn alias_after_commit(&mut self, sid: &str, body: &CustomerBody) {
        if let Some(email) = body.email()
            && let Ok(esid) = self.subject_id("email", &SubjectRef::Email(email.to_string()))
            && esid != sid
        {
            let _ = self.set_alias(&esid, sid);
        }
    }

    pub(crate) fn set_alias(&mut self, esid: &str, sid: &str) -> Result<()> {
        let target = sid.to_string();
        self.update::<AliasDoc, ()>(
            Bucket::Data,
            &docs::alias_key(esid),
            |_, current| match current {
                Some(a) if a.subject == target => Ok(None),
                _ => Ok(Some((AliasDoc { subject: target.clone() }, ()))),
            },
            || (),
        )
    }

    /// Write a new revision of `sid` holding `body`, if the record is still at `seen`,
    /// then its derived entries. Returns the committed customer.
    fn commit_customer(&mut self, sid: &str, seen: Option<u32>, body: CustomerBody, dek: &DataKey) -> Result<Customer> {
        let result = self.commit_customer_only(sid, seen, body, dek, None)?;
        self.after_commit(sid, &result.body);
        Ok(result)
    }

    /// The commit alone (the caller writes the derived entries, e.g. once per batch),
    /// from a compare-and-swap on the record the caller has begun, if any.
    pub(crate) fn commit_customer_only(
        &mut self,
        sid: &str,
        seen: Option<u32>,
        body: CustomerBody,
        dek: &DataKey,
        begun: Option<(S::Cas, Option<Vec<u8>>)>,
    ) -> Result<Customer> {
        let key = docs::customer_key(sid);
        let sid_owned = sid.to_string();
        let revision = self.update_from::<CustomerDoc, u32>(
            Bucket::Data,
            &key,
            begun,
            |this, current| {
                let current_rev = current.as_ref().map(|d| d.revision);
                let active = current.as_ref().is_some_and(|d| d.state == CustomerState::Active);
                if active != seen.is_some() || (active && current_rev != seen) {
                    return Err(Error::conflict(
                        place(Bucket::Data, &docs::customer_key(&sid_owned)),
                        "revision",
                        "the record changed during the call; read it again",
                    ));
                }
                if let Some(CustomerState::MergedInto(into)) = current.as_ref().map(|d| &d.state) {
                    return Err(Error::conflict(
                        "subject",
                        "customer-merged",
                        format!("this record was merged into {into}"),
                    ));
                }
                let revision = current_rev.unwrap_or(0) + 1;
                let doc = this.seal_customer(&sid_owned, revision, &body, dek);
                Ok(Some((doc, revision)))
            },
            || unreachable!("commit always writes"),
        )?;
        Ok(Customer { subject: sid_owned, revision, body })
    }

    // ------------------------------------------------------------ API

    fn create_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        inputs: &[FieldInput],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let sid = self.subject_id("subject", subject)?;
        if inputs.is_empty() {
            return Err(Error::invalid("fields", "non-empty", "a customer has at least one field"));
        }
        let (purposes, policy) = self.rules()?;
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let fields = rules.fields("fields", inputs, &[])?;
        rules.refuse_forbidden("fields", inputs)?;
        let email = fields.iter().find(|f| f.name == "email").map(|f| f.value.clone());
        if let SubjectRef::Email(e) = subject {
            let e = normalize::email("subject.email", e)?;
            if email.as_deref() != Some(e.as_str()) {
                return Err(Error::invalid(
                    "fields",
                    "email-matches-subject",
                    "a customer named by e-mail has that address as its email field",
                ));
            }
        }
        self.check_master_key(true)?;
        if let Some(e) = &email
            && let Some(owner) = self.email_owner(e)?
        {
            return Err(Error::conflict(
                "fields.email",
                if owner == sid { "customer-exists" } else { "email-taken" },
                format!("the customer {owner} already has this e-mail address"),
            ));
        }
        if let Some(doc) = self.customer_doc(&sid)? {
            match doc.state {
                CustomerState::Active => {
                    return Err(Error::conflict("subject", "customer-exists", "this customer already has a record"));
                }
                CustomerState::MergedInto(into) => {
                    return Err(Error::conflict(
                        "subject",
                        "customer-merged",
                        format!("this record was merged into {into}"),
                    ));
                }
                CustomerState::Deleted => {}
            }
        }
        let now = Stamp::from_instant(self.now);
        let mut body = CustomerBody::new(now);
        apply(&mut body, fields, &[], ChangeReason::Created, actor, now);
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("data key not created".into()))?;
        self.commit_customer(&sid, None, body, &dek)
    }

    fn get_customer_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        authorize(actor, Operation::ReadCustomer)?;
        let l = self.require_processable(actor, "subject", subject)?;
        Ok(Customer { subject: l.sid, revision: l.doc.revision, body: l.body })
    }

    /// The record's subject id and history.
    fn customer_history_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
    ) -> Result<(String, Vec<FieldChange>)> {
        authorize(actor, Operation::ReadCustomer)?;
        let l = self.require_processable(actor, "subject", subject)?;
        Ok((l.sid, l.body.history))
    }

    /// Change a loaded customer with `change`; writes only if it reports a change.
    fn change_customer(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        mut change: impl FnMut(&mut Self, &mut CustomerBody) -> Result<bool>,
    ) -> Result<Customer> {
        for _ in 0..crate::service::CAS_ATTEMPTS {
            let l = self.require_processable(actor, "subject", subject)?;
            let mut body = l.body.clone();
            if !change(self, &mut body)? {
                return Ok(Customer { subject: l.sid, revision: l.doc.revision, body: l.body });
            }
            let dek = self.existing_data_key(&l.sid)?;
            match self.commit_customer(&l.sid, Some(l.doc.revision), body, &dek) {
                Err(Error::Conflict(e)) if e.rule == "revision" => continue,
                other => return other,
            }
        }
        Err(Error::conflict("subject", "compare-and-swap", "the record keeps changing; retry later"))
    }

    fn rectify_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        set: &[FieldInput],
        remove: &[String],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        for (i, name) in remove.iter().enumerate() {
            field_name(&format!("remove[{i}]"), name)?;
            if set.iter().any(|f| &f.name == name) {
                return Err(Error::invalid(
                    format!("remove[{i}]"),
                    "set-or-remove",
                    "a field is set or removed, not both",
                ));
            }
        }
        let (purposes, policy) = self.rules()?;
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |this, body| {
            let fields = rules.fields("set", set, &body.fields)?;
            rules.refuse_forbidden("set", set)?;
            for (i, name) in remove.iter().enumerate() {
                if body.field(name).is_none() {
                    return Err(Error::not_found(
                        format!("remove[{i}]"),
                        "field-exists",
                        "the record has no such field",
                    ));
                }
            }
            if let Some(e) = fields.iter().find(|f| f.name == "email")
                && body.email() != Some(e.value.as_str())
                && this.email_owner(&e.value)?.is_some()
            {
                return Err(Error::conflict("set.email", "email-taken", "another customer has this e-mail address"));
            }
            Ok(apply(body, fields.clone(), remove, ChangeReason::Rectified, actor, now))
        })
    }

    /// The record's subject id (the reference's own when there is none) and whether it
    /// was deleted.
    fn delete_customer_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<(String, bool)> {
        authorize(actor, Operation::DeleteCustomer)?;
        self.check_master_key(false)?;
        let Some(l) = self.find_customer("subject", subject)? else {
            return Ok((self.subject_id("subject", subject)?, false));
        };
        restriction_allows(actor, &l.body)?;
        let deleted = self.delete_record(&l.sid)?;
        Ok((l.sid, deleted))
    }

    /// Every active customer id in the directory, sorted.
    pub(crate) fn customer_ids(&self) -> Result<Vec<String>> {
        self.indexed_in(Directory::Customers)
    }

    /// The active record stored at `sid` (no merge pointer followed).
    pub(crate) fn load_active(&mut self, sid: &str) -> Result<Option<Loaded>> {
        match self.customer_doc(sid)? {
            Some(doc) if doc.state == CustomerState::Active => {
                let body = self.open_customer(sid, &doc)?;
                Ok(Some(Loaded { sid: sid.to_string(), doc, body }))
            }
            _ => Ok(None),
        }
    }

    /// Load several customers (skipping any no longer active).
    fn load_many(&mut self, sids: &[String]) -> Result<Vec<Loaded>> {
        let mut out = Vec::with_capacity(sids.len());
        for sid in sids {
            if let Some(doc) = self.customer_doc(sid)?
                && doc.state == CustomerState::Active
            {
                let body = self.open_customer(sid, &doc)?;
                out.push(Loaded { sid: sid.clone(), doc, body });
            }
        }
        Ok(out)
    }

    pub(crate) fn page(&mut self, cursor: Option<&str>, limit: u32) -> Result<(Vec<Loaded>, Option<String>)> {
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "a page holds 1 to 1000 records"));
        }
        if let Some(c) = cursor {
            crate::service::check_subject_id("cursor", c)?;
        }
        self.check_master_key(false)?;
        let all = self.customer_ids()?;
        let start = cursor.map_or(0, |c| all.partition_point(|s| s.as_str() <= c));
        let ids: Vec<String> = all[start..].iter().take(limit as usize).cloned().collect();
        let next = if start + ids.len() < all.len() { ids.last().cloned() } else { None };
        Ok((self.load_many(&ids)?, next))
    }

    fn list_customers_unaudited(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Customer>, Option<String>)> {
        authorize(actor, Operation::ListCustomers)?;
        let (loaded, next) = self.page(cursor, limit)?;
        Ok((
            loaded
                .into_iter()
                .filter(|l| restriction_allows(actor, &l.body).is_ok())
                .map(|l| Customer { subject: l.sid, revision: l.doc.revision, body: l.body })
                .collect(),
            next,
        ))
    }

    /// What the customer file holds, per (data category, purpose): how many fields. Reads
    /// every active record (for the register's consistency check).
    pub(crate) fn customer_usage(&mut self) -> Result<crate::registry::Usage> {
        self.check_master_key(false)?;
        let ids = self.customer_ids()?;
        let mut usage = crate::registry::Usage::new();
        for chunk in ids.chunks(256) {
            for l in self.load_many(chunk)? {
                for f in l.body.fields.iter().chain(l.body.archive.iter().map(|a| &a.field)) {
                    for p in &f.purposes {
                        *usage.entry((f.category, p.clone())).or_default() += 1;
                    }
                }
            }
        }
        Ok(usage)
    }

    fn find_duplicates_unaudited(&mut self, actor: &Actor) -> Result<Vec<duplicates::Pair>> {
        authorize(actor, Operation::FindDuplicates)?;
        self.check_master_key(false)?;
        let ids = self.customer_ids()?;
        let mut candidates = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(256) {
            for l in self.load_many(chunk)? {
                let get = |n: &str| l.body.field(n).map(|f| f.value.clone());
                candidates.push(duplicates::Candidate {
                    subject: l.sid.clone(),
                    email: get("email"),
                    phone: get("phone"),
                    given_name: get("given-name"),
                    family_name: get("family-name"),
                    postal_code: get("postal-code"),
                });
            }
        }
        Ok(duplicates::find(&candidates))
    }

    fn merge_customers_unaudited(
        &mut self,
        actor: &Actor,
        kept: &SubjectRef,
        absorbed: &SubjectRef,
    ) -> Result<(Customer, String)> {
        authorize(actor, Operation::MergeCustomers)?;
        self.check_master_key(false)?;
        let absorbed_sid = self.subject_id("absorbed", absorbed)?;
        let keep = self.require_customer("kept", kept)?;
        // Already merged (perhaps interrupted before the pointer was written): finish.
        let gone = match self.customer_doc(&absorbed_sid)? {
            Some(d) if d.state == CustomerState::Active => {
                if absorbed_sid == keep.sid {
                    return Err(Error::invalid("absorbed", "distinct", "a record cannot absorb itself"));
                }
                Some(self.open_customer(&absorbed_sid, &d)?)
            }
            _ if keep.body.merged_from.contains(&absorbed_sid) => None,
            _ => return Err(Error::not_found("absorbed", "customer-exists", "no customer record for this subject")),
        };
        let now = Stamp::from_instant(self.now);
        let merged = match gone {
            None => Customer { subject: keep.sid.clone(), revision: keep.doc.revision, body: keep.body.clone() },
            Some(other) => {
                let kept_ref = SubjectRef::Subject(keep.sid.clone());
                let from = absorbed_sid.clone();
                self.change_customer(actor, &kept_ref, |_, body| {
                    if body.merged_from.contains(&from) {
                        return Ok(false);
                    }
                    merge_into(body, &other, &from, actor, now);
                    Ok(true)
                })?
            }
        };
        // Second step: the absorbed record becomes a pointer (idempotent).
        let into = merged.subject.clone();
        let pointed = self.update::<CustomerDoc, bool>(
            Bucket::Data,
            &docs::customer_key(&absorbed_sid),
            |_, current| match current {
                Some(d) if d.state == CustomerState::Active => Ok(Some((
                    CustomerDoc {
                        subject: d.subject,
                        revision: d.revision + 1,
                        state: CustomerState::MergedInto(into.clone()),
                        sealed: None,
                    },
                    true,
                ))),
                _ => Ok(None),
            },
            || false,
        )?;
        if pointed {
            let _ = self.unindex_in(Directory::Customers, &absorbed_sid);
        }
        Ok((merged, absorbed_sid))
    }

    fn review_customers_unaudited(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<ReviewEntry>, Option<String>, u32)> {
        authorize(actor, Operation::ReadCustomer)?;
        let policy = self.current_policy()?;
        let (loaded, next) = self.page(cursor, limit)?;
        let scanned = loaded.len() as u32;
        let now = self.now;
        let entries = loaded
            .into_iter()
            .filter_map(|l| {
                let stale = stale_fields(&l.body, &policy, now);
                (!stale.is_empty() || l.body.email_bounced_at.is_some()).then_some(ReviewEntry {
                    subject: l.sid,
                    stale,
                    email_bounced_at: l.body.email_bounced_at,
                })
            })
            .collect();
        Ok((entries, next, scanned))
    }

    fn mark_bounced_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |_, body| {
            let Some(email) = body.email().map(str::to_string) else {
                return Err(Error::invalid("subject", "has-email", "the record has no email field"));
            };
            if body.email_bounced_at.is_some() {
                return Ok(false);
            }
            body.email_bounced_at = Some(now);
            body.history.push(FieldChange::new(
                "email".into(),
                Some(email.clone()),
                Some(email),
                ChangeReason::Bounced,
                now,
                actor,
            ));
            body.updated_at = now;
            Ok(true)
        })
    }

    fn record_customer_event_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        event: CustomerEvent,
        at: Option<&str>,
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let policy = self.current_policy()?;
        let at = match at {
            None => self.now,
            Some(t) => {
                let t = time::parse("at", t)?;
                if t > self.now + chrono::Duration::seconds(i64::from(policy.settings.max_future_skew_seconds)) {
                    return Err(Error::invalid("at", "not-future", "an event cannot be in the future"));
                }
                t
            }
        };
        let at = Stamp::from_instant(at);
        self.change_customer(actor, subject, |_, body| {
            let slot = match event {
                CustomerEvent::Contact => &mut body.last_contact_at,
                CustomerEvent::RelationshipEnded => &mut body.relationship_ended_at,
            };
            // The latest event counts; an older one changes nothing.
            if slot.is_some_and(|s| s >= at) {
                return Ok(false);
            }
            *slot = Some(at);
            Ok(true)
        })
    }

    /// The record's subject id and archive.
    fn archived_fields_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
    ) -> Result<(String, Vec<ArchivedField>)> {
        authorize(actor, Operation::ReadArchive)?;
        self.check_master_key(false)?;
        match self.find_customer("subject", subject)? {
            Some(l) => Ok((l.sid, l.body.archive)),
            None => {
                // An erased person: what legal holds keep of them.
                let sid = self.subject_id("subject", subject)?;
                let held = self.held_fields(&sid)?;
                if held.is_empty() {
                    return Err(Error::not_found("subject", "customer-exists", "no customer record for this subject"));
                }
                Ok((sid, held))
            }
        }
    }

    fn reverify_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        names: &[String],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        for (i, n) in names.iter().enumerate() {
            field_name(&format!("fields[{i}]"), n)?;
        }
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |_, body| {
            for (i, n) in names.iter().enumerate() {
                if body.field(n).is_none() {
                    return Err(Error::not_found(
                        format!("fields[{i}]"),
                        "field-exists",
                        "the record has no such field",
                    ));
                }
            }
            let mut touched = Vec::new();
            for f in body.fields.iter_mut() {
                if names.is_empty() || names.contains(&f.name) {
                    f.verified_at = Some(now);
                    touched.push((f.name.clone(), f.value.clone()));
                }
            }
            for (name, value) in touched {
                if name == "email" {
                    body.email_bounced_at = None;
                }
                body.history.push(FieldChange::new(
                    name,
                    Some(value.clone()),
                    Some(value),
                    ChangeReason::Reverified,
                    now,
                    actor,
                ));
            }
            body.updated_at = now;
            Ok(true)
        })
    }
}

/// Every operation on the customer file is audited (`customers.*`): a read by the subject
/// id read, a change by the subject id and the names of the fields it touched, never a
/// value. The entry follows the operation's success; on SQLite the CLI runs each call
/// in one transaction, so the change and its entry commit together.
impl<S: Store> Fichier<'_, S> {
    /// One audit entry (not generic: each wrapper below shares this code).
    #[inline(never)]
    pub fn create_customer(&mut self, actor: &Actor, subject: &SubjectRef, inputs: &[FieldInput]) -> Result<Customer> {
        let c = self.create_customer_unaudited(actor, subject, inputs)?;
        let (target, detail) = (c.subject.clone(), field_names(c.body.fields.iter().map(|f| &f.name)));
        self.audit_one(actor, "customers.create", target, detail)?;
        Ok(c)
    }

    pub fn get_customer(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        let c = self.get_customer_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.read", c.subject.clone(), String::new())?;
        Ok(c)
    }

    pub fn customer_history(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<FieldChange>> {
        let (sid, history) = self.customer_history_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.read-history", sid, String::new())?;
        Ok(history)
    }

    pub fn rectify_customer(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        set: &[FieldInput],
        remove: &[String],
    ) -> Result<Customer> {
        let c = self.rectify_customer_unaudited(actor, subject, set, remove)?;
        let (target, detail) = {
            let detail =
                format!("set={} remove={}", field_names(set.iter().map(|f| &f.name)), field_names(remove.iter()));
            (c.subject.clone(), detail)
        };
        self.audit_one(actor, "customers.rectify", target, detail)?;
        Ok(c)
    }

    pub fn delete_customer(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<bool> {
        let (sid, deleted) = self.delete_customer_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.delete", sid, format!("deleted={deleted}"))?;
        Ok(deleted)
    }

    pub fn list_customers(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Customer>, Option<String>)> {
        let v = self.list_customers_unaudited(actor, cursor, limit)?;
        let (page, _) = &v;
        let (target, detail) =
            { ("customers".into(), format!("{} records after {}", page.len(), cursor.unwrap_or("the start"))) };
        self.audit_one(actor, "customers.list", target, detail)?;
        Ok(v)
    }

    pub fn find_duplicates(&mut self, actor: &Actor) -> Result<Vec<duplicates::Pair>> {
        let pairs = self.find_duplicates_unaudited(actor)?;
        let (target, detail) = ("customers".into(), format!("{} pairs", pairs.len()));
        self.audit_one(actor, "customers.duplicates", target, detail)?;
        Ok(pairs)
    }

    pub fn merge_customers(&mut self, actor: &Actor, kept: &SubjectRef, absorbed: &SubjectRef) -> Result<Customer> {
        let (c, gone) = self.merge_customers_unaudited(actor, kept, absorbed)?;
        self.audit_one(actor, "customers.merge", c.subject.clone(), format!("absorbed={gone}"))?;
        Ok(c)
    }

    pub fn review_customers(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<ReviewEntry>, Option<String>, u32)> {
        let v = self.review_customers_unaudited(actor, cursor, limit)?;
        let (_, _, scanned) = &v;
        let (target, detail) =
            { ("customers".into(), format!("{scanned} records after {}", cursor.unwrap_or("the start"))) };
        self.audit_one(actor, "customers.review", target, detail)?;
        Ok(v)
    }

    pub fn mark_bounced(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        let c = self.mark_bounced_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.bounced", c.subject.clone(), "field=email".into())?;
        Ok(c)
    }

    /// Record an event that starts a retention period: a contact the person initiated, or
    /// the end of the relationship. `at` defaults to now; it may not be in the future.
    pub fn record_customer_event(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        event: CustomerEvent,
        at: Option<&str>,
    ) -> Result<Customer> {
        let r = self.record_customer_event_unaudited(actor, subject, event, at);
        let kind = match event {
            CustomerEvent::Contact => "contact",
            CustomerEvent::RelationshipEnded => "relationship-ended",
        };
        let v = r?;
        let c = &v;
        let (target, detail) = (c.subject.clone(), format!("event={kind}"));
        self.audit_one(actor, "customers.event", target, detail)?;
        Ok(v)
    }

    /// What the intermediate archive holds for a customer: restricted to the DPO and admins.
    pub fn archived_fields(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<ArchivedField>> {
        let (sid, archive) = self.archived_fields_unaudited(actor, subject)?;
        let detail = field_names(archive.iter().map(|a| &a.field.name));
        self.audit_one(actor, "customers.read-archive", sid, detail)?;
        Ok(archive)
    }

    pub fn reverify_customer(&mut self, actor: &Actor, subject: &SubjectRef, names: &[String]) -> Result<Customer> {
        let c = self.reverify_customer_unaudited(actor, subject, names)?;
        let (target, detail) = (c.subject.clone(), field_names(names.iter()));
        self.audit_one(actor, "customers.reverify", target, detail)?;
        Ok(c)
    }
}

/// `fields=a,b` (names only).
fn field_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::from("fields=");
    for (i, n) in names.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(n);
    }
    out
}

pub(crate) fn open_body(dek: &DataKey, sid: &str, key: &str, revision: u32, sealed: &[u8]) -> Result<CustomerBody> {
    let plain = dek.open(&sealed_context(sid, revision), sid, sealed).ok_or_else(|| {
        Error::corrupted(place(Bucket::Data, key), "aead-authentic", "the customer record fails authentication")
    })?;
    decode_body(&plain)
        .map_err(|e| Error::corrupted(place(Bucket::Data, key), "decodes", format!("sealed record: {e}")))
}

/// The first byte of a sealed body in the binary encoding, version 1 (before retention):
/// still read. Bodies sealed before it were JSON, which starts with `{`; also read.
const BODY_POSTCARD_1: u8 = 1;
/// Version 2: with contact dates, archive and anonymised values. Still read.
const BODY_POSTCARD_2: u8 = 2;
/// Version 3: with the restriction of processing. Always written.
const BODY_POSTCARD: u8 = 3;

/// What format 2 added at the end of a body, all empty (three `None`s, two empty lists),
/// and format 3 (one `None`): an older body followed by these bytes is the same body in
/// format 3, so older formats are read without decoders of their own (postcard has no
/// field names: the layout is the format).
const FORMAT_2_TAIL: [u8; 5] = [0; 5];
const FORMAT_3_TAIL: [u8; 1] = [0; 1];

/// A customer body as sealed: a format byte, then postcard (timestamps as milliseconds).
/// A 9-field imported record is ~0.8 KB this way against ~3.2 KB as JSON.
pub(crate) fn encode_body(body: &CustomerBody) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.push(BODY_POSTCARD);
    postcard::to_extend(body, out).unwrap_or_else(|_| unreachable!("customer bodies serialise"))
}

fn whole<T: serde::de::DeserializeOwned>(rest: &[u8]) -> std::result::Result<T, String> {
    match postcard::take_from_bytes::<T>(rest) {
        Ok((v, [])) => Ok(v),
        Ok(_) => Err("trailing bytes after the record".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A body as the first versions sealed it, in JSON: only the fields they had, so the JSON
/// reader compiled in stays that small.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BodyJson {
    created_at: Stamp,
    updated_at: Stamp,
    fields: Vec<Field>,
    history: Vec<FieldChange>,
    #[serde(default)]
    email_bounced_at: Option<Stamp>,
    #[serde(default)]
    merged_from: Vec<String>,
}

impl From<BodyJson> for CustomerBody {
    fn from(v: BodyJson) -> Self {
        Self {
            updated_at: v.updated_at,
            fields: v.fields,
            history: v.history,
            email_bounced_at: v.email_bounced_at,
            merged_from: v.merged_from,
            ..CustomerBody::new(v.created_at)
        }
    }
}

/// Decode the plaintext of a sealed body (public for the fuzzer; bodies are authenticated
/// before they reach it).
pub fn decode_body(plain: &[u8]) -> std::result::Result<CustomerBody, String> {
    match plain.split_first() {
        Some((&BODY_POSTCARD, rest)) => whole(rest),
        Some((&BODY_POSTCARD_2, rest)) => whole(&[rest, &FORMAT_3_TAIL[..]].concat()),
        Some((&BODY_POSTCARD_1, rest)) => whole(&[rest, &FORMAT_2_TAIL[..], &FORMAT_3_TAIL[..]].concat()),
        Some((b'{', _)) => serde_json::from_slice::<BodyJson>(plain).map(CustomerBody::from).map_err(|e| e.to_string()),
        _ => Err("unknown record encoding".into()),
    }
}

/// Refuse `actor` the processing of a restricted record unless they handle restrictions.
pub(crate) fn restriction_allows(actor: &Actor, body: &CustomerBody) -> Result<()> {
    match &body.restriction {
        Some(r) if !matches!(actor.role, crate::model::Role::Admin | crate::model::Role::Dpo) => Err(Error::conflict(
            "subject",
            "not-restricted",
            format!("processing of this person is restricted since {} (Art. 18): only storage", r.since),
        )),
        _ => Ok(()),
    }
}

/// Fold `other` (the absorbed record) into `body`.
fn merge_into(body: &mut CustomerBody, other: &CustomerBody, from: &str, by: &Actor, now: Stamp) {
    for mut change in other.history.clone() {
        change.from_subject = Some(change.from_subject.unwrap_or_else(|| from.to_string()));
        body.history.push(change);
    }
    for f in &other.fields {
        let previous = body.field(&f.name).map(|e| e.value.clone());
        match previous {
            None => {
                body.fields.push(f.clone());
                body.history.push(FieldChange {
                    from_subject: Some(from.to_string()),
                    ..FieldChange::new(f.name.clone(), None, Some(f.value.clone()), ChangeReason::Merged, now, by)
                });
            }
            Some(mine) if mine != f.value => {
                // The kept value stays; the other one is kept in the history.
                body.history.push(FieldChange {
                    from_subject: Some(from.to_string()),
                    ..FieldChange::new(f.name.clone(), Some(f.value.clone()), Some(mine), ChangeReason::Merged, now, by)
                });
            }
            Some(_) => {}
        }
    }
    body.last_contact_at = body.last_contact_at.max(other.last_contact_at);
    body.relationship_ended_at = body.relationship_ended_at.max(other.relationship_ended_at);
    body.archive.extend(other.archive.iter().cloned());
    body.anonymised.extend(other.anonymised.iter().cloned());
    body.merged_from.push(from.to_string());
    for m in &other.merged_from {
        if !body.merged_from.contains(m) {
            body.merged_from.push(m.clone());
        }
    }
    crate::sort::sort_by(&mut body.fields, |a, b| a.name.cmp(&b.name));
    body.updated_at = now;
}

/// Fields past their re-verification period.
pub fn stale_fields(body: &CustomerBody, policy: &Policy, now: Instant) -> Vec<StaleField> {
    let mut out = Vec::new();
    for f in &body.fields {
        let Some(months) = policy.settings.reverify_months(f.category) else { continue };
        let since = f.verified_at.unwrap_or(f.collected_at);
        let Some(due) = time::add_months(since.instant(), months, policy.settings.zone()) else { continue };
        if due <= now {
            out.push(StaleField {
                field: f.name.clone(),
                category: f.category,
                since: since.to_string(),
                due_at: time::format(due),
            });
        }
    }
    out
}

/// A record holding one phone number (contact data, for orders) collected at `at`: the
/// unit tests' date tables.
#[cfg(test)]
pub(crate) fn phone_record(at: Stamp) -> CustomerBody {
    let mut b = CustomerBody::new(at);
    b.fields.push(Field {
        name: "phone".into(),
        value: "+33612345678".into(),
        category: DataCategory::Contact,
        purposes: vec!["orders".into()],
        basis: LawfulBasis::Contract,
        source: Source::Person,
        collected_at: at,
        verified_at: None,
        updated_at: at,
    });
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    /// Re-verification due dates (contact: 24 months by default) on the Paris calendar.
    #[test]
    fn reverification_falls_due_on_the_shop_calendar() {
        let stamp = |t: &str| Stamp::from_instant(time::parse("t", t).expect("valid"));
        let policy = crate::settings::default_policy();
        let table = [
            // 29 February + 24 months = 28 February.
            ("2024-02-29T09:00:00Z", "2026-02-28T09:00:00.000Z"),
            // 1 March 00:30 in Paris (29 February 23:30 UTC) stays 1 March.
            ("2024-02-29T23:30:00Z", "2026-02-28T23:30:00.000Z"),
            // 02:30 summer time in the hour that repeats (27 October 2024) → 02:30 winter
            // time two years on; 03:30 summer time the day clocks went forward → 03:30.
            ("2024-10-27T00:30:00Z", "2026-10-27T01:30:00.000Z"),
            ("2024-03-31T01:30:00Z", "2026-03-31T01:30:00.000Z"),
            // 31 May 23:30 UTC is 1 June in Paris.
            ("2024-05-31T23:30:00Z", "2026-05-31T23:30:00.000Z"),
        ];
        for (collected, due) in table {
            let b = phone_record(stamp(collected));
            let now = time::parse("now", "2030-01-01T00:00:00Z").expect("now");
            let stale = stale_fields(&b, &policy, now);
            assert_eq!(stale.first().map(|f| f.due_at.as_str()), Some(due), "collected {collected}");
        }
    }

    fn body() -> CustomerBody {
        let by = Actor { id: "import".into(), role: Role::System };
        let stamp = |t: &str| Stamp::from_instant(time::parse("t", t).expect("valid"));
        let at = stamp("2026-11-29T08:00:00.000Z");
        let mut b = CustomerBody::new(at);
        b.fields.push(Field {
            name: "email".into(),
            value: "anne@example.org".into(),
            category: DataCategory::Contact,
            purposes: vec!["orders".into()],
            basis: LawfulBasis::Contract,
            source: Source::ThirdParty("marketplace".into()),
            collected_at: stamp("2024-03-01T00:00:00.000Z"),
            verified_at: Some(at),
            updated_at: at,
        });
        b.history.push(FieldChange::new(
            "email".into(),
            None,
            Some("anne@example.org".into()),
            ChangeReason::Imported,
            at,
            &by,
        ));
        b.email_bounced_at = Some(at);
        b.merged_from = vec!["s-abc".into()];
        b
    }

    /// A body with every retention part filled.
    fn swept_body() -> CustomerBody {
        let mut b = body();
        let at = b.created_at;
        b.last_contact_at = Some(at);
        b.relationship_ended_at = Some(at);
        b.repermission_asked_at = Some(at);
        let field = b.fields[0].clone();
        b.archive.push(ArchivedField { field, archived_at: at, until: at, activity: "accounting".into() });
        b.anonymised.push(AnonymisedField {
            name: "postal-code".into(),
            category: DataCategory::PostalAddress,
            value: "75".into(),
            at,
        });
        b
    }

    #[test]
    fn bodies_round_trip_binary_and_read_legacy_json() {
        let b = body();
        let bin = encode_body(&b);
        assert_eq!(bin[0], BODY_POSTCARD);
        assert_eq!(decode_body(&bin).expect("binary"), b);
        let json = serde_json::to_vec(&b).expect("json");
        assert!(bin.len() * 2 < json.len(), "{} vs {}", bin.len(), json.len());
        assert_eq!(decode_body(&json).expect("legacy json"), b);
        // Truncated, extended or unknown encodings are errors, never a partial record.
        assert!(decode_body(&bin[..bin.len() - 1]).is_err());
        let mut longer = bin.clone();
        longer.push(0);
        assert!(decode_body(&longer).is_err());
        assert!(decode_body(&[]).is_err());
        assert!(decode_body(&[7, 1, 2]).is_err());
    }

    #[test]
    fn birth_dates_are_strict_iso_dates() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        for (raw, want) in [
            ("1990-07-14", Some("1990-07-14")),
            (" 1990-07-14 ", Some("1990-07-14")),
            ("2024-02-29", Some("2024-02-29")),
            ("2023-02-29", None),
            ("1990-7-14", None),
            ("1990-07-4", None),
            ("+990-07-14", None),
            ("19900714", None),
            ("14/07/1990", None),
            ("1990-07-14T00:00", None),
            ("2027-01-01", None),
        ] {
            assert_eq!(birth_date("f", raw, today).ok().as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn bodies_sealed_in_formats_1_and_2_are_read() {
        // Format 1 had no retention fields: the same layout up to `merged-from`.
        let b = body();
        let v1 = (b.created_at, b.updated_at, &b.fields, &b.history, b.email_bounced_at, &b.merged_from);
        let mut bin = vec![BODY_POSTCARD_1];
        bin.extend(postcard::to_allocvec(&v1).expect("v1"));
        let read = decode_body(&bin).expect("format 1");
        assert_eq!(read, b);
        assert!(read.archive.is_empty() && read.last_contact_at.is_none());
        // A format-3 body is not a format-1 one.
        let mut three = encode_body(&b);
        three[0] = BODY_POSTCARD_1;
        assert!(decode_body(&three).is_err());
        // Format 2 had no restriction: the same layout up to `anonymised`.
        let v2 = (
            (b.created_at, b.updated_at, &b.fields, &b.history, b.email_bounced_at, &b.merged_from),
            (b.last_contact_at, b.relationship_ended_at, b.repermission_asked_at, &b.archive, &b.anonymised),
        );
        let mut bin = vec![BODY_POSTCARD_2];
        bin.extend(postcard::to_allocvec(&v2).expect("v2"));
        let read = decode_body(&bin).expect("format 2");
        assert_eq!((read.restriction.is_none(), read), (true, b));
    }

    #[test]
    fn the_body_decoder_survives_every_single_byte_change_and_cut() {
        // Bodies are authenticated before they are decoded; the decoder must still never
        // panic nor loop on bytes it did not write.
        let full = swept_body();
        assert_eq!(decode_body(&encode_body(&full)).expect("round trip"), full);
        let bin = encode_body(&full);
        for i in 1..bin.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff, bin[i] ^ 0x55] {
                let mut m = bin.clone();
                m[i] = v;
                let _ = decode_body(&m);
            }
            let _ = decode_body(&bin[..i]);
        }
    }
}
