//! Two-factor policy (issue 4, points 2, 7, 8): `two_factor` rules in proxy and forward-auth
//! mode, step-up before enrolment. The operator's `user reset-2fa` on the real binary is in the
//! end-to-end target (`tests/e2e/two_factor_policy.rs`).

use gatehouse::domain::session::AuthLevel;

use crate::harness::*;
use crate::totp_util::*;

const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// What the proxy and both forward-auth dialects answer for `secure.gate.localhost/s`:
/// (proxy status, proxy location, traefik status, traefik location, nginx status).
async fn answers(app: &TestApp, cookie: &str) -> (u16, String, u16, String, u16) {
    let loc = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let proxy = app
        .get("secure.gate.localhost", "/s")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let traefik = app
        .client
        .get(app.url("/api/authz/forward-auth"))
        .header("accept", "text/html")
        .header("x-forwarded-method", "GET")
        .header("x-forwarded-proto", "http")
        .header(
            "x-forwarded-host",
            format!("secure.gate.localhost:{}", app.port),
        )
        .header("x-forwarded-uri", "/s")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let nginx = app
        .client
        .get(app.url("/api/authz/auth-request"))
        .header("x-original-method", "GET")
        .header(
            "x-original-url",
            format!("http://secure.gate.localhost:{}/s", app.port),
        )
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (
        proxy.status().as_u16(),
        loc(&proxy),
        traefik.status().as_u16(),
        loc(&traefik),
        nginx.status().as_u16(),
    )
}

#[tokio::test]
async fn users_without_two_factor_are_refused_or_sent_to_enrolment() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &[]).await;
    let b = app.login("alice", PW).await;
    let (p, _, t, _, n) = answers(&app, &b.cookie_header()).await;
    assert_eq!((p, t, n), (403, 403, 403));
    // The page is no dead end: it links to enrolment on the portal, which comes back here.
    let html = app
        .get("secure.gate.localhost", "/s")
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Two-factor authentication required"),
        "{html}"
    );
    let link = between(&html, "<p><a href=\"", "\"")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let back: String = form_urlencoded::byte_serialize(
        format!("http://secure.gate.localhost:{}/s", app.port).as_bytes(),
    )
    .collect();
    assert_eq!(
        link,
        format!(
            "http://auth.gate.localhost:{}/account/2fa/enable?rd={back}",
            app.port
        )
    );
    assert!(
        html.contains("Set up two-factor authentication now"),
        "{html}"
    );

    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!("{TRUSTED}[two_factor]\nrequire_enrollment = true\n"),
    ))
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let (p, pl, t, tl, n) = answers(&app, &b.cookie_header()).await;
    let want = format!(
        "http://auth.gate.localhost:{}/account/2fa/enable?rd=",
        app.port
    );
    assert_eq!((p, t, n), (302, 302, 401));
    assert!(pl.starts_with(&want) && tl.starts_with(&want), "{pl} {tl}");
    assert_eq!(app.echo.count(), 0);

    // Enrolment from there brings the user back to the page, now as a two-factor session.
    let path = pl
        .split_once(&format!(":{}", app.port))
        .unwrap()
        .1
        .to_owned();
    let (status, html) = page(&app, &mut b, &path).await;
    assert_eq!(status, 200);
    let secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let resp = b
        .send(post(&app, "/account/2fa/enable").form(&[
            ("code", oathtool(&secret, 0).as_str()),
            ("csrf", &extract_csrf(&html)),
            (
                "rd",
                &between(&html, "name=\"rd\" value=\"", "\"").replace("&#x2f;", "/"),
            ),
        ]))
        .await;
    let html = resp.text().await.unwrap();
    let next = between(&html, "id=\"continue\" href=\"", "\"").replace("&#x2f;", "/");
    assert_eq!(next, format!("http://secure.gate.localhost:{}/s", app.port));
    let resp = b.send(app.get("secure.gate.localhost", "/s")).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_one_factor_session_of_a_two_factor_user_steps_up_with_a_code() {
    let app = TestApp::spawn(Opts::with(Store::Redis, TRUSTED).manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    // A one-factor session of this user (as left by an older login on another instance).
    let state = app.app.state();
    let user = state.admin.find("alice").await.unwrap();
    let (id, _) = state
        .sessions
        .start(
            &user,
            AuthLevel::OneFactor,
            gatehouse::service::sessions::Opening {
                ip: "127.0.0.1",
                user_agent: "test",
                remember: false,
                scope: None,
            },
            app.now(),
        )
        .await
        .unwrap();
    // Its cookie was issued for the SSO domain, as every session cookie is.
    state
        .sessions
        .bind_scope(&id, "gate.localhost", app.now())
        .await
        .unwrap();
    let mut b = app.browser();
    b.cookies.insert(
        state.cookies.session_name().to_owned(),
        id.expose().to_owned(),
    );
    let (p, pl, t, tl, n) = answers(&app, &b.cookie_header()).await;
    let want = format!("http://auth.gate.localhost:{}/login/2fa?rd=", app.port);
    assert_eq!((p, t, n), (302, 302, 401));
    assert!(pl.starts_with(&want) && tl.starts_with(&want), "{pl} {tl}");
    // One-factor pages still work for it.
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );

    let rd = format!("http://secure.gate.localhost:{}/s", app.port);
    let code = e.next_code().await;
    let resp = code_step(&app, &mut b, &code, false, &rd).await;
    assert_eq!(resp.status(), 303);
    assert_ne!(b.session(&app).unwrap(), id.expose(), "the id rotates");
    let resp = b.send(app.get("secure.gate.localhost", "/s")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.echo.last().one("remote-user"), Some("alice"));
    // The old one-factor id is revoked.
    let old = format!("{}={}", state.cookies.session_name(), id.expose());
    let (p, _, _, _, _) = answers(&app, &old).await;
    assert_eq!(p, 302);
    let resp = app
        .get("app.gate.localhost", "/")
        .header("cookie", old)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
}

