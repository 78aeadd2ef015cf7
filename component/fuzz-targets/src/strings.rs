//! Every parser of caller-given strings: typed error or value, never a panic.
use fichier_domain::consent;
use fichier_domain::customers::phone;
use fichier_domain::kernel::{crypto, keys, time, validate};
use fichier_domain::minimisation::identifiers;

/// Parse `data` (as text) with every parser of caller-given strings; the spans found in a
/// text are within it, on character boundaries.
pub fn caller_input(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = validate::email("e", &s);
    let _ = validate::truncate_ip("ip", &s);
    let _ = validate::purpose_id("p", &s);
    let _ = validate::receipt_id("r", &s);
    let _ = validate::lang("l", &s);
    let _ = validate::country("c", &s);
    let _ = time::parse("t", &s);
    let _ = consent::parse_reference("n", &s);
    let _ = consent::pixel::check_campaign("c", &s);
    let _ = crypto::MasterKey::from_hex(&s);
    let _ = keys::check_subject_id("s", &s);
    let _ = phone::to_e164("p", &s);
    let _ = identifiers::nir_valid(&s);
    let _ = identifiers::parse_iban("i", &s);
    let _ = identifiers::card_number(&s);
    let _ = identifiers::siret_valid(&s);
    for f in identifiers::find_in_text(&s) {
        assert!(
            s.is_char_boundary(f.start) && s.is_char_boundary(f.end) && f.start < f.end && f.end <= s.len(),
            "a span found in the text is within it: {}..{} of {}",
            f.start,
            f.end,
            s.len()
        );
    }
}
