//! Proxy mechanics and HTTP edge cases (docs/security.md#forward-auth-fail-closed, #path-normalisation, #host-matching, #no-implicit-bypass, #request-framing, #upstream-tls, #security-headers, #no-cache, #cors-and-methods): unknown hosts, path
//! normalisation on the wire, request framing, CORS and security headers, the login redirect,
//! upstream failures, streaming, HTTP/2, TLS on both hops and WebSocket pass-through.
//!
//! Requests that a client library would "fix" (dot-segments, duplicate headers, conflicting
//! framing) are written byte for byte with [`raw_request`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::Frame;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    /// `HTTP/1.1 400 Bad Request`, or empty when the server closed without answering.
    pub status_line: String,
    /// Everything received (head and body).
    pub full: String,
}

impl RawResponse {
    /// The status code, or 0 when nothing was received.
    pub fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The value of a response header (case-insensitive), first occurrence.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.full.split("\r\n\r\n").next().unwrap_or("");
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Writes `bytes` to the gateway as-is and reads one response: up to Content-Length, to the end
/// of a chunked body, or to EOF. A reset or a close without an answer gives an empty status line.
pub async fn raw_request(port: u16, bytes: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // The server may answer and close before reading everything (431): ignore write errors.
    let _ = stream.write_all(bytes).await;
    let mut buf: Vec<u8> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if complete(&buf) == Some(true) {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!(
                "raw request: no complete response within 15 s; got {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
    }
    let full = String::from_utf8_lossy(&buf).into_owned();
    let status_line = full.lines().next().unwrap_or("").to_owned();
    RawResponse { status_line, full }
}

/// Whether `buf` holds a complete response (None while the head is incomplete).
fn complete(buf: &[u8]) -> Option<bool> {
    let text = String::from_utf8_lossy(buf);
    let end = text.find("\r\n\r\n")?;
    let head = text[..end].to_ascii_lowercase();
    let body = &buf[end + 4..];
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status == 101 || status == 204 || status == 304 || (100..200).contains(&status) {
        return Some(true);
    }
    if let Some(len) = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    }) {
        return Some(body.len() >= len);
    }
    if head.contains("transfer-encoding: chunked") {
        return Some(body.ends_with(b"0\r\n\r\n"));
    }
    Some(false)
}

/// A GET request head for `host` with our port, extra header lines and `Connection: close`.
pub fn raw_get(app: &TestApp, host: &str, path: &str, extra: &[String]) -> Vec<u8> {
    let mut s = format!("GET {path} HTTP/1.1\r\nHost: {host}:{}\r\n", app.port);
    for line in extra {
        s.push_str(line);
        s.push_str("\r\n");
    }
    s.push_str("Connection: close\r\n\r\n");
    s.into_bytes()
}

/// The `Cookie:` header line of a browser.
pub fn cookie_line(b: &Browser) -> String {
    format!("Cookie: {}", b.cookie_header())
}

/// Asserts the security headers every gateway response carries (docs/security.md#security-headers, #no-cache, #cors-and-methods).
pub fn assert_security_headers(h: &reqwest::header::HeaderMap, what: &str) {
    let get = |n: &str| {
        h.get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{what}: no {n} header; headers: {h:?}"))
    };
    let hsts = get("strict-transport-security");
    let max_age: u64 = hsts
        .split(';')
        .find_map(|p| p.trim().strip_prefix("max-age="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{what}: HSTS without max-age: {hsts}"));
    assert!(
        max_age >= 31_536_000,
        "{what}: HSTS max-age too short: {hsts}"
    );
    assert!(
        hsts.to_ascii_lowercase().contains("includesubdomains"),
        "{what}: HSTS without includeSubDomains: {hsts}"
    );
    let csp = get("content-security-policy");
    for d in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(d), "{what}: CSP lacks {d}: {csp}");
    }
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("cross-origin-opener-policy"), "same-origin", "{what}");
    assert!(
        get("cache-control").contains("no-store"),
        "{what}: cacheable response"
    );
    assert!(
        h.get("access-control-allow-origin").is_none(),
        "{what}: CORS header on a gateway response"
    );
    assert!(h.get("x-powered-by").is_none(), "{what}: x-powered-by");
    if let Some(server) = h.get("server") {
        let s = server.to_str().unwrap();
        assert!(
            !s.chars().any(|c| c.is_ascii_digit()),
            "{what}: the server header discloses a version: {s}"
        );
    }
    if let Some(ct) = h.get("content-type") {
        let ct = ct.to_str().unwrap();
        if ct.starts_with("text/") {
            assert!(ct.contains("charset="), "{what}: no charset in {ct}");
        }
    }
}

/// Spawns a gateway with the given overlay and a user `alice`, and logs her in.
pub(crate) async fn app_with_alice(overlay: &str) -> (TestApp, Browser) {
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    (app, b)
}

