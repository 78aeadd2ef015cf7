//! What the cookie banner needs (its purposes, their validity, the notice it shows)
//! and the consent statistics the admin page draws.
//!
//! Statistics are counters by day (UTC, of the decision's `at`) and purpose, kept in
//! eight shard documents a day (`stats/consent/<day>/<shard>`, shard from the subject
//! id) so that concurrent receipts rarely race for one document. They are derived: a
//! receipt is committed by its subject's head swap; counting follows, best effort (a
//! crash in between leaves one decision uncounted, never a receipt lost). They count
//! decisions, never people: no subject id is kept in them.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Decision;
use crate::Fichier;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Document, Store};
use crate::kernel::types::{Actor, PurposeKind};
use crate::kernel::{time, validate};

/// A purpose the banner asks about (kind `cookie` or `advertising`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerPurpose {
    pub id: String,
    pub kind: PurposeKind,
    pub title: String,
    /// Months a grant stays valid (`None`: never expires).
    pub grant_months: Option<u32>,
    /// Months a refusal is respected (`None`: never asked again).
    pub refusal_months: Option<u32>,
}

/// The notice the banner shows and its receipts cite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerNotice {
    pub reference: String,
    pub sha256: String,
    pub text: String,
}

/// The banner's configuration for one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerConfig {
    pub lang: String,
    pub purposes: Vec<BannerPurpose>,
    /// `None` only when no purpose needs the banner.
    pub notice: Option<BannerNotice>,
}

/// Decisions of one day for one purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayRates {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub purpose: String,
    pub grants: u32,
    pub refusals: u32,
    pub withdrawals: u32,
}

const SHARDS: u32 = 8;
/// The longest span `consent_rates` reads.
pub const MAX_DAYS: i64 = 366;

/// One shard of a day's counters: (purpose, [grants, refusals, withdrawals]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StatsShard {
    counts: Vec<(String, [u32; 3])>,
}

impl Document for StatsShard {
    const KIND: &'static str = "consent-stats";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

fn stats_key(day: NaiveDate, shard: u32) -> String {
    format!("stats/consent/{day}/{shard}")
}

fn parse_day(field: &str, s: &str) -> Result<NaiveDate> {
    time::parse_day(s).ok_or_else(|| Error::invalid(field, "date", "a day is written YYYY-MM-DD"))
}

/// The days from `from` to `to` (inclusive, `YYYY-MM-DD`, at most [`MAX_DAYS`]).
pub(super) fn day_span(from: &str, to: &str) -> Result<Vec<NaiveDate>> {
    let first = parse_day("from", from)?;
    let last = parse_day("to", to)?;
    if last < first {
        return Err(Error::invalid("to", "not-before-from", "`to` is on or after `from`"));
    }
    let span = (last - first).num_days() + 1;
    if span > MAX_DAYS {
        return Err(Error::invalid("to", "max-366-days", format!("at most {MAX_DAYS} days at a time")));
    }
    Ok(first.iter_days().take(usize::try_from(span).unwrap_or(0)).collect())
}

impl<S: Store> Fichier<'_, S> {
    /// The banner's purposes (declared, of kind `cookie` or `advertising`, sorted by id;
    /// never `email-tracking`: a pixel in a mail is no cookie, its box is the shop's form's)
    /// with their validity under the current policy, and the notice to show: the latest
    /// version in `lang` of the notice informing about exactly these purposes, else of
    /// the smallest set of purposes containing them.
    pub fn banner(&mut self, actor: &Actor, lang: &str) -> Result<BannerConfig> {
        authorize(actor, Operation::ReadCatalogue)?;
        validate::lang("lang", lang)?;
        let policy = self.current_policy()?;
        let mut purposes: Vec<BannerPurpose> = self
            .purposes()?
            .into_iter()
            .filter(|p| matches!(p.kind, PurposeKind::Cookie | PurposeKind::Advertising))
            .map(|p| {
                let v = policy.settings.validity_of(p.kind);
                BannerPurpose {
                    grant_months: p.validity_months.or(v.grant_months),
                    refusal_months: v.refusal_months,
                    id: p.id,
                    kind: p.kind,
                    title: p.title,
                }
            })
            .collect();
        crate::kernel::sort::sort_by(&mut purposes, |a, b| a.id.cmp(&b.id));
        if purposes.is_empty() {
            return Ok(BannerConfig { lang: lang.to_string(), purposes, notice: None });
        }
        let ids: Vec<&str> = purposes.iter().map(|p| p.id.as_str()).collect();
        let Some(best) = self.closest_notice(&ids, lang)? else {
            return Err(Error::not_found(
                "lang",
                "banner-notice",
                format!("no notice in {lang} informs about every banner purpose ({}): register one", ids.join(", ")),
            ));
        };
        let text = self.notice_text(&best)?;
        let notice = best;
        Ok(BannerConfig {
            lang: lang.to_string(),
            purposes,
            notice: Some(BannerNotice { reference: notice.reference, sha256: notice.sha256, text }),
        })
    }

