//! `minimisation`: checking forms, records and free text.

use fichier_domain::minimisation as dm;

use crate::bindings::exports::fichier::client::minimisation as mi;
use crate::{Component, run, wit};

impl mi::Guest for Component {
    fn check_form(actor: wit::Actor, fields: Vec<mi::FormField>) -> Result<Vec<mi::Finding>, wit::Error> {
        run(
            |f| f.check_form(&actor.into(), &fields.into_iter().map(form_field).collect::<Vec<_>>()),
            |v| v.into_iter().map(finding).collect(),
        )
    }

    fn check_record(actor: wit::Actor, fields: Vec<mi::RecordField>) -> Result<Vec<mi::Finding>, wit::Error> {
        run(
            |f| f.check_record(&actor.into(), &fields.into_iter().map(record_field).collect::<Vec<_>>()),
            |v| v.into_iter().map(finding).collect(),
        )
    }

    fn scan_text(actor: wit::Actor, field: String, text: String) -> Result<Vec<mi::Finding>, wit::Error> {
        run(|f| f.scan_text(&actor.into(), &field, &text), |v| v.into_iter().map(finding).collect())
    }

    fn check_identifier(actor: wit::Actor, value: String) -> Result<Vec<mi::IdentifierMatch>, wit::Error> {
        run(|f| f.check_identifier(&actor.into(), &value), |v| v.into_iter().map(identifier_match).collect())
    }
}

enum_pairs! {
    mi::FieldType = dm::FieldType { Text, Email, Tel, Date, Number, Password, Checkbox, Select, Textarea, Hidden }
    mi::Severity = dm::Severity { Block, Warn, Info }
    mi::ValueHandling = dm::ValueHandling { Stored, Hashed, Transient }
    mi::IdentifierKind = dm::identifiers::IdentifierKind {
        Nir, Iban, CardNumber, Siren, Siret, PhoneFr, PhoneInternational, Email
    }
}

fn identifier_match(m: dm::identifiers::IdentifierMatch) -> mi::IdentifierMatch {
    mi::IdentifierMatch { kind: m.kind.into(), normalized: m.normalized, detail: m.detail }
}

fn form_field(f: mi::FormField) -> dm::FormField {
    dm::FormField {
        name: f.name,
        label: f.label,
        field_type: f.field_type.into(),
        required: f.required,
        purposes: f.purposes,
        // Absent: stored, unticked (form files written before these fields keep their meaning).
        handling: f.handling.map(Into::into).unwrap_or_default(),
        checked: f.checked.unwrap_or(false),
    }
}

fn record_field(f: mi::RecordField) -> dm::RecordField {
    dm::RecordField { name: f.name, value: f.value, category: f.category.map(Into::into), purposes: f.purposes }
}

fn finding(f: dm::Finding) -> mi::Finding {
    mi::Finding {
        severity: f.severity.into(),
        field: f.field,
        rule: f.rule,
        source: f.source,
        message: f.message,
        fix: f.fix,
        kind: f.kind,
        span: f.span.map(|s| mi::Span { start: s.start, end: s.end }),
    }
}
