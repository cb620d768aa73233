//! Graceful shutdown with kept-alive connections (docs/security.md#connection-limits): once it
//! begins, new connections are refused, and a request a client (a proxy reusing its connection)
//! sends on an idle kept-alive connection is still answered, with `Connection: close`, instead
//! of meeting a socket closed under it. A proxy resends a request that found the connection
//! closed only when it is idempotent; a POST would be lost.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::*;
use crate::raw_http::{read_response, read_to_close, status_of};

const POST: &str =
    "POST /form HTTP/1.1\r\nHost: public.gate.localhost\r\nContent-Length: 3\r\n\r\nabc";

#[tokio::test]
async fn a_request_on_a_kept_alive_connection_after_shutdown_begins_is_answered() {
    answered_after_shutdown(Duration::ZERO).await;
}

/// The same for a connection parked at rest (its HTTP state given back) when shutdown begins.
#[tokio::test]
async fn a_request_on_a_parked_connection_after_shutdown_begins_is_answered() {
    answered_after_shutdown(Duration::from_millis(1800)).await;
}

/// A request after shutdown begins, on a connection that answered one and was then quiet for
/// `rest` before shutdown.
async fn answered_after_shutdown(rest: Duration) {
    let mut app = TestApp::spawn(Opts::default()).await;
    let port = app.port;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(POST.as_bytes()).await.unwrap();
    let first = read_response(&mut s).await;
    assert_eq!(status_of(&first), 200, "{first}");
    assert!(
        !first.to_ascii_lowercase().contains("connection: close"),
        "{first}"
    );
    tokio::time::sleep(rest).await;
    let seen = app.echo.count();
    // Shutdown begins while the connection is idle; the next request follows shortly after.
    let client = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = TcpStream::connect(("127.0.0.1", port)).await.is_err();
        let _ = s.write_all(POST.as_bytes()).await;
        let second = read_response(&mut s).await;
        let rest = read_to_close(&mut s).await;
        (refused, second, rest)
    };
    let ((), (refused, second, rest)) = tokio::join!(app.stop(), client);
    assert!(
        refused,
        "a new connection was accepted after shutdown began"
    );
    assert_eq!(
        status_of(&second),
        200,
        "the request was dropped: {second:?}"
    );
    assert!(
        second.to_ascii_lowercase().contains("connection: close"),
        "{second}"
    );
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(
        app.echo.count(),
        seen + 1,
        "the app did not get the second POST"
    );
}

/// Connections the kernel completed but the server had not accepted yet when shutdown began
/// (a proxy that connected and sent its POST an instant before) are taken and answered: closing
/// the listener over them would reset each, and the proxy would not resend the POST.
#[tokio::test]
async fn connections_queued_when_shutdown_begins_are_answered() {
    let mut app = TestApp::spawn(Opts::default()).await;
    let port = app.port;
    // Blocking calls on this (single-threaded) runtime: the server cannot accept meanwhile,
    // so every connection waits in the listener's queue with its request sent.
    let queued: Vec<std::net::TcpStream> = (0..8)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            std::io::Write::write_all(&mut s, POST.as_bytes()).unwrap();
            s
        })
        .collect();
    let seen = app.echo.count();
    app.stop().await;
    for (i, mut s) in queued.into_iter().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answer = Vec::new();
        let read = std::io::Read::read_to_end(&mut s, &mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "connection {i}: {read:?} after {answer:?}");
        assert_eq!(status_of(&answer), 200, "connection {i}: {answer:?}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "connection {i}: {answer}"
        );
    }
    assert_eq!(app.echo.count(), seen + 8, "the app did not get every POST");
}
