//! E-mail tracking pixels (CNIL délibération 2026-042): measuring who opens a mail needs
//! its own consent, separate from the marketing the mail carries.
//!
//! - **Its own purpose.** An `email-tracking` purpose names the `marketing` purpose whose
//!   mails it measures (`serves`). It is never on the cookie banner (it is no cookie) and
//!   is asked as its own unticked box by the shop's forms.
//! - **Minted links** (`mail-links`): for a recipient, a campaign and a marketing purpose,
//!   the unsubscribe path and, when an `email-tracking` purpose serves it, the pixel path
//!   `/t/<token>.gif`. The token is base64url of a type byte, the subject id's 16-byte
//!   hash, the campaign and the tracking purpose, and a 128-bit HMAC: nothing personal in
//!   the URL, checked with no store look-up.
//! - **An open counts only while consent stands** (`open-pixel`): the token's MAC is
//!   checked, then the person's consent to the tracking purpose *and* to the marketing it
//!   serves must be `given` at the call's time, so a withdrawal after the mail was sent
//!   (its unsubscribe link, the account page, any withdrawal) stops the count of that very
//!   mail. The HTTP face answers the same image whatever happened.
//! - **Counts hold no person**: per campaign and day (UTC), in eight shard documents a
//!   day (`stats/pixel/<day>/<shard>`, the shard drawn at random so that one campaign's
//!   opens spread), no subject id, no address.
//! - **The subscribers to ask** (`tracking-to-ask`): those with a standing consent to a
//!   marketing purpose and none to a tracking purpose serving it, by page of the subject
//!   index, with the policy's cut-over day after which their opens must not be measured.
//!
//! The MAC key: the unsubscribe key (`KeyRing::unsubscribe_mac`), the secret that
//! survives master-key rotations, with a type byte of its own ([`PIXEL_V1`]) as the first
//! byte of the MACed payload: an unsubscribe token (first byte 1) never verifies as a pixel
//! token, nor the reverse. No key of its own, so the key ring is unchanged.

use crate::kernel::encoding::{base32, base64url, from_base32, from_base64url};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::{ConsentState, Purpose, purpose_status};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::error::{Error, Result};
use crate::kernel::keys::check_subject_id;
use crate::kernel::store::{Bucket, Document, Store, decode, storage_error};
use crate::kernel::time;
use crate::kernel::types::{Actor, PurposeKind, SubjectRef};
use crate::kernel::validate;

/// The type byte of pixel tokens (unsubscribe tokens start with 1).
pub const PIXEL_V1: u8 = 0x70;
const SHARDS: u32 = 8;
/// The longest campaign id.
pub const MAX_CAMPAIGN: usize = 32;

/// A link of a mail: its token and the path carrying it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailLink {
    pub token: String,
    pub path: String,
}

/// The links one mail carries for its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailLinks {
    /// `/t/<token>.gif`; `None` when no `email-tracking` purpose serves the mail's purpose.
    pub pixel: Option<MailLink>,
    /// `/v1/unsubscribe/<token>`.
    pub unsubscribe: MailLink,
}

/// Opens of one campaign on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignOpens {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub campaign: String,
    pub opens: u32,
}

/// A page of the subscribers to ask for their `email-tracking` consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingPage {
    /// The marketing purpose.
    pub purpose: String,
    /// The `email-tracking` purposes serving it, sorted.
    pub tracking: Vec<String>,
    /// The policy's cut-over day: after it, their opens must not be measured.
    pub cutover: String,
    /// Whether today (the shop's zone) is on or after the cut-over.
    pub past_cutover: bool,
    /// Opaque subject ids: consent to `purpose` stands, none to a tracking purpose.
    pub subjects: Vec<String>,
    /// Subjects of the page whose consent head does not open (named, skipped).
    pub damaged: Vec<String>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// One shard of a day's opens: (campaign, opens).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PixelShard {
    counts: Vec<(String, u32)>,
}

impl Document for PixelShard {
    const KIND: &'static str = "pixel-stats";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

fn shard_key(day: NaiveDate, shard: u32) -> String {
    format!("stats/pixel/{day}/{shard}")
}

/// A campaign id: 1–32 characters of `A-Z a-z 0-9 - _ .` (no room for an address).
pub fn check_campaign(field: &str, campaign: &str) -> Result<()> {
    let ok = !campaign.is_empty()
        && campaign.len() <= MAX_CAMPAIGN
        && campaign.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "campaign-syntax", "a campaign id is 1 to 32 characters of A-Z a-z 0-9 - _ ."))
    }
}

/// What a pixel token names.
struct PixelToken {
    sid: String,
    campaign: String,
    purpose: String,
}

fn token_syntax() -> Error {
    Error::invalid("token", "token-syntax", "a pixel token is base64url of 36 to 130 bytes")
}

