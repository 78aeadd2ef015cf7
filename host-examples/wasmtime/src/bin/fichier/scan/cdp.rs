//! A lean client of Chromium's DevTools protocol: the system `chromium` started headless
//! with a fresh profile, one blocking WebSocket (tungstenite), flattened sessions. Only
//! what `fichier scan` needs: open a tab, navigate, wait for the network to settle,
//! evaluate, click at a point, read every cookie. Requests are recorded as the browser
//! announces them (`Network.requestWillBeSent`), whatever happens to them after.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// Why the browser could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "the browser `{0}` was not found: install Debian's `chromium` (apt-get install chromium) or give its path with --chromium"
    )]
    Missing(String),
    #[error("starting the browser {0}: {1}")]
    Start(String, String),
    #[error("the DevTools protocol: {0}")]
    Protocol(String),
    #[error("{0}")]
    Page(String),
}

/// The executable named by `--chromium`: a path, or a name looked up in PATH.
pub fn find_chromium(name: &str) -> Result<PathBuf, BrowserError> {
    let runnable = |p: &Path| p.is_file();
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if runnable(&p) { Ok(p) } else { Err(BrowserError::Missing(name.to_owned())) };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| runnable(p))
        .ok_or_else(|| BrowserError::Missing(name.to_owned()))
}

/// One request as the browser announced it.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    /// The DevTools resource type: Document, Script, Image, Ping, XHR, Fetch, …
    pub kind: String,
}

/// A running headless Chromium with its own throw-away profile, and one tab.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    timeout: Duration,
    session: String,
    /// Requests seen since the last `take_requests`.
    requests: Vec<Request>,
    inflight: HashSet<String>,
    loaded: bool,
    last_network: Instant,
    /// `Browser.getVersion`'s product, e.g. `Chrome/156.0.8078.114`.
    pub version: String,
    pub user_agent: String,
    // Dropped last: the profile directory outlives the process using it.
    _profile: tempfile::TempDir,
}

/// Run in every document before its own scripts: note each cookie the page's scripts
/// write through `document.cookie` (and the browser keeps), with its lifetime, so a cookie
/// written and deleted again before the page settles (the banner deletes a refused
/// purpose's cookies as soon as it has its configuration) is still seen.
/// `__fichierScanWrites.splice(0)` takes them.
pub const COOKIE_WRITES: &str = r#"(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (!d || !d.set) return;
  const log = [];
  Object.defineProperty(window, '__fichierScanWrites', { value: log });
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true, enumerable: d.enumerable,
    get() { return d.get.call(this); },
    set(v) {
      d.set.call(this, v);
      try {
        const parts = String(v).split(';'), eq = parts[0].indexOf('=');
        if (eq < 0) return;
        const c = { name: parts[0].slice(0, eq).trim(), value: parts[0].slice(eq + 1).trim(), at: Date.now(),
                    domain: location.hostname, path: '/', maxAge: null, expires: null };
        for (const a of parts.slice(1)) {
          const i = a.indexOf('='), k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase(), x = i < 0 ? '' : a.slice(i + 1).trim();
          if (k == 'max-age') c.maxAge = Number(x);
          else if (k == 'expires') c.expires = Date.parse(x);
          else if (k == 'domain' && x) c.domain = '.' + x.replace(/^\./, '');
          else if (k == 'path' && x) c.path = x;
        }
        const gone = (c.maxAge != null && !(c.maxAge > 0)) || (c.maxAge == null && c.expires != null && !(c.expires > c.at));
        const kept = d.get.call(this).split(';').some(p => p.trim().split('=')[0] == c.name);
        if (c.name && !gone && kept) log.push(c);
      } catch (e) {}
    }
  });
})()"#;

const FLAGS: [&str; 12] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--mute-audio",
    // Cross-site frames in the page's own process, so the tab's Network domain sees them.
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
];

