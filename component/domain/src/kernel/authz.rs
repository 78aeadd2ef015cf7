//! Which role may do what. The component checks every call here; hosts check nothing.

use super::error::{Error, FieldError, Result};
use super::types::{Actor, Channel, Role, SubjectRef};

/// Every operation the component exposes, with what the decision depends on.
#[derive(Clone, Copy, Debug)]
pub enum Operation<'a> {
    DeclarePurpose,
    ReadCatalogue,
    RegisterNotice,
    RecordDecision {
        channel: Channel,
    },
    ReadStatus {
        subject: &'a SubjectRef,
    },
    ReadHistory,
    ReadStatistics,
    VerifyLedger,
    TakeAnchor,
    ReadPolicy,
    SetPolicy,
    Reindex,
    VerifyStore,
    /// Re-wrap every key under a new master key (`maintenance.rotate-master-key`).
    RotateMasterKey,
    ListSubjects,
    WriteCustomer,
    ReadCustomer,
    DeleteCustomer,
    ListCustomers,
    FindDuplicates,
    MergeCustomers,
    CheckMinimisation,
    Import,
    ReadRegistry,
    WriteRegistry,
    ReadBreaches,
    WriteBreaches,
    ManageApiKeys,
    ReadArchive,
    Sweep,
    /// Open or close a dispute hold over a customer's fields (Art. 17(3)(e)).
    HoldDispute,
    ReadAudit,
    PruneAudit,
    /// `form`: the request comes as the shop's public form sends it (named by e-mail,
    /// web-form channel, identity to be proved by token, no date, no doubt).
    NewRequest {
        form: bool,
    },
    VerifyToken,
    ManageRequest,
    DecideRequest,
    ReadRequests,
    DrainOutbox,
    /// Mint the unsubscribe link (and the tracking pixel) of a person and purpose for a mail.
    MintUnsubscribeLink,
    /// Mint the reference of a logged-in customer for the banner (consent across devices).
    MintCustomerReference,
    /// A public e-mail consent step: ask to subscribe (a confirmation mail follows),
    /// confirm with its token, unsubscribe with the mail's token.
    ConsentByEmail,
    Erase,
    Restrict,
    LiftRestriction,
    Object,
    ExportData,
}

impl Operation<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::DeclarePurpose => "declare a purpose",
            Operation::ReadCatalogue => "read purposes and notices",
            Operation::RegisterNotice => "register a notice",
            Operation::RecordDecision { .. } => "record a decision",
            Operation::ReadStatus { .. } => "read a consent status",
            Operation::ReadHistory => "read a consent history",
            Operation::ReadStatistics => "read consent statistics",
            Operation::VerifyLedger => "verify the ledger",
            Operation::TakeAnchor => "take an anchor",
            Operation::ReadPolicy => "read the policy",
            Operation::SetPolicy => "change the policy",
            Operation::Reindex => "rebuild indexes",
            Operation::VerifyStore => "check every sealed record",
            Operation::RotateMasterKey => "rotate the master key",
            Operation::ListSubjects => "list subjects",
            Operation::WriteCustomer => "change a customer record",
            Operation::ReadCustomer => "read a customer record",
            Operation::DeleteCustomer => "delete a customer record",
            Operation::ListCustomers => "list customer records",
            Operation::FindDuplicates => "look for duplicate customers",
            Operation::MergeCustomers => "merge customer records",
            Operation::CheckMinimisation => "run minimisation checks",
            Operation::Import => "import customers",
            Operation::ReadRegistry => "read the record of processing activities",
            Operation::WriteRegistry => "change the record of processing activities",
            Operation::ReadBreaches => "read the breach register",
            Operation::WriteBreaches => "change the breach register",
            Operation::ManageApiKeys => "manage API keys",
            Operation::ReadArchive => "read the intermediate archive",
            Operation::Sweep => "run the retention sweep",
            Operation::HoldDispute => "hold data for a dispute",
            Operation::ReadAudit => "read or verify the audit log",
            Operation::PruneAudit => "prune the audit log",
            Operation::NewRequest { form: true } => "record a rights request",
            Operation::NewRequest { form: false } => {
                "record a rights request other than by the public form (e-mail, web form, token, no date)"
            }
            Operation::VerifyToken => "verify an identity token",
            Operation::ManageRequest => "handle a request's identity check",
            Operation::DecideRequest => "extend, complete or refuse a request",
            Operation::ReadRequests => "read rights requests",
            Operation::DrainOutbox => "read or acknowledge the outbox",
            Operation::MintUnsubscribeLink => "mint a mail's unsubscribe link and pixel",
            Operation::MintCustomerReference => "mint a logged-in customer's reference",
            Operation::ConsentByEmail => "sign up, confirm, unsubscribe by e-mail or open a mail's pixel",
            Operation::Erase => "erase a person",
            Operation::Restrict => "restrict a person's processing",
            Operation::LiftRestriction => "lift a restriction of processing",
            Operation::Object => "record an objection to direct marketing",
            Operation::ExportData => "export a person's data",
        }
    }
}

