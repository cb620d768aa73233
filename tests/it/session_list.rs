//! The active sessions page (docs/security.md#session-list, #step-up): every signed-in
//! session is listed with its device, IP and times, the current one marked; others are signed
//! out one by one or all at once, at once on the server; revoking needs a recent step-up; a
//! user can end only their own sessions. On the memory and the Redis store. `gatehouse user
//! sessions` (the real binary) is in the end-to-end target (`tests/e2e/session_list.rs`).

use crate::harness::*;
use crate::session_util::*;
use crate::totp_util::between;

async fn get_page(app: &TestApp, b: &mut Browser, path: &str) -> (u16, String) {
    let resp = b.send(app.get(&app.portal_host, &app.portal(path))).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, &app.portal(path))
                .form(form),
        )
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

/// One row of the sessions page.
#[derive(Debug)]
struct Row {
    current: bool,
    handle: String,
    /// The store key in the row's sign-out form (none for the current session).
    key: Option<String>,
    html: String,
}

fn rows(html: &str) -> Vec<Row> {
    html.split("<div class=\"row session")
        .skip(1)
        .map(|chunk| {
            let chunk = chunk.split("</div>").next().unwrap().to_owned();
            let attr = |name: &str| {
                let marker = format!("{name}=\"");
                chunk.find(&marker).map(|i| {
                    chunk[i + marker.len()..]
                        .split('"')
                        .next()
                        .unwrap()
                        .to_owned()
                })
            };
            Row {
                current: chunk.starts_with(" current\""),
                handle: attr("data-handle").unwrap(),
                key: chunk
                    .find("name=\"session\" value=\"")
                    .map(|i| chunk[i + 22..].split('"').next().unwrap().to_owned()),
                html: chunk,
            }
        })
        .collect()
}

/// The listed sessions, asserting the current one is marked once and has no sign-out form.
async fn listed(app: &TestApp, b: &mut Browser) -> (Vec<Row>, String) {
    let (status, html) = get_page(app, b, "/account/sessions").await;
    assert_eq!(status, 200, "{html}");
    let rows = rows(&html);
    assert_eq!(
        html.matches("class=\"row session current\"").count(),
        1,
        "{html}"
    );
    let current: Vec<&Row> = rows.iter().filter(|r| r.current).collect();
    assert_eq!(current.len(), 1);
    assert!(current[0].html.contains("This device"), "{html}");
    assert!(
        current[0].key.is_none(),
        "a sign-out form on the current row"
    );
    assert_eq!(current[0].handle, key_of(app, b)[..12]);
    assert!(rows.iter().filter(|r| !r.current).all(|r| r.key.is_some()));
    // Each row's button says which session it signs out (screen readers list the buttons).
    for r in rows.iter().filter(|r| !r.current) {
        let device = between(&r.html, "<strong>", "</strong>");
        let label = format!("aria-label=\"Sign out {device} from ");
        assert!(r.html.contains(&label), "{}", r.html);
        assert!(
            r.html.contains(&format!("(session {})", r.handle)),
            "{}",
            r.html
        );
    }
    (rows, html)
}

#[tokio::test]
async fn three_logins_are_listed_and_revoked_sessions_end_at_once() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        app.add_user("alice", PW, &["users"]).await;
        let mut browsers = Vec::new();
        for device in DEVICES {
            browsers.push(login_from(&app, "alice", device).await);
        }
        // A pending second-factor login is not a session and is not listed.
        let state = app.app.state();
        let alice = state.admin.find("alice").await.unwrap();
        state
            .sessions
            .start_pending(&alice, "203.0.113.9", "PendingAgent/1.0", unix_now(), false)
            .await
            .unwrap();
        let mut me = browsers[2].clone();

        let (_, account) = get_page(&app, &mut me, "/account").await;
        assert!(
            account.contains("id=\"sessions-link\" href=\"/account/sessions\""),
            "{account}"
        );

        let (rows, html) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 3, "{store:?}: {html}");
        assert!(!html.contains("203.0.113.9"), "a pending login is listed");
        let today = gatehouse::presentation::date(unix_now());
        let minute_ago = gatehouse::presentation::date(unix_now() - 60);
        for (i, b) in browsers.iter().enumerate() {
            let (_, label, ip) = DEVICES[i];
            let key = key_of(&app, b);
            let row = rows
                .iter()
                .find(|r| r.handle == key[..12])
                .unwrap_or_else(|| panic!("{store:?}: login {i} not listed: {html}"));
            assert_eq!(row.current, i == 2, "{store:?}: {row:?}");
            assert!(row.html.contains(label), "{store:?}: {row:?}");
            assert!(row.html.contains(ip), "{store:?}: {row:?}");
            assert!(
                row.html.contains("signed in <time datetime=\"")
                    && row.html.contains("last active <time datetime=\"")
                    && (row.html.contains(&today) || row.html.contains(&minute_ago))
                    && row.html.contains(" UTC</time>"),
                "{store:?}: {row:?}"
            );
            if i != 2 {
                assert_eq!(row.key.as_deref(), Some(key.as_str()));
            }
            // The page names sessions by their hash, never by a cookie value.
            assert!(!html.contains(&b.session(&app).unwrap()), "{store:?}");
        }
        assert!(html.contains("id=\"revoke-others\""));

        // Revoking #2 ends it at once, on the proxy and on forward-auth; the others go on.
        let csrf = extract_csrf(&html);
        let key2 = key_of(&app, &browsers[1]);
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key2), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions?done=revoked");
        assert_ended(&app, &browsers[1], "revoked session #2").await;
        assert_works(&app, &browsers[0], "session #1 after revoking #2").await;
        assert_works(&app, &me, "the current session after revoking #2").await;
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");
        assert!(rows.iter().all(|r| r.handle != key2[..12]));

        // Revoking it again changes nothing and says so.
        let (status, _, html) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key2), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 404, "{store:?}");
        assert!(html.contains("not found"), "{html}");

        // "Sign out all other sessions" leaves only this one.
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke-others",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions?done=others");
        let (_, notice) = get_page(&app, &mut me, "/account/sessions?done=others").await;
        assert!(
            notice.contains("Every other session was signed out."),
            "{notice}"
        );
        assert_ended(&app, &browsers[0], "session #1 after sign out all others").await;
        assert_works(&app, &me, "the current session after sign out all others").await;
        let (rows, html) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 1, "{store:?}");
        assert!(html.contains("No other sessions."));
        assert!(!html.contains("id=\"revoke-others\""));

        // Revokes are CSRF-checked POSTs: a forged token is refused even with a live session.
        let (status, _, _) = post_form(
            &app,
            &mut me.clone(),
            "/account/sessions/revoke-others",
            &[("csrf", "forged")],
        )
        .await;
        assert_eq!(status, 403);
        let resp = me
            .send(app.get(&app.portal_host, "/account/sessions/revoke-others"))
            .await;
        assert_eq!(resp.status(), 405);
        assert_works(&app, &me, "after the refused requests").await;
    }
}

