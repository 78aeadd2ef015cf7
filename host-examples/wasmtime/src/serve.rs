//! `fichier serve`: the component's REST face over HTTP/1.1 (hyper on Tokio), one
//! fresh instance per request from the runtime's `InstancePre`, as Spin serves it.
//!
//! What the host adds around the component, and nothing more:
//! - **The client address**, in `spin-client-addr` as Spin sets it: appended after any
//!   `spin-client-addr` the client sent, as Spin does, so only the last value is the
//!   platform's (the component takes that one, never a client's).
//! - **Limits**: a request target over [`MAX_TARGET`] bytes is `414`, a header section
//!   over [`MAX_HEAD`] bytes or [`MAX_FIELDS`] fields is `431`, each a problem+json answer
//!   naming the limit (past what the connection's parser takes, [`PARSER_BUFFER`] bytes of
//!   head or a 64 KiB target, the parser's own empty answer is replaced by the same
//!   problem, as is its `400` for a request it cannot parse: [`ProblemOnParseError`]); the body is
//!   read whole before the component runs, and one over
//!   [`ServeOptions::max_body`] is `413` without running it (declared or streamed);
//!   request headers must arrive within [`ServeOptions::header_timeout`]; a request
//!   not read and answered within [`ServeOptions::timeout`] is `503` and its instance
//!   is interrupted (epoch deadline).
//! - **Graceful shutdown**: when `shutdown` resolves (SIGINT or SIGTERM for the CLI),
//!   the listener closes, idle connections close, and requests in flight finish (up to
//!   [`ServeOptions::grace`]).
//! - **Acknowledged once durable**: an answer is sent only after the request's writes
//!   are committed and synced (the response body is read while the component writes
//!   it, then the commit awaited).
//! - **Group commit** on a grouped store ([`crate::kv::GroupedKv`], what
//!   `fichier serve` opens): requests run concurrently and the writes of those finishing
//!   during one commit share the next (one fsync for many). On a store with batches,
//!   each request's writes are one transaction on shared connections, so requests run
//!   one at a time (`gate`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWrite;
use tokio::net::TcpListener;

use crate::runtime::{CallError, HttpResponse, Runtime};

/// The header Spin uses for the client's address (`ip:port`).
pub const CLIENT_ADDR: &str = "spin-client-addr";
/// The longest request target (path and query) answered: 8 KiB, what common servers take.
pub const MAX_TARGET: usize = 8 * 1024;
/// The largest header section answered (names and values): 32 KiB.
pub const MAX_HEAD: usize = 32 * 1024;
/// The most header fields answered.
pub const MAX_FIELDS: usize = 100;
/// What the connection's parser reads of a request head at most: past [`MAX_TARGET`] and
/// [`MAX_HEAD`], so that an oversized request is usually read and answered by
/// [`head_over_limits`].
pub const PARSER_BUFFER: usize = 1 << 20;
/// Fields the connection's parser takes, past [`MAX_FIELDS`] for the same reason.
const PARSER_FIELDS: usize = 1000;

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// The largest request body accepted (bytes).
    pub max_body: usize,
    /// A request not answered by then is `503`.
    pub timeout: Duration,
    /// Headers must be read by then, or the connection closes.
    pub header_timeout: Duration,
    /// How long requests in flight may run on after shutdown starts.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body: 4 << 20,
            timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(30),
        }
    }
}

