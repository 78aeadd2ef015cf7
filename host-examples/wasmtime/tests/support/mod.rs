//! What the CLI's end-to-end tests share: the `fichier` binary run in a directory with
//! the test master key and the compiled-component cache every test run shares.
#![allow(dead_code)] // each test file uses its part

pub mod servers;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The master key of every test store.
pub const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// The precompiled component, shared by every run of the tests.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm")
}

/// The binary, run in `dir` with the master key in the environment and the shared cache.
pub fn keyed(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fichier"));
    c.current_dir(dir).env("FICHIER_MASTER_KEY", KEY).env("FICHIER_CACHE_DIR", cache_dir());
    c
}

/// The same with the clock pinned at `now` and no `FICHIER_DB` from the environment.
pub fn pinned(dir: &Path, now: &str) -> Command {
    let mut c = keyed(dir);
    c.env("FICHIER_PINNED_CLOCK", now).env_remove("FICHIER_DB");
    c
}

/// What a run of `args` printed as JSON, once it succeeded.
pub fn success_json(args: &[&str], out: &Output) -> Value {
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `fichier --db DB serve` on a free loopback port, its clock pinned at `now`; the child and
/// the address it serves (its output drained so it never blocks).
pub fn serve(dir: &Path, db: &str, now: &str) -> (Child, String) {
    let mut cmd = pinned(dir, now);
    cmd.args(["--db", db, "serve", "--addr", "127.0.0.1:0"]);
    serving(cmd)
}

/// Start `cmd`, a `fichier … serve` on port 0: the child and the address it printed (its
/// output drained so it never blocks).
pub fn serving(mut cmd: Command) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn fichier serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the serving line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, addr)
}

/// One POST on a new connection with an API key: the status and the body, or the
/// transport's error (a killed server).
pub fn post(addr: &str, path: &str, token: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut all = String::new();
    s.read_to_string(&mut all)?;
    let status = all.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let body = all.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// [`post`] that must answer 200: its JSON.
pub fn post_ok(addr: &str, path: &str, token: &str, body: &Value) -> Value {
    let (status, b) = post(addr, path, token, &body.to_string()).expect("an answer");
    assert_eq!(status, 200, "{path}: {b}");
    serde_json::from_str(&b).unwrap_or_else(|e| panic!("{path}: {e}: {b}"))
}

/// The values a customer's history (`/v1/customers/history`) gave `field`, upper-cased as
/// the register writes a commune.
pub fn field_values(history: &Value, field: &str) -> Vec<String> {
    history
        .as_array()
        .expect("a history")
        .iter()
        .filter(|c| c["field"] == field)
        .filter_map(|c| c["value"].as_str().map(str::to_uppercase))
        .collect()
}

/// A customer field of the `orders` purpose under contract, as `customers.create` takes it.
pub fn field(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value, "category": null, "purposes": ["orders"], "basis": "contract",
           "source": null, "collected-at": null, "verified-at": null})
}

/// `n` in letters (`a`, `b`, … `ba`…): a commune is letters.
pub fn word(mut n: u64) -> String {
    let mut w = vec![b'a' + (n % 26) as u8];
    while n >= 26 {
        n /= 26;
        w.push(b'a' + (n % 26) as u8);
    }
    w.reverse();
    String::from_utf8(w).expect("ascii")
}
