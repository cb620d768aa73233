//! The plain-HTTP upstream client's reading of answers (src/http/proxy/plain.rs, framing.rs),
//! against an upstream on a raw socket that writes exactly the bytes each test scripts: bodies
//! are relayed whole however they are framed, a connection is kept only when its answer ended
//! cleanly, and no byte an upstream sent past an answer ever reaches another request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::protocol::{app_with_alice, noise};

/// The body of `/big`: 4 MiB and 3 bytes of noise, more than any buffer on its way holds.
static BIG: LazyLock<Vec<u8>> = LazyLock::new(|| noise(4 * 1024 * 1024 + 3));
/// The head of `/big`'s answer.
static BIG_HEAD: LazyLock<String> =
    LazyLock::new(|| format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", BIG.len()));

/// Written between two parts of an answer: the upstream waits before the next part.
const PAUSE: &[u8] = b"<pause>";
/// Written as an answer's last part: the upstream closes the connection.
const CLOSE: &[u8] = b"<close>";

/// What the scripted upstream writes for a request target.
fn script(target: &str) -> Vec<&'static [u8]> {
    match target {
        "/plain" => vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain"],
        "/chunked" => vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"a\"\r\nhello\r\n",
            PAUSE,
            b"6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        ],
        "/extra" => vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged",
        ],
        "/late" => vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            PAUSE,
            b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged",
        ],
        "/head" => vec![b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"],
        "/until-close" => vec![
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed ",
            PAUSE,
            b"to the close",
            CLOSE,
        ],
        "/interim" => vec![
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ],
        "/closes-after" => vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", PAUSE, CLOSE],
        "/two-lengths" => {
            // A body no page of Gatehouse's holds by chance: a 502 page shows a request id with
            // random hex in it, which can hold "abc", the body this answer had before.
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Length: 10\r\n\r\nUPSTREAM!!"]
        }
        "/big" => vec![BIG_HEAD.as_bytes(), &BIG[..]],
        "/bad-chunk" => vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokzz\r\n"],
        _ => vec![b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"],
    }
}

/// The scripted upstream: answers each request head on a connection as `script` says, and
/// counts the connections it accepted.
async fn scripted_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    for part in script(&target) {
                        if part == PAUSE {
                            tokio::time::sleep(Duration::from_millis(150)).await;
                        } else if part == CLOSE || stream.write_all(part).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

struct Rig {
    client: reqwest::Client,
    cookie: String,
    base: String,
    accepted: Arc<AtomicUsize>,
    port: u16,
    _app: crate::harness::TestApp,
}

impl Rig {
    async fn new() -> Self {
        let (up, accepted) = scripted_upstream().await;
        let overlay =
            format!("[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{up}\"\n");
        let (app, b) = app_with_alice(&overlay).await;
        let addr: SocketAddr = ([127, 0, 0, 1], app.port).into();
        let client = reqwest::Client::builder()
            .http1_only()
            .resolve("app.gate.localhost", addr)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            cookie: b.cookie_header(),
            base: format!("http://app.gate.localhost:{}", app.port),
            accepted,
            port: app.port,
            _app: app,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn body(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        resp.text().await.unwrap()
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn large_answers_reach_the_client_intact_between_small_ones_on_one_connection() {
    // The gateway writes each answer's head and body from one buffer (src/server/conn.rs): a
    // large body must come out whole and in order, and the next answer on the client's
    // connection after it. One hyper connection, so that a reconnect would fail the test.
    let rig = Rig::new().await;
    let stream = TcpStream::connect(("127.0.0.1", rig.port)).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driven = tokio::spawn(conn);
    let host = format!("app.gate.localhost:{}", rig.port);
    for (path, want) in [
        ("/plain", &b"plain"[..]),
        ("/big", &BIG[..]),
        ("/plain", b"plain"),
        ("/big", &BIG[..]),
    ] {
        let req = http::Request::get(path)
            .header("host", &host)
            .header("cookie", &rig.cookie)
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        sender
            .ready()
            .await
            .expect("the gateway closed the connection");
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let got = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(got.len(), want.len(), "{path}: the answer's length");
        assert!(got == want, "{path}: the answer was altered");
    }
    assert!(!driven.is_finished(), "the gateway closed the connection");
    assert_eq!(rig.connections(), 1, "the upstream connection was not kept");
}

#[tokio::test]
async fn a_chunked_answer_is_relayed_whole_and_its_connection_kept() {
    let rig = Rig::new().await;
    assert_eq!(rig.body("/chunked").await, "hello world");
    assert_eq!(rig.body("/chunked").await, "hello world");
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 1, "the connection was not kept");
}

#[tokio::test]
async fn bytes_sent_past_an_answer_never_answer_the_next_request() {
    let rig = Rig::new().await;
    // In the same write as the answer: seen at once, the connection is not kept.
    assert_eq!(rig.body("/extra").await, "ok");
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 2);
    // After the connection went back to the pool: seen when it is taken again, and it goes.
    assert_eq!(rig.body("/late").await, "ok");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 3);
}

#[tokio::test]
async fn an_answer_without_framing_runs_to_the_close_and_its_connection_goes() {
    let rig = Rig::new().await;
    assert_eq!(rig.body("/until-close").await, "streamed to the close");
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 2);
}

#[tokio::test]
async fn a_head_answer_has_no_body_and_keeps_its_connection() {
    let rig = Rig::new().await;
    let resp = rig
        .client
        .head(format!("{}/head", rig.base))
        .header("cookie", &rig.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], "50");
    assert_eq!(resp.bytes().await.unwrap().len(), 0);
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 1);
}

#[tokio::test]
async fn interim_answers_are_skipped() {
    let rig = Rig::new().await;
    assert_eq!(rig.body("/interim").await, "ok");
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 1);
}

#[tokio::test]
async fn a_kept_connection_the_upstream_closed_is_replaced() {
    let rig = Rig::new().await;
    assert_eq!(rig.body("/closes-after").await, "ok");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 2);
}

#[tokio::test]
async fn doubtful_framing_is_refused() {
    let rig = Rig::new().await;
    let resp = rig.get("/two-lengths").await;
    assert_eq!(resp.status(), 502);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("UPSTREAM!"), "{text}");
    // A chunked body that breaks: the client's answer is cut off, before or after its head
    // went out, and never ended as if whole.
    let sent = rig
        .client
        .get(format!("{}/bad-chunk", rig.base))
        .header("cookie", &rig.cookie)
        .send()
        .await;
    if let Ok(resp) = sent {
        assert!(
            resp.text().await.is_err(),
            "a broken body was ended as if whole"
        );
    }
    assert_eq!(rig.body("/plain").await, "plain");
    assert_eq!(rig.connections(), 3);
}
