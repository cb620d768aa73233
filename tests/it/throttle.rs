//! Login throttling (docs/security.md#login-throttle, #throttle-no-lockout, #throttle-keys): growing bans, the 100-failure cap, no lock-out of
//! others, keys that cannot be spoofed.

use std::time::Duration;

use crate::harness::*;

/// Posts a login from `ip` (sent as X-Forwarded-For; only believed from a trusted proxy).
async fn attempt(app: &TestApp, user: &str, pw: &str, ip: &str) -> u16 {
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    b.send(
        app.req(reqwest::Method::POST, &app.portal_host, "/login")
            .header("x-forwarded-for", ip)
            .form(&[
                ("username", user),
                ("password", pw),
                ("csrf", token.as_str()),
            ]),
    )
    .await
    .status()
    .as_u16()
}

const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// On the shared store, whose keys Redis forgets by its own clock, so `forget_after` is
/// really waited for. The in-memory store's cap, and the very second `forget_after` ends, are checked
/// without HTTP in `tests/service/throttle.rs`
/// (`at_most_100_consecutive_failures_are_evaluated_until_forget_after_passes`).
#[tokio::test]
async fn at_most_100_consecutive_failures_are_evaluated() {
    // No intermediate bans, so only the hard cap limits the run.
    let overlay = "[throttle]\naccount_failures = 1000\nmax_consecutive_failures = 100\nforget_after = \"4s\"\nip_failures = 10000\n";
    let app = TestApp::spawn(Opts::with(Store::Redis, overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let mut evaluated = 0;
    let mut refused = 0;
    for _ in 0..120 {
        match attempt(&app, "alice", "not the password at all", "198.51.100.1").await {
            401 => evaluated += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(evaluated, 100);
    assert_eq!(refused, 20);
    // Locked: even the right password is refused, and says so without evaluating it.
    assert_eq!(attempt(&app, "alice", PW, "198.51.100.1").await, 429);
    // Quiet for `forget_after`: evaluated again.
    tokio::time::sleep(Duration::from_millis(4200)).await;
    assert_eq!(attempt(&app, "alice", PW, "198.51.100.1").await, 303);
}

#[tokio::test]
async fn bans_grow_refuse_the_right_password_and_end() {
    let overlay = "[throttle]\naccount_failures = 3\naccount_ban = \"2s\"\naccount_max_ban = \"8s\"\nip_failures = 10000\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay).manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    for _ in 0..3 {
        assert_eq!(
            attempt(&app, "alice", "wrong wrong wrong wrong", "198.51.100.1").await,
            401
        );
    }
    // Banned for 2 s: the correct password is refused too, with Retry-After.
    let mut b = app.browser();
    let resp = app.post_login(&mut b, "alice", PW, "").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
    // The ban ends.
    app.advance(3);
    // Three more failures: the next ban is twice as long.
    for _ in 0..3 {
        assert_eq!(
            attempt(&app, "alice", "wrong wrong wrong wrong", "198.51.100.1").await,
            401
        );
    }
    let resp = app.post_login(&mut app.browser(), "alice", PW, "").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (3..=4).contains(&retry),
        "second ban should be ~4 s, retry-after {retry}"
    );
    app.advance(5);
    assert_eq!(attempt(&app, "alice", PW, "198.51.100.1").await, 303);
}

#[tokio::test]
async fn floods_of_unknown_names_lock_out_nobody_else() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        app.add_user("bob", PW, &[]).await;
        let mut throttled = 0;
        for i in 0..300 {
            let name = format!("nosuch{i}-{}", gatehouse::domain::secret::random_token(6));
            if attempt(&app, &name, "whatever whatever", "203.0.113.66").await == 429 {
                throttled += 1;
            }
        }
        // The attacking address was banned along the way…
        assert!(
            throttled > 200,
            "{store:?}: only {throttled} of 300 throttled"
        );
        // …and bob, from his own address, logs in at once.
        assert_eq!(
            attempt(&app, "bob", PW, "192.0.2.10").await,
            303,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn name_variants_share_one_bucket() {
    let overlay = "[throttle]\naccount_failures = 3\naccount_ban = \"30s\"\nip_failures = 10000\n";
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, overlay)).await;
        app.add_user("alice", PW, &[]).await;
        for variant in ["Alice", "ALICE", " alice"] {
            assert_eq!(
                attempt(&app, variant, "wrong wrong wrong wrong", "198.51.100.1").await,
                401
            );
        }
        assert_eq!(
            attempt(&app, "alice", PW, "198.51.100.1").await,
            429,
            "{store:?}"
        );
        // Another account is unaffected.
        app.add_user("bob", PW, &[]).await;
        assert_eq!(
            attempt(&app, "bob", PW, "198.51.100.1").await,
            303,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn spoofed_forwarded_for_does_not_dodge_the_ip_limit() {
    // No trusted proxies: X-Forwarded-For is ignored and every attempt counts for 127.0.0.1.
    let overlay = "[throttle]\nip_failures = 4\nip_ban = \"30s\"\naccount_failures = 1000\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(
            attempt(
                &app,
                &format!("user{i}"),
                "whatever whatever",
                &format!("10.9.8.{i}"),
            )
            .await,
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn rotating_ipv6_addresses_inside_a_64_shares_one_bucket() {
    // The trusted proxy reports IPv6 clients; the edge sees 127.0.0.1 only.
    let overlay =
        format!("{TRUSTED}[throttle]\nip_failures = 4\nip_ban = \"1m\"\naccount_failures = 1000\n");
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, &overlay)).await;
        app.add_user("bob", PW, &[]).await;
        let mut statuses = Vec::new();
        for i in 1..=6 {
            // A new address, a new interface id, inside 2001:db8:1:2::/64 each time.
            let ip = format!("2001:db8:1:2:{i:x}:{:x}::{i}", i * 7);
            statuses.push(attempt(&app, &format!("user{i}"), "whatever whatever", &ip).await);
        }
        assert_eq!(statuses, vec![401, 401, 401, 401, 429, 429], "{store:?}");
        // Another /64 of another /48 is a different client.
        assert_eq!(
            attempt(&app, "bob", PW, "2001:db8:2:1::5").await,
            303,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn rotating_64s_inside_a_48_meets_the_wider_bucket() {
    let overlay = format!(
        "{TRUSTED}[throttle]\nip_failures = 1000\naccount_failures = 1000\nipv6_prefix = 64\nipv6_wide_prefix = 48\nipv6_wide_failures = 6\n"
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("bob", PW, &[]).await;
    let mut statuses = Vec::new();
    for i in 1..=8 {
        // Every attempt from its own /64 inside 2001:db8:7::/48.
        let ip = format!("2001:db8:7:{i:x}::1");
        statuses.push(attempt(&app, &format!("user{i}"), "whatever whatever", &ip).await);
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 401, 429, 429]);
    assert_eq!(attempt(&app, "bob", PW, "2001:db8:8:1::1").await, 303);
}

/// A login POST ready to send (the form and its CSRF cookie fetched first).
async fn prepared(app: &TestApp, user: &str, pw: &str) -> (Browser, reqwest::RequestBuilder) {
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    let rb = app
        .req(reqwest::Method::POST, &app.portal_host, "/login")
        .form(&[
            ("username", user),
            ("password", pw),
            ("csrf", token.as_str()),
        ]);
    (b, rb)
}

#[tokio::test]
async fn attempts_refused_as_busy_neither_count_nor_skip_a_ban() {
    // One hashing slot (and eight waiting) at ten times the usual cost: a burst of logins
    // saturates the pool for seconds. A ban is due after every 3 evaluated wrong passwords.
    let overlay = "[password]\nmax_concurrent_hashes = 1\nargon2_iterations = 20\n[throttle]\naccount_failures = 3\naccount_ban = \"1h\"\nip_failures = 100000\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let wrong = "wrong wrong wrong wrong";
    for _ in 0..2 {
        assert_eq!(attempt(&app, "alice", wrong, "198.51.100.1").await, 401);
    }

    // Saturate the pool with other names; once one of them is refused as busy, the queue is
    // full for a while, and alice's third wrong password is refused as busy too.
    let mut fillers = Vec::new();
    for i in 0..40 {
        fillers.push(prepared(&app, &format!("filler{i}"), wrong).await);
    }
    let (mut alice, alice_rb) = prepared(&app, "alice", wrong).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (mut b, rb) in fillers {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let _ = tx.send(b.send(rb).await.status().as_u16());
        }));
    }
    drop(tx);
    let mut saturated = false;
    while let Some(status) = rx.recv().await {
        if status == 503 {
            saturated = true;
            break;
        }
    }
    assert!(saturated, "the hashing pool was never saturated");
    let busy = alice.send(alice_rb).await.status().as_u16();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(busy, 503, "alice's attempt was not refused as busy");

    // The busy attempt was not evaluated: the third evaluated failure (not the fourth
    // admitted attempt) starts the ban, and then even the right password waits.
    assert_eq!(attempt(&app, "alice", wrong, "198.51.100.1").await, 401);
    assert_eq!(attempt(&app, "alice", PW, "198.51.100.1").await, 429);
}
