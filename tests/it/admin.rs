//! The admin area (issue 5, point 6; docs/security.md#admin-session-control, #step-up, #admin-reset, #audit-log): only the admin group gets in;
//! every action is CSRF-checked, needs a fresh step-up and is audited with the administrator as
//! the actor. This file: access, the list, creating users, step-up and CSRF; `admin_actions`:
//! password resets, disable/enable, two-factor reset, sessions. The helpers are in
//! `tests/common/admin_util.rs` (the end-to-end target uses them too).

use gatehouse::domain::secret::SecretString;

use crate::admin_util::*;
use crate::harness::*;
use crate::totp_util::*;

#[tokio::test]
async fn only_the_admin_group_gets_in() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut bob = app.login("bob", PW).await;
    let bob_key = key_of(&app, &bob);

    // Anonymous: the login page, with the way back.
    for path in ["/admin", "/admin/users/new", "/admin/users/alice"] {
        let resp = app
            .browser()
            .send(app.get(&app.portal_host, &app.portal(path)))
            .await;
        assert_eq!(resp.status(), 303, "{path}");
        let loc = resp.headers()["location"].to_str().unwrap();
        let back: String = form_urlencoded::byte_serialize(app.portal(path).as_bytes()).collect();
        assert!(loc.starts_with("/login?rd="), "{path}: {loc}");
        assert!(loc.ends_with(&back), "{path}: {loc}");
    }

    // Signed in, not an administrator: 403 on every page and every action.
    let mut alice = app.login("alice", PW).await;
    for path in [
        "/admin",
        "/admin?q=bob",
        "/admin/users/new",
        "/admin/users/bob",
    ] {
        let (status, html) = page(&app, &mut alice, path).await;
        assert_eq!(status, 403, "{path}: {html}");
        assert!(html.contains("Access denied"), "{html}");
        assert!(!html.contains("bob@example.test"), "{html}");
    }
    let actions: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "/admin/users",
            vec![("username", "eve"), ("password", NEW), ("must_change", "1")],
        ),
        (
            "/admin/users/bob/password",
            vec![("mode", "temporary"), ("must_change", "1")],
        ),
        ("/admin/users/bob/disable", vec![]),
        ("/admin/users/bob/enable", vec![]),
        ("/admin/users/bob/reset-2fa", vec![]),
        (
            "/admin/users/bob/sessions/revoke",
            vec![("session", &bob_key)],
        ),
        ("/admin/users/bob/sessions/revoke-all", vec![]),
    ];
    for (path, form) in &actions {
        let (status, _, html) = act(&app, &mut alice, path, form).await;
        assert_eq!(status, 403, "{path}: {html}");
        assert!(html.contains("Access denied"), "{path}: {html}");
    }
    assert!(!audit.events("admin.denied").is_empty(), "{}", audit.text());
    assert!(
        audit
            .events("admin.denied")
            .iter()
            .all(|v| v["user"] == "alice")
    );
    // Nothing changed: bob's session lives, his password works, no eve.
    assert_eq!(app_status(&app, &bob).await, 200);
    assert_eq!(login_status(&app, "bob", PW).await.0, 303);
    assert_eq!(login_status(&app, "eve", NEW).await.0, 401);
    assert!(audit.events("user.disabled").is_empty());
    assert!(audit.events("user.password_set").is_empty());

    // Actions are POST-only.
    let (status, _) = page(&app, &mut bob, "/admin/users/bob/disable").await;
    assert_eq!(status, 405);

    // The administrator gets in; the account page links the area only for administrators.
    let mut root = app.login("root", PW).await;
    let (status, html) = page(&app, &mut root, "/admin").await;
    assert_eq!(status, 200, "{html}");
    for name in ["root", "alice", "bob"] {
        assert!(
            html.contains(&format!("data-username=\"{name}\"")),
            "{html}"
        );
    }
    assert!(
        page(&app, &mut root, "/account")
            .await
            .1
            .contains("id=\"admin-link\"")
    );
    assert!(
        !page(&app, &mut alice, "/account")
            .await
            .1
            .contains("id=\"admin-link\"")
    );
}

