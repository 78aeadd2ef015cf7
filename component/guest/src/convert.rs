//! WIT ↔ domain mapping. Exhaustive `match`es, no casts, no rules.

use fichier_domain::model as d;
use fichier_domain::{Error, FieldError};

use crate::bindings::exports::fichier::client::{
    consent as c, customer_import as ci, customers as cu, ledger as l, minimisation as mi, settings as s,
};
use crate::wit;
use fichier_domain::customers as dc;
use fichier_domain::import as di;
use fichier_domain::minimisation as dm;

pub fn error(e: Error) -> wit::Error {
    let fe = |f: FieldError| wit::FieldError { field: f.field, rule: f.rule, message: f.message };
    match e {
        Error::InvalidInput(f) => wit::Error::InvalidInput(fe(f)),
        Error::NotFound(f) => wit::Error::NotFound(fe(f)),
        Error::Forbidden(f) => wit::Error::Forbidden(fe(f)),
        Error::Conflict(f) => wit::Error::Conflict(fe(f)),
        Error::Corrupted(f) => wit::Error::Corrupted(fe(f)),
        Error::Config(f) => wit::Error::Config(fe(f)),
        Error::Storage(f) => wit::Error::Storage(fe(f)),
        Error::Other(m) => wit::Error::Other(m),
    }
}

pub fn role(r: wit::Role) -> d::Role {
    match r {
        wit::Role::Admin => d::Role::Admin,
        wit::Role::Dpo => d::Role::Dpo,
        wit::Role::Support => d::Role::Support,
        wit::Role::System => d::Role::System,
        wit::Role::Public => d::Role::Public,
    }
}

pub fn role_out(r: d::Role) -> wit::Role {
    match r {
        d::Role::Admin => wit::Role::Admin,
        d::Role::Dpo => wit::Role::Dpo,
        d::Role::Support => wit::Role::Support,
        d::Role::System => wit::Role::System,
        d::Role::Public => wit::Role::Public,
    }
}

pub fn actor(a: wit::Actor) -> d::Actor {
    d::Actor { id: a.id, role: role(a.role) }
}

pub fn actor_out(a: d::Actor) -> wit::Actor {
    wit::Actor { id: a.id, role: role_out(a.role) }
}

pub fn subject_ref(r: wit::SubjectRef) -> d::SubjectRef {
    match r {
        wit::SubjectRef::Email(e) => d::SubjectRef::Email(e),
        wit::SubjectRef::External(x) => d::SubjectRef::External(x),
        wit::SubjectRef::Subject(s) => d::SubjectRef::Subject(s),
    }
}

fn kind(k: c::PurposeKind) -> d::PurposeKind {
    match k {
        c::PurposeKind::Service => d::PurposeKind::Service,
        c::PurposeKind::Marketing => d::PurposeKind::Marketing,
        c::PurposeKind::Cookie => d::PurposeKind::Cookie,
        c::PurposeKind::Advertising => d::PurposeKind::Advertising,
    }
}

fn kind_out(k: d::PurposeKind) -> c::PurposeKind {
    match k {
        d::PurposeKind::Service => c::PurposeKind::Service,
        d::PurposeKind::Marketing => c::PurposeKind::Marketing,
        d::PurposeKind::Cookie => c::PurposeKind::Cookie,
        d::PurposeKind::Advertising => c::PurposeKind::Advertising,
    }
}

pub fn purpose_input(p: c::PurposeInput) -> d::PurposeInput {
    d::PurposeInput { id: p.id, kind: kind(p.kind), title: p.title, validity_months: p.validity_months }
}

pub fn purpose(p: d::Purpose) -> c::Purpose {
    c::Purpose {
        id: p.id,
        kind: kind_out(p.kind),
        title: p.title,
        validity_months: p.validity_months,
        revision: p.revision,
        declared_at: p.declared_at,
        declared_by: actor_out(p.declared_by),
    }
}

pub fn notice_input(n: c::NoticeInput) -> d::NoticeInput {
    d::NoticeInput { purposes: n.purposes, lang: n.lang, text: n.text }
}

pub fn notice(n: d::Notice) -> c::Notice {
    c::Notice {
        reference: n.reference,
        purposes: n.purposes,
        lang: n.lang,
        version: n.version,
        sha256: n.sha256,
        registered_at: n.registered_at,
    }
}

