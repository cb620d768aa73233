//! Admin actions on a user (issue 5, point 6; docs/security.md#admin-session-control, #admin-reset): a temporary password is
//! shown once, works once and forces a change; a reset link is mailed and never shown to the
//! administrator; disabling, two-factor reset and revoking end sessions at once; each is
//! audited with the administrator as the actor.

use crate::admin_util::*;
use crate::harness::*;
use crate::totp_util::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// Logs in from a browser with this user agent.
async fn login_as(app: &TestApp, user: &str, ua: &str) -> Browser {
    let mut b = app.browser();
    let resp = b
        .send(
            app.get(&app.portal_host, &app.portal("/login"))
                .header("user-agent", ua),
        )
        .await;
    let token = extract_csrf(&resp.text().await.unwrap());
    let resp = b
        .send(post(app, "/login").header("user-agent", ua).form(&[
            ("username", user),
            ("password", PW),
            ("csrf", &token),
            ("rd", ""),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    b
}

/// The session keys in the sign-out forms of a user's admin page.
fn revoke_keys(html: &str) -> Vec<String> {
    html.split("name=\"session\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_temporary_password_is_shown_once_works_once_and_ends_sessions() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Redis, "").await;
    let alice = app.login("alice", PW).await;
    let bob = app.login("bob", PW).await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(
        html.contains("name=\"must_change\" value=\"1\" checked"),
        "{html}"
    );

    let resp = {
        let token = csrf(&app, &mut root).await;
        root.send(post(&app, "/admin/users/alice/password").form(&[
            ("mode", "temporary"),
            ("must_change", "1"),
            ("csrf", &token),
        ]))
        .await
    };
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(resp.headers().get("location").is_none());
    let html = resp.text().await.unwrap();
    let temp = between(&html, "id=\"temporary-password\">", "<");
    assert!(temp.chars().count() >= 20, "{temp}");

    // Shown once: not on the user's page afterwards, nor in the audit log.
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(!html.contains(&temp));
    assert!(!audit.text().contains(&temp), "the password in the log");

    // Alice's sessions ended at once, bob's did not; the old password is gone.
    assert_eq!(app_status(&app, &alice).await, 302);
    assert_eq!(app_status(&app, &bob).await, 200);
    assert_eq!(login_status(&app, "alice", PW).await.0, 401);
    audit.assert_actor("user.password_set", "alice", "admin:root");
    let mail = mail_containing(&mail_dir(&app), "reset by an administrator").await;
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    // The user did not do this: no "if this was not you", and no device or address of the
    // administrator's, but the time and the way to the account.
    assert!(!flat.contains("If this was not you"), "{flat}");
    assert!(!flat.contains(", address "), "{flat}");
    assert!(
        flat.contains("When: ") && flat.contains("Your account: "),
        "{flat}"
    );

    // The temporary password forces a change, and after it no longer works.
    let mut a = app.browser();
    let resp = app.post_login(&mut a, "alice", &temp, "").await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/account/password"), "{location}");
    let (_, html) = page(&app, &mut a, "/account/password").await;
    let token = extract_csrf(&html);
    let resp = a
        .send(post(&app, "/account/password").form(&[
            ("current", temp.as_str()),
            ("new", NEW),
            ("confirm", NEW),
            ("csrf", &token),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(login_status(&app, "alice", &temp).await.0, 401);
    let (status, location) = login_status(&app, "alice", NEW).await;
    assert_eq!(status, 303);
    assert!(!location.contains("/account/password"), "{location}");

    // An administrator does not reset their own password here.
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users/root/password",
        &[("mode", "temporary"), ("must_change", "1")],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("account page"), "{html}");
    assert_eq!(app_status(&app, &root).await, 200);
}

#[tokio::test]
async fn a_reset_link_is_mailed_and_never_shown_to_the_admin() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(html.contains("value=\"link\""), "{html}");

    let (status, location, body) = act(
        &app,
        &mut root,
        "/admin/users/alice/password",
        &[("mode", "link")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/admin/users/alice?done=link");
    let (_, page_html) = page(&app, &mut root, &location).await;
    assert!(page_html.contains("reset link was mailed"), "{page_html}");

    let mail = mail_containing(&mail_dir(&app), "Reset your password").await;
    assert!(mail.contains("To: alice@example.test"));
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let link_start = flat.find("/reset?token=").expect("no link") + "/reset?token=".len();
    let token: String = flat[link_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43, "{flat}");
    for text in [&body, &location, &page_html] {
        assert!(!text.contains(&token), "the admin saw the link");
    }
    assert!(!audit.text().contains(&token), "the link in the log");
    audit.assert_actor("password.reset_requested", "alice", "admin:root");

    // The link works (forgot_password_enabled is off: the admin's link does not need it).
    let mut b = app.browser();
    let (status, html) = page(&app, &mut b, &format!("/reset?token={token}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("alice"));
}

#[tokio::test]
async fn without_a_notifier_only_a_temporary_password_is_offered() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("root", PW, &["admins"]).await;
    app.add_user("alice", PW, &[]).await;
    let mut root = app.login("root", PW).await;
    let (_, new) = page(&app, &mut root, "/admin/users/new").await;
    assert!(
        !new.contains("name=\"invite\""),
        "no invitation without a notifier: {new}"
    );
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(!html.contains("value=\"link\""), "{html}");
    assert!(html.contains("No mail notifier is configured"), "{html}");
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users/alice/password",
        &[("mode", "link")],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert_eq!(login_status(&app, "alice", PW).await.0, 303);
}

#[tokio::test]
async fn disabling_ends_sessions_at_once_and_enabling_lets_the_user_back() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Redis, "").await;
    let a1 = app.login("alice", PW).await;
    let a2 = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;

    let (status, location, _) = act(&app, &mut root, "/admin/users/alice/disable", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=disabled");
    assert_eq!(app_status(&app, &a1).await, 302);
    assert_eq!(app_status(&app, &a2).await, 302);
    assert_eq!(login_status(&app, "alice", PW).await.0, 401);
    audit.assert_actor("user.disabled", "alice", "admin:root");
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(between(&html, "id=\"user-status\">", "</dd>").contains("disabled"));
    assert!(html.contains("id=\"enable\""), "{html}");

    // An administrator cannot disable themselves.
    let (status, _, html) = act(&app, &mut root, "/admin/users/root/disable", &[]).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("cannot disable your own account"), "{html}");
    assert_eq!(app_status(&app, &root).await, 200);

    let (status, location, _) = act(&app, &mut root, "/admin/users/alice/enable", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=enabled");
    assert_eq!(login_status(&app, "alice", PW).await.0, 303);
    audit.assert_actor("user.enabled", "alice", "admin:root");

    // Unknown users are not found.
    let (status, _, _) = act(&app, &mut root, "/admin/users/nobody/disable", &[]).await;
    assert_eq!(status, 404);
    assert_eq!(page(&app, &mut root, "/admin/users/nobody").await.0, 404);
}

#[tokio::test]
async fn resetting_two_factor_turns_it_off_and_ends_sessions() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let enrolled = enroll(&app, "alice").await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert_eq!(between(&html, "id=\"user-2fa\">", "<"), "on");
    assert!(html.contains("id=\"reset-2fa\""));

    let (status, location, _) = act(&app, &mut root, "/admin/users/alice/reset-2fa", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=2fa");
    assert_eq!(app_status(&app, &enrolled.browser).await, 302);
    // The password alone signs in now.
    let (status, location) = login_status(&app, "alice", PW).await;
    assert_eq!(status, 303);
    assert!(!location.contains("/login/2fa"), "{location}");
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert_eq!(between(&html, "id=\"user-2fa\">", "<"), "off");
    audit.assert_actor("two_factor.reset", "alice", "admin:root");
    mail_containing(&mail_dir(&app), "reset by an administrator").await;

    // Not on: nothing to reset.
    let (status, _, _) = act(&app, &mut root, "/admin/users/bob/reset-2fa", &[]).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn viewing_and_revoking_a_users_sessions() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Redis, "").await;
    let firefox = login_as(&app, "alice", FIREFOX).await;
    let iphone = login_as(&app, "alice", IPHONE).await;
    let bob = app.login("bob", PW).await;
    let mut root = app.login("root", PW).await;

    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(
        html.contains("Firefox on Linux") && html.contains("Safari on iPhone"),
        "{html}"
    );
    assert!(html.contains("127.0.0.1"), "{html}");
    let keys = revoke_keys(&html);
    assert_eq!(keys.len(), 2, "{html}");
    assert!(keys.contains(&key_of(&app, &firefox)));

    // One session: only that one ends.
    let (status, location, _) = act(
        &app,
        &mut root,
        "/admin/users/alice/sessions/revoke",
        &[("session", &key_of(&app, &firefox))],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=revoked");
    assert_eq!(app_status(&app, &firefox).await, 302);
    assert_eq!(app_status(&app, &iphone).await, 200);
    audit.assert_actor("session.revoked", "alice", "admin:root");

    // Another user's session through alice's page: not found, and it lives on.
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users/alice/sessions/revoke",
        &[("session", &key_of(&app, &bob))],
    )
    .await;
    assert_eq!(status, 404, "{html}");
    assert_eq!(app_status(&app, &bob).await, 200);

    // The administrator's own current session is not ended from here.
    let (_, html) = page(&app, &mut root, "/admin/users/root").await;
    assert!(html.contains("your current session"), "{html}");
    assert!(revoke_keys(&html).is_empty(), "{html}");
    let own = key_of(&app, &root);
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users/root/sessions/revoke",
        &[("session", &own)],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    let (status, _, _) = act(
        &app,
        &mut root,
        "/admin/users/root/sessions/revoke-all",
        &[],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(app_status(&app, &root).await, 200);

    // All of alice's sessions.
    let (status, location, _) = act(
        &app,
        &mut root,
        "/admin/users/alice/sessions/revoke-all",
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=revoked-all");
    assert_eq!(app_status(&app, &iphone).await, 302);
    assert_eq!(app_status(&app, &bob).await, 200);
    audit.assert_actor("session.revoked_all", "alice", "admin:root");
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(html.contains("id=\"no-sessions\""), "{html}");
}

#[tokio::test]
async fn unlocking_lifts_an_account_ban_and_is_audited() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(
        Store::Memory,
        "[throttle]\naccount_failures = 3\naccount_ban = \"1h\"\n",
    )
    .await;
    let mut root = app.login("root", PW).await;
    for _ in 0..3 {
        assert_eq!(
            login_status(&app, "alice", "wrong wrong wrong").await.0,
            401
        );
    }
    assert_eq!(login_status(&app, "alice", PW).await.0, 429);
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(html.contains("id=\"unlock\""), "{html}");

    // Without a CSRF token nothing happens.
    let resp = root
        .send(post(&app, "/admin/users/alice/unlock").form(&[("csrf", "forged")]))
        .await;
    assert_eq!(resp.headers()["location"], "/admin/users/alice?expired=1");
    assert_eq!(login_status(&app, "alice", PW).await.0, 429);

    let (status, location, _) = act(&app, &mut root, "/admin/users/alice/unlock", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/alice?done=unlocked");
    audit.assert_actor("user.unlocked", "alice", "admin:root");
    assert_eq!(login_status(&app, "alice", PW).await.0, 303);

    let (status, _, _) = act(&app, &mut root, "/admin/users/nobody/unlock", &[]).await;
    assert_eq!(status, 404);
}

/// A new user can be invited instead of given a password: the mail carries a single-use link
/// (valid `password.invitation_ttl`), the administrator never sees a password or the link,
/// and the user's own choice through it is the only password that works.
#[tokio::test]
async fn a_new_user_can_be_invited_to_choose_their_own_password() {
    let (audit, _guard) = Audit::capture();
    let app =
        spawn_opts(Opts::with(Store::Memory, &format!("{MAIL}{TRUSTED}")).manual_clock()).await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/new").await;
    assert!(html.contains("name=\"invite\" value=\"1\""), "{html}");
    assert!(html.contains("works once, for 3 days"), "{html}");

    // An invitation needs an address.
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users",
        &[("username", "dave"), ("invite", "1")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("An invitation needs the user&#x27;s email address."),
        "{html}"
    );
    assert_eq!(login_status(&app, "dave", PW).await.0, 401, "not created");

    let fields = [
        ("username", "dave"),
        ("email", "dave@example.test"),
        ("invite", "1"),
        ("password", NEW),
    ];
    let (status, location, body) = act(&app, &mut root, "/admin/users", &fields).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/admin/users/dave?done=invited");
    let (_, page_html) = page(&app, &mut root, &location).await;
    assert!(
        page_html.contains("an invitation link to choose their password was mailed"),
        "{page_html}"
    );
    audit.assert_actor("user.created", "dave", "admin:root");
    // A typed password is ignored for an invitation: nothing works until the link is used.
    assert_eq!(login_status(&app, "dave", NEW).await.0, 401);

    let mail = mail_containing(&mail_dir(&app), "Your new account").await;
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(flat.contains("The link works once, for 3 days."), "{flat}");
    let start = flat.find("/reset?token=").expect("no link") + "/reset?token=".len();
    let token: String = flat[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(
        !body.contains(&token) && !page_html.contains(&token),
        "the admin saw the link"
    );
    assert!(!audit.text().contains(&token), "the link in the log");

    // Still good after two days (a reset link lasts 15 minutes), and it sets the password.
    app.advance(2 * 86_400);
    let mut dave = app.browser();
    let (status, html) = page(&app, &mut dave, &format!("/reset?token={token}")).await;
    assert_eq!(status, 200, "{html}");
    let chosen = "dave chose this long passphrase";
    let resp = dave
        .send(post(&app, "/reset").form(&[
            ("token", token.as_str()),
            ("new", chosen),
            ("confirm", chosen),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(login_status(&app, "dave", chosen).await.0, 303);
    // Used once.
    let (status, _) = page(&app, &mut app.browser(), &format!("/reset?token={token}")).await;
    assert_ne!(status, 200);
}
