//! TOTP steps (docs/security.md#totp, #totp-replay): a code of the current 30-second step
//! works, and of the step before or after it (clock drift), not two steps away; each step works
//! once per account, and no step older than the last one used. Codes come from `oathtool`, an
//! implementation independent of ours.

use gatehouse::domain::user::User;
use gatehouse::service::AuthError;
use gatehouse::service::two_factor::CodeKind;

use crate::kit::*;
use crate::oath::oathtool_at;

/// The code step now, as login and the account pages call it.
async fn check(kit: &Kit, user: &User, code: &str) -> Result<CodeKind, AuthError> {
    kit.services
        .two_factor
        .check_code(user, code, kit.now(), origin())
        .await
}

#[tokio::test]
async fn codes_of_the_current_and_adjacent_steps_work_once_and_others_never() {
    let kit = Kit::new(&[
        ("throttle.account_failures", "1000"),
        ("throttle.ip_failures", "100000"),
    ])
    .await;
    let alice = kit.user("alice").await;
    let two_factor = &kit.services.two_factor;

    // Enrolment, confirmed with a code of the new secret.
    let enrollment = two_factor.begin_enrollment(&alice).await.unwrap();
    let secret = enrollment.secret.expose().replace(' ', "");
    let session = kit.session(&alice).await;
    let current = kit.resolve(&session).await.unwrap();
    let confirming = oathtool_at(&secret, kit.now());
    two_factor
        .confirm_enrollment(&current, &confirming, kit.now(), origin())
        .await
        .unwrap();
    // The confirming code is spent.
    assert!(matches!(
        check(&kit, &alice, &confirming).await,
        Err(AuthError::InvalidCode)
    ));

    // Ten steps later, in the middle of a step.
    kit.advance(10 * 30 + 15);
    let t = kit.now();
    let at = |offset: i64| oathtool_at(&secret, t + offset);
    for (offset, what) in [(-60, "two steps behind"), (60, "two steps ahead")] {
        assert!(
            matches!(
                check(&kit, &alice, &at(offset)).await,
                Err(AuthError::InvalidCode)
            ),
            "a code {what} was accepted"
        );
    }
    for (offset, what) in [
        (-30, "the step before"),
        (0, "the current step"),
        (30, "the step after"),
    ] {
        assert!(
            matches!(check(&kit, &alice, &at(offset)).await, Ok(CodeKind::Totp)),
            "a code of {what} was refused"
        );
        assert!(
            matches!(
                check(&kit, &alice, &at(offset)).await,
                Err(AuthError::InvalidCode)
            ),
            "a code of {what} worked twice"
        );
    }
    // Once the step after is used, the current step (older) no longer works either.
    assert!(matches!(
        check(&kit, &alice, &at(0)).await,
        Err(AuthError::InvalidCode)
    ));

    // The clock moves on a step: the step after the used one works.
    kit.advance(30);
    assert!(matches!(
        check(&kit, &alice, &at(60)).await,
        Ok(CodeKind::Totp)
    ));
}
