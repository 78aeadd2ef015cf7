//! Foundation benchmarks (run by hand: `cargo bench -p fichier-host --bench foundation`).
//!
//! 1. The same consent sequence (record a grant, read the status) through the domain
//!    crate natively and through the component in this host, both on in-memory stores:
//!    the ratio is the cost of WebAssembly. Reported with one instance for the whole
//!    sequence (logic and boundary only) and with one instance per call (as served).
//! 2. The cryptography alone, natively (wasm has no SHA/AES instructions, so it weighs
//!    more there).
//! 3. Instantiation from `InstancePre`, pooling and on demand.
//! 4. The release component's size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_domain::crypto::{DataKey, MasterKey, SeededEntropy, sha256_hex};
use fichier_domain::model as d;
use fichier_domain::store::MemoryStore;
use fichier_host::bindings::{consent as c, types as t};
use fichier_host::kv::MemoryKv;
use fichier_host::runtime::COMPONENT;
use fichier_host::{Clock, Runtime, RuntimeBuilder};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW: &str = "2026-03-01T10:00:00Z";
const OPS: usize = 2000;
const SUBJECTS: usize = 200;
const ROUNDS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn per_op(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

// ---------------------------------------------------------------- native

fn native_sequence() -> Duration {
    let store = MemoryStore::new();
    let master = MasterKey::from_hex(KEY).expect("key");
    let now = fichier_domain::time::parse("now", NOW).expect("now");
    let mut entropy = SeededEntropy::new(7);
    let admin = d::Actor { id: "bench".into(), role: d::Role::Admin };
    let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
    f.declare_purpose(
        &admin,
        d::PurposeInput {
            id: "newsletter".into(),
            kind: d::PurposeKind::Marketing,
            title: "Lettre".into(),
            validity_months: None,
        },
    )
    .expect("purpose");
    let notice = f
        .register_notice(
            &admin,
            d::NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Texte.".into() },
        )
        .expect("notice")
        .reference;
    let start = Instant::now();
    for i in 0..OPS {
        let email = format!("client{}@example.org", i % SUBJECTS);
        let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
        f.record_decision(
            &admin,
            d::ReceiptInput {
                subject: d::SubjectRef::Email(email.clone()),
                purpose: "newsletter".into(),
                decision: d::Decision::Grant,
                given_by: d::GivenBy::Subject,
                channel: d::Channel::WebForm,
                notice: Some(notice.clone()),
                at: None,
                receipt_id: None,
                client_ip: Some("192.0.2.1".into()),
                user_agent: Some("bench".into()),
                gpc: false,
                age: None,
            },
        )
        .expect("record");
        let st = f.status(&admin, &d::SubjectRef::Email(email)).expect("status");
        assert_eq!(st.purposes[0].state, d::ConsentState::Given);
    }
    start.elapsed()
}

// ---------------------------------------------------------------- component

fn runtime(pooling: bool) -> Runtime {
    let cache = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm");
    RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
        .config(vec![("master_key".into(), KEY.into())])
        .clock(Clock::pinned(NOW).expect("clock"))
        .cache_dir(Some(cache))
        .pooling(pooling)
        .build()
        .expect("runtime")
}

fn actor() -> t::Actor {
    t::Actor { id: "bench".into(), role: t::Role::Admin }
}

fn input(email: &str, notice: &str) -> c::ReceiptInput {
    c::ReceiptInput {
        subject: t::SubjectRef::Email(email.into()),
        purpose: "newsletter".into(),
        decision: c::Decision::Grant,
        given_by: c::GivenBy::Subject,
        channel: c::Channel::WebForm,
        notice: Some(notice.into()),
        at: None,
        receipt_id: None,
        client_ip: Some("192.0.2.1".into()),
        user_agent: Some("bench".into()),
        gpc: false,
        age: None,
    }
}

fn setup(rt: &Runtime) -> String {
    rt.call(|lib, store| {
        let consent = lib.fichier_client_consent();
        consent
            .call_declare_purpose(
                &mut *store,
                &actor(),
                &c::PurposeInput {
                    id: "newsletter".into(),
                    kind: c::PurposeKind::Marketing,
                    title: "Lettre".into(),
                    validity_months: None,
                },
            )?
            .map_err(|e| wasmtime::format_err!("{e:?}"))?;
        let n = consent
            .call_register_notice(
                &mut *store,
                &actor(),
                &c::NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Texte.".into() },
            )?
            .map_err(|e| wasmtime::format_err!("{e:?}"))?;
        Ok(n.reference)
    })
    .expect("setup")
}

fn component_sequence(per_call_instance: bool) -> Duration {
    let rt = runtime(true);
    let notice = setup(&rt);
    let step =
        |lib: &fichier_host::bindings::Library, store: &mut wasmtime::Store<_>, i: usize| -> wasmtime::Result<()> {
            let email = format!("client{}@example.org", i % SUBJECTS);
            let consent = lib.fichier_client_consent();
            consent
                .call_record_decision(&mut *store, &actor(), &input(&email, &notice))?
                .map_err(|e| wasmtime::format_err!("{e:?}"))?;
            let st = consent
                .call_status(&mut *store, &actor(), &t::SubjectRef::Email(email))?
                .map_err(|e| wasmtime::format_err!("{e:?}"))?;
            assert!(matches!(st.purposes[0].state, c::ConsentState::Given));
            Ok(())
        };
    let start = Instant::now();
    if per_call_instance {
        for i in 0..OPS {
            rt.call(|lib, store| step(lib, store, i)).expect("call");
        }
    } else {
        rt.call(|lib, store| (0..OPS).try_for_each(|i| step(lib, store, i))).expect("sequence");
    }
    start.elapsed()
}

// ---------------------------------------------------------------- crypto

fn crypto_native() -> (f64, f64) {
    let mut e = SeededEntropy::new(1);
    let k = DataKey::generate(&mut e);
    let plain = vec![7u8; 600]; // a sealed receipt is ~600 bytes
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        let s = k.seal("receipt", "s-x", &plain, &mut e);
        std::hint::black_box(k.open("receipt", "s-x", &s));
    }
    let seal_open = per_op(start.elapsed(), n);
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(sha256_hex(&plain));
    }
    (seal_open, per_op(start.elapsed(), n))
}