impl Browser {
    /// Start `exe` with a fresh profile and open one tab. `offline`: no host name outside
    /// loopback resolves (requests are still made, and recorded, but leave nothing).
    pub fn launch(exe: &Path, offline: bool, timeout: Duration) -> Result<Browser, BrowserError> {
        let shown = exe.display().to_string();
        let start = |e: &dyn std::fmt::Display| BrowserError::Start(shown.clone(), e.to_string());
        let profile = tempfile::Builder::new().prefix("fichier-scan-").tempdir().map_err(|e| start(&e))?;
        let mut cmd = Command::new(exe);
        cmd.args(FLAGS).arg("--remote-debugging-port=0").arg(format!("--user-data-dir={}", profile.path().display()));
        if offline {
            cmd.arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*, EXCLUDE [::1]");
        }
        cmd.arg("about:blank").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BrowserError::Missing(shown.clone()),
            _ => start(&e),
        })?;
        let endpoint = match child.stderr.take() {
            Some(stderr) => devtools_endpoint(stderr, timeout),
            None => Err("no standard error to read".to_owned()),
        };
        let endpoint = match endpoint {
            Ok(e) => e,
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(start(&why));
            }
        };
        let ws = match connect(&endpoint) {
            Ok(ws) => ws,
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BrowserError::Protocol(why));
            }
        };
        let mut b = Browser {
            child,
            ws,
            next_id: 0,
            timeout,
            session: String::new(),
            requests: Vec::new(),
            inflight: HashSet::new(),
            loaded: false,
            last_network: Instant::now(),
            version: String::new(),
            user_agent: String::new(),
            _profile: profile,
        };
        let v = b.call(None, "Browser.getVersion", json!({}))?;
        b.version = v["product"].as_str().unwrap_or_default().to_owned();
        b.user_agent = v["userAgent"].as_str().unwrap_or_default().to_owned();
        let target = b.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let attached =
            b.call(None, "Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}))?;
        b.session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| BrowserError::Protocol("Target.attachToTarget answered no sessionId".into()))?
            .to_owned();
        for domain in ["Page.enable", "Network.enable"] {
            b.page_call(domain, json!({}))?;
        }
        b.page_call("Page.addScriptToEvaluateOnNewDocument", json!({"source": COOKIE_WRITES}))?;
        Ok(b)
    }

    /// A command to the browser (`session` None) or to a tab; events read meanwhile are
    /// recorded.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, BrowserError> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| BrowserError::Protocol(format!("sending {method}: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let Some(m) = self.next_message(deadline)? else {
                return Err(BrowserError::Protocol(format!("{method}: no answer within {:?}", self.timeout)));
            };
            if m["id"] == json!(id) {
                if let Some(e) = m.get("error") {
                    return Err(BrowserError::Protocol(format!("{method}: {}", e["message"])));
                }
                return Ok(m["result"].clone());
            }
        }
    }

    fn page_call(&mut self, method: &str, params: Value) -> Result<Value, BrowserError> {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    /// The next message, its event recorded; None when `deadline` passes first.
    fn next_message(&mut self, deadline: Instant) -> Result<Option<Value>, BrowserError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.ws.get_ref().set_read_timeout(Some(left)).map_err(|e| BrowserError::Protocol(e.to_string()))?;
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    let m: Value = serde_json::from_str(t.as_str())
                        .map_err(|e| BrowserError::Protocol(format!("a message that is not JSON: {e}")))?;
                    self.observe(&m);
                    return Ok(Some(m));
                }
                Ok(Message::Close(_)) => {
                    return Err(BrowserError::Protocol("the browser closed the connection".into()));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(BrowserError::Protocol(e.to_string())),
            }
        }
    }

    fn observe(&mut self, m: &Value) {
        if m["sessionId"].as_str() != Some(self.session.as_str()) {
            return;
        }
        let p = &m["params"];
        let id = p["requestId"].as_str().unwrap_or_default().to_owned();
        match m["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent" => {
                self.last_network = Instant::now();
                let url = p["request"]["url"].as_str().unwrap_or_default();
                if url.starts_with("http://") || url.starts_with("https://") {
                    let kind = p["type"].as_str().unwrap_or("Other").to_owned();
                    self.requests.push(Request { url: url.to_owned(), kind });
                    self.inflight.insert(id);
                }
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                self.last_network = Instant::now();
                self.inflight.remove(&id);
            }
            "Page.loadEventFired" => self.loaded = true,
            _ => {}
        }
    }

    /// Read messages until the page has loaded and the network has been quiet for a
    /// moment (longer while requests are pending: a keep-alive beacon or a long poll may
    /// never say it finished), or the timeout passes: a page that never settles is read
    /// as it is.
    fn settle(&mut self) -> Result<(), BrowserError> {
        const QUIET: Duration = Duration::from_millis(400);
        const PENDING: Duration = Duration::from_millis(1500);
        let deadline = Instant::now() + self.timeout;
        loop {
            let quiet = self.last_network + if self.inflight.is_empty() { QUIET } else { PENDING };
            let now = Instant::now();
            if now >= deadline || (self.loaded && now >= quiet) {
                return Ok(());
            }
            let next = if self.loaded { quiet.min(deadline) } else { deadline };
            self.next_message(next)?;
        }
    }

    /// Load `url` in the tab and wait until it settles.
    pub fn navigate(&mut self, url: &str) -> Result<(), BrowserError> {
        self.loaded = false;
        self.inflight.clear();
        self.last_network = Instant::now();
        let r = self.page_call("Page.navigate", json!({"url": url}))?;
        if let Some(e) = r["errorText"].as_str() {
            return Err(BrowserError::Page(format!("loading {url}: {e}")));
        }
        self.settle()
    }

    /// Evaluate an expression in the page; its value as JSON.
    pub fn eval(&mut self, expression: &str) -> Result<Value, BrowserError> {
        let r = self.page_call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(BrowserError::Page(format!("evaluating in the page: {}", e["exception"]["description"])));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Click the first visible element matching `selector` as a person would: scrolled
    /// into view, then a mouse press and release at its centre (the page's own handlers
    /// run). Waits for it to appear; answers its accessible text.
    pub fn click(&mut self, selector: &str) -> Result<String, BrowserError> {
        let sel = serde_json::to_string(selector).map_err(|e| BrowserError::Protocol(e.to_string()))?;
        let find = format!(
            "(() => {{ const b = [...document.querySelectorAll({sel})].find(e => e.getClientRects().length && !e.closest('[hidden]'));
               if (!b) return null;
               b.scrollIntoView({{block: 'center'}});
               const r = b.getBoundingClientRect();
               return {{x: r.x + r.width / 2, y: r.y + r.height / 2,
                        name: (b.getAttribute('aria-label') || b.textContent || '').trim()}}; }})()"
        );
        let deadline = Instant::now() + self.timeout;
        let at = loop {
            let v = self.eval(&find)?;
            if !v.is_null() {
                break v;
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Page(format!("no visible `{selector}` within {:?}", self.timeout)));
            }
            self.next_message((Instant::now() + Duration::from_millis(100)).min(deadline))?;
        };
        let (x, y) = (at["x"].clone(), at["y"].clone());
        for (kind, extra) in [
            ("mouseMoved", json!({})),
            ("mousePressed", json!({"button": "left", "clickCount": 1})),
            ("mouseReleased", json!({"button": "left", "clickCount": 1})),
        ] {
            let mut params = json!({"type": kind, "x": x, "y": y});
            if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            self.page_call("Input.dispatchMouseEvent", params)?;
        }
        self.last_network = Instant::now();
        self.settle()?;
        Ok(at["name"].as_str().unwrap_or_default().to_owned())
    }

    /// Every cookie of the profile, whatever its site.
    pub fn cookies(&mut self) -> Result<Vec<Value>, BrowserError> {
        let r = self.call(None, "Storage.getCookies", json!({}))?;
        Ok(r["cookies"].as_array().cloned().unwrap_or_default())
    }

    /// The requests seen since the last call.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call(None, "Browser.close", json!({}));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ws://…` address Chromium prints on standard error once it listens. The rest of
/// its standard error is read and dropped, so the pipe never fills.
fn devtools_endpoint(stderr: std::process::ChildStderr, timeout: Duration) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        let mut said = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(at) = line.find("ws://") {
                    sent = true;
                    let _ = tx.send(Ok(line[at..].trim().to_owned()));
                } else if said.len() < 5 {
                    said.push(line);
                }
            }
        }
        if !sent {
            let _ = tx.send(Err(format!("it stopped without a DevTools address ({})", said.join(" / "))));
        }
    });
    rx.recv_timeout(timeout).map_err(|_| format!("no DevTools address within {timeout:?}"))?
}

fn connect(endpoint: &str) -> Result<WebSocket<TcpStream>, String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("{endpoint}: {e}"))?;
    let addr = url
        .socket_addrs(|| None)
        .map_err(|e| format!("{endpoint}: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{endpoint}: no address"))?;
    let stream = TcpStream::connect(addr).map_err(|e| format!("connecting to {endpoint}: {e}"))?;
    let (ws, _) = tungstenite::client(endpoint, stream).map_err(|e| format!("opening {endpoint}: {e}"))?;
    Ok(ws)
}