/// A request body served from a list of chunks, one frame each (so it is sent chunked and the
/// gateway sees a stream, not a single buffer).
struct Chunks(VecDeque<Bytes>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }
}

/// A request body fed by the test through a channel, one frame per message.
pub(crate) struct Channel(pub(crate) tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for Channel {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// An upstream that answers at once and streams the request body back as the response body,
/// frame by frame. Counts requests.
pub(crate) async fn start_stream_echo() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let h = h.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<Incoming>| {
                    h.fetch_add(1, Ordering::SeqCst);
                    async move { Ok::<_, Infallible>(http::Response::new(req.into_body())) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, hits)
}

/// An upstream on a raw socket that records each request head exactly as written on the wire
/// (request line with version, header names as sent) and answers a fixed 200.
async fn start_raw_upstream() -> (SocketAddr, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).into_owned());
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nraw ok",
                    )
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, heads)
}

/// A self-signed certificate (PEM cert, PEM key) for the given names, written into `dir`.
pub(crate) fn self_signed(
    dir: &std::path::Path,
    names: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let ck = rcgen::generate_simple_self_signed(
        names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
    )
    .unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    private(&key);
    (cert, key)
}

// ---------------------------------------------------------------------------------------------
// Hosts (docs/security.md#host-matching)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_host_gets_421_page_and_health_answers_on_any_host() {
    let (app, mut b) = app_with_alice("").await;
    for host in [
        "unknown.example",
        "gate.localhost.evil.example",
        "localhost",
    ] {
        // Even with a valid session cookie: the host decides first.
        let resp = b.send(app.get(host, "/anything")).await;
        assert_eq!(resp.status(), 421, "host {host}");
        assert_security_headers(resp.headers(), "421 page");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{ct}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("<html") || body.contains("<!DOCTYPE") || body.contains("<!doctype"));
        // It names the host asked for and offers the way to the portal.
        assert!(body.contains(&format!("does not serve {host}.")), "{body}");
        assert!(body.contains("Go to the sign-in portal"), "{body}");
    }
    assert_eq!(app.echo.count(), 0, "an unknown host reached the upstream");

    let resp = app.get("127.0.0.1", "/api/health").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(app.echo.count(), 0);
}

#[tokio::test]
async fn host_matching_is_case_insensitive_and_ignores_trailing_dot() {
    let (app, b) = app_with_alice("").await;
    let port = app.port;
    // A case or trailing-dot variant must hit the same rules: /admin stays denied…
    for host in ["APP.Gate.Localhost", "app.gate.localhost."] {
        let r = raw_request(port, &raw_get(&app, host, "/admin", &[cookie_line(&b)])).await;
        assert_eq!(r.status(), 403, "{host}: {}", r.full);
    }
    assert_eq!(app.echo.count(), 0, "a host variant bypassed the deny rule");
    // …and other paths reach the upstream with the canonical host.
    let r = raw_request(
        port,
        &raw_get(&app, "APP.GATE.LOCALHOST.", "/ok", &[cookie_line(&b)]),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.full);
    let seen = app.echo.last();
    assert_eq!(
        seen.one("x-forwarded-host"),
        Some(format!("app.gate.localhost:{port}").as_str())
    );
    assert_eq!(seen.one("remote-user"), Some("alice"));
}

