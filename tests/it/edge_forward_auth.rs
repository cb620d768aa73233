//! Forward-auth input at the edge: a trusted proxy's unreadable `X-Forwarded-For` is refused
//! (never read as the proxy's own address), both forward-auth dialects apply the same
//! conflict and repetition rules, and one navigation rule decides redirect versus 401 in
//! proxy mode and forward-auth alike.

use crate::harness::*;

/// The test client (127.0.0.1) is a trusted proxy, and the app's own network may skip login:
/// a request read as coming from the proxy itself would be let through anonymously.
const PROXY_NETWORK_BYPASS: &str = r#"
[server]
trusted_proxies = ["127.0.0.1/32"]
[[access_control.rules]]
hosts = ["app.gate.localhost"]
networks = ["127.0.0.0/8"]
policy = "bypass"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
policy = "one_factor"
"#;

const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

fn nginx(app: &TestApp, url: &str) -> reqwest::RequestBuilder {
    app.client
        .get(app.url("/api/authz/auth-request"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-original-method", "GET")
        .header("x-original-url", url)
}

fn traefik(app: &TestApp, method: &str, uri: &str) -> reqwest::RequestBuilder {
    app.client
        .get(app.url("/api/authz/forward-auth"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-forwarded-method", method)
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", "app.gate.localhost")
        .header("x-forwarded-uri", uri)
}

#[tokio::test]
async fn unreadable_forwarded_for_from_a_trusted_proxy_is_refused_everywhere() {
    let app = TestApp::spawn(Opts::with(Store::Memory, PROXY_NETWORK_BYPASS)).await;
    let url = format!("http://app.gate.localhost:{}/page", app.port);
    for xff in [
        "a",
        "unknown",
        "_hidden",
        "198.51.100.7, unknown",
        "198.51.100.7,",
    ] {
        let before = app.echo.count();
        let proxied = app
            .get("app.gate.localhost", "/page")
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap();
        assert_eq!(proxied.status(), 400, "proxy mode, X-Forwarded-For {xff:?}");
        assert_eq!(app.echo.count(), before, "the upstream saw {xff:?}");
        let n = nginx(&app, &url)
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap();
        assert_eq!(n.status(), 400, "auth-request, X-Forwarded-For {xff:?}");
        let t = traefik(&app, "GET", "/page")
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap();
        assert_eq!(t.status(), 400, "forward-auth, X-Forwarded-For {xff:?}");
    }
    // A readable client address outside the bypass network must log in; garbage the client
    // wrote left of the address the proxy vouched for is never read.
    for xff in ["198.51.100.7", "unknown, 198.51.100.7"] {
        let proxied = app
            .get("app.gate.localhost", "/page")
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap();
        assert_eq!(proxied.status(), 302, "proxy mode, {xff:?}");
        let n = nginx(&app, &url)
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap();
        assert_eq!(n.status(), 401, "auth-request, {xff:?}");
    }
    // Without the header the proxy is the client, and the rule for its network applies.
    let own = app.get("app.gate.localhost", "/page").send().await.unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn auth_request_applies_the_forward_auth_conflict_and_repetition_rules() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let cookie = app.login("alice", PW).await.cookie_header();
    let port = app.port;
    let url = format!("http://app.gate.localhost:{port}/public");
    let host = format!("app.gate.localhost:{port}");
    // Everything agreeing: allowed.
    let ok = nginx(&app, &url)
        .header("cookie", &cookie)
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", &host)
        .header("x-forwarded-uri", "/public")
        .header("x-forwarded-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "agreeing headers");
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "a lone X-Forwarded-Uri",
            vec![("x-forwarded-uri", "/admin")],
        ),
        (
            "a lone X-Forwarded-Host",
            vec![("x-forwarded-host", "admin.gate.localhost")],
        ),
        (
            "two X-Forwarded-Host",
            vec![("x-forwarded-host", &host), ("x-forwarded-host", &host)],
        ),
        (
            "two X-Forwarded-Uri",
            vec![
                ("x-forwarded-uri", "/public"),
                ("x-forwarded-uri", "/public"),
            ],
        ),
        ("another method", vec![("x-forwarded-method", "DELETE")]),
        (
            "a bad X-Forwarded-Proto",
            vec![("x-forwarded-proto", "gopher")],
        ),
    ];
    for (why, headers) in &cases {
        let mut rb = nginx(&app, &url).header("cookie", &cookie);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 400, "auth-request with {why}");
    }
    // The Traefik/Caddy endpoint already compared X-Original-URL; X-Original-Method now too.
    let t = traefik(&app, "GET", "/public")
        .header("cookie", &cookie)
        .header("x-original-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.status(),
        400,
        "forward-auth with another X-Original-Method"
    );
    let t = traefik(&app, "GET", "/public")
        .header("cookie", &cookie)
        .header("x-original-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.status(),
        200,
        "forward-auth with an agreeing X-Original-Method"
    );
}

/// Headers of requests that are not navigations, though they accept HTML.
fn not_navigations() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "a WebSocket handshake",
            vec![
                ("connection", "upgrade"),
                ("upgrade", "websocket"),
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("sec-websocket-version", "13"),
            ],
        ),
        (
            "Fetch Metadata: websocket",
            vec![
                ("sec-fetch-mode", "websocket"),
                ("sec-fetch-dest", "websocket"),
            ],
        ),
        (
            "a cors fetch",
            vec![("sec-fetch-mode", "cors"), ("sec-fetch-dest", "empty")],
        ),
        ("a no-cors fetch", vec![("sec-fetch-mode", "no-cors")]),
        (
            "a same-origin fetch",
            vec![("sec-fetch-mode", "same-origin")],
        ),
        ("X-Requested-With", vec![("x-requested-with", "fetch")]),
    ]
}

#[tokio::test]
async fn websockets_and_fetches_get_401_in_both_modes_and_navigations_a_redirect() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    for (why, headers) in not_navigations() {
        let mut proxied = app.get("app.gate.localhost", "/ws");
        let mut fauth = traefik(&app, "GET", "/ws").header("accept", "text/html");
        for (k, v) in &headers {
            proxied = proxied.header(*k, *v);
            fauth = fauth.header(*k, *v);
        }
        let p = proxied.send().await.unwrap();
        assert_eq!(p.status(), 401, "proxy mode, {why}");
        assert!(p.headers().get("location").is_some(), "proxy mode, {why}");
        let f = fauth.send().await.unwrap();
        assert_eq!(f.status(), 401, "forward-auth, {why}");
    }
    // A form POST is not a navigation that may be redirected: the body would be lost.
    let p = app
        .req(reqwest::Method::POST, "app.gate.localhost", "/form")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(p.status(), 401, "proxy mode, POST");
    // Caddy calls with GET whatever the original method was: the original method counts.
    let f = traefik(&app, "POST", "/form")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(f.status(), 401, "forward-auth, original POST");
    // A navigation is redirected in both modes, told by Fetch Metadata even without Accept.
    for accept in ["text/html", "*/*"] {
        let p = app
            .req(reqwest::Method::GET, "app.gate.localhost", "/page")
            .header("accept", accept)
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-dest", "document")
            .send()
            .await
            .unwrap();
        assert_eq!(p.status(), 302, "proxy mode, navigation accepting {accept}");
        let f = traefik(&app, "GET", "/page")
            .header("accept", accept)
            .header("sec-fetch-mode", "navigate")
            .send()
            .await
            .unwrap();
        assert_eq!(
            f.status(),
            302,
            "forward-auth, navigation accepting {accept}"
        );
    }
}
