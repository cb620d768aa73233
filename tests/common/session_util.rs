//! Helpers for the sessions tests (the sessions page, `gatehouse user sessions`), shared by the
//! integration and end-to-end targets.
#![allow(dead_code)] // each target uses its own subset

use gatehouse::domain::session::SessionId;

use crate::harness::*;

/// Forwarded headers are believed from the test client, so each login gets its own IP.
pub const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// Three devices: user agent, the label the page shows, client IP.
pub const DEVICES: [(&str, &str, &str); 3] = [
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Firefox on Linux",
        "198.51.100.1",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        "Safari on iPhone",
        "198.51.100.2",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "Edge on Windows",
        "198.51.100.3",
    ),
];

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Logs `user` in from a browser with this user agent and client IP.
pub async fn login_from(app: &TestApp, user: &str, (ua, _, ip): (&str, &str, &str)) -> Browser {
    let mut b = app.browser();
    let page = b
        .send(
            app.get(&app.portal_host, &app.portal("/login"))
                .header("user-agent", ua)
                .header("x-forwarded-for", ip),
        )
        .await;
    assert_eq!(page.status(), 200);
    let csrf = extract_csrf(&page.text().await.unwrap());
    let resp = b
        .send(
            app.login_request(user, PW, &csrf, "")
                .header("user-agent", ua)
                .header("x-forwarded-for", ip),
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert!(b.session(app).is_some());
    b
}

/// The store key (SHA-256 hex) of a browser's session cookie.
pub fn key_of(app: &TestApp, b: &Browser) -> String {
    SessionId::parse(&b.session(app).unwrap())
        .unwrap()
        .key()
        .as_str()
        .to_owned()
}

/// Status of a proxied request on the app host, and the login redirect when there is one.
pub async fn app_status(app: &TestApp, b: &Browser) -> (u16, String) {
    let resp = b
        .clone()
        .send(app.get("app.gate.localhost", "/private"))
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

/// Status of a forward-auth check (nginx dialect) with the browser's cookies.
pub async fn forward_auth_status(app: &TestApp, b: &Browser) -> u16 {
    app.client
        .get(app.url("/api/authz/auth-request"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-original-method", "GET")
        .header(
            "x-original-url",
            format!("http://app.gate.localhost:{}/private", app.port),
        )
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Asserts the browser's session still works on the app host and on forward-auth.
pub async fn assert_works(app: &TestApp, b: &Browser, why: &str) {
    assert_eq!(app_status(app, b).await.0, 200, "{why}");
    assert_eq!(forward_auth_status(app, b).await, 200, "{why}");
}

/// Asserts the browser's session is refused at once: the login redirect on the app host and
/// 401 from forward-auth, and the upstream never sees the request.
pub async fn assert_ended(app: &TestApp, b: &Browser, why: &str) {
    let before = app.echo.count();
    let (status, location) = app_status(app, b).await;
    assert_eq!(status, 302, "{why}");
    assert!(
        location.starts_with(&format!("http://auth.gate.localhost:{}/login", app.port)),
        "{why}: {location}"
    );
    assert_eq!(forward_auth_status(app, b).await, 401, "{why}");
    assert_eq!(app.echo.count(), before, "{why}: the upstream saw it");
}
