//! `registry`: the register of processing activities (Art. 30), the notices it
//! generates and the lawful-basis assistant.

use fichier_domain::basis as db;
use fichier_domain::registry as dr;
use fichier_domain::registry_export as dx;

use super::consent::notice;
use super::minimisation::severity_out;
use super::types::{self, actor_out, basis, basis_out, category, category_out};
use crate::bindings::exports::fichier::client::registry as r;
use crate::{Component, run, wit};

impl r::Guest for Component {
    fn get_organisation(actor: wit::Actor) -> Result<Option<r::Organisation>, wit::Error> {
        run(|f| f.get_organisation(&types::actor(actor)), |o| o.map(organisation_out))
    }

    fn set_organisation(actor: wit::Actor, input: r::Organisation) -> Result<r::Organisation, wit::Error> {
        run(|f| f.set_organisation(&types::actor(actor), organisation(input)), organisation_out)
    }

    fn put_activity(actor: wit::Actor, input: r::ActivityInput) -> Result<r::Activity, wit::Error> {
        run(|f| f.put_activity(&types::actor(actor), activity_input(input)), activity)
    }

    fn get_activity(actor: wit::Actor, id: String) -> Result<r::Activity, wit::Error> {
        run(|f| f.get_activity(&types::actor(actor), &id), activity)
    }

    fn list_activities(actor: wit::Actor, include_retired: bool) -> Result<Vec<r::Activity>, wit::Error> {
        run(|f| f.list_activities(&types::actor(actor), include_retired), |v| v.into_iter().map(activity).collect())
    }

    fn retire_activity(actor: wit::Actor, id: String, reason: String) -> Result<r::Activity, wit::Error> {
        run(|f| f.retire_activity(&types::actor(actor), &id, &reason), activity)
    }

    fn history(actor: wit::Actor, target: Option<String>) -> Result<Vec<r::RegistryChange>, wit::Error> {
        run(|f| f.registry_history(&types::actor(actor), target.as_deref()), |v| v.into_iter().map(change).collect())
    }

    fn load_shop_defaults(actor: wit::Actor) -> Result<Vec<String>, wit::Error> {
        run(|f| f.load_shop_defaults(&types::actor(actor)), |v| v)
    }

    fn export(actor: wit::Actor, format: r::ExportFormat, lang: r::Lang) -> Result<String, wit::Error> {
        run(|f| f.export_registry(&types::actor(actor), self::format(format), self::lang(lang)), |s| s)
    }

    fn check(actor: wit::Actor) -> Result<Vec<r::RegistryFinding>, wit::Error> {
        run(|f| f.check_registry(&types::actor(actor)), |v| v.into_iter().map(finding).collect())
    }

    fn assist_basis(actor: wit::Actor, answers: r::BasisAnswers, lang: r::Lang) -> Result<r::BasisAdvice, wit::Error> {
        run(|f| f.assist_basis(&types::actor(actor), basis_answers(answers), self::lang(lang)), advice)
    }

    fn generate_notice(
        actor: wit::Actor,
        purposes: Vec<String>,
        lang: r::Lang,
    ) -> Result<r::GeneratedNotice, wit::Error> {
        run(|f| f.generate_notice(&types::actor(actor), &purposes, self::lang(lang)), generated)
    }
}

fn localized(l: r::Localized) -> dr::Localized {
    dr::Localized { fr: l.fr, en: l.en }
}

fn localized_out(l: dr::Localized) -> r::Localized {
    r::Localized { fr: l.fr, en: l.en }
}

pub fn lang(l: r::Lang) -> dr::Lang {
    match l {
        r::Lang::Fr => dr::Lang::Fr,
        r::Lang::En => dr::Lang::En,
    }
}

pub fn format(f: r::ExportFormat) -> dx::ExportFormat {
    match f {
        r::ExportFormat::Json => dx::ExportFormat::Json,
        r::ExportFormat::Csv => dx::ExportFormat::Csv,
        r::ExportFormat::Html => dx::ExportFormat::Html,
    }
}

