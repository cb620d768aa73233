//! h2c at the edge against a real h2c-capable upstream: hypercorn
//! (`tests/support/h2c_upstream.py`), which answers `Upgrade: h2c` with 101 and then serves
//! HTTP/2 streams on the same connection. A gateway that tunnelled that upgrade would let every
//! later stream skip the access rules; the test shows the smuggled stream never reaches
//! hypercorn. The other upgrade rules are checked in process (`tests/it/edge_upgrade.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::*;
use crate::raw_http::*;

const H2C_UPSTREAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/h2c_upstream.py");

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
