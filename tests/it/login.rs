//! Login: the form, the POST, uniform failures, `rd` handling, argon2 storage, timing.

use crate::harness::*;

#[tokio::test]
async fn login_then_proxy_with_identity_headers_on_both_stores() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        app.add_user("alice", PW, &["users"]).await;
        let mut b = app.login("alice", PW).await;
        let resp = b.send(app.get("app.gate.localhost", "/hello?x=1")).await;
        assert_eq!(resp.status(), 200, "{store:?}");
        let seen = app.echo.last();
        assert_eq!(seen.uri, "/hello?x=1");
        assert_eq!(seen.one("remote-user"), Some("alice"));
        assert_eq!(seen.one("remote-groups"), Some("users"));
        assert_eq!(seen.one("remote-email"), Some("alice@example.test"));
        assert_eq!(seen.one("remote-name"), Some("alice"));
    }
}
