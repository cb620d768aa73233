//! Credential changes made with the real `gatehouse` binary while a server runs on the same
//! database: they end what they must (docs/security.md#credential-changes, #admin-reset).

use std::time::Duration;

use crate::harness::*;
use crate::reset_util::{forgot, link_in, request_reset};
use crate::totp_util::*;

const NEW: &str = "an operator chose this passphrase";

/// Runs `gatehouse ARGS` against the same config (database and session store) as `app`.
async fn cli(app: &TestApp, opts: &Opts, args: &[&str], stdin: Option<&str>) -> String {
    let config = app.dir.path().join("gatehouse.toml");
    let text = TestApp::config_text(opts, app.port, &app.echo, &app.dir, &app.prefix);
    std::fs::write(&config, text).unwrap();
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    let out = crate::binary::run(crate::binary::gatehouse(&all), stdin).await;
    assert!(out.status.success(), "{args:?}: {}", out.show());
    out.stdout
}

fn path_of(app: &TestApp, link: &str) -> String {
    link.split_once(&format!(":{}", app.port))
        .unwrap()
        .1
        .to_owned()
}

#[tokio::test]
async fn an_operator_reset_voids_reset_links_requested_before_it() {
    let opts = Opts::with(Store::Memory, &forgot(""));
    let app = TestApp::spawn(opts.clone()).await;
    app.add_user("alice", PW, &[]).await;
    request_reset(&app, "alice", &[("x-forwarded-for", "192.0.2.7")]).await;
    let link = link_in(&mail_containing(&app.dir.path().join("mail"), "Reset your password").await);
    let mut b = app.browser();
    assert_eq!(page(&app, &mut b, &path_of(&app, &link)).await.0, 200);

    cli(
        &app,
        &opts,
        &["user", "passwd", "alice", "--password-stdin"],
        Some(&format!("{NEW}\n")),
    )
    .await;

    // The link from before the operator's reset no longer sets a password.
    let (status, html) = page(&app, &mut b, &path_of(&app, &link)).await;
    assert_eq!(status, 404, "the old link still works: {html}");
    let mut b = app.login("alice", NEW).await;
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
}

#[tokio::test]
async fn an_operator_reset_of_two_factor_ends_in_process_sessions_of_a_running_server() {
    // In-process sessions: the command line cannot reach the server's memory, so only the
    // session epoch in the shared database can end them.
    let opts = Opts::with(Store::Memory, MAIL);
    let app = TestApp::spawn(opts.clone()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    assert_eq!(
        e.browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        200
    );
    cli(&app, &opts, &["user", "reset-2fa", "alice"], None).await;
    // The server re-reads the user within `session.user_refresh` (1 s by default).
    let mut status = 0;
    for _ in 0..50 {
        status = e
            .browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status()
            .as_u16();
        if status == 302 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 302, "the session outlived the two-factor reset");
}
