//! Session timeouts (docs/security.md#session-timeouts): a session ends after `idle_timeout`
//! without a request and `absolute_timeout` after it started, however busy; a pending
//! second-factor login lasts five minutes. Each boundary is checked a second before and at it.
//! The service's rule (`Session::expiry`) and the memory store's own end of a record (its TTL)
//! agree to the second, so breaking only one of them does not fail these tests.

use gatehouse::domain::session::PENDING_TTL;

use crate::kit::*;

const SETTINGS: &[(&str, &str)] = &[
    ("session.idle_timeout", "30m"),
    ("session.absolute_timeout", "2h"),
];

#[tokio::test]
async fn a_session_ends_after_idle_timeout_without_a_request() {
    let kit = Kit::new(SETTINGS).await;
    let idle = kit.config.session.timeouts.idle;
    assert_eq!(idle, 1800);
    let alice = kit.user("alice").await;
    let (a, b) = (kit.session(&alice).await, kit.session(&alice).await);

    kit.advance(idle - 1);
    assert!(kit.resolve(&a).await.is_some(), "ended before idle_timeout");
    kit.advance(1);
    assert!(
        kit.resolve(&b).await.is_none(),
        "still valid at idle_timeout"
    );
    // Gone for good: going back in time does not revive it.
    kit.clock.set(START);
    assert!(kit.resolve(&b).await.is_none(), "an idle session came back");

    // A request is activity: it moves the end to idle_timeout after it.
    let (c, d) = (kit.session(&alice).await, kit.session(&alice).await);
    kit.advance(idle - 1);
    let seen = kit.now();
    assert!(kit.resolve(&c).await.is_some() && kit.resolve(&d).await.is_some());
    kit.advance(idle - 1);
    assert!(kit.resolve(&c).await.is_some(), "the request did not count");
    kit.advance(1);
    assert!(
        kit.resolve(&d).await.is_none(),
        "idle since {seen} for idle_timeout and still valid"
    );
}

#[tokio::test]
async fn a_busy_session_still_ends_at_absolute_timeout() {
    let kit = Kit::new(SETTINGS).await;
    let (idle, absolute) = (
        kit.config.session.timeouts.idle,
        kit.config.session.timeouts.absolute,
    );
    assert_eq!(absolute, 7200);
    let alice = kit.user("alice").await;
    let busy = kit.session(&alice).await;
    let start = kit.now();
    // A request every two thirds of the idle timeout, up to a second before the end.
    while kit.now() < start + absolute - 1 {
        kit.advance((idle * 2 / 3).min(start + absolute - 1 - kit.now()));
        let r = kit.resolve(&busy).await;
        assert!(
            r.is_some(),
            "a busy session ended at {}s",
            kit.now() - start
        );
    }
    kit.advance(1);
    assert!(
        kit.resolve(&busy).await.is_none(),
        "still valid at absolute_timeout"
    );
}

#[tokio::test]
async fn a_pending_second_factor_login_lasts_five_minutes_and_is_no_session() {
    let kit = Kit::new(SETTINGS).await;
    let alice = kit.user("alice").await;
    let sessions = &kit.services.sessions;
    let (early, _) = sessions
        .start_pending(&alice, "192.0.2.10", "ua", kit.now(), false)
        .await
        .unwrap();
    let (late, _) = sessions
        .start_pending(&alice, "192.0.2.10", "ua", kit.now(), false)
        .await
        .unwrap();
    kit.bind(&early).await;
    assert!(
        kit.resolve(&early).await.is_none(),
        "a pending login passed as a session"
    );
    kit.advance(PENDING_TTL - 1);
    assert!(
        sessions
            .resolve_pending(early.expose(), kit.now())
            .await
            .unwrap()
            .is_some(),
        "the pending login ended early"
    );
    kit.advance(1);
    assert!(
        sessions
            .resolve_pending(late.expose(), kit.now())
            .await
            .unwrap()
            .is_none(),
        "the pending login outlived {PENDING_TTL} s"
    );
}
