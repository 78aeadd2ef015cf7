//! The retention sweep: a page of the customer file planned, each action audited, each
//! record changed with one compare-and-swap (deleted whole when nothing is left), the
//! re-permission requests queued in the outbox. A dry run reports what it would do.

use super::plan::{Context, Grants, apply, plan};
use super::{SweepAction, SweepEntry, SweepOptions, SweepReport};
use crate::audit::AuditDraft;
use crate::consent::receipts::HeadBody;
use crate::consent::{Decision, GivenBy};
use crate::customers::records::Loaded;
use crate::customers::{CustomerDoc, CustomerState, customer_key};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::{self, Stamp, Zone};
use crate::kernel::types::Actor;
use crate::registry::{Activity, RetentionStart};

/// The audit entries of planned actions (what is only reported is not audited).
pub(super) fn drafts(entries: &[SweepEntry]) -> Vec<AuditDraft> {
    entries
        .iter()
        .filter(|e| !matches!(e.action, SweepAction::NoRule | SweepAction::Restricted))
        .map(|e| {
            let mut detail = Vec::new();
            if let Some(f) = &e.field {
                detail.push(format!("field={f}"));
            }
            if let Some(p) = &e.purpose {
                detail.push(format!("purpose={p}"));
            }
            if let Some(a) = &e.activity {
                detail.push(format!("activity={a}"));
            }
            if let Some(r) = &e.rule {
                let hold = if r.legal_hold.is_some() { " hold" } else { "" };
                let start = match r.start {
                    RetentionStart::Collection => "collection",
                    RetentionStart::LastContact => "last-contact",
                    RetentionStart::LastLogin => "last-login",
                    RetentionStart::EndOfContract => "end-of-contract",
                    RetentionStart::Transaction => "transaction",
                };
                detail.push(format!("rule={}:{}m:{start}{hold}", r.category.as_str(), r.months));
            }
            if let Some(d) = e.due {
                detail.push(format!("due={d}"));
            }
            AuditDraft {
                action: format!("retention.{}", e.action.as_str()),
                target: e.subject.clone(),
                detail: detail.join(" "),
            }
        })
        .collect()
}

