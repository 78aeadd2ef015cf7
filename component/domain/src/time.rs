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

/// Serde for a timestamp held as its canonical string ([`format`]): the string itself in
/// human-readable formats (JSON), milliseconds since the epoch in binary ones (the sealed
/// customer bodies), which is 6 bytes instead of 25. A string that is not canonical is kept
/// as text, so every value round-trips exactly.
pub mod compact {
    use std::borrow::Cow;

    use chrono::Timelike;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

    #[derive(Serialize, Deserialize)]
    enum Repr<'a> {
        Millis(i64),
        #[serde(borrow)]
        Text(Cow<'a, str>),
    }

    /// The milliseconds of a canonical `YYYY-MM-DDTHH:MM:SS.sssZ`, or `None` for any other
    /// string (read field by field: this runs for every timestamp of every sealed record).
    fn millis_of(s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if b[19] != b'.' || b[23] != b'Z' {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<u32> {
            b[from..to].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
        };
        let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
        let time = chrono::NaiveTime::from_hms_milli_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?)?;
        // Seconds 0-59 and milliseconds 0-999 (three digits): `format` writes it back identically.
        (time.second() < 60).then(|| date.and_time(time).and_utc().timestamp_millis())
    }

    fn encode<S: Serializer>(s: &str, ser: S) -> Result<S::Ok, S::Error> {
        match millis_of(s) {
            Some(ms) => Repr::Millis(ms).serialize(ser),
            None => Repr::Text(Cow::Borrowed(s)).serialize(ser),
        }
    }

    fn decode<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        match Repr::deserialize(de)? {
            Repr::Millis(ms) => {
                super::from_unix_millis(ms).map(super::format).ok_or_else(|| D::Error::custom("timestamp out of range"))
            }
            Repr::Text(t) => Ok(t.into_owned()),
        }
    }

    pub fn serialize<S: Serializer>(s: &str, ser: S) -> Result<S::Ok, S::Error> {
        if ser.is_human_readable() { ser.serialize_str(s) } else { encode(s, ser) }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        if de.is_human_readable() { String::deserialize(de) } else { decode(de) }
    }

    /// The same for an optional timestamp.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        struct Wrap<'a>(&'a str);
        impl serde::Serialize for Wrap<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                super::serialize(self.0, ser)
            }
        }
        #[derive(Deserialize)]
        struct Unwrap(#[serde(with = "super")] String);

        #[allow(clippy::ref_option)]
        pub fn serialize<S: Serializer>(s: &Option<String>, ser: S) -> Result<S::Ok, S::Error> {
            match s {
                Some(s) => ser.serialize_some(&Wrap(s)),
                None => ser.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
            Ok(Option::<Unwrap>::deserialize(de)?.map(|u| u.0))
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
        #[serde(with = "compact")]
        at: String,
        #[serde(with = "compact::option")]
        seen: Option<String>,
    }

    #[test]
    fn compact_timestamps_round_trip_in_both_formats() {
        for (at, seen) in [
            ("2026-11-29T14:03:00.000Z", Some("1970-01-01T00:00:00.000Z")),
            ("2026-11-29T14:03:00Z", None),              // not canonical: kept as text
            ("2026-11-29T15:03:00.000+01:00", Some("")), // neither
            ("9999-12-31T23:59:59.999Z", Some("2026-02-29T00:00:00.000Z")), // no 29 February 2026
            ("2026-11-29T24:00:00.000Z", Some("2026-11-29T23:59:60.000Z")),
            ("2026-11-29T1a:00:00.000Z", Some("+026-11-29T10:00:00.000Z")),
        ] {
            let v = Stamped { at: at.into(), seen: seen.map(str::to_string) };
            let bin = postcard::to_allocvec(&v).expect("postcard");
            assert_eq!(postcard::from_bytes::<Stamped>(&bin).expect("back"), v);
            let json = serde_json::to_string(&v).expect("json");
            assert!(json.contains(at), "{json}");
            assert_eq!(serde_json::from_str::<Stamped>(&json).expect("back"), v);
        }
        // A canonical timestamp is a varint of milliseconds, not 24 characters.
        let v = Stamped { at: "2026-11-29T14:03:00.000Z".into(), seen: None };
        assert!(postcard::to_allocvec(&v).expect("postcard").len() < 10);
        // Milliseconds beyond chrono's range are refused, not wrapped.
        assert!(
            postcard::from_bytes::<Stamped>(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0])
                .is_err()
        );
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
