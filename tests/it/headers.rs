//! Identity and forwarded headers on the upstream hop (docs/security.md#gateway-cookie-never-upstream, #identity-headers, #trusted-proxies): spoofed identity
//! headers never reach an upstream, the session cookie is stripped, forwarded headers are the
//! gateway's own unless the peer is a trusted proxy, and hop-by-hop headers stop at the gateway.

use crate::harness::*;
use crate::protocol::{cookie_line, raw_get, raw_request};

/// A header name as CGI/WSGI/PHP would see it: case-folded, `_` → `-`.
fn norm(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Whether a (normalised) name is one an upstream could read as an identity.
fn is_identity(n: &str) -> bool {
    n.starts_with("remote-")
        || n.starts_with("x-auth-request-")
        || n.starts_with("x-forwarded-user")
        || n.starts_with("x-forwarded-email")
        || n.starts_with("x-forwarded-groups")
        || n.starts_with("x-forwarded-preferred-username")
        || n == "x-remote-user"
}

/// All values of the headers whose normalised name is `name`.
fn values_norm<'a>(seen: &'a Seen, name: &str) -> Vec<&'a str> {
    seen.headers
        .iter()
        .filter(|(k, _)| norm(k) == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Spoofed identity headers: (name as sent, value). Each value is unique so a leak is visible.
const SPOOFED: &[(&str, &str)] = &[
    ("Remote-User", "admin"),
    ("remote_user", "root"),
    ("REMOTE-GROUPS", "admins"),
    ("Remote_Groups", "wheel"),
    ("Remote_Email", "mallory@evil.example"),
    ("Remote-Name", "Mallory Spoofer"),
    ("Remote-Role", "superuser"),
    ("X-Forwarded-User", "xfu-admin"),
    ("X_Forwarded_Email", "xfe@evil.example"),
    ("X-Forwarded-Groups", "xfg-admins"),
    ("X-Forwarded-Preferred-Username", "xfpu-admin"),
    ("X-Auth-Request-User", "xaru-admin"),
    ("x_auth_request_email", "xare@evil.example"),
    ("X-Remote-User", "xru-admin"),
];

fn spoofed_lines() -> Vec<String> {
    SPOOFED.iter().map(|(k, v)| format!("{k}: {v}")).collect()
}

fn assert_no_spoofed_value(seen: &Seen) {
    for (k, v) in &seen.headers {
        for (_, spoof) in SPOOFED {
            assert!(
                !v.contains(spoof),
                "spoofed value {spoof:?} reached the upstream in {k}: {v}"
            );
        }
    }
}

#[tokio::test]
async fn spoofed_identity_headers_are_replaced_by_the_gateways_own() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        app.add_user("alice", PW, &["users"]).await;
        let b = app.login("alice", PW).await;
        // Raw bytes, so the names reach the gateway exactly as written (underscores included).
        let mut extra = spoofed_lines();
        extra.push(cookie_line(&b));
        extra.push("X-Control: kept".to_owned());
        let r = raw_request(
            app.port,
            &raw_get(&app, "app.gate.localhost", "/who", &extra),
        )
        .await;
        assert_eq!(r.status(), 200, "{store:?}: {}", r.full);
        assert_eq!(app.echo.count(), 1);
        let seen = app.echo.last();
        assert_eq!(
            seen.one("x-control"),
            Some("kept"),
            "control header lost: the request did not carry our headers"
        );
        for (name, want) in [
            ("remote-user", "alice"),
            ("remote-groups", "users"),
            ("remote-email", "alice@example.test"),
            ("remote-name", "alice"),
        ] {
            assert_eq!(
                values_norm(&seen, name),
                [want],
                "{store:?}: {name} must appear once with the gateway's value; headers: {:?}",
                seen.headers
            );
        }
        let identity: Vec<&str> = seen
            .headers
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| is_identity(&norm(k)))
            .collect();
        let mut names: Vec<String> = identity.iter().map(|k| norm(k)).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "remote-email",
                "remote-groups",
                "remote-name",
                "remote-user"
            ],
            "{store:?}: unexpected identity headers upstream: {:?}",
            seen.headers
        );
        for k in identity {
            assert!(
                !k.contains('_'),
                "{store:?}: underscore variant {k} reached the upstream"
            );
        }
        assert_no_spoofed_value(&seen);
    }
}

