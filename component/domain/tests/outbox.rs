//! The outbox as one entry per message: what queueing writes does not grow with what the
//! outbox holds, pages follow a cursor and skip what was acknowledged, and the single
//! document of earlier versions is split on first use, its numbers kept.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use fichier_domain::Fichier;
use fichier_domain::kernel::store::{Bucket, MemoryCas, MemoryStore, Store, StoreError, Swap, decode, encode};
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Lang, *};
use fichier_domain::outbox::*;
use fichier_domain::rights::*;
use support::World;

mod support;

fn system() -> Actor {
    Actor { id: "mailer".into(), role: Role::System }
}

fn request(email: &str) -> RequestInput {
    RequestInput {
        subject: SubjectRef::Email(email.into()),
        kind: RequestKind::Access,
        channel: RequestChannel::WebForm,
        received_at: None,
        lang: Lang::Fr,
        details: None,
        identity_verified: false,
        doubtful: None,
    }
}

/// A store that counts the writes (and their bytes) to the outbox's keys.
struct Counting<'a> {
    inner: &'a MemoryStore,
    writes: RefCell<(u32, usize)>,
}

impl Counting<'_> {
    fn note(&self, key: &str, len: usize) {
        if key.starts_with("outbox") {
            let mut w = self.writes.borrow_mut();
            w.0 += 1;
            w.1 += len;
        }
    }
}

impl Store for Counting<'_> {
    type Cas = (MemoryCas, String);
    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(bucket, key)
    }
    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(bucket, keys)
    }
    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.note(key, value.len());
        self.inner.set(bucket, key, value)
    }
    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.note(key, 0);
        self.inner.delete(bucket, key)
    }
    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(bucket, cursor)
    }
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StoreError> {
        let (cas, seen) = self.inner.cas_begin(bucket, key)?;
        Ok(((cas, key.to_string()), seen))
    }
    fn cas_swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Swap, StoreError> {
        self.note(&cas.1, value.len());
        self.inner.cas_swap(cas.0, value)
    }
}

/// Queue the identity message of a public request by `email`; the outbox writes it made
/// (count, bytes).
fn queue_counted(w: &mut World, email: &str) -> (u32, usize) {
    let counting = Counting { inner: &w.store, writes: RefCell::new((0, 0)) };
    let now = time::parse("now", &w.now).unwrap();
    let mut f = Fichier::new(&counting, &w.master, now, &mut w.entropy);
    f.new_request(&Actor { id: "form".into(), role: Role::Public }, request(email)).unwrap();
    counting.writes.into_inner()
}

#[test]
fn queueing_a_message_writes_the_same_whatever_the_outbox_holds() {
    let mut w = World::empty("2026-02-02T10:00:00Z", 7, 3);
    let first = queue_counted(&mut w, "p0@example.org");
    for i in 1..300 {
        queue_counted(&mut w, &format!("p{i}@example.org"));
    }
    let later = queue_counted(&mut w, "p300@example.org");
    // One swap gives the number, one write holds the message: with the single document
    // of earlier versions, the 301st message rewrote the 300 before it.
    assert_eq!(first.0, 2, "{first:?}");
    assert_eq!(later.0, first.0, "{first:?} then {later:?}");
    assert!(later.1 <= first.1 + 8, "bytes written grow with the outbox: {first:?} then {later:?}");
    // Acknowledging one is as cheap: its entry goes, one count moves.
    let page = w.f().outbox_pending(&system(), None, 1).unwrap();
    let counting = Counting { inner: &w.store, writes: RefCell::new((0, 0)) };
    let now = time::parse("now", &w.now).unwrap();
    let mut f = Fichier::new(&counting, &w.master, now, &mut w.entropy);
    assert!(f.outbox_ack(&system(), &page.messages[0].id).unwrap());
    assert_eq!(counting.writes.into_inner().0, 2);
}

