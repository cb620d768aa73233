//! Protocol upgrades at the edge: only a WebSocket upgrade is ever passed to an upstream and
//! tunnelled. Any other `Upgrade` token (above all `h2c`) is dropped and the request proxied as
//! a plain HTTP/1.1 request, `HTTP2-Settings` never leaves the gateway, and a 101 whose
//! `Upgrade` is not `websocket` is a 502 with nothing tunnelled. The h2c test against a real
//! h2c-capable upstream (hypercorn) is in the end-to-end target (`tests/e2e/edge_upgrade.rs`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::*;
use crate::raw_http::*;

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
