//! The WIT `customers` interface: every operation on the customer file, each audited
//! (`customers.*`) once it succeeded — a read by the subject id read, a change by the
//! subject id and the names of the fields it touched, never a value. On SQLite the CLI
//! runs each call in one transaction, so the change and its entry commit together.

use super::{
    ArchivedField, Customer, CustomerEvent, CustomerPage, DuplicatesReport, FieldChange, FieldInput, ReviewPage,
};
use crate::kernel::context::Fichier;
use crate::kernel::error::Result;
use crate::kernel::store::Store;
use crate::kernel::types::{Actor, SubjectRef};

impl<S: Store> Fichier<'_, S> {
    /// One audit entry (not generic: each wrapper below shares this code).
    #[inline(never)]
    pub fn create_customer(&mut self, actor: &Actor, subject: &SubjectRef, inputs: &[FieldInput]) -> Result<Customer> {
        let c = self.create_customer_unaudited(actor, subject, inputs)?;
        let (target, detail) = (c.subject.clone(), field_names(c.body.fields.iter().map(|f| &f.name)));
        self.audit_one(actor, "customers.create", target, detail)?;
        Ok(c)
    }

    pub fn get_customer(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        let c = self.get_customer_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.read", c.subject.clone(), String::new())?;
        Ok(c)
    }

    pub fn customer_history(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<FieldChange>> {
        let (sid, history) = self.customer_history_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.read-history", sid, String::new())?;
        Ok(history)
    }

    pub fn rectify_customer(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        set: &[FieldInput],
        remove: &[String],
    ) -> Result<Customer> {
        let c = self.rectify_customer_unaudited(actor, subject, set, remove)?;
        let (target, detail) = {
            let detail =
                format!("set={} remove={}", field_names(set.iter().map(|f| &f.name)), field_names(remove.iter()));
            (c.subject.clone(), detail)
        };
        self.audit_one(actor, "customers.rectify", target, detail)?;
        Ok(c)
    }

    pub fn delete_customer(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<bool> {
        let (sid, deleted) = self.delete_customer_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.delete", sid, format!("deleted={deleted}"))?;
        Ok(deleted)
    }

    pub fn list_customers(&mut self, actor: &Actor, cursor: Option<&str>, limit: u32) -> Result<CustomerPage> {
        let page = self.list_customers_unaudited(actor, cursor, limit)?;
        let (target, detail) =
            ("customers".into(), format!("{} records after {}", page.customers.len(), cursor.unwrap_or("the start")));
        self.audit_one(actor, "customers.list", target, detail)?;
        Ok(page)
    }

    /// A page of the duplicates report. Each page walks the whole file once (its records
    /// opened a page at a time, each leaving ~150 bytes of keys and id) and then examines up to
    /// `limit` candidate pairs after `cursor`, in the order of subject ids: a report of P
    /// candidates costs ⌈P / limit⌉ walks, and a pair that stays a candidate while the
    /// file changes between pages is examined exactly once.
    pub fn find_duplicates(&mut self, actor: &Actor, cursor: Option<&str>, limit: u32) -> Result<DuplicatesReport> {
        let report = self.find_duplicates_unaudited(actor, cursor, limit)?;
        let (target, detail) =
            ("customers".into(), format!("{} pairs after {}", report.pairs.len(), cursor.unwrap_or("the start")));
        self.audit_one(actor, "customers.duplicates", target, detail)?;
        Ok(report)
    }

    pub fn merge_customers(&mut self, actor: &Actor, kept: &SubjectRef, absorbed: &SubjectRef) -> Result<Customer> {
        let (c, gone) = self.merge_customers_unaudited(actor, kept, absorbed)?;
        self.audit_one(actor, "customers.merge", c.subject.clone(), format!("absorbed={gone}"))?;
        Ok(c)
    }

    pub fn review_customers(&mut self, actor: &Actor, cursor: Option<&str>, limit: u32) -> Result<ReviewPage> {
        let page = self.review_customers_unaudited(actor, cursor, limit)?;
        let (target, detail) =
            ("customers".into(), format!("{} records after {}", page.scanned, cursor.unwrap_or("the start")));
        self.audit_one(actor, "customers.review", target, detail)?;
        Ok(page)
    }

    pub fn mark_bounced(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        let c = self.mark_bounced_unaudited(actor, subject)?;
        self.audit_one(actor, "customers.bounced", c.subject.clone(), "field=email".into())?;
        Ok(c)
    }

    /// Record an event that starts a retention period: a contact the person initiated, the
    /// end of the relationship, or a login to the online account. `at` defaults to now; it may not be in the future.
    pub fn record_customer_event(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        event: CustomerEvent,
        at: Option<&str>,
    ) -> Result<Customer> {
        let r = self.record_customer_event_unaudited(actor, subject, event, at);
        let kind = match event {
            CustomerEvent::Contact => "contact",
            CustomerEvent::RelationshipEnded => "relationship-ended",
            CustomerEvent::Login => "login",
        };
        let v = r?;
        let c = &v;
        let (target, detail) = (c.subject.clone(), format!("event={kind}"));
        self.audit_one(actor, "customers.event", target, detail)?;
        Ok(v)
    }

    /// What the intermediate archive holds for a customer: restricted to the DPO and admins.
    pub fn archived_fields(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<ArchivedField>> {
        let (sid, archive) = self.archived_fields_unaudited(actor, subject)?;
        let detail = field_names(archive.iter().map(|a| &a.field.name));
        self.audit_one(actor, "customers.read-archive", sid, detail)?;
        Ok(archive)
    }

    pub fn reverify_customer(&mut self, actor: &Actor, subject: &SubjectRef, names: &[String]) -> Result<Customer> {
        let c = self.reverify_customer_unaudited(actor, subject, names)?;
        let (target, detail) = (c.subject.clone(), field_names(names.iter()));
        self.audit_one(actor, "customers.reverify", target, detail)?;
        Ok(c)
    }
}

/// `fields=a,b` (names only).
pub(super) fn field_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::from("fields=");
    for (i, n) in names.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(n);
    }
    out
}