/// Whether `role` may perform `op`.
pub fn permits(role: Role, op: Operation<'_>) -> bool {
    use Role::*;
    match op {
        Operation::ReadCatalogue => true,
        Operation::ReadRegistry => matches!(role, Admin | Dpo | Support | System),
        Operation::DeclarePurpose | Operation::RegisterNotice | Operation::SetPolicy | Operation::WriteRegistry => {
            matches!(role, Admin | Dpo)
        }
        // A visitor records their own choices, only where visitors express them.
        Operation::RecordDecision { channel } => match role {
            Admin | Dpo | Support | System => true,
            Public => matches!(channel, Channel::WebForm | Channel::CookieBanner | Channel::Checkout),
        },
        // A visitor may read the status of its own banner id, never look up an e-mail.
        Operation::ReadStatus { subject } => match role {
            Admin | Dpo | Support | System => true,
            Public => matches!(subject, SubjectRef::External(_)),
        },
        Operation::ReadHistory => matches!(role, Admin | Dpo | Support | System),
        Operation::ReadStatistics => matches!(role, Admin | Dpo),
        Operation::ReadPolicy => matches!(role, Admin | Dpo | Support | System),
        Operation::VerifyLedger
        | Operation::TakeAnchor
        | Operation::Reindex
        | Operation::VerifyStore
        | Operation::ListSubjects => {
            matches!(role, Admin | Dpo | System)
        }
        Operation::WriteCustomer
        | Operation::ReadCustomer
        | Operation::ListCustomers
        | Operation::CheckMinimisation => matches!(role, Admin | Dpo | Support | System),
        Operation::DeleteCustomer | Operation::FindDuplicates | Operation::Import => {
            matches!(role, Admin | Dpo | System)
        }
        Operation::MergeCustomers | Operation::WriteBreaches | Operation::ReadArchive | Operation::HoldDispute => {
            matches!(role, Admin | Dpo)
        }
        Operation::ManageApiKeys => role == Admin,
        // The deployment's key: the shop's administrator or its operations.
        Operation::RotateMasterKey => matches!(role, Admin | System),
        Operation::Sweep | Operation::ReadAudit | Operation::PruneAudit => matches!(role, Admin | Dpo | System),
        // The person proves who they are through the shop's public form.
        Operation::VerifyToken => true,
        // A visitor asks through the shop's form, by e-mail; the token proves it is them.
        Operation::NewRequest { form } => match role {
            Admin | Dpo | Support | System => true,
            Public => form,
        },
        Operation::ManageRequest | Operation::ReadRequests => matches!(role, Admin | Dpo | Support),
        // Only the DPO or an admin decides (extends, completes, refuses).
        Operation::DecideRequest => matches!(role, Admin | Dpo),
        Operation::DrainOutbox => matches!(role, Admin | System),
        // The shop mints the links it puts in its mails; the person follows them.
        Operation::MintUnsubscribeLink | Operation::MintCustomerReference => matches!(role, Admin | System),
        Operation::ConsentByEmail => true,
        // Support may read a customer, not export one nor erase it.
        Operation::Erase | Operation::LiftRestriction | Operation::ExportData => matches!(role, Admin | Dpo),
        Operation::Restrict => matches!(role, Admin | Dpo | Support),
        // Objection stops marketing at once, also from the shop's unsubscribe handler.
        Operation::Object => matches!(role, Admin | Dpo | Support | System),
        Operation::ReadBreaches => matches!(role, Admin | Dpo | System),
    }
}

