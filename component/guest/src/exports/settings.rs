//! `settings`: API keys and the policy.

use fichier_domain::kernel::policy as d;

use crate::bindings::exports::fichier::client::settings as s;
use crate::{Component, run, wit};

impl s::Guest for Component {
    fn create_api_key(actor: wit::Actor, name: String, role: wit::Role) -> Result<(s::ApiKey, String), wit::Error> {
        run(|f| f.create_api_key(&actor.into(), &name, role.into()), |(k, t)| (api_key(k), t))
    }

    fn list_api_keys(actor: wit::Actor) -> Result<Vec<s::ApiKey>, wit::Error> {
        run(|f| f.list_api_keys(&actor.into()), |v| v.into_iter().map(api_key).collect())
    }

    fn revoke_api_key(actor: wit::Actor, id: String) -> Result<s::ApiKey, wit::Error> {
        run(|f| f.revoke_api_key(&actor.into(), &id), api_key)
    }

    fn get_policy(actor: wit::Actor) -> Result<s::Policy, wit::Error> {
        run(|f| f.get_policy(&actor.into()), policy)
    }

    fn set_policy(actor: wit::Actor, input: s::PolicyInput) -> Result<s::Policy, wit::Error> {
        run(|f| f.set_policy(&actor.into(), input.into()), policy)
    }

    fn policy_history(actor: wit::Actor) -> Result<Vec<s::Policy>, wit::Error> {
        run(|f| f.policy_history(&actor.into()), |v| v.into_iter().map(policy).collect())
    }
}

record_pairs! {
    s::PolicyInput = d::PolicyInput {
        country,
        minor_ages: each,
        default_minor_age,
        validity: each,
        max_future_skew_seconds,
        reverify: each,
        time_zone,
        audit_retention_days,
        opposition_months,
        confirm_within_days,
        gpc_refuses_advertising,
        email_tracking_cutover,
        customer_reference_hours,
    }
    s::MinorAge = d::MinorAge { country, age }
    s::KindValidity = d::KindValidity { kind: into, grant_months, refusal_months }
    s::ReverifyPeriod = d::ReverifyPeriod { category: into, months }
}

fn api_key(k: fichier_domain::web::apikeys::ApiKey) -> s::ApiKey {
    s::ApiKey {
        id: k.id,
        name: k.name,
        role: k.role.into(),
        created_at: k.created_at,
        created_by: k.created_by,
        revoked_at: k.revoked_at,
    }
}

fn policy(p: d::Policy) -> s::Policy {
    s::Policy {
        version: p.version,
        settings: p.settings.into(),
        changed_at: p.changed_at,
        changed_by: p.changed_by.into(),
    }
}
