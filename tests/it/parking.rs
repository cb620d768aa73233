//! Parking (docs/architecture.md#parked-connections): a kept-alive HTTP/1 connection at rest
//! gives its HTTP state back and waits on the bare socket; the client sees nothing of it. Each
//! test drives one connection with hyper's client, which fails a request sent on a connection
//! the gateway closed (or, over TLS, ended with a close alert), and reads the gateway's
//! `connections_open` and `connections_parked` gauges.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::harness::*;
use crate::protocol::{Channel, app_with_alice, self_signed, start_stream_echo};

const METRICS: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n";
/// Far longer than the gateway's park delay (a tenth of a second).
const AT_REST: Duration = Duration::from_millis(1500);

type Body = BoxBody<Bytes, Infallible>;

/// An HTTP/1.1 client on `io`, and the task that drives its connection (finished once the
/// gateway closes it).
async fn client<S>(io: S) -> (SendRequest<Body>, JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    let driven = tokio::spawn(async move {
        let _ = conn.await;
    });
    (sender, driven)
}

/// Sends a GET and reads the whole answer; the status.
async fn get(sender: &mut SendRequest<Body>, host: &str, path: &str, cookie: &str) -> u16 {
    let mut req = http::Request::get(path).header("host", host);
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    let req = req.body(http_body_util::Empty::new().boxed()).unwrap();
    sender
        .ready()
        .await
        .expect("the gateway closed the connection");
    let resp = sender
        .send_request(req)
        .await
        .expect("the request failed on the kept-alive connection");
    let status = resp.status().as_u16();
    resp.into_body().collect().await.unwrap();
    status
}

/// The gateway's (open, parked) connection gauges.
async fn connections(app: &TestApp) -> (u64, u64) {
    let addr = app.metrics_addr().expect("metrics are off");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gauge = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in the scrape"))
    };
    (
        gauge("gatehouse_connections_open"),
        gauge("gatehouse_connections_parked"),
    )
}

/// Waits until the gauges read `want`; panics with the last reading after 10 s.
async fn until_connections(app: &TestApp, want: (u64, u64)) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = connections(app).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "connections (open, parked): {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_connection_at_rest_is_parked_and_takes_its_next_request() {
    let app = TestApp::spawn(Opts::with(Store::Memory, METRICS)).await;
    let host = format!("{}:{}", app.portal_host, app.port);
    let (mut sender, driven) =
        client(TcpStream::connect(("127.0.0.1", app.port)).await.unwrap()).await;
    assert_eq!(get(&mut sender, &host, "/login", "").await, 200);
    tokio::time::sleep(AT_REST).await;
    assert_eq!(connections(&app).await, (1, 1), "not parked at rest");
    // Parked again and again, and the same connection serves each next request.
    for _ in 0..2 {
        assert_eq!(get(&mut sender, &host, "/login", "").await, 200);
        tokio::time::sleep(AT_REST).await;
        assert_eq!(connections(&app).await, (1, 1));
    }
    assert!(!driven.is_finished(), "the gateway closed the connection");
    // The client leaves: the parked connection sees it and is gone.
    drop(sender);
    driven.await.unwrap();
    until_connections(&app, (0, 0)).await;
}

#[tokio::test]
async fn a_tls_connection_is_parked_without_ending_its_session() {
    install_crypto();
    let certdir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(certdir.path(), &["auth.gate.localhost"]);
    let overlay = format!(
        "{METRICS}[server]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n[portal]\nurl = \"https://auth.gate.localhost\"\n",
        cert.display(),
        key.display()
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let mut roots = rustls::RootCertStore::empty();
    use rustls_pki_types::pem::PemObject;
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("auth.gate.localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    let (mut sender, driven) = client(tls).await;
    let host = format!("auth.gate.localhost:{}", app.port);
    assert_eq!(get(&mut sender, &host, "/login", "").await, 200);
    tokio::time::sleep(AT_REST).await;
    assert_eq!(connections(&app).await, (1, 1), "not parked at rest");
    // A close alert would have ended the session: the next request would fail.
    assert_eq!(get(&mut sender, &host, "/login", "").await, 200);
    assert!(!driven.is_finished(), "the gateway ended the TLS session");
}

/// An answer whose body pauses for longer than the park delay (a long poll, an event stream)
/// is not a connection at rest: parking then would end the connection after the answer.
#[tokio::test]
async fn an_answer_paused_mid_body_keeps_its_connection() {
    let (up, hits) = start_stream_echo().await;
    let overlay =
        format!("{METRICS}[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{up}\"\n");
    let (app, b) = app_with_alice(&overlay).await;
    let cookie = b.cookie_header();
    let host = format!("app.gate.localhost:{}", app.port);
    let (mut sender, driven) =
        client(TcpStream::connect(("127.0.0.1", app.port)).await.unwrap()).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let req = http::Request::post("/stream")
        .header("host", &host)
        .header("cookie", &cookie)
        .body(Channel(rx).boxed())
        .unwrap();
    tx.send(Bytes::from_static(b"first;")).await.unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&first[..], b"first;");
    // The answer is quiet, mid-body, for longer than the park delay. (The gauges would not
    // tell: the login's own connection is parked meanwhile.)
    tokio::time::sleep(AT_REST).await;
    tx.send(Bytes::from_static(b"last")).await.unwrap();
    drop(tx);
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(&rest[..], b"last");
    // The connection is still kept alive: the next request goes over it.
    assert_eq!(get(&mut sender, &host, "/after", &cookie).await, 200);
    assert!(!driven.is_finished(), "the gateway closed the connection");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_parked_connection_is_closed_at_the_idle_timeout() {
    let overlay = format!("{METRICS}[server]\nidle_timeout = \"3s\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let host = format!("{}:{}", app.portal_host, app.port);
    let (mut sender, driven) =
        client(TcpStream::connect(("127.0.0.1", app.port)).await.unwrap()).await;
    assert_eq!(get(&mut sender, &host, "/login", "").await, 200);
    let answered = Instant::now();
    tokio::time::sleep(AT_REST).await;
    assert_eq!(connections(&app).await, (1, 1), "not parked at rest");
    tokio::time::timeout(Duration::from_secs(10), driven)
        .await
        .expect("the parked connection outlived the idle timeout")
        .unwrap();
    let after = answered.elapsed();
    assert!(
        after >= Duration::from_millis(2500),
        "closed after {after:?}, before the idle timeout"
    );
    until_connections(&app, (0, 0)).await;
}
