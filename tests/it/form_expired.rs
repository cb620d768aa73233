//! "Form expired" without a dead end (docs/security.md#login-csrf): a portal form whose CSRF
//! check fails changes nothing, is audited, and goes back to the page holding the form, which
//! says so and carries a fresh token that works.

use crate::admin_util::*;
use crate::harness::*;
use crate::session_util::{DEVICES, assert_ended, assert_works, login_from};
use crate::totp_util::*;

const NOTICE: &str = "This form had expired, so nothing was changed.";

/// POSTs `form` to `path`; status and `Location`.
async fn send(app: &TestApp, b: &mut Browser, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let resp = b.send(post(app, path).form(form)).await;
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (resp.status().as_u16(), location)
}

/// The page a refused form came back to: it says why, and carries a fresh token.
async fn came_back(app: &TestApp, b: &mut Browser, location: &str) -> String {
    let (status, html) = page(app, b, location).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(NOTICE), "{location}: {html}");
    extract_csrf(&html)
}

#[tokio::test]
async fn an_expired_new_user_form_comes_back_and_then_works() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let form = [("username", "eve"), ("display_name", "Eve"), ("email", "")];
    for token in ["stale", ""] {
        let mut fields = form.to_vec();
        fields.push(("csrf", token));
        let (status, location) = send(&app, &mut root, "/admin/users", &fields).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/admin/users/new?expired=1")
        );
    }
    assert_eq!(audit.events("csrf.rejected").len(), 2, "{}", audit.text());
    let (status, _) = page(&app, &mut root, "/admin/users/eve").await;
    assert_eq!(status, 404, "nothing was created");

    let token = came_back(&app, &mut root, "/admin/users/new?expired=1").await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &token));
    // Created: the generated password is shown once.
    let (status, _) = send(&app, &mut root, "/admin/users", &fields).await;
    assert_eq!(status, 200);
    assert_eq!(page(&app, &mut root, "/admin/users/eve").await.0, 200);
    // Without the mark, the page says nothing of the sort.
    let (_, html) = page(&app, &mut root, "/admin/users/new").await;
    assert!(!html.contains(NOTICE), "{html}");
}

#[tokio::test]
async fn an_expired_password_change_comes_back_and_then_works() {
    let app = spawn(Store::Memory, "").await;
    let mut alice = app.login("alice", PW).await;
    let form = [("current", PW), ("new", NEW), ("confirm", NEW)];
    let mut fields = form.to_vec();
    fields.push(("csrf", "stale"));
    let (status, location) = send(&app, &mut alice, "/account/password", &fields).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account/password?expired=1")
    );
    assert_eq!(login_status(&app, "alice", NEW).await.0, 401, "unchanged");

    let token = came_back(&app, &mut alice, &location).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &token));
    let (status, _) = send(&app, &mut alice, "/account/password", &fields).await;
    assert_eq!(status, 303);
    assert_eq!(login_status(&app, "alice", NEW).await.0, 303, "changed");
}

#[tokio::test]
async fn an_expired_or_cross_site_revoke_comes_back_and_then_works() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let other = login_from(&app, "alice", DEVICES[0]).await;
    let mut me = login_from(&app, "alice", DEVICES[1]).await;
    let key = key_of(&app, &other);
    let fields = [("session", key.as_str()), ("csrf", "stale")];
    let (status, location) = send(&app, &mut me, "/account/sessions/revoke", &fields).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account/sessions?expired=1")
    );
    assert_works(&app, &other, "a refused form revokes nothing").await;

    // A real token from another site's page: the same, nothing changes.
    let (_, html) = page(&app, &mut me, "/account/sessions").await;
    let token = extract_csrf(&html);
    let resp = me
        .send(
            post(&app, "/account/sessions/revoke")
                .header("origin", "http://evil.example")
                .header("sec-fetch-site", "cross-site")
                .form(&[("session", key.as_str()), ("csrf", &token)]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_works(&app, &other, "a cross-site post revokes nothing").await;

    let token = came_back(&app, &mut me, &location).await;
    let fields = [("session", key.as_str()), ("csrf", &token)];
    let (status, _) = send(&app, &mut me, "/account/sessions/revoke", &fields).await;
    assert_eq!(status, 303);
    assert_ended(&app, &other, "revoked with the fresh token").await;
}

#[tokio::test]
async fn an_expired_login_form_comes_back_like_every_other() {
    let app = spawn(Store::Memory, "").await;
    let mut b = app.browser();
    let (status, location) = send(
        &app,
        &mut b,
        "/login",
        &[("username", "alice"), ("password", PW), ("csrf", "stale")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/login?expired=1"));
    assert!(b.session(&app).is_none(), "not signed in");
    let token = came_back(&app, &mut b, &location).await;
    let (status, _) = send(
        &app,
        &mut b,
        "/login",
        &[("username", "alice"), ("password", PW), ("csrf", &token)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(b.session(&app).is_some());
}
