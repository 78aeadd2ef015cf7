//! The one error type of every fichier operation, mirroring the WIT `error` variant.

use std::fmt;

/// Which field broke which rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// Dotted path into the call's input, or a named resource (`config:master_key`, `store:…`).
    pub field: String,
    /// Stable kebab-case rule identifier.
    pub rule: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), rule: rule.into(), message: message.into() }
    }
}

/// The most characters of what a caller sent that an error quotes (a JSON key, a
/// reference, an id): enough to recognise it, never a caller's megabyte sent back.
pub const ECHO_CHARS: usize = 64;

/// A caller's string as an error quotes it, the one place that bounds it: at most
/// [`ECHO_CHARS`] characters (a longer one is cut and ends with `…`), control and
/// bidirectional-formatting characters shown as `�` (so a quoted string cannot reorder
/// or break the sentence around it). Every error that names or quotes what a caller
/// sent goes through here; validated values (a purpose id is at most 64 characters of
/// `a-z0-9-_.`) need not.
pub fn echo(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let long = s.char_indices().nth(ECHO_CHARS).is_some();
    if !long && !s.chars().any(unsafe_char) {
        return s.into();
    }
    let keep = if long { ECHO_CHARS - 1 } else { ECHO_CHARS };
    let mut out: String = s.chars().take(keep).map(|c| if unsafe_char(c) { '\u{fffd}' } else { c }).collect();
    if long {
        out.push('…');
    }
    out.into()
}

/// Every way an operation can fail. Each case but `Other` names a field and a rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {0}")]
    InvalidInput(FieldError),
    #[error("not found: {0}")]
    NotFound(FieldError),
    #[error("forbidden: {0}")]
    Forbidden(FieldError),
    #[error("conflict: {0}")]
    Conflict(FieldError),
    #[error("corrupted: {0}")]
    Corrupted(FieldError),
    #[error("configuration: {0}")]
    Config(FieldError),
    #[error("storage: {0}")]
    Storage(FieldError),
    #[error("{0}")]
    Other(String),
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.field, self.rule, self.message)
    }
}

/// `with_field_error!(error, e => with, without)`: `with` when the error carries a field
/// error (`e`, every case but `Other`), `without` otherwise — the one list of those cases.
macro_rules! with_field_error {
    ($error:expr, $e:ident => $with:expr, $without:expr) => {
        match $error {
            Error::InvalidInput($e)
            | Error::NotFound($e)
            | Error::Forbidden($e)
            | Error::Conflict($e)
            | Error::Corrupted($e)
            | Error::Config($e)
            | Error::Storage($e) => $with,
            Error::Other(_) => $without,
        }
    };
}

impl Error {
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput(FieldError::new(field, rule, message))
    }
    pub fn not_found(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::NotFound(FieldError::new(field, rule, message))
    }
    pub fn corrupted(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Corrupted(FieldError::new(field, rule, message))
    }
    pub fn conflict(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict(FieldError::new(field, rule, message))
    }
    pub fn config(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config(FieldError::new(field, rule, message))
    }

    /// The same error naming `field` (rules are run under a short name and the caller's
    /// path is only formatted when something fails).
    pub fn at(mut self, field: String) -> Self {
        with_field_error!(&mut self, e => e.field = field, {});
        self
    }

    /// The kebab-case name of the case, as in the WIT variant.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "invalid-input",
            Error::NotFound(_) => "not-found",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(_) => "conflict",
            Error::Corrupted(_) => "corrupted",
            Error::Config(_) => "config",
            Error::Storage(_) => "storage",
            Error::Other(_) => "other",
        }
    }

    /// The field error, for every case but `Other`.
    pub fn field_error(&self) -> Option<&FieldError> {
        with_field_error!(self, e => Some(e), None)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_is_bounded_and_cannot_reorder_its_sentence() {
        assert_eq!(echo("newsletter"), "newsletter");
        let exact = "é".repeat(ECHO_CHARS);
        assert_eq!(echo(&exact), exact, "64 characters (128 bytes) are kept whole");
        let long = "é".repeat(1 << 20);
        let cut = echo(&long);
        assert_eq!(cut.chars().count(), ECHO_CHARS);
        assert_eq!(cut, format!("{}…", "é".repeat(ECHO_CHARS - 1)));
        assert_eq!(echo("a\u{202e}b\nc\0"), "a\u{fffd}b\u{fffd}c\u{fffd}");
    }
}