#[tokio::test]
async fn enrolment_needs_a_recent_password() {
    let app = TestApp::spawn(
        Opts::with(Store::Memory, "[two_factor]\nstep_up_window = \"1s\"\n").manual_clock(),
    )
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let (_, html) = page(&app, &mut b, "/account/2fa/enable").await;
    let secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let csrf = extract_csrf(&html);
    // Past the one-second step-up window.
    app.advance(2);

    // Stale: the confirm POST gets the password prompt and changes nothing.
    let resp = b
        .send(post(&app, "/account/2fa/enable").form(&[
            ("code", oathtool_at(&secret, app.now()).as_str()),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("Confirm your password"));
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("Off."));
    let (_, html) = page(&app, &mut b, "/account/2fa/enable").await;
    assert!(html.contains("Confirm your password") && !html.contains("totp-secret"));

    let before = b.session(&app).unwrap();
    let resp = b
        .send(post(&app, "/account/reauth").form(&[
            ("password", "wrong password!"),
            ("next", "enable"),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 401);
    let resp = b
        .send(post(&app, "/account/reauth").form(&[
            ("password", PW),
            ("next", "enable"),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/account/2fa/enable");
    assert_ne!(
        b.session(&app).unwrap(),
        before,
        "re-authentication rotates the id"
    );
    let (_, html) = page(&app, &mut b, "/account/2fa/enable").await;
    assert!(html.contains("totp-secret"));
}

#[tokio::test]
async fn totp_secrets_are_sealed_with_the_configured_key() {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("totp.key");
    std::fs::write(&key_file, "a-totp-encryption-key-0123456789abcdefghij\n").unwrap();
    crate::harness::private(&key_file);
    let overlay = format!("[secrets]\ntotp_key_file = \"{}\"\n", key_file.display());
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let sealed = crate::harness::user_store::text(
        &app.database,
        "SELECT totp_secret FROM users WHERE username = 'alice'",
    )
    .await;
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&sealed)
        .unwrap();
    assert_eq!(raw[0], 1, "sealed under the configured key (id 1)");
    // Key id, 96-bit nonce, 20-byte secret, 128-bit tag: nothing in clear.
    assert_eq!(raw.len(), 1 + 12 + 20 + 16);
    assert!(!sealed.contains(&e.secret));
}