impl<S: Store> Fichier<'_, S> {
    /// The pixel token of a subject, campaign and tracking purpose.
    fn pixel_token(&self, sid: &str, campaign: &str, purpose: &str) -> Result<String> {
        let hash = from_base32(sid.trim_start_matches("s-"))
            .ok_or_else(|| Error::invalid("subject", "subject-id-syntax", "not a subject id"))?;
        let mut payload = Vec::with_capacity(2 + hash.len() + campaign.len() + purpose.len() + 16);
        payload.push(PIXEL_V1);
        payload.extend_from_slice(&hash);
        payload.push(u8::try_from(campaign.len()).map_err(|_| token_syntax())?);
        payload.extend_from_slice(campaign.as_bytes());
        payload.extend_from_slice(purpose.as_bytes());
        // The unsubscribe key, domain-separated by the type byte (see the module).
        let mac = self.keys()?.unsubscribe_mac(&payload);
        payload.extend_from_slice(&mac);
        Ok(base64url(&payload))
    }

    /// Check a pixel token's syntax and MAC; what it names.
    fn read_pixel_token(&self, token: &str) -> Result<PixelToken> {
        if token.len() > 174 {
            return Err(token_syntax());
        }
        let bytes = from_base64url(token).ok_or_else(token_syntax)?;
        if bytes.len() < 1 + 16 + 1 + 1 + 1 + 16 || bytes[0] != PIXEL_V1 {
            return Err(token_syntax());
        }
        let (payload, mac) = bytes.split_at(bytes.len() - 16);
        if !bool::from(self.keys()?.unsubscribe_mac(payload).ct_eq(mac)) {
            return Err(Error::invalid("token", "token-matches", "this pixel token was not minted by this shop"));
        }
        let n = usize::from(payload[17]);
        let rest = &payload[18..];
        if n == 0 || n >= rest.len() {
            return Err(token_syntax());
        }
        let (campaign, purpose) = rest.split_at(n);
        let campaign = std::str::from_utf8(campaign).map_err(|_| token_syntax())?.to_string();
        let purpose = std::str::from_utf8(purpose).map_err(|_| token_syntax())?.to_string();
        check_campaign("token", &campaign)?;
        validate::purpose_id("token", &purpose)?;
        let sid = format!("s-{}", base32(&payload[1..17]));
        Ok(PixelToken { sid, campaign, purpose })
    }

    /// A marketing purpose by id (`field` names it in errors).
    fn marketing_purpose(&self, id: &str, field: &str) -> Result<Purpose> {
        let purpose = self.purpose(id, field)?;
        if purpose.kind != PurposeKind::Marketing {
            return Err(Error::invalid(field, "marketing-purpose", format!("{id} is not a marketing purpose")));
        }
        Ok(purpose)
    }

    /// The `email-tracking` purposes that serve `marketing`, sorted by id.
    pub(crate) fn tracking_of(&self, marketing: &str) -> Result<Vec<Purpose>> {
        Ok(self
            .purposes()?
            .into_iter()
            .filter(|p| p.kind == PurposeKind::EmailTracking && p.serves.as_deref() == Some(marketing))
            .collect())
    }

    /// The links of one mail of `campaign` about marketing `purpose` to `subject`: its
    /// unsubscribe path and, when an `email-tracking` purpose serves `purpose` (the first
    /// by id), its pixel path. Minting writes nothing.
    pub fn mail_links(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        campaign: &str,
        purpose: &str,
    ) -> Result<MailLinks> {
        authorize(actor, Operation::MintUnsubscribeLink)?;
        check_campaign("campaign", campaign)?;
        let marketing = self.marketing_purpose(purpose, "purpose")?;
        let sid = self.subject_id("subject", subject)?;
        let unsubscribe = self.unsubscribe_link(actor, &SubjectRef::Subject(sid.clone()), &marketing.id)?;
        let pixel = match self.tracking_of(&marketing.id)?.first() {
            Some(t) => {
                let token = self.pixel_token(&sid, campaign, &t.id)?;
                Some(MailLink { path: format!("/t/{token}.gif"), token })
            }
            None => None,
        };
        Ok(MailLinks {
            pixel,
            unsubscribe: MailLink { path: format!("/v1/unsubscribe/{unsubscribe}"), token: unsubscribe },
        })
    }

    /// A mail's pixel was fetched: the open is counted (campaign and day, no person) only
    /// if the token is this shop's and the person's consent to its tracking purpose and to
    /// the marketing purpose it serves is `given` now. Whether it was counted (the HTTP
    /// face answers the same image either way).
    pub fn open_pixel(&mut self, actor: &Actor, token: &str) -> Result<bool> {
        authorize(actor, Operation::ConsentByEmail)?;
        let t = self.read_pixel_token(token)?;
        let purposes = self.purposes()?;
        let Some(tracking) = purposes.iter().find(|p| p.id == t.purpose && p.kind == PurposeKind::EmailTracking) else {
            return Ok(false);
        };
        let Some(served) =
            purposes.iter().find(|p| Some(&p.id) == tracking.serves.as_ref() && p.kind == PurposeKind::Marketing)
        else {
            return Ok(false);
        };
        let policy = self.current_policy()?;
        self.check_master_key(false)?;
        let loaded = self.load_subject(&t.sid)?;
        for p in [tracking, served] {
            if purpose_status(p, &policy.settings, &loaded.body.receipts, self.now)?.state != ConsentState::Given {
                return Ok(false);
            }
        }
        let mut draw = [0u8; 1];
        self.entropy.fill(&mut draw);
        let key = shard_key(self.now.date_naive(), u32::from(draw[0]) % SHARDS);
        let campaign = t.campaign;
        self.update::<PixelShard, ()>(
            Bucket::Data,
            &key,
            |_, current| {
                let mut doc = current.unwrap_or_default();
                match doc.counts.iter_mut().find(|(c, _)| *c == campaign) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => doc.counts.push((campaign.clone(), 1)),
                }
                Ok(Some((doc, ())))
            },
            || (),
        )?;
        Ok(true)
    }

    /// Opens per day and campaign from `from` to `to` (inclusive, `YYYY-MM-DD`, at most
    /// 366 days), sorted by day then campaign; days without opens are left out.
    pub fn campaign_opens(&mut self, actor: &Actor, from: &str, to: &str) -> Result<Vec<CampaignOpens>> {
        authorize(actor, Operation::ReadStatistics)?;
        let days = super::banner::day_span(from, to)?;
        let keys: Vec<String> = days.iter().flat_map(|d| (0..SHARDS).map(move |s| shard_key(*d, s))).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut out = Vec::new();
        for (i, day) in days.iter().enumerate() {
            let mut merged: Vec<(String, u32)> = Vec::new();
            for (s, value) in values[i * SHARDS as usize..(i + 1) * SHARDS as usize].iter().enumerate() {
                let Some(bytes) = value else { continue };
                let shard: PixelShard = decode(&place(Bucket::Data, &shard_key(*day, s as u32)), bytes)?;
                for (c, n) in shard.counts {
                    match merged.iter_mut().find(|(m, _)| *m == c) {
                        Some((_, m)) => *m = m.saturating_add(n),
                        None => merged.push((c, n)),
                    }
                }
            }
            crate::kernel::sort::sort_by(&mut merged, |a, b| a.0.cmp(&b.0));
            let label = day.to_string();
            out.extend(merged.into_iter().map(|(campaign, opens)| CampaignOpens {
                day: label.clone(),
                campaign,
                opens,
            }));
        }
        Ok(out)
    }

    /// The subscribers of marketing `purpose` to ask for an `email-tracking` consent, by
    /// page of the subject index (`limit` 1–1000 subjects looked at): those whose consent
    /// to `purpose` stands and to no tracking purpose serving it, with the policy's
    /// cut-over day. Opaque subject ids only; each subject read is audited
    /// (`consent.tracking-to-ask`), as a status read is.
    pub fn tracking_to_ask(
        &mut self,
        actor: &Actor,
        purpose: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<TrackingPage> {
        authorize(actor, Operation::ListSubjects)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "a page looks at 1 to 1000 subjects"));
        }
        if let Some(c) = cursor {
            check_subject_id("cursor", c)?;
        }
        let marketing = self.marketing_purpose(purpose, "purpose")?;
        let tracking = self.tracking_of(&marketing.id)?;
        let policy = self.current_policy()?;
        self.check_master_key(false)?;
        let (page, next) = self.list_subjects(actor, cursor, limit)?;
        let mut subjects = Vec::new();
        let mut damaged = Vec::new();
        let mut read = Vec::new();
        for sid in page {
            let loaded = match self.load_subject(&sid) {
                Ok(l) => l,
                Err(Error::Corrupted(_)) => {
                    damaged.push(sid);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if loaded.head.is_none() {
                continue;
            }
            let receipts = &loaded.body.receipts;
            let given = |p: &Purpose| {
                purpose_status(p, &policy.settings, receipts, self.now).map(|s| s.state == ConsentState::Given)
            };
            let subscribed = given(&marketing)?;
            let mut tracked = false;
            for t in &tracking {
                tracked |= given(t)?;
            }
            if subscribed && !tracked {
                subjects.push(sid.clone());
            }
            read.push(sid);
        }
        let drafts = read
            .into_iter()
            .map(|sid| crate::audit::AuditDraft {
                action: "consent.tracking-to-ask".into(),
                target: sid,
                detail: marketing.id.clone(),
            })
            .collect();
        self.audit(actor, drafts)?;
        let cutover = policy.settings.email_tracking_cutover();
        let today = time::date_in(self.now, policy.settings.zone());
        Ok(TrackingPage {
            purpose: marketing.id,
            tracking: tracking.into_iter().map(|t| t.id).collect(),
            cutover: cutover.to_string(),
            past_cutover: today >= cutover,
            subjects,
            damaged,
            next,
        })
    }
}