/// The body of a problem answer (`application/problem+json`, RFC 9457) made by a host
/// itself, when the component never ran: the same shape as the component's own.
pub fn problem_body(status: StatusCode, kind: &str, field: &str, rule: &str, detail: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "type": format!("urn:fichier:problem:{kind}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "detail": detail,
        "field": field,
        "rule": rule,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The detail of the answer to a body over `max` bytes.
pub fn too_large_detail(max: usize) -> String {
    format!("a request body is at most {max} bytes")
}

/// A problem response made by the host itself (the component never ran).
fn problem(status: StatusCode, kind: &str, field: &str, rule: &str, detail: &str) -> HttpResponse {
    let bytes = Bytes::from(problem_body(status, kind, field, rule, detail));
    let mut r = Response::new(Full::new(bytes).map_err(|never: Infallible| match never {}).boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn too_large(max: usize) -> HttpResponse {
    problem(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "body", "max-bytes", &too_large_detail(max))
}

/// The answer to a head over [`MAX_TARGET`] (`target`) or [`MAX_HEAD`] (`headers`).
fn limit_problem(status: StatusCode) -> (&'static str, &'static str, String) {
    if status == StatusCode::URI_TOO_LONG {
        ("target", "max-bytes", format!("a request target is at most {MAX_TARGET} bytes"))
    } else {
        ("headers", "max-bytes", format!("a request's header fields are at most {MAX_HEAD} bytes"))
    }
}

/// The connection as hyper sees it, with one change: the parser answers a request it
/// cannot take itself (a target over its 64 KiB, a head over [`PARSER_BUFFER`], bad
/// syntax) with an empty `400`, `414` or `431` and closes; in its place this writes the
/// problem+json answer of the same status, so no answer lacks a body saying why. Such an
/// answer is recognised as the only one with one of these statuses and `content-length: 0`
/// (the component's and this server's problems always have a body).
struct ProblemOnParseError {
    inner: tokio::net::TcpStream,
    /// The answer being written in place of the parser's, and how much of it is written.
    replacing: Option<(Vec<u8>, usize)>,
}

/// The status of the parser's own empty answer, if `buf` is one.
fn parser_answer(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ").or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let status = match rest.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let empty = buf[..end].windows(21).any(|w| w.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    (end == buf.len() && empty).then_some(status)
}

/// The whole answer written in place of the parser's.
fn parse_error_answer(status: StatusCode) -> Vec<u8> {
    let body = if status == StatusCode::BAD_REQUEST {
        problem_body(status, "invalid-input", "request", "http-syntax", "the request is not valid HTTP/1.1")
    } else {
        let (field, rule, detail) = limit_problem(status);
        problem_body(status, "too-large", field, rule, &detail)
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

impl ProblemOnParseError {
    /// Write what replaces the parser's answer; `len` is how much hyper asked to write.
    fn poll_replacing(
        &mut self,
        cx: &mut std::task::Context<'_>,
        len: usize,
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        while let Some((bytes, done)) = self.replacing.as_mut() {
            if *done == bytes.len() {
                self.replacing = None;
                break;
            }
            match std::pin::Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *done += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(len))
    }
}

impl tokio::io::AsyncRead for ProblemOnParseError {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ProblemOnParseError {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.replacing.is_none() {
            match parser_answer(buf) {
                Some(status) => self.replacing = Some((parse_error_answer(status), 0)),
                None => return std::pin::Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        self.poll_replacing(cx, buf.len())
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        // The parser's answer is a head alone, in one slice.
        let len = bufs.iter().map(|b| b.len()).sum();
        if self.replacing.is_none() {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
            match parser_answer(first).filter(|_| first.len() == len) {
                Some(status) => self.replacing = Some((parse_error_answer(status), 0)),
                None => return std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
            }
        }
        self.poll_replacing(cx, len)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The answer to a request head over the limits, if it is: `414` for the target, `431`
/// for the header section or its fields (the component never runs).
fn head_over_limits<B>(req: &Request<B>) -> Option<HttpResponse> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_TARGET {
        let (field, rule, detail) = limit_problem(StatusCode::URI_TOO_LONG);
        return Some(problem(StatusCode::URI_TOO_LONG, "too-large", field, rule, &detail));
    }
    let fields = req.headers().len();
    if fields > MAX_FIELDS {
        return Some(problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too-large",
            "headers",
            "max-fields",
            &format!("a request has at most {MAX_FIELDS} header fields"),
        ));
    }
    let size: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if size > MAX_HEAD {
        let (field, rule, detail) = limit_problem(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        return Some(problem(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too-large", field, rule, &detail));
    }
    None
}

struct Shared {
    rt: Arc<Runtime>,
    gate: Mutex<()>,
    opts: ServeOptions,
}

async fn handle(shared: Arc<Shared>, peer: SocketAddr, req: Request<Incoming>) -> Result<HttpResponse, Infallible> {
    let opts = &shared.opts;
    if let Some(over) = head_over_limits(&req) {
        return Ok(over);
    }
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > opts.max_body as u64) {
        return Ok(too_large(opts.max_body));
    }
    let (mut parts, body) = req.into_parts();
    // As Spin does: the peer's address is appended after any `spin-client-addr` the
    // client sent (the component takes the last one), so a test against this server
    // catches a component that would believe the client.
    if let Ok(v) = HeaderValue::from_str(&peer.to_string()) {
        parts.headers.append(CLIENT_ADDR, v);
    }
    // The body is read here, on the connection's task, before the component runs: a
    // request in the component never waits on the network (the deadline covers the
    // read), and a streamed body over the limit is 413 without running it.
    // One deadline for reading the request and answering it.
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let body = match tokio::time::timeout_at(deadline, Limited::new(body, opts.max_body).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Ok(too_large(opts.max_body)),
        Ok(Err(_broken)) => {
            // The component's own answer to a body it cannot read.
            return Ok(problem(
                StatusCode::BAD_REQUEST,
                "invalid-input",
                "body",
                "readable",
                "the body could not be read",
            ));
        }
        Err(_elapsed) => return Ok(timed_out(opts.timeout)),
    };
    let body = Full::new(body).map_err(|never: Infallible| -> wasmtime_wasi_http::Error { match never {} });
    let request = Request::from_parts(parts, body);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = shared.clone();
    let mut task = tokio::task::spawn_blocking(move || {
        // A batch is one transaction on shared connections: one request at a time. A
        // grouped store takes concurrent requests and commits them together.
        let _gate =
            (!worker.rt.grouped()).then(|| worker.gate.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        worker.rt.handle_http(request, tx)
    });
    // The answer goes out only once the request's writes are durable: its body is read
    // while the component writes it, then the worker's commit is awaited.
    let answer = async {
        let resp = match rx.await {
            Ok(Ok(resp)) => resp,
            Ok(Err(code)) => {
                return Err(format!("the component answered with an error: {code:?}"));
            }
            Err(_no_response) => {
                // The handler returned (or trapped) without setting a response.
                let done = (&mut task).await;
                if matches!(&done, Ok(Err(e)) if e.is_deadline()) {
                    return Ok(timed_out(opts.timeout));
                }
                return Err(match done {
                    Ok(Err(CallError::Trap(e))) => format!("the component trapped: {e:#}"),
                    Ok(Err(e)) => e.to_string(),
                    Ok(Ok(())) => "the component set no response".into(),
                    Err(e) => format!("the request's worker failed: {e}"),
                });
            }
        };
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map_err(|e| format!("the component's answer broke off: {e:?}"))?.to_bytes();
        match (&mut task).await {
            Ok(Ok(())) => {
                Ok(Response::from_parts(parts, Full::new(bytes).map_err(|never| match never {}).boxed_unsync()))
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("the request's worker failed: {e}")),
        }
    };
    match tokio::time::timeout_at(deadline, answer).await {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(why)) => {
            eprintln!("fichier serve: {why}");
            Ok(problem(StatusCode::INTERNAL_SERVER_ERROR, "other", "", "", "the request could not be served"))
        }
        Err(_elapsed) => Ok(timed_out(opts.timeout)),
    }
}

fn timed_out(limit: Duration) -> HttpResponse {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "",
        "deadline",
        &format!("no answer within {} s", limit.as_secs()),
    )
}

/// Serve until `shutdown` resolves, then finish requests in flight (up to the grace
/// period). `ready` gets the bound address (port 0 picks a free one).
pub async fn serve(
    rt: Arc<Runtime>,
    opts: ServeOptions,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(opts.addr).await?;
    ready(listener.local_addr()?);
    let grace = opts.grace;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_buf_size(PARSER_BUFFER)
        .max_headers(PARSER_FIELDS);
    let shared = Arc::new(Shared { rt, gate: Mutex::new(()), opts });
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("fichier serve: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let shared = shared.clone();
                let svc = hyper::service::service_fn(move |req| handle(shared.clone(), peer, req));
                let conn = graceful.watch(http.serve_connection(TokioIo::new(ProblemOnParseError { inner: stream, replacing: None }), svc));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        eprintln!("fichier serve: requests still running after {} s; stopping", grace.as_secs());
    }
    Ok(())
}

/// SIGINT or SIGTERM.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
