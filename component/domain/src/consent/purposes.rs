//! The purpose catalogue: what the shop processes personal data for, each purpose with
//! its kind (service, marketing, cookie, advertising, email-tracking) and an optional
//! validity of its consent. Anything that cites an undeclared purpose is refused. An
//! `email-tracking` purpose names the `marketing` purpose whose mails it measures
//! (`serves`): the unsubscribe link of that marketing withdraws both.
//!
//! Stored: `purposes` — [`PurposeCatalogue`], the commit point of declarations.

use serde::{Deserialize, Serialize};

use super::{Purpose, PurposeInput};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document};
use crate::kernel::types::{Actor, PurposeKind};
use crate::kernel::{time, validate};

/// Every declared purpose.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PurposeCatalogue {
    pub purposes: Vec<Purpose>,
}
document!(PurposeCatalogue, "purposes", 1);

/// The key of [`PurposeCatalogue`] in the data bucket.
pub const PURPOSES_KEY: &str = "purposes";

/// Each of `ids` is a well-formed purpose id of one of the `declared` purposes; `item(i)`
/// names the i-th in an error (formatted only then: the import checks every row's fields).
pub(crate) fn check_declared(ids: &[String], declared: &[Purpose], item: impl Fn(usize) -> String) -> Result<()> {
    for (i, p) in ids.iter().enumerate() {
        validate::purpose_id("purpose", p).map_err(|e| e.at(item(i)))?;
        if !declared.iter().any(|d| &d.id == p) {
            return Err(Error::not_found(item(i), "declared-purpose", format!("no purpose {p} is declared")));
        }
    }
    Ok(())
}

impl<S: Store> Fichier<'_, S> {
    pub fn declare_purpose(&mut self, actor: &Actor, input: PurposeInput) -> Result<Purpose> {
        authorize(actor, Operation::DeclarePurpose)?;
        validate::purpose_id("input.id", &input.id)?;
        validate::printable("input.title", &input.title, 200)?;
        if input.validity_months.is_some_and(|m| !(1..=120).contains(&m)) {
            return Err(Error::invalid("input.validity-months", "range-1-120", "a validity is 1 to 120 months"));
        }
        let declared = self.purposes()?;
        match (input.kind, &input.serves) {
            (PurposeKind::EmailTracking, None) => {
                return Err(Error::invalid(
                    "input.serves",
                    "tracking-serves-marketing",
                    "an email-tracking purpose names the marketing purpose whose mails it measures",
                ));
            }
            (PurposeKind::EmailTracking, Some(served)) => {
                validate::purpose_id("input.serves", served)?;
                match declared.iter().find(|p| &p.id == served) {
                    Some(p) if p.kind == PurposeKind::Marketing => {}
                    Some(_) => {
                        return Err(Error::invalid(
                            "input.serves",
                            "tracking-serves-marketing",
                            format!("{served} is not a marketing purpose"),
                        ));
                    }
                    None => {
                        return Err(Error::not_found(
                            "input.serves",
                            "declared-purpose",
                            format!("no purpose {served} is declared"),
                        ));
                    }
                }
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "input.serves",
                    "serves-only-tracking",
                    "only an email-tracking purpose serves another purpose",
                ));
            }
            (_, None) => {}
        }
        // A marketing purpose that tracking serves keeps its kind: the link would break.
        if input.kind != PurposeKind::Marketing
            && let Some(t) = declared.iter().find(|p| p.serves.as_deref() == Some(input.id.as_str()))
        {
            return Err(Error::invalid(
                "input.kind",
                "served-stays-marketing",
                format!("{} measures the mails of {}: it stays a marketing purpose", t.id, input.id),
            ));
        }
        let at = time::format(self.now);
        let unchanged = std::cell::RefCell::new(None);
        self.update::<PurposeCatalogue, Purpose>(
            Bucket::Data,
            PURPOSES_KEY,
            |_, current| {
                let mut cat = current.unwrap_or_default();
                let existing = cat.purposes.iter().position(|p| p.id == input.id);
                if let Some(p) = existing.map(|i| &cat.purposes[i])
                    && p.kind == input.kind
                    && p.title == input.title
                    && p.validity_months == input.validity_months
                    && p.serves == input.serves
                {
                    *unchanged.borrow_mut() = Some(p.clone());
                    return Ok(None);
                }
                let purpose = Purpose {
                    id: input.id.clone(),
                    kind: input.kind,
                    title: input.title.clone(),
                    validity_months: input.validity_months,
                    serves: input.serves.clone(),
                    revision: existing.map_or(1, |i| cat.purposes[i].revision + 1),
                    declared_at: at.clone(),
                    declared_by: actor.clone(),
                };
                match existing {
                    Some(i) => cat.purposes[i] = purpose.clone(),
                    None => {
                        cat.purposes.push(purpose.clone());
                        crate::kernel::sort::sort_by(&mut cat.purposes, |a, b| a.id.cmp(&b.id));
                    }
                }
                Ok(Some((cat, purpose)))
            },
            || unchanged.borrow_mut().take().unwrap_or_else(|| unreachable!("set when unchanged")),
        )
    }

    pub(crate) fn purposes(&self) -> Result<Vec<Purpose>> {
        Ok(self.get_doc::<PurposeCatalogue>(Bucket::Data, PURPOSES_KEY)?.unwrap_or_default().purposes)
    }

    pub(crate) fn purpose(&self, id: &str, field: &str) -> Result<Purpose> {
        validate::purpose_id(field, id)?;
        self.purposes()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::not_found(field, "declared-purpose", format!("no purpose {id} is declared")))
    }

    pub fn list_purposes(&mut self, actor: &Actor) -> Result<Vec<Purpose>> {
        authorize(actor, Operation::ReadCatalogue)?;
        self.purposes()
    }
}
