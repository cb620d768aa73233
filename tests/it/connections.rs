//! Connection-level limits, over raw TCP sockets: caps on open connections (in all and per
//! client address), a deadline for request bodies, and an idle timeout for keep-alive
//! connections. Other client addresses are other loopback addresses (127.0.0.2, …). That
//! `serve` raises its open-file limit is checked on the real binary in the end-to-end target
//! (`tests/e2e/connections.rs`).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::harness::*;

/// Longest a test waits for something the gateway must do; far above every configured limit.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect_from(app: &TestApp, last: u8) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))
        .unwrap();
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], app.port)))
        .await
        .unwrap()
}

/// Reads one HTTP/1.1 response; `None` when the connection ends (or resets) before a status
/// line arrives.
async fn read_response(stream: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("no answer and no close from the gateway")
        {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body_len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut have = buf.len() - head_end;
    while have < body_len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => have += n,
        }
    }
    Some(status)
}

/// Sends a GET for the login page on `stream`; the status, or `None` when refused.
async fn get_login(app: &TestApp, stream: &mut TcpStream) -> Option<u16> {
    let req = format!(
        "GET /login HTTP/1.1\r\nHost: {}:{}\r\nAccept: text/html\r\n\r\n",
        app.portal_host, app.port
    );
    if stream.write_all(req.as_bytes()).await.is_err() {
        return None;
    }
    read_response(stream).await
}

#[tokio::test]
async fn the_per_address_cap_refuses_one_address_and_serves_another() {
    let overlay =
        "[server]\nmax_connections_per_client = 3\nmax_connections = 100\nidle_timeout = \"60s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = connect_from(&app, 2).await;
        assert_eq!(get_login(&app, &mut s).await, Some(200));
        held.push(s);
    }
    let mut fourth = connect_from(&app, 2).await;
    assert_eq!(
        get_login(&app, &mut fourth).await,
        None,
        "a fourth connection from 127.0.0.2 was served"
    );
    let mut other = connect_from(&app, 3).await;
    assert_eq!(get_login(&app, &mut other).await, Some(200));

    // A closed connection gives its place back (the gateway notices the close on its own time).
    drop(held.pop());
    let mut served = false;
    for _ in 0..100 {
        let mut s = connect_from(&app, 2).await;
        if get_login(&app, &mut s).await == Some(200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "127.0.0.2 stayed refused after closing a connection"
    );
}

