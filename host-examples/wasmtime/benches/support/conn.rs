//! A `fichier serve` started, and a keep-alive HTTP/1.1 connection, for the load generators (`http_receipts`, `stores`,
//! `kv_calls`).
#![allow(dead_code)] // each bench uses its part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

/// Spawn `serve` (a `fichier … serve --addr 127.0.0.1:0` command) and read the address it
/// serves; its output is drained so it never blocks on a full pipe.
pub fn serving(mut serve: Command) -> (Child, SocketAddr) {
    let mut child = serve.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("serving line");
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect("address").parse().expect("addr");
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    (child, addr)
}

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Conn { reader: BufReader::new(s.try_clone().expect("clone")), writer: s }
    }

    /// One request on the kept-alive connection, with `headers`: the status and the body.
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.writer.write_all(req.as_bytes()).expect("write");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("content-length");
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Write `request` as it is and read until the server closes: the raw answer, headers
    /// included (for a request that says `Connection: close`).
    pub fn raw(&mut self, request: &[u8]) -> String {
        self.writer.write_all(request).expect("write");
        let mut raw = String::new();
        self.reader.read_to_string(&mut raw).expect("read");
        raw
    }

    /// A JSON POST with an API key.
    pub fn post(&mut self, path: &str, token: &str, body: &str) -> (u16, String) {
        let auth = format!("Bearer {token}");
        self.send("POST", path, &[("Content-Type", "application/json"), ("Authorization", &auth)], body)
    }
}
