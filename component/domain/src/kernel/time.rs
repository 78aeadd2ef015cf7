//! Timestamps: RFC 3339 in, RFC 3339 UTC with milliseconds out; calendar-month arithmetic
//! in the shop's IANA time zone (stored in UTC, computed where the shop is).

use chrono::{DateTime, Datelike, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeZone, Utc};

use super::error::{Error, Result};

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

/// A day written `YYYY-MM-DD` (a real date, year 0000–9999); `None` otherwise. Read by
/// hand, and written by `NaiveDate`'s `Display` (the same form): chrono's pattern
/// interpreter (`%Y-%m-%d`) weighs kilobytes of component for ten bytes.
pub fn parse_day(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let number = |r: std::ops::Range<usize>| raw[r].parse::<u32>().ok();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10);
    if !shaped {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)
}

/// Format as `YYYY-MM-DDTHH:MM:SS.sssZ`.
pub fn format(t: Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An IANA time zone compiled into the component (see `.cargo/config.toml`).
pub type Zone = chrono_tz::Tz;

/// The zone of a French shop, the policy's default.
pub const DEFAULT_ZONE: Zone = chrono_tz::Europe::Paris;

/// Parse an IANA zone name; only the zones compiled in are known.
pub fn zone(field: &str, name: &str) -> Result<Zone> {
    if name.len() > 64 {
        return Err(Error::invalid(field, "max-length", "a time zone name is at most 64 characters"));
    }
    name.parse::<Zone>().map_err(|_| {
        Error::invalid(
            field,
            "iana-zone",
            "not a known IANA time zone (the EU/EEA and Swiss zones, the French overseas ones and UTC are built in), such as Europe/Paris",
        )
    })
}

/// A wall-clock time of `zone` as an instant. An hour that happens twice (clocks going
/// back) is its first occurrence; an hour that does not exist (clocks going forward) is
/// read with the offset in force before the change, so 02:30 on a spring-forward night in
/// Paris is 03:30 summer time.
pub fn from_local(local: NaiveDateTime, zone: Zone) -> Option<Instant> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            let before = zone.offset_from_local_datetime(&(local - chrono::Duration::hours(24))).earliest()?.fix();
            let utc = local - chrono::Duration::seconds(i64::from(before.local_minus_utc()));
            Some(Utc.from_utc_datetime(&utc))
        }
    }
}

/// `t` plus `months` calendar months on `zone`'s calendar and clock: the same date and
/// wall time, or the month's last day when that month is shorter (31 January + 1 month =
/// 28/29 February). `None` only past year 262143.
pub fn add_months(t: Instant, months: u32, zone: Zone) -> Option<Instant> {
    let local = t.with_timezone(&zone).naive_local().checked_add_months(Months::new(months))?;
    from_local(local, zone)
}

/// The last instant (to the millisecond) of `date` in `zone`: the instant before the next
/// midnight. A period in days, months or years ends at the end of its last day
/// (Regulation 1182/71 art. 3(2)(b)), so what falls due on `date` is overdue only from the
/// next midnight. `None` only past year 262143.
pub fn end_of_day(date: NaiveDate, zone: Zone) -> Option<Instant> {
    let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(from_local(next, zone)? - chrono::Duration::milliseconds(1))
}

/// The last day of a period of `months` calendar months that starts with the event at `t`
/// (Regulation 1182/71 art. 3(2)(c)): the date bearing the same number in the last month,
/// or that month's last day when it has no such date (31 January + 1 month = 28/29
/// February), on `zone`'s calendar. `None` only past year 262143.
pub fn last_day(t: Instant, months: u32, zone: Zone) -> Option<NaiveDate> {
    date_in(t, zone).checked_add_months(Months::new(months))
}

/// The end of a period of `months` months from the event at `t`: the end of its
/// [`last_day`] ([`end_of_day`]).
pub fn period_end(t: Instant, months: u32, zone: Zone) -> Option<Instant> {
    end_of_day(last_day(t, months, zone)?, zone)
}