// ---------------------------------------------------------------- instantiation

fn instantiation(pooling: bool) -> (Duration, Duration) {
    let rt = runtime(pooling);
    for _ in 0..200 {
        drop(rt.instantiate().expect("instance"));
    }
    let mut times = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let start = Instant::now();
        let pair = rt.instantiate().expect("instance");
        times.push(start.elapsed());
        drop(pair);
    }
    (median(times.clone()), percentile(times, 0.99))
}

fn main() {
    println!(
        "fichier foundation benchmarks ({OPS} × record-decision + status over {SUBJECTS} subjects, {ROUNDS} rounds, medians)"
    );
    let native = median((0..ROUNDS).map(|_| native_sequence()).collect());
    let one = median((0..ROUNDS).map(|_| component_sequence(false)).collect());
    let per = median((0..ROUNDS).map(|_| component_sequence(true)).collect());
    println!("native domain crate:                 {:8.2} µs per record+status", per_op(native, OPS));
    println!(
        "component, one instance:             {:8.2} µs per record+status  ({:.2}× native)",
        per_op(one, OPS),
        one.as_secs_f64() / native.as_secs_f64()
    );
    println!(
        "component, one instance per call:    {:8.2} µs per record+status  ({:.2}× native)",
        per_op(per, OPS),
        per.as_secs_f64() / native.as_secs_f64()
    );
    let (seal, sha) = crypto_native();
    println!("crypto (native): seal+open 600 B {seal:.2} µs, SHA-256 600 B {sha:.2} µs");
    let (p50, p99) = instantiation(true);
    println!(
        "instantiate from InstancePre, pooling:   median {:.2} µs, p99 {:.2} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    let (p50, p99) = instantiation(false);
    println!(
        "instantiate from InstancePre, on demand: median {:.2} µs, p99 {:.2} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    println!("component size: {} bytes ({:.0} KiB; goal ≤ 1024 KiB)", COMPONENT.len(), COMPONENT.len() as f64 / 1024.0);
}
