//! Two-factor login (docs/security.md#totp, #session-rotation, #pending-login, issue 4): enrolment, the code step, replay and
//! races, throttling, recovery codes, remembered devices, turning it off. Codes come from
//! oathtool.

use crate::harness::*;
use crate::totp_util::*;

#[tokio::test]
async fn enrolment_then_login_needs_a_code_and_the_pending_state_grants_nothing() {
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!("{MAIL}[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n"),
    ))
    .await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let before = b.session(&app).unwrap();
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("id=\"two-factor-status\">Off."), "{html}");

    // The enrolment page: QR as inline SVG, a 160-bit secret, the otpauth URI with the issuer.
    let (status, html) = page(&app, &mut b, "/account/2fa/enable").await;
    assert_eq!(status, 200);
    let qr = between(&html, "id=\"totp-qr\"", "</div>");
    assert!(qr.contains("<svg"), "{qr}");
    // Not only a picture: it is announced as one, with the key as text below it.
    assert!(qr.starts_with(" role=\"img\" aria-label=\"QR code"), "{qr}");
    let secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    assert!(secret.len() >= 32, "{secret}");
    let uri = between(&html, "id=\"totp-uri\">", "<").replace("&#x2f;", "/");
    assert!(
        uri.starts_with("otpauth://totp/Gatehouse:alice?secret="),
        "{uri}"
    );
    assert!(uri.contains("&amp;issuer=Gatehouse"), "{uri}");
    // The same URI as a real link, for setting up on the phone itself.
    let link = between(&html, "id=\"totp-link\" href=\"", "\"").replace("&#x2f;", "/");
    assert_eq!(link, uri);
    let csrf = extract_csrf(&html);

    // A wrong code leaves two-factor off.
    let wrong = if oathtool(&secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let resp = b
        .send(post(&app, "/account/2fa/enable").form(&[("code", wrong), ("csrf", &csrf)]))
        .await;
    assert_eq!(resp.status(), 401);
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("Off."));

    // The right code turns it on: 10 recovery codes, a new session id, a notice by mail.
    let now = unix_now();
    let resp = b
        .send(post(&app, "/account/2fa/enable").form(&[
            ("code", oathtool_at(&secret, now).as_str()),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() >= 16), "{codes:?}");
    assert!(
        html.contains("id=\"download\" download=")
            && html.contains("href=\"data:text&#x2f;plain;charset=utf-8,")
    );
    assert!(
        html.contains("data-copy=\"recovery-codes\"")
            && html.contains("<script src=\"/static/copy.js?v=")
    );
    let js = app
        .get(&app.portal_host, "/static/copy.js")
        .send()
        .await
        .unwrap();
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.headers()["cache-control"], "public, max-age=3600");
    assert!(js.text().await.unwrap().contains("navigator.clipboard"));
    let after = b.session(&app).unwrap();
    assert_ne!(before, after, "session id rotated on enrolment");
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("id=\"codes-left\">10<"), "{html}");
    // The secret is never shown again.
    assert!(!html.contains(&secret));
    let (status, html) = page(&app, &mut b, "/account/2fa/enable").await;
    assert_eq!(status, 303);
    assert!(!html.contains(&secret));
    let mail = mail_containing(
        &app.dir.path().join("mail"),
        "Two-factor authentication turned on",
    )
    .await;
    assert!(mail.contains("To: alice@example.test"), "{mail}");

    // Next login: the password leads to the code step only.
    let mut b = app.browser();
    let rd = format!("http://app.gate.localhost:{}/after", app.port);
    password_step(&app, &mut b, "alice", &rd).await;
    let pending = b.cookies["__Host-gatehouse_pending"].clone();
    // The pending id is no session: not as the session cookie for proxying or forward-auth,
    // not for the account page, and the pending cookie itself opens nothing.
    let as_session = format!("{}={pending}", app.app.state().cookies.session_name());
    for cookie in [
        as_session.as_str(),
        &format!("__Host-gatehouse_pending={pending}"),
    ] {
        let resp = app
            .get("app.gate.localhost", "/x")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302, "proxy with {cookie}");
        let resp = app
            .client
            .get(app.url("/api/authz/auth-request"))
            .header(
                "x-original-url",
                format!("http://app.gate.localhost:{}/x", app.port),
            )
            .header("x-original-method", "GET")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "forward-auth with {cookie}");
        let resp = app
            .get(&app.portal_host, "/account")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "account page with {cookie}");
    }
    assert_eq!(app.echo.count(), 0, "nothing reached the app");

    let code = oathtool(&secret, 30);
    let resp = code_step(&app, &mut b, &code, false, &rd).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], rd.as_str());
    assert!(!b.cookies.contains_key("__Host-gatehouse_pending"));
    assert_ne!(
        b.session(&app).unwrap(),
        pending,
        "a new id, not the pending one"
    );
    let resp = b.send(app.get("app.gate.localhost", "/after")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.echo.last().one("remote-user"), Some("alice"));
}

