//! Customer records: loading (following merge pointers and e-mail aliases), sealing and
//! committing with one compare-and-swap, and the unaudited bodies of create, read,
//! history, rectify, delete and list (the audited operations are in `operations`).

use super::body::{encode_body, open_body, restriction_allows, sealed_context};
use super::fields::{FieldRules, apply};
use super::{
    AliasDoc, ChangeReason, Customer, CustomerBody, CustomerDoc, CustomerPage, CustomerState, FieldChange, FieldInput,
    MAX_HOPS, alias_key, customer_key, field_name, normalize,
};
use crate::consent::Purpose;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::DataKey;
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::keys::{WrappedKey, dek_key, missing_key};
use crate::kernel::policy::Policy;
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, DamagedRecord, SubjectRef};

/// A customer as loaded: where it is and what it holds.
pub(crate) struct Loaded {
    pub sid: String,
    pub doc: CustomerDoc,
    pub body: CustomerBody,
}

/// A loaded record and the data key it opened with.
pub(crate) type Keyed = (Loaded, DataKey);

/// A stored record read at `sid` is that subject's (a record copied under another key
/// does not open as someone else's).
fn doc_belongs(sid: &str, doc: &CustomerDoc) -> Result<()> {
    if doc.subject != sid {
        return Err(Error::corrupted(
            place(Bucket::Data, &customer_key(sid)),
            "subject-matches",
            "the record belongs to another subject",
        ));
    }
    Ok(())
}

/// An active record's sealed body.
fn sealed_body<'d>(sid: &str, doc: &'d CustomerDoc) -> Result<&'d [u8]> {
    doc.sealed.as_deref().ok_or_else(|| {
        Error::corrupted(
            place(Bucket::Data, &customer_key(sid)),
            "sealed-present",
            "an active record has no sealed body",
        )
    })
}

