//! The header's plan: the built-in mapping (WooCommerce's export, common French and
//! English headers), where each column goes, the columns dropped whatever the mapping
//! (what the file must never hold), and the redaction of forbidden values in kept ones.

use super::{ColumnPlan, ImportOptions, MAX_COLUMNS, RowIssue};
use crate::Error;
use crate::customers::normalize;
use crate::kernel::error::Result;
use crate::minimisation::identifiers::{self, FindingKind};
use crate::minimisation::{self, FieldType, FormField, Severity, ValueHandling};

/// The built-in mapping: WooCommerce's customer export and common French/English
/// headers (compared case-, accent- and separator-insensitively).
pub fn builtin_field(header: &str) -> Option<&'static str> {
    let key: String = normalize::fold(header).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match key.as_str() {
        "email" | "emailaddress" | "billingemail" | "useremail" | "courriel" | "adresseemail" | "mail" => "email",
        "firstname" | "billingfirstname" | "prenom" | "givenname" => "given-name",
        "lastname" | "billinglastname" | "nom" | "nomdefamille" | "familyname" | "surname" => "family-name",
        "phone" | "billingphone" | "telephone" | "tel" | "mobile" | "portable" => "phone",
        "address1" | "billingaddress1" | "address" | "adresse" | "addressline1" => "address-line1",
        "address2" | "billingaddress2" | "addressline2" | "complementdadresse" => "address-line2",
        "postcode" | "billingpostcode" | "postalcode" | "codepostal" | "zip" | "zipcode" | "cp" => "postal-code",
        "city" | "billingcity" | "ville" | "commune" => "city",
        "country" | "billingcountry" | "pays" | "countryregion" => "country",
        "company" | "billingcompany" | "societe" | "entreprise" => "company",
        "customerid" | "userid" | "id" | "idclient" | "numeroclient" | "customernumber" => "customer-number",
        "dateofbirth" | "birthdate" | "datedenaissance" | "birthday" => "birth-date",
        _ => return None,
    })
}

/// Rules a column header alone may break: the column is dropped whatever the mapping.
pub(super) const FORBIDDEN_COLUMN_RULES: [&str; 5] =
    ["nir", "cvv-field", "card-number", "plain-password", "special-category"];
/// The plan for a header: where each column goes, and the columns dropped with why.
pub(super) fn plan_columns(
    header: &[String],
    options: &ImportOptions,
    ctx: &minimisation::Context<'_>,
) -> Result<(Vec<ColumnPlan>, Vec<RowIssue>)> {
    if header.len() > MAX_COLUMNS {
        return Err(Error::invalid("data", "max-columns", format!("line 1: more than {MAX_COLUMNS} columns")));
    }
    for (i, h) in header.iter().enumerate() {
        if h.trim().is_empty() {
            return Err(Error::invalid("data", "column-name", format!("line 1: column {} has no name", i + 1)));
        }
        if header[..i].iter().any(|o| o.trim() == h.trim()) {
            return Err(Error::invalid(
                "data",
                "unique-columns",
                format!("line 1: the column {} appears twice", h.trim()),
            ));
        }
    }
    for (i, m) in options.mapping.iter().enumerate() {
        if !header.iter().any(|h| h.trim() == m.column) {
            return Err(Error::invalid(
                format!("options.mapping[{i}].column"),
                "missing-column",
                format!("the file has no column {}", m.column),
            ));
        }
    }
    let mut plan = Vec::with_capacity(header.len());
    let mut dropped = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for h in header {
        let column = h.trim().to_string();
        let probe = FormField {
            name: column.clone(),
            label: column.clone(),
            field_type: FieldType::Text,
            required: false,
            purposes: options.default_purposes.clone(),
            handling: ValueHandling::Stored,
            checked: false,
        };
        let forbidden = minimisation::check_form(&[probe], ctx)
            .into_iter()
            .find(|f| f.severity == Severity::Block && FORBIDDEN_COLUMN_RULES.contains(&f.rule.as_str()));
        let mapped = options.mapping.iter().find(|m| m.column == column);
        let (field, category, purposes, basis) = match (&forbidden, mapped) {
            (Some(f), _) => {
                dropped.push(RowIssue {
                    line: 1,
                    column: column.clone(),
                    rule: f.rule.clone(),
                    message: format!("column dropped: {}", f.message),
                });
                (None, None, Vec::new(), options.default_basis)
            }
            (None, Some(m)) => {
                if m.field.is_none() {
                    dropped.push(RowIssue {
                        line: 1,
                        column: column.clone(),
                        rule: "mapped-to-nothing".into(),
                        message: "column dropped by the mapping".into(),
                    });
                }
                let purposes =
                    if m.purposes.is_empty() { options.default_purposes.clone() } else { m.purposes.clone() };
                (m.field.clone(), m.category, purposes, m.basis.unwrap_or(options.default_basis))
            }
            (None, None) if options.mapping.is_empty() => match builtin_field(&column) {
                Some(f) if !used.iter().any(|u| u == f) => {
                    (Some(f.to_string()), None, options.default_purposes.clone(), options.default_basis)
                }
                _ => {
                    dropped.push(RowIssue {
                        line: 1,
                        column: column.clone(),
                        rule: "unknown-column".into(),
                        message: "column dropped: no customer field is declared for it (minimisation)".into(),
                    });
                    (None, None, Vec::new(), options.default_basis)
                }
            },
            (None, None) => {
                dropped.push(RowIssue {
                    line: 1,
                    column: column.clone(),
                    rule: "unmapped-column".into(),
                    message: "column dropped: the mapping does not name it".into(),
                });
                (None, None, Vec::new(), options.default_basis)
            }
        };
        if let Some(f) = &field {
            used.push(f.clone());
        }
        plan.push(ColumnPlan { column, field, category, purposes, basis });
    }
    let has_id = plan.iter().any(|p| matches!(p.field.as_deref(), Some("email" | "customer-number")));
    if !has_id {
        return Err(Error::invalid(
            "options.mapping",
            "identifier-column",
            "no column gives an e-mail or a customer number to name each customer",
        ));
    }
    Ok((plan, dropped))
}

/// Replace NIRs, card numbers and IBANs inside `value` by `[redacted:<kind>]`.
pub(super) fn redact(value: String) -> (String, Vec<FindingKind>) {
    // Most values (names, streets, cities) cannot hold a NIR, a card number or an IBAN.
    if !minimisation::may_hold_identifier(&value, false, false) {
        return (value, Vec::new());
    }
    let found: Vec<identifiers::Occurrence> = identifiers::find_in_text(&value)
        .into_iter()
        .filter(|f| matches!(f.kind, FindingKind::Nir | FindingKind::CardNumber | FindingKind::Iban))
        .collect();
    if found.is_empty() {
        return (value, Vec::new());
    }
    let mut out = String::with_capacity(value.len());
    let mut at = 0;
    let mut kinds = Vec::new();
    for f in found {
        if f.start < at || f.end > value.len() || !value.is_char_boundary(f.start) || !value.is_char_boundary(f.end) {
            continue;
        }
        out.push_str(&value[at..f.start]);
        out.push_str(&format!("[redacted:{}]", f.kind.as_str()));
        at = f.end;
        kinds.push(f.kind);
    }
    out.push_str(&value[at..]);
    (out, kinds)
}

/// Which column an error's field path (`fields[i]…`) points at.
pub(super) fn column_of(path: &str, columns: &[&str]) -> String {
    path.strip_prefix("fields[")
        .and_then(|r| r.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| columns.get(i))
        .map_or_else(|| path.to_string(), |column| column.to_string())
}
