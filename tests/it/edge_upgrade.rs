//! Protocol upgrades at the edge: only a WebSocket upgrade is ever passed to an upstream and
//! tunnelled. Any other `Upgrade` token (above all `h2c`) is dropped and the request proxied as
//! a plain HTTP/1.1 request, `HTTP2-Settings` never leaves the gateway, and a 101 whose
//! `Upgrade` is not `websocket` is a 502 with nothing tunnelled.
//!
//! The h2c test runs a real h2c-capable upstream: hypercorn (`tests/support/h2c_upstream.py`),
//! which answers `Upgrade: h2c` with 101 and then serves HTTP/2 streams on the same
//! connection. A gateway that tunnelled that upgrade would let every later stream skip the
//! access rules; the test shows the smuggled stream never reaches hypercorn.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::*;

const H2C_UPSTREAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/h2c_upstream.py");
/// Deadline for hypercorn to start, and for any read on a test socket.
const WAIT: Duration = Duration::from_secs(20);

/// hypercorn in a child process; killed when dropped.
struct H2cUpstream {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl H2cUpstream {
    fn start() -> Self {
        let python = std::env::var("GATEHOUSE_TEST_PYTHON").unwrap_or_else(|_| {
            panic!(
                "GATEHOUSE_TEST_PYTHON is not set: the h2c tests need a Python with hypercorn \
                 (PyPI); run the suite with scripts/test.sh, which creates that venv under \
                 target/ and exports its interpreter"
            )
        });
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let log = dir.path().join("requests.jsonl");
        let mut child = Command::new(&python)
            .arg(H2C_UPSTREAM)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} (hypercorn venv): {e}"));
        let deadline = Instant::now() + WAIT;
        let port: u16 = loop {
            if let Ok(s) = std::fs::read_to_string(&port_file)
                && let Ok(p) = s.trim().parse()
            {
                break p;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "h2c_upstream.py exited with {status} before listening (is hypercorn \
                     installed in {python}'s venv? scripts/test.sh installs it)"
                );
            }
            assert!(Instant::now() < deadline, "hypercorn did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
            _dir: dir,
        }
    }

    /// Every request the app saw, in order.
    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for H2cUpstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 GET asking to switch to h2c, as curl and h2c clients send it (RFC 7540 §3.2).
fn h2c_upgrade_request(host: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade, HTTP2-Settings\r\n\
         Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
    )
    .into_bytes()
}

/// The client connection preface, an empty SETTINGS frame and a HEADERS frame opening stream
/// 3 with `GET path` (HPACK literals without indexing, no Huffman coding).
fn h2_stream(authority: &str, path: &str) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in [
        (":method", "GET"),
        (":scheme", "http"),
        (":path", path),
        (":authority", authority),
    ] {
        block.push(0x00);
        block.push(u8::try_from(name.len()).unwrap());
        block.extend_from_slice(name.as_bytes());
        block.push(u8::try_from(value.len()).unwrap());
        block.extend_from_slice(value.as_bytes());
    }
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    let len = u32::try_from(block.len()).unwrap().to_be_bytes();
    // HEADERS, END_STREAM | END_HEADERS, stream 3.
    out.extend_from_slice(&[len[1], len[2], len[3], 0x1, 0x5, 0, 0, 0, 3]);
    out.extend_from_slice(&block);
    out
}

/// Reads one response head (through the blank line) and, when it has a Content-Length, its body.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + WAIT;
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return text,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no complete response; got {text:?}"),
        }
    }
}

/// Reads until the peer closes (or resets) the connection.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return buf,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!(
                "the connection stayed open after the smuggled bytes; got {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
    }
}

