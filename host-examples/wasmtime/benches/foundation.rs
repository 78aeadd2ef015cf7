//! Foundation benchmarks (run by hand: `cargo bench -p fichier-host --bench foundation`).
//!
//! 1. The same consent sequence (record a grant, read the status; `fichier-bench-guest`):
//!    (a) through the domain crate natively, on an in-memory store; (b) through the same
//!    code compiled to wasm32-wasip2 and run by wasmtime (the cost of WebAssembly codegen
//!    alone, storage in the guest's memory); (c) through the component in this host, on
//!    the host's in-memory store, with one instance for the whole sequence (adds the
//!    component boundary) and with one instance per call (as served).
//! 2. The cryptography of one operation alone, natively and in wasm (wasm has no
//!    SHA/AES/AVX instructions, so it weighs more there), to separate it from the logic;
//!    and the customers bench's minimisation check, natively and in wasm (no boundary).
//! 3. Instantiation from `InstancePre`, pooling and on demand.
//! 4. The release component's size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_bench_guest::{KEY, NOW, OPS, SUBJECTS};
use fichier_host::bindings::{consent as c, types as t};
use fichier_host::kv::MemoryKv;
use fichier_host::runtime::COMPONENT;
use fichier_host::{Clock, Runtime, RuntimeBuilder};

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

/// The cookie banner's caller (the per-page-view path; not audited, unlike staff reads).
fn visitor() -> t::Actor {
    t::Actor { id: "banner".into(), role: t::Role::Public }
}

