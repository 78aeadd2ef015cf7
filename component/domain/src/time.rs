//! Timestamps: RFC 3339 in, RFC 3339 UTC with milliseconds out; calendar-month arithmetic.

use chrono::{DateTime, Datelike, Months, SecondsFormat, TimeZone, Utc};

use crate::error::{Error, Result};

/// A UTC instant.
pub type Instant = DateTime<Utc>;

/// Parse an RFC 3339 timestamp (any offset) into UTC; `field` names the input for errors.
pub fn parse(field: &str, value: &str) -> Result<Instant> {
    if value.len() > 64 {
        return Err(Error::invalid(field, "max-length", "a timestamp is at most 64 characters"));
    }
    let parsed = DateTime::parse_from_rfc3339(value).map_err(|e| {
        Error::invalid(field, "rfc3339", format!("not an RFC 3339 timestamp ({e}); example: 2026-11-29T14:03:00Z"))
    })?;
    let utc = parsed.with_timezone(&Utc);
    if utc.year() < 1970 {
        return Err(Error::invalid(field, "not-before-1970", "timestamps before 1970 are not accepted"));
    }
    Ok(utc)
}

/// Format as `YYYY-MM-DDTHH:MM:SS.sssZ`.
pub fn format(t: Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `t` plus `months` calendar months: the same date, or the month's last day when that
/// month is shorter (31 January + 1 month = 28/29 February). `None` only past year 262143.
pub fn add_months(t: Instant, months: u32) -> Option<Instant> {
    t.checked_add_months(Months::new(months))
}

/// Whole years elapsed from `from` to `to` (0 if `to` is before `from`).
pub fn whole_years_between(from: Instant, to: Instant) -> u32 {
    if to <= from {
        return 0;
    }
    let mut years = (to.year() - from.year()).max(0) as u32;
    while years > 0 && add_months(from, years * 12).is_none_or(|t| t > to) {
        years -= 1;
    }
    years
}

/// Milliseconds since the epoch to an instant (for hosts' clocks).
pub fn from_unix_millis(ms: i64) -> Option<Instant> {
    Utc.timestamp_millis_opt(ms).single()
}

/// An instant to the millisecond, as customer records hold their dates: it shows as the
/// canonical `YYYY-MM-DDTHH:MM:SS.sssZ` ([`format`]) and is serialised as that text in
/// human-readable formats (JSON) and as milliseconds in binary ones (the sealed bodies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(i64);

impl Stamp {
    pub fn from_instant(t: Instant) -> Self {
        Self(t.timestamp_millis())
    }

    /// `None` outside chrono's range.
    pub fn from_millis(ms: i64) -> Option<Self> {
        from_unix_millis(ms).map(|_| Self(ms))
    }

    pub fn instant(self) -> Instant {
        // Every stamp was made from an instant or checked by `from_millis`.
        from_unix_millis(self.0).unwrap_or_default()
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format(self.instant()))
    }
}

/// The binary form: milliseconds, or (never written now, read for bodies sealed while
/// timestamps were strings) RFC 3339 text.
#[derive(serde::Serialize, serde::Deserialize)]
enum Repr<'a> {
    Millis(i64),
    #[serde(borrow)]
    Text(std::borrow::Cow<'a, str>),
}

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        if ser.is_human_readable() { ser.serialize_str(&self.to_string()) } else { Repr::Millis(self.0).serialize(ser) }
    }
}

impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = |t: &str| {
            parse("timestamp", t).map(Stamp::from_instant).map_err(|_| D::Error::custom("not an RFC 3339 timestamp"))
        };
        if de.is_human_readable() {
            return text(&std::borrow::Cow::<str>::deserialize(de)?);
        }
        match Repr::deserialize(de)? {
            Repr::Millis(ms) => Stamp::from_millis(ms).ok_or_else(|| D::Error::custom("timestamp out of range")),
            Repr::Text(t) => text(&t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Instant {
        parse("t", s).expect("valid")
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Stamped {
        at: Stamp,
        seen: Option<Stamp>,
    }

    #[test]
    fn stamps_are_text_in_json_and_milliseconds_in_binary() {
        for (at, seen) in [
            ("2026-11-29T14:03:00.000Z", Some("1970-01-01T00:00:00.000Z")),
            ("9999-12-31T23:59:59.999Z", None),
            ("2028-02-29T00:00:00.001Z", Some("2026-11-29T23:59:59.999Z")),
        ] {
            let v = Stamped { at: Stamp::from_instant(t(at)), seen: seen.map(|s| Stamp::from_instant(t(s))) };
            assert_eq!(v.at.to_string(), at);
            let bin = postcard::to_allocvec(&v).expect("postcard");
            assert_eq!(postcard::from_bytes::<Stamped>(&bin).expect("back"), v);
            let json = serde_json::to_string(&v).expect("json");
            assert!(json.contains(at), "{json}");
            assert_eq!(serde_json::from_str::<Stamped>(&json).expect("back"), v);
        }
        // Any RFC 3339 text is read (bodies sealed before stamps were milliseconds).
        let json = r#"{"at":"2026-11-29T15:03:00+01:00","seen":null}"#;
        assert_eq!(serde_json::from_str::<Stamped>(json).expect("json").at.to_string(), "2026-11-29T14:03:00.000Z");
        let text = postcard::to_allocvec(&(Repr::Text("2026-11-29T14:03:00Z".into()), None::<()>)).expect("postcard");
        assert_eq!(postcard::from_bytes::<Stamped>(&text).expect("text").at.to_string(), "2026-11-29T14:03:00.000Z");
        // Milliseconds beyond chrono's range, and text that is no date, are refused.
        let far = postcard::to_allocvec(&(Repr::Millis(i64::MAX), None::<()>)).expect("postcard");
        assert!(postcard::from_bytes::<Stamped>(&far).is_err());
        let bad = postcard::to_allocvec(&(Repr::Text("yesterday".into()), None::<()>)).expect("postcard");
        assert!(postcard::from_bytes::<Stamped>(&bad).is_err());
        assert!(serde_json::from_str::<Stamped>(r#"{"at":"2026-02-30T00:00:00Z","seen":null}"#).is_err());
        // Canonical stamps are a few bytes.
        let v = Stamped { at: Stamp::from_instant(t("2026-11-29T14:03:00Z")), seen: None };
        assert!(postcard::to_allocvec(&v).expect("postcard").len() < 10);
    }

    #[test]
    fn month_ends_clamp_to_last_day() {
        let table = [
            ("2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00.000Z"),
            ("2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00.000Z"),
            ("2028-02-29T00:00:00Z", 12, "2029-02-28T00:00:00.000Z"),
            ("2026-03-31T23:59:59Z", 6, "2026-09-30T23:59:59.000Z"),
            ("2026-05-31T12:00:00Z", 6, "2026-11-30T12:00:00.000Z"),
            ("2026-08-15T00:00:00Z", 6, "2027-02-15T00:00:00.000Z"),
            ("2026-11-29T02:00:00+01:00", 1, "2026-12-29T01:00:00.000Z"),
        ];
        for (start, months, expected) in table {
            assert_eq!(format(add_months(t(start), months).expect("in range")), expected, "{start} + {months}");
        }
    }

    #[test]
    fn whole_years() {
        assert_eq!(whole_years_between(t("2020-06-01T00:00:00Z"), t("2026-05-31T23:59:59Z")), 5);
        assert_eq!(whole_years_between(t("2020-06-01T00:00:00Z"), t("2026-06-01T00:00:00Z")), 6);
        assert_eq!(whole_years_between(t("2020-02-29T00:00:00Z"), t("2021-02-28T00:00:00Z")), 1);
        assert_eq!(whole_years_between(t("2026-06-01T00:00:00Z"), t("2020-06-01T00:00:00Z")), 0);
    }

    #[test]
    fn bad_timestamps_name_the_rule() {
        for (input, rule) in [
            ("yesterday", "rfc3339"),
            ("2026-13-01T00:00:00Z", "rfc3339"),
            ("2026-02-30T00:00:00Z", "rfc3339"),
            ("1969-12-31T23:59:59Z", "not-before-1970"),
            (&"9".repeat(65), "max-length"),
        ] {
            match parse("input.at", input) {
                Err(Error::InvalidInput(e)) => {
                    assert_eq!(e.field, "input.at");
                    assert_eq!(e.rule, rule, "{input}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }
}