#[tokio::test]
async fn a_code_works_once_across_sessions_and_under_a_race() {
    let app = TestApp::spawn(Opts::redis().manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;

    // Replay from a second session in the same step: refused with the generic answer.
    let (mut one, mut two) = (app.browser(), app.browser());
    password_step(&app, &mut one, "alice", "").await;
    password_step(&app, &mut two, "alice", "").await;
    let code = e.next_code().await;
    assert_eq!(
        code_step(&app, &mut one, &code, false, "").await.status(),
        303
    );
    let resp = code_step(&app, &mut two, &code, false, "").await;
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("Invalid code."));

    // Two submissions of one fresh code at once: exactly one wins.
    let (mut a, mut b) = (app.browser(), app.browser());
    password_step(&app, &mut a, "alice", "").await;
    password_step(&app, &mut b, "alice", "").await;
    let (_, ha) = page(&app, &mut a, "/login/2fa").await;
    let (_, hb) = page(&app, &mut b, "/login/2fa").await;
    let code = e.next_code().await;
    let (ta, tb) = (extract_csrf(&ha), extract_csrf(&hb));
    let (ra, rb) = tokio::join!(
        a.send(post(&app, "/login/2fa").form(&[("code", code.as_str()), ("csrf", &ta)])),
        b.send(post(&app, "/login/2fa").form(&[("code", code.as_str()), ("csrf", &tb)])),
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 401]);
}

#[tokio::test]
async fn only_one_step_of_drift_is_accepted() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    for offset in [-60, 60, 90] {
        let resp = code_step(&app, &mut b, &oathtool(&e.secret, offset), false, "").await;
        assert_eq!(resp.status(), 401, "T{offset:+}s accepted");
    }
    let resp = code_step(&app, &mut b, &oathtool(&e.secret, 30), false, "").await;
    assert_eq!(resp.status(), 303, "T+1 step refused");
}

#[tokio::test]
async fn five_wrong_codes_restart_the_password_step() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let pending = b.cookies["__Host-gatehouse_pending"].clone();
    let good = oathtool(&e.secret, 30);
    let wrong = if good == "123456" { "654321" } else { "123456" };
    for i in 1..=4 {
        let resp = code_step(&app, &mut b, wrong, false, "").await;
        assert_eq!(resp.status(), 401, "attempt {i}");
    }
    let resp = code_step(&app, &mut b, wrong, false, "").await;
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("Too many wrong codes. Sign in again."),
        "{text}"
    );
    assert!(!b.cookies.contains_key("__Host-gatehouse_pending"));
    // The old pending login is gone even if the browser kept the cookie.
    b.cookies.insert("__Host-gatehouse_pending".into(), pending);
    let (status, _) = page(&app, &mut b, "/login/2fa").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn wrong_codes_count_toward_the_account_throttle() {
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        "[throttle]\naccount_failures = 3\n",
    ))
    .await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let good = oathtool(&e.secret, 30);
    let wrong = if good == "123456" { "654321" } else { "123456" };
    for _ in 0..3 {
        assert_eq!(
            code_step(&app, &mut b, wrong, false, "").await.status(),
            401
        );
    }
    // The account's codes are now banned: even the right code waits. Wrong codes have their
    // own counter, so a fresh password step still leads to the code page, where the right code
    // still waits: a right password forgives no wrong code.
    let resp = code_step(&app, &mut b, &good, false, "").await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let resp = code_step(&app, &mut b, &good, false, "").await;
    assert_eq!(resp.status(), 429);
}

