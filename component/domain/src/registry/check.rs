//! `registry.check`: the gaps between the register and what the shop does — consent
//! purposes or stored (category, purpose) pairs no activity declares, categories without
//! a retention rule, a cookie purpose not on consent, sensitive data, a missing
//! organisation. The rule is pure ([`check`]); the operation reads its inputs.

use serde::{Deserialize, Serialize};

use super::{Activity, LawfulBasis, RegistryDoc, RetentionAction, RetentionStart};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::Result;
use crate::kernel::store::Store;
use crate::kernel::types::{Actor, DataCategory, PurposeKind};

pub fn kind_needs_consent(kind: PurposeKind) -> bool {
    matches!(kind, PurposeKind::Cookie | PurposeKind::Advertising | PurposeKind::EmailTracking)
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

pub(super) fn finding(
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
pub fn check(doc: &RegistryDoc, catalogue: &[crate::consent::Purpose], usage: &Usage) -> Vec<RegistryFinding> {
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
                // E-mail tracking: its own consent (CNIL délibération 2026-042).
                PurposeKind::Cookie | PurposeKind::Advertising | PurposeKind::EmailTracking => {
                    ap.basis == LawfulBasis::Consent
                }
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
    for a in &active {
        for r in &a.definition.retention {
            // Card data archived for disputes is a legal-claims exception (Art. 17(3)(e),
            // CNIL délibération 2018-303): without its hold on record an erasure deletes what
            // the sweep archives, and the two disagree (registers made before the shipped
            // default carried it).
            if r.category == DataCategory::Payment && r.action == RetentionAction::Archive && r.legal_hold.is_none() {
                out.push(finding(
                    Warn,
                    format!("activity:{}", a.definition.id),
                    "archive-hold-recorded",
                    "GDPR Art. 17(3)(e); CNIL délibération 2018-303",
                    format!(
                        "activity {} archives payment data without a legal hold: an erasure would delete what the sweep keeps for disputes",
                        a.definition.id
                    ),
                    "record the legal hold of the payment rule (CNIL 2018-303, 13 months after the debit, 15 for a deferred debit)".into(),
                ));
            }
            // An online account's inactivity is the absence of login (CNIL délibération
            // 2021-131): counted from the last contact, an order would keep an unused account.
            if r.category == DataCategory::Account && r.start == RetentionStart::LastContact {
                out.push(finding(
                    Info,
                    format!("activity:{}", a.definition.id),
                    "account-from-last-login",
                    "CNIL délibération 2021-131",
                    format!("activity {} counts an account's inactivity from the last contact", a.definition.id),
                    "count it from the last login (record login events: fichier customers event --kind login)".into(),
                ));
            }
        }
    }
    crate::kernel::sort::sort_by(&mut out, |x, y| {
        (x.severity, &x.target, &x.rule).cmp(&(y.severity, &y.target, &y.rule))
    });
    out
}

impl<S: Store> Fichier<'_, S> {
    /// Check the register against the consent catalogue and the customer file.
    pub fn check_registry(&mut self, actor: &Actor) -> Result<Vec<RegistryFinding>> {
        authorize(actor, Operation::ReadRegistry)?;
        let doc = self.registry()?;
        let catalogue = self.purposes()?;
        let (usage, damaged) = self.customer_usage()?;
        let mut findings = check(&doc, &catalogue, &usage);
        // A record that does not open is not counted: the check says so rather than
        // failing for every other record.
        findings.extend(damaged.into_iter().map(|d| {
            finding(
                crate::minimisation::Severity::Warn,
                format!("customer:{}", d.subject),
                "record-opens",
                "GDPR Art. 32(1)(b)",
                format!("the customer record at {} does not open ({}): it is not counted here", d.place, d.rule),
                "run `fichier verify-store`, then restore the record from a backup or erase it".into(),
            )
        }));
        Ok(findings)
    }
}
