//! `settings`: API keys and the policy.

use fichier_domain::model as d;

use super::consent::{kind, kind_out};
use super::types::{self, actor_out, category, category_out, role_out};
use crate::bindings::exports::fichier::client::settings as s;
use crate::{Component, run, wit};

fn api_key(k: fichier_domain::apikeys::ApiKey) -> s::ApiKey {
    s::ApiKey {
        id: k.id,
        name: k.name,
        role: role_out(k.role),
        created_at: k.created_at,
        created_by: k.created_by,
        revoked_at: k.revoked_at,
    }
}

impl s::Guest for Component {
    fn create_api_key(actor: wit::Actor, name: String, role: wit::Role) -> Result<(s::ApiKey, String), wit::Error> {
        run(|f| f.create_api_key(&types::actor(actor), &name, types::role(role)), |(k, t)| (api_key(k), t))
    }

    fn list_api_keys(actor: wit::Actor) -> Result<Vec<s::ApiKey>, wit::Error> {
        run(|f| f.list_api_keys(&types::actor(actor)), |v| v.into_iter().map(api_key).collect())
    }

    fn revoke_api_key(actor: wit::Actor, id: String) -> Result<s::ApiKey, wit::Error> {
        run(|f| f.revoke_api_key(&types::actor(actor), &id), api_key)
    }

    fn get_policy(actor: wit::Actor) -> Result<s::Policy, wit::Error> {
        run(|f| f.get_policy(&types::actor(actor)), policy)
    }

    fn set_policy(actor: wit::Actor, input: s::PolicyInput) -> Result<s::Policy, wit::Error> {
        run(|f| f.set_policy(&types::actor(actor), policy_input(input)), policy)
    }

    fn policy_history(actor: wit::Actor) -> Result<Vec<s::Policy>, wit::Error> {
        run(|f| f.policy_history(&types::actor(actor)), |v| v.into_iter().map(policy).collect())
    }
}

pub fn policy_input(p: s::PolicyInput) -> d::PolicyInput {
    d::PolicyInput {
        country: p.country,
        minor_ages: p.minor_ages.into_iter().map(|m| d::MinorAge { country: m.country, age: m.age }).collect(),
        default_minor_age: p.default_minor_age,
        validity: p
            .validity
            .into_iter()
            .map(|v| d::KindValidity {
                kind: kind(v.kind),
                grant_months: v.grant_months,
                refusal_months: v.refusal_months,
            })
            .collect(),
        max_future_skew_seconds: p.max_future_skew_seconds,
        reverify: p
            .reverify
            .into_iter()
            .map(|r| d::ReverifyPeriod { category: category(r.category), months: r.months })
            .collect(),
        time_zone: p.time_zone,
        audit_retention_days: p.audit_retention_days,
        opposition_months: p.opposition_months,
    }
}

pub fn policy(p: d::Policy) -> s::Policy {
    let i = p.settings;
    s::Policy {
        version: p.version,
        settings: s::PolicyInput {
            country: i.country,
            minor_ages: i.minor_ages.into_iter().map(|m| s::MinorAge { country: m.country, age: m.age }).collect(),
            default_minor_age: i.default_minor_age,
            validity: i
                .validity
                .into_iter()
                .map(|v| s::KindValidity {
                    kind: kind_out(v.kind),
                    grant_months: v.grant_months,
                    refusal_months: v.refusal_months,
                })
                .collect(),
            max_future_skew_seconds: i.max_future_skew_seconds,
            reverify: i
                .reverify
                .into_iter()
                .map(|r| s::ReverifyPeriod { category: category_out(r.category), months: r.months })
                .collect(),
            time_zone: i.time_zone,
            audit_retention_days: i.audit_retention_days,
            opposition_months: i.opposition_months,
        },
        changed_at: p.changed_at,
        changed_by: actor_out(p.changed_by),
    }
}
