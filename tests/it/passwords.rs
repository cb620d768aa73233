//! Password change, the forced change, forgot/reset by mail (docs/security.md#password-policy, #reset-tokens, #password-change, issue 5).
//! The whole forgot-password flow over a real SMTP server is in the end-to-end target
//! (`tests/e2e/passwords.rs`).

use crate::harness::*;
use crate::reset_util::*;
use crate::totp_util::*;

const NEW: &str = "a brand new passphrase for alice";
const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// Submits the change form (fetched first for its token).
async fn change(
    app: &TestApp,
    b: &mut Browser,
    current: &str,
    new: &str,
    confirm: &str,
    code: &str,
) -> (u16, String) {
    let (_, html) = page(app, b, "/account/password").await;
    let csrf = extract_csrf(&html);
    let resp = b
        .send(post(app, "/account/password").form(&[
            ("current", current),
            ("new", new),
            ("confirm", confirm),
            ("code", code),
            ("csrf", &csrf),
        ]))
        .await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_keeps_this_one() {
    let app = TestApp::spawn(Opts::with(Store::Redis, MAIL)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut a = app.login("alice", PW).await;
    let mut other = app.login("alice", PW).await;
    let (_, html) = page(&app, &mut a, "/account/password").await;
    assert!(
        html.contains("autocomplete=\"current-password\"")
            && html.contains("autocomplete=\"new-password\"")
    );
    assert!(!html.to_lowercase().contains("onpaste"));

    // Refusals, each with its reason on the page, and nothing changed.
    for (current, new, confirm, status, why) in [
        (PW, NEW, "something else entirely", 400, "are not the same"),
        (PW, "password1234567", "password1234567", 400, "too common"),
        (PW, "alicealicealice", "alicealicealice", 400, "username"),
        (PW, "fourteen chars", "fourteen chars", 400, "at least 15"),
        (
            "not the current one",
            NEW,
            NEW,
            403,
            "current password is wrong",
        ),
    ] {
        let (s, html) = change(&app, &mut a, current, new, confirm, "").await;
        assert_eq!(s, status, "{new}: {html}");
        assert!(html.contains(why), "{new}: {html}");
    }
    let before = a.session(&app).unwrap();
    let (_, html) = page(&app, &mut a, "/account/password").await;
    let resp = a
        .send(post(&app, "/account/password").form(&[
            ("current", PW),
            ("new", NEW),
            ("confirm", NEW),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert_ne!(a.session(&app).unwrap(), before, "new session id");
    // The account page confirms the change.
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/account?done=password");
    let (_, html) = page(&app, &mut a, &location).await;
    assert!(
        html.contains(r#"role="status">Your password was changed."#),
        "{html}"
    );
    // Only the fixed notices: anything else in `done` shows nothing.
    let (_, html) = page(&app, &mut a, "/account?done=%3Cb%3Ehacked").await;
    assert!(
        !html.contains("hacked") && !html.contains(r#"class="notice""#),
        "{html}"
    );
    assert_eq!(
        a.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
    assert_eq!(
        other
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        302
    );
    assert_eq!(
        app.post_login(&mut app.browser(), "alice", PW, "")
            .await
            .status(),
        401
    );
    app.login("alice", NEW).await;
    let mail = mail_containing(&app.dir.path().join("mail"), "Your password was changed").await;
    // When, from where, and the way to the account (quoted-printable soft breaks undone).
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(flat.contains("When: 20"), "{flat}");
    assert!(flat.contains(" UTC"), "{flat}");
    assert!(
        flat.contains("From: ") && flat.contains("address 127.0.0.1"),
        "{flat}"
    );
    let account = format!(
        "Your account: http://auth.gate.localhost:{}/account",
        app.port
    );
    assert!(flat.contains(&account), "{flat}");
}

#[tokio::test]
async fn two_factor_users_need_a_code_unless_they_stepped_up_recently() {
    let app = TestApp::spawn(
        Opts::with(Store::Memory, "[two_factor]\nstep_up_window = \"1s\"\n").manual_clock(),
    )
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    // Past the one-second step-up window.
    app.advance(2);
    let (_, html) = page(&app, &mut e.browser, "/account/password").await;
    assert!(html.contains("autocomplete=\"one-time-code\""));
    let (s, html) = change(&app, &mut e.browser, PW, NEW, NEW, "").await;
    assert_eq!(s, 403, "{html}");
    let (s, _) = change(&app, &mut e.browser, PW, NEW, NEW, &e.codes[0]).await;
    assert_eq!(s, 303);
    // Eight characters are enough for an account with two-factor on.
    let (s, html) = change(
        &app,
        &mut e.browser,
        NEW,
        "violet mango",
        "violet mango",
        &e.codes[1],
    )
    .await;
    assert_eq!(s, 303, "{html}");
}

#[tokio::test]
async fn a_forced_change_blocks_everything_else() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let temp = "temporary password from the admin";
    app.app
        .state()
        .admin
        .set_password(
            "alice",
            &gatehouse::domain::secret::SecretString::new(temp),
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    let mut b = app.browser();
    let rd = format!("http://app.gate.localhost:{}/wanted", app.port);
    let resp = app.post_login(&mut b, "alice", temp, &rd).await;
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with("/account/password?rd="), "{loc}");

    // Nothing is proxied; forward-auth refuses with the change page as the way out.
    let resp = b.send(app.get("app.gate.localhost", "/wanted")).await;
    assert_eq!(resp.status(), 302);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/account/password")
    );
    let resp = app
        .client
        .get(app.url("/api/authz/auth-request"))
        .header("x-original-url", &rd)
        .header("x-original-method", "GET")
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/account/password")
    );
    let (s, _) = page(&app, &mut b, "/account").await;
    assert_eq!(s, 303, "account pages wait too");
    assert_eq!(app.echo.count(), 0);

    let (_, html) = page(&app, &mut b, &loc).await;
    assert!(html.contains("Set a new password"), "{html}");
    // The temporary password was typed a moment ago: it is not asked for again.
    assert!(!html.contains("name=\"current\""), "{html}");
    let csrf = extract_csrf(&html);
    let rd_field = between(&html, "name=\"rd\" value=\"", "\"").replace("&#x2f;", "/");
    let resp = b
        .send(post(&app, "/account/password").form(&[
            ("new", NEW),
            ("confirm", NEW),
            ("rd", &rd_field),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], rd.as_str());
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/wanted"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_forced_change_does_not_ask_again_for_the_temporary_password() {
    let app = TestApp::spawn(Opts::default().manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    let temp = "temporary password from the admin";
    let state = app.app.state();
    let operator = &gatehouse::service::users::Actor::Operator;
    let temp_secret = gatehouse::domain::secret::SecretString::new(temp);
    state
        .admin
        .set_password("alice", &temp_secret, true, operator, app.now())
        .await
        .unwrap();
    let mut b = app.browser();
    assert_eq!(
        app.post_login(&mut b, "alice", temp, "").await.status(),
        303
    );

    // Past the step-up window the sign-in no longer proves the temporary password: asked again.
    app.advance(app.app.state().config.two_factor.step_up_window + 1);
    let (_, html) = page(&app, &mut b, "/account/password").await;
    assert!(html.contains("name=\"current\""), "{html}");
    let csrf = extract_csrf(&html);
    let resp = b
        .send(post(&app, "/account/password").form(&[
            ("new", NEW),
            ("confirm", NEW),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(
        resp.status(),
        403,
        "a stale forced change without the current password"
    );
    let resp = b
        .send(post(&app, "/account/password").form(&[
            ("current", temp),
            ("new", NEW),
            ("confirm", NEW),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 303);

    // An ordinary change, however fresh the session, always asks for the current password.
    let mut b = app.browser();
    assert_eq!(app.post_login(&mut b, "alice", NEW, "").await.status(), 303);
    let (_, html) = page(&app, &mut b, "/account/password").await;
    assert!(html.contains("name=\"current\""), "{html}");
    let csrf = extract_csrf(&html);
    let resp = b
        .send(post(&app, "/account/password").form(&[
            ("new", PW),
            ("confirm", PW),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 403);
}

fn mails(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(app.dir.path().join("mail"))
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn reset_links_expire_and_a_newer_one_voids_the_older() {
    let app = TestApp::spawn(
        Opts::with(Store::Memory, &forgot("reset_token_ttl = \"3s\"\n")).manual_clock(),
    )
    .await;
    app.add_user("alice", PW, &[]).await;
    request_reset(&app, "alice", &[("x-forwarded-for", "192.0.2.1")]).await;
    let first =
        link_in(&mail_containing(&app.dir.path().join("mail"), "Reset your password").await);
    // Only after the first mail exists, so the two are told apart.
    request_reset(
        &app,
        "alice@example.test",
        &[("x-forwarded-for", "192.0.2.2")],
    )
    .await;
    let mut second = String::new();
    for _ in 0..100 {
        if let Some(m) = mails(&app)
            .into_iter()
            .map(|m| link_in(&m))
            .find(|l| *l != first)
        {
            second = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!second.is_empty(), "no second mail");
    let path = |l: &str| {
        l.split_once(&format!(":{}", app.port))
            .unwrap()
            .1
            .to_owned()
    };
    let mut b = app.browser();
    assert_eq!(
        page(&app, &mut b, &path(&first)).await.0,
        404,
        "voided by the newer one"
    );
    assert_eq!(page(&app, &mut b, &path(&second)).await.0, 200);
    // Past the link's lifetime.
    app.advance(4);
    assert_eq!(page(&app, &mut b, &path(&second)).await.0, 404, "expired");
}

#[tokio::test]
async fn reset_requests_are_rate_limited_and_never_lock_the_account() {
    let app = TestApp::spawn(Opts::with(Store::Memory, &forgot(""))).await;
    app.add_user("alice", PW, &[]).await;
    // From many addresses: at most 3 mails an hour for the account.
    for i in 0..20 {
        let ip = format!("198.51.100.{}", i + 1);
        let resp = request_reset(&app, "alice", &[("x-forwarded-for", ip.as_str())]).await;
        assert_eq!(resp.status(), 200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(mails(&app).len(), 3);
    // From one address: at most 5 requests in 10 minutes, whatever the account.
    let mut statuses = Vec::new();
    for who in ["a", "b", "c", "d", "e", "f"] {
        statuses.push(
            request_reset(&app, who, &[("x-forwarded-for", "203.0.113.9")])
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    app.login("alice", PW).await;
}

#[tokio::test]
async fn header_injection_in_the_reset_request_reaches_no_header() {
    let app = TestApp::spawn(Opts::with(Store::Memory, &forgot(""))).await;
    app.add_user("alice", PW, &[]).await;
    for who in [
        "alice\r\nBcc: evil@example.test",
        "alice@example.test\r\nBcc: evil@example.test",
        "alice\nSubject: owned",
    ] {
        assert_eq!(request_reset(&app, who, &[]).await.status(), 200);
    }
    request_reset(&app, "alice", &[]).await;
    let mail = mail_containing(&app.dir.path().join("mail"), "Reset your password").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for m in mails(&app) {
        assert!(
            !m.contains("evil@example.test") && !m.contains("owned"),
            "{m}"
        );
    }
    assert!(mail.contains("To: alice@example.test"));
}

#[tokio::test]
async fn forgot_password_needs_a_notifier_and_is_off_by_default() {
    let problems = gatehouse::config::load_str(
        "[portal]\nurl = \"http://auth.gate.localhost:9\"\n[[sites]]\nhost = \"app.gate.localhost\"\nupstream = \"http://127.0.0.1:9\"\n[password]\nforgot_password_enabled = true\n",
        std::path::Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap_err();
    assert!(
        format!("{problems:?}").contains("password.forgot_password_enabled"),
        "{problems:?}"
    );
    let app = TestApp::spawn(Opts::default()).await;
    let mut b = app.browser();
    assert_eq!(page(&app, &mut b, "/forgot").await.0, 404);
    let (_, html) = page(&app, &mut b, "/login").await;
    assert!(!html.contains("Forgot your password?"));
}

#[tokio::test]
async fn a_temporary_password_stops_working_after_a_day() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let temp = "temporary password from the admin";
    app.app
        .state()
        .admin
        .set_password(
            "alice",
            &gatehouse::domain::secret::SecretString::new(temp),
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    // Move the moment it was set a day back, as a day passing would.
    crate::harness::user_store::execute(
        &app.database,
        "UPDATE users SET password_set_at = password_set_at - 86400 WHERE username = 'alice'",
    )
    .await;
    let resp = app.post_login(&mut app.browser(), "alice", temp, "").await;
    assert_eq!(resp.status(), 401);
    // A password the user chose does not expire.
    app.app
        .state()
        .admin
        .set_password(
            "alice",
            &gatehouse::domain::secret::SecretString::new(NEW),
            false,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    app.login("alice", NEW).await;
}

#[tokio::test]
async fn mail_templates_can_be_replaced_like_pages() {
    let tpl = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tpl.path().join("email")).unwrap();
    std::fs::write(
        tpl.path().join("email/notice.txt"),
        "Hi {{ name }} from the homelab.\n{% for p in paragraphs %}{{ p }}\n{% endfor %}",
    )
    .unwrap();
    let overlay = format!(
        "{}[portal]\ntemplates_dir = \"{}\"\n",
        forgot(""),
        tpl.path().display()
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    request_reset(&app, "alice", &[]).await;
    let mail = mail_containing(&app.dir.path().join("mail"), "Reset your password").await;
    assert!(mail.contains("Hi alice from the homelab."), "{mail}");
    // The HTML part keeps the built-in template.
    assert!(mail.contains("text/html"), "{mail}");
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_throttle() {
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        "[throttle]\naccount_failures = 3\n",
    ))
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut a = app.login("alice", PW).await;
    for _ in 0..3 {
        let (s, _) = change(&app, &mut a, "not the current one", NEW, NEW, "").await;
        assert_eq!(s, 403);
    }
    // Banned now: even the right current password waits, and so does a login.
    let (s, html) = change(&app, &mut a, PW, NEW, NEW, "").await;
    assert_eq!(s, 429, "{html}");
    assert!(html.contains("Too many failed attempts"));
    assert_eq!(
        app.post_login(&mut app.browser(), "alice", PW, "")
            .await
            .status(),
        429
    );
}

/// A refused change marks the field it is about (`aria-invalid`, described by an error
/// placed beside it) as well as saying it at the top.
#[tokio::test]
async fn a_refused_change_points_at_the_field() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut a = app.login("alice", PW).await;
    let field = |html: &str, id: &str| between(html, &format!("<input id=\"{id}\""), ">");
    let cases = [
        (
            "not the current one",
            NEW,
            NEW,
            "current",
            "The current password is wrong.",
        ),
        (
            PW,
            NEW,
            "something else entirely",
            "confirm",
            "The two new passwords are not the same.",
        ),
        (PW, "fourteen chars", "fourteen chars", "new", "at least 15"),
    ];
    for (current, new, confirm, id, why) in cases {
        let (_, html) = change(&app, &mut a, current, new, confirm, "").await;
        assert!(
            field(&html, id).contains("aria-invalid=\"true\""),
            "{id}: {html}"
        );
        assert!(
            field(&html, id).contains(&format!("{id}-error")),
            "{id}: {html}"
        );
        let beside = between(&html, &format!("id=\"{id}-error\">"), "</p>");
        assert!(beside.contains(why), "{id}: {beside}");
        for other in ["current", "new", "confirm"]
            .into_iter()
            .filter(|o| *o != id)
        {
            assert!(
                !field(&html, other).contains("aria-invalid"),
                "{other} for {id}: {html}"
            );
        }
    }
    // The login form marks the password after a failure.
    let resp = app
        .post_login(
            &mut app.browser(),
            "alice",
            "wrong password, long enough",
            "",
        )
        .await;
    let html = resp.text().await.unwrap();
    assert!(
        field(&html, "password").contains("aria-invalid=\"true\" aria-describedby=\"form-error\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"form-error\">Invalid username or password."),
        "{html}"
    );
}
