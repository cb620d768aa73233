//! The operator's two-factor reset with the real `gatehouse` binary while a server runs
//! (docs/security.md#admin-reset): two-factor goes off and every session ends at once.

use crate::harness::*;
use crate::totp_util::*;

#[tokio::test]
async fn cli_reset_2fa_turns_it_off_and_ends_sessions_of_a_running_server() {
    let opts = Opts::with(Store::Redis, MAIL).manual_clock();
    let app = TestApp::spawn(opts).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    let mut trusted = app.browser();
    password_step(&app, &mut trusted, "alice", "").await;
    assert_eq!(
        code_step(&app, &mut trusted, &e.next_code().await, true, "")
            .await
            .status(),
        303
    );

    let config = app.dir.path().join("gatehouse.toml");
    let text = TestApp::config_text(
        &Opts::with(Store::Redis, MAIL),
        app.port,
        &app.echo,
        &app.dir,
        &app.prefix,
    );
    std::fs::write(&config, text).unwrap();
    let out = crate::binary::run(
        crate::binary::gatehouse(&[
            "user",
            "reset-2fa",
            "alice",
            "--config",
            config.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert!(out.status.success(), "{}", out.show());
    assert!(out.stdout.contains("2 session(s) ended"), "{}", out.show());

    // Both sessions are over; the next login needs no code (and the device is forgotten).
    for b in [&mut e.browser, &mut trusted] {
        assert_eq!(
            b.send(app.get("app.gate.localhost", "/")).await.status(),
            302
        );
    }
    trusted.cookies.retain(|k, _| k.starts_with("__Host-"));
    let resp = app.post_login(&mut trusted, "alice", PW, "").await;
    assert!(
        !resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/login/2fa")
    );
    let (_, html) = page(&app, &mut trusted, "/account").await;
    assert!(html.contains("id=\"two-factor-status\">Off."));
    mail_containing(&app.dir.path().join("mail"), "reset by an administrator").await;
}