fn status_of(resp: &str) -> u16 {
    resp.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn h2c_upgrade_is_never_tunnelled_and_a_smuggled_http2_stream_never_reaches_the_upstream() {
    let up = H2cUpstream::start();

    // The premise: this upstream really switches to HTTP/2 when asked directly.
    let mut direct = TcpStream::connect(up.addr).await.unwrap();
    direct
        .write_all(&h2c_upgrade_request("probe", "/probe"))
        .await
        .unwrap();
    let head = read_response(&mut direct).await;
    assert_eq!(
        status_of(&head),
        101,
        "hypercorn did not honour h2c: {head}"
    );
    drop(direct);

    let overlay = format!(
        "[[sites]]\nhost = \"h2c.gate.localhost\"\nupstream = \"http://{}\"\n\
         [access_control]\ndefault_policy = \"deny\"\n\
         [[access_control.rules]]\nhosts = [\"h2c.gate.localhost\"]\npaths = [\"/public\"]\n\
         policy = \"bypass\"\n",
        up.addr
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let authority = format!("h2c.gate.localhost:{}", app.port);
    let before = up.requests().len();

    let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    conn.write_all(&h2c_upgrade_request(&authority, "/public"))
        .await
        .unwrap();
    let first = read_response(&mut conn).await;
    assert_ne!(
        status_of(&first),
        101,
        "the gateway tunnelled an h2c upgrade: {first}"
    );
    assert_eq!(
        status_of(&first),
        200,
        "the allowed request was not proxied as a plain request: {first}"
    );
    assert!(first.ends_with("h2c upstream ok"), "{first}");

    // The attack: an HTTP/2 stream for a path the rules deny, on the same connection.
    let _ = conn.write_all(&h2_stream(&authority, "/admin")).await;
    let after = read_to_close(&mut conn).await;
    assert!(
        !String::from_utf8_lossy(&after).contains("h2c upstream ok"),
        "the smuggled stream got an answer from the upstream"
    );

    let seen: Vec<serde_json::Value> = up.requests().into_iter().skip(before).collect();
    assert!(
        seen.iter().all(|r| r["path"] != "/admin"),
        "the smuggled HTTP/2 stream reached the upstream: {seen:#?}"
    );
    assert_eq!(seen.len(), 1, "{seen:#?}");
    let only = &seen[0];
    assert_eq!(only["path"], "/public");
    assert_eq!(only["http_version"], "1.1", "{only}");
    for h in ["upgrade", "http2-settings"] {
        assert!(
            only["headers"].get(h).is_none(),
            "{h} reached the upstream: {only}"
        );
    }
}

/// An upstream on a raw socket that records each request head and answers with `answer`
/// (then, when it is a 101, writes `after` as if it spoke another protocol).
async fn start_raw(
    answer: &'static str,
    after: &'static [u8],
) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads: Arc<Mutex<Vec<String>>> = Arc::default();
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
                    .push(String::from_utf8_lossy(&buf).to_ascii_lowercase());
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(after).await;
                let _ = stream.flush().await;
                // Keep the socket open a while, as a real upgraded peer would.
                let _ = stream.read(&mut chunk).await;
            });
        }
    });
    (addr, heads)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nraw ok";