fn contact(c: r::Contact) -> dr::Contact {
    dr::Contact { name: c.name, address: c.address, email: c.email, phone: c.phone }
}

fn contact_out(c: dr::Contact) -> r::Contact {
    r::Contact { name: c.name, address: c.address, email: c.email, phone: c.phone }
}

pub fn organisation(o: r::Organisation) -> dr::Organisation {
    dr::Organisation {
        controller: contact(o.controller),
        representative: o.representative.map(contact),
        dpo: o.dpo.map(contact),
    }
}

pub fn organisation_out(o: dr::Organisation) -> r::Organisation {
    r::Organisation {
        controller: contact_out(o.controller),
        representative: o.representative.map(contact_out),
        dpo: o.dpo.map(contact_out),
    }
}

fn subject(s: r::SubjectCategory) -> dr::SubjectCategory {
    match s {
        r::SubjectCategory::Customers => dr::SubjectCategory::Customers,
        r::SubjectCategory::Prospects => dr::SubjectCategory::Prospects,
        r::SubjectCategory::Visitors => dr::SubjectCategory::Visitors,
        r::SubjectCategory::Suppliers => dr::SubjectCategory::Suppliers,
        r::SubjectCategory::Employees => dr::SubjectCategory::Employees,
        r::SubjectCategory::Other(l) => dr::SubjectCategory::Other(localized(l)),
    }
}

fn subject_out(s: dr::SubjectCategory) -> r::SubjectCategory {
    match s {
        dr::SubjectCategory::Customers => r::SubjectCategory::Customers,
        dr::SubjectCategory::Prospects => r::SubjectCategory::Prospects,
        dr::SubjectCategory::Visitors => r::SubjectCategory::Visitors,
        dr::SubjectCategory::Suppliers => r::SubjectCategory::Suppliers,
        dr::SubjectCategory::Employees => r::SubjectCategory::Employees,
        dr::SubjectCategory::Other(l) => r::SubjectCategory::Other(localized_out(l)),
    }
}

fn safeguard(s: r::Safeguard) -> dr::Safeguard {
    match s {
        r::Safeguard::AdequacyDecision => dr::Safeguard::AdequacyDecision,
        r::Safeguard::StandardContractualClauses => dr::Safeguard::StandardContractualClauses,
        r::Safeguard::BindingCorporateRules => dr::Safeguard::BindingCorporateRules,
        r::Safeguard::Derogation => dr::Safeguard::Derogation,
    }
}

fn safeguard_out(s: dr::Safeguard) -> r::Safeguard {
    match s {
        dr::Safeguard::AdequacyDecision => r::Safeguard::AdequacyDecision,
        dr::Safeguard::StandardContractualClauses => r::Safeguard::StandardContractualClauses,
        dr::Safeguard::BindingCorporateRules => r::Safeguard::BindingCorporateRules,
        dr::Safeguard::Derogation => r::Safeguard::Derogation,
    }
}

fn start(s: r::RetentionStart) -> dr::RetentionStart {
    match s {
        r::RetentionStart::Collection => dr::RetentionStart::Collection,
        r::RetentionStart::LastContact => dr::RetentionStart::LastContact,
        r::RetentionStart::EndOfContract => dr::RetentionStart::EndOfContract,
        r::RetentionStart::Transaction => dr::RetentionStart::Transaction,
    }
}

fn start_out(s: dr::RetentionStart) -> r::RetentionStart {
    match s {
        dr::RetentionStart::Collection => r::RetentionStart::Collection,
        dr::RetentionStart::LastContact => r::RetentionStart::LastContact,
        dr::RetentionStart::EndOfContract => r::RetentionStart::EndOfContract,
        dr::RetentionStart::Transaction => r::RetentionStart::Transaction,
    }
}

