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