#[tokio::test]
async fn a_stale_step_up_asks_for_the_password_and_revokes_nothing() {
    let overlay = format!("{TRUSTED}[two_factor]\nstep_up_window = \"2s\"\n");
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, &overlay).manual_clock()).await;
        app.add_user("alice", PW, &["users"]).await;
        let other = login_from(&app, "alice", DEVICES[0]).await;
        let mut me = login_from(&app, "alice", DEVICES[1]).await;
        let (_, html) = listed(&app, &mut me).await;
        let csrf = extract_csrf(&html);
        let key = key_of(&app, &other);
        // Past the step-up window.
        app.advance(3);

        for (path, form) in [
            (
                "/account/sessions/revoke",
                vec![("session", key.as_str()), ("csrf", csrf.as_str())],
            ),
            (
                "/account/sessions/revoke-others",
                vec![("csrf", csrf.as_str())],
            ),
        ] {
            let (status, _, html) = post_form(&app, &mut me, path, &form).await;
            assert_eq!(status, 401, "{store:?} {path}: {html}");
            assert!(html.contains("action=\"/account/reauth\""), "{html}");
            assert!(html.contains("name=\"next\" value=\"sessions\""), "{html}");
            assert_works(&app, &other, "revoke with a stale step-up").await;
        }
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");

        // A wrong password keeps the way back to this page.
        let (status, _, html) = post_form(
            &app,
            &mut me,
            "/account/reauth",
            &[
                ("password", "not the password at all"),
                ("next", "sessions"),
                ("csrf", &csrf),
            ],
        )
        .await;
        assert_eq!(status, 401, "{store:?}");
        assert!(html.contains("name=\"next\" value=\"sessions\""), "{html}");

        // The password again: back to the sessions page (with a new session id), and now the
        // revoke goes through.
        let before = key_of(&app, &me);
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/reauth",
            &[("password", PW), ("next", "sessions"), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions?done=confirmed");
        assert_ne!(key_of(&app, &me), before, "re-auth rotates the id");
        let (_, html) = get_page(&app, &mut me, &location).await;
        assert!(
            html.contains("Password confirmed. Now choose the session"),
            "{html}"
        );
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");
        let (status, _, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_ended(&app, &other, "revoke after re-auth").await;
        assert_works(&app, &me, "the current session").await;
    }
}

#[tokio::test]
async fn a_user_cannot_revoke_another_users_session() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        app.add_user("alice", PW, &["users"]).await;
        app.add_user("bob", PW, &["users"]).await;
        let bob = login_from(&app, "bob", DEVICES[0]).await;
        let mut alice = login_from(&app, "alice", DEVICES[1]).await;
        let (rows, html) = listed(&app, &mut alice).await;
        assert_eq!(rows.len(), 1, "bob's session on alice's page: {html}");
        // Alone, her sessions page has no form: take the token from the account page.
        let csrf = extract_csrf(&get_page(&app, &mut alice, "/account").await.1);
        let bob_key = key_of(&app, &bob);
        let own_key = key_of(&app, &alice);
        let bob_cookie = bob.session(&app).unwrap();
        for value in [
            bob_key.as_str(),
            &bob_key.to_uppercase(),
            bob_cookie.as_str(),
            own_key.as_str(),
            "",
            "../../etc/passwd",
        ] {
            let (status, _, html) = post_form(
                &app,
                &mut alice,
                "/account/sessions/revoke",
                &[("session", value), ("csrf", &csrf)],
            )
            .await;
            assert_eq!(status, 404, "{store:?} {value:?}: {html}");
            assert!(html.contains("not found"), "{html}");
            assert_works(&app, &bob, "bob after alice posted his key").await;
            assert_works(&app, &alice, "alice after her own key").await;
        }
        // Signing out all her other sessions leaves bob's alone.
        let (status, _, _) = post_form(
            &app,
            &mut alice,
            "/account/sessions/revoke-others",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303);
        assert_works(&app, &bob, "bob after alice signed out her others").await;
        let (rows, _) = listed(&app, &mut bob.clone()).await;
        assert_eq!(rows.len(), 1, "{store:?}");
    }
}

#[tokio::test]
async fn the_sessions_page_needs_a_session() {
    let app = TestApp::spawn(Opts::default()).await;
    let resp = app
        .get(&app.portal_host, "/account/sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login?rd="), "{location}");
}
