//! The minimisation checks as operations: input validation, the actor's role, and the
//! shop's declared purposes and policy as context for [`crate::minimisation`].

use crate::Fichier;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Store;
use crate::kernel::types::Actor;
use crate::kernel::validate::{self, MAX_TEXT_BYTES};
use crate::minimisation::identifiers::{self, IdentifierMatch};
use crate::minimisation::{self, Context, FieldType, Finding, FormField, RecordField};

/// Most characters of a value given to [`Fichier::check_identifier`]: the longest identifier it
/// knows, an e-mail address (254).
pub const MAX_IDENTIFIER_CHARS: usize = 254;

/// Most fields a checked form or record may have.
pub const MAX_CHECKED_FIELDS: usize = 200;

fn count(field: &str, n: usize) -> Result<()> {
    if n == 0 || n > MAX_CHECKED_FIELDS {
        return Err(Error::invalid(field, "range-1-200", "check 1 to 200 fields"));
    }
    Ok(())
}

/// The purposes of field `i` (the error path is only formatted on failure).
fn purposes(i: usize, ids: &[String]) -> Result<()> {
    if ids.len() > 16 {
        return Err(Error::invalid(format!("fields[{i}].purposes"), "max-items", "at most 16 purposes"));
    }
    for (j, p) in ids.iter().enumerate() {
        validate::purpose_id("", p).map_err(|e| e.at(format!("fields[{i}].purposes[{j}]")))?;
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(Error::invalid(field, "max-length", "at most 64 KiB"));
    }
    Ok(())
}

impl<S: Store> Fichier<'_, S> {
    fn check_context<R>(&self, f: impl FnOnce(&Context<'_>) -> R) -> Result<R> {
        let (declared, policy) = self.rules()?;
        let ctx = Context {
            purposes: &declared,
            minor_age: policy.settings.minor_age(),
            today: crate::kernel::time::date_in(self.now, policy.settings.zone()),
        };
        Ok(f(&ctx))
    }

    pub fn check_form(&mut self, actor: &Actor, fields: &[FormField]) -> Result<Vec<Finding>> {
        authorize(actor, Operation::CheckMinimisation)?;
        count("fields", fields.len())?;
        for (i, f) in fields.iter().enumerate() {
            validate::printable("", &f.name, 128).map_err(|e| e.at(format!("fields[{i}].name")))?;
            if f.label.chars().count() > 500 {
                return Err(Error::invalid(format!("fields[{i}].label"), "max-length", "at most 500 characters"));
            }
            purposes(i, &f.purposes)?;
            if f.checked && f.field_type != FieldType::Checkbox {
                return Err(Error::invalid(
                    format!("fields[{i}].checked"),
                    "checkbox-only",
                    "only a checkbox can be ticked in advance",
                ));
            }
        }
        self.check_context(|ctx| minimisation::check_form(fields, ctx))
    }

    pub fn check_record(&mut self, actor: &Actor, fields: &[RecordField]) -> Result<Vec<Finding>> {
        authorize(actor, Operation::CheckMinimisation)?;
        count("fields", fields.len())?;
        for (i, f) in fields.iter().enumerate() {
            validate::printable("", &f.name, 128).map_err(|e| e.at(format!("fields[{i}].name")))?;
            text("", &f.value).map_err(|e| e.at(format!("fields[{i}].value")))?;
            purposes(i, &f.purposes)?;
        }
        self.check_context(|ctx| minimisation::check_record(fields, ctx))
    }

    pub fn scan_text(&mut self, actor: &Actor, field: &str, value: &str) -> Result<Vec<Finding>> {
        authorize(actor, Operation::CheckMinimisation)?;
        validate::printable("field", field, 128)?;
        text("text", value)?;
        Ok(minimisation::scan_text(field, value))
    }

    /// Which kinds of identifier `value` is valid as ([`identifiers::check_identifier`]).
    /// `value`: 1–254 printable characters (`non-empty`, `max-length`, `printable`).
    pub fn check_identifier(&mut self, actor: &Actor, value: &str) -> Result<Vec<IdentifierMatch>> {
        authorize(actor, Operation::CheckMinimisation)?;
        validate::printable("value", value, MAX_IDENTIFIER_CHARS)?;
        Ok(identifiers::check_identifier(value))
    }
}
