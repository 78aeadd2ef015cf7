//! A purpose's status for one subject, from its receipts: the pure rule (no store).
//! The latest decision of the subject (or of a parent for a minor) decides; a grant
//! expires after the purpose's validity (or the policy's for its kind), a refusal is
//! asked again after the policy's refusal period; a minor under the country's age needs
//! a parent's grant too; a decision dated in the future (within the allowed clock skew)
//! decides nothing until its time comes. Under Global Privacy Control (our policy, a
//! setting: `gpc-refuses-advertising`), an advertising purpose is refused unless the
//! person granted it at or after the signal was first seen.

use super::receipts::ReceiptSummary;
use super::{AgeDeclaration, ConsentState, Decision, GivenBy, Purpose, PurposeStatus};
use crate::kernel::error::Result;
use crate::kernel::policy::PolicyInput;
use crate::kernel::time::{self, Instant};
use crate::kernel::types::PurposeKind;

/// The lowest age the subject can have at `t`, from the latest age declaration made
/// at or before `t` (conservative: a minor is never taken for an adult).
/// Only the subject's own receipts declare its age (a parent's receipt may carry the
/// parent's).
pub(super) fn min_age_at(receipts: &[ReceiptSummary], t: Instant, zone: time::Zone) -> Option<u32> {
    let declared = receipts
        .iter()
        .filter(|r| r.given_by == GivenBy::Subject)
        .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r.seq, r.age?)))
        .filter(|(at, _, _)| *at <= t)
        .max_by_key(|(at, seq, _)| (*at, *seq))?;
    let (declared_at, _, age) = declared;
    Some(match age {
        AgeDeclaration::Age(a) => u32::from(a) + time::whole_years_between(declared_at, t, zone),
        AgeDeclaration::BirthYear(y) => {
            let years = chrono::Datelike::year(&time::date_in(t, zone)) - i32::from(y) - 1;
            u32::try_from(years).unwrap_or(0)
        }
    })
}

/// The status of `purpose` from a subject's receipt summaries, without signals. Pure.
pub fn purpose_status(
    purpose: &Purpose,
    policy: &PolicyInput,
    receipts: &[ReceiptSummary],
    now: Instant,
) -> Result<PurposeStatus> {
    purpose_status_with_gpc(purpose, policy, receipts, now, None)
}

/// The status of `purpose` when the read carries Global Privacy Control, first seen for
/// this subject at `gpc_since` (`None`: no signal). Pure.
///
/// With the signal, and the policy's `gpc-refuses-advertising` on, an `advertising`
/// purpose (trackers for advertising, any sale or sharing for it) is `refused` unless
/// the grant that decides it was expressed at or after the signal was first seen (a
/// grant that carried the signal counts from its own time): an older grant, an expired
/// one, a pending one and no decision at all answer `refused`. A refusal or withdrawal
/// of the person's own stays as it is.
pub fn purpose_status_with_gpc(
    purpose: &Purpose,
    policy: &PolicyInput,
    receipts: &[ReceiptSummary],
    now: Instant,
    gpc_since: Option<Instant>,
) -> Result<PurposeStatus> {
    let status = receipt_status(purpose, policy, receipts, now)?;
    let Some(since) =
        gpc_since.filter(|_| purpose.kind == PurposeKind::Advertising && policy.gpc_refuses_advertising())
    else {
        return Ok(status);
    };
    let granted_after = |id: &Option<String>| {
        id.as_ref().is_some_and(|id| {
            receipts
                .iter()
                .find(|r| &r.id == id && r.purpose == purpose.id)
                .and_then(|r| time::parse("at", &r.at).ok())
                .is_some_and(|at| at >= since)
        })
    };
    match status.state {
        ConsentState::Refused | ConsentState::Withdrawn => Ok(status),
        ConsentState::Given | ConsentState::PendingParentalConsent if granted_after(&status.receipt) => Ok(status),
        _ => Ok(PurposeStatus {
            purpose: purpose.id.clone(),
            state: ConsentState::Refused,
            reason: format!(
                "Global Privacy Control: the browser signals a refusal of advertising (first seen on {}); only a \
                 grant expressed after it counts",
                time::format(since)
            ),
            receipt: None,
            expires_at: None,
        }),
    }
}

