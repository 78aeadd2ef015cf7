//! Dates of birth: the formats people type (YYYY-MM-DD, DD/MM/YYYY), and ages.

use chrono::{Datelike, NaiveDate};

/// A date of birth as written in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BirthDate {
    /// A full date.
    Full(NaiveDate),
    /// A year only (`1990`), which is already minimised.
    Year(i32),
}

pub(super) fn small_number(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if !(min_len..=max_len).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a date of birth: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `DD/MM/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY`
/// (day and month on one or two digits), or a year alone (`YYYY`). Surrounding spaces are
/// ignored. `None` when it is none of these or not a calendar date.
pub fn parse_birth_date(s: &str) -> Option<BirthDate> {
    let s = s.trim();
    if s.len() > 10 {
        return None;
    }
    if let Some(y) = small_number(s, 4, 4) {
        return Some(BirthDate::Year(i32::try_from(y).ok()?));
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 {
        (small_number(a, 4, 4)?, small_number(b, 1, 2)?, small_number(c, 1, 2)?)
    } else {
        (small_number(c, 4, 4)?, small_number(b, 1, 2)?, small_number(a, 1, 2)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d).map(BirthDate::Full)
}

/// Age in whole years on `today` (`None` when born after `today`). Someone born on 29 February
/// has their birthday on 1 March in common years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> Option<i32> {
    if birth > today {
        return None;
    }
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    Some(age)
}

/// The oldest plausible age; anything older is taken for a typing error.
pub(super) const MAX_AGE: i32 = 130;
