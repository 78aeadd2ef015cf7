//! `registry`: the register of processing activities (Art. 30), the notices it
//! generates and the lawful-basis assistant.

use fichier_domain::kernel::types as dk;
use fichier_domain::registry as dr;
use fichier_domain::registry::{basis as db, export as dx};

use super::consent::notice;
use crate::bindings::exports::fichier::client::registry as r;
use crate::{Component, run, wit};

impl r::Guest for Component {
    fn get_organisation(actor: wit::Actor) -> Result<Option<r::Organisation>, wit::Error> {
        run(|f| f.get_organisation(&actor.into()), |o| o.map(Into::into))
    }

    fn set_organisation(actor: wit::Actor, input: r::Organisation) -> Result<r::Organisation, wit::Error> {
        run(|f| f.set_organisation(&actor.into(), input.into()), Into::into)
    }

    fn put_activity(actor: wit::Actor, input: r::ActivityInput) -> Result<r::Activity, wit::Error> {
        run(|f| f.put_activity(&actor.into(), input.into()), activity)
    }

    fn get_activity(actor: wit::Actor, id: String) -> Result<r::Activity, wit::Error> {
        run(|f| f.get_activity(&actor.into(), &id), activity)
    }

    fn list_activities(actor: wit::Actor, include_retired: bool) -> Result<Vec<r::Activity>, wit::Error> {
        run(|f| f.list_activities(&actor.into(), include_retired), |v| v.into_iter().map(activity).collect())
    }

    fn retire_activity(actor: wit::Actor, id: String, reason: String) -> Result<r::Activity, wit::Error> {
        run(|f| f.retire_activity(&actor.into(), &id, &reason), activity)
    }

    fn history(actor: wit::Actor, target: Option<String>) -> Result<Vec<r::RegistryChange>, wit::Error> {
        run(|f| f.registry_history(&actor.into(), target.as_deref()), |v| v.into_iter().map(change).collect())
    }

    fn load_shop_defaults(actor: wit::Actor) -> Result<Vec<String>, wit::Error> {
        run(|f| f.load_shop_defaults(&actor.into()), |v| v)
    }

    fn export(actor: wit::Actor, format: r::ExportFormat, lang: r::Lang) -> Result<String, wit::Error> {
        run(|f| f.export_registry(&actor.into(), format.into(), lang.into()), |s| s)
    }

    fn check(actor: wit::Actor) -> Result<Vec<r::RegistryFinding>, wit::Error> {
        run(|f| f.check_registry(&actor.into()), |v| v.into_iter().map(finding).collect())
    }

    fn assist_basis(actor: wit::Actor, answers: r::BasisAnswers, lang: r::Lang) -> Result<r::BasisAdvice, wit::Error> {
        run(|f| f.assist_basis(&actor.into(), basis_answers(answers), lang.into()), advice)
    }

    fn generate_notice(
        actor: wit::Actor,
        purposes: Vec<String>,
        lang: r::Lang,
    ) -> Result<r::GeneratedNotice, wit::Error> {
        run(|f| f.generate_notice(&actor.into(), &purposes, lang.into()), generated)
    }
}

enum_pairs! {
    r::Lang = dk::Lang { Fr, En }
    r::ExportFormat = dx::ExportFormat { Json, Csv, Html }
    r::SubjectCategory = dr::SubjectCategory {
        Customers,
        Prospects,
        Visitors,
        Suppliers,
        Employees,
        Other(label: into),
    }
    r::Safeguard = dr::Safeguard {
        AdequacyDecision,
        StandardContractualClauses,
        BindingCorporateRules,
        Derogation,
    }
    r::RetentionStart = dr::RetentionStart { Collection, LastContact, LastLogin, EndOfContract, Transaction }
    r::RetentionAction = dr::RetentionAction { Delete, Anonymise, Archive }
    r::SecurityMeasure = dr::SecurityMeasure {
        EncryptionAtRest,
        Pseudonymisation,
        AccessControl,
        TamperEvidentLog,
        EncryptionInTransit,
        Backups,
        Other(label: into),
    }
    r::ChangeAction = dr::ChangeAction { Created, Updated, Retired, Reinstated }
}

record_pairs! {
    r::Localized = dk::Localized { fr, en }
    r::Contact = dr::Contact { name, address, email, phone }
    r::Organisation = dr::Organisation { controller: into, representative: opt, dpo: opt }
    r::ActivityInput = dr::ActivityInput {
        id,
        name: into,
        joint_controller: opt,
        purposes: each,
        subjects: each,
        data: each,
        recipients: each,
        transfers: each,
        retention: each,
        security: each,
        automated_decisions: opt,
    }
    r::ActivityPurpose = dr::ActivityPurpose {
        id,
        description: into,
        basis: into,
        legitimate_interest: opt,
        provision: opt,
    }
    r::DataItem = dr::DataItem { category: into, description: into, sensitive }
    r::Recipient = dr::Recipient { name: into, internal }
    r::Transfer = dr::Transfer { recipient, country, safeguard: into, details: opt }
    r::RetentionRule = dr::RetentionRule { category: into, months, start: into, action: into, legal_hold: opt }
}

fn activity(a: dr::Activity) -> r::Activity {
    r::Activity {
        definition: a.definition.into(),
        revision: a.revision,
        retired: a.retired.map(|x| r::Retirement { at: x.at, reason: x.reason }),
        created_at: a.created_at,
        changed_at: a.changed_at,
        changed_by: a.changed_by.into(),
    }
}

fn change(c: dr::RegistryChange) -> r::RegistryChange {
    r::RegistryChange {
        sequence: c.sequence,
        at: c.at,
        actor: c.actor.into(),
        target: c.target,
        action: c.action.into(),
        fields: c.fields,
    }
}

fn finding(f: dr::RegistryFinding) -> r::RegistryFinding {
    r::RegistryFinding {
        severity: f.severity.into(),
        target: f.target,
        rule: f.rule,
        source: f.source,
        message: f.message,
        fix: f.fix,
    }
}

fn basis_answers(a: r::BasisAnswers) -> db::BasisAnswers {
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

fn advice(a: db::BasisAdvice) -> r::BasisAdvice {
    r::BasisAdvice { basis: a.basis.into(), reasoning: a.reasoning, obligations: a.obligations, warnings: a.warnings }
}

fn generated(g: fichier_domain::registry::notice::GeneratedNotice) -> r::GeneratedNotice {
    r::GeneratedNotice { notice: notice(g.notice), text: g.text, html: g.html }
}