pub fn banner_config(b: fichier_domain::banner::BannerConfig) -> c::BannerConfig {
    c::BannerConfig {
        lang: b.lang,
        purposes: b
            .purposes
            .into_iter()
            .map(|p| c::BannerPurpose {
                id: p.id,
                kind: kind_out(p.kind),
                title: p.title,
                grant_months: p.grant_months,
                refusal_months: p.refusal_months,
            })
            .collect(),
        notice: b.notice.map(|n| c::BannerNotice { reference: n.reference, sha256: n.sha256, text: n.text }),
    }
}

pub fn day_rates(r: fichier_domain::banner::DayRates) -> c::DayRates {
    c::DayRates { day: r.day, purpose: r.purpose, grants: r.grants, refusals: r.refusals, withdrawals: r.withdrawals }
}

fn decision(x: c::Decision) -> d::Decision {
    match x {
        c::Decision::Grant => d::Decision::Grant,
        c::Decision::Refuse => d::Decision::Refuse,
        c::Decision::Withdraw => d::Decision::Withdraw,
    }
}

fn decision_out(x: d::Decision) -> c::Decision {
    match x {
        d::Decision::Grant => c::Decision::Grant,
        d::Decision::Refuse => c::Decision::Refuse,
        d::Decision::Withdraw => c::Decision::Withdraw,
    }
}

fn given_by(x: c::GivenBy) -> d::GivenBy {
    match x {
        c::GivenBy::Subject => d::GivenBy::Subject,
        c::GivenBy::Parent => d::GivenBy::Parent,
    }
}

fn given_by_out(x: d::GivenBy) -> c::GivenBy {
    match x {
        d::GivenBy::Subject => c::GivenBy::Subject,
        d::GivenBy::Parent => c::GivenBy::Parent,
    }
}

pub fn channel(x: c::Channel) -> d::Channel {
    match x {
        c::Channel::WebForm => d::Channel::WebForm,
        c::Channel::CookieBanner => d::Channel::CookieBanner,
        c::Channel::Checkout => d::Channel::Checkout,
        c::Channel::Phone => d::Channel::Phone,
        c::Channel::Paper => d::Channel::Paper,
        c::Channel::Import => d::Channel::Import,
    }
}

fn channel_out(x: d::Channel) -> c::Channel {
    match x {
        d::Channel::WebForm => c::Channel::WebForm,
        d::Channel::CookieBanner => c::Channel::CookieBanner,
        d::Channel::Checkout => c::Channel::Checkout,
        d::Channel::Phone => c::Channel::Phone,
        d::Channel::Paper => c::Channel::Paper,
        d::Channel::Import => c::Channel::Import,
    }
}

fn age(x: c::AgeDeclaration) -> d::AgeDeclaration {
    match x {
        c::AgeDeclaration::Age(a) => d::AgeDeclaration::Age(a),
        c::AgeDeclaration::BirthYear(y) => d::AgeDeclaration::BirthYear(y),
    }
}

fn age_out(x: d::AgeDeclaration) -> c::AgeDeclaration {
    match x {
        d::AgeDeclaration::Age(a) => c::AgeDeclaration::Age(a),
        d::AgeDeclaration::BirthYear(y) => c::AgeDeclaration::BirthYear(y),
    }
}

pub fn receipt_input(r: c::ReceiptInput) -> d::ReceiptInput {
    d::ReceiptInput {
        subject: subject_ref(r.subject),
        purpose: r.purpose,
        decision: decision(r.decision),
        given_by: given_by(r.given_by),
        channel: channel(r.channel),
        notice: r.notice,
        at: r.at,
        receipt_id: r.receipt_id,
        client_ip: r.client_ip,
        user_agent: r.user_agent,
        gpc: r.gpc,
        age: r.age.map(age),
    }
}

pub fn receipt(r: d::Receipt) -> c::Receipt {
    c::Receipt {
        id: r.id,
        subject: r.subject,
        seq: r.seq,
        purpose: r.purpose,
        decision: decision_out(r.decision),
        given_by: given_by_out(r.given_by),
        channel: channel_out(r.channel),
        notice: r.notice.map(|n| c::NoticeCitation { reference: n.reference, sha256: n.sha256 }),
        at: r.at,
        recorded_at: r.recorded_at,
        recorded_by: actor_out(r.recorded_by),
        ip_truncated: r.ip_truncated,
        user_agent_sha256: r.user_agent_sha256,
        gpc: r.gpc,
        age: r.age.map(age_out),
        hash: r.hash,
        prev: r.prev,
    }
}