// ---------------------------------------------------------------------------------------------
// Paths (docs/security.md#path-normalisation)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn path_tricks_are_refused_with_400_and_never_proxied() {
    let (app, b) = app_with_alice("").await;
    for path in [
        "/a/%2e%2e/admin",
        "/a/%2E%2E/admin",
        "/%2Fadmin",
        "/a%2fadmin",
        "/a%5c..%5cadmin",
        "/a\\..\\admin",
        "/admin%00",
        "/x;/admin",
        "/admin;jsessionid=1",
        "/x%3b/admin",
        "//admin",
        "/a//admin",
        "/%252e%252e/admin",
        "/%2541dmin",
        "/bad%zz",
        "/bad%4",
        "/%c0%ae%c0%ae/admin",
    ] {
        let r = raw_request(
            app.port,
            &raw_get(&app, "app.gate.localhost", path, &[cookie_line(&b)]),
        )
        .await;
        assert_eq!(r.status(), 400, "{path}: {}", r.status_line);
        assert!(
            r.header("content-security-policy").is_some(),
            "{path}: the 400 page lacks security headers"
        );
    }
    assert_eq!(
        app.echo.count(),
        0,
        "a refused path reached the upstream: {:?}",
        app.echo
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.uri.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn dot_segments_are_resolved_before_rules_and_the_canonical_path_goes_upstream() {
    let (app, b) = app_with_alice("").await;
    let port = app.port;
    let get = |path: &str| raw_get(&app, "app.gate.localhost", path, &[cookie_line(&b)]);

    // `..` resolves to /admin, which the ^/admin rule denies.
    for path in ["/a/../admin", "/a/b/../../admin/x", "/../admin", "/./admin"] {
        let r = raw_request(port, &get(path)).await;
        assert_eq!(
            r.status(),
            403,
            "{path} must be judged as /admin: {}",
            r.full
        );
    }
    assert_eq!(
        app.echo.count(),
        0,
        "a dot-segment path reached the upstream"
    );

    for (sent, expected) in [
        ("/a/./b", "/a/b"),
        ("/a/b/../c", "/a/c"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/caf%c3%a9", "/caf%C3%A9"),
        ("/a%20b", "/a%20b"),
        ("/a%41b", "/aAb"),
        ("/q/?x=1&y=%2F&z=a%20b", "/q/?x=1&y=%2F&z=a%20b"),
        ("/api/v1/items?sort=-name", "/api/v1/items?sort=-name"),
    ] {
        let before = app.echo.count();
        let r = raw_request(port, &get(sent)).await;
        assert_eq!(r.status(), 200, "{sent}: {}", r.full);
        assert_eq!(app.echo.count(), before + 1, "{sent}");
        assert_eq!(app.echo.last().uri, expected, "{sent}");
    }
}

// ---------------------------------------------------------------------------------------------
// Framing (docs/security.md#forward-auth-fail-closed, #request-framing, #cors-and-methods)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ambiguous_framing_and_duplicate_hosts_are_refused() {
    let (app, b) = app_with_alice("").await;
    let port = app.port;
    let cookie = b.cookie_header();

    // Control: a well-formed absolute-form request that agrees with Host is served.
    let ok = format!(
        "GET http://app.gate.localhost:{port}/control HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    let r = raw_request(port, ok.as_bytes()).await;
    assert_eq!(r.status(), 200, "control request: {}", r.full);
    assert_eq!(app.echo.count(), 1);

    let cases = [
        (
            "two Content-Length",
            format!(
                "POST /smuggle HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
            ),
        ),
        (
            "two Host",
            format!(
                "GET /two-hosts HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nHost: admin.gate.localhost:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        ),
        (
            "absolute-form disagreeing with Host",
            format!(
                "GET http://admin.gate.localhost:{port}/x HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        ),
        (
            "absolute-form to another host",
            format!(
                "GET http://unknown.example/x HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        ),
        (
            "no Host",
            format!("GET /no-host HTTP/1.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
        ),
    ];
    for (what, req) in cases {
        let r = raw_request(port, req.as_bytes()).await;
        // hyper may refuse some of these itself (400) or drop the connection: both are fine,
        // as long as nothing is forwarded.
        assert!(
            r.status() == 400 || r.status() == 0,
            "{what}: expected 400 or a closed connection, got {:?}",
            r.status_line
        );
        assert_eq!(app.echo.count(), 1, "{what} reached the upstream");
    }
}

/// docs/security.md#request-framing says "reject". hyper's HTTP/1 parser drops `Content-Length` when
/// `Transfer-Encoding` is present (RFC 9112 §6.3) before the gateway sees the request, so the
/// CL+TE check in `gateway::precheck` cannot fire; the fix needs the connection layer.
/// docs/security.md#request-framing asks to reject Content-Length together with Transfer-Encoding. hyper's
/// HTTP/1 parser resolves the conflict itself before the gateway sees the request: it drops
/// Content-Length, frames the body as chunked (RFC 9112 §6.1) and closes the connection after
/// the response. What matters is that no request can be smuggled through the conflict: this
/// test sends one hidden behind the conflicting framing and checks that it never reaches the
/// upstream, and that no Content-Length goes upstream.
#[tokio::test]
async fn conflicting_framing_cannot_smuggle_a_request() {
    let (app, b) = app_with_alice("").await;
    let port = app.port;
    let cookie = b.cookie_header();
    for (what, head) in [
        (
            "CL then TE",
            "Content-Length: 5\r\nTransfer-Encoding: chunked",
        ),
        (
            "TE then CL",
            "Transfer-Encoding: chunked\r\nContent-Length: 5",
        ),
    ] {
        let before = app.echo.count();
        let smuggled = format!(
            "GET /smuggled HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\n\r\n"
        );
        let req = format!(
            "POST /front HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\n{head}\r\n\r\n0\r\n\r\n{smuggled}"
        );
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut all = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut all)).await;
        assert!(
            read.is_ok(),
            "{what}: the connection was kept open after a conflicting request"
        );
        let text = String::from_utf8_lossy(&all);
        assert_eq!(
            text.matches("HTTP/1.1 ").count(),
            1,
            "{what}: more than one response: {text}"
        );
        let seen = app.echo.seen.lock().unwrap().clone();
        assert!(
            seen.iter().all(|s| !s.uri.contains("smuggled")),
            "{what}: a smuggled request reached the upstream"
        );
        let front: Vec<_> = seen
            .iter()
            .skip(before)
            .filter(|s| s.uri == "/front")
            .collect();
        assert!(front.len() <= 1, "{what}");
        if let Some(f) = front.first() {
            assert!(
                f.all("content-length").iter().all(|v| *v == "0"),
                "{what}: the client's Content-Length went upstream: {:?}",
                f.headers
            );
            assert!(
                f.body.is_empty(),
                "{what}: body framing was not the chunked one"
            );
        }
    }
}

#[tokio::test]
async fn trace_is_405_and_oversized_headers_are_refused() {
    let (app, mut b) = app_with_alice("").await;
    let port = app.port;
    let cookie = b.cookie_header();
    for method in ["TRACE", "CONNECT"] {
        let target = if method == "CONNECT" {
            format!("app.gate.localhost:{port}")
        } else {
            "/".to_owned()
        };
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: app.gate.localhost:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        );
        let r = raw_request(port, req.as_bytes()).await;
        if method == "TRACE" {
            assert_eq!(r.status(), 405, "TRACE: {}", r.full);
            assert!(r.header("content-security-policy").is_some());
        } else {
            assert!(
                matches!(r.status(), 0 | 400 | 405),
                "CONNECT: {}",
                r.status_line
            );
        }
    }
    let resp = b
        .send(app.req(reqwest::Method::TRACE, "app.gate.localhost", "/"))
        .await;
    assert_eq!(resp.status(), 405);
    assert_security_headers(resp.headers(), "405 page");
    assert_eq!(app.echo.count(), 0, "TRACE/CONNECT reached the upstream");

    // A 20 KiB header (limit 16 KiB).
    let big = "a".repeat(20 * 1024);
    let r = raw_request(
        port,
        &raw_get(
            &app,
            "app.gate.localhost",
            "/big",
            &[cookie_line(&b), format!("X-Big: {big}")],
        ),
    )
    .await;
    assert!(
        matches!(r.status(), 431 | 400 | 0),
        "oversized header: {}",
        r.status_line
    );
    assert_eq!(app.echo.count(), 0, "an oversized header was proxied");
    // Just under the limit still works, so the limit is not simply "refuse everything".
    let r = raw_request(
        port,
        &raw_get(
            &app,
            "app.gate.localhost",
            "/medium",
            &[
                cookie_line(&b),
                format!("X-Medium: {}", "a".repeat(4 * 1024)),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.status_line);
    assert_eq!(app.echo.count(), 1);
}

// ---------------------------------------------------------------------------------------------
// CORS and security headers (docs/security.md#security-headers, #no-cache, #cors-and-methods)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn no_cors_is_granted_to_a_foreign_origin() {
    let app = TestApp::spawn(Opts::default()).await;
    let evil = "https://evil.example";
    let auth = app.portal_host.clone();
    let reqs = [
        ("portal login", app.get(&auth, "/login")),
        (
            "portal preflight",
            app.req(reqwest::Method::OPTIONS, &auth, "/login")
                .header("access-control-request-method", "POST"),
        ),
        ("portal health", app.get(&auth, "/api/health")),
        ("app anonymous", app.get("app.gate.localhost", "/x")),
        (
            "app preflight",
            app.req(reqwest::Method::OPTIONS, "app.gate.localhost", "/x")
                .header("access-control-request-method", "DELETE")
                .header("access-control-request-headers", "authorization"),
        ),
        ("unknown host", app.get("unknown.example", "/")),
    ];
    for (what, rb) in reqs {
        let resp = rb.header("origin", evil).send().await.unwrap();
        let h = resp.headers();
        assert!(
            h.get("access-control-allow-origin").is_none(),
            "{what}: {:?}",
            h.get("access-control-allow-origin")
        );
        assert!(
            h.get("access-control-allow-credentials").is_none(),
            "{what}"
        );
        assert!(h.get("access-control-allow-methods").is_none(), "{what}");
    }
    assert_eq!(app.echo.count(), 0);
}

#[tokio::test]
async fn security_headers_on_portal_pages_errors_and_redirects() {
    let (app, mut b) = app_with_alice("").await;
    let auth = app.portal_host.clone();

    let login = app.get(&auth, "/login").send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert_security_headers(login.headers(), "login page");
    let ct = login.headers()["content-type"].to_str().unwrap();
    assert!(
        ct.starts_with("text/html") && ct.contains("charset=utf-8"),
        "{ct}"
    );

    // Gatehouse's stylesheet and scripts are public and the same for everyone: cacheable, with
    // the sandboxing CSP of assets and the other headers.
    for path in [
        "/static/gatehouse.css",
        "/static/ui.js",
        "/static/copy.js",
        "/static/passkey.js",
    ] {
        let file = app.get(&auth, path).send().await.unwrap();
        assert_eq!(file.status(), 200, "{path}");
        let h = file.headers();
        assert_eq!(h["cache-control"], "public, max-age=3600", "{path}");
        assert!(h.get("set-cookie").is_none(), "{path}");
        assert!(h.contains_key("etag"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("strict-transport-security"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("sandbox") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
    }
    // Any other name is the 404 page; an encoded separator is refused before routing.
    for (path, status) in [
        ("/static/other.js", 404),
        ("/static/", 404),
        ("/static/..%2fgatehouse.css", 400),
    ] {
        let missing = app.get(&auth, path).send().await.unwrap();
        assert_eq!(missing.status(), status, "{path}");
    }

    let health = app.get(&auth, "/api/health").send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_security_headers(health.headers(), "health");

    let missing = app.get(&auth, "/no-such-page").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(missing.headers(), "portal 404");

    let redirect = app.get("app.gate.localhost", "/x").send().await.unwrap();
    assert_eq!(redirect.status(), 302);
    assert_security_headers(redirect.headers(), "login redirect");

    let api = app
        .req(reqwest::Method::GET, "app.gate.localhost", "/x")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    assert_security_headers(api.headers(), "401");

    let denied = b.send(app.get("app.gate.localhost", "/admin")).await;
    assert_eq!(denied.status(), 403);
    assert_security_headers(denied.headers(), "403 page");
    assert!(
        denied.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("charset=")
    );

    let bad = b.send(app.get("app.gate.localhost", "/a%2fb")).await;
    assert_eq!(bad.status(), 400);
    assert_security_headers(bad.headers(), "400 page");

    let unknown = b.send(app.get("unknown.example", "/")).await;
    assert_eq!(unknown.status(), 421);
    assert_security_headers(unknown.headers(), "421 page");

    // The login response itself (it carries Set-Cookie).
    let mut fresh = app.browser();
    let resp = app.post_login(&mut fresh, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    assert!(resp.headers().get("set-cookie").is_some());
    assert_security_headers(resp.headers(), "login POST");

    assert_eq!(app.echo.count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Anonymous requests (docs/security.md#no-implicit-bypass)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn anonymous_requests_get_the_login_redirect_or_401_and_never_reach_the_upstream() {
    let app = TestApp::spawn(Opts::default()).await;
    let port = app.port;
    let location = format!(
        "http://auth.gate.localhost:{port}/login?rd=http%3A%2F%2Fapp.gate.localhost%3A{port}%2Fsome%2Fpath%3Fx%3D1"
    );
    for ua in [
        None,
        Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        Some("GoogleBot"),
    ] {
        let with_ua = |rb: reqwest::RequestBuilder| match ua {
            Some(ua) => rb.header("user-agent", ua),
            None => rb,
        };
        let browser = with_ua(app.get("app.gate.localhost", "/some/path?x=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(browser.status(), 302, "{ua:?}");
        assert_eq!(browser.headers()["location"], location.as_str(), "{ua:?}");

        let api = with_ua(app.req(reqwest::Method::GET, "app.gate.localhost", "/some/path?x=1"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 401, "{ua:?}");
        assert_eq!(api.headers()["location"], location.as_str(), "{ua:?}");

        let xhr = with_ua(app.get("app.gate.localhost", "/some/path?x=1"))
            .header("x-requested-with", "XMLHttpRequest")
            .send()
            .await
            .unwrap();
        assert_eq!(xhr.status(), 401, "{ua:?}");

        let post = with_ua(app.req(
            reqwest::Method::POST,
            "app.gate.localhost",
            "/some/path?x=1",
        ))
        .header("accept", "text/html")
        .body("a=1")
        .send()
        .await
        .unwrap();
        assert_eq!(post.status(), 401, "POST {ua:?}");

        for method in [
            reqwest::Method::HEAD,
            reqwest::Method::OPTIONS,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
        ] {
            for accept in ["text/html", "*/*"] {
                let resp = with_ua(app.req(method.clone(), "app.gate.localhost", "/some/path"))
                    .header("accept", accept)
                    .header("access-control-request-method", "GET")
                    .send()
                    .await
                    .unwrap();
                assert!(
                    matches!(resp.status().as_u16(), 302 | 401),
                    "{method} {accept} {ua:?}: {}",
                    resp.status()
                );
            }
        }
    }
    assert_eq!(
        app.echo.count(),
        0,
        "an anonymous request reached the upstream: {:?}",
        app.echo
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.method.clone())
            .collect::<Vec<_>>()
    );

    // Control: the bypass route does reach the upstream anonymously.
    let resp = app.get("public.gate.localhost", "/x").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.echo.count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Upstream failures
// ---------------------------------------------------------------------------------------------

/// The request id shown in an error page footer (`Request 0123…`).
fn footer_request_id(html: &str) -> Option<String> {
    let at = html.find("Request ")? + "Request ".len();
    let id: String = html[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (id.len() >= 8).then_some(id)
}

/// Kept-alive upstream connections are used again: requests one after another, each read to
/// the end, all reach the upstream on one connection, and a HEAD (no body to read) gives its
/// connection back too.
#[tokio::test]
async fn requests_one_after_another_share_one_upstream_connection() {
    let (app, mut b) = app_with_alice("").await;
    for i in 0..6 {
        let req = if i == 3 {
            app.req(reqwest::Method::HEAD, "app.gate.localhost", "/head")
        } else {
            app.get("app.gate.localhost", &format!("/n{i}"))
        };
        let resp = b.send(req).await;
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    let seen = app.echo.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    let peers: std::collections::HashSet<SocketAddr> = seen.iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 1, "upstream connections: {peers:?}");
}

#[tokio::test]
async fn upstream_down_gives_a_502_page_without_internal_details() {
    let overlay = "[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://127.0.0.1:1\"\n";
    let (app, mut b) = app_with_alice(overlay).await;
    let started = Instant::now();
    let resp = b.send(app.get("app.gate.localhost", "/x")).await;
    assert_eq!(resp.status(), 502);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_security_headers(resp.headers(), "502 page");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(
        footer_request_id(&html).is_some(),
        "the 502 page shows no request id: {html}"
    );
    let lower = html.to_ascii_lowercase();
    for leak in [
        "refused",
        "connect error",
        "tcp",
        "127.0.0.1",
        "os error",
        "hyper",
        "client error",
    ] {
        assert!(!lower.contains(leak), "the 502 page leaks {leak:?}: {html}");
    }
}

/// Asks for the page the upstream answers after 10 s: a 504 when the 2 s timeout passes.
async fn timed_out(app: &TestApp, b: &mut Browser) -> reqwest::Response {
    let started = Instant::now();
    let resp = b.send(app.get("app.gate.localhost", "/slow")).await;
    let took = started.elapsed();
    assert_eq!(resp.status(), 504);
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
        "the 2 s upstream timeout took {took:?}"
    );
    resp
}

#[tokio::test]
async fn slow_upstream_gives_a_504_page_after_the_timeout() {
    let (app, mut b) = app_with_alice("").await;
    let resp = timed_out(&app, &mut b).await;
    assert_security_headers(resp.headers(), "504 page");
    let html = resp.text().await.unwrap();
    assert!(footer_request_id(&html).is_some(), "{html}");
    assert_eq!(app.echo.count(), 1, "the upstream did get the request");
}

#[tokio::test]
async fn a_kept_upstream_connection_is_held_to_the_same_timeout_and_not_used_again() {
    let (app, mut b) = app_with_alice("").await;
    let first = b.send(app.get("app.gate.localhost", "/quick")).await;
    assert_eq!(first.status(), 200);
    let kept = app.echo.last().peer;
    timed_out(&app, &mut b).await;
    assert_eq!(
        app.echo.last().peer,
        kept,
        "the slow request went over the connection the first one left"
    );
    // The connection that timed out still owes an answer: the next request takes another.
    let after = b.send(app.get("app.gate.localhost", "/quick")).await;
    assert_eq!(after.status(), 200);
    assert_ne!(app.echo.last().peer, kept);
}

// ---------------------------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------------------------

/// `len` bytes of xorshift: incompressible and position-dependent, so reordering or loss shows.
pub(crate) fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test]
async fn a_5_mib_chunked_body_reaches_the_upstream_intact() {
    let (app, mut b) = app_with_alice("").await;
    let body = noise(5 * 1024 * 1024);
    let digest = Sha256::digest(&body);
    let chunks: VecDeque<Bytes> = body
        .chunks(64 * 1024 + 17)
        .map(Bytes::copy_from_slice)
        .collect();
    let resp = b
        .send(
            app.req(reqwest::Method::POST, "app.gate.localhost", "/upload")
                .header("content-type", "application/octet-stream")
                .body(reqwest::Body::wrap(Chunks(chunks))),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        format!("echo ok, {} bytes", body.len())
    );
    let seen = app.echo.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.body.len(), body.len());
    assert_eq!(Sha256::digest(&seen.body), digest, "the body was altered");
}

#[tokio::test]
async fn request_and_response_bodies_are_streamed_not_buffered() {
    let (addr, hits) = start_stream_echo().await;
    let overlay = format!("[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{addr}\"\n");
    let (app, b) = app_with_alice(&overlay).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    tx.send(Bytes::from_static(b"chunk-0;")).await.unwrap();
    // If the gateway buffered the whole request body, no response headers would come back
    // until the body ends, which happens only after we have read every echoed chunk.
    let step = Duration::from_secs(5);
    let mut resp = tokio::time::timeout(
        step,
        app.req(reqwest::Method::POST, "app.gate.localhost", "/stream")
            .header("cookie", b.cookie_header())
            .body(reqwest::Body::wrap(Channel(rx)))
            .send(),
    )
    .await
    .expect("no response while the request body is still open: the gateway buffers requests")
    .unwrap();
    assert_eq!(resp.status(), 200);
    let mut got = Vec::new();
    for i in 0..5 {
        if i > 0 {
            tx.send(Bytes::from(format!("chunk-{i};"))).await.unwrap();
        }
        let want = format!("chunk-{i};");
        while got.len() < want.len() {
            let c = tokio::time::timeout(step, resp.chunk())
                .await
                .unwrap_or_else(|_| {
                    panic!("chunk {i} was not echoed back in time: the body is buffered")
                })
                .unwrap()
                .expect("the response ended early");
            got.extend_from_slice(&c);
        }
        assert_eq!(String::from_utf8_lossy(&got), want);
        got.clear();
    }
    drop(tx);
    let rest = tokio::time::timeout(step, resp.chunk())
        .await
        .unwrap()
        .unwrap();
    assert!(rest.is_none(), "trailing data: {rest:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// HTTP/2 and TLS
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn http2_prior_knowledge_gets_redirect_then_proxied_over_http1() {
    let (up, heads) = start_raw_upstream().await;
    let overlay = format!("[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{up}\"\n");
    let (app, b) = app_with_alice(&overlay).await;
    let port = app.port;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve("app.gate.localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("http://app.gate.localhost:{port}/h2?x=1");

    let resp = h2
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!(
            "http://auth.gate.localhost:{port}/login?rd=http%3A%2F%2Fapp.gate.localhost%3A{port}%2Fh2%3Fx%3D1"
        )
        .as_str()
    );
    assert!(heads.lock().unwrap().is_empty());

    let resp = h2
        .get(&url)
        .header("cookie", b.cookie_header())
        .header("remote-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "raw ok");
    let head = heads.lock().unwrap().last().cloned().unwrap();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("GET /h2?x=1 HTTP/1.1"), "{head}");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let all = |n: &str| {
        headers
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(all("remote-user"), ["alice"], "{head}");
    assert_eq!(all("remote-groups"), ["users"], "{head}");
    assert_eq!(
        all("host"),
        [format!("app.gate.localhost:{port}")],
        "{head}"
    );
    assert!(
        !head.contains("\n:"),
        "a pseudo-header leaked upstream: {head}"
    );
}

#[tokio::test]
async fn http2_host_header_disagreeing_with_authority_is_refused() {
    let (app, b) = app_with_alice("").await;
    let port = app.port;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve("app.gate.localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // :authority says app (allowed), Host says admin (a different policy): RFC 9113 §8.3.1.
    let resp = h2
        .get(format!("http://app.gate.localhost:{port}/x"))
        .header("host", format!("admin.gate.localhost:{port}"))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        resp.status(),
        400,
        "an HTTP/2 request whose Host differs from :authority was not refused"
    );
    assert_eq!(
        app.echo.count(),
        0,
        "upstream saw Host {:?} on a request judged for app.gate.localhost",
        app.echo.last().one("host").map(str::to_owned)
    );

    // Control: a Host header naming the same authority (case aside) is fine.
    let resp = h2
        .get(format!("http://app.gate.localhost:{port}/same"))
        .header("host", format!("App.Gate.Localhost:{port}"))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.echo.count(), 1);
    assert_eq!(app.echo.last().uri, "/same");
}

#[tokio::test]
async fn tls_termination_serves_h2_and_proxies() {
    install_crypto();
    let certdir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(
        certdir.path(),
        &[
            "*.gate.localhost",
            "auth.gate.localhost",
            "app.gate.localhost",
        ],
    );
    let overlay = format!(
        "[server]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n[portal]\nurl = \"https://auth.gate.localhost\"\n",
        cert.display(),
        key.display()
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let port = app.port;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let pem = std::fs::read(&cert).unwrap();
    let tls = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .resolve("app.gate.localhost", addr)
        .resolve("auth.gate.localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let app_url = format!("https://app.gate.localhost:{port}/hello?x=1");

    // Anonymous: redirect to the https portal with an https return URL.
    let resp = tls
        .get(&app_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.version(),
        reqwest::Version::HTTP_2,
        "ALPN did not pick h2"
    );
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!(
            "https://auth.gate.localhost/login?rd=https%3A%2F%2Fapp.gate.localhost%3A{port}%2Fhello%3Fx%3D1"
        )
        .as_str()
    );

    // Log in over TLS.
    let mut b = app.browser();
    let login_url = format!("https://auth.gate.localhost:{port}/login");
    let page = b
        .send(tls.get(&login_url).header("accept", "text/html"))
        .await;
    assert_eq!(page.status(), 200);
    let csrf = extract_csrf(&page.text().await.unwrap());
    let resp = b
        .send(tls.post(&login_url).form(&[
            ("username", "alice"),
            ("password", PW),
            ("csrf", csrf.as_str()),
            ("rd", ""),
        ]))
        .await;
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    assert!(b.session(&app).is_some());

    let resp = b
        .send(tls.get(&app_url).header("accept", "text/html"))
        .await;
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-upstream"], "echo");
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/hello?x=1");
    assert_eq!(seen.one("remote-user"), Some("alice"));
    assert_eq!(seen.one("x-forwarded-proto"), Some("https"));

    // Plain HTTP on the TLS port is not served.
    let before = app.echo.count();
    let r = raw_request(
        port,
        &raw_get(&app, "app.gate.localhost", "/plain", &[cookie_line(&b)]),
    )
    .await;
    assert_ne!(r.status(), 200, "plain http served on the TLS listener");
    assert_eq!(app.echo.count(), before);
}

/// A TLS upstream with a self-signed certificate for 127.0.0.1; counts the requests it served.
async fn start_tls_upstream(
    dir: &std::path::Path,
) -> (SocketAddr, std::path::PathBuf, Arc<AtomicUsize>) {
    install_crypto();
    let (cert, key) = self_signed(dir, &["127.0.0.1", "localhost"]);
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(&cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let s = served.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let s = s.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(move |_req: http::Request<Incoming>| {
                    s.fetch_add(1, Ordering::SeqCst);
                    async move {
                        Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(
                            Bytes::from_static(b"tls upstream ok"),
                        )))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, cert, served)
}

#[tokio::test]
async fn upstream_tls_certificates_are_validated() {
    let certdir = tempfile::tempdir().unwrap();
    let (up, ca, served) = start_tls_upstream(certdir.path()).await;
    let overlay = format!(
        "[[sites]]\nhost = \"untrusted.gate.localhost\"\nupstream = \"https://{up}\"\n\
         [[sites]]\nhost = \"trusted.gate.localhost\"\nupstream = \"https://{up}\"\nca_file = \"{}\"\n",
        ca.display()
    );
    let (app, mut b) = app_with_alice(&overlay).await;

    let resp = b.send(app.get("untrusted.gate.localhost", "/x")).await;
    assert_eq!(
        resp.status(),
        502,
        "a self-signed upstream certificate was accepted"
    );
    let html = resp.text().await.unwrap().to_ascii_lowercase();
    assert!(
        !html.contains("certificate") && !html.contains("unknownissuer"),
        "the 502 page leaks the TLS error: {html}"
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "the untrusted upstream was sent the request"
    );

    let resp = b.send(app.get("trusted.gate.localhost", "/x")).await;
    assert_eq!(resp.status(), 200, "the site's ca_file was not trusted");
    assert_eq!(resp.text().await.unwrap(), "tls upstream ok");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------------

/// A blocking WebSocket echo server (tungstenite) on a thread: counts TCP connections accepted.
/// Blocking tungstenite rather than tokio-tungstenite streams: sending and reading on those
/// needs `futures_util::{SinkExt, StreamExt}`, which is not a dependency.
fn start_ws_echo() -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio_tungstenite::tungstenite;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            a.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(stream) else {
                    return;
                };
                while let Ok(msg) = ws.read() {
                    if msg.is_text() || msg.is_binary() {
                        if ws.send(msg).is_err() {
                            return;
                        }
                    } else if msg.is_close() {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn websocket_upgrade_is_tunnelled_for_a_session_and_refused_without() {
    use tokio_tungstenite::tungstenite;
    use tungstenite::client::IntoClientRequest;

    let (ws_addr, accepted) = start_ws_echo();
    let echo = Echo::start().await;
    let overlay = format!(
        "[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{}\"\n\
         [[sites]]\nhost = \"ws.gate.localhost\"\nupstream = \"http://{ws_addr}\"\n",
        echo.addr
    );
    let (app, b) = app_with_alice(&overlay).await;
    let port = app.port;

    let connect = move |cookie: Option<String>| {
        tokio::task::spawn_blocking(move || {
            let mut req = format!("ws://ws.gate.localhost:{port}/chat")
                .into_client_request()
                .unwrap();
            if let Some(c) = cookie {
                req.headers_mut()
                    .insert("cookie", http::HeaderValue::from_str(&c).unwrap());
            }
            let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            match tungstenite::client(req, stream) {
                Ok((mut ws, resp)) => {
                    assert_eq!(resp.status(), 101);
                    ws.send(tungstenite::Message::text("hello through the gateway"))
                        .unwrap();
                    let reply = ws.read().unwrap();
                    let _ = ws.close(None);
                    Ok(reply.into_text().unwrap().to_string())
                }
                Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
                    Err(resp.status().as_u16())
                }
                Err(e) => panic!("websocket handshake failed: {e}"),
            }
        })
    };

    let refused = connect(None).await.unwrap();
    assert!(
        matches!(refused, Err(302 | 401)),
        "an anonymous upgrade was not refused: {refused:?}"
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the upstream accepted a socket for an anonymous upgrade"
    );

    let reply = connect(Some(b.cookie_header())).await.unwrap();
    assert_eq!(reply, Ok("hello through the gateway".to_owned()));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(
        echo.count(),
        0,
        "the exact ws host should win over the wildcard"
    );
}
