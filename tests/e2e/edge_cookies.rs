//! The shipped nginx and Caddy examples in front of the gateway keep every Gatehouse cookie and
//! method-override header from the app (the in-process checks are in `tests/it/edge_cookies.rs`).

use crate::harness::*;

/// nginx and Caddy with the example configs: the app behind them never sees a Gatehouse
/// cookie (the SSO session above all) nor a method-override header.
#[tokio::test]
async fn the_nginx_and_caddy_examples_keep_gatehouse_cookies_from_the_app() {
    use crate::proxies::{TRUSTED, caddy, nginx, raw};
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let session = b.session(&app).unwrap();
    let cookie = format!(
        "app=1; {}={session}; {OTHER_OWN}; theme=dark",
        app.app.state().cookies.session_name()
    );
    for proxy in [nginx(&app).await, caddy(&app).await] {
        let before = app.echo.count();
        let r = raw(
            proxy.port,
            "GET",
            &format!("app.gate.localhost:{}", proxy.port),
            "/page",
            &[
                ("Cookie", cookie.as_str()),
                ("X-HTTP-Method-Override", "DELETE"),
                ("X-Method-Override", "DELETE"),
                ("X-HTTP-Method", "DELETE"),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{r:?}\n{}", proxy.logs());
        assert_eq!(app.echo.count(), before + 1);
        let seen = app.echo.last();
        assert_eq!(seen.one("remote-user"), Some("alice"), "{seen:?}");
        let sent = seen.all("cookie").join("; ");
        assert!(
            !sent.contains("gatehouse") && !sent.contains(&session),
            "a Gatehouse cookie reached the app through the example: {sent}"
        );
        assert!(
            sent.contains("app=1") && sent.contains("theme=dark"),
            "the app's own cookies were lost: {sent}"
        );
        for h in [
            "x-http-method-override",
            "x-method-override",
            "x-http-method",
        ] {
            assert!(seen.all(h).is_empty(), "{h} reached the app: {seen:?}");
        }
    }
}
