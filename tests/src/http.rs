//! A `fichier serve` server in the test process (hyper, wasmtime-wasi-http, one instance
//! per request) on loopback, and a raw HTTP/1.1 client, so every byte of a request is
//! the test's.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use fichier_host::kv::MemoryKv;
use fichier_host::serve::{ServeOptions, serve};
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

use crate::{TEST_KEY, admin, cache_dir, ok};

pub struct Server {
    pub addr: SocketAddr,
    pub rt: Arc<Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A server on a free loopback port over memory storage, the clock pinned at `now`.
    pub fn start(now: &str) -> Server {
        Server::start_with(now, &[])
    }

    /// The same with more `wasi:config` settings (e.g. `shop_origins`).
    pub fn start_with(now: &str, settings: &[(&str, &str)]) -> Server {
        let mut config = vec![("master_key".to_owned(), TEST_KEY.to_owned())];
        config.extend(settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let rt = Arc::new(
            RuntimeBuilder::new(Arc::new(MemoryKv::new(&["default", "keys"])))
                .config(config)
                .clock(Clock::pinned(now).unwrap())
                .cache_dir(Some(cache_dir()))
                .deadline(Some(Duration::from_secs(30)))
                .build()
                .unwrap(),
        );
        Server::serving(rt)
    }

    /// `fichier serve`'s server for `rt` (any component) on a free loopback port.
    pub fn serving(rt: Arc<Runtime>) -> Server {
        Server::serving_with(rt, ServeOptions::default())
    }

    /// The same with other limits (`opts.addr` is replaced by a free loopback port).
    pub fn serving_with(rt: Arc<Runtime>, opts: ServeOptions) -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = rt.clone();
        let opts = ServeOptions { addr: "127.0.0.1:0".parse().unwrap(), ..opts };
        let thread = std::thread::spawn(move || {
            let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            tokio
                .block_on(serve(served, opts, |a| addr_tx.send(a).unwrap(), async {
                    let _ = stopped.await;
                }))
                .unwrap();
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(120)).unwrap();
        Server { addr, rt, stop: Some(stop), thread: Some(thread) }
    }

    /// A new API key of `role`: its token.
    pub fn key(&self, role: &str) -> String {
        let r = ok(&self.rt, "settings", "create-api-key", &[admin(), json!(format!("{role} key")), json!(role)]);
        r[1].as_str().unwrap().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, String::from_utf8_lossy(&self.body)))
    }
}

/// Send raw request bytes; read the whole response (the request says `Connection: close`).
pub fn raw(addr: SocketAddr, request: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The server may answer (413) and close before reading a large body: ignore write errors.
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse(&buf)
}

pub fn parse(buf: &[u8]) -> Resp {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no response: {buf:?}"));
    let head = std::str::from_utf8(&buf[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp { status, headers, body }
}

pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

pub fn post(addr: SocketAddr, path: &str, token: Option<&str>, body: &Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        h.push(("Authorization", a));
    }
    request(addr, "POST", path, &h, body.to_string().as_bytes())
}

pub fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let h: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    request(addr, "GET", path, &h, b"")
}

/// `(status, field, rule)` of a problem response, checking its media type.
pub fn problem(r: &Resp) -> (u16, String, String) {
    assert_eq!(r.header("content-type"), Some("application/problem+json"), "{r:?}");
    let p = r.json();
    assert_eq!(p["status"], r.status, "{p}");
    assert!(p["type"].as_str().unwrap().starts_with("urn:fichier:problem:"), "{p}");
    (r.status, p["field"].as_str().unwrap().to_owned(), p["rule"].as_str().unwrap().to_owned())
}
