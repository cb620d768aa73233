//! The step-up window (docs/security.md#step-up, `two_factor.step_up_window`): sensitive
//! pages need the password entered within the window. The portal decides "fresh" from the
//! session (`Session::stepped_up_within`, the rule `portal::extract::Fresh` applies): this
//! checks the rule on what the services give it — a login or a re-entered password sets `authenticated_at` to that moment,
//! nothing else moves it, and a re-entry rotates the session without extending its life.

use gatehouse::domain::secret::SecretString;
use gatehouse::service::AuthError;
use gatehouse::service::sessions::Resolved;

use crate::kit::*;

/// The portal's rule, the domain's function.
fn fresh(r: &Resolved, now: i64, window: i64) -> bool {
    r.session.stepped_up_within(now, window)
}

#[tokio::test]
async fn a_reentered_password_is_fresh_for_exactly_the_window() {
    let kit = Kit::new(&[
        ("two_factor.step_up_window", "10m"),
        ("session.idle_timeout", "1h"),
        ("session.absolute_timeout", "12h"),
    ])
    .await;
    let window = kit.config.two_factor.step_up_window;
    assert_eq!(window, 600);
    kit.user("alice").await;
    let signed_in = kit.now();
    let login = kit.login("alice", PW).await.unwrap();
    kit.bind(&login.id).await;

    // The login itself counts, up to the last second of the window; requests do not extend it.
    kit.advance(window - 1);
    let r = kit.resolve(&login.id).await.unwrap();
    assert_eq!(r.session.authenticated_at, signed_in);
    assert!(fresh(&r, kit.now(), window));
    kit.advance(1);
    let r = kit.resolve(&login.id).await.unwrap();
    assert!(
        fresh(&r, kit.now(), window),
        "stale at the end of the window"
    );
    kit.advance(1);
    let current = kit.resolve(&login.id).await.unwrap();
    assert_eq!(
        current.session.authenticated_at, signed_in,
        "activity moved the time of the last password entry"
    );
    assert!(
        !fresh(&current, kit.now(), window),
        "fresh after the window"
    );

    // A wrong password changes nothing.
    let wrong = kit
        .services
        .two_factor
        .reauthenticate(
            &current,
            &SecretString::new("not the password at all"),
            kit.now(),
            origin(),
        )
        .await;
    assert!(
        matches!(wrong, Err(AuthError::InvalidCredentials)),
        "{wrong:?}"
    );
    let still = kit.resolve(&login.id).await.unwrap();
    assert_eq!(still.session.authenticated_at, signed_in);

    // The right one: a new id, fresh from now for the window, the same absolute end.
    kit.advance(100);
    let stepped_up = kit.now();
    let id = kit
        .services
        .two_factor
        .reauthenticate(&current, &SecretString::new(PW), stepped_up, origin())
        .await
        .unwrap();
    kit.bind(&id).await;
    assert!(
        kit.resolve(&login.id).await.is_none(),
        "the old id survived the step-up"
    );
    let r = kit.resolve(&id).await.unwrap();
    assert_eq!(r.session.authenticated_at, stepped_up);
    assert_eq!(r.session.created_at, signed_in);
    assert_eq!(
        r.session.expires_at,
        signed_in + kit.config.session.timeouts.absolute,
        "a step-up extended the session's life"
    );
    kit.advance(window);
    let r = kit.resolve(&id).await.unwrap();
    assert!(fresh(&r, kit.now(), window), "stale within the window");
    kit.advance(1);
    let r = kit.resolve(&id).await.unwrap();
    assert!(!fresh(&r, kit.now(), window), "fresh after the window");
}