impl<S: Store> Fichier<'_, S> {
    /// One page of the retention sweep (a dry run unless `options.apply`).
    pub fn sweep(&mut self, actor: &Actor, options: &SweepOptions) -> Result<SweepReport> {
        authorize(actor, Operation::Sweep)?;
        if !(1..=365).contains(&options.repermission_days) {
            return Err(Error::invalid("options.repermission-days", "range-1-365", "1 to 365 days"));
        }
        let register = self.registry()?;
        let policy = self.current_policy()?;
        let (page, damaged, next) = self.page_keyed(options.cursor.as_deref(), options.limit)?;
        let zone = policy.settings.zone();
        let mut report = SweepReport {
            entries: Vec::new(),
            scanned: (page.len() + damaged.len()) as u32,
            changed: 0,
            next,
            applied: options.apply,
            damaged,
        };
        let now = Stamp::from_instant(self.now);
        if options.cursor.is_none() {
            // A run's first page also ends the holds that kept erased people's data.
            let ended: Vec<SweepEntry> = self
                .expire_holds(false)?
                .into_iter()
                .map(|h| SweepEntry {
                    subject: h.subject,
                    field: Some(h.field),
                    category: Some(h.category),
                    action: SweepAction::DeleteArchived,
                    activity: Some(h.rule),
                    purpose: None,
                    rule: None,
                    due: Some(h.until),
                })
                .collect();
            if options.apply && !ended.is_empty() {
                self.audit(actor, drafts(&ended))?;
                self.expire_holds(true)?;
            }
            report.entries.extend(ended);
            // And deletes the public sign-ups past their confirmation delay (nothing
            // personal is reported: they were never the shop's data).
            if options.apply {
                while self.purge_signups(256)? > 0 {}
            }
        }
        let (activities, instant, days) = (&register.activities[..], self.now, options.repermission_days);
        let context = |grants| Context { activities, grants, now: instant, zone, repermission_days: days };
        // The page's consent heads in one read, opened with the keys the records used.
        let heads = self.head_bodies(&page.iter().map(|(l, dek)| (l.sid.as_str(), dek)).collect::<Vec<_>>())?;
        let mut planned = Vec::with_capacity(page.len());
        for ((loaded, _), head) in page.into_iter().zip(heads) {
            let cx = context(granted(&head)?);
            let entries = plan(&loaded.sid, &loaded.body, &cx);
            planned.push((loaded, cx, entries));
        }
        if !options.apply {
            let detail = format!(
                "dry run: {} records from {}",
                report.scanned,
                options.cursor.as_deref().unwrap_or("the start")
            );
            self.audit(
                actor,
                vec![AuditDraft { action: "retention.dry-run".into(), target: "customers".into(), detail }],
            )?;
            report.entries.extend(planned.into_iter().flat_map(|(_, _, e)| e));
            return Ok(report);
        }
        // Every action of the page is audited before any is made; re-permission requests
        // are queued before the record notes them (at least once: a crash in between
        // sends the request again rather than never).
        self.audit(actor, planned.iter().flat_map(|(_, _, e)| drafts(e)).collect())?;
        for (loaded, _, entries) in &planned {
            for e in entries.iter().filter(|e| e.action == SweepAction::Repermission) {
                self.ask_repermission(&register.activities, loaded, e, zone)?;
            }
        }
        for (loaded, cx, entries) in planned {
            let (changed, entries) = self.sweep_one(actor, loaded, entries, &cx, now)?;
            report.changed += u32::from(changed);
            report.entries.extend(entries);
        }
        Ok(report)
    }

    /// Apply a subject's planned entries with one compare-and-swap; when the record moved
    /// since it was read, plan again (and audit the new plan) from what is stored.
    fn sweep_one(
        &mut self,
        actor: &Actor,
        loaded: Loaded,
        entries: Vec<SweepEntry>,
        cx: &Context<'_>,
        now: Stamp,
    ) -> Result<(bool, Vec<SweepEntry>)> {
        let sid = loaded.sid.clone();
        let (mut l, mut entries) = (loaded, entries);
        for _ in 0..crate::kernel::context::CAS_ATTEMPTS {
            let mut body = l.body.clone();
            if !apply(&mut body, &entries, actor, now) {
                return Ok((false, entries));
            }
            let outcome = if body.is_empty() {
                self.delete_swept(&sid, l.doc.revision)
            } else {
                let dek = self.existing_data_key(&sid)?;
                self.commit_customer_only(&sid, Some(l.doc.revision), body, &dek, None).map(|_| ())
            };
            match outcome {
                Err(Error::Conflict(e)) if e.rule == "revision" => {}
                Err(e) => return Err(e),
                Ok(()) => return Ok((true, entries)),
            }
            let Some(fresh) = self.load_active(&sid)? else { return Ok((false, Vec::new())) };
            l = fresh;
            entries = plan(&sid, &l.body, cx);
            self.audit(actor, drafts(&entries))?;
        }
        Err(Error::conflict("subject", "compare-and-swap", "a record keeps changing; run the sweep again"))
    }

    /// Queue the one re-permission request of `e` to the person (when an e-mail is known).
    fn ask_repermission(&mut self, activities: &[Activity], loaded: &Loaded, e: &SweepEntry, zone: Zone) -> Result<()> {
        let Some(to) = loaded.body.email() else { return Ok(()) };
        let what = activities
            .iter()
            .flat_map(|a| a.definition.purposes.iter())
            .find(|p| Some(&p.id) == e.purpose.as_ref())
            .map_or_else(|| e.purpose.clone().unwrap_or_default(), |p| p.description.fr.clone());
        let day = e.due.map_or_else(String::new, |d| {
            use chrono::Datelike;
            let n = time::date_in(d.instant(), zone);
            format!("{:02}/{:02}/{}", n.day(), n.month(), n.year())
        });
        let body = format!(
            "Bonjour,\n\nVous nous avez donné votre accord pour : {what}.\n\nSans nouvelle de votre part, nous \
             cesserons le {day} et effacerons les données gardées à cette seule fin. Pour continuer, il suffit de \
             nous le confirmer, depuis votre compte ou en répondant à ce message.\n"
        );
        let message = crate::outbox::MessageBody {
            to: to.to_string(),
            title: "Souhaitez-vous continuer à recevoir nos offres ?".into(),
            body,
        };
        let dek = self.existing_data_key(&loaded.sid)?;
        self.queue(&loaded.sid, &dek, crate::outbox::MessageKind::Repermission, None, message)?;
        Ok(())
    }

    /// The consent a subject granted themselves, by purpose: the latest grant of each.
    pub(crate) fn grants(&mut self, sid: &str) -> Result<Grants> {
        granted(&self.load_subject(sid)?.body)
    }

    /// A record emptied by the sweep: deleted at the revision it was planned against.
    fn delete_swept(&mut self, sid: &str, seen: u32) -> Result<()> {
        let key = customer_key(sid);
        let sid_owned = sid.to_string();
        self.update::<CustomerDoc, ()>(
            Bucket::Data,
            &key,
            |_, current| match current {
                Some(d) if d.state == CustomerState::Active && d.revision == seen => Ok(Some((
                    CustomerDoc {
                        subject: d.subject,
                        revision: d.revision + 1,
                        state: CustomerState::Deleted,
                        sealed: None,
                    },
                    (),
                ))),
                _ => Err(Error::conflict(
                    place(Bucket::Data, &customer_key(&sid_owned)),
                    "revision",
                    "the record changed during the sweep",
                )),
            },
            || (),
        )?;
        let _ = self.unindex_in(Directory::Customers, sid);
        Ok(())
    }
}

/// The consent in a subject's head that they granted themselves, by purpose: the latest
/// grant of each.
fn granted(head: &HeadBody) -> Result<Grants> {
    let mut out: Grants = Vec::new();
    for r in head.receipts.iter().filter(|r| r.decision == Decision::Grant && r.given_by == GivenBy::Subject) {
        let at = Stamp::from_instant(time::parse("receipt.at", &r.at)?);
        match out.iter_mut().find(|(p, _)| p == &r.purpose) {
            Some((_, t)) => *t = (*t).max(at),
            None => out.push((r.purpose.clone(), at)),
        }
    }
    Ok(out)
}
