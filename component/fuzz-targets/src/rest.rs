//! The REST face: requests through the component's HTTP handler, in-process
//! (`fichier_guest::native`: the same reading, routing and replies as the component's
//! `wasi:http/incoming-handler`, over an in-memory store, a fixed clock and seeded
//! randomness). Whatever the requests, no answer is a `5xx` (the in-memory store never
//! fails, so a `5xx` is the component's fault) and none panics (natively, the analogue
//! of a trap); each header it writes is a valid field, and a JSON body is JSON.
//!
//! The input: up to [`MAX_REQUESTS`] requests on one deployment, separated by a line
//! `~~~`, each as HTTP/1.1 writes it — `METHOD /path?query`, header lines `name: value`,
//! an empty line, the body. The deployment's first admin key is [`ADMIN_TOKEN`]
//! (`Authorization: Bearer …`), so the fuzzer reaches every role.

use fichier_domain::kernel::crypto::MasterKey;
use fichier_domain::kernel::time;
use fichier_guest::native::Deployment;
use sha2::{Digest, Sha256};

/// The bootstrap admin token of the fuzzed deployment (its SHA-256 is the setting).
pub const ADMIN_TOKEN: &str = "fk_fuzzadmn_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Requests per input, at most.
pub const MAX_REQUESTS: usize = 16;
const SEPARATOR: &[u8] = b"\n~~~\n";

/// A request as the host's HTTP layer passes it on.
struct Request<'a> {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: &'a [u8],
}

/// A header name: an RFC 9110 token.
fn is_token(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

/// A header value an HTTP layer passes on: no control character but tab.
fn is_field_value(value: &[u8]) -> bool {
    value.iter().all(|b| *b == b'\t' || (*b >= 0x20 && *b != 0x7f))
}

/// One request of the input. What an HTTP server would not pass on is left out: a line
/// that is not a header, and the client's `content-length` (the host sets the body's own).
fn request(text: &[u8]) -> Request<'_> {
    let (head, body) = match text.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, target) = first.split_once(' ').unwrap_or((&first, "/"));
    let mut headers = Vec::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if is_token(name) && is_field_value(value) && !name.eq_ignore_ascii_case(b"content-length") {
            headers.push((String::from_utf8_lossy(name).to_ascii_lowercase(), value.to_vec()));
        }
    }
    if !body.is_empty() {
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    Request { method: method.to_owned(), target: target.trim().to_owned(), headers, body }
}

/// Send the requests of `data` to a new deployment; check each answer.
pub fn rest_face(data: &[u8]) {
    statuses(data);
}

/// [`rest_face`], and the status of each answer.
fn statuses(data: &[u8]) -> Vec<u16> {
    let mut statuses = Vec::new();
    let Ok(now) = time::parse("now", "2026-11-29T10:00:00Z") else { return statuses };
    let settings = vec![
        ("bootstrap_admin_sha256".to_owned(), hex::encode(Sha256::digest(ADMIN_TOKEN))),
        ("public_rate_per_minute".to_owned(), "10".to_owned()),
        ("shop_origins".to_owned(), "https://shop.example".to_owned()),
        ("demo".to_owned(), "true".to_owned()),
    ];
    let deployment = Deployment::new(MasterKey::from_bytes([7; 32]), now, 1, settings);
    let mut rest = data;
    for _ in 0..MAX_REQUESTS {
        let (text, next) = match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => (&rest[..i], Some(&rest[i + SEPARATOR.len()..])),
            None => (rest, None),
        };
        let r = request(text);
        let answer = deployment.handle(&r.method, &r.target, r.headers, r.body.to_vec());
        statuses.push(answer.status);
        let shown = || {
            format!("{} {} answered {}: {}", r.method, r.target, answer.status, String::from_utf8_lossy(&answer.body))
        };
        assert!((100..500).contains(&answer.status), "no 5xx: {}", shown());
        for (name, value) in &answer.headers {
            assert!(
                is_token(name.as_bytes()) && is_field_value(value),
                "a valid header {name}: {value:?}; {}",
                shown()
            );
        }
        let header = |n: &str| answer.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_slice());
        let json = header("content-type")
            .is_some_and(|t| t.starts_with(b"application/json") || t.starts_with(b"application/problem+json"));
        // Not the OpenAPI document (≈250 KB, constant, tests/tests/openapi.rs checks it):
        // parsing it on every request took a fifth of the target's time.
        if json && header("content-encoding").is_none() && answer.status != 304 && answer.body.len() <= 64 << 10 {
            assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_ok(), "a JSON body: {}", shown());
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    statuses
}

#[cfg(test)]
mod tests {
    use super::statuses;

    fn seed(name: &str) -> Vec<u8> {
        let path = format!("{}/../../fuzz/regressions/rest_face/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The seeds reach the routes they mean to: the bootstrap key is an admin's, the
    /// public's receipt is recorded, the shop's origin passes CORS.
    #[test]
    fn the_seeds_reach_their_routes() {
        assert_eq!(statuses(&seed("consent-and-customers")), [200; 9]);
        assert_eq!(statuses(&seed("methods-cors-assets-and-bad-input")), [204, 200, 200, 405, 200, 400, 400]);
    }

    /// Requests after the sixteenth are not sent; an empty one is no known method on `/`.
    #[test]
    fn an_input_is_cut_into_requests() {
        let many = vec!["GET /v1/health\n"; 20].join("~~~\n");
        assert_eq!(statuses(many.as_bytes()), [200; super::MAX_REQUESTS]);
        assert_eq!(statuses(b""), [405], "the demo shop at / is read with GET");
    }
}
