//! A walk over the customer file by pages (the list, the sweep, the re-verification list)
//! resumes where its cursor stopped: every record there for the whole walk is visited
//! exactly once, in order, while other calls add and delete records between its pages;
//! a record deleted before the walk reaches it is not visited.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;

use fichier_domain::kernel::types::{PurposeKind, SubjectRef};
use support::{World, admin, field};

const NOW: &str = "2026-12-01T10:00:00.000Z";

fn email(n: u32) -> SubjectRef {
    SubjectRef::Email(format!("client{n}@example.org"))
}

fn create(w: &mut World, n: u32) -> String {
    let who = format!("client{n}@example.org");
    let fields = [field("email", &who, None, &["orders"], None)];
    w.f().create_customer(&admin(), &email(n), &fields).unwrap().subject
}

#[test]
fn a_walk_by_pages_visits_each_record_once_while_records_come_and_go() {
    let mut w = World::empty(NOW, 7, 1);
    w.declare(&[("orders", PurposeKind::Service)]);
    let mut stable = BTreeSet::new();
    let mut doomed = Vec::new();
    for n in 0..300 {
        let sid = create(&mut w, n);
        if n % 4 == 0 {
            doomed.push((n, sid))
        } else {
            stable.insert(sid);
        }
    }
    let (mut seen, mut cursor, mut added) = (Vec::new(), None::<String>, 300);
    let mut deleted = BTreeSet::new();
    loop {
        let page = w.f().list_customers(&admin(), cursor.as_deref(), 17).unwrap();
        for c in &page.customers {
            assert!(!deleted.contains(&c.subject), "a record deleted before the walk reached it is not visited");
            seen.push(c.subject.clone());
        }
        // Between pages: new customers (before and after the cursor), deletions.
        for _ in 0..5 {
            create(&mut w, added);
            added += 1;
        }
        for _ in 0..2 {
            if let Some((n, sid)) = doomed.pop() {
                assert!(w.f().delete_customer(&admin(), &email(n)).unwrap());
                deleted.insert(sid);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "in order, none twice");
    let seen: BTreeSet<String> = seen.into_iter().collect();
    assert_eq!(stable.difference(&seen).count(), 0, "every record there all along is visited");
    // The sweep walks the same way: a dry run by pages counts every record once.
    let mut scanned = 0;
    let mut cursor = None;
    loop {
        let options =
            fichier_domain::retention::SweepOptions { apply: false, cursor, limit: 23, repermission_days: 30 };
        let r = w.f().sweep(&admin(), &options).unwrap();
        scanned += r.scanned;
        match r.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let total = w.f().list_customers(&admin(), None, 1000).unwrap().customers.len() as u32;
    assert_eq!(scanned, total);
}

/// A customer whose phone it shares with the two others of its group of three.
fn create_with_phone(w: &mut World, n: u32) -> String {
    let who = format!("client{n}@example.org");
    let phone = format!("+336{:08}", n / 3);
    let fields = [field("email", &who, None, &["orders"], None), field("phone", &phone, None, &["orders"], None)];
    w.f().create_customer(&admin(), &email(n), &fields).unwrap().subject
}

#[test]
fn the_duplicates_report_by_pages_examines_each_pair_once_while_records_come_and_go() {
    let mut w = World::empty(NOW, 7, 1);
    w.declare(&[("orders", PurposeKind::Service)]);
    let mut sids = Vec::new();
    for n in 0..90 {
        sids.push(create_with_phone(&mut w, n));
    }
    // Every pair of a group of three, as the whole report gives it at once.
    let whole = w.f().find_duplicates(&admin(), None, 100_000).unwrap();
    assert_eq!(whole.next, None);
    assert_eq!(whole.pairs.len(), 90, "three pairs a group");
    // Records of groups 0, 5, 10, … are deleted as the walk goes; the others stay.
    let doomed: BTreeSet<&String> = sids.iter().enumerate().filter(|(n, _)| n / 3 % 5 == 0).map(|(_, s)| s).collect();
    let stable: BTreeSet<(String, String)> = whole
        .pairs
        .iter()
        .filter(|p| !doomed.contains(&p.a) && !doomed.contains(&p.b))
        .map(|p| (p.a.clone(), p.b.clone()))
        .collect();
    let (mut seen, mut cursor, mut added) = (Vec::new(), None::<String>, 90);
    let mut pages = 0;
    let mut gone = doomed.iter();
    loop {
        let page = w.f().find_duplicates(&admin(), cursor.as_deref(), 4).unwrap();
        pages += 1;
        seen.extend(page.pairs.iter().map(|p| (p.a.clone(), p.b.clone(), p.reason)));
        // Between pages: a new group of three (its pairs before or after the cursor) and a deletion.
        for _ in 0..3 {
            create_with_phone(&mut w, added);
            added += 1;
        }
        if let Some(sid) = gone.next() {
            w.f().delete_customer(&admin(), &SubjectRef::Subject(sid.to_string())).unwrap();
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(pages > 20, "{pages} pages");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
    let seen: BTreeSet<(String, String)> = seen.into_iter().map(|(a, b, _)| (a, b)).collect();
    let missed: Vec<_> = stable.difference(&seen).collect();
    assert!(missed.is_empty(), "every pair there all along is reported: {missed:?}");
    // A malformed cursor or limit is refused, naming the field and the rule.
    for (cursor, limit, rule) in [(Some("s-x.s-y"), 10, "cursor:duplicates-cursor"), (None, 0, "limit:range-1-100000")]
    {
        let e = w.f().find_duplicates(&admin(), cursor, limit).unwrap_err();
        let got = e.field_error().map(|f| format!("{}:{}", f.field, f.rule)).unwrap_or_default();
        assert_eq!(got, rule);
    }
}
