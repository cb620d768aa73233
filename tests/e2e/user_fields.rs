//! Email addresses and display names: `gatehouse user add` (the real binary) and the admin
//! area's new-user form go through the same domain parsers, so a value one refuses the other
//! refuses too, with a clear message, and nothing is stored.

use crate::admin_util::{NEW, act, spawn};
use crate::binary::{Gate, run};
use crate::harness::*;

/// Emails each side must refuse, and one both accept.
const BAD_EMAILS: [&str; 4] = ["a b@c", "a@b@c", "@example.test", "a\u{85}b@c"];
const GOOD_EMAIL: &str = "bob@example.test";

#[tokio::test]
async fn the_cli_refuses_what_the_admin_form_refuses() {
    let gate = Gate::new(Opts::default(), |_| {}).await;
    for email in BAD_EMAILS {
        let out = run(
            gate.command(
                &["user", "add", "bob", "--email", email, "--password-stdin"],
                &[],
            ),
            Some(&format!("{NEW}\n")),
        )
        .await;
        assert!(!out.status.success(), "{email:?} accepted: {}", out.show());
        assert!(
            out.show().contains("invalid email address: it must"),
            "{email:?}: no clear message: {}",
            out.show()
        );
    }
    let out = run(
        gate.command(
            &["user", "add", "bob", "--display-name", "Bob\nBcc: x@y"],
            &[],
        ),
        Some(&format!("{NEW}\n")),
    )
    .await;
    assert!(!out.status.success(), "{}", out.show());
    assert!(
        out.show()
            .contains("invalid display name: it must not contain control characters"),
        "{}",
        out.show()
    );
    // Nothing was stored: bob does not exist, and the good address is taken as typed.
    let list = run(gate.command(&["user", "list"], &[]), None).await;
    assert!(!list.stdout.contains("bob"), "{}", list.show());
    let out = run(
        gate.command(
            &[
                "user",
                "add",
                "bob",
                "--email",
                GOOD_EMAIL,
                "--password-stdin",
            ],
            &[],
        ),
        Some(&format!("{NEW}\n")),
    )
    .await;
    assert!(out.status.success(), "{}", out.show());
    let list = run(gate.command(&["user", "list"], &[]), None).await;
    assert!(list.stdout.contains(GOOD_EMAIL), "{}", list.show());

    // The admin form refuses the same values and creates nobody.
    let app = spawn(Store::Memory, "").await;
    let mut root = app.login("root", PW).await;
    for email in BAD_EMAILS {
        let (status, _, html) = act(
            &app,
            &mut root,
            "/admin/users",
            &[("username", "eve"), ("email", email), ("password", NEW)],
        )
        .await;
        assert_eq!(status, 400, "{email:?}: {html}");
        assert!(html.contains("The email address is not valid."), "{html}");
    }
    let (status, _, html) = act(
        &app,
        &mut root,
        "/admin/users",
        &[("username", "eve"), ("display_name", "Eve\nBcc: x@y")],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("The display name is too long"), "{html}");
    assert!(
        app.app.state().admin.find("eve").await.is_err(),
        "eve was created"
    );
}
