//! The fichier component. This crate only maps `fichier:client` WIT types to the
//! domain crate's and back, and lends the domain the component's imports:
//! `wasi:keyvalue` buckets as its store, `wasi:clocks` as its clock, `wasi:random` as
//! its entropy, `wasi:config` for the master key. No rule lives here.

mod convert;
mod convert_registry;
mod convert_rights;
mod http;
mod json;
mod kv;

use fichier_domain::crypto::{Entropy, MasterKey};
use fichier_domain::{Error, Fichier};

#[allow(unsafe_code)] // the generated ABI glue is the only unsafe code of the component
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "service",
        generate_all,
        // One JSON mapping for every WIT value the HTTP face reads or writes (json.rs).
        additional_derives: [fichier_json_derive::Json],
        additional_derives_ignore: ["stream-error", "error-code", "dns-error-payload", "tls-alert-received-payload",
            "field-size-payload", "header-error", "request-options-error", "method", "scheme",
            "error", "cas-error", "key-response"],
    });
    use super::Component;
    export!(Component with_types_in self);
}

use bindings::exports::fichier::client::types as wit;
use bindings::exports::fichier::client::{
    audit, breaches, consent, customer_import, customers, ledger, maintenance, minimisation, outbox, registry,
    retention, rights, settings,
};
use bindings::wasi;

struct Component;

/// Randomness from the host (`wasi:random/random.get-random-bytes` through getrandom).
struct HostEntropy;

impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // No randomness means no safe nonce: stop this call (the host drops the
            // instance and reports a trap) rather than seal with a predictable one.
            std::process::abort();
        }
    }
}

fn now() -> fichier_domain::time::Instant {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let ms = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
    fichier_domain::time::from_unix_millis(ms).unwrap_or_default()
}

thread_local! {
    /// The master key, read from `wasi:config` on the instance's first call (a
    /// component's configuration does not change while it lives).
    static MASTER: std::cell::OnceCell<MasterKey> = const { std::cell::OnceCell::new() };
    /// The two buckets, opened on the instance's first call and kept for its later ones.
    static STORE: std::cell::OnceCell<kv::KvStore> = const { std::cell::OnceCell::new() };
}

fn master_key() -> Result<MasterKey, Error> {
    MASTER.with(|m| match m.get() {
        Some(k) => Ok(k.clone()),
        None => {
            let k = read_master_key()?;
            Ok(m.get_or_init(|| k).clone())
        }
    })
}

/// A deployment setting from `wasi:config` (a Spin variable, `fichier serve --settings`).
fn setting(key: &str) -> Option<String> {
    wasi::config::store::get(key).ok().flatten()
}

fn read_master_key() -> Result<MasterKey, Error> {
    match wasi::config::store::get("master_key") {
        Ok(Some(v)) => MasterKey::from_hex(&v),
        Ok(None) => Err(Error::config(
            "config:master_key",
            "present",
            "no master key is configured (wasi:config key master_key; FICHIER_MASTER_KEY for the fichier host)",
        )),
        Err(e) => Err(Error::config("config:master_key", "readable", format!("{e:?}"))),
    }
}

