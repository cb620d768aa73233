//! Second-factor guessing (issue 9, point 2): wrong TOTP and recovery codes have their own
//! per-account counter that a password success never clears, with escalating bans, and they
//! count against the client address too.

use crate::harness::*;
use crate::totp_util::*;

/// A six-digit code that is not the current one (nor the next, which the window accepts).
fn wrong_code(secret: &str) -> &'static str {
    let near = [
        oathtool(secret, -30),
        oathtool(secret, 0),
        oathtool(secret, 30),
    ];
    if near.iter().any(|c| c == "123456") {
        "654321"
    } else {
        "123456"
    }
}

#[tokio::test]
async fn logging_in_again_does_not_reset_the_code_count() {
    for store in [Store::Memory, Store::Redis] {
        // Default limits: a ban after every 5 wrong codes.
        let app = TestApp::spawn(Opts::with(store, MAIL)).await;
        app.add_user("alice", PW, &[]).await;
        let e = enroll(&app, "alice").await;
        let wrong = wrong_code(&e.secret);
        let (mut evaluated, mut refused) = (0, 0);
        for _round in 0..10 {
            // The password is known: the attacker starts a fresh pending login each round.
            let mut b = app.browser();
            password_step(&app, &mut b, "alice", "").await;
            for _ in 0..4 {
                match code_step(&app, &mut b, wrong, false, "")
                    .await
                    .status()
                    .as_u16()
                {
                    401 => evaluated += 1,
                    429 => refused += 1,
                    other => panic!("{store:?}: unexpected status {other}"),
                }
            }
        }
        assert!(
            evaluated <= 10,
            "{store:?}: {evaluated} wrong codes evaluated across fresh logins"
        );
        assert!(refused > 0, "{store:?}: nothing refused");
        // While banned, the right code is refused as well (and a fresh password step does not
        // forgive anything).
        let mut b = app.browser();
        password_step(&app, &mut b, "alice", "").await;
        let resp = code_step(&app, &mut b, &oathtool(&e.secret, 0), false, "").await;
        assert_eq!(resp.status(), 429, "{store:?}");
        assert!(resp.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
async fn wrong_codes_count_against_the_client_address() {
    // Account bans far away; the address is banned after 3 failures of any kind.
    let overlay =
        format!("{MAIL}[throttle]\naccount_failures = 1000\nip_failures = 3\nip_ban = \"1m\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    app.add_user("bob", PW, &[]).await;
    let e = enroll(&app, "alice").await;
    let wrong = wrong_code(&e.secret);
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    for i in 0..3 {
        let status = code_step(&app, &mut b, wrong, false, "").await.status();
        assert_eq!(status, 401, "code {i}");
    }
    // The address is now banned: bob's correct password from it waits.
    let resp = app.post_login(&mut app.browser(), "bob", PW, "").await;
    assert_eq!(resp.status(), 429);
}