#[tokio::test]
async fn recovery_codes_work_once_need_a_pending_login_and_are_notified() {
    let app = TestApp::spawn(Opts::with(Store::Memory, MAIL)).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    // Without a pending password step a code is no way in (docs/security.md#recovery-codes).
    let mut stranger = app.browser();
    let (_, html) = page(&app, &mut stranger, "/login").await;
    let resp = stranger
        .send(post(&app, "/login/2fa").form(&[
            ("code", e.codes[0].as_str()),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 401);
    assert!(stranger.session(&app).is_none());

    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    // Typed in upper case without dashes: still the same code.
    let typed = e.codes[0].replace('-', "").to_uppercase();
    assert_eq!(
        code_step(&app, &mut b, &typed, false, "").await.status(),
        303
    );
    let mail = mail_containing(&app.dir.path().join("mail"), "A recovery code was used").await;
    assert!(mail.contains("9 unused codes remain"), "{mail}");

    let mut again = app.browser();
    password_step(&app, &mut again, "alice", "").await;
    let resp = code_step(&app, &mut again, &e.codes[0], false, "").await;
    assert_eq!(resp.status(), 401, "a spent recovery code");
    assert_eq!(
        code_step(&app, &mut again, &e.codes[1], false, "")
            .await
            .status(),
        303
    );
    let (_, html) = page(&app, &mut again, "/account").await;
    assert!(html.contains("id=\"codes-left\">8<"), "{html}");
}

#[tokio::test]
async fn new_recovery_codes_need_password_and_code_and_void_the_old_set() {
    let app = TestApp::spawn(Opts::with(Store::Memory, MAIL).manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    let (_, html) = page(&app, &mut e.browser, "/account").await;
    let csrf = extract_csrf(&html);
    // Only the cookie, or a wrong password: refused, nothing changes.
    for form in [
        vec![("csrf", csrf.as_str())],
        vec![
            ("csrf", csrf.as_str()),
            ("password", "wrong password!"),
            ("code", e.codes[0].as_str()),
        ],
        vec![
            ("csrf", csrf.as_str()),
            ("password", PW),
            ("code", "000000"),
        ],
    ] {
        let resp = e
            .browser
            .send(post(&app, "/account/2fa/recovery").form(&form))
            .await;
        assert_eq!(resp.status(), 403);
    }
    let code = e.next_code().await;
    let resp = e
        .browser
        .send(post(&app, "/account/2fa/recovery").form(&[
            ("csrf", csrf.as_str()),
            ("password", PW),
            ("code", &code),
        ]))
        .await;
    assert_eq!(resp.status(), 200);
    let fresh = recovery_codes(&resp.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    mail_containing(&app.dir.path().join("mail"), "New recovery codes").await;

    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    assert_eq!(
        code_step(&app, &mut b, &e.codes[2], false, "")
            .await
            .status(),
        401,
        "old set void"
    );
    assert_eq!(
        code_step(&app, &mut b, &fresh[0], false, "").await.status(),
        303
    );
}

#[tokio::test]
async fn turning_off_needs_password_and_code_and_forgets_everything() {
    let app = TestApp::spawn(Opts::with(Store::Memory, MAIL)).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut other = e.browser.clone();
    // A second, remembered login.
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    assert_eq!(
        code_step(&app, &mut b, &e.codes[0], true, "")
            .await
            .status(),
        303
    );
    assert!(b.cookies.contains_key("__Host-gatehouse_device"));

    let (_, html) = page(&app, &mut b, "/account").await;
    let csrf = extract_csrf(&html);
    let resp = b
        .send(post(&app, "/account/2fa/disable").form(&[("csrf", csrf.as_str())]))
        .await;
    assert_eq!(resp.status(), 403, "the cookie alone");
    let resp = b
        .send(post(&app, "/account/2fa/disable").form(&[
            ("csrf", csrf.as_str()),
            ("password", "not the password"),
            ("code", e.codes[1].as_str()),
        ]))
        .await;
    assert_eq!(resp.status(), 403, "a wrong password");
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("id=\"codes-left\">9<"), "still on: {html}");

    let resp = b
        .send(post(&app, "/account/2fa/disable").form(&[
            ("csrf", csrf.as_str()),
            ("password", PW),
            ("code", e.codes[1].as_str()),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("id=\"two-factor-status\">Off."), "{html}");
    assert!(
        !html.contains("class=\"row device\""),
        "devices forgotten: {html}"
    );
    mail_containing(
        &app.dir.path().join("mail"),
        "Two-factor authentication turned off",
    )
    .await;
    // Other sessions ended; the next login needs no code, and old recovery codes are void.
    let resp = other.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 302);
    let resp = app.post_login(&mut app.browser(), "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    assert!(
        !resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/login/2fa")
    );
}

#[tokio::test]
async fn a_remembered_device_skips_the_code_only_on_that_browser() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut trusted = app.browser();
    password_step(&app, &mut trusted, "alice", "").await;
    let resp = code_step(&app, &mut trusted, &e.codes[0], true, "").await;
    assert_eq!(resp.status(), 303);
    let set: Vec<_> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let device = set
        .iter()
        .find(|c| c.starts_with("__Host-gatehouse_device="))
        .unwrap();
    assert!(
        device.contains("Max-Age=2592000")
            && device.contains("Secure")
            && device.contains("HttpOnly"),
        "{device}"
    );

    // The same browser, signed out: the password is enough (a two-factor session).
    trusted.cookies.retain(|k, _| k.starts_with("__Host-"));
    let resp = app.post_login(&mut trusted, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    assert!(trusted.session(&app).is_some());
    let resp = trusted.send(app.get("secure.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200, "remembered login counts as two-factor");

    // Another browser still needs the code, even carrying a device cookie of its own making.
    let mut other = app.browser();
    other
        .cookies
        .insert("__Host-gatehouse_device".into(), "v1.forged.value".into());
    password_step(&app, &mut other, "alice", "").await;

    // Listed on the account page; forgetting it brings the code back.
    let (_, html) = page(&app, &mut trusted, "/account").await;
    assert!(html.contains("class=\"row device\""), "{html}");
    let id = between(&html, "name=\"id\" value=\"", "\"");
    let csrf = extract_csrf(&html);
    let resp = trusted
        .send(post(&app, "/account/devices/forget").form(&[("id", id.as_str()), ("csrf", &csrf)]))
        .await;
    assert_eq!(resp.status(), 303);
    trusted.cookies.retain(|k, _| k.starts_with("__Host-"));
    password_step(&app, &mut trusted, "alice", "").await;

    // A password change forgets remembered devices too.
    let mut again = app.browser();
    password_step(&app, &mut again, "alice", "").await;
    assert_eq!(
        code_step(&app, &mut again, &e.codes[1], true, "")
            .await
            .status(),
        303
    );
    app.app
        .state()
        .admin
        .set_password(
            "alice",
            &gatehouse::domain::secret::SecretString::new(PW),
            false,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    again.cookies.retain(|k, _| k.starts_with("__Host-"));
    password_step(&app, &mut again, "alice", "").await;
}

/// The code step shows the app's 6 digits with a numeric keyboard, and offers a field for a
/// recovery code (letters and digits) instead; a wrong code keeps the field that was used.
#[tokio::test]
async fn the_code_step_has_a_numeric_field_and_a_recovery_code_field() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let input = |html: &str| between(html, "<input id=\"code\"", ">");

    let (_, html) = page(&app, &mut b, "/login/2fa").await;
    assert!(input(&html).contains("inputmode=\"numeric\""), "{html}");
    assert!(
        input(&html).contains("autocomplete=\"one-time-code\""),
        "{html}"
    );
    let switch = between(&html, "id=\"switch-code\" href=\"", "\"").replace("&#x2f;", "/");
    assert_eq!(switch, "/login/2fa?recovery=1");

    let (_, html) = page(&app, &mut b, &switch).await;
    assert!(input(&html).contains("inputmode=\"text\""), "{html}");
    assert!(
        html.contains("<label for=\"code\">Recovery code</label>"),
        "{html}"
    );
    assert!(html.contains("name=\"recovery\" value=\"1\""), "{html}");
    // A wrong recovery code: the recovery field again.
    let resp = b
        .send(post(&app, "/login/2fa").form(&[
            ("code", "aaaa-bbbb-cccc"),
            ("recovery", "1"),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 401);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<label for=\"code\">Recovery code</label>"),
        "{html}"
    );
    // And the right one works from it.
    let resp = b
        .send(post(&app, "/login/2fa").form(&[
            ("code", e.codes[1].as_str()),
            ("recovery", "1"),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert!(b.session(&app).is_some());
}

/// "Keep me signed in" ticked at the password step carries through the code step: the
/// two-factor session it starts is the kept one.
#[tokio::test]
async fn keep_me_signed_in_carries_through_the_code_step() {
    let overlay = "[session]\nidle_timeout = \"30m\"\nremember_me = \"30d\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay).manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    let resp = b
        .send(post(&app, "/login").form(&[
            ("username", "alice"),
            ("password", PW),
            ("remember", "1"),
            ("csrf", token.as_str()),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert!(b.session(&app).is_none(), "a session before the code");
    let code = e.next_code().await;
    let resp = code_step(&app, &mut b, &code, false, "").await;
    assert_eq!(resp.status(), 303);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session="))
        .unwrap();
    let max_age: i64 = between(&cookie, "Max-Age=", ";").parse().unwrap();
    assert!(max_age > 29 * 86_400, "{cookie}");
    // A day idle: still signed in with two factors (an ordinary session ends at 30 minutes).
    app.advance(86_400);
    assert_eq!(
        b.send(app.get("secure.gate.localhost", "/")).await.status(),
        200
    );
    assert_eq!(
        e.browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        302
    );
}