/// Run one operation with a fresh context over the host's store, clock and randomness.
fn run<T, U>(
    op: impl FnOnce(&mut Fichier<'_, kv::KvStore>) -> Result<T, Error>,
    map: impl FnOnce(T) -> U,
) -> Result<U, wit::Error> {
    let result = (|| {
        let master = master_key()?;
        STORE.with(|cell| {
            let store = match cell.get() {
                Some(s) => s,
                None => {
                    let opened = kv::KvStore::open()?;
                    cell.get_or_init(|| opened)
                }
            };
            let mut entropy = HostEntropy;
            let mut fichier = Fichier::new(store, &master, now(), &mut entropy);
            op(&mut fichier)
        })
    })();
    result.map(map).map_err(convert::error)
}

impl consent::Guest for Component {
    fn declare_purpose(actor: wit::Actor, input: consent::PurposeInput) -> Result<consent::Purpose, wit::Error> {
        run(|f| f.declare_purpose(&convert::actor(actor), convert::purpose_input(input)), convert::purpose)
    }

    fn list_purposes(actor: wit::Actor) -> Result<Vec<consent::Purpose>, wit::Error> {
        run(|f| f.list_purposes(&convert::actor(actor)), |v| v.into_iter().map(convert::purpose).collect())
    }

    fn register_notice(actor: wit::Actor, input: consent::NoticeInput) -> Result<consent::Notice, wit::Error> {
        run(|f| f.register_notice(&convert::actor(actor), convert::notice_input(input)), convert::notice)
    }

    fn get_notice(actor: wit::Actor, reference: String) -> Result<(consent::Notice, String), wit::Error> {
        run(|f| f.get_notice(&convert::actor(actor), &reference), |(n, t)| (convert::notice(n), t))
    }

    fn notice_for(
        actor: wit::Actor,
        purposes: Vec<String>,
        lang: String,
    ) -> Result<(consent::Notice, String), wit::Error> {
        run(|f| f.notice_for(&convert::actor(actor), &purposes, &lang), |(n, t)| (convert::notice(n), t))
    }

    fn list_notices(actor: wit::Actor) -> Result<Vec<consent::Notice>, wit::Error> {
        run(|f| f.list_notices(&convert::actor(actor)), |v| v.into_iter().map(convert::notice).collect())
    }

    fn record_decision(actor: wit::Actor, input: consent::ReceiptInput) -> Result<consent::Receipt, wit::Error> {
        run(|f| f.record_decision(&convert::actor(actor), convert::receipt_input(input)), convert::receipt)
    }

    fn status(actor: wit::Actor, subject: wit::SubjectRef) -> Result<consent::SubjectStatus, wit::Error> {
        run(|f| f.status(&convert::actor(actor), &convert::subject_ref(subject)), convert::subject_status)
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<consent::Receipt>, wit::Error> {
        run(
            |f| f.history(&convert::actor(actor), &convert::subject_ref(subject)),
            |v| v.into_iter().map(convert::receipt).collect(),
        )
    }
    fn banner(actor: wit::Actor, lang: String) -> Result<consent::BannerConfig, wit::Error> {
        run(|f| f.banner(&convert::actor(actor), &lang), convert::banner_config)
    }

    fn rates(actor: wit::Actor, from: String, to: String) -> Result<Vec<consent::DayRates>, wit::Error> {
        run(
            |f| f.consent_rates(&convert::actor(actor), &from, &to),
            |v| v.into_iter().map(convert::day_rates).collect(),
        )
    }
}

impl ledger::Guest for Component {
    fn verify(actor: wit::Actor) -> Result<ledger::LedgerReport, wit::Error> {
        run(|f| f.verify_ledger(&convert::actor(actor)), convert::ledger_report)
    }

    fn take_anchor(actor: wit::Actor) -> Result<ledger::Anchor, wit::Error> {
        run(|f| f.take_anchor(&convert::actor(actor)), convert::anchor)
    }

    fn list_anchors(actor: wit::Actor) -> Result<Vec<ledger::Anchor>, wit::Error> {
        run(|f| f.list_anchors(&convert::actor(actor)), |v| v.into_iter().map(convert::anchor).collect())
    }
}

fn api_key(k: fichier_domain::apikeys::ApiKey) -> settings::ApiKey {
    settings::ApiKey {
        id: k.id,
        name: k.name,
        role: convert::role_out(k.role),
        created_at: k.created_at,
        created_by: k.created_by,
        revoked_at: k.revoked_at,
    }
}

impl settings::Guest for Component {
    fn create_api_key(
        actor: wit::Actor,
        name: String,
        role: wit::Role,
    ) -> Result<(settings::ApiKey, String), wit::Error> {
        run(|f| f.create_api_key(&convert::actor(actor), &name, convert::role(role)), |(k, t)| (api_key(k), t))
    }

    fn list_api_keys(actor: wit::Actor) -> Result<Vec<settings::ApiKey>, wit::Error> {
        run(|f| f.list_api_keys(&convert::actor(actor)), |v| v.into_iter().map(api_key).collect())
    }

    fn revoke_api_key(actor: wit::Actor, id: String) -> Result<settings::ApiKey, wit::Error> {
        run(|f| f.revoke_api_key(&convert::actor(actor), &id), api_key)
    }

    fn get_policy(actor: wit::Actor) -> Result<settings::Policy, wit::Error> {
        run(|f| f.get_policy(&convert::actor(actor)), convert::policy)
    }

    fn set_policy(actor: wit::Actor, input: settings::PolicyInput) -> Result<settings::Policy, wit::Error> {
        run(|f| f.set_policy(&convert::actor(actor), convert::policy_input(input)), convert::policy)
    }

    fn policy_history(actor: wit::Actor) -> Result<Vec<settings::Policy>, wit::Error> {
        run(|f| f.policy_history(&convert::actor(actor)), |v| v.into_iter().map(convert::policy).collect())
    }
}

impl maintenance::Guest for Component {
    fn reindex(actor: wit::Actor) -> Result<maintenance::ReindexReport, wit::Error> {
        run(
            |f| f.reindex(&convert::actor(actor)),
            |r| maintenance::ReindexReport {
                subjects: r.subjects,
                customers: r.customers,
                added: r.added,
                removed: r.removed,
            },
        )
    }

    fn list_subjects(
        actor: wit::Actor,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<(Vec<String>, Option<String>), wit::Error> {
        run(|f| f.list_subjects(&convert::actor(actor), cursor.as_deref(), limit), |p| p)
    }
}

fn field_inputs(v: Vec<customers::FieldInput>) -> Vec<fichier_domain::customers::FieldInput> {
    v.into_iter().map(convert::field_input).collect()
}

impl customers::Guest for Component {
    fn create(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        fields: Vec<customers::FieldInput>,
    ) -> Result<customers::Customer, wit::Error> {
        run(
            |f| f.create_customer(&convert::actor(actor), &convert::subject_ref(subject), &field_inputs(fields)),
            convert::customer,
        )
    }

    fn get(actor: wit::Actor, subject: wit::SubjectRef) -> Result<customers::Customer, wit::Error> {
        run(|f| f.get_customer(&convert::actor(actor), &convert::subject_ref(subject)), convert::customer)
    }

    fn rectify(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        set: Vec<customers::FieldInput>,
        remove: Vec<String>,
    ) -> Result<customers::Customer, wit::Error> {
        run(
            |f| f.rectify_customer(&convert::actor(actor), &convert::subject_ref(subject), &field_inputs(set), &remove),
            convert::customer,
        )
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<customers::FieldChange>, wit::Error> {
        run(
            |f| f.customer_history(&convert::actor(actor), &convert::subject_ref(subject)),
            |v| v.into_iter().map(convert::field_change).collect(),
        )
    }

    fn delete(actor: wit::Actor, subject: wit::SubjectRef) -> Result<bool, wit::Error> {
        run(|f| f.delete_customer(&convert::actor(actor), &convert::subject_ref(subject)), |b| b)
    }

    fn list_customers(
        actor: wit::Actor,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<customers::CustomerPage, wit::Error> {
        run(
            |f| f.list_customers(&convert::actor(actor), cursor.as_deref(), limit),
            |(v, next)| customers::CustomerPage { customers: v.into_iter().map(convert::customer).collect(), next },
        )
    }

    fn find_duplicates(actor: wit::Actor) -> Result<Vec<customers::DuplicatePair>, wit::Error> {
        run(|f| f.find_duplicates(&convert::actor(actor)), |v| v.into_iter().map(convert::duplicate_pair).collect())
    }

    fn merge(
        actor: wit::Actor,
        kept: wit::SubjectRef,
        absorbed: wit::SubjectRef,
    ) -> Result<customers::Customer, wit::Error> {
        run(
            |f| f.merge_customers(&convert::actor(actor), &convert::subject_ref(kept), &convert::subject_ref(absorbed)),
            convert::customer,
        )
    }

    fn review(actor: wit::Actor, cursor: Option<String>, limit: u32) -> Result<customers::ReviewPage, wit::Error> {
        run(
            |f| f.review_customers(&convert::actor(actor), cursor.as_deref(), limit),
            |(entries, next, scanned)| customers::ReviewPage {
                entries: entries.into_iter().map(convert::review_entry).collect(),
                next,
                scanned,
            },
        )
    }

    fn mark_bounced(actor: wit::Actor, subject: wit::SubjectRef) -> Result<customers::Customer, wit::Error> {
        run(|f| f.mark_bounced(&convert::actor(actor), &convert::subject_ref(subject)), convert::customer)
    }

    fn reverify(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        fields: Vec<String>,
    ) -> Result<customers::Customer, wit::Error> {
        run(|f| f.reverify_customer(&convert::actor(actor), &convert::subject_ref(subject), &fields), convert::customer)
    }

    fn record_event(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        event: customers::CustomerEvent,
        at: Option<String>,
    ) -> Result<customers::Customer, wit::Error> {
        run(
            |f| {
                f.record_customer_event(
                    &convert::actor(actor),
                    &convert::subject_ref(subject),
                    convert::customer_event(event),
                    at.as_deref(),
                )
            },
            convert::customer,
        )
    }

    fn archived(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<customers::ArchivedField>, wit::Error> {
        run(
            |f| f.archived_fields(&convert::actor(actor), &convert::subject_ref(subject)),
            |v| v.into_iter().map(convert::archived_field).collect(),
        )
    }
}

impl audit::Guest for Component {
    fn verify(actor: wit::Actor) -> Result<audit::AuditReport, wit::Error> {
        run(|f| f.verify_audit(&convert::actor(actor)), convert_registry::audit_report)
    }

    fn entries(actor: wit::Actor, after: Option<u64>, limit: u32) -> Result<audit::AuditPage, wit::Error> {
        run(
            |f| f.audit_entries(&convert::actor(actor), after, limit),
            |(entries, next)| audit::AuditPage {
                entries: entries.into_iter().map(convert_registry::audit_entry).collect(),
                next,
            },
        )
    }

    fn prune(actor: wit::Actor) -> Result<u64, wit::Error> {
        run(|f| f.prune_audit(&convert::actor(actor)), |n| n)
    }
}

impl rights::Guest for Component {
    fn new_request(actor: wit::Actor, input: rights::RequestInput) -> Result<rights::Request, wit::Error> {
        run(|f| f.new_request(&convert::actor(actor), convert_rights::input(input)), convert_rights::request)
    }

    fn step(actor: wit::Actor, id: String, step: rights::RequestStep) -> Result<rights::Request, wit::Error> {
        use fichier_domain::rights::Closing;
        let actor = convert::actor(actor);
        run(
            |f| match step {
                rights::RequestStep::VerifyToken(token) => f.verify_token(&actor, &id, &token),
                rights::RequestStep::ResendToken => f.resend_token(&actor, &id),
                rights::RequestStep::ConfirmIdentity(method) => f.confirm_identity(&actor, &id, &method),
                rights::RequestStep::Extend(reason) => f.extend_request(&actor, &id, &reason),
                rights::RequestStep::Complete(note) => f.close_request(&actor, &id, Closing::Done, &note),
                rights::RequestStep::Refuse(reasons) => f.close_request(&actor, &id, Closing::Refused, &reasons),
            },
            convert_rights::request,
        )
    }

    fn get_request(actor: wit::Actor, id: String) -> Result<rights::Request, wit::Error> {
        run(|f| f.get_request(&convert::actor(actor), &id), convert_rights::request)
    }

    fn list_requests(actor: wit::Actor, filter: rights::RequestFilter) -> Result<Vec<rights::Request>, wit::Error> {
        run(
            |f| f.list_requests(&convert::actor(actor), convert_rights::filter(filter)),
            |v| v.into_iter().map(convert_rights::request).collect(),
        )
    }

    fn erase(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        options: rights::EraseOptions,
    ) -> Result<rights::ErasureReport, wit::Error> {
        run(
            |f| {
                f.erase(&convert::actor(actor), &convert::subject_ref(subject), &convert_rights::erase_options(options))
            },
            convert_rights::erasure_report,
        )
    }

    fn change_processing(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        change: rights::ProcessingChange,
    ) -> Result<rights::ProcessingState, wit::Error> {
        run(
            |f| {
                let change = convert_rights::processing_change(change);
                f.change_processing(&convert::actor(actor), &convert::subject_ref(subject), &change)
            },
            convert_rights::processing_state,
        )
    }

    fn export_data(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        scope: rights::ExportScope,
        format: registry::ExportFormat,
        lang: registry::Lang,
    ) -> Result<rights::SubjectExport, wit::Error> {
        run(
            |f| {
                let scope = convert_rights::export_scope(scope);
                f.export_subject(
                    &convert::actor(actor),
                    &convert::subject_ref(subject),
                    scope,
                    cr::format(format),
                    cr::lang(lang),
                )
            },
            convert_rights::subject_export,
        )
    }
}

impl outbox::Guest for Component {
    fn pending(actor: wit::Actor, limit: u32) -> Result<Vec<outbox::Message>, wit::Error> {
        run(
            |f| f.outbox_pending(&convert::actor(actor), limit),
            |v| v.into_iter().map(convert_rights::message).collect(),
        )
    }

    fn ack(actor: wit::Actor, id: String) -> Result<bool, wit::Error> {
        run(|f| f.outbox_ack(&convert::actor(actor), &id), |b| b)
    }
}

impl retention::Guest for Component {
    fn sweep(actor: wit::Actor, options: retention::SweepOptions) -> Result<retention::SweepReport, wit::Error> {
        let options = fichier_domain::retention::SweepOptions {
            apply: options.apply,
            cursor: options.cursor,
            limit: options.limit,
            repermission_days: options.repermission_days,
        };
        run(|f| f.sweep(&convert::actor(actor), &options), convert_registry::sweep_report)
    }
}

impl minimisation::Guest for Component {
    fn check_form(
        actor: wit::Actor,
        fields: Vec<minimisation::FormField>,
    ) -> Result<Vec<minimisation::Finding>, wit::Error> {
        run(
            |f| f.check_form(&convert::actor(actor), &fields.into_iter().map(convert::form_field).collect::<Vec<_>>()),
            |v| v.into_iter().map(convert::finding).collect(),
        )
    }

    fn check_record(
        actor: wit::Actor,
        fields: Vec<minimisation::RecordField>,
    ) -> Result<Vec<minimisation::Finding>, wit::Error> {
        run(
            |f| {
                f.check_record(
                    &convert::actor(actor),
                    &fields.into_iter().map(convert::record_field).collect::<Vec<_>>(),
                )
            },
            |v| v.into_iter().map(convert::finding).collect(),
        )
    }

    fn scan_text(actor: wit::Actor, field: String, text: String) -> Result<Vec<minimisation::Finding>, wit::Error> {
        run(|f| f.scan_text(&convert::actor(actor), &field, &text), |v| v.into_iter().map(convert::finding).collect())
    }
}

impl customer_import::Guest for Component {
    fn begin(
        actor: wit::Actor,
        options: customer_import::ImportOptions,
    ) -> Result<customer_import::ImportSession, wit::Error> {
        run(
            |f| f.import_begin(&convert::actor(actor), convert::import_options(options)),
            |s| customer_import::ImportSession { id: s.id, offset: s.offset, done: s.done },
        )
    }

    fn feed(
        actor: wit::Actor,
        session: String,
        offset: u64,
        data: Vec<u8>,
        last: bool,
    ) -> Result<customer_import::ChunkResult, wit::Error> {
        run(|f| f.import_feed(&convert::actor(actor), &session, offset, &data, last), convert::chunk_result)
    }

    fn report(actor: wit::Actor, session: String) -> Result<customer_import::ImportReport, wit::Error> {
        run(|f| f.import_report(&convert::actor(actor), &session), convert::import_report)
    }
}

use convert_registry as cr;

impl registry::Guest for Component {
    fn get_organisation(actor: wit::Actor) -> Result<Option<registry::Organisation>, wit::Error> {
        run(|f| f.get_organisation(&convert::actor(actor)), |o| o.map(cr::organisation_out))
    }

    fn set_organisation(
        actor: wit::Actor,
        input: registry::Organisation,
    ) -> Result<registry::Organisation, wit::Error> {
        run(|f| f.set_organisation(&convert::actor(actor), cr::organisation(input)), cr::organisation_out)
    }

    fn put_activity(actor: wit::Actor, input: registry::ActivityInput) -> Result<registry::Activity, wit::Error> {
        run(|f| f.put_activity(&convert::actor(actor), cr::activity_input(input)), cr::activity)
    }

    fn get_activity(actor: wit::Actor, id: String) -> Result<registry::Activity, wit::Error> {
        run(|f| f.get_activity(&convert::actor(actor), &id), cr::activity)
    }

    fn list_activities(actor: wit::Actor, include_retired: bool) -> Result<Vec<registry::Activity>, wit::Error> {
        run(
            |f| f.list_activities(&convert::actor(actor), include_retired),
            |v| v.into_iter().map(cr::activity).collect(),
        )
    }

    fn retire_activity(actor: wit::Actor, id: String, reason: String) -> Result<registry::Activity, wit::Error> {
        run(|f| f.retire_activity(&convert::actor(actor), &id, &reason), cr::activity)
    }

    fn history(actor: wit::Actor, target: Option<String>) -> Result<Vec<registry::RegistryChange>, wit::Error> {
        run(
            |f| f.registry_history(&convert::actor(actor), target.as_deref()),
            |v| v.into_iter().map(cr::change).collect(),
        )
    }

    fn load_shop_defaults(actor: wit::Actor) -> Result<Vec<String>, wit::Error> {
        run(|f| f.load_shop_defaults(&convert::actor(actor)), |v| v)
    }

    fn export(actor: wit::Actor, format: registry::ExportFormat, lang: registry::Lang) -> Result<String, wit::Error> {
        run(|f| f.export_registry(&convert::actor(actor), cr::format(format), cr::lang(lang)), |s| s)
    }

    fn check(actor: wit::Actor) -> Result<Vec<registry::RegistryFinding>, wit::Error> {
        run(|f| f.check_registry(&convert::actor(actor)), |v| v.into_iter().map(cr::finding).collect())
    }

    fn assist_basis(
        actor: wit::Actor,
        answers: registry::BasisAnswers,
        lang: registry::Lang,
    ) -> Result<registry::BasisAdvice, wit::Error> {
        run(|f| f.assist_basis(&convert::actor(actor), cr::answers(answers), cr::lang(lang)), cr::advice)
    }

    fn generate_notice(
        actor: wit::Actor,
        purposes: Vec<String>,
        lang: registry::Lang,
    ) -> Result<registry::GeneratedNotice, wit::Error> {
        run(|f| f.generate_notice(&convert::actor(actor), &purposes, cr::lang(lang)), cr::generated)
    }
}

impl breaches::Guest for Component {
    fn record_breach(actor: wit::Actor, input: breaches::BreachInput) -> Result<breaches::Breach, wit::Error> {
        run(|f| f.record_breach(&convert::actor(actor), cr::breach_input(input)), cr::breach)
    }

    fn update_breach(
        actor: wit::Actor,
        id: String,
        input: breaches::BreachInput,
    ) -> Result<breaches::Breach, wit::Error> {
        run(|f| f.update_breach(&convert::actor(actor), &id, cr::breach_input(input)), cr::breach)
    }

    fn notify_cnil(
        actor: wit::Actor,
        id: String,
        at: String,
        reference: Option<String>,
        delay_reason: Option<String>,
    ) -> Result<breaches::Breach, wit::Error> {
        run(|f| f.notify_cnil(&convert::actor(actor), &id, &at, reference, delay_reason), cr::breach)
    }

    fn inform_people(
        actor: wit::Actor,
        id: String,
        informed: breaches::PeopleInformed,
    ) -> Result<breaches::Breach, wit::Error> {
        run(|f| f.inform_people(&convert::actor(actor), &id, cr::informed(informed)), cr::breach)
    }

    fn notify_people(
        actor: wit::Actor,
        id: String,
        subjects: Vec<wit::SubjectRef>,
        lang: registry::Lang,
    ) -> Result<breaches::BreachNotices, wit::Error> {
        run(
            |f| {
                let subjects: Vec<_> = subjects.into_iter().map(convert::subject_ref).collect();
                f.notify_people(&convert::actor(actor), &id, &subjects, cr::lang(lang))
            },
            |n| breaches::BreachNotices { queued: n.queued, unreachable: n.unreachable },
        )
    }

    fn get_breach(actor: wit::Actor, id: String) -> Result<breaches::Breach, wit::Error> {
        run(|f| f.get_breach(&convert::actor(actor), &id), cr::breach)
    }

    fn list_breaches(actor: wit::Actor, overdue_only: bool) -> Result<Vec<breaches::Breach>, wit::Error> {
        run(|f| f.list_breaches(&convert::actor(actor), overdue_only), |v| v.into_iter().map(cr::breach).collect())
    }
}
