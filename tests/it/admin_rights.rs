//! Administrative rights are the user-admin service's to decide, from the stored record at the
//! moment of the request (docs/security.md#admin-session-control): an administrator taken out
//! of `admin.group` elsewhere (the CLI, another instance) can change nothing more, however long
//! `session.user_refresh` lets their session keep its copy of the user.

use crate::admin_util::{act, spawn};
use crate::harness::*;
use crate::totp_util::page;

#[tokio::test]
async fn a_demoted_administrator_can_change_nothing_at_once() {
    let app = spawn(Store::Memory, "[session]\nuser_refresh = \"10m\"\n").await;
    let mut root = app.login("root", PW).await;
    let (status, html) = page(&app, &mut root, "/admin").await;
    assert_eq!(status, 200, "{html}");

    // Another instance takes root out of the admin group: only the database changes.
    crate::harness::user_store::execute(
        &app.database,
        "UPDATE users SET groups = 'users' WHERE username = 'root'",
    )
    .await;

    let (status, _, html) = act(&app, &mut root, "/admin/users/bob/disable", &[]).await;
    assert_eq!(status, 403, "{html}");
    let (status, html) = page(&app, &mut root, "/admin").await;
    assert_eq!(status, 403, "{html}");
    let bob = app.app.state().admin.find("bob").await.unwrap();
    assert!(!bob.disabled, "a demoted administrator disabled bob");
}