#[test]
fn pages_follow_the_cursor_and_skip_what_was_acknowledged() {
    let mut w = World::empty("2026-02-02T10:00:00Z", 7, 4);
    for i in 0..25 {
        w.f()
            .new_request(&Actor { id: "form".into(), role: Role::Public }, request(&format!("q{i}@example.org")))
            .unwrap();
    }
    let all = |w: &mut World, limit: u32| {
        let (mut ids, mut after, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let page = w.f().outbox_pending(&system(), after.as_deref(), limit).unwrap();
            pages += 1;
            ids.extend(page.messages.into_iter().map(|m| m.id));
            match page.next {
                Some(n) => after = Some(n),
                None => return (ids, pages),
            }
        }
    };
    let (ids, pages) = all(&mut w, 10);
    assert_eq!(ids.len(), 25);
    assert_eq!(pages, 3);
    assert_eq!((ids[0].as_str(), ids[24].as_str()), ("M-000001", "M-000025"));
    // Acknowledged ones leave every page; the rest keep their order.
    for id in ["M-000001", "M-000002", "M-000003", "M-000010", "M-000025"] {
        assert!(w.f().outbox_ack(&system(), id).unwrap());
        assert!(!w.f().outbox_ack(&system(), id).unwrap(), "a second ack finds it gone");
    }
    let (ids, _) = all(&mut w, 7);
    assert_eq!(ids.len(), 20);
    assert_eq!((ids[0].as_str(), ids[19].as_str()), ("M-000004", "M-000024"));
    assert!(!ids.contains(&"M-000010".to_string()));
    // A bad cursor is a typed error.
    let e = w.f().outbox_pending(&system(), Some("M-1"), 10).unwrap_err();
    assert_eq!(e.field_error().map(|f| (f.field.as_str(), f.rule.as_str())), Some(("after", "id-syntax")));
    // The numbers go on after the last given, never reused.
    w.f().new_request(&Actor { id: "form".into(), role: Role::Public }, request("late@example.org")).unwrap();
    let (ids, _) = all(&mut w, 100);
    assert_eq!(ids.last().map(String::as_str), Some("M-000026"));
}

#[test]
fn the_single_outbox_document_of_earlier_versions_is_split_on_first_use() {
    let mut w = World::empty("2026-02-02T10:00:00Z", 7, 5);
    for i in 0..4 {
        w.f()
            .new_request(&Actor { id: "form".into(), role: Role::Public }, request(&format!("o{i}@example.org")))
            .unwrap();
    }
    assert!(w.f().outbox_ack(&system(), "M-000002").unwrap());
    // Put the store back as an earlier version kept it: one document, the same entries.
    let mut messages = Vec::new();
    for (bucket, key, value) in w.store.raw() {
        if key.starts_with("outbox/message/") {
            messages.push(decode::<OutboxEntry>(&key, &value).unwrap());
        }
        if key.starts_with("outbox/") {
            w.store.delete(bucket, &key).unwrap();
        }
    }
    messages.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(messages.len(), 3);
    w.store.raw_set(Bucket::Data, "outbox", encode(&Outbox { last: 4, messages }));
    // The first call reads it, splits it, and lists the same messages.
    let page = w.f().outbox_pending(&system(), None, 10).unwrap();
    let ids: Vec<_> = page.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["M-000001", "M-000003", "M-000004"]);
    assert_eq!(page.messages[1].to, "o2@example.org");
    assert!(w.store.raw().iter().all(|(_, k, _)| k != "outbox"), "the old document is gone");
    // Numbers go on after its last one; acknowledging a split message works.
    w.f().new_request(&Actor { id: "form".into(), role: Role::Public }, request("o4@example.org")).unwrap();
    assert!(w.f().outbox_ack(&system(), "M-000003").unwrap());
    let ids: Vec<_> = w.f().outbox_pending(&system(), None, 10).unwrap().messages.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["M-000001", "M-000004", "M-000005"]);
}

#[test]
fn reindex_counts_again_what_an_interrupted_acknowledgement_left_counted() {
    let mut w = World::empty("2026-02-02T10:00:00Z", 7, 6);
    for i in 0..5 {
        w.f()
            .new_request(&Actor { id: "form".into(), role: Role::Public }, request(&format!("r{i}@example.org")))
            .unwrap();
    }
    assert!(w.f().outbox_ack(&system(), "M-000001").unwrap());
    let removed = |w: &World| {
        let raw = w.store.raw();
        let (_, key, value) = raw.iter().find(|(_, k, _)| k == "outbox/removed").unwrap();
        decode::<OutboxRemoved>(key, value).unwrap().count
    };
    assert_eq!(removed(&w), 1);
    // An acknowledgement stopped after its delete, before its count.
    w.store.delete(Bucket::Data, "outbox/message/2").unwrap();
    assert_eq!(removed(&w), 1, "what waits looks like 4 messages, not 3");
    w.f().reindex(&Actor { id: "dpo".into(), role: Role::Dpo }).unwrap();
    assert_eq!(removed(&w), 2);
}
