//! The first admin key of a deployment with no command line into its store, end to end
//! through the binary: `fichier api-key mint` prints a token and its SHA-256 without
//! opening a store; `fichier serve` given that SHA-256 as the setting
//! `bootstrap_admin_sha256` (here `FICHIER_CONFIG_BOOTSTRAP_ADMIN_SHA256`, a secret
//! variable on Spin) takes the token as an admin until an admin key exists.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};

use serde_json::Value;

mod support;

/// One HTTP/1.1 request: the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("status");
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_minted_token_makes_the_first_admin_key_over_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::keyed(dir.path()).args(["--json", "api-key", "mint"]).output().expect("mint");
    let minted = support::success_json(&["api-key", "mint"], &out);
    let token = minted["token"].as_str().expect("token").to_owned();
    let sha256 = minted["sha256"].as_str().expect("sha256").to_owned();
    assert_eq!(token.len(), 3 + 8 + 1 + 64, "{token}");
    assert_eq!(sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes())));
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "mint opens no store");

    let mut child = support::keyed(dir.path())
        .args(["--db", "shop.db", "serve", "--addr", "127.0.0.1:0"])
        .env("FICHIER_CONFIG_BOOTSTRAP_ADMIN_SHA256", &sha256)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let serving = Serving(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("the serving line");
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));

    assert_eq!(request(addr, "GET", "/v1/api-keys", "fk_00000000_00", "").0, 401);
    let (status, body) = request(addr, "POST", "/v1/api-keys", &token, r#"{"name": "back office", "role": "admin"}"#);
    assert_eq!(status, 200, "{body}");
    let made: Value = serde_json::from_str(&body).expect("json");
    let admin = made[1].as_str().expect("the new key's token").to_owned();
    assert_eq!(request(addr, "GET", "/v1/api-keys", &admin, "").0, 200);
    assert_eq!(request(addr, "GET", "/v1/api-keys", &token, "").0, 401, "the bootstrap token is spent");
    drop(serving);
}
