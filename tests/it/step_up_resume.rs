//! A step-up that finishes the job (docs/security.md#step-up): the form a stale session posted
//! is kept server-side, bound to that session, and carried out once after the password, on
//! the memory and the Redis store. A form with a secret, a forged one, an expired one, or one
//! of another session is never carried out.

use crate::admin_util::*;
use crate::harness::*;
use crate::session_util::{DEVICES, assert_ended, assert_works, login_from};
use crate::totp_util::*;

const STALE: &str = "[two_factor]\nstep_up_window = \"2s\"\n";

async fn spawn_stale(store: Store) -> TestApp {
    spawn_opts(Opts::with(store, &format!("{MAIL}{TRUSTED}{STALE}")).manual_clock()).await
}

/// POSTs `form` with the CSRF token `token` (none added when empty).
async fn post_with(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let resp = b.send(post(app, path).form(form)).await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

/// The password prompt's answer to a stale POST of `form` to `path`; its CSRF token.
async fn prompted(app: &TestApp, b: &mut Browser, path: &str, form: &[(&str, &str)]) -> String {
    let (status, _, html) = act(app, b, path, form).await;
    assert_eq!(status, 401, "{path}: {html}");
    assert!(html.contains("Confirm your password"), "{html}");
    assert!(
        html.contains("id=\"kept\""),
        "kept, and the prompt says so: {html}"
    );
    extract_csrf(&html)
}

/// The password on the prompt (the form `token` came with).
async fn confirm(app: &TestApp, b: &mut Browser, token: &str) -> (u16, String, String) {
    post_with(
        app,
        b,
        "/account/reauth",
        &[("password", PW), ("next", "admin"), ("csrf", token)],
    )
    .await
}

fn mails_containing(app: &TestApp, needle: &str) -> usize {
    std::fs::read_dir(mail_dir(app))
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_to_string(e.path())
                        .unwrap_or_default()
                        .contains(needle)
                })
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn the_reset_link_is_mailed_after_the_password_without_clicking_again() {
    for store in [Store::Memory, Store::Redis] {
        let (audit, _guard) = Audit::capture();
        let app = spawn_stale(store).await;
        let mut root = app.login("root", PW).await;
        app.advance(3);

        let token = prompted(
            &app,
            &mut root,
            "/admin/users/alice/password",
            &[("mode", "link")],
        )
        .await;
        assert_eq!(
            mails_containing(&app, "Reset your password"),
            0,
            "{store:?}"
        );
        let stale = root.clone();

        let (status, location, body) = confirm(&app, &mut root, &token).await;
        assert_eq!(status, 303, "{store:?}: {body}");
        assert_eq!(location, "/admin/users/alice?done=link", "{store:?}");
        mail_containing(&mail_dir(&app), "Reset your password").await;
        let (status, html) = page(&app, &mut root, &location).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("A password reset link was mailed to the user."),
            "{html}"
        );
        let replayed = audit.events("stepup.replayed");
        assert_eq!(replayed.len(), 1, "{}", audit.text());
        assert_eq!(replayed[0]["path"], "/admin/users/alice/password");

        // The same confirmation again, from the old cookie: that session is gone, nothing runs.
        let (status, location, _) = confirm(&app, &mut stale.clone(), &token).await;
        assert_eq!(status, 303);
        assert!(location.contains("/login"), "{location}");
        // And from the new session: the action was taken once, so only the way back.
        let token = csrf(&app, &mut root).await;
        let (status, location, _) = confirm(&app, &mut root, &token).await;
        assert_eq!(status, 303);
        assert_eq!(location, "/admin");
        assert_eq!(audit.events("stepup.replayed").len(), 1);
        assert_eq!(
            mails_containing(&app, "Reset your password"),
            1,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn disabling_a_user_is_carried_out_once_the_password_is_confirmed() {
    for store in [Store::Memory, Store::Redis] {
        let app = spawn_stale(store).await;
        let alice = app.login("alice", PW).await;
        let mut root = app.login("root", PW).await;
        app.advance(3);
        let token = prompted(&app, &mut root, "/admin/users/alice/disable", &[]).await;
        assert_eq!(
            app_status(&app, &alice).await,
            200,
            "not before the password"
        );
        let (status, location, _) = confirm(&app, &mut root, &token).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/admin/users/alice?done=disabled")
        );
        assert_eq!(app_status(&app, &alice).await, 302, "{store:?}");
    }
}

#[tokio::test]
async fn a_pending_action_expires_with_the_step_up_window() {
    for store in [Store::Memory, Store::Redis] {
        let app = spawn_stale(store).await;
        let alice = app.login("alice", PW).await;
        let mut root = app.login("root", PW).await;
        app.advance(3);
        let token = prompted(&app, &mut root, "/admin/users/alice/disable", &[]).await;
        app.advance(3);
        let (status, location, _) = confirm(&app, &mut root, &token).await;
        assert_eq!(status, 303);
        assert_eq!(location, "/admin", "{store:?}: only the way back");
        assert_eq!(
            app_status(&app, &alice).await,
            200,
            "{store:?}: not disabled"
        );
    }
}

#[tokio::test]
async fn a_pending_action_runs_only_for_the_session_that_posted_it() {
    for store in [Store::Memory, Store::Redis] {
        let app = spawn_stale(store).await;
        let alice = app.login("alice", PW).await;
        let mut a = app.login("root", PW).await;
        let mut b = app.login("root", PW).await;
        app.advance(3);
        let token_a = prompted(&app, &mut a, "/admin/users/alice/disable", &[]).await;

        // The same administrator's other session confirms its password: nothing of A runs.
        let token_b = csrf(&app, &mut b).await;
        let (status, location, _) = confirm(&app, &mut b, &token_b).await;
        assert_eq!((status, location.as_str()), (303, "/admin"), "{store:?}");
        assert_eq!(app_status(&app, &alice).await, 200, "{store:?}");

        // A itself still can.
        let (_, location, _) = confirm(&app, &mut a, &token_a).await;
        assert_eq!(location, "/admin/users/alice?done=disabled");
        assert_eq!(app_status(&app, &alice).await, 302);
    }
}

#[tokio::test]
async fn a_forged_or_secret_bearing_form_is_never_kept() {
    let app = spawn_stale(Store::Memory).await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    app.advance(3);
    // A cross-site POST (no valid token) on the stale session: the prompt, nothing kept.
    let (status, _, html) = post_with(
        &app,
        &mut root,
        "/admin/users/alice/disable",
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(status, 401, "{html}");
    assert!(!html.contains("id=\"kept\""), "{html}");
    let token = extract_csrf(&html);
    let (_, location, _) = confirm(&app, &mut root, &token).await;
    assert_eq!(location, "/admin");
    assert_eq!(app_status(&app, &alice).await, 200);

    // A form with a password in it is never stored: the page asks to repeat it.
    app.advance(3);
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users",
        &[("username", "eve"), ("password", NEW)],
    )
    .await;
    assert_eq!(status, 401, "{html}");
    assert!(!html.contains("id=\"kept\""), "{html}");
    let (_, location, _) = confirm(&app, &mut root, &extract_csrf(&html)).await;
    assert_eq!(location, "/admin");
    assert_eq!(login_status(&app, "eve", NEW).await.0, 401);
}

#[tokio::test]
async fn revoking_sessions_is_carried_out_after_the_password() {
    let overlay = format!("{TRUSTED}{STALE}");
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, &overlay).manual_clock()).await;
        app.add_user("alice", PW, &["users"]).await;
        let one = login_from(&app, "alice", DEVICES[0]).await;
        let two = login_from(&app, "alice", DEVICES[1]).await;
        let mut me = login_from(&app, "alice", DEVICES[2]).await;
        app.advance(3);

        // One session.
        let key = key_of(&app, &one);
        let token = prompted(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key)],
        )
        .await;
        assert_works(&app, &one, "not before the password").await;
        let (status, location, _) = post_with(
            &app,
            &mut me,
            "/account/reauth",
            &[("password", PW), ("next", "sessions"), ("csrf", &token)],
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/account/sessions?done=revoked"),
            "{store:?}"
        );
        assert_ended(&app, &one, "revoked after the password").await;
        assert_works(&app, &two, "the other one stays").await;

        // Every other session.
        app.advance(3);
        let token = prompted(&app, &mut me, "/account/sessions/revoke-others", &[]).await;
        assert_works(&app, &two, "not before the password").await;
        let (status, location, _) = post_with(
            &app,
            &mut me,
            "/account/reauth",
            &[("password", PW), ("next", "sessions"), ("csrf", &token)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions?done=others");
        assert_ended(&app, &two, "signed out after the password").await;
        assert_works(&app, &me, "this one goes on").await;
    }
}
