//! Editing a user's name, email and groups, and deleting a user (docs/security.md#admin-edit):
//! each is a CSRF-checked POST that needs a fresh step-up and is audited with the administrator
//! as the actor; a refused field changes nothing; an administrator can neither change their own
//! groups (so cannot leave the admin group) nor delete their own account; an edit reaches the
//! user's live sessions at once, a deletion ends them at once.

use crate::admin_util::*;
use crate::harness::*;
use crate::totp_util::*;

/// Alice's record as stored: display name, email, groups.
async fn stored(app: &TestApp, name: &str) -> (String, String, Vec<String>) {
    let u = app.app.state().admin.find(name).await.unwrap();
    (u.display_name, u.email, u.groups)
}

fn unchanged_alice() -> (String, String, Vec<String>) {
    (
        "alice".to_owned(),
        "alice@example.test".to_owned(),
        vec!["users".to_owned()],
    )
}

/// The identity headers the upstream received on this browser's last proxied request.
async fn identity(app: &TestApp, b: &Browser) -> [String; 3] {
    assert_eq!(app_status(app, b).await, 200);
    let seen = app.echo.last();
    ["remote-email", "remote-name", "remote-groups"].map(|h| seen.one(h).unwrap_or("").to_owned())
}

#[tokio::test]
async fn an_edit_shows_the_new_values_and_reaches_live_sessions_at_once() {
    let (audit, _guard) = Audit::capture();
    // A long refresh: only dropping the cached user makes the change visible at once.
    let app = spawn(Store::Memory, "[session]\nuser_refresh = \"10m\"\n").await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    assert_eq!(
        identity(&app, &alice).await,
        ["alice@example.test", "alice", "users"]
    );
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(html.contains("id=\"profile\""), "{html}");
    assert!(html.contains("value=\"alice@example.test\""), "{html}");

    let (status, location, body) = act(
        &app,
        &mut root,
        "/admin/users/alice/profile",
        &[
            ("display_name", "  Alice Liddell "),
            ("email", "a.liddell@example.org"),
            ("groups", "users, Staff"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/admin/users/alice?done=profile");
    let (_, html) = page(&app, &mut root, &location).await;
    assert!(html.contains("were saved"), "{html}");
    let fields = between(&html, "id=\"user-fields\">", "</dl>");
    for shown in ["Alice Liddell", "a.liddell@example.org", "staff, users"] {
        assert!(fields.contains(shown), "{shown}: {fields}");
    }
    assert_eq!(
        identity(&app, &alice).await,
        ["a.liddell@example.org", "Alice Liddell", "staff,users"]
    );
    audit.assert_actor("user.updated", "alice", "admin:root");

    // An empty display name: the username stands in again; an empty email is none.
    let (status, _, _) = act(
        &app,
        &mut root,
        "/admin/users/alice/profile",
        &[("display_name", ""), ("email", ""), ("groups", "users")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        stored(&app, "alice").await,
        ("alice".to_owned(), String::new(), vec!["users".to_owned()])
    );
    assert_eq!(identity(&app, &alice).await[1], "alice");
}

#[tokio::test]
async fn a_refused_field_changes_nothing_and_says_why_next_to_the_form() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    for (name, email, groups, why) in [
        (
            "New Name",
            "not an address",
            "staff",
            "The email address is not valid",
        ),
        (
            "New Name",
            "a@b@c",
            "staff",
            "The email address is not valid",
        ),
        (
            "Al\nice",
            "new@example.org",
            "staff",
            "The display name is not valid",
        ),
        (
            "New Name",
            "new@example.org",
            "staff, not a group!",
            "A group name is not valid",
        ),
    ] {
        let (status, _, html) = act(
            &app,
            &mut root,
            "/admin/users/alice/profile",
            &[("display_name", name), ("email", email), ("groups", groups)],
        )
        .await;
        assert_eq!(status, 400, "{email}: {html}");
        let error = between(&html, "id=\"profile-error\">", "<");
        assert!(error.contains(why), "{email}: {html}");
        // What was typed is shown again, to be corrected.
        assert!(html.contains("value=\"New Name\"") || name.contains('\n'));
        assert_eq!(stored(&app, "alice").await, unchanged_alice(), "{email}");
    }
    assert!(audit.events("user.updated").is_empty(), "{}", audit.text());
}

#[tokio::test]
async fn an_administrator_cannot_change_their_own_groups() {
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/root").await;
    assert!(html.contains("cannot change your own groups"), "{html}");

    for groups in ["users", "", "admins, users"] {
        let (status, _, html) = act(
            &app,
            &mut root,
            "/admin/users/root/profile",
            &[
                ("display_name", "Root"),
                ("email", "root@example.org"),
                ("groups", groups),
            ],
        )
        .await;
        assert_eq!(status, 409, "{groups}: {html}");
        let error = between(&html, "id=\"profile-error\">", "<");
        assert!(error.contains("own groups"), "{html}");
        let (name, email, stored_groups) = stored(&app, "root").await;
        assert_eq!(stored_groups, ["admins"], "{groups}");
        assert_eq!(
            (name.as_str(), email.as_str()),
            ("root", "root@example.test")
        );
    }
    assert_eq!(page(&app, &mut root, "/admin").await.0, 200);

    // Their own name and address, groups as they are: fine.
    let (status, _, _) = act(
        &app,
        &mut root,
        "/admin/users/root/profile",
        &[
            ("display_name", "Root"),
            ("email", "root@example.org"),
            ("groups", "admins"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        stored(&app, "root").await,
        (
            "Root".to_owned(),
            "root@example.org".to_owned(),
            vec!["admins".to_owned()]
        )
    );

    // Another administrator may take someone else out of the group.
    app.add_user("ada", PW, &["admins"]).await;
    let (status, _, _) = act(
        &app,
        &mut root,
        "/admin/users/ada/profile",
        &[("display_name", ""), ("email", ""), ("groups", "users")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(stored(&app, "ada").await.2, ["users"]);
}

#[tokio::test]
async fn deleting_asks_first_then_removes_the_user_and_ends_their_sessions() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Redis, "[session]\nuser_refresh = \"10m\"\n").await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/alice").await;
    assert!(html.contains("id=\"delete-link\""), "{html}");
    assert!(html.contains("/admin/users/alice/delete"), "{html}");

    // The confirmation names the user and changes nothing.
    let (status, html) = page(&app, &mut root, "/admin/users/alice/delete").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Delete alice?"), "{html}");
    assert!(html.contains("id=\"delete-user\""), "{html}");
    assert!(html.contains("1 active session ends"), "{html}");
    assert_eq!(app_status(&app, &alice).await, 200);
    assert!(app.app.state().admin.find("alice").await.is_ok());

    let (status, location, body) = act(&app, &mut root, "/admin/users/alice/delete", &[]).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/admin?done=deleted");
    let (_, html) = page(&app, &mut root, &location).await;
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(html.contains("The user was deleted"), "{html}");
    assert!(!html.contains("data-username=\"alice\""), "{html}");
    assert!(html.contains("data-username=\"bob\""), "{html}");

    // Gone at once: the session, the sign-in, the page.
    assert_eq!(app_status(&app, &alice).await, 302);
    assert_eq!(login_status(&app, "alice", PW).await.0, 401);
    assert_eq!(page(&app, &mut root, "/admin/users/alice").await.0, 404);
    assert_eq!(
        page(&app, &mut root, "/admin/users/alice/delete").await.0,
        404
    );
    audit.assert_actor("user.deleted", "alice", "admin:root");
}

#[tokio::test]
async fn an_administrator_cannot_delete_their_own_account() {
    let (audit, _guard) = Audit::capture();
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/admin/users/root").await;
    assert!(!html.contains("id=\"delete-link\""), "{html}");

    let (status, html) = page(&app, &mut root, "/admin/users/root/delete").await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("cannot delete your own account"), "{html}");
    assert!(!html.contains("id=\"delete-user\""), "{html}");
    let (status, _, html) = act(&app, &mut root, "/admin/users/root/delete", &[]).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("cannot delete your own account"), "{html}");
    assert!(app.app.state().admin.find("root").await.is_ok());
    assert_eq!(app_status(&app, &root).await, 200);
    assert!(audit.events("user.deleted").is_empty());
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
    app.advance(3);

    // The confirmation page needs no step-up; the actions do.
    assert_eq!(
        page(&app, &mut root, "/admin/users/alice/delete").await.0,
        200
    );
    for (path, form) in [
        (
            "/admin/users/alice/profile",
            vec![
                ("display_name", "Mallory"),
                ("email", "m@example.org"),
                ("groups", "admins"),
            ],
        ),
        ("/admin/users/alice/delete", vec![]),
    ] {
        let (status, _, html) = act(&app, &mut root, path, &form).await;
        assert_eq!(status, 401, "{path}: {html}");
        assert!(html.contains("Confirm your password"), "{path}: {html}");
        assert!(html.contains("name=\"next\" value=\"admin\""), "{html}");
    }
    assert_eq!(stored(&app, "alice").await, unchanged_alice());
    assert_eq!(app_status(&app, &alice).await, 200);
}

#[tokio::test]
async fn forged_or_missing_csrf_tokens_and_non_administrators_change_nothing() {
    let app = spawn(Store::Memory, "").await;
    let alice = app.login("alice", PW).await;
    let mut root = app.login("root", PW).await;
    let profile = [
        ("display_name", "Mallory"),
        ("email", "m@example.org"),
        ("groups", "admins"),
    ];
    for token in [None, Some("forged")] {
        for (path, fields) in [
            ("/admin/users/alice/profile", &profile[..]),
            ("/admin/users/alice/delete", &[][..]),
        ] {
            let mut form = fields.to_vec();
            if let Some(t) = token {
                form.push(("csrf", t));
            }
            let resp = root.send(post(&app, path).form(&form)).await;
            // Back to the page holding the form (tests/it/form_expired.rs).
            assert_eq!(resp.status(), 303, "{path} {token:?}");
            assert_eq!(resp.headers()["location"], "/admin/users/alice?expired=1");
        }
    }
    // Someone outside the admin group, with a valid token of their own.
    let mut bob = app.login("bob", PW).await;
    for (path, fields) in [
        ("/admin/users/alice/profile", &profile[..]),
        ("/admin/users/alice/delete", &[][..]),
    ] {
        let (status, _, _) = act(&app, &mut bob, path, fields).await;
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(
        page(&app, &mut bob, "/admin/users/alice/delete").await.0,
        403
    );
    assert_eq!(stored(&app, "alice").await, unchanged_alice());
    assert_eq!(app_status(&app, &alice).await, 200);
}

#[tokio::test]
async fn a_new_email_address_voids_reset_links_mailed_to_the_old_one() {
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    let (status, _, _) = act(
        &app,
        &mut root,
        "/admin/users/alice/password",
        &[("mode", "link")],
    )
    .await;
    assert_eq!(status, 303);
    let link =
        crate::mail_text::link_in(&mail_containing(&mail_dir(&app), "Reset your password").await);
    let path = link
        .split_once(&format!(":{}", app.port))
        .unwrap()
        .1
        .to_owned();
    let edit = |email: &'static str| {
        [
            ("display_name", "Alice Liddell"),
            ("email", email),
            ("groups", "users"),
        ]
    };
    // The same address (another field changed): the link still works.
    let form = edit("alice@example.test");
    let (status, _, _) = act(&app, &mut root, "/admin/users/alice/profile", &form).await;
    assert_eq!(status, 303);
    assert_eq!(page(&app, &mut app.browser(), &path).await.0, 200);
    // A new address: the link mailed to the old one is void.
    let form = edit("a.liddell@example.org");
    let (status, _, _) = act(&app, &mut root, "/admin/users/alice/profile", &form).await;
    assert_eq!(status, 303);
    assert_eq!(page(&app, &mut app.browser(), &path).await.0, 404);
}
