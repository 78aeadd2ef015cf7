//! The retention plan's unit tests: due dates on the shop's calendar.

use super::*;
use crate::kernel::time;
use crate::kernel::types::{Actor, Role};
use crate::registry::{Activity, RetentionAction, RetentionStart};

fn stamp(t: &str) -> Stamp {
    Stamp::from_instant(time::parse("t", t).expect("valid"))
}

/// One activity keeping contact data `months` from collection, then deleting it.
fn activity(months: u32) -> Activity {
    let mut a = crate::registry::defaults::shop().remove(0);
    a.retention = vec![RetentionRule {
        category: DataCategory::Contact,
        months,
        start: RetentionStart::Collection,
        action: RetentionAction::Delete,
        legal_hold: None,
    }];
    Activity {
        definition: a,
        revision: 1,
        retired: None,
        created_at: "2020-01-01T00:00:00.000Z".into(),
        changed_at: "2020-01-01T00:00:00.000Z".into(),
        changed_by: Actor { id: "a".into(), role: Role::Admin },
    }
}

/// Due dates on the Paris calendar (Reg. 1182/71 art. 3): a period of N months from an
/// event ends at the end (24:00 Paris time) of the day bearing the event's Paris date N
/// months on, or that month's last day; the data is due only from the next midnight,
/// whatever the hour of the event, across clock changes too.
#[test]
fn due_dates_follow_the_shop_calendar() {
    let table = [
        // (collected, months, due)
        // 29 February + 12 months: 28 February, ending at 24:00 CET (23:00 UTC).
        ("2024-02-29T09:00:00Z", 12, "2025-02-28T22:59:59.999Z"),
        ("2024-02-29T09:00:00Z", 48, "2028-02-29T22:59:59.999Z"),
        ("2023-01-31T11:00:00Z", 1, "2023-02-28T22:59:59.999Z"),
        // 30 April is in summer time: 24:00 CEST is 22:00 UTC.
        ("2023-03-31T10:00:00Z", 1, "2023-04-30T21:59:59.999Z"),
        // 31 May 23:30 UTC is 1 June 01:30 in Paris: one month on is 1 July.
        ("2023-05-31T23:30:00Z", 1, "2023-07-01T21:59:59.999Z"),
        // A winter event, a summer last day: the end of 15 July in Paris.
        ("2023-01-15T09:00:00Z", 6, "2023-07-15T21:59:59.999Z"),
        // 02:30 summer time, 26 October 2024; one year on, 26 October 2025 is the day
        // clocks go back (25 hours): it ends at midnight winter time, 23:00 UTC.
        ("2024-10-26T00:30:00Z", 12, "2025-10-26T22:59:59.999Z"),
        // 02:30 winter time, 30 March 2024; 30 March 2025 is the day clocks go forward
        // (23 hours): it ends at midnight summer time, 22:00 UTC.
        ("2024-03-30T01:30:00Z", 12, "2025-03-30T21:59:59.999Z"),
    ];
    for (collected, months, due) in table {
        let activities = [activity(months)];
        let cx = Context {
            activities: &activities,
            grants: Vec::new(),
            now: time::parse("now", "2040-01-01T00:00:00Z").expect("now"),
            zone: time::DEFAULT_ZONE,
            repermission_days: 30,
        };
        let planned = plan("s-x", &crate::customers::tests::phone_record(stamp(collected)), &cx);
        assert_eq!(planned[0].due.map(|d| d.to_string()).as_deref(), Some(due), "{collected} + {months}");
        assert_eq!(planned[0].action, SweepAction::Delete);
        // At that last millisecond the period still runs: nothing is due.
        let due_at = time::parse("due", due).expect("due");
        let before = Context { now: due_at, ..cx };
        let still = plan("s-x", &crate::customers::tests::phone_record(stamp(collected)), &before);
        assert!(still.iter().all(|e| e.action == SweepAction::NoRule), "{due}: {still:?}");
        assert_eq!(planned.last().map(|e| e.action), Some(SweepAction::DeleteRecord));
    }
}

/// Art. 17(3)(e): a field an open dispute names is archived, not deleted, once its rules
/// end, and stays in the archive while the dispute is open; closed, the rule deletes it.
#[test]
fn an_open_dispute_archives_instead_of_deleting() {
    let activities = [activity(12)];
    let cx = Context {
        activities: &activities,
        grants: Vec::new(),
        now: time::parse("now", "2030-01-01T00:00:00Z").expect("now"),
        zone: time::DEFAULT_ZONE,
        repermission_days: 30,
    };
    let mut body = crate::customers::tests::phone_record(stamp("2024-02-29T09:00:00Z"));
    body.disputes.push(crate::customers::Dispute {
        reference: "CB-1".into(),
        fields: vec!["phone".into()],
        opened_at: stamp("2024-06-01T09:00:00Z"),
        by: Actor { id: "dpo".into(), role: Role::Dpo },
    });
    let planned = plan("s-x", &body, &cx);
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert_eq!(
        (planned[0].action, planned[0].due.map(|d| d.to_string())),
        (SweepAction::Archive, Some("2025-02-28T22:59:59.999Z".into()))
    );
    let sweeper = Actor { id: "sweep".into(), role: Role::System };
    assert!(apply(&mut body, &planned, &sweeper, Stamp::from_instant(cx.now)));
    assert_eq!((body.fields.len(), body.archive.len()), (0, 1));
    // Archived and still disputed: nothing to do.
    assert!(plan("s-x", &body, &cx).is_empty());
    // Closed: deleted from the archive, and the empty record goes.
    body.disputes.clear();
    let actions: Vec<SweepAction> = plan("s-x", &body, &cx).into_iter().map(|e| e.action).collect();
    assert_eq!(actions, [SweepAction::DeleteArchived, SweepAction::DeleteRecord]);
}
