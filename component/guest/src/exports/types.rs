//! The `types` interface: the vocabulary every other interface uses (the actor and
//! its role, the subject reference, the error variant, data categories, lawful bases
//! and sources), mapped to the domain's.

use fichier_domain::model as d;
use fichier_domain::{Error, FieldError};

use crate::wit;

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

pub fn source_out(s: d::Source) -> wit::Source {
    match s {
        d::Source::Person => wit::Source::Person,
        d::Source::ThirdParty(n) => wit::Source::ThirdParty(n),
    }
}