/// The calendar date of `t` in `zone`.
pub fn date_in(t: Instant, zone: Zone) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

/// Whole years elapsed from `from` to `to` on `zone`'s calendar (0 if `to` is before `from`).
pub fn whole_years_between(from: Instant, to: Instant, zone: Zone) -> u32 {
    if to <= from {
        return 0;
    }
    let mut years = (to.year() - from.year()).max(0) as u32;
    while years > 0 && add_months(from, years * 12, zone).is_none_or(|t| t > to) {
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
            assert_eq!(
                format(add_months(t(start), months, chrono_tz::UTC).expect("in range")),
                expected,
                "{start} + {months}"
            );
        }
    }

    /// Every kind of date a month-based period computes, on the Paris calendar and clock:
    /// month ends, 29 February, the spring and autumn clock changes, and the days where
    /// the Paris date is not the UTC date.
    #[test]
    fn month_periods_on_the_paris_calendar() {
        let table = [
            // Month ends clamp to the last day (local date and wall time kept).
            ("2026-01-31T09:00:00Z", 1, "2026-02-28T09:00:00.000Z"),
            ("2028-01-31T09:00:00Z", 1, "2028-02-29T09:00:00.000Z"),
            ("2026-03-31T08:00:00Z", 6, "2026-09-30T08:00:00.000Z"),
            ("2026-08-31T08:00:00Z", 3, "2026-11-30T09:00:00.000Z"),
            // 29 February + 12 months = 28 February; + 48 months = 29 February.
            ("2028-02-29T11:00:00Z", 12, "2029-02-28T11:00:00.000Z"),
            ("2028-02-29T11:00:00Z", 48, "2032-02-29T11:00:00.000Z"),
            // Across a clock change the wall time is kept: 10:00 in winter, 10:00 in summer.
            ("2026-01-15T09:00:00Z", 3, "2026-04-15T08:00:00.000Z"),
            ("2026-08-15T08:00:00Z", 3, "2026-11-15T09:00:00.000Z"),
            // Ending in the spring-forward gap (02:30 on 29 March 2026 does not exist): 03:30.
            ("2026-01-29T01:30:00Z", 2, "2026-03-29T01:30:00.000Z"),
            // Ending in the autumn hour that happens twice (02:30 on 25 October 2026): the first.
            ("2026-09-25T00:30:00Z", 1, "2026-10-25T00:30:00.000Z"),
            // Starting on the clock-change days themselves.
            ("2026-03-29T01:30:00Z", 1, "2026-04-29T01:30:00.000Z"),
            ("2026-10-25T01:30:00Z", 1, "2026-11-25T01:30:00.000Z"),
            // 1 May 00:30 in Paris is 30 April in UTC: a month later is 1 June in Paris, not 30 May.
            ("2026-04-30T22:30:00Z", 1, "2026-05-31T22:30:00.000Z"),
            // 31 December 23:30 UTC is already 1 January in Paris.
            ("2026-12-31T23:30:00Z", 1, "2027-01-31T23:30:00.000Z"),
            ("2027-01-31T23:30:00Z", 1, "2027-02-28T23:30:00.000Z"),
        ];
        for (start, months, expected) in table {
            assert_eq!(
                format(add_months(t(start), months, DEFAULT_ZONE).expect("in range")),
                expected,
                "{start} + {months}"
            );
        }
        assert_eq!(date_in(t("2026-04-30T22:30:00Z"), DEFAULT_ZONE).to_string(), "2026-05-01");
        assert_eq!(date_in(t("2026-04-30T22:30:00Z"), chrono_tz::UTC).to_string(), "2026-04-30");
        // Overseas: Réunion has no clock change and is 4 hours ahead.
        let reunion = zone("z", "Indian/Reunion").expect("built in");
        assert_eq!(
            format(add_months(t("2026-01-31T21:00:00Z"), 1, reunion).expect("range")),
            "2026-02-28T21:00:00.000Z"
        );
        assert_eq!(
            format(add_months(t("2026-01-31T20:00:00Z"), 1, reunion).expect("range")),
            "2026-02-28T20:00:00.000Z"
        );
    }

    /// Reg. 1182/71 art. 3: a period starts the day after the event and ends at the end of
    /// its last day (24:00 Paris time), month ends clamped; overdue from the next midnight.
    #[test]
    fn periods_end_at_the_end_of_their_last_day_in_paris() {
        let table = [
            // 09:15 Paris on 15 March: the last day is 15 April, ending at 24:00 Paris (CEST).
            ("2026-03-15T08:15:00Z", 1, "2026-04-15", "2026-04-15T21:59:59.999Z"),
            // 31 January + 1 month: 28 February, ending at 24:00 Paris (CET).
            ("2026-01-31T09:00:00Z", 1, "2026-02-28", "2026-02-28T22:59:59.999Z"),
            // 23:30 UTC on 14 June is 15 June in Paris: the period counts from 15 June.
            ("2026-06-14T23:30:00Z", 1, "2026-07-15", "2026-07-15T21:59:59.999Z"),
            // Across the autumn clock change (the last day, 25 October, has 25 hours).
            ("2026-09-25T10:00:00Z", 1, "2026-10-25", "2026-10-25T22:59:59.999Z"),
            // The spring-forward day (29 March, 23 hours).
            ("2026-01-29T10:00:00Z", 2, "2026-03-29", "2026-03-29T21:59:59.999Z"),
            // 29 February + 12 months.
            ("2028-02-29T11:00:00Z", 12, "2029-02-28", "2029-02-28T22:59:59.999Z"),
        ];
        for (event, months, day, end) in table {
            assert_eq!(last_day(t(event), months, DEFAULT_ZONE).expect("range").to_string(), day, "{event}");
            let e = period_end(t(event), months, DEFAULT_ZONE).expect("range");
            assert_eq!(format(e), end, "{event}");
            // The next millisecond is the next day's midnight in Paris.
            let next = e + chrono::Duration::milliseconds(1);
            assert_eq!(next.with_timezone(&DEFAULT_ZONE).format("%H:%M:%S%.3f").to_string(), "00:00:00.000");
        }
        // In UTC the day ends at 23:59:59.999 UTC.
        assert_eq!(
            format(period_end(t("2026-01-31T09:00:00Z"), 1, chrono_tz::UTC).expect("range")),
            "2026-02-28T23:59:59.999Z"
        );
    }

    #[test]
    fn zones_are_checked() {
        assert_eq!(zone("z", "Europe/Paris").expect("paris"), DEFAULT_ZONE);
        for bad in ["Europe/Pariss", "America/New_York", "", "paris", &"x".repeat(65)] {
            assert!(matches!(zone("input.time-zone", bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }

    #[test]
    fn whole_years() {
        let u = chrono_tz::UTC;
        assert_eq!(whole_years_between(t("2020-06-01T00:00:00Z"), t("2026-05-31T23:59:59Z"), u), 5);
        assert_eq!(whole_years_between(t("2020-06-01T00:00:00Z"), t("2026-06-01T00:00:00Z"), u), 6);
        assert_eq!(whole_years_between(t("2020-02-29T00:00:00Z"), t("2021-02-28T00:00:00Z"), u), 1);
        assert_eq!(whole_years_between(t("2026-06-01T00:00:00Z"), t("2020-06-01T00:00:00Z"), u), 0);
        // In Paris, 31 May 23:00 UTC is already 1 June: a birthday.
        assert_eq!(whole_years_between(t("2020-05-31T22:00:00Z"), t("2026-05-31T22:00:00Z"), DEFAULT_ZONE), 6);
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