/// The status from the receipts alone.
fn receipt_status(
    purpose: &Purpose,
    policy: &PolicyInput,
    receipts: &[ReceiptSummary],
    now: Instant,
) -> Result<PurposeStatus> {
    let validity = policy.validity_of(purpose.kind);
    let grant_months = purpose.validity_months.or(validity.grant_months);
    let refusal_months = validity.refusal_months;
    let timed = |by: GivenBy| -> Option<(Instant, &ReceiptSummary)> {
        receipts
            .iter()
            .filter(|r| r.purpose == purpose.id && r.given_by == by)
            .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r)))
            // A decision dated in the future decides nothing until its time comes.
            .filter(|(at, _)| *at <= now)
            .max_by_key(|(at, r)| (*at, r.seq))
    };
    let status =
        |state: ConsentState, reason: String, r: Option<&ReceiptSummary>, expires: Option<Instant>| PurposeStatus {
            purpose: purpose.id.clone(),
            state,
            reason,
            receipt: r.map(|r| r.id.clone()),
            expires_at: expires.map(time::format),
        };
    let Some((at, latest)) = timed(GivenBy::Subject) else {
        return Ok(status(
            ConsentState::NeverAsked,
            "no decision has been recorded for this purpose".into(),
            None,
            None,
        ));
    };
    let zone = policy.zone();
    let expiry = |months: Option<u32>| months.and_then(|m| time::add_months(at, m, zone));
    match latest.decision {
        Decision::Refuse | Decision::Withdraw => {
            let (state, word) = if latest.decision == Decision::Refuse {
                (ConsentState::Refused, "refused")
            } else {
                (ConsentState::Withdrawn, "withdrew")
            };
            let expires = expiry(refusal_months);
            if let Some(e) = expires.filter(|e| *e <= now) {
                return Ok(status(
                    ConsentState::Expired,
                    format!(
                        "the person {word} on {}; that choice is respected for {} months, until {}: ask again",
                        latest.at,
                        refusal_months.unwrap_or(0),
                        time::format(e)
                    ),
                    Some(latest),
                    Some(e),
                ));
            }
            Ok(status(state, format!("the person {word} on {}", latest.at), Some(latest), expires))
        }
        Decision::Grant => {
            let expires = expiry(grant_months);
            if let Some(e) = expires.filter(|e| *e <= now) {
                return Ok(status(
                    ConsentState::Expired,
                    format!(
                        "consent given on {} was valid for {} months, until {}: ask again",
                        latest.at,
                        grant_months.unwrap_or(0),
                        time::format(e)
                    ),
                    Some(latest),
                    Some(e),
                ));
            }
            let minor_age = u32::from(policy.minor_age());
            let minor = min_age_at(receipts, at, zone).is_some_and(|a| a < minor_age);
            if !minor {
                return Ok(status(
                    ConsentState::Given,
                    format!("consent given on {}", latest.at),
                    Some(latest),
                    expires,
                ));
            }
            // A parent's decision counts for this consent only if it was expressed after
            // the person's last refusal or withdrawal: an older co-consent belonged to a
            // consent the person has since taken back.
            let episode_start = receipts
                .iter()
                .filter(|r| r.purpose == purpose.id && r.given_by == GivenBy::Subject && r.decision != Decision::Grant)
                .filter_map(|r| time::parse("at", &r.at).ok().map(|t| (t, r.seq)))
                .filter(|(t, seq)| (*t, *seq) < (at, latest.seq))
                .max();
            let parental = receipts
                .iter()
                .filter(|r| r.purpose == purpose.id && r.given_by == GivenBy::Parent)
                .filter_map(|r| Some((time::parse("at", &r.at).ok()?, r)))
                .filter(|(t, _)| *t <= now)
                .filter(|(t, r)| episode_start.is_none_or(|start| (*t, r.seq) > start))
                .max_by_key(|(t, r)| (*t, r.seq));
            match parental {
                None => Ok(status(
                    ConsentState::PendingParentalConsent,
                    format!(
                        "the person was under {minor_age} when consenting; a parent must co-consent (Art. 8, LIL art. 45)"
                    ),
                    Some(latest),
                    None,
                )),
                Some((_, parent)) if parent.decision == Decision::Grant => {
                    let parent_expires = time::parse("at", &parent.at)
                        .ok()
                        .and_then(|p| grant_months.and_then(|m| time::add_months(p, m, zone)));
                    let expires = match (expires, parent_expires) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if let Some(e) = expires.filter(|e| *e <= now) {
                        return Ok(status(
                            ConsentState::Expired,
                            format!("the parent's co-consent expired on {}: ask again", time::format(e)),
                            Some(parent),
                            Some(e),
                        ));
                    }
                    Ok(status(
                        ConsentState::Given,
                        format!("consent given on {} with a parent's co-consent on {}", latest.at, parent.at),
                        Some(latest),
                        expires,
                    ))
                }
                Some((_, parent)) => {
                    let state = if parent.decision == Decision::Refuse {
                        ConsentState::Refused
                    } else {
                        ConsentState::Withdrawn
                    };
                    Ok(status(
                        state,
                        format!(
                            "the person is a minor and a parent {} on {}",
                            if parent.decision == Decision::Refuse { "refused" } else { "withdrew" },
                            parent.at
                        ),
                        Some(parent),
                        None,
                    ))
                }
            }
        }
    }
}
