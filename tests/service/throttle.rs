//! Login throttling on the in-memory store (docs/security.md#login-throttle,
//! #throttle-no-lockout): bans start after every `account_failures` wrong passwords, double up
//! to `account_max_ban`, refuse even the right password and lift exactly when they end; at most
//! `max_consecutive_failures` failures are evaluated until `forget_after` passes. The HTTP
//! answers (401, 429 with `Retry-After`) are checked in `tests/it/throttle.rs`.

use std::net::{IpAddr, Ipv4Addr};

use gatehouse::service::AuthError;

use crate::kit::*;

const WRONG: &str = "not the password at all";

/// A wrong password: it must be evaluated (not refused by the throttle).
async fn wrong(kit: &Kit, name: &str) {
    let r = kit.login(name, WRONG).await;
    assert!(
        matches!(r, Err(AuthError::InvalidCredentials)),
        "at +{}: {r:?}",
        kit.now() - START
    );
}

/// The right password refused by a ban that ends at `until`.
async fn banned_until(kit: &Kit, name: &str, until: i64) {
    match kit.login(name, PW).await {
        Err(AuthError::Throttled { until: u }) => assert_eq!(u, until, "ban end"),
        other => panic!("at +{}: not banned: {other:?}", kit.now() - START),
    }
}

#[tokio::test]
async fn bans_double_up_to_the_cap_and_lift_exactly_when_they_end() {
    let kit = Kit::new(&[
        ("throttle.account_failures", "3"),
        ("throttle.account_ban", "1m"),
        ("throttle.account_max_ban", "4m"),
        ("throttle.ip_failures", "100000"),
    ])
    .await;
    kit.user("alice").await;
    // 60 s, 120 s, 240 s, then capped at 240 s.
    for ban in [60, 120, 240, 240] {
        for _ in 0..3 {
            wrong(&kit, "alice").await;
        }
        let until = kit.now() + ban;
        banned_until(&kit, "alice", until).await;
        kit.advance(ban - 1);
        banned_until(&kit, "alice", until).await;
        kit.advance(1);
        // Lifted at `until`: the next attempt is evaluated. (A wrong one, so that the count
        // goes on and the next ban doubles.)
    }
    kit.login("alice", PW).await.unwrap();
    // A right password forgives: the next ban is the first one again.
    for _ in 0..3 {
        wrong(&kit, "alice").await;
    }
    banned_until(&kit, "alice", kit.now() + 60).await;
}

#[tokio::test]
async fn a_client_address_ban_lifts_exactly_when_it_ends() {
    let kit = Kit::new(&[
        ("throttle.ip_failures", "4"),
        ("throttle.ip_ban", "1m"),
        ("throttle.account_failures", "1000"),
    ])
    .await;
    kit.user("bob").await;
    let attacker = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 66));
    for i in 0..4 {
        let r = kit.login_from(&format!("user{i}"), WRONG, attacker).await;
        assert!(matches!(r, Err(AuthError::InvalidCredentials)), "{r:?}");
    }
    let until = kit.now() + 60;
    let r = kit.login_from("bob", PW, attacker).await;
    assert!(
        matches!(r, Err(AuthError::Throttled { until: u }) if u == until),
        "{r:?}"
    );
    // Another address is not affected.
    kit.login("bob", PW).await.unwrap();
    kit.advance(59);
    let r = kit.login_from("bob", PW, attacker).await;
    assert!(matches!(r, Err(AuthError::Throttled { .. })), "{r:?}");
    kit.advance(1);
    kit.login_from("bob", PW, attacker).await.unwrap();
}

/// Moved here from `tests/it/throttle.rs::at_most_100_consecutive_failures_are_evaluated`
/// (its in-memory half; the HTTP test keeps the Redis store, whose keys Redis forgets by its
/// own clock).
#[tokio::test]
async fn at_most_100_consecutive_failures_are_evaluated_until_forget_after_passes() {
    let kit = Kit::new(&[
        ("throttle.account_failures", "1000"),
        ("throttle.max_consecutive_failures", "100"),
        ("throttle.forget_after", "10m"),
        ("throttle.ip_failures", "100000"),
    ])
    .await;
    kit.user("alice").await;
    let (mut evaluated, mut refused) = (0, 0);
    for _ in 0..120 {
        match kit.login("alice", WRONG).await {
            Err(AuthError::InvalidCredentials) => evaluated += 1,
            Err(AuthError::Throttled { .. }) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((evaluated, refused), (100, 20));
    // Locked: even the right password is refused without being evaluated…
    let until = kit.now() + 600;
    banned_until(&kit, "alice", until).await;
    kit.advance(599);
    banned_until(&kit, "alice", until).await;
    // …until `forget_after` passes without an evaluated attempt.
    kit.advance(1);
    kit.login("alice", PW).await.unwrap();
}
