//! The policy: settings every context reads (consent validity per purpose kind, the
//! minor-consent age per country, clock skew, the shop's time zone, re-verification
//! periods, audit and opposition-list retention). Versioned documents with defaults from
//! `GDPR.md`, changed through the API (the WIT `settings` interface's policy functions).
//!
//! Stored: `policy` — [`PolicyDoc`], every version, the commit point of policy changes.

use serde::{Deserialize, Serialize};

use super::authz::{Operation, authorize};
use super::context::Fichier;
use super::error::{Error, Result};
use super::store::{Bucket, Store, document};
use super::types::{Actor, DataCategory, PurposeKind, Role};
use super::{time, validate};

/// Audit log retention: CNIL délibération 2021-122 recommends 6 months to a year for logs.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;
/// The audit log's retention bounds (CNIL délibération 2021-122: logs 6 months to a year).
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 180;
pub const MAX_AUDIT_RETENTION_DAYS: u32 = 366;

/// The opposition list (Art. 21): "at least 3 years" is the usual reading (unconfirmed in
/// `GDPR.md`), so a setting of 36 to 120 months.
pub const DEFAULT_OPPOSITION_MONTHS: u32 = 36;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MinorAge {
    pub country: String,
    pub age: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct KindValidity {
    pub kind: PurposeKind,
    pub grant_months: Option<u32>,
    pub refusal_months: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyInput {
    pub country: String,
    pub minor_ages: Vec<MinorAge>,
    pub default_minor_age: u8,
    pub validity: Vec<KindValidity>,
    pub max_future_skew_seconds: u32,
    /// Policies stored before re-verification existed read as "never due".
    #[serde(default)]
    pub reverify: Vec<ReverifyPeriod>,
    /// The IANA zone month-based periods are computed in; policies stored before it
    /// existed read as Europe/Paris.
    #[serde(default = "default_zone_name")]
    pub time_zone: String,
    /// How long audit log entries are kept (days); policies stored before it read as 365.
    #[serde(default = "default_audit_days")]
    pub audit_retention_days: u32,
    /// How long an entry stays on the opposition list (months); policies stored before it
    /// read as 36.
    #[serde(default = "default_opposition_months")]
    pub opposition_months: u32,
    /// How long a public sign-up by e-mail waits for its confirmation (days, 1–30) before
    /// it expires and is deleted; policies stored before it read as 7.
    #[serde(default = "default_confirm_within_days")]
    pub confirm_within_days: u32,
    /// Whether a status read that carries Global Privacy Control answers `refused` for
    /// advertising purposes not granted after the signal was first seen (our policy: the
    /// signal's legal effect in the EU is not settled). `None` (and policies stored before
    /// it): on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpc_refuses_advertising: Option<bool>,
    /// The day (`YYYY-MM-DD`, the shop's zone) from which the opens of subscribers
    /// collected before the e-mail tracking rule may no longer be measured without
    /// their own consent (CNIL délibération 2026-042: 14 July 2026, a date from law-firm
    /// summaries, hence a setting). `None` (and policies stored before it): the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_tracking_cutover: Option<String>,
    /// How long a logged-in customer's reference (consent across devices) opens their
    /// banner choice, in hours (1–720). `None` (and policies stored before it): 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_reference_hours: Option<u32>,
}

/// The default of `customer-reference-hours`: a day, so a page kept or leaked gives no
/// lasting access.
pub const DEFAULT_CUSTOMER_REFERENCE_HOURS: u32 = 24;

/// The default of `email-tracking-cutover` (CNIL délibération 2026-042, as summarised).
pub const DEFAULT_EMAIL_TRACKING_CUTOVER: &str = "2026-07-14";

/// The default validity of an `email-tracking` consent: as marketing's (36 months granted,
/// a refusal never re-asked), the consent it sits beside.
const EMAIL_TRACKING_VALIDITY: KindValidity =
    KindValidity { kind: PurposeKind::EmailTracking, grant_months: Some(36), refusal_months: None };

fn default_confirm_within_days() -> u32 {
    DEFAULT_CONFIRM_WITHIN_DAYS
}

/// How long a double opt-in waits for its confirmation by default (days).
pub const DEFAULT_CONFIRM_WITHIN_DAYS: u32 = 7;

fn default_zone_name() -> String {
    time::DEFAULT_ZONE.name().into()
}

fn default_audit_days() -> u32 {
    DEFAULT_AUDIT_RETENTION_DAYS
}

fn default_opposition_months() -> u32 {
    DEFAULT_OPPOSITION_MONTHS
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReverifyPeriod {
    pub category: DataCategory,
    pub months: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    pub version: u32,
    pub settings: PolicyInput,
    pub changed_at: String,
    pub changed_by: Actor,
}

/// Every version of the policy, oldest first; the last is current.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyDoc {
    /// Every version, oldest first; the last is current.
    pub versions: Vec<Policy>,
}
document!(PolicyDoc, "policy", 1);

/// The key of [`PolicyDoc`] in the data bucket.
pub const POLICY_KEY: &str = "policy";

/// The defaults a fresh store starts with (version 1).
pub fn default_policy() -> Policy {
    Policy {
        version: 1,
        settings: PolicyInput {
            country: "FR".into(),
            // Loi Informatique et Libertés, art. 45.
            minor_ages: vec![MinorAge { country: "FR".into(), age: 15 }],
            // GDPR Art. 8(1).
            default_minor_age: 16,
            validity: vec![
                KindValidity { kind: PurposeKind::Service, grant_months: None, refusal_months: None },
                KindValidity { kind: PurposeKind::Marketing, grant_months: Some(36), refusal_months: None },
                // CNIL délibération 2020-091: keep the choice about 6 months (a setting).
                KindValidity { kind: PurposeKind::Cookie, grant_months: Some(6), refusal_months: Some(6) },
                KindValidity { kind: PurposeKind::Advertising, grant_months: Some(6), refusal_months: Some(6) },
                EMAIL_TRACKING_VALIDITY,
            ],
            max_future_skew_seconds: 300,
            // Art. 5(1)(d) sets no period: these are settings.
            reverify: vec![
                ReverifyPeriod { category: DataCategory::Contact, months: 24 },
                ReverifyPeriod { category: DataCategory::PostalAddress, months: 24 },
            ],
            time_zone: time::DEFAULT_ZONE.name().into(),
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            opposition_months: DEFAULT_OPPOSITION_MONTHS,
            confirm_within_days: DEFAULT_CONFIRM_WITHIN_DAYS,
            gpc_refuses_advertising: Some(true),
            email_tracking_cutover: Some(DEFAULT_EMAIL_TRACKING_CUTOVER.into()),
            customer_reference_hours: Some(DEFAULT_CUSTOMER_REFERENCE_HOURS),
        },
        changed_at: time::format(time::from_unix_millis(0).unwrap_or_default()),
        changed_by: Actor { id: "system:defaults".into(), role: Role::System },
    }
}

impl PolicyInput {
    /// Whether Global Privacy Control refuses advertising purposes (default on).
    pub fn gpc_refuses_advertising(&self) -> bool {
        self.gpc_refuses_advertising.unwrap_or(true)
    }

    /// The minor-consent age in force for the shop's country.
    pub fn minor_age(&self) -> u8 {
        self.minor_ages.iter().find(|m| m.country == self.country).map_or(self.default_minor_age, |m| m.age)
    }

    /// The zone month-based periods are computed in (validated when set).
    pub fn zone(&self) -> time::Zone {
        self.time_zone.parse().unwrap_or(time::DEFAULT_ZONE)
    }

    /// The re-verification period of a category, if it has one.
    pub fn reverify_months(&self, category: DataCategory) -> Option<u32> {
        self.reverify.iter().find(|r| r.category == category).map(|r| r.months)
    }

    /// The validity for a kind (every kind is present after validation; a policy stored
    /// before `email-tracking` existed gives that kind its default).
    pub fn validity_of(&self, kind: PurposeKind) -> KindValidity {
        self.validity.iter().find(|v| v.kind == kind).cloned().unwrap_or(match kind {
            PurposeKind::EmailTracking => EMAIL_TRACKING_VALIDITY,
            _ => KindValidity { kind, grant_months: None, refusal_months: None },
        })
    }

    /// How long a customer reference lives, in hours.
    pub fn customer_reference_hours(&self) -> u32 {
        self.customer_reference_hours.unwrap_or(DEFAULT_CUSTOMER_REFERENCE_HOURS)
    }

    /// The e-mail tracking cut-over day (validated when set).
    pub fn email_tracking_cutover(&self) -> chrono::NaiveDate {
        let parse = super::time::parse_day;
        self.email_tracking_cutover
            .as_deref()
            .and_then(parse)
            .or_else(|| parse(DEFAULT_EMAIL_TRACKING_CUTOVER))
            .unwrap_or_default()
    }

    fn validate(&self) -> Result<()> {
        validate::country("input.country", &self.country)?;
        if self.minor_ages.len() > 64 {
            return Err(Error::invalid("input.minor-ages", "max-items", "at most 64 countries"));
        }
        for (i, m) in self.minor_ages.iter().enumerate() {
            validate::country(&format!("input.minor-ages[{i}].country"), &m.country)?;
            if !(13..=16).contains(&m.age) {
                return Err(Error::invalid(
                    format!("input.minor-ages[{i}].age"),
                    "art-8-range",
                    "Art. 8(1) allows 13 to 16",
                ));
            }
            if self.minor_ages[..i].iter().any(|o| o.country == m.country) {
                return Err(Error::invalid(
                    format!("input.minor-ages[{i}].country"),
                    "unique",
                    "a country appears once",
                ));
            }
        }
        if !(13..=16).contains(&self.default_minor_age) {
            return Err(Error::invalid("input.default-minor-age", "art-8-range", "Art. 8(1) allows 13 to 16"));
        }
        for kind in PurposeKind::ALL {
            // `email-tracking` came later: a policy written before it may leave it out
            // (it takes its default), never give it twice.
            let count = self.validity.iter().filter(|v| v.kind == kind).count();
            if count > 1 || (count == 0 && kind != PurposeKind::EmailTracking) {
                return Err(Error::invalid(
                    "input.validity",
                    "one-per-kind",
                    "give exactly one validity per purpose kind",
                ));
            }
        }
        for (i, v) in self.validity.iter().enumerate() {
            for (name, months) in [("grant-months", v.grant_months), ("refusal-months", v.refusal_months)] {
                if months.is_some_and(|m| !(1..=120).contains(&m)) {
                    return Err(Error::invalid(
                        format!("input.validity[{i}].{name}"),
                        "range-1-120",
                        "1 to 120 months",
                    ));
                }
            }
        }
        for (i, r) in self.reverify.iter().enumerate() {
            if !(1..=120).contains(&r.months) {
                return Err(Error::invalid(format!("input.reverify[{i}].months"), "range-1-120", "1 to 120 months"));
            }
            if self.reverify[..i].iter().any(|o| o.category == r.category) {
                return Err(Error::invalid(
                    format!("input.reverify[{i}].category"),
                    "unique",
                    "a category appears once",
                ));
            }
        }
        time::zone("input.time-zone", &self.time_zone)?;
        // CNIL délibération 2021-122: logs are kept 6 months to a year.
        if !(MIN_AUDIT_RETENTION_DAYS..=MAX_AUDIT_RETENTION_DAYS).contains(&self.audit_retention_days) {
            return Err(Error::invalid(
                "input.audit-retention-days",
                "range-180-366",
                "6 months to a year (CNIL délibération 2021-122): 180 to 366 days",
            ));
        }
        if !(36..=120).contains(&self.opposition_months) {
            return Err(Error::invalid("input.opposition-months", "range-36-120", "36 to 120 months"));
        }
        if !(1..=30).contains(&self.confirm_within_days) {
            return Err(Error::invalid("input.confirm-within-days", "range-1-30", "1 to 30 days"));
        }
        if let Some(day) = &self.email_tracking_cutover {
            let ok = super::time::parse_day(day).is_some();
            if !ok {
                return Err(Error::invalid("input.email-tracking-cutover", "date", "a day is written YYYY-MM-DD"));
            }
        }
        if self.customer_reference_hours.is_some_and(|h| !(1..=720).contains(&h)) {
            return Err(Error::invalid("input.customer-reference-hours", "range-1-720", "1 to 720 hours"));
        }
        if self.max_future_skew_seconds > 86_400 {
            return Err(Error::invalid("input.max-future-skew-seconds", "max-86400", "at most one day"));
        }
        Ok(())
    }
}

impl<S: Store> Fichier<'_, S> {
    /// The policy in force (the defaults on a fresh store).
    pub(crate) fn current_policy(&self) -> Result<Policy> {
        Ok(self
            .get_doc::<PolicyDoc>(Bucket::Data, POLICY_KEY)?
            .and_then(|d| d.versions.last().cloned())
            .unwrap_or_else(default_policy))
    }

    pub fn get_policy(&mut self, actor: &Actor) -> Result<Policy> {
        authorize(actor, Operation::ReadPolicy)?;
        self.current_policy()
    }

    pub fn policy_history(&mut self, actor: &Actor) -> Result<Vec<Policy>> {
        authorize(actor, Operation::ReadPolicy)?;
        Ok(self.get_doc::<PolicyDoc>(Bucket::Data, POLICY_KEY)?.map_or_else(|| vec![default_policy()], |d| d.versions))
    }

    pub fn set_policy(&mut self, actor: &Actor, input: PolicyInput) -> Result<Policy> {
        authorize(actor, Operation::SetPolicy)?;
        input.validate()?;
        let mut input = input;
        // Not given: on (the default), stated so the stored version says what it applied.
        input.gpc_refuses_advertising.get_or_insert(true);
        input.email_tracking_cutover.get_or_insert_with(|| DEFAULT_EMAIL_TRACKING_CUTOVER.into());
        input.customer_reference_hours.get_or_insert(DEFAULT_CUSTOMER_REFERENCE_HOURS);
        if !input.validity.iter().any(|v| v.kind == PurposeKind::EmailTracking) {
            input.validity.push(EMAIL_TRACKING_VALIDITY);
        }
        crate::kernel::sort::sort_by(&mut input.minor_ages, |a, b| a.country.cmp(&b.country));
        crate::kernel::sort::sort_by(&mut input.validity, |a, b| a.kind.cmp(&b.kind));
        let at = time::format(self.now);
        self.update::<PolicyDoc, Policy>(
            Bucket::Data,
            POLICY_KEY,
            |_, current| {
                let mut doc = current.unwrap_or_else(|| PolicyDoc { versions: vec![default_policy()] });
                let version = doc.versions.last().map_or(1, |p| p.version + 1);
                let policy =
                    Policy { version, settings: input.clone(), changed_at: at.clone(), changed_by: actor.clone() };
                doc.versions.push(policy.clone());
                Ok(Some((doc, policy)))
            },
            || unreachable!("set-policy always writes"),
        )
    }
}
