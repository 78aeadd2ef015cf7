//! The rules per field of a customer record: well-known names and how each is
//! normalised, the checks every field passes (name, category, purposes, basis, source,
//! dates), what the file must never hold (the minimisation check's blocking rules,
//! refused at create and rectify, never echoing the value), and applying a validated
//! change to a body with its history.

use super::{ChangeReason, CustomerBody, Field, FieldChange, FieldInput, MAX_FIELDS, MAX_PURPOSES, normalize};
use crate::consent::Purpose;
use crate::kernel::error::{Error, Result};
use crate::kernel::nfc::nfc_owned;
use crate::kernel::policy::Policy;
use crate::kernel::time::{self, Instant, Stamp};
use crate::kernel::types::{Actor, DataCategory, Source};
use crate::kernel::validate::{self, MAX_TEXT_BYTES};

/// How a well-known field is normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) fn well_known(name: &str) -> Option<(DataCategory, Kind)> {
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
pub(super) const REFUSED_IN_RECORDS: [&str; 5] = [
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
        // NFC first: `E` + U+0301 is `É` for every rule below and in what is stored.
        let input = FieldInput { value: nfc_owned(input.value), ..input };
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
                if input
                    .value
                    .chars()
                    .any(|c| (c.is_control() && c != '\n' && c != '\t') || validate::is_bidi_control(c))
                {
                    return Err(Error::invalid(
                        at(".value"),
                        "printable",
                        "must not contain control characters nor bidirectional controls",
                    ));
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
pub(super) fn birth_date(field: &str, raw: &str, today: chrono::NaiveDate) -> Result<String> {
    let raw = raw.trim();
    let d = crate::kernel::time::parse_day(raw)
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
        crate::kernel::sort::sort_by(&mut body.fields, |a, b| a.name.cmp(&b.name));
        body.updated_at = now;
    }
    changed
}