#[tokio::test]
async fn the_global_cap_refuses_new_connections_from_anyone() {
    let overlay =
        "[server]\nmax_connections_per_client = 3\nmax_connections = 3\nidle_timeout = \"60s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut held = Vec::new();
    for last in 2..=4 {
        let mut s = connect_from(&app, last).await;
        assert_eq!(get_login(&app, &mut s).await, Some(200));
        held.push(s);
    }
    let mut next = connect_from(&app, 5).await;
    assert_eq!(
        get_login(&app, &mut next).await,
        None,
        "a connection beyond max_connections was served"
    );
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_at_the_body_deadline() {
    let overlay = "[server]\nbody_read_timeout = \"1s\"\nidle_timeout = \"60s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("bob", PW, &[]).await;

    const LEN: usize = 40;
    let stream = connect_from(&app, 2).await;
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {LEN}\r\n\r\n",
        app.portal_host, app.port
    );
    wr.write_all(head.as_bytes()).await.unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    // One byte every 250 ms: the whole body would take 10 s.
    let writer = tokio::spawn(async move {
        for _ in 0..LEN {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if wr.write_all(b"a").await.is_err() {
                return;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, rd.read_to_end(&mut answer))
        .await
        .expect("the gateway neither answered nor closed");
    let sent_when_cut = sent.load(Ordering::SeqCst);
    writer.abort();
    assert!(
        sent_when_cut < LEN,
        "the gateway waited for the whole trickled body ({sent_when_cut} bytes)"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a late body should get 408, got: {answer}"
    );

    // A normal sign-in still works.
    app.login("bob", PW).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let overlay = "[server]\nidle_timeout = \"1s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut s = connect_from(&app, 2).await;
    assert_eq!(get_login(&app, &mut s).await, Some(200));
    // The same connection serves a second request (keep-alive), then goes quiet.
    assert_eq!(get_login(&app, &mut s).await, Some(200));
    let mut byte = [0u8; 1];
    // Well below the 10 s request-head deadline, so only the idle timeout can close it.
    let closed = matches!(
        tokio::time::timeout(Duration::from_secs(6), s.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    );
    assert!(closed, "an idle keep-alive connection stayed open");
}

/// A request that arrives as the idle timeout runs out is answered, not met by a close: a
/// proxy reusing its kept-alive connection never resends a POST that found it closed. Here the
/// runtime is held (a blocking sleep on its only thread) past the timeout while each request
/// is sent, so the timer and the request wake each connection at once.
#[tokio::test]
async fn a_request_arriving_as_the_idle_timeout_runs_out_is_answered() {
    let overlay = "[server]\nidle_timeout = \"1s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let post = "POST /form HTTP/1.1\r\nHost: public.gate.localhost\r\nContent-Length: 3\r\n\r\nabc";
    let mut kept = Vec::new();
    for _ in 0..8 {
        let mut s = connect_from(&app, 1).await;
        s.write_all(post.as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut s).await, Some(200));
        kept.push(s.into_std().unwrap());
    }
    std::thread::sleep(Duration::from_millis(1300));
    for s in &mut kept {
        std::io::Write::write_all(s, post.as_bytes()).unwrap();
    }
    let seen = app.echo.count();
    for (i, s) in kept.into_iter().enumerate() {
        let mut s = TcpStream::from_std(s).unwrap();
        assert_eq!(read_response(&mut s).await, Some(200), "connection {i}");
    }
    assert_eq!(app.echo.count(), seen + 8, "the app did not get every POST");
}

#[test]
fn bad_connection_limits_are_listed_with_their_keys() {
    let text = r#"
[server]
body_read_timeout = "soon"
idle_timeout = "0"
max_connections = 10
max_connections_per_client = 11
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
"#;
    let problems =
        gatehouse::config::load_str(text, std::path::Path::new("/tmp"), std::iter::empty())
            .expect_err("the config should be refused");
    for key in [
        "server.body_read_timeout",
        "server.idle_timeout",
        "server.max_connections_per_client",
    ] {
        assert!(
            problems.iter().any(|p| p.key == key),
            "no problem for {key}: {problems:#?}"
        );
    }
    let ok = text
        .replace(
            "body_read_timeout = \"soon\"",
            "body_read_timeout = \"30s\"",
        )
        .replace("idle_timeout = \"0\"", "idle_timeout = \"30s\"")
        .replace(
            "max_connections_per_client = 11",
            "max_connections_per_client = 10",
        );
    let config = gatehouse::config::load_str(&ok, std::path::Path::new("/tmp"), std::iter::empty())
        .unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(config.server.max_connections_per_client, 10);
    assert_eq!(config.server.body_read_timeout, Duration::from_secs(30));
}

/// How long a request head may take to arrive (`HEAD_TIMEOUT` in `src/server/mod.rs`).
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// An HTTP/2 connection (prior knowledge: the gateway's auto builder recognises the preface)
/// that has answered one request for the login page with 200: its sender, and the task
/// driving it (ends when the gateway closes it).
async fn h2_after_one_request(
    app: &TestApp,
) -> (
    hyper::client::conn::http2::SendRequest<http_body_util::Empty<bytes::Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
) {
    let stream = connect_from(app, 2).await;
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let driving = tokio::spawn(conn);
    assert_eq!(h2_login(app, &mut sender).await, 200);
    (sender, driving)
}

async fn h2_login(
    app: &TestApp,
    sender: &mut hyper::client::conn::http2::SendRequest<http_body_util::Empty<bytes::Bytes>>,
) -> u16 {
    let req = http::Request::get(format!("http://{}:{}/login", app.portal_host, app.port))
        .header("accept", "text/html")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    sender.send_request(req).await.unwrap().status().as_u16()
}

/// A kept-alive connection waits for its next request for as long as `server.idle_timeout`,
/// not only for the request-head deadline: a front proxy keeps its connections to the gateway
/// for a minute (nginx's default) and sends on one without warning, and a connection closed
/// under a request it is sending loses that request unless it can be resent (a POST cannot).
/// HTTP/1.1 and HTTP/2 alike.
#[tokio::test]
async fn a_kept_alive_connection_waits_past_the_head_deadline_until_the_idle_timeout() {
    let overlay = "[server]\nidle_timeout = \"60s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut h1 = connect_from(&app, 2).await;
    assert_eq!(get_login(&app, &mut h1).await, Some(200));
    let (mut h2, h2_conn) = h2_after_one_request(&app).await;

    tokio::time::sleep(HEAD_DEADLINE + Duration::from_millis(1500)).await;
    assert_eq!(
        get_login(&app, &mut h1).await,
        Some(200),
        "the HTTP/1.1 connection was closed before the idle timeout"
    );
    assert!(
        !h2_conn.is_finished(),
        "the HTTP/2 connection was closed before the idle timeout"
    );
    assert_eq!(h2_login(&app, &mut h2).await, 200);
}

/// Sends `head` one byte every 250 ms on `stream`, so that the connection is never quiet for
/// long; whether the gateway closed the connection before the whole head had gone out.
async fn cut_off_while_trickling(stream: TcpStream, head: String) -> bool {
    let (mut rd, mut wr) = stream.into_split();
    let len = head.len();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let writer = tokio::spawn(async move {
        for byte in head.into_bytes() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if wr.write_all(&[byte]).await.is_err() {
                return;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    // A head that never completes gets no answer: the read ends when the gateway closes.
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(PATIENCE + HEAD_DEADLINE, rd.read_to_end(&mut answer))
        .await
        .is_ok();
    writer.abort();
    closed && sent.load(Ordering::SeqCst) < len
}

/// A request head must arrive within the head deadline, whether it is a connection's first
/// request or one after a kept-alive answer, however steadily it trickles in: otherwise a
/// client could hold a connection (and its buffers) open for ever with a byte now and then.
#[tokio::test]
async fn a_trickled_request_head_is_cut_off_at_the_head_deadline() {
    let overlay = "[server]\nidle_timeout = \"60s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    // About 45 s of trickling at four bytes a second, far beyond the deadline.
    let head = |app: &TestApp| {
        let pad = "x".repeat(120);
        format!(
            "GET /login HTTP/1.1\r\nHost: {}:{}\r\nX-Pad: {pad}\r\n\r\n",
            app.portal_host, app.port
        )
    };
    let first = connect_from(&app, 2).await;
    let mut kept = connect_from(&app, 3).await;
    assert_eq!(get_login(&app, &mut kept).await, Some(200));
    let (first, kept) = tokio::join!(
        cut_off_while_trickling(first, head(&app)),
        cut_off_while_trickling(kept, head(&app))
    );
    assert!(first, "a connection's first request head trickled in whole");
    assert!(kept, "a head after a kept-alive answer trickled in whole");
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let overlay = "[server]\nidle_timeout = \"1s\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    // The login page is answered (200) before the connection goes quiet.
    let (_sender, ended) = h2_after_one_request(&app).await;
    // HTTP/2 has no request-head deadline between requests: only the idle timeout closes it.
    let closed = tokio::time::timeout(PATIENCE, ended).await;
    assert!(closed.is_ok(), "an idle HTTP/2 connection stayed open");
}
