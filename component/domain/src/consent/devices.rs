//! Consent across devices for logged-in customers (CNIL délibération 2025-131): optional,
//! for logged-in customers only, said on the banner's first layer; a refusal or a
//! withdrawal goes to the other devices exactly as a consent does; a new device shows the
//! choice in force; the same purposes everywhere, asked again when they change.
//!
//! - **A customer reference** (`customer-reference`): for the customer logged in, the
//!   shop's server mints an opaque, short-lived token its page gives the banner
//!   (`data-customer`): base64url of a type byte ([`CUSTOMER_V1`]), the subject id's 16-byte
//!   hash, its expiry (Unix seconds, 8 bytes) and a 128-bit HMAC under the unsubscribe key
//!   (the type byte keeps it apart from the mails' tokens), checked with no store look-up.
//!   It lives the policy's `customer-reference-hours` (default 24), so a page kept or
//!   leaked gives no lasting access; it holds nothing personal (never the e-mail).
//! - **A choice made logged in is the customer's** (`record-decision` with `customer`): recorded in
//!   the customer's own chain, each receipt keeping the banner id of the device it came
//!   from (`Receipt::banner`, sealed and chained with the rest): the link between device and
//!   customer. A refusal or a withdrawal is recorded exactly as a grant is.
//! - **The choice in force** (`customer-choice`): what another device's banner applies and
//!   shows without asking: every banner purpose decided (given, refused or withdrawn, none
//!   expired), each deciding receipt citing — a grant always does, a refusal may not — the
//!   latest version (in its language) of a notice about the very purposes the banner's
//!   notice informs about now. A purpose added or removed, a notice changed (its text, so
//!   its recipients), answers none: the banner asks again.
//! - **A reference opens that customer's banner choice only**: no other subject, no
//!   customer data, no history; a public caller reaches a customer's consent through it
//!   alone (a public `record-decision` names a banner id, never a subject id or an e-mail).

use subtle::ConstantTimeEq;

use super::{ConsentState, Decision, Receipt, ReceiptInput, StatusSignals};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::encoding::{base32, base64url, from_base32, from_base64url};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Store;
use crate::kernel::types::{Actor, Channel, SubjectRef};
use crate::kernel::{time, validate};

/// The type byte of customer references (unsubscribe tokens start with 1, pixels with 0x70).
pub const CUSTOMER_V1: u8 = 0x63;
/// Type byte, subject hash, expiry, MAC.
const REFERENCE_BYTES: usize = 1 + 16 + 8 + 16;
/// Its base64url length (no padding).
const REFERENCE_CHARS: usize = 55;

/// A customer reference and when it stops opening anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerReference {
    pub token: String,
    pub expires_at: String,
}

/// A logged-in customer's choice in force, as the banner applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerChoice {
    /// The notice the banner shows now (in the language asked).
    pub notice: String,
    /// When the latest of the deciding receipts was expressed.
    pub at: String,
    /// Banner purposes granted, sorted by id.
    pub granted: Vec<String>,
    /// Banner purposes refused or withdrawn, sorted by id.
    pub refused: Vec<String>,
}

/// A customer reference where only the banner's receipts take one (a sign-up).
pub fn not_on_banner() -> Error {
    Error::invalid(
        "input.customer",
        "customer-on-banner",
        "a customer reference goes with the cookie banner's decisions only",
    )
}

fn reference_syntax(field: &str) -> Error {
    Error::invalid(field, "token-syntax", "a customer reference is 55 characters of base64url")
}