fn input(visitor: &str, notice: &str) -> c::ReceiptInput {
    c::ReceiptInput {
        subject: t::SubjectRef::External(visitor.into()),
        purpose: "newsletter".into(),
        decision: c::Decision::Grant,
        given_by: c::GivenBy::Subject,
        channel: c::Channel::CookieBanner,
        notice: Some(notice.into()),
        at: None,
        receipt_id: None,
        client_ip: Some("192.0.2.1".into()),
        user_agent: Some("bench".into()),
        gpc: false,
        age: None,
        customer: None,
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
                    serves: None,
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
            let id = format!("visitor-{}", i % SUBJECTS);
            let consent = lib.fichier_client_consent();
            consent
                .call_record_decision(&mut *store, &visitor(), &input(&id, &notice))?
                .map_err(|e| wasmtime::format_err!("{e:?}"))?;
            let st = consent
                .call_status(&mut *store, &visitor(), &t::SubjectRef::External(id))?
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

// ---------------------------------------------------------------- the workload in wasm

struct CommandState {
    wasi: wasmtime_wasi::WasiCtx,
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for CommandState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// `fichier-bench-guest` built for wasm32-wasip2 and compiled by wasmtime.
struct WasmWorkload {
    engine: wasmtime::Engine,
    pre: wasmtime_wasi::p2::bindings::sync::CommandPre<CommandState>,
}

impl WasmWorkload {
    fn build() -> Self {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let target_dir = root.join("target/bench-guest");
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args([
                "build",
                "--locked",
                "--release",
                "-p",
                "fichier-bench-guest",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target_dir)
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("cargo");
        assert!(status.success(), "building fichier-bench-guest for wasm32-wasip2");
        let wasm =
            std::fs::read(target_dir.join("wasm32-wasip2/release/fichier-bench-guest.wasm")).expect("bench guest");
        let engine = wasmtime::Engine::default();
        let component = wasmtime::component::Component::new(&engine, &wasm).expect("compile");
        let mut linker = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
        let pre = wasmtime_wasi::p2::bindings::sync::CommandPre::new(linker.instantiate_pre(&component).expect("pre"))
            .expect("command");
        Self { engine, pre }
    }

    /// One round in wasm: (sequence, crypto, minimisation check), µs/op.
    fn run(&self) -> (f64, f64, f64) {
        let out = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(4096);
        let wasi = wasmtime_wasi::WasiCtxBuilder::new().stdout(out.clone()).env("FICHIER_BENCH_ROUNDS", "1").build();
        let mut store =
            wasmtime::Store::new(&self.engine, CommandState { wasi, table: wasmtime::component::ResourceTable::new() });
        let command = self.pre.instantiate(&mut store).expect("instantiate");
        command.wasi_cli_run().call_run(&mut store).expect("run").expect("exit 0");
        let text = String::from_utf8_lossy(&out.contents()).to_string();
        let mut it = text.split_whitespace().map(|x| x.parse::<f64>().expect("number"));
        (it.next().expect("sequence"), it.next().expect("crypto"), it.next().expect("check"))
    }
}

// ---------------------------------------------------------------- instantiation

/// The cost of one small call with its own instance, and in a reused instance.
fn small_call() -> (f64, f64) {
    let rt = runtime(std::env::var("FICHIER_BENCH_ON_DEMAND").is_err());
    let call = |lib: &fichier_host::bindings::Library, store: &mut wasmtime::Store<_>| -> wasmtime::Result<()> {
        let p = lib.fichier_client_settings().call_get_policy(&mut *store, &actor())?;
        assert!(p.is_ok());
        Ok(())
    };
    let mut refused = Vec::new();
    for _ in 0..2000 {
        let start = Instant::now();
        rt.call(|lib, store| {
            let nobody = t::Actor { id: String::new(), role: t::Role::Admin };
            assert!(lib.fichier_client_settings().call_get_policy(&mut *store, &nobody)?.is_err());
            Ok(())
        })
        .expect("call");
        refused.push(start.elapsed());
    }
    println!(
        "a call refused before any import, fresh instance: {:.2} µs (median)",
        median(refused).as_secs_f64() * 1e6
    );
    let mut fresh = Vec::new();
    for _ in 0..2000 {
        let start = Instant::now();
        rt.call(|lib, store| call(lib, store)).expect("call");
        fresh.push(start.elapsed());
    }
    let mut reused = Vec::new();
    rt.call(|lib, store| {
        for _ in 0..2000 {
            let start = Instant::now();
            call(lib, store)?;
            reused.push(start.elapsed());
        }
        Ok(())
    })
    .expect("calls");
    (median(fresh).as_secs_f64() * 1e6, median(reused).as_secs_f64() * 1e6)
}

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
        "fichier foundation benchmarks ({OPS} × record-decision + status over {SUBJECTS} subjects, {ROUNDS} interleaved rounds, minimum)"
    );
    // Rounds interleave the variants so that drift of a shared machine hits them alike;
    // the minimum of the rounds is the least noisy estimate of CPU-bound work.
    let wasm_workload = WasmWorkload::build();
    let (mut native, mut native_crypto, mut wasm, mut wasm_crypto, mut one, mut per) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut native_check, mut wasm_check) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        native.push(per_op(fichier_bench_guest::sequence(), OPS));
        native_crypto.push(per_op(fichier_bench_guest::crypto(2000), 2000));
        native_check.push(per_op(fichier_bench_guest::check(2000), 2000));
        let (w, wc, wk) = wasm_workload.run();
        wasm.push(w);
        wasm_crypto.push(wc);
        wasm_check.push(wk);
        one.push(per_op(component_sequence(false), OPS));
        per.push(per_op(component_sequence(true), OPS));
    }
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let (native, native_crypto, wasm, wasm_crypto, one, per) =
        (min(native), min(native_crypto), min(wasm), min(wasm_crypto), min(one), min(per));
    let row = |name: &str, us: f64| println!("{name:<52} {us:8.2} µs/op  {:5.2}× native", us / native);
    row("a. domain crate, native", native);
    row("b. domain crate in wasm (wasmtime, guest memory)", wasm);
    row("c. component, one instance for the sequence", one);
    row("c'. component, one instance per call (as served)", per);
    println!(
        "cryptography of one op: native {native_crypto:.2} µs, wasm {wasm_crypto:.2} µs ({:.2}×)",
        wasm_crypto / native_crypto
    );
    println!(
        "without the cryptography: wasm codegen {:.2}× (b vs a), component {:.2}× (c vs a)",
        (wasm - wasm_crypto) / (native - native_crypto),
        (one - wasm_crypto) / (native - native_crypto)
    );
    let (native_check, wasm_check) = (min(native_check), min(wasm_check));
    println!(
        "minimisation check of one 9-field record (Fichier::check_record, in-memory store): native {native_check:.2} µs, \
         in wasm {wasm_check:.2} µs ({:.2}×; the component adds its boundary: `--bench customers`)",
        wasm_check / native_check
    );
    let (fresh, reused) = small_call();
    println!(
        "a small call (settings.get-policy): fresh instance {fresh:.2} µs, reused instance {reused:.2} µs (medians)"
    );
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
    println!(
        "component size: {} bytes ({:.0} KiB; goal ≤ 2 MiB since the customer file, 1 MiB before)",
        COMPONENT.len(),
        COMPONENT.len() as f64 / 1024.0
    );
}