    /// Count a recorded decision in the day's statistics (best effort, see the module).
    pub(crate) fn count_decision(
        &mut self,
        sid: &str,
        purpose: &str,
        decision: Decision,
        day: NaiveDate,
    ) -> Result<()> {
        let shard = sid.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % SHARDS;
        let slot = match decision {
            Decision::Grant => 0,
            Decision::Refuse => 1,
            Decision::Withdraw => 2,
        };
        self.update::<StatsShard, ()>(
            Bucket::Data,
            &stats_key(day, shard),
            |_, current| {
                let mut doc = current.unwrap_or_default();
                match doc.counts.iter_mut().find(|(p, _)| p == purpose) {
                    Some((_, c)) => c[slot] = c[slot].saturating_add(1),
                    None => {
                        let mut c = [0; 3];
                        c[slot] = 1;
                        doc.counts.push((purpose.to_string(), c));
                    }
                }
                Ok(Some((doc, ())))
            },
            || (),
        )
    }

    /// Decisions per day and purpose from `from` to `to` (inclusive, `YYYY-MM-DD`, at
    /// most [`MAX_DAYS`] days), sorted by day then purpose; days without any are left out.
    pub fn consent_rates(&mut self, actor: &Actor, from: &str, to: &str) -> Result<Vec<DayRates>> {
        authorize(actor, Operation::ReadStatistics)?;
        let days = day_span(from, to)?;
        let keys: Vec<String> = days.iter().flat_map(|d| (0..SHARDS).map(move |s| stats_key(*d, s))).collect();
        let values = self
            .store
            .get_many(Bucket::Data, &keys)
            .map_err(|e| crate::kernel::store::storage_error(Bucket::Data, e))?;
        let mut out = Vec::new();
        for (i, day) in days.iter().enumerate() {
            let mut merged: Vec<(String, [u32; 3])> = Vec::new();
            for (s, value) in values[i * SHARDS as usize..(i + 1) * SHARDS as usize].iter().enumerate() {
                let Some(bytes) = value else { continue };
                let shard: StatsShard = crate::kernel::store::decode(
                    &crate::kernel::context::place(Bucket::Data, &stats_key(*day, s as u32)),
                    bytes,
                )?;
                for (p, c) in shard.counts {
                    match merged.iter_mut().find(|(q, _)| *q == p) {
                        Some((_, m)) => (0..3).for_each(|k| m[k] = m[k].saturating_add(c[k])),
                        None => merged.push((p, c)),
                    }
                }
            }
            crate::kernel::sort::sort_by(&mut merged, |a, b| a.0.cmp(&b.0));
            let label = format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day());
            out.extend(merged.into_iter().map(|(purpose, c)| DayRates {
                day: label.clone(),
                purpose,
                grants: c[0],
                refusals: c[1],
                withdrawals: c[2],
            }));
        }
        Ok(out)
    }
}