#[tokio::test]
async fn only_a_single_websocket_token_is_forwarded_and_http2_settings_never_is() {
    let (addr, heads) = start_raw(OK, b"").await;
    let overlay =
        format!("[[sites]]\nhost = \"raw.gate.localhost\"\nupstream = \"http://{addr}\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let cookie = format!("Cookie: {}", b.cookie_header());
    let host = format!("raw.gate.localhost:{}", app.port);

    for upgrade in [
        "h2c",
        "H2C",
        "websocket, h2c",
        "h2c, websocket",
        "websocket/13",
        "TLS/1.2",
        "foo",
    ] {
        let req = format!(
            "GET /x HTTP/1.1\r\nHost: {host}\r\n{cookie}\r\nConnection: Upgrade\r\n\
             Upgrade: {upgrade}\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
        conn.write_all(req.as_bytes()).await.unwrap();
        let resp = read_response(&mut conn).await;
        assert_eq!(status_of(&resp), 200, "Upgrade: {upgrade}: {resp}");
        let head = heads.lock().unwrap().pop().expect("upstream saw nothing");
        assert!(
            !head.contains("\r\nupgrade:") && !head.contains("http2-settings"),
            "Upgrade: {upgrade} was forwarded:\n{head}"
        );
    }

    // Two Upgrade header lines are not one token either.
    let req = format!(
        "GET /x HTTP/1.1\r\nHost: {host}\r\n{cookie}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nUpgrade: h2c\r\n\r\n"
    );
    let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    conn.write_all(req.as_bytes()).await.unwrap();
    let resp = read_response(&mut conn).await;
    assert_eq!(status_of(&resp), 200, "{resp}");
    let head = heads.lock().unwrap().pop().expect("upstream saw nothing");
    assert!(!head.contains("\r\nupgrade:"), "forwarded:\n{head}");

    // HTTP2-Settings goes even when the client does not list it in Connection.
    let req =
        format!("GET /x HTTP/1.1\r\nHost: {host}\r\n{cookie}\r\nHTTP2-Settings: AAMA\r\n\r\n");
    let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    conn.write_all(req.as_bytes()).await.unwrap();
    let resp = read_response(&mut conn).await;
    assert_eq!(status_of(&resp), 200, "{resp}");
    let head = heads.lock().unwrap().pop().expect("upstream saw nothing");
    assert!(!head.contains("http2-settings"), "forwarded:\n{head}");
}

#[tokio::test]
async fn a_101_that_is_not_the_requested_websocket_is_a_502_and_nothing_is_tunnelled() {
    let (addr, heads) = start_raw(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
        b"SMUGGLED-BYTES",
    )
    .await;
    let overlay =
        format!("[[sites]]\nhost = \"raw.gate.localhost\"\nupstream = \"http://{addr}\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let cookie = format!("Cookie: {}", b.cookie_header());
    let host = format!("raw.gate.localhost:{}", app.port);

    // A websocket request answered with a switch to something else; then a plain request
    // answered with a 101 nobody asked for.
    for extra in [
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
        "",
    ] {
        let req = format!("GET /ws HTTP/1.1\r\nHost: {host}\r\n{cookie}\r\n{extra}\r\n");
        let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
        conn.write_all(req.as_bytes()).await.unwrap();
        let resp = read_response(&mut conn).await;
        assert_eq!(status_of(&resp), 502, "request {extra:?}: {resp}");
        let _ = conn.write_all(b"more bytes for the tunnel\r\n").await;
        let rest = read_to_close(&mut conn).await;
        let all = format!("{resp}{}", String::from_utf8_lossy(&rest));
        assert!(!all.contains("SMUGGLED"), "bytes were tunnelled: {all}");
        assert!(heads.lock().unwrap().pop().is_some());
    }
}

#[tokio::test]
async fn a_websocket_upgrade_in_any_letter_case_is_still_tunnelled() {
    let (addr, heads) = start_raw(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n",
        b"frames-from-upstream",
    )
    .await;
    let overlay =
        format!("[[sites]]\nhost = \"raw.gate.localhost\"\nupstream = \"http://{addr}\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: raw.gate.localhost:{}\r\nCookie: {}\r\nConnection: keep-alive, Upgrade\r\n\
         Upgrade: WEBSOCKET\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        app.port,
        b.cookie_header()
    );
    let mut conn = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    conn.write_all(req.as_bytes()).await.unwrap();
    let head = read_response(&mut conn).await;
    assert_eq!(status_of(&head), 101, "{head}");
    let mut got = head.into_bytes();
    let mut chunk = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains("frames-from-upstream") {
        match tokio::time::timeout(WAIT, conn.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&chunk[..n]),
            other => panic!(
                "tunnel gave {other:?} after {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    let sent = heads.lock().unwrap().pop().expect("upstream saw nothing");
    assert!(sent.contains("\r\nupgrade: websocket"), "{sent}");
}