/// A subject of each kind, for [`operations_of`]: a status read depends on the kind only.
const BY_EMAIL: &SubjectRef = &SubjectRef::Email(String::new());
const BY_EXTERNAL: &SubjectRef = &SubjectRef::External(String::new());
const BY_SUBJECT: &SubjectRef = &SubjectRef::Subject(String::new());

/// The operations an exported function checks (`interface.function`, as the WIT names
/// it), with every input that changes the decision: a role permitted none of them is
/// refused whatever the input. `None`: not a function of this table (it checks its own
/// role as every function does, only not ahead of its input).
pub fn operations_of(function: &str) -> Option<&'static [Operation<'static>]> {
    use Channel as C;
    use Operation as O;
    Some(match function {
        "consent.list-purposes"
        | "consent.list-notices"
        | "consent.get-notice"
        | "consent.notice-for"
        | "consent.banner"
        | "consent.customer-choice"
        | "registry.assist-basis" => &[O::ReadCatalogue],
        "consent.declare-purpose" => &[O::DeclarePurpose],
        "consent.register-notice" | "registry.generate-notice" => &[O::RegisterNotice],
        "consent.record-decision" => &[
            O::RecordDecision { channel: C::WebForm },
            O::RecordDecision { channel: C::CookieBanner },
            O::RecordDecision { channel: C::Checkout },
            O::RecordDecision { channel: C::Phone },
            O::RecordDecision { channel: C::Paper },
            O::RecordDecision { channel: C::Import },
            O::RecordDecision { channel: C::EmailLink },
        ],
        "consent.sign-up" | "consent.confirm" | "consent.unsubscribe" | "consent.open-pixel" => &[O::ConsentByEmail],
        "consent.unsubscribe-link" | "consent.mint-mail-links" => &[O::MintUnsubscribeLink],
        "consent.mint-customer-reference" => &[O::MintCustomerReference],
        "consent.status" | "consent.status-with-signals" => &[
            O::ReadStatus { subject: BY_EMAIL },
            O::ReadStatus { subject: BY_EXTERNAL },
            O::ReadStatus { subject: BY_SUBJECT },
        ],
        "consent.history" => &[O::ReadHistory],
        "consent.rates" | "consent.opens" => &[O::ReadStatistics],
        "consent.tracking-to-ask" => &[O::ListSubjects],
        "ledger.verify" | "ledger.list-anchors" => &[O::VerifyLedger],
        "ledger.take-anchor" => &[O::TakeAnchor],
        "settings.get-policy" | "settings.policy-history" => &[O::ReadPolicy],
        "settings.set-policy" => &[O::SetPolicy],
        "settings.list-api-keys" | "settings.create-api-key" | "settings.revoke-api-key" => &[O::ManageApiKeys],
        "maintenance.reindex" => &[O::Reindex],
        "maintenance.list-subjects" => &[O::ListSubjects],
        "maintenance.verify-store" => &[O::VerifyStore],
        "maintenance.rotate-master-key" => &[O::RotateMasterKey],
        "customers.list-customers" => &[O::ListCustomers],
        "customers.create"
        | "customers.rectify"
        | "customers.mark-bounced"
        | "customers.reverify"
        | "customers.record-event" => &[O::WriteCustomer],
        "customers.get" | "customers.history" | "customers.review" => &[O::ReadCustomer],
        "customers.delete" => &[O::DeleteCustomer],
        "customers.find-duplicates" => &[O::FindDuplicates],
        "customers.merge" => &[O::MergeCustomers],
        "customers.archived" => &[O::ReadArchive],
        "minimisation.check-form"
        | "minimisation.check-record"
        | "minimisation.scan-text"
        | "minimisation.check-identifier" => &[O::CheckMinimisation],
        "customer-import.begin" | "customer-import.feed" | "customer-import.report" => &[O::Import],
        "registry.get-organisation"
        | "registry.list-activities"
        | "registry.get-activity"
        | "registry.history"
        | "registry.export"
        | "registry.check" => &[O::ReadRegistry],
        "registry.set-organisation"
        | "registry.put-activity"
        | "registry.retire-activity"
        | "registry.load-shop-defaults" => &[O::WriteRegistry],
        "breaches.list-breaches" | "breaches.get-breach" => &[O::ReadBreaches],
        "breaches.record-breach"
        | "breaches.update-breach"
        | "breaches.notify-cnil"
        | "breaches.inform-people"
        | "breaches.notify-people" => &[O::WriteBreaches],
        "retention.sweep" => &[O::Sweep],
        "retention.open-dispute" | "retention.close-dispute" => &[O::HoldDispute],
        "rights.new-request" => &[O::NewRequest { form: true }, O::NewRequest { form: false }],
        "rights.list-requests" | "rights.get-request" => &[O::ReadRequests],
        "rights.step" => &[O::VerifyToken, O::ManageRequest, O::DecideRequest],
        "rights.erase" => &[O::Erase],
        "rights.change-processing" => &[O::Restrict, O::LiftRestriction, O::Object],
        "rights.export-data" => &[O::ExportData],
        "outbox.pending" | "outbox.ack" => &[O::DrainOutbox],
        "audit.verify" | "audit.entries" => &[O::ReadAudit],
        "audit.prune" => &[O::PruneAudit],
        _ => return None,
    })
}