fn action(a: r::RetentionAction) -> dr::RetentionAction {
    match a {
        r::RetentionAction::Delete => dr::RetentionAction::Delete,
        r::RetentionAction::Anonymise => dr::RetentionAction::Anonymise,
        r::RetentionAction::Archive => dr::RetentionAction::Archive,
    }
}

fn action_out(a: dr::RetentionAction) -> r::RetentionAction {
    match a {
        dr::RetentionAction::Delete => r::RetentionAction::Delete,
        dr::RetentionAction::Anonymise => r::RetentionAction::Anonymise,
        dr::RetentionAction::Archive => r::RetentionAction::Archive,
    }
}

fn measure(m: r::SecurityMeasure) -> dr::SecurityMeasure {
    match m {
        r::SecurityMeasure::EncryptionAtRest => dr::SecurityMeasure::EncryptionAtRest,
        r::SecurityMeasure::Pseudonymisation => dr::SecurityMeasure::Pseudonymisation,
        r::SecurityMeasure::AccessControl => dr::SecurityMeasure::AccessControl,
        r::SecurityMeasure::TamperEvidentLog => dr::SecurityMeasure::TamperEvidentLog,
        r::SecurityMeasure::EncryptionInTransit => dr::SecurityMeasure::EncryptionInTransit,
        r::SecurityMeasure::Backups => dr::SecurityMeasure::Backups,
        r::SecurityMeasure::Other(l) => dr::SecurityMeasure::Other(localized(l)),
    }
}

fn measure_out(m: dr::SecurityMeasure) -> r::SecurityMeasure {
    match m {
        dr::SecurityMeasure::EncryptionAtRest => r::SecurityMeasure::EncryptionAtRest,
        dr::SecurityMeasure::Pseudonymisation => r::SecurityMeasure::Pseudonymisation,
        dr::SecurityMeasure::AccessControl => r::SecurityMeasure::AccessControl,
        dr::SecurityMeasure::TamperEvidentLog => r::SecurityMeasure::TamperEvidentLog,
        dr::SecurityMeasure::EncryptionInTransit => r::SecurityMeasure::EncryptionInTransit,
        dr::SecurityMeasure::Backups => r::SecurityMeasure::Backups,
        dr::SecurityMeasure::Other(l) => r::SecurityMeasure::Other(localized_out(l)),
    }
}

pub fn activity_input(a: r::ActivityInput) -> dr::ActivityInput {
    dr::ActivityInput {
        id: a.id,
        name: localized(a.name),
        joint_controller: a.joint_controller.map(contact),
        purposes: a
            .purposes
            .into_iter()
            .map(|p| dr::ActivityPurpose {
                id: p.id,
                description: localized(p.description),
                basis: basis(p.basis),
                legitimate_interest: p.legitimate_interest.map(localized),
                provision: p.provision.map(localized),
            })
            .collect(),
        subjects: a.subjects.into_iter().map(subject).collect(),
        data: a
            .data
            .into_iter()
            .map(|d| dr::DataItem {
                category: category(d.category),
                description: localized(d.description),
                sensitive: d.sensitive,
            })
            .collect(),
        recipients: a
            .recipients
            .into_iter()
            .map(|x| dr::Recipient { name: localized(x.name), internal: x.internal })
            .collect(),
        transfers: a
            .transfers
            .into_iter()
            .map(|t| dr::Transfer {
                recipient: t.recipient,
                country: t.country,
                safeguard: safeguard(t.safeguard),
                details: t.details.map(localized),
            })
            .collect(),
        retention: a
            .retention
            .into_iter()
            .map(|x| dr::RetentionRule {
                category: category(x.category),
                months: x.months,
                start: start(x.start),
                action: action(x.action),
                legal_hold: x.legal_hold.map(localized),
            })
            .collect(),
        security: a.security.into_iter().map(measure).collect(),
        automated_decisions: a.automated_decisions.map(localized),
    }
}

