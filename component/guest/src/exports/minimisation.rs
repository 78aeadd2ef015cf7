//! `minimisation`: checking forms, records and free text.

use fichier_domain::minimisation as dm;

use super::types::{self, category};
use crate::bindings::exports::fichier::client::minimisation as mi;
use crate::{Component, run, wit};

impl mi::Guest for Component {
    fn check_form(actor: wit::Actor, fields: Vec<mi::FormField>) -> Result<Vec<mi::Finding>, wit::Error> {
        run(
            |f| f.check_form(&types::actor(actor), &fields.into_iter().map(form_field).collect::<Vec<_>>()),
            |v| v.into_iter().map(finding).collect(),
        )
    }

    fn check_record(actor: wit::Actor, fields: Vec<mi::RecordField>) -> Result<Vec<mi::Finding>, wit::Error> {
        run(
            |f| f.check_record(&types::actor(actor), &fields.into_iter().map(record_field).collect::<Vec<_>>()),
            |v| v.into_iter().map(finding).collect(),
        )
    }

    fn scan_text(actor: wit::Actor, field: String, text: String) -> Result<Vec<mi::Finding>, wit::Error> {
        run(|f| f.scan_text(&types::actor(actor), &field, &text), |v| v.into_iter().map(finding).collect())
    }
}

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