fn state_out(s: d::ConsentState) -> c::ConsentState {
    match s {
        d::ConsentState::Given => c::ConsentState::Given,
        d::ConsentState::Refused => c::ConsentState::Refused,
        d::ConsentState::Withdrawn => c::ConsentState::Withdrawn,
        d::ConsentState::Expired => c::ConsentState::Expired,
        d::ConsentState::PendingParentalConsent => c::ConsentState::PendingParentalConsent,
        d::ConsentState::NeverAsked => c::ConsentState::NeverAsked,
    }
}

pub fn subject_status(s: d::SubjectStatus) -> c::SubjectStatus {
    c::SubjectStatus {
        subject: s.subject,
        purposes: s
            .purposes
            .into_iter()
            .map(|p| c::PurposeStatus {
                purpose: p.purpose,
                state: state_out(p.state),
                reason: p.reason,
                receipt: p.receipt,
                expires_at: p.expires_at,
            })
            .collect(),
    }
}

pub fn ledger_report(r: d::LedgerReport) -> l::LedgerReport {
    l::LedgerReport {
        ok: r.ok,
        subjects: r.subjects,
        receipts: r.receipts,
        anchors: r.anchors,
        failure: r.failure.map(|f| l::LedgerFailure {
            subject: f.subject,
            receipt: f.receipt,
            seq: f.seq,
            anchor: f.anchor,
            rule: f.rule,
            message: f.message,
        }),
    }
}

