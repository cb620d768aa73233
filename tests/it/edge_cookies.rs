//! Cookies and headers across the proxy boundary: no Gatehouse cookie reaches an upstream (in
//! SSO and one-host mode), an upstream cannot set one (the `Set-Cookie` is dropped and
//! audited), method-override headers never reach an upstream, and a session is only valid
//! under the cookie domain it was issued for. The shipped nginx and Caddy examples are checked
//! the same way in the end-to-end target (`tests/e2e/edge_cookies.rs`).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::*;

#[tokio::test]
async fn no_gatehouse_cookie_reaches_the_upstream_in_sso_or_one_host_mode() {
    for single_host in [false, true] {
        let opts = Opts {
            single_host,
            ..Opts::with(
                Store::Memory,
                "[access_control]\ndefault_policy = \"one_factor\"\n",
            )
        };
        let app = TestApp::spawn(opts).await;
        app.add_user("alice", PW, &["users"]).await;
        let b = app.login("alice", PW).await;
        let session = b.session(&app).unwrap();
        let host = if single_host {
            "localhost"
        } else {
            "app.gate.localhost"
        };
        let cookie = format!("app=1; {}; {OTHER_OWN}; theme=dark", b.cookie_header());
        let resp = app
            .get(host, "/page")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "single_host={single_host}");
        let seen = app.echo.last();
        let sent = seen.one("cookie").unwrap_or_default();
        assert!(
            !sent.contains("gatehouse") && !sent.contains(&session),
            "single_host={single_host}: a Gatehouse cookie reached the app: {sent}"
        );
        assert!(
            sent.contains("app=1") && sent.contains("theme=dark"),
            "single_host={single_host}: the app's own cookies were lost: {sent}"
        );
    }
}

/// A writer that keeps everything the test's log subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// An upstream that answers every request with `Set-Cookie`s for Gatehouse's cookies and one
/// of its own.
async fn start_cookie_setter() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\n\
                          Set-Cookie: __Secure-gatehouse_session=attacker-session; Domain=gate.localhost; Path=/; Secure\r\n\
                          Set-Cookie: app_pref=1; Path=/\r\n\
                          Set-Cookie: __Host-gatehouse_device=; Max-Age=0; Path=/; Secure\r\n\
                          set-cookie: __HOST-GATEHOUSE_CSRF=fixed; Path=/; Secure\r\n\
                          Content-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_upstream_cannot_set_a_gatehouse_cookie_and_the_attempt_is_audited() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The test runtime is single-threaded: the gateway's tasks log through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = start_cookie_setter().await;
    let overlay =
        format!("[[sites]]\nhost = \"evil.gate.localhost\"\nupstream = \"http://{addr}\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let session = b.session(&app).unwrap();

    let resp = b.send(app.get("evil.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
    let set: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(set, ["app_pref=1; Path=/"], "{set:?}");
    assert_eq!(b.session(&app), Some(session), "the session was swapped");

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "audit" && v["fields"]["event"] == "upstream.cookie_dropped")
        .collect();
    assert_eq!(events.len(), 1, "no single audit event in:\n{text}");
    let fields = &events[0]["fields"];
    let cookies = fields["cookies"].as_str().unwrap_or_default();
    assert!(
        cookies.contains("__Secure-gatehouse_session")
            && cookies.contains("__Host-gatehouse_device")
            && cookies.contains("__HOST-GATEHOUSE_CSRF"),
        "{fields}"
    );
    assert_eq!(fields["host"], "evil.gate.localhost", "{fields}");
    assert!(
        !text.contains("attacker-session"),
        "a cookie value was logged"
    );
}

#[tokio::test]
async fn method_override_headers_never_reach_the_upstream() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    // The base rules deny DELETE on app.gate.localhost to group users: a GET that an app
    // would run as a DELETE must not carry the override.
    let resp = b
        .send(
            app.get("app.gate.localhost", "/items/1")
                .header("X-HTTP-Method-Override", "DELETE")
                .header("X-Method-Override", "DELETE")
                .header("X-HTTP-Method", "DELETE")
                .header("x_http_method_override", "DELETE"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let seen = app.echo.last();
    assert_eq!(seen.method, "GET");
    for (name, _) in &seen.headers {
        let n = name.to_ascii_lowercase().replace('_', "-");
        assert!(
            ![
                "x-http-method-override",
                "x-method-override",
                "x-http-method"
            ]
            .contains(&n.as_str()),
            "{name} reached the upstream: {:?}",
            seen.headers
        );
    }
    let refused = b
        .send(app.req(reqwest::Method::DELETE, "app.gate.localhost", "/items/1"))
        .await;
    assert_eq!(refused.status(), 403, "the real DELETE is still denied");
}

const TWO_DOMAINS: &str = r#"
[access_control]
default_policy = "one_factor"
[[session.cookie_domains]]
domain = "other.localhost"
portal_url = "http://auth.other.localhost"
[[sites]]
host = "*.gate.localhost"
upstream = "http://{echo}"
[[sites]]
host = "*.other.localhost"
upstream = "http://{echo}"
"#;

/// Logs alice in on the portal of `other.localhost` and returns her session cookie value.
async fn login_on_other(app: &TestApp) -> (Browser, String) {
    let mut b = app.browser();
    let page = b
        .send(app.get("auth.other.localhost", "/login"))
        .await
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&page);
    let resp = b
        .send(
            app.req(reqwest::Method::POST, "auth.other.localhost", "/login")
                .form(&[
                    ("username", "alice"),
                    ("password", PW),
                    ("csrf", token.as_str()),
                ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let session = b.session(app).expect("no session cookie");
    (b, session)
}

#[tokio::test]
async fn a_session_is_refused_under_another_cookie_domain_than_it_was_issued_for() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TWO_DOMAINS)).await;
        app.add_user("alice", PW, &[]).await;
        let (mut other, other_session) = login_on_other(&app).await;
        assert_eq!(
            other
                .send(app.get("wiki.other.localhost", "/page"))
                .await
                .status(),
            200,
            "{store:?}: the session does not work where it was issued"
        );

        // The same cookie replayed under the other configured domain.
        let name = app.app.state().cookies.session_name().to_owned();
        let replay = app
            .get("app.gate.localhost", "/page")
            .header("cookie", format!("{name}={other_session}"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(
            replay.status(),
            302,
            "{store:?}: a session of other.localhost was accepted on gate.localhost"
        );
        let loc = replay.headers()["location"].to_str().unwrap();
        assert!(loc.starts_with("http://auth.gate.localhost"), "{loc}");

        // And the other way round.
        let mut gate = app.login("alice", PW).await;
        assert_eq!(
            gate.send(app.get("app.gate.localhost", "/page"))
                .await
                .status(),
            200
        );
        let gate_session = gate.session(&app).unwrap();
        let replay = app
            .get("wiki.other.localhost", "/page")
            .header("cookie", format!("{name}={gate_session}"))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(replay.status().as_u16(), 302 | 401),
            "{store:?}: a session of gate.localhost was accepted on other.localhost: {}",
            replay.status()
        );
    }
}
