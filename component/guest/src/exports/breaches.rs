//! `breaches`: the breach register, its deadlines and the notices to the people concerned.

use fichier_domain::breach as dbr;

use super::types::{self, actor_out, category, category_out, subject_ref};
use crate::bindings::exports::fichier::client::breaches as b;
use crate::{Component, run, wit};

impl b::Guest for Component {
    fn record_breach(actor: wit::Actor, input: b::BreachInput) -> Result<b::Breach, wit::Error> {
        run(|f| f.record_breach(&types::actor(actor), breach_input(input)), breach)
    }

    fn update_breach(actor: wit::Actor, id: String, input: b::BreachInput) -> Result<b::Breach, wit::Error> {
        run(|f| f.update_breach(&types::actor(actor), &id, breach_input(input)), breach)
    }

    fn notify_cnil(
        actor: wit::Actor,
        id: String,
        at: String,
        reference: Option<String>,
        delay_reason: Option<String>,
    ) -> Result<b::Breach, wit::Error> {
        run(|f| f.notify_cnil(&types::actor(actor), &id, &at, reference, delay_reason), breach)
    }

    fn inform_people(actor: wit::Actor, id: String, informed: b::PeopleInformed) -> Result<b::Breach, wit::Error> {
        run(|f| f.inform_people(&types::actor(actor), &id, people_informed(informed)), breach)
    }

    fn notify_people(
        actor: wit::Actor,
        id: String,
        subjects: Vec<wit::SubjectRef>,
        lang: b::Lang,
    ) -> Result<b::BreachNotices, wit::Error> {
        run(
            |f| {
                let subjects: Vec<_> = subjects.into_iter().map(subject_ref).collect();
                f.notify_people(&types::actor(actor), &id, &subjects, super::registry::lang(lang))
            },
            |n| b::BreachNotices { queued: n.queued, unreachable: n.unreachable },
        )
    }

    fn get_breach(actor: wit::Actor, id: String) -> Result<b::Breach, wit::Error> {
        run(|f| f.get_breach(&types::actor(actor), &id), breach)
    }

    fn list_breaches(actor: wit::Actor, overdue_only: bool) -> Result<Vec<b::Breach>, wit::Error> {
        run(|f| f.list_breaches(&types::actor(actor), overdue_only), |v| v.into_iter().map(breach).collect())
    }
}

fn nature(n: b::BreachNature) -> dbr::BreachNature {
    match n {
        b::BreachNature::Confidentiality => dbr::BreachNature::Confidentiality,
        b::BreachNature::Integrity => dbr::BreachNature::Integrity,
        b::BreachNature::Availability => dbr::BreachNature::Availability,
    }
}

fn nature_out(n: dbr::BreachNature) -> b::BreachNature {
    match n {
        dbr::BreachNature::Confidentiality => b::BreachNature::Confidentiality,
        dbr::BreachNature::Integrity => b::BreachNature::Integrity,
        dbr::BreachNature::Availability => b::BreachNature::Availability,
    }
}

fn risk(x: b::BreachRisk) -> dbr::BreachRisk {
    match x {
        b::BreachRisk::Unlikely => dbr::BreachRisk::Unlikely,
        b::BreachRisk::Risk => dbr::BreachRisk::Risk,
        b::BreachRisk::High => dbr::BreachRisk::High,
    }
}

fn risk_out(x: dbr::BreachRisk) -> b::BreachRisk {
    match x {
        dbr::BreachRisk::Unlikely => b::BreachRisk::Unlikely,
        dbr::BreachRisk::Risk => b::BreachRisk::Risk,
        dbr::BreachRisk::High => b::BreachRisk::High,
    }
}

pub fn breach_input(i: b::BreachInput) -> dbr::BreachInput {
    dbr::BreachInput {
        discovered_at: i.discovered_at,
        occurred_at: i.occurred_at,
        nature: i.nature.into_iter().map(nature).collect(),
        description: i.description,
        categories: i.categories.into_iter().map(category).collect(),
        subjects_approx: i.subjects_approx,
        records_approx: i.records_approx,
        consequences: i.consequences,
        measures: i.measures,
        risk: risk(i.risk),
    }
}

fn breach_input_out(i: dbr::BreachInput) -> b::BreachInput {
    b::BreachInput {
        discovered_at: i.discovered_at,
        occurred_at: i.occurred_at,
        nature: i.nature.into_iter().map(nature_out).collect(),
        description: i.description,
        categories: i.categories.into_iter().map(category_out).collect(),
        subjects_approx: i.subjects_approx,
        records_approx: i.records_approx,
        consequences: i.consequences,
        measures: i.measures,
        risk: risk_out(i.risk),
    }
}

pub fn people_informed(i: b::PeopleInformed) -> dbr::PeopleInformed {
    match i {
        b::PeopleInformed::Told(at) => dbr::PeopleInformed::Told(at),
        b::PeopleInformed::NotTold(why) => dbr::PeopleInformed::NotTold(why),
    }
}

fn informed_out(i: dbr::PeopleInformed) -> b::PeopleInformed {
    match i {
        dbr::PeopleInformed::Told(at) => b::PeopleInformed::Told(at),
        dbr::PeopleInformed::NotTold(why) => b::PeopleInformed::NotTold(why),
    }
}

pub fn breach(v: dbr::BreachView) -> b::Breach {
    let x = v.breach;
    b::Breach {
        id: x.id,
        facts: breach_input_out(x.facts),
        deadline: x.deadline,
        cnil: x.cnil.map(|n| b::CnilNotification { at: n.at, reference: n.reference, delay_reason: n.delay_reason }),
        people: x.people.map(informed_out),
        history: x
            .history
            .into_iter()
            .map(|h| b::BreachChange { at: h.at, actor: actor_out(h.actor), what: h.what })
            .collect(),
        notification_due: v.notification_due,
        overdue: v.overdue,
        people_due: v.people_due,
    }
}
