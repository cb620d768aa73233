//! Temporary passwords (docs/security.md#admin-reset): a password an operator or administrator
//! sets with "must change" opens the account for 24 hours after it was set and not from then
//! on (`src/domain/user.rs`, `TEMPORARY_PASSWORD_TTL`); one set without it does not expire.

use gatehouse::domain::secret::SecretString;
use gatehouse::domain::user::TEMPORARY_PASSWORD_TTL;
use gatehouse::service::AuthError;
use gatehouse::service::users::Actor;

use crate::kit::*;

#[tokio::test]
async fn a_temporary_password_stops_working_24_hours_after_it_was_set() {
    let kit = Kit::new(&[("throttle.account_failures", "1000")]).await;
    assert_eq!(TEMPORARY_PASSWORD_TTL, 86_400);
    let alice = kit.user("alice").await;
    let temporary = kit
        .services
        .passwords
        .admin_temporary_password(&alice, true, &Actor::Operator, kit.now())
        .await
        .unwrap();
    let set_at = kit.now();
    assert!(kit.reload(&alice).await.must_change_password);

    kit.advance(TEMPORARY_PASSWORD_TTL - 1);
    let ok = kit.login("alice", temporary.expose()).await.unwrap();
    assert!(ok.user.must_change_password);
    kit.advance(1);
    assert_eq!(kit.now() - set_at, TEMPORARY_PASSWORD_TTL);
    let r = kit.login("alice", temporary.expose()).await;
    assert!(
        matches!(r, Err(AuthError::InvalidCredentials)),
        "a day-old temporary password still works: {r:?}"
    );
    // The old password went when the temporary one was set.
    let r = kit.login("alice", PW).await;
    assert!(matches!(r, Err(AuthError::InvalidCredentials)), "{r:?}");
}

#[tokio::test]
async fn a_password_set_without_must_change_does_not_expire() {
    let kit = Kit::new(&[]).await;
    kit.user("alice").await;
    let chosen = SecretString::new("an operator chose this passphrase");
    kit.services
        .admin
        .set_password("alice", &chosen, false, &Actor::Operator, kit.now())
        .await
        .unwrap();
    kit.advance(10 * TEMPORARY_PASSWORD_TTL);
    kit.login("alice", chosen.expose()).await.unwrap();
}