fn activity_input_out(a: dr::ActivityInput) -> r::ActivityInput {
    r::ActivityInput {
        id: a.id,
        name: localized_out(a.name),
        joint_controller: a.joint_controller.map(contact_out),
        purposes: a
            .purposes
            .into_iter()
            .map(|p| r::ActivityPurpose {
                id: p.id,
                description: localized_out(p.description),
                basis: basis_out(p.basis),
                legitimate_interest: p.legitimate_interest.map(localized_out),
                provision: p.provision.map(localized_out),
            })
            .collect(),
        subjects: a.subjects.into_iter().map(subject_out).collect(),
        data: a
            .data
            .into_iter()
            .map(|d| r::DataItem {
                category: category_out(d.category),
                description: localized_out(d.description),
                sensitive: d.sensitive,
            })
            .collect(),
        recipients: a
            .recipients
            .into_iter()
            .map(|x| r::Recipient { name: localized_out(x.name), internal: x.internal })
            .collect(),
        transfers: a
            .transfers
            .into_iter()
            .map(|t| r::Transfer {
                recipient: t.recipient,
                country: t.country,
                safeguard: safeguard_out(t.safeguard),
                details: t.details.map(localized_out),
            })
            .collect(),
        retention: a.retention.into_iter().map(retention_rule_out).collect(),
        security: a.security.into_iter().map(measure_out).collect(),
        automated_decisions: a.automated_decisions.map(localized_out),
    }
}

pub fn retention_rule_out(x: dr::RetentionRule) -> r::RetentionRule {
    r::RetentionRule {
        category: category_out(x.category),
        months: x.months,
        start: start_out(x.start),
        action: action_out(x.action),
        legal_hold: x.legal_hold.map(localized_out),
    }
}

pub fn activity(a: dr::Activity) -> r::Activity {
    r::Activity {
        definition: activity_input_out(a.definition),
        revision: a.revision,
        retired: a.retired.map(|x| r::Retirement { at: x.at, reason: x.reason }),
        created_at: a.created_at,
        changed_at: a.changed_at,
        changed_by: actor_out(a.changed_by),
    }
}

pub fn change(c: dr::RegistryChange) -> r::RegistryChange {
    r::RegistryChange {
        sequence: c.sequence,
        at: c.at,
        actor: actor_out(c.actor),
        target: c.target,
        action: match c.action {
            dr::ChangeAction::Created => r::ChangeAction::Created,
            dr::ChangeAction::Updated => r::ChangeAction::Updated,
            dr::ChangeAction::Retired => r::ChangeAction::Retired,
            dr::ChangeAction::Reinstated => r::ChangeAction::Reinstated,
        },
        fields: c.fields,
    }
}

pub fn finding(f: dr::RegistryFinding) -> r::RegistryFinding {
    r::RegistryFinding {
        severity: severity_out(f.severity),
        target: f.target,
        rule: f.rule,
        source: f.source,
        message: f.message,
        fix: f.fix,
    }
}

pub fn basis_answers(a: r::BasisAnswers) -> db::BasisAnswers {
    db::BasisAnswers {
        special_categories: a.special_categories,
        device_access: a.device_access,
        electronic_marketing: a.electronic_marketing,
        existing_customers_similar_products: a.existing_customers_similar_products,
        required_by_law: a.required_by_law,
        needed_for_contract: a.needed_for_contract,
        vital_interest: a.vital_interest,
        public_task: a.public_task,
        expected_low_impact: a.expected_low_impact,
    }
}

pub fn advice(a: db::BasisAdvice) -> r::BasisAdvice {
    r::BasisAdvice {
        basis: basis_out(a.basis),
        reasoning: a.reasoning,
        obligations: a.obligations,
        warnings: a.warnings,
    }
}

pub fn generated(g: fichier_domain::registry_notice::GeneratedNotice) -> r::GeneratedNotice {
    r::GeneratedNotice { notice: notice(g.notice), text: g.text, html: g.html }
}

pub fn lang_out(l: dr::Lang) -> r::Lang {
    match l {
        dr::Lang::Fr => r::Lang::Fr,
        dr::Lang::En => r::Lang::En,
    }
}
