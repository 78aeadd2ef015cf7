//! The check of a free text (a note, a message, a comment).

use super::findings::{CharPos, check_special_text, finish, free_text_finding, span};
use super::lexicon::Words;
use super::{Finding, identifiers, may_hold_identifier};

/// Finds personal data hidden in a free text: e-mail addresses and phone numbers (warn), IBANs,
/// NIRs and card numbers (block), each under `personal-data-in-free-text`, SIRENs and SIRETs
/// (`business-identifier`, info), and words revealing a special category (`special-category`,
/// warn). One finding per occurrence, with its span in
/// characters; `field` names the text in the findings.
pub fn scan_text(field: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if may_hold_identifier(text, true, true) {
        let mut pos = CharPos::new(text);
        for id in identifiers::find_in_text(text) {
            let at = span(pos.at(id.start), pos.at(id.end));
            out.push(free_text_finding(field, id.kind, at));
        }
    }
    check_special_text(field, text, &mut Words::default(), &mut out);
    finish(out)
}
