//! Input validation: each check names the field and the rule it enforces.

use std::net::IpAddr;

use super::error::{Error, Result};
use super::types::Actor;

/// Largest free text accepted (a notice, a user agent): 64 KiB.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

pub fn non_empty_max(field: &str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "non-empty", "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(Error::invalid(field, "max-length", format!("at most {max_chars} characters")));
    }
    Ok(())
}

/// Characters that change how text around them is displayed without showing
/// themselves: the bidirectional controls (an override makes `txt.exe` read `exe.txt`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode's format characters (general category Cf: bidirectional controls, zero-width
/// spaces and joiners, soft hyphen, invisible operators, tags…) and the line and
/// paragraph separators (Zl, Zp): nothing a single-line value shows.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// 1–`max` printable characters on one line: no control character (NUL, line breaks…),
/// no format character (bidirectional overrides, zero-width characters) nor line or
/// paragraph separator — what is printed is what was stored.
pub fn printable(field: &str, value: &str, max_chars: usize) -> Result<()> {
    non_empty_max(field, value, max_chars)?;
    if value.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(Error::invalid(
            field,
            "printable",
            "must not contain control or invisible formatting characters (line breaks, bidirectional overrides, zero-width characters)",
        ));
    }
    Ok(())
}

/// 1–`max` characters of free text: line breaks and tabs allowed, no other control
/// character and no bidirectional control (which would make a notice read otherwise than
/// it is stored).
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<()> {
    non_empty_max(field, value, max_chars)?;
    if value.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)) {
        return Err(Error::invalid(
            field,
            "printable",
            "must not contain control characters other than line breaks, nor bidirectional controls",
        ));
    }
    Ok(())
}

pub fn actor(actor: &Actor) -> Result<()> {
    printable("actor.id", &actor.id, 128)
}

/// A purpose id: 1–64 of `a-z 0-9 - _ .`, starting with a letter or digit.
pub fn purpose_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(field, "non-empty", "a purpose id must not be empty"));
    }
    if id.len() > 64 {
        return Err(Error::invalid(field, "max-length", "a purpose id has at most 64 characters"));
    }
    let ok_first = id.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_rest = id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !ok_first || !ok_rest {
        return Err(Error::invalid(
            field,
            "purpose-id-syntax",
            "a purpose id uses a-z, 0-9, '-', '_' and '.', starting with a letter or digit",
        ));
    }
    Ok(())
}

/// A receipt id: 1–64 of `A-Z a-z 0-9 - _ .`.
pub fn receipt_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid(
            field,
            "receipt-id-syntax",
            "a receipt id is 1–64 characters of A-Z, a-z, 0-9, '-', '_', '.'",
        ));
    }
    Ok(())
}

/// ISO 639-1: two lower-case letters.
pub fn lang(field: &str, lang: &str) -> Result<()> {
    if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(Error::invalid(field, "iso-639-1", "a language is two lower-case letters, such as fr or en"));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2: two upper-case letters.
pub fn country(field: &str, country: &str) -> Result<()> {
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Error::invalid(field, "iso-3166-alpha-2", "a country is two upper-case letters, such as FR"));
    }
    Ok(())
}

/// Normalise an e-mail address (trim, lower-case) and check its syntax
/// (RFC 5321 lengths, one `@`, a dotted domain, no spaces or control characters).
pub fn email(field: &str, raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    if e.is_empty() {
        return Err(Error::invalid(field, "non-empty", "an e-mail address must not be empty"));
    }
    if e.len() > 254 {
        return Err(Error::invalid(field, "max-length", "an e-mail address has at most 254 characters"));
    }
    let syntax = || Error::invalid(field, "email-syntax", "not an e-mail address (expected local@domain.tld)");
    let (local, domain) = e.rsplit_once('@').ok_or_else(syntax)?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(syntax());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(syntax());
    }
    let local_ok = local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"));
    if !local_ok || !domain_ok {
        return Err(syntax());
    }
    Ok(e)
}

/// Keep only the network part of an IP address: IPv4 /24, IPv6 /48.
pub fn truncate_ip(field: &str, raw: &str) -> Result<String> {
    let ip: IpAddr =
        raw.trim().parse().map_err(|_| Error::invalid(field, "ip-address", "not an IPv4 or IPv6 address"))?;
    Ok(match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value printed back must read as it was stored (the issue on hardening: NUL,
    /// bidirectional overrides, separators, zero-width characters).
    #[test]
    fn what_is_printed_is_what_is_stored() {
        for bad in ["a\u{0}b", "txt\u{202E}exe", "a\u{2066}b", "a\u{200B}b", "a\u{2028}b", "a\u{FEFF}", "a\nb"] {
            let rule = printable("f", bad, 100).err().and_then(|e| e.field_error().map(|f| f.rule.clone()));
            assert_eq!(rule.as_deref(), Some("printable"), "{bad:?}");
        }
        for good in ["Émilie d'Aubigné", "Lettre d’information", "東京", "a\u{00A0}b"] {
            assert!(printable("f", good, 100).is_ok(), "{good:?}");
        }
        assert!(text("f", "deux lignes\net une tabulation\t", 100).is_ok());
        for bad in ["a\u{0}b", "notice \u{202E}txt.exe", "\u{200F}x"] {
            assert!(text("f", bad, 100).is_err(), "{bad:?}");
        }
        // Joiners are text (emoji sequences), not controls.
        assert!(text("f", "famille \u{1F468}\u{200D}\u{1F469}", 100).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(email("e", "  Alice.Martin@Example.ORG ").as_deref(), Ok("alice.martin@example.org"));
        assert_eq!(email("e", "élodie+news@exemple.fr").as_deref(), Ok("élodie+news@exemple.fr"));
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.org",
            "a@b",
            "a b@example.org",
            "a@@example.org",
            "a@example..org",
            ".a@example.org",
            "a..b@example.org",
            "a@-example.org",
            "a@exa\nmple.org",
            "a\u{0}b@example.org",
        ] {
            let rule = match email("input.subject.email", bad) {
                Err(Error::InvalidInput(e)) => e.rule,
                other => panic!("{bad:?}: {other:?}"),
            };
            assert!(rule == "email-syntax" || rule == "non-empty", "{bad:?}: {rule}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(matches!(email("e", &long), Err(Error::InvalidInput(e)) if e.rule == "max-length"));
    }

    #[test]
    fn ips_are_truncated() {
        assert_eq!(truncate_ip("ip", "192.0.2.77").as_deref(), Ok("192.0.2.0"));
        assert_eq!(truncate_ip("ip", "2001:db8:85a3:8d3:1319:8a2e:370:7348").as_deref(), Ok("2001:db8:85a3::"));
        assert!(matches!(truncate_ip("ip", "999.1.1.1"), Err(Error::InvalidInput(e)) if e.rule == "ip-address"));
    }

    #[test]
    fn purpose_ids() {
        for ok in ["newsletter", "audience.measure", "a", "2fa-sms_x"] {
            assert!(purpose_id("p", ok).is_ok(), "{ok}");
        }
        for (bad, rule) in [
            ("", "non-empty"),
            ("News", "purpose-id-syntax"),
            ("-x", "purpose-id-syntax"),
            ("a+b", "purpose-id-syntax"),
            ("a:b", "purpose-id-syntax"),
            (&"a".repeat(65), "max-length"),
        ] {
            assert!(matches!(purpose_id("p", bad), Err(Error::InvalidInput(e)) if e.rule == rule), "{bad}");
        }
    }
}