#[tokio::test]
async fn bypass_routes_carry_no_identity_headers_at_all() {
    let app = TestApp::spawn(Opts::default()).await;
    for (host, path) in [
        ("public.gate.localhost", "/x"),
        ("app.gate.localhost", "/api/public"),
    ] {
        let mut extra = spoofed_lines();
        extra.push("X-Control: kept".to_owned());
        let before = app.echo.count();
        let r = raw_request(app.port, &raw_get(&app, host, path, &extra)).await;
        assert_eq!(r.status(), 200, "{host}{path}: {}", r.full);
        assert_eq!(app.echo.count(), before + 1);
        let seen = app.echo.last();
        assert_eq!(seen.one("x-control"), Some("kept"));
        let identity: Vec<&(String, String)> = seen
            .headers
            .iter()
            .filter(|(k, _)| is_identity(&norm(k)))
            .collect();
        assert!(
            identity.is_empty(),
            "{host}{path}: identity headers on an anonymous bypass request: {identity:?}"
        );
        assert_no_spoofed_value(&seen);
    }
}

#[tokio::test]
async fn the_session_cookie_never_reaches_the_upstream() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let name = app.app.state().cookies.session_name().to_owned();
    let value = b.session(&app).unwrap();

    // Other cookies around it stay, in order.
    let resp = app
        .get("app.gate.localhost", "/c")
        .header("cookie", format!("theme=dark; {name}={value}; lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the session was not recognised");
    let seen = app.echo.last();
    assert_eq!(seen.one("remote-user"), Some("alice"));
    assert_eq!(seen.all("cookie"), ["theme=dark; lang=en"]);

    // The session as the only cookie: no Cookie header at all.
    let resp = app
        .get("app.gate.localhost", "/c2")
        .header("cookie", format!("{name}={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/c2");
    assert_eq!(seen.one("remote-user"), Some("alice"));
    assert!(
        seen.all("cookie").is_empty(),
        "cookie header upstream: {:?}",
        seen.all("cookie")
    );

    // Split over two Cookie header lines (HTTP/1.1 clients may do that): still stripped.
    let r = raw_request(
        app.port,
        &raw_get(
            &app,
            "app.gate.localhost",
            "/c3",
            &[
                "Cookie: a=1".to_owned(),
                format!("Cookie: {name}={value}; b=2"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.full);
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/c3");

    // Never anywhere upstream, on any of these requests.
    for s in app.echo.seen.lock().unwrap().iter() {
        for (k, v) in &s.headers {
            assert!(
                !v.contains(&value),
                "the session value reached the upstream in {k}"
            );
            assert!(
                !v.contains(&name),
                "the session cookie name reached the upstream in {k}: {v}"
            );
        }
    }
    let cookies = seen.all("cookie").join("; ");
    assert!(
        cookies.contains("a=1") && cookies.contains("b=2"),
        "{cookies}"
    );
}

const FORWARDED_SPOOF: &[&str] = &[
    "X-Forwarded-For: 203.0.113.7",
    "X-Real-IP: 203.0.113.8",
    "X-Forwarded-Proto: https",
    "X-Forwarded-Host: evil.example",
    "X_Forwarded_Host: evil2.example",
    "X-Forwarded-Port: 8443",
    "X-Forwarded-Prefix: /evil",
    "Forwarded: for=203.0.113.9;host=evil.example;proto=https",
    "X-Original-URL: /admin",
    "X-Rewrite-URL: /admin",
    "True-Client-IP: 203.0.113.10",
    "X-Client-IP: 203.0.113.11",
];

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_replaced() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let port = app.port;
    let mut extra: Vec<String> = FORWARDED_SPOOF.iter().map(|s| (*s).to_owned()).collect();
    extra.push(cookie_line(&b));
    let r = raw_request(port, &raw_get(&app, "app.gate.localhost", "/fwd", &extra)).await;
    assert_eq!(r.status(), 200, "{}", r.full);
    let seen = app.echo.last();
    assert_eq!(
        seen.uri, "/fwd",
        "X-Original-URL changed the forwarded path"
    );
    let one = |n: &str| {
        let v = values_norm(&seen, n);
        assert_eq!(v.len(), 1, "{n}: {v:?}; headers {:?}", seen.headers);
        v[0].to_owned()
    };
    assert_eq!(one("x-forwarded-for"), "127.0.0.1");
    assert_eq!(one("x-real-ip"), "127.0.0.1");
    assert_eq!(one("x-forwarded-proto"), "http");
    assert_eq!(
        one("x-forwarded-host"),
        format!("app.gate.localhost:{port}")
    );
    for gone in [
        "forwarded",
        "x-original-url",
        "x-rewrite-url",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "true-client-ip",
        "x-client-ip",
    ] {
        assert!(
            values_norm(&seen, gone).is_empty(),
            "{gone} from the client reached the upstream: {:?}",
            values_norm(&seen, gone)
        );
    }
    for (k, v) in &seen.headers {
        assert!(
            !v.contains("203.0.113") && !v.contains("evil"),
            "a client-supplied forwarded value reached the upstream: {k}: {v}"
        );
    }
}

/// Rules where app.gate.localhost is open to 203.0.113.0/24 and otherwise needs a login;
/// public.gate.localhost stays open to all.
const NETWORK_RULES: &str = r#"
[[access_control.rules]]
hosts = ["public.gate.localhost"]
policy = "bypass"
[[access_control.rules]]
hosts = ["app.gate.localhost"]
networks = ["203.0.113.0/24"]
policy = "bypass"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
policy = "one_factor"
"#;

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_is_honoured_for_headers_and_rules() {
    let trusted = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!("[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n{NETWORK_RULES}"),
    ))
    .await;
    let port = trusted.port;

    // The client address comes from X-Forwarded-For, and the network rule applies.
    let r = raw_request(
        port,
        &raw_get(
            &trusted,
            "app.gate.localhost",
            "/net",
            &[
                "X-Forwarded-For: 203.0.113.7".to_owned(),
                "X-Forwarded-Proto: https".to_owned(),
            ],
        ),
    )
    .await;
    assert_eq!(
        r.status(),
        200,
        "the network rule did not see the forwarded client: {}",
        r.full
    );
    assert_eq!(trusted.echo.count(), 1);
    let seen = trusted.echo.last();
    assert_eq!(seen.one("x-real-ip"), Some("203.0.113.7"));
    assert_eq!(seen.one("x-forwarded-for"), Some("203.0.113.7, 127.0.0.1"));
    assert_eq!(seen.one("x-forwarded-proto"), Some("https"));
    assert!(
        !seen.headers.iter().any(|(k, _)| is_identity(&norm(k))),
        "identity headers on a bypassed request: {:?}",
        seen.headers
    );

    // Without the header the trusted proxy itself (127.0.0.1) is the client: login needed.
    let resp = trusted
        .req(reqwest::Method::GET, "app.gate.localhost", "/net")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // A client-written entry left of an untrusted hop cannot choose the address.
    let resp = trusted
        .req(reqwest::Method::GET, "app.gate.localhost", "/net")
        .header("x-forwarded-for", "203.0.113.7, 198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        401,
        "the leftmost (client-written) X-Forwarded-For entry was believed"
    );
    assert_eq!(trusted.echo.count(), 1);

    // The same header from an untrusted peer counts for nothing.
    let untrusted = TestApp::spawn(Opts::with(Store::Memory, NETWORK_RULES)).await;
    let r = raw_request(
        untrusted.port,
        &raw_get(
            &untrusted,
            "app.gate.localhost",
            "/net",
            &["X-Forwarded-For: 203.0.113.7".to_owned()],
        ),
    )
    .await;
    assert_eq!(
        r.status(),
        401,
        "an untrusted peer chose its address with X-Forwarded-For: {}",
        r.status_line
    );
    assert_eq!(untrusted.echo.count(), 0);
    // And on an allowed request it is replaced, not appended to.
    let r = raw_request(
        untrusted.port,
        &raw_get(
            &untrusted,
            "public.gate.localhost",
            "/x",
            &[
                "X-Forwarded-For: 203.0.113.7".to_owned(),
                "X-Forwarded-Proto: https".to_owned(),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.status_line);
    assert_eq!(untrusted.echo.count(), 1);
    let seen = untrusted.echo.last();
    assert_eq!(seen.one("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(seen.one("x-real-ip"), Some("127.0.0.1"));
    assert_eq!(seen.one("x-forwarded-proto"), Some("http"));
}

#[tokio::test]
async fn hop_by_hop_headers_stop_at_the_gateway() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let req = format!(
        "GET /hop HTTP/1.1\r\nHost: app.gate.localhost:{}\r\n{}\r\nConnection: close, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=99\r\nTE: trailers\r\nProxy-Authorization: Basic YWxpY2U6cHc=\r\nProxy-Connection: keep-alive\r\nX-Control: kept\r\n\r\n",
        app.port,
        cookie_line(&b)
    );
    let r = raw_request(app.port, req.as_bytes()).await;
    assert_eq!(r.status(), 200, "{}", r.full);
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/hop");
    assert_eq!(seen.one("x-control"), Some("kept"));
    for gone in [
        "x-secret",
        "keep-alive",
        "te",
        "proxy-authorization",
        "proxy-connection",
    ] {
        assert!(
            seen.all(gone).is_empty(),
            "hop-by-hop {gone} reached the upstream: {:?}",
            seen.all(gone)
        );
    }
    for v in seen.all("connection") {
        assert!(
            !v.to_ascii_lowercase().contains("x-secret"),
            "connection: {v}"
        );
    }
    // The upstream's own hop-by-hop header stops too; its end-to-end headers pass.
    assert_eq!(r.header("x-upstream"), Some("echo"), "{}", r.full);
    assert!(
        r.header("keep-alive").is_none(),
        "upstream keep-alive reached the client: {}",
        r.full
    );
}