/// The check a call to `function` meets before its input is read: `forbidden` (the
/// function's own error, naming its first operation) when `role` may perform none of the
/// operations the function checks, whatever the input ([`operations_of`]). A caller
/// refused for its role thus learns nothing of what the input should be. A function
/// this table does not know passes (its own check still runs).
pub fn authorize_call(role: Role, function: &str) -> Result<()> {
    match operations_of(function) {
        Some(ops) if !ops.iter().any(|op| permits(role, *op)) => Err(refusal(role, ops[0])),
        _ => Ok(()),
    }
}

fn refusal(role: Role, op: Operation<'_>) -> Error {
    Error::Forbidden(FieldError::new(
        "actor.role",
        "role-permitted",
        format!("the {} role may not {}", role.as_str(), op.name()),
    ))
}

/// Check the actor's identity and role for `op`.
pub fn authorize(actor: &Actor, op: Operation<'_>) -> Result<()> {
    crate::kernel::validate::actor(actor)?;
    if permits(actor.role, op) { Ok(()) } else { Err(refusal(actor.role, op)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let email = SubjectRef::Email("a@example.org".into());
        let ext = SubjectRef::External("v-1".into());
        use Role::*;
        // (operation, roles allowed)
        let table: Vec<(Operation, &[Role])> = vec![
            (Operation::DeclarePurpose, &[Admin, Dpo]),
            (Operation::RegisterNotice, &[Admin, Dpo]),
            (Operation::SetPolicy, &[Admin, Dpo]),
            (Operation::ReadCatalogue, &[Admin, Dpo, Support, System, Public]),
            (Operation::RecordDecision { channel: Channel::CookieBanner }, &[Admin, Dpo, Support, System, Public]),
            (Operation::RecordDecision { channel: Channel::Phone }, &[Admin, Dpo, Support, System]),
            (Operation::RecordDecision { channel: Channel::Import }, &[Admin, Dpo, Support, System]),
            (Operation::ReadStatus { subject: &ext }, &[Admin, Dpo, Support, System, Public]),
            (Operation::ReadStatus { subject: &email }, &[Admin, Dpo, Support, System]),
            (Operation::ReadHistory, &[Admin, Dpo, Support, System]),
            (Operation::ReadPolicy, &[Admin, Dpo, Support, System]),
            (Operation::VerifyLedger, &[Admin, Dpo, System]),
            (Operation::TakeAnchor, &[Admin, Dpo, System]),
            (Operation::Reindex, &[Admin, Dpo, System]),
            (Operation::VerifyStore, &[Admin, Dpo, System]),
            (Operation::RotateMasterKey, &[Admin, System]),
            (Operation::ListSubjects, &[Admin, Dpo, System]),
            (Operation::WriteCustomer, &[Admin, Dpo, Support, System]),
            (Operation::ReadCustomer, &[Admin, Dpo, Support, System]),
            (Operation::ListCustomers, &[Admin, Dpo, Support, System]),
            (Operation::CheckMinimisation, &[Admin, Dpo, Support, System]),
            (Operation::DeleteCustomer, &[Admin, Dpo, System]),
            (Operation::FindDuplicates, &[Admin, Dpo, System]),
            (Operation::Import, &[Admin, Dpo, System]),
            (Operation::MergeCustomers, &[Admin, Dpo]),
            (Operation::ReadRegistry, &[Admin, Dpo, Support, System]),
            (Operation::WriteRegistry, &[Admin, Dpo]),
            (Operation::ReadBreaches, &[Admin, Dpo, System]),
            (Operation::WriteBreaches, &[Admin, Dpo]),
            (Operation::ManageApiKeys, &[Admin]),
            (Operation::ReadArchive, &[Admin, Dpo]),
            (Operation::Sweep, &[Admin, Dpo, System]),
            (Operation::HoldDispute, &[Admin, Dpo]),
            (Operation::ReadAudit, &[Admin, Dpo, System]),
            (Operation::PruneAudit, &[Admin, Dpo, System]),
            (Operation::ReadStatistics, &[Admin, Dpo]),
            (Operation::NewRequest { form: false }, &[Admin, Dpo, Support, System]),
            (Operation::NewRequest { form: true }, &[Admin, Dpo, Support, System, Public]),
            (Operation::VerifyToken, &[Admin, Dpo, Support, System, Public]),
            (Operation::ManageRequest, &[Admin, Dpo, Support]),
            (Operation::DecideRequest, &[Admin, Dpo]),
            (Operation::ReadRequests, &[Admin, Dpo, Support]),
            (Operation::DrainOutbox, &[Admin, System]),
            (Operation::MintUnsubscribeLink, &[Admin, System]),
            (Operation::MintCustomerReference, &[Admin, System]),
            (Operation::ConsentByEmail, &[Admin, Dpo, Support, System, Public]),
            (Operation::Erase, &[Admin, Dpo]),
            (Operation::Restrict, &[Admin, Dpo, Support]),
            (Operation::LiftRestriction, &[Admin, Dpo]),
            (Operation::Object, &[Admin, Dpo, Support, System]),
            (Operation::ExportData, &[Admin, Dpo]),
        ];
        for (op, allowed) in table {
            for role in [Admin, Dpo, Support, System, Public] {
                assert_eq!(permits(role, op), allowed.contains(&role), "{role:?} × {op:?}");
            }
        }
    }

    #[test]
    fn refusal_names_role_and_rule() {
        let actor = Actor { id: "visitor".into(), role: Role::Public };
        match authorize(&actor, Operation::SetPolicy) {
            Err(Error::Forbidden(e)) => {
                assert_eq!((e.field.as_str(), e.rule.as_str()), ("actor.role", "role-permitted"));
                assert!(e.message.contains("public"));
            }
            other => panic!("{other:?}"),
        }
        let nameless = Actor { id: " ".into(), role: Role::Admin };
        assert!(
            matches!(authorize(&nameless, Operation::SetPolicy), Err(Error::InvalidInput(e)) if e.field == "actor.id")
        );
    }
}
