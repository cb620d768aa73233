//! Forgot/reset by mail end to end (docs/security.md#reset-tokens, #reset-no-enumeration,
//! #reset-link-origin): the reset link travels through a real SMTP server.

use crate::harness::*;
use crate::reset_util::{link_in, request_reset};
use crate::smtp::{SmtpCatcher, SmtpMode};
use crate::totp_util::*;

const NEW: &str = "a brand new passphrase for alice";
const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

#[tokio::test]
async fn forgot_password_by_mail_end_to_end() {
    // A real SMTP server, reached over STARTTLS with a test certificate.
    let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
    let overlay = format!(
        "{}{TRUSTED}[password]\nforgot_password_enabled = true\n",
        smtp.overlay()
    );
    let app = TestApp::spawn(Opts::with(Store::Redis, &overlay).manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("bob", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;

    // The same answer for an account and for no account.
    let known = request_reset(
        &app,
        "alice",
        &[
            ("x-forwarded-host", "evil.example"),
            ("forwarded", "host=evil.example"),
        ],
    )
    .await;
    let unknown = request_reset(&app, "nobody", &[]).await;
    assert_eq!(known.status(), 200);
    assert_eq!(known.status(), unknown.status());
    let cookies = |r: &reqwest::Response| r.headers().get_all("set-cookie").iter().count();
    assert_eq!(cookies(&known), cookies(&unknown));
    let (kb, ub) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    let strip = |s: &str| s.split("Request ").next().unwrap().to_owned();
    assert_eq!(strip(&kb), strip(&ub));
    assert!(kb.contains("Check your email"));
    // The page says how long the link works (the default `password.reset_token_ttl`).
    assert!(kb.contains("It works once, for 15 minutes."), "{kb}");

    // The link comes from configuration, not from the request headers.
    let mail = smtp
        .wait_for("alice@example.test", "Reset your password")
        .await;
    assert!(mail.contains("To: alice@example.test"));
    let link = link_in(&mail);
    assert!(
        link.starts_with(&format!(
            "http://auth.gate.localhost:{}/reset?token=",
            app.port
        )),
        "{link}"
    );
    assert!(!mail.contains("evil.example"));
    let path = link
        .split_once(&format!(":{}", app.port))
        .unwrap()
        .1
        .to_owned();

    // GET shows the form and does not use the link up.
    let mut b = app.browser();
    for _ in 0..2 {
        let (s, html) = page(&app, &mut b, &path).await;
        assert_eq!(s, 200);
        assert!(html.contains("Choose a new password") && html.contains("alice"));
    }
    let (_, html) = page(&app, &mut b, &path).await;
    let token = between(&html, "name=\"token\" value=\"", "\"");
    let csrf = extract_csrf(&html);
    // A policy failure keeps the link; a hidden username field changes nothing.
    let resp = b
        .send(post(&app, "/reset").form(&[
            ("token", token.as_str()),
            ("new", "password1234567"),
            ("confirm", "password1234567"),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 400);
    let resp = b
        .send(post(&app, "/reset").form(&[
            ("token", token.as_str()),
            ("new", NEW),
            ("confirm", NEW),
            ("username", "bob"),
            ("email", "bob@example.test"),
            ("csrf", &csrf),
        ]))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Password changed"));
    assert!(b.session(&app).is_none(), "a reset signs nobody in");
    let (s, html) = page(&app, &mut b, &path).await;
    assert_eq!(s, 404, "single use: {html}");

    // Sessions ended; bob untouched; alice's new password works and still needs the code.
    assert_eq!(
        e.browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        302
    );
    app.login("bob", PW).await;
    let mut again = app.browser();
    let resp = app.post_login(&mut again, "alice", NEW, "").await;
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/login/2fa"),
        "2FA stays on"
    );
    let code = e.next_code().await;
    assert_eq!(
        code_step(&app, &mut again, &code, false, "").await.status(),
        303
    );
    smtp.wait_for("alice@example.test", "Your password was changed")
        .await;
    // Only alice was ever mailed.
    assert!(
        smtp.received()
            .iter()
            .all(|r| r.rcpt_to == ["alice@example.test"])
    );
}