pub fn anchor(a: d::Anchor) -> l::Anchor {
    l::Anchor { seq: a.seq, at: a.at, subjects: a.subjects, receipts: a.receipts, root: a.root, prev: a.prev }
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

// ---------------------------------------------------------------- customer file

pub fn category(c: wit::DataCategory) -> d::DataCategory {
    match c {
        wit::DataCategory::Identity => d::DataCategory::Identity,
        wit::DataCategory::Contact => d::DataCategory::Contact,
        wit::DataCategory::PostalAddress => d::DataCategory::PostalAddress,
        wit::DataCategory::Order => d::DataCategory::Order,
        wit::DataCategory::Payment => d::DataCategory::Payment,
        wit::DataCategory::MarketingPreferences => d::DataCategory::MarketingPreferences,
        wit::DataCategory::Account => d::DataCategory::Account,
        wit::DataCategory::FreeText => d::DataCategory::FreeText,
        wit::DataCategory::Other => d::DataCategory::Other,
    }
}

pub fn category_out(c: d::DataCategory) -> wit::DataCategory {
    match c {
        d::DataCategory::Identity => wit::DataCategory::Identity,
        d::DataCategory::Contact => wit::DataCategory::Contact,
        d::DataCategory::PostalAddress => wit::DataCategory::PostalAddress,
        d::DataCategory::Order => wit::DataCategory::Order,
        d::DataCategory::Payment => wit::DataCategory::Payment,
        d::DataCategory::MarketingPreferences => wit::DataCategory::MarketingPreferences,
        d::DataCategory::Account => wit::DataCategory::Account,
        d::DataCategory::FreeText => wit::DataCategory::FreeText,
        d::DataCategory::Other => wit::DataCategory::Other,
    }
}

pub fn basis(b: wit::LawfulBasis) -> d::LawfulBasis {
    match b {
        wit::LawfulBasis::Consent => d::LawfulBasis::Consent,
        wit::LawfulBasis::Contract => d::LawfulBasis::Contract,
        wit::LawfulBasis::LegalObligation => d::LawfulBasis::LegalObligation,
        wit::LawfulBasis::VitalInterests => d::LawfulBasis::VitalInterests,
        wit::LawfulBasis::PublicTask => d::LawfulBasis::PublicTask,
        wit::LawfulBasis::LegitimateInterests => d::LawfulBasis::LegitimateInterests,
    }
}

pub fn basis_out(b: d::LawfulBasis) -> wit::LawfulBasis {
    match b {
        d::LawfulBasis::Consent => wit::LawfulBasis::Consent,
        d::LawfulBasis::Contract => wit::LawfulBasis::Contract,
        d::LawfulBasis::LegalObligation => wit::LawfulBasis::LegalObligation,
        d::LawfulBasis::VitalInterests => wit::LawfulBasis::VitalInterests,
        d::LawfulBasis::PublicTask => wit::LawfulBasis::PublicTask,
        d::LawfulBasis::LegitimateInterests => wit::LawfulBasis::LegitimateInterests,
    }
}

pub fn source(s: wit::Source) -> d::Source {
    match s {
        wit::Source::Person => d::Source::Person,
        wit::Source::ThirdParty(n) => d::Source::ThirdParty(n),
    }
}

fn source_out(s: d::Source) -> wit::Source {
    match s {
        d::Source::Person => wit::Source::Person,
        d::Source::ThirdParty(n) => wit::Source::ThirdParty(n),
    }
}

pub fn field_input(f: cu::FieldInput) -> dc::FieldInput {
    dc::FieldInput {
        name: f.name,
        value: f.value,
        category: f.category.map(category),
        purposes: f.purposes,
        basis: basis(f.basis),
        source: f.source.map(source),
        collected_at: f.collected_at,
        verified_at: f.verified_at,
    }
}

pub fn customer(c: dc::Customer) -> cu::Customer {
    let b = c.body;
    cu::Customer {
        subject: c.subject,
        revision: c.revision,
        fields: b.fields.into_iter().map(field_out).collect(),
        created_at: b.created_at.to_string(),
        updated_at: b.updated_at.to_string(),
        email_bounced_at: b.email_bounced_at.map(|t| t.to_string()),
        merged_from: b.merged_from,
        last_contact_at: b.last_contact_at.map(|t| t.to_string()),
        relationship_ended_at: b.relationship_ended_at.map(|t| t.to_string()),
    }
}

fn field_out(f: dc::Field) -> cu::Field {
    cu::Field {
        name: f.name,
        value: f.value,
        category: category_out(f.category),
        purposes: f.purposes,
        basis: basis_out(f.basis),
        source: source_out(f.source),
        collected_at: f.collected_at.to_string(),
        verified_at: f.verified_at.map(|t| t.to_string()),
        updated_at: f.updated_at.to_string(),
    }
}

pub fn archived_field(a: dc::ArchivedField) -> cu::ArchivedField {
    cu::ArchivedField {
        field: field_out(a.field),
        archived_at: a.archived_at.to_string(),
        until: a.until.to_string(),
        activity: a.activity,
    }
}

pub fn customer_event(e: cu::CustomerEvent) -> dc::CustomerEvent {
    match e {
        cu::CustomerEvent::Contact => dc::CustomerEvent::Contact,
        cu::CustomerEvent::RelationshipEnded => dc::CustomerEvent::RelationshipEnded,
    }
}

pub fn field_change(c: dc::FieldChange) -> cu::FieldChange {
    cu::FieldChange {
        field: c.field,
        previous: c.previous,
        value: c.value,
        reason: match c.reason {
            dc::ChangeReason::Created => cu::ChangeReason::Created,
            dc::ChangeReason::Rectified => cu::ChangeReason::Rectified,
            dc::ChangeReason::Removed => cu::ChangeReason::Removed,
            dc::ChangeReason::Merged => cu::ChangeReason::Merged,
            dc::ChangeReason::Imported => cu::ChangeReason::Imported,
            dc::ChangeReason::Reverified => cu::ChangeReason::Reverified,
            dc::ChangeReason::Bounced => cu::ChangeReason::Bounced,
            dc::ChangeReason::Expired => cu::ChangeReason::Expired,
            dc::ChangeReason::Anonymised => cu::ChangeReason::Anonymised,
            dc::ChangeReason::Archived => cu::ChangeReason::Archived,
        },
        at: c.at.to_string(),
        by: actor_out(c.by),
        from_subject: c.from_subject,
    }
}

pub fn duplicate_pair(p: fichier_domain::duplicates::Pair) -> cu::DuplicatePair {
    use fichier_domain::duplicates::Reason;
    cu::DuplicatePair {
        a: p.a,
        b: p.b,
        reason: match p.reason {
            Reason::SameEmail => cu::DuplicateReason::SameEmail,
            Reason::SamePhone => cu::DuplicateReason::SamePhone,
            Reason::SameNamePostalCode => cu::DuplicateReason::SameNamePostalCode,
            Reason::SimilarEmail => cu::DuplicateReason::SimilarEmail,
        },
        distance: p.distance,
    }
}

pub fn review_entry(e: dc::ReviewEntry) -> cu::ReviewEntry {
    cu::ReviewEntry {
        subject: e.subject,
        stale: e
            .stale
            .into_iter()
            .map(|f| cu::StaleField {
                field: f.field,
                category: category_out(f.category),
                since: f.since,
                due_at: f.due_at,
            })
            .collect(),
        email_bounced_at: e.email_bounced_at.map(|t| t.to_string()),
    }
}

// ---------------------------------------------------------------- minimisation

pub fn form_field(f: mi::FormField) -> dm::FormField {
    dm::FormField {
        name: f.name,
        label: f.label,
        field_type: match f.field_type {
            mi::FieldType::Text => dm::FieldType::Text,
            mi::FieldType::Email => dm::FieldType::Email,
            mi::FieldType::Tel => dm::FieldType::Tel,
            mi::FieldType::Date => dm::FieldType::Date,
            mi::FieldType::Number => dm::FieldType::Number,
            mi::FieldType::Password => dm::FieldType::Password,
            mi::FieldType::Checkbox => dm::FieldType::Checkbox,
            mi::FieldType::Select => dm::FieldType::Select,
            mi::FieldType::Textarea => dm::FieldType::Textarea,
            mi::FieldType::Hidden => dm::FieldType::Hidden,
        },
        required: f.required,
        purposes: f.purposes,
    }
}

pub fn record_field(f: mi::RecordField) -> dm::RecordField {
    dm::RecordField { name: f.name, value: f.value, category: f.category.map(category), purposes: f.purposes }
}

pub fn severity_out(s: dm::Severity) -> mi::Severity {
    match s {
        dm::Severity::Block => mi::Severity::Block,
        dm::Severity::Warn => mi::Severity::Warn,
        dm::Severity::Info => mi::Severity::Info,
    }
}

pub fn finding(f: dm::Finding) -> mi::Finding {
    mi::Finding {
        severity: severity_out(f.severity),
        field: f.field,
        rule: f.rule,
        source: f.source,
        message: f.message,
        fix: f.fix,
        kind: f.kind,
        span: f.span.map(|s| mi::Span { start: s.start, end: s.end }),
    }
}

// ---------------------------------------------------------------- import

pub fn import_options(o: ci::ImportOptions) -> di::ImportOptions {
    di::ImportOptions {
        name: o.name,
        file_sha256: o.file_sha256,
        mapping: o
            .mapping
            .into_iter()
            .map(|m| di::ColumnMapping {
                column: m.column,
                field: m.field,
                category: m.category.map(category),
                purposes: m.purposes,
                basis: m.basis.map(basis),
            })
            .collect(),
        encoding: match o.encoding {
            ci::TextEncoding::Utf8 => di::TextEncoding::Utf8,
            ci::TextEncoding::Latin1 => di::TextEncoding::Latin1,
        },
        delimiter: o.delimiter,
        default_purposes: o.default_purposes,
        default_basis: basis(o.default_basis),
        source: o.source.map(source),
    }
}

fn row_issue(i: di::RowIssue) -> ci::RowIssue {
    ci::RowIssue { line: i.line, column: i.column, rule: i.rule, message: i.message }
}

pub fn chunk_result(r: di::ChunkResult) -> ci::ChunkResult {
    ci::ChunkResult {
        consumed: r.consumed,
        offset: r.offset,
        rows: r.rows,
        done: r.done,
        issues: r.issues.into_iter().map(row_issue).collect(),
    }
}

pub fn import_report(r: di::ImportReport) -> ci::ImportReport {
    ci::ImportReport {
        id: r.id,
        name: r.options.name,
        columns: r.plan.unwrap_or_default().into_iter().map(|p| (p.column, p.field)).collect(),
        dropped: r.dropped.into_iter().map(row_issue).collect(),
        rows: r.rows,
        imported: r.imported,
        updated: r.updated,
        unchanged: r.unchanged,
        rejected: r.rejected,
        redacted: r.redacted,
        findings: r
            .findings
            .into_iter()
            .map(|f| ci::RuleCount { rule: f.rule, severity: severity_out(f.severity), count: f.count })
            .collect(),
        issues: r.issues.into_iter().map(row_issue).collect(),
        done: r.done,
        started_at: r.started_at,
        updated_at: r.updated_at,
    }
}
