//! A step-up that finishes the job, with the mail going out over a real SMTP server
//! (docs/security.md#step-up): an administrator whose password is too old clicks "mail a reset
//! link", confirms the password, and the link reaches the user without a second click; a
//! replayed confirmation sends nothing more. On the Redis session store (shared by instances).

use crate::admin_util::{TRUSTED, act, csrf};
use crate::harness::*;
use crate::smtp::{SmtpCatcher, SmtpMode};
use crate::totp_util::*;

#[tokio::test]
async fn the_reset_link_reaches_the_user_after_the_administrators_password() {
    let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
    let overlay = format!(
        "{}{TRUSTED}[two_factor]\nstep_up_window = \"2s\"\n",
        smtp.overlay()
    );
    let app = TestApp::spawn(Opts::with(Store::Redis, &overlay).manual_clock()).await;
    app.add_user("root", PW, &["admins"]).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut root = app.login("root", PW).await;
    app.advance(3);

    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users/alice/password",
        &[("mode", "link")],
    )
    .await;
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("id=\"kept\""), "{html}");
    let token = extract_csrf(&html);
    let stale = root.clone();
    let form = [
        ("password", PW),
        ("next", "admin"),
        ("csrf", token.as_str()),
    ];
    let resp = root.send(post(&app, "/account/reauth").form(&form)).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/admin/users/alice?done=link");
    let raw = smtp
        .wait_for("alice@example.test", "Reset your password")
        .await;
    assert!(
        crate::mail_text::link_in(&raw).contains("/reset?token="),
        "{raw}"
    );

    // The same confirmation replayed, with the old cookie and with the new one: nothing more.
    let resp = stale
        .clone()
        .send(post(&app, "/account/reauth").form(&form))
        .await;
    assert_eq!(resp.status(), 303);
    let again = csrf(&app, &mut root).await;
    let form = [
        ("password", PW),
        ("next", "admin"),
        ("csrf", again.as_str()),
    ];
    let resp = root.send(post(&app, "/account/reauth").form(&form)).await;
    assert_eq!(resp.headers()["location"], "/admin");
    // A later mail to alice (a temporary password's notice) marks the end of what those
    // requests could have sent her.
    let form = [("mode", "temporary")];
    let (status, _, _) = act(&app, &mut root, "/admin/users/alice/password", &form).await;
    assert_eq!(status, 200);
    smtp.wait_for("alice@example.test", "reset by an administrator")
        .await;
    let resets = smtp
        .received()
        .iter()
        .filter(|r| r.raw.contains("Reset your password"))
        .count();
    assert_eq!(resets, 1);
}
