//! `breaches`: the breach register, its deadlines and the notices to the people concerned.

use fichier_domain::registry::breaches as dbr;

use crate::bindings::exports::fichier::client::breaches as b;
use crate::{Component, run, wit};

impl b::Guest for Component {
    fn record_breach(actor: wit::Actor, input: b::BreachInput) -> Result<b::Breach, wit::Error> {
        run(|f| f.record_breach(&actor.into(), input.into()), breach)
    }

    fn update_breach(actor: wit::Actor, id: String, input: b::BreachInput) -> Result<b::Breach, wit::Error> {
        run(|f| f.update_breach(&actor.into(), &id, input.into()), breach)
    }

    fn notify_cnil(
        actor: wit::Actor,
        id: String,
        at: String,
        reference: Option<String>,
        delay_reason: Option<String>,
    ) -> Result<b::Breach, wit::Error> {
        run(|f| f.notify_cnil(&actor.into(), &id, &at, reference, delay_reason), breach)
    }

    fn inform_people(actor: wit::Actor, id: String, informed: b::PeopleInformed) -> Result<b::Breach, wit::Error> {
        run(|f| f.inform_people(&actor.into(), &id, informed.into()), breach)
    }

    fn notify_people(
        actor: wit::Actor,
        id: String,
        subjects: Vec<wit::SubjectRef>,
        lang: b::Lang,
    ) -> Result<b::BreachNotices, wit::Error> {
        run(
            |f| {
                let subjects: Vec<_> = subjects.into_iter().map(Into::into).collect();
                f.notify_people(&actor.into(), &id, &subjects, lang.into())
            },
            |n| b::BreachNotices { queued: n.queued, unreachable: n.unreachable },
        )
    }

    fn get_breach(actor: wit::Actor, id: String) -> Result<b::Breach, wit::Error> {
        run(|f| f.get_breach(&actor.into(), &id), breach)
    }

    fn list_breaches(actor: wit::Actor, overdue_only: bool) -> Result<Vec<b::Breach>, wit::Error> {
        run(|f| f.list_breaches(&actor.into(), overdue_only), |v| v.into_iter().map(breach).collect())
    }
}

enum_pairs! {
    b::BreachNature = dbr::BreachNature { Confidentiality, Integrity, Availability }
    b::BreachRisk = dbr::BreachRisk { Unlikely, Risk, High }
    b::PeopleInformed = dbr::PeopleInformed {
        Told(at),
        NotTold(why),
        Unintelligible(how),
        LaterMeasures(which),
        DisproportionateEffort(effort: into),
    }
}

record_pairs! {
    b::PublicCommunication = dbr::PublicCommunication { at, medium }
    b::DisproportionateEffort = dbr::Disproportionate { reason, public_communication: opt }
    b::BreachInput = dbr::BreachInput {
        discovered_at,
        occurred_at,
        nature: each,
        description,
        categories: each,
        subjects_approx,
        records_approx,
        consequences,
        measures,
        risk: into,
    }
}

fn breach(v: dbr::BreachView) -> b::Breach {
    let x = v.breach;
    b::Breach {
        id: x.id,
        facts: x.facts.into(),
        deadline: x.deadline,
        cnil: x.cnil.map(|n| b::CnilNotification { at: n.at, reference: n.reference, delay_reason: n.delay_reason }),
        people: x.people.map(Into::into),
        history: x
            .history
            .into_iter()
            .map(|h| b::BreachChange { at: h.at, actor: h.actor.into(), what: h.what })
            .collect(),
        notification_due: v.notification_due,
        overdue: v.overdue,
        people_due: v.people_due,
        public_communication_due: v.public_communication_due,
    }
}