impl<S: Store> Fichier<'_, S> {
    /// Mint the reference of `subject`, the customer logged in on the shop's page, valid the
    /// policy's `customer-reference-hours`. Writes nothing.
    pub fn customer_reference(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<CustomerReference> {
        authorize(actor, Operation::MintCustomerReference)?;
        let sid = self.subject_id("subject", subject)?;
        let hash = from_base32(sid.trim_start_matches("s-"))
            .filter(|h| h.len() == 16)
            .ok_or_else(|| Error::invalid("subject", "subject-id-syntax", "not a subject id"))?;
        let hours = self.current_policy()?.settings.customer_reference_hours();
        let expires = self.now.timestamp() + i64::from(hours) * 3600;
        let mut payload = Vec::with_capacity(REFERENCE_BYTES);
        payload.push(CUSTOMER_V1);
        payload.extend_from_slice(&hash);
        payload.extend_from_slice(&expires.to_be_bytes());
        let mac = self.keys()?.unsubscribe_mac(&payload);
        payload.extend_from_slice(&mac);
        let at = time::from_unix_millis(expires.saturating_mul(1000)).unwrap_or(self.now);
        Ok(CustomerReference { token: base64url(&payload), expires_at: time::format(at) })
    }

    /// The subject a customer reference (`field`) designates, once its MAC and expiry are
    /// checked.
    pub(crate) fn customer_subject(&self, field: &str, reference: &str) -> Result<String> {
        if reference.len() != REFERENCE_CHARS {
            return Err(reference_syntax(field));
        }
        let bytes = from_base64url(reference)
            .filter(|b| b.len() == REFERENCE_BYTES && b[0] == CUSTOMER_V1)
            .ok_or_else(|| reference_syntax(field))?;
        let (payload, mac) = bytes.split_at(REFERENCE_BYTES - 16);
        if !bool::from(self.keys()?.unsubscribe_mac(payload).ct_eq(mac)) {
            return Err(Error::invalid(
                field,
                "token-matches",
                "this customer reference was not minted by this shop, or was altered",
            ));
        }
        let mut expires = [0u8; 8];
        expires.copy_from_slice(&payload[17..25]);
        if self.now.timestamp() >= i64::from_be_bytes(expires) {
            return Err(Error::invalid(
                field,
                "token-unexpired",
                "this customer reference has expired: the shop's page gives a fresh one",
            ));
        }
        Ok(format!("s-{}", base32(&payload[1..17])))
    }

    /// Record a decision a logged-in customer made on the banner of one device (the WIT
    /// `record-decision` with `input.customer`): in the customer's chain (`customer`, a
    /// reference), the receipt keeping the device's banner id (`input.subject`, an
    /// `external` id). Validates as `record-decision`.
    pub fn record_customer_decision(&mut self, actor: &Actor, customer: &str, input: ReceiptInput) -> Result<Receipt> {
        authorize(actor, Operation::RecordDecision { channel: input.channel })?;
        if input.channel != Channel::CookieBanner {
            return Err(Error::invalid(
                "input.channel",
                "customer-on-banner",
                "a choice that follows a logged-in customer across devices is made on the cookie banner",
            ));
        }
        let SubjectRef::External(banner) = &input.subject else {
            return Err(Error::invalid(
                "input.subject",
                "banner-id",
                "name the device by the banner's id (external), the customer by the reference",
            ));
        };
        validate::printable("input.subject.external", banner, 128)?;
        let sid = self.customer_subject("input.customer", customer)?;
        let banner = Some(banner.clone());
        self.record(actor, ReceiptInput { subject: SubjectRef::Subject(sid), ..input }, true, banner)
    }

    /// The choice in force for the customer a reference designates, as the banner in `lang`
    /// applies it on another device (see the module); `None`: ask. A public read is the
    /// person's own (not audited); another role's is audited as a status read.
    pub fn customer_choice(
        &mut self,
        actor: &Actor,
        customer: &str,
        lang: &str,
        signals: StatusSignals,
    ) -> Result<Option<BannerChoice>> {
        authorize(actor, Operation::ReadCatalogue)?;
        let sid = self.customer_subject("customer", customer)?;
        let config = self.banner(actor, lang)?;
        let Some(shown) = config.notice else { return Ok(None) };
        let notices = self.notices()?;
        let Some(current) = notices.iter().find(|n| n.reference == shown.reference) else { return Ok(None) };
        let (status, receipts) = self.status_of(actor, sid, signals)?;
        let latest = |reference: &str| {
            notices.iter().any(|n| {
                n.reference == reference
                    && n.purposes == current.purposes
                    && !notices.iter().any(|m| m.purposes == n.purposes && m.lang == n.lang && m.version > n.version)
            })
        };
        let mut choice = BannerChoice { notice: shown.reference, at: String::new(), granted: vec![], refused: vec![] };
        for p in &config.purposes {
            let deciding = status
                .purposes
                .iter()
                .find(|s| s.purpose == p.id)
                .and_then(|s| Some((s.state, receipts.iter().find(|r| Some(&r.id) == s.receipt.as_ref())?)));
            let Some((state, r)) = deciding else { return Ok(None) };
            let informed = match &r.notice {
                Some(cited) => latest(cited),
                None => r.decision != Decision::Grant,
            };
            match state {
                _ if !informed => return Ok(None),
                ConsentState::Given => choice.granted.push(p.id.clone()),
                ConsentState::Refused | ConsentState::Withdrawn => choice.refused.push(p.id.clone()),
                _ => return Ok(None),
            }
            // RFC 3339 in one format: the text's order is the time's.
            if r.at > choice.at {
                choice.at.clone_from(&r.at);
            }
        }
        Ok(Some(choice))
    }
}