impl<S: Store> Fichier<'_, S> {
    pub(crate) fn open_customer(&mut self, sid: &str, doc: &CustomerDoc) -> Result<CustomerBody> {
        sealed_body(sid, doc)?;
        let dek = self.existing_data_key(sid)?;
        self.open_customer_with(sid, doc, &dek)
    }

    /// Open an active record's body with its data key, already read.
    fn open_customer_with(&self, sid: &str, doc: &CustomerDoc, dek: &DataKey) -> Result<CustomerBody> {
        let sealed = sealed_body(sid, doc)?;
        open_body(dek, sid, &customer_key(sid), doc.revision, sealed).map_err(|e| self.erased_instead(sid, e))
    }

    pub(crate) fn seal_customer(
        &mut self,
        sid: &str,
        revision: u32,
        body: &CustomerBody,
        dek: &DataKey,
    ) -> CustomerDoc {
        let plain = encode_body(body);
        let sealed = dek.seal(&sealed_context(sid, revision), sid, &plain, self.entropy);
        CustomerDoc { subject: sid.to_string(), revision, state: CustomerState::Active, sealed: Some(sealed) }
    }

    pub(crate) fn customer_doc(&self, sid: &str) -> Result<Option<CustomerDoc>> {
        let doc: Option<CustomerDoc> = self.get_doc(Bucket::Data, &customer_key(sid))?;
        if let Some(d) = &doc {
            doc_belongs(sid, d)?;
        }
        Ok(doc)
    }

    /// The active customer at `sid`, following merge pointers.
    fn load_at(&mut self, sid: &str) -> Result<Option<Loaded>> {
        Ok(self.load_following(sid)?.map(|(l, _)| l))
    }

    /// The active customer at `sid`, following merge pointers; `true` if it followed one.
    fn load_following(&mut self, sid: &str) -> Result<Option<(Loaded, bool)>> {
        let start = sid.to_string();
        let mut sid = sid.to_string();
        for _ in 0..MAX_HOPS {
            let Some(doc) = self.customer_doc(&sid)? else { return Ok(None) };
            match &doc.state {
                CustomerState::Active => {
                    let body = self.open_customer(&sid, &doc)?;
                    let followed = sid != start;
                    return Ok(Some((Loaded { sid, doc, body }, followed)));
                }
                CustomerState::Deleted => return Ok(None),
                CustomerState::MergedInto(next) => sid = next.clone(),
            }
        }
        Err(Error::corrupted(place(Bucket::Data, &customer_key(&sid)), "merge-chain", "too many merge pointers"))
    }

    /// The customer a reference designates, if any (an e-mail also finds a record
    /// whose `email` field it became by rectification).
    #[inline(never)]
    pub(crate) fn find_customer(&mut self, field: &str, r: &SubjectRef) -> Result<Option<Loaded>> {
        let sid = self.subject_id(field, r)?;
        let email = match r {
            SubjectRef::Email(e) => Some(normalize::email(&format!("{field}.email"), e)?),
            _ => None,
        };
        if let Some((found, followed)) = self.load_following(&sid)? {
            // A record merged away leads to the one that absorbed it; otherwise an
            // e-mail must still be the record's own.
            match &email {
                Some(e) if !followed && found.body.email() != Some(e.as_str()) => {}
                _ => return Ok(Some(found)),
            }
        }
        let Some(e) = email else { return Ok(None) };
        let Some(alias) = self.get_doc::<AliasDoc>(Bucket::Data, &alias_key(&sid))? else { return Ok(None) };
        if crate::kernel::keys::check_subject_id("alias", &alias.subject).is_err() {
            return Ok(None);
        }
        Ok(self.load_at(&alias.subject)?.filter(|l| l.body.email() == Some(e.as_str())))
    }

    #[inline(never)]
    pub(crate) fn require_customer(&mut self, field: &str, r: &SubjectRef) -> Result<Loaded> {
        self.check_master_key(false)?;
        self.find_customer(field, r)?
            .ok_or_else(|| Error::not_found(field, "customer-exists", "no customer record for this subject"))
    }

    /// A customer whose processing `actor` may carry out: a restricted record (Art. 18)
    /// is only stored; the DPO and admins still handle it (rectify it, lift the
    /// restriction, answer the person), no one else processes it.
    pub(crate) fn require_processable(&mut self, actor: &Actor, field: &str, r: &SubjectRef) -> Result<Loaded> {
        let l = self.require_customer(field, r)?;
        restriction_allows(actor, &l.body)?;
        Ok(l)
    }

    /// Which active customer holds `email` (normalised), if any.
    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.find_customer("email", &SubjectRef::Email(email.to_string()))?.map(|l| l.sid))
    }

    pub(crate) fn rules(&self) -> Result<(Vec<Purpose>, Policy)> {
        Ok((self.purposes()?, self.current_policy()?))
    }

    /// After a commit: directory entry and e-mail alias (derived, best effort; reindex repairs).
    fn after_commit(&mut self, sid: &str, body: &CustomerBody) {
        let _ = self.index_in(Directory::Customers, sid);
        self.alias_after_commit(sid, body);
    }

    /// The e-mail alias of a committed record, when its e-mail does not name it.
    pub(crate) fn alias_after_commit(&mut self, sid: &str, body: &CustomerBody) {
        if let Some(email) = body.email()
            && let Ok(esid) = self.subject_id("email", &SubjectRef::Email(email.to_string()))
            && esid != sid
        {
            let _ = self.set_alias(&esid, sid);
        }
    }

    pub(crate) fn set_alias(&mut self, esid: &str, sid: &str) -> Result<()> {
        let target = sid.to_string();
        self.update::<AliasDoc, ()>(
            Bucket::Data,
            &alias_key(esid),
            |_, current| match current {
                Some(a) if a.subject == target => Ok(None),
                _ => Ok(Some((AliasDoc { subject: target.clone() }, ()))),
            },
            || (),
        )
    }

    /// Write a new revision of `sid` holding `body`, if the record is still at `seen`,
    /// then its derived entries. Returns the committed customer.
    fn commit_customer(&mut self, sid: &str, seen: Option<u32>, body: CustomerBody, dek: &DataKey) -> Result<Customer> {
        let result = self.commit_customer_only(sid, seen, body, dek, None)?;
        self.after_commit(sid, &result.body);
        Ok(result)
    }

    /// The commit alone (the caller writes the derived entries, e.g. once per batch),
    /// from a compare-and-swap on the record the caller has begun, if any.
    pub(crate) fn commit_customer_only(
        &mut self,
        sid: &str,
        seen: Option<u32>,
        body: CustomerBody,
        dek: &DataKey,
        begun: Option<(S::Cas, Option<Vec<u8>>)>,
    ) -> Result<Customer> {
        let key = customer_key(sid);
        let sid_owned = sid.to_string();
        let revision = self.update_from::<CustomerDoc, u32>(
            Bucket::Data,
            &key,
            begun,
            |this, current| {
                let current_rev = current.as_ref().map(|d| d.revision);
                let active = current.as_ref().is_some_and(|d| d.state == CustomerState::Active);
                if active != seen.is_some() || (active && current_rev != seen) {
                    return Err(Error::conflict(
                        place(Bucket::Data, &customer_key(&sid_owned)),
                        "revision",
                        "the record changed during the call; read it again",
                    ));
                }
                if let Some(CustomerState::MergedInto(into)) = current.as_ref().map(|d| &d.state) {
                    return Err(Error::conflict(
                        "subject",
                        "customer-merged",
                        format!("this record was merged into {into}"),
                    ));
                }
                let revision = current_rev.unwrap_or(0) + 1;
                let doc = this.seal_customer(&sid_owned, revision, &body, dek);
                Ok(Some((doc, revision)))
            },
            || unreachable!("commit always writes"),
        )?;
        Ok(Customer { subject: sid_owned, revision, body })
    }

    pub(crate) fn create_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        inputs: &[FieldInput],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let sid = self.subject_id("subject", subject)?;
        if inputs.is_empty() {
            return Err(Error::invalid("fields", "non-empty", "a customer has at least one field"));
        }
        let (purposes, policy) = self.rules()?;
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let fields = rules.fields("fields", inputs, &[])?;
        rules.refuse_forbidden("fields", inputs)?;
        let email = fields.iter().find(|f| f.name == "email").map(|f| f.value.clone());
        if let SubjectRef::Email(e) = subject {
            let e = normalize::email("subject.email", e)?;
            if email.as_deref() != Some(e.as_str()) {
                return Err(Error::invalid(
                    "fields",
                    "email-matches-subject",
                    "a customer named by e-mail has that address as its email field",
                ));
            }
        }
        self.check_master_key(true)?;
        if let Some(e) = &email
            && let Some(owner) = self.email_owner(e)?
        {
            return Err(Error::conflict(
                "fields.email",
                if owner == sid { "customer-exists" } else { "email-taken" },
                format!("the customer {owner} already has this e-mail address"),
            ));
        }
        if let Some(doc) = self.customer_doc(&sid)? {
            match doc.state {
                CustomerState::Active => {
                    return Err(Error::conflict("subject", "customer-exists", "this customer already has a record"));
                }
                CustomerState::MergedInto(into) => {
                    return Err(Error::conflict(
                        "subject",
                        "customer-merged",
                        format!("this record was merged into {into}"),
                    ));
                }
                CustomerState::Deleted => {}
            }
        }
        let now = Stamp::from_instant(self.now);
        let mut body = CustomerBody::new(now);
        apply(&mut body, fields, &[], ChangeReason::Created, actor, now);
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("data key not created".into()))?;
        self.commit_customer(&sid, None, body, &dek)
    }

    pub(crate) fn get_customer_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        authorize(actor, Operation::ReadCustomer)?;
        let l = self.require_processable(actor, "subject", subject)?;
        Ok(Customer { subject: l.sid, revision: l.doc.revision, body: l.body })
    }

    /// The record's subject id and history.
    pub(crate) fn customer_history_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
    ) -> Result<(String, Vec<FieldChange>)> {
        authorize(actor, Operation::ReadCustomer)?;
        let l = self.require_processable(actor, "subject", subject)?;
        Ok((l.sid, l.body.history))
    }

    /// Change a loaded customer with `change`; writes only if it reports a change.
    pub(crate) fn change_customer(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        mut change: impl FnMut(&mut Self, &mut CustomerBody) -> Result<bool>,
    ) -> Result<Customer> {
        for _ in 0..crate::kernel::context::CAS_ATTEMPTS {
            let l = self.require_processable(actor, "subject", subject)?;
            let mut body = l.body.clone();
            if !change(self, &mut body)? {
                return Ok(Customer { subject: l.sid, revision: l.doc.revision, body: l.body });
            }
            let dek = self.existing_data_key(&l.sid)?;
            match self.commit_customer(&l.sid, Some(l.doc.revision), body, &dek) {
                Err(Error::Conflict(e)) if e.rule == "revision" => continue,
                other => return other,
            }
        }
        Err(Error::conflict("subject", "compare-and-swap", "the record keeps changing; retry later"))
    }

    pub(crate) fn rectify_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        set: &[FieldInput],
        remove: &[String],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        for (i, name) in remove.iter().enumerate() {
            field_name(&format!("remove[{i}]"), name)?;
            if set.iter().any(|f| &f.name == name) {
                return Err(Error::invalid(
                    format!("remove[{i}]"),
                    "set-or-remove",
                    "a field is set or removed, not both",
                ));
            }
        }
        let (purposes, policy) = self.rules()?;
        let rules = FieldRules::new(&purposes, self.now, &policy);
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |this, body| {
            let fields = rules.fields("set", set, &body.fields)?;
            rules.refuse_forbidden("set", set)?;
            for (i, name) in remove.iter().enumerate() {
                if body.field(name).is_none() {
                    return Err(Error::not_found(
                        format!("remove[{i}]"),
                        "field-exists",
                        "the record has no such field",
                    ));
                }
            }
            if let Some(e) = fields.iter().find(|f| f.name == "email")
                && body.email() != Some(e.value.as_str())
                && this.email_owner(&e.value)?.is_some()
            {
                return Err(Error::conflict("set.email", "email-taken", "another customer has this e-mail address"));
            }
            Ok(apply(body, fields.clone(), remove, ChangeReason::Rectified, actor, now))
        })
    }

    /// The record's subject id (the reference's own when there is none) and whether it
    /// was deleted.
    pub(crate) fn delete_customer_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<(String, bool)> {
        authorize(actor, Operation::DeleteCustomer)?;
        self.check_master_key(false)?;
        let Some(l) = self.find_customer("subject", subject)? else {
            return Ok((self.subject_id("subject", subject)?, false));
        };
        restriction_allows(actor, &l.body)?;
        let deleted = self.delete_record(&l.sid)?;
        Ok((l.sid, deleted))
    }

    /// Every active customer id in the directory, sorted.
    pub(crate) fn customer_ids(&self) -> Result<Vec<String>> {
        self.indexed_in(Directory::Customers)
    }

    /// The active record stored at `sid` (no merge pointer followed).
    pub(crate) fn load_active(&mut self, sid: &str) -> Result<Option<Loaded>> {
        match self.customer_doc(sid)? {
            Some(doc) if doc.state == CustomerState::Active => {
                let body = self.open_customer(sid, &doc)?;
                Ok(Some(Loaded { sid: sid.to_string(), doc, body }))
            }
            _ => Ok(None),
        }
    }

    /// Load several customers (skipping any no longer active).
    /// The active records of `sids`, and those that did not open (named, left out): one
    /// damaged record does not hide the others. A store that fails still fails the call.
    pub(crate) fn load_many(&mut self, sids: &[String]) -> Result<(Vec<Loaded>, Vec<DamagedRecord>)> {
        let (opened, damaged) = self.load_many_keyed(sids)?;
        Ok((opened.into_iter().map(|(l, _)| l).collect(), damaged))
    }

    /// [`Fichier::load_many`], each record with its data key: two reads of the store
    /// (`get-many` of the records, then of their wrapped keys) whatever the number of
    /// records, where loading them one by one took two a record — a walk's page of 1 000
    /// records crossed into the host 2 000 times, and a database server's store answers
    /// each read with a round trip.
    pub(crate) fn load_many_keyed(&mut self, sids: &[String]) -> Result<(Vec<Keyed>, Vec<DamagedRecord>)> {
        let mut damaged = Vec::new();
        let keep = |sid: &str, e: Error, damaged: &mut Vec<DamagedRecord>| -> Result<()> {
            damaged.push(DamagedRecord::of(sid, &e).ok_or(e)?);
            Ok(())
        };
        let keys: Vec<String> = sids.iter().map(|sid| customer_key(sid)).collect();
        let mut active = Vec::with_capacity(sids.len());
        for (sid, doc) in sids.iter().zip(self.get_docs::<CustomerDoc>(Bucket::Data, &keys)?) {
            let Some(doc) = doc else { continue };
            match doc.and_then(|d| doc_belongs(sid, &d).map(|()| d)) {
                Ok(doc) if doc.state == CustomerState::Active => active.push((sid, doc)),
                Ok(_) => {}
                Err(e) => keep(sid, e, &mut damaged)?,
            }
        }
        let dek_keys: Vec<String> = active.iter().map(|(sid, _)| dek_key(sid)).collect();
        let wrapped = self.get_docs::<WrappedKey>(Bucket::Keys, &dek_keys)?;
        let mut out = Vec::with_capacity(active.len());
        for ((sid, doc), w) in active.into_iter().zip(wrapped) {
            let opened = w
                .unwrap_or_else(|| Err(missing_key(sid)))
                .and_then(|w| self.open_data_key(sid, &w))
                .and_then(|dek| self.open_customer_with(sid, &doc, &dek).map(|body| (body, dek)));
            match opened {
                Ok((body, dek)) => out.push((Loaded { sid: sid.to_owned(), doc, body }, dek)),
                Err(e) => keep(sid, e, &mut damaged)?,
            }
        }
        Ok((out, damaged))
    }

    /// A page of active records from `cursor`: the records, those that did not open, and
    /// the next cursor.
    #[allow(clippy::type_complexity)]
    pub(crate) fn page(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Loaded>, Vec<DamagedRecord>, Option<String>)> {
        let (ids, next) = self.page_ids(cursor, limit)?;
        let (loaded, damaged) = self.load_many(&ids)?;
        Ok((loaded, damaged, next))
    }

    /// The ids of a page of customers from `cursor`, and the next cursor.
    fn page_ids(&mut self, cursor: Option<&str>, limit: u32) -> Result<(Vec<String>, Option<String>)> {
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "a page holds 1 to 1000 records"));
        }
        if let Some(c) = cursor {
            crate::kernel::keys::check_subject_id("cursor", c)?;
        }
        self.check_master_key(false)?;
        // From the directory's shard where the cursor stopped: a walk by pages reads the
        // directory once, whatever the size of the file.
        let (ids, more) = self.indexed_page(Directory::Customers, cursor, limit as usize)?;
        let next = if more { ids.last().cloned() } else { None };
        Ok((ids, next))
    }

    /// [`Fichier::page`], each record with its data key.
    pub(crate) fn page_keyed(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Keyed>, Vec<DamagedRecord>, Option<String>)> {
        let (ids, next) = self.page_ids(cursor, limit)?;
        let (loaded, damaged) = self.load_many_keyed(&ids)?;
        Ok((loaded, damaged, next))
    }

    pub(crate) fn list_customers_unaudited(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<CustomerPage> {
        authorize(actor, Operation::ListCustomers)?;
        let (loaded, damaged, next) = self.page(cursor, limit)?;
        Ok(CustomerPage {
            customers: loaded
                .into_iter()
                .filter(|l| restriction_allows(actor, &l.body).is_ok())
                .map(|l| Customer { subject: l.sid, revision: l.doc.revision, body: l.body })
                .collect(),
            next,
            damaged,
        })
    }

    /// What the customer file holds, per (data category, purpose): how many fields. Reads
    /// every active record (for the register's consistency check).
    /// Records that did not open are left out of the counts and returned, named.
    pub(crate) fn customer_usage(&mut self) -> Result<(crate::registry::Usage, Vec<DamagedRecord>)> {
        self.check_master_key(false)?;
        let ids = self.customer_ids()?;
        let mut usage = crate::registry::Usage::new();
        let mut damaged = Vec::new();
        for chunk in ids.chunks(256) {
            let (loaded, bad) = self.load_many(chunk)?;
            damaged.extend(bad);
            for l in loaded {
                for f in l.body.fields.iter().chain(l.body.archive.iter().map(|a| &a.field)) {
                    for p in &f.purposes {
                        *usage.entry((f.category, p.clone())).or_default() += 1;
                    }
                }
            }
        }
        Ok((usage, damaged))
    }
}
