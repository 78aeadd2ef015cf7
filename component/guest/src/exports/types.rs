//! The `types` interface: the vocabulary every other interface uses (the actor and
//! its role, the subject reference, the error variant, data categories, lawful bases
//! and sources), mapped to the domain's.

use fichier_domain::kernel::types as d;
use fichier_domain::{Error, FieldError};

use crate::wit;

enum_pairs! {
    wit::Error = Error {
        InvalidInput(f: into),
        NotFound(f: into),
        Forbidden(f: into),
        Conflict(f: into),
        Corrupted(f: into),
        Config(f: into),
        Storage(f: into),
        Other(message),
    }
    wit::Role = d::Role { Admin, Dpo, Support, System, Public }
    wit::SubjectRef = d::SubjectRef { Email(email), External(id), Subject(id) }
    wit::DataCategory = d::DataCategory {
        Identity,
        Contact,
        PostalAddress,
        Order,
        Payment,
        MarketingPreferences,
        Account,
        FreeText,
        Other,
    }
    wit::LawfulBasis = d::LawfulBasis {
        Consent,
        Contract,
        LegalObligation,
        VitalInterests,
        PublicTask,
        LegitimateInterests,
    }
    wit::Source = d::Source { Person, ThirdParty(name) }
}

record_pairs! {
    wit::FieldError = FieldError { field, rule, message }
    wit::Actor = d::Actor { id, role: into }
    wit::DamagedRecord = d::DamagedRecord { subject, place, rule }
}

/// Damaged records, as the WIT lists them.
pub fn damaged(v: Vec<d::DamagedRecord>) -> Vec<wit::DamagedRecord> {
    v.into_iter().map(Into::into).collect()
}

impl wit::Error {
    /// The field error of every case but `other`.
    pub fn field_error_mut(&mut self) -> Option<&mut wit::FieldError> {
        match self {
            wit::Error::InvalidInput(f)
            | wit::Error::NotFound(f)
            | wit::Error::Forbidden(f)
            | wit::Error::Conflict(f)
            | wit::Error::Corrupted(f)
            | wit::Error::Config(f)
            | wit::Error::Storage(f) => Some(f),
            wit::Error::Other(_) => None,
        }
    }
}