#[tokio::test]
async fn the_admin_group_is_configurable() {
    let app = spawn(Store::Memory, "[admin]\ngroup = \"Ops\"\n").await;
    app.add_user("olga", PW, &["ops"]).await;
    let mut root = app.login("root", PW).await;
    assert_eq!(page(&app, &mut root, "/admin").await.0, 403);
    let mut olga = app.login("olga", PW).await;
    assert_eq!(page(&app, &mut olga, "/admin").await.0, 200);
    let problems = gatehouse::config::load_str(
        "[portal]\nurl = \"http://auth.gate.localhost:9\"\n[[sites]]\nhost = \"app.gate.localhost\"\nupstream = \"http://127.0.0.1:9\"\n[admin]\ngroup = \"not a group\"\n",
        std::path::Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap_err();
    assert!(
        format!("{problems:?}").contains("admin.group"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn the_list_shows_status_and_searches() {
    let app = spawn(Store::Memory, "").await;
    app.add_user("carol", PW, &["users", "ops"]).await;
    let state = app.app.state();
    state
        .admin
        .set_password(
            "bob",
            &SecretString::new(NEW),
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    state
        .admin
        .set_disabled(
            "carol",
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    let mut root = app.login("root", PW).await;

    let row = |html: &str, name: &str| between(html, &format!("data-username=\"{name}\""), "</tr>");
    let (_, html) = page(&app, &mut root, "/admin").await;
    assert!(row(&html, "carol").contains("disabled"), "{html}");
    assert!(row(&html, "carol").contains("ops, users"), "{html}");
    assert!(row(&html, "carol").contains("carol@example.test"), "{html}");
    assert!(row(&html, "bob").contains("must change password"), "{html}");
    assert!(!row(&html, "alice").contains("tag"), "{html}");

    for (q, want) in [
        ("ali", vec!["alice"]),
        ("BOB%40EXAMPLE", vec!["bob"]),
        ("example.test", vec!["alice", "bob", "carol", "root"]),
        ("nobody-here", vec![]),
    ] {
        let (status, html) = page(&app, &mut root, &format!("/admin?q={q}")).await;
        assert_eq!(status, 200);
        let listed: Vec<String> = html
            .split("data-username=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(listed, want, "{q}");
        if want.is_empty() {
            assert!(html.contains("id=\"no-users\""));
        }
    }
}

#[tokio::test]
async fn creating_users() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let (status, html) = page(&app, &mut root, "/admin/users/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"must_change\" value=\"1\" checked"),
        "ticked by default: {html}"
    );
    assert!(html.contains("autocomplete=\"new-password\""));

    // A typed password, must change: the user's first login goes to the change page.
    let (status, location, _) = act(
        &app,
        &mut root,
        "/admin/users",
        &[
            ("username", "Eve"),
            ("display_name", "Eve Example"),
            ("email", "eve@example.test"),
            ("groups", "users, Staff"),
            ("password", NEW),
            ("must_change", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/admin/users/eve?done=created");
    let (_, html) = page(&app, &mut root, &location).await;
    assert!(html.contains("The user was created."), "{html}");
    assert!(
        html.contains("Eve Example") && html.contains("staff, users"),
        "{html}"
    );
    assert!(html.contains("must be changed at next sign-in"), "{html}");
    assert!(!html.contains(NEW));
    let rd = format!("http://app.gate.localhost:{}/wanted", app.port);
    let resp = app.post_login(&mut app.browser(), "eve", NEW, &rd).await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/account/password?rd="), "{location}");
    audit.assert_actor("user.created", "eve", "admin:root");

    // A generated password, shown once, no forced change.
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users",
        &[("username", "frank"), ("password", "")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("User created"), "{html}");
    let generated = between(&html, "id=\"temporary-password\">", "<");
    assert!(generated.chars().count() >= 20, "{generated}");
    let (status, location) = login_status(&app, "frank", &generated).await;
    assert_eq!(status, 303);
    assert!(!location.contains("/account/password"), "{location}");
    let (_, html) = page(&app, &mut root, "/admin/users/frank").await;
    assert!(!html.contains(&generated));
    assert!(!audit.text().contains(&generated), "a password in the log");
    assert!(!audit.text().contains(NEW), "a password in the log");

    // Refusals keep the form and create nothing.
    for (form, status, why) in [
        (
            vec![("username", "eve"), ("password", NEW)],
            409,
            "already exists",
        ),
        (
            vec![("username", "bad name"), ("password", NEW)],
            400,
            "not valid",
        ),
        (
            vec![("username", "gina"), ("groups", "a;b"), ("password", NEW)],
            400,
            "not valid",
        ),
        (
            vec![("username", "gina"), ("password", "password1234567")],
            400,
            "too common",
        ),
        (
            vec![
                ("username", "gina"),
                ("email", "not-an-address"),
                ("password", NEW),
            ],
            400,
            "email address is not valid",
        ),
    ] {
        let (s, _, html) = act(&app, &mut root, "/admin/users", &form).await;
        assert_eq!(s, status, "{form:?}: {html}");
        assert!(html.contains(why), "{form:?}: {html}");
    }
    assert_eq!(login_status(&app, "gina", NEW).await.0, 401);
}

#[tokio::test]
async fn a_stale_step_up_asks_for_the_password_and_changes_nothing() {
    let app = spawn_opts(
        Opts::with(
            Store::Memory,
            &format!("{MAIL}{TRUSTED}[two_factor]\nstep_up_window = \"2s\"\n"),
        )
        .manual_clock(),
    )
    .await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    // Past the step-up window.
    app.advance(3);

    // Viewing needs no step-up.
    assert_eq!(page(&app, &mut root, "/admin/users/alice").await.0, 200);
    for (path, form) in [
        ("/admin/users/alice/disable", vec![]),
        ("/admin/users/alice/password", vec![("mode", "temporary")]),
        ("/admin/users/alice/sessions/revoke-all", vec![]),
        ("/admin/users", vec![("username", "eve"), ("password", NEW)]),
    ] {
        let (status, _, html) = act(&app, &mut root, path, &form).await;
        assert_eq!(status, 401, "{path}: {html}");
        assert!(html.contains("Confirm your password"), "{html}");
        assert!(html.contains("name=\"next\" value=\"admin\""), "{html}");
    }
    assert_eq!(app_status(&app, &alice).await, 200);
    assert_eq!(login_status(&app, "alice", PW).await.0, 303);
    assert_eq!(login_status(&app, "eve", NEW).await.0, 401);

    // The password again carries out the action that asked for it, and lands on the user's
    // page with its notice (tests/it/step_up_resume.rs has the rest).
    let (_, html) = {
        let token = csrf(&app, &mut root).await;
        let resp = root
            .send(post(&app, "/admin/users/alice/disable").form(&[("csrf", token.as_str())]))
            .await;
        (resp.status(), resp.text().await.unwrap())
    };
    assert_eq!(
        app_status(&app, &alice).await,
        200,
        "not before the password"
    );
    let rd = between(&html, "name=\"rd\" value=\"", "\"").replace("&#x2f;", "/");
    let resp = root
        .send(post(&app, "/account/reauth").form(&[
            ("password", PW),
            ("next", "admin"),
            ("rd", &rd),
            ("csrf", &extract_csrf(&html)),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    let back = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, "/admin/users/alice?done=disabled");
    let (_, html) = page(&app, &mut root, &back).await;
    assert!(html.contains("The account is disabled"), "{html}");
    assert_eq!(app_status(&app, &alice).await, 302);
}

#[tokio::test]
async fn actions_without_a_valid_csrf_token_are_refused() {
    let app = spawn(Store::Memory, "").await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    let token = csrf(&app, &mut root).await;
    for form in [vec![], vec![("csrf", "forged")]] {
        let resp = root
            .send(post(&app, "/admin/users/alice/disable").form(&form))
            .await;
        // Back to the user's page, which says the form had expired (tests/it/form_expired.rs).
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/admin/users/alice?expired=1");
    }
    // A valid token from another site's page is refused too.
    let resp = root
        .send(
            post(&app, "/admin/users/alice/disable")
                .header("sec-fetch-site", "cross-site")
                .form(&[("csrf", token.as_str())]),
        )
        .await;
    assert_eq!(resp.headers()["location"], "/admin/users/alice?expired=1");
    assert_eq!(app_status(&app, &alice).await, 200);
    assert_eq!(login_status(&app, "alice", PW).await.0, 303);
}
