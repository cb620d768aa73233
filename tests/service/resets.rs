//! Reset links (docs/security.md#reset-tokens): a link works until `password.reset_token_ttl`
//! after it was issued and not from then on, once, and a newer link voids the older ones.

use std::collections::BTreeSet;

use gatehouse::domain::secret::SecretString;
use gatehouse::domain::user::User;
use gatehouse::service::passwords::PasswordError;
use gatehouse::service::users::Actor;

use crate::kit::*;
use crate::mail_text::link_in;

const NEW: &str = "a brand new passphrase for alice";

/// The mail files in the notifier's directory.
fn mails(kit: &Kit) -> BTreeSet<std::path::PathBuf> {
    std::fs::read_dir(kit.mail_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Mails `user` a reset link now (the administrator's way: the mail is sent before this
/// returns) and returns the link's token.
async fn issue(kit: &Kit, user: &User) -> String {
    let before = mails(kit);
    kit.services
        .passwords
        .admin_reset_link(user, &Actor::Operator, kit.now())
        .await
        .unwrap();
    let new: Vec<_> = mails(kit)
        .difference(&before)
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|m| m.contains("Reset your password"))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let link = link_in(&new[0]);
    link.split_once("?token=")
        .unwrap_or_else(|| panic!("no token in {link}"))
        .1
        .to_owned()
}

async fn complete(kit: &Kit, token: &str) -> Result<(), PasswordError> {
    kit.services
        .passwords
        .complete_reset(
            token,
            &SecretString::new(NEW),
            &SecretString::new(NEW),
            origin(),
            kit.now(),
        )
        .await
}

#[tokio::test]
async fn a_reset_link_works_until_the_ttl_and_not_from_then_on() {
    let kit = Kit::new(&[("password.reset_token_ttl", "15m")]).await;
    let ttl = kit.config.password.reset_token_ttl;
    assert_eq!(ttl, 900);
    let alice = kit.user("alice").await;
    let passwords = &kit.services.passwords;

    let token = issue(&kit, &alice).await;
    kit.advance(ttl - 1);
    let target = passwords.reset_target(&token, kit.now()).await.unwrap();
    assert_eq!(target.id, alice.id);
    kit.advance(1);
    assert!(matches!(
        passwords.reset_target(&token, kit.now()).await,
        Err(PasswordError::BadLink)
    ));
    assert!(matches!(
        complete(&kit, &token).await,
        Err(PasswordError::BadLink)
    ));
    // Nothing changed: the old password still opens the account.
    kit.login("alice", PW).await.unwrap();

    // Completed a second before the end, the link sets the password.
    let token = issue(&kit, &alice).await;
    kit.advance(ttl - 1);
    complete(&kit, &token).await.unwrap();
    kit.login("alice", NEW).await.unwrap();
}

#[tokio::test]
async fn a_reset_link_works_once_and_a_newer_one_voids_it() {
    let kit = Kit::new(&[]).await;
    let alice = kit.user("alice").await;
    let passwords = &kit.services.passwords;

    let token = issue(&kit, &alice).await;
    // Looking at the form does not use the link up (mail scanners fetch links).
    passwords.reset_target(&token, kit.now()).await.unwrap();
    passwords.reset_target(&token, kit.now()).await.unwrap();
    complete(&kit, &token).await.unwrap();
    assert!(matches!(
        complete(&kit, &token).await,
        Err(PasswordError::BadLink)
    ));
    assert!(matches!(
        passwords.reset_target(&token, kit.now()).await,
        Err(PasswordError::BadLink)
    ));

    let older = issue(&kit, &alice).await;
    kit.advance(1);
    let newer = issue(&kit, &alice).await;
    assert!(matches!(
        passwords.reset_target(&older, kit.now()).await,
        Err(PasswordError::BadLink)
    ));
    passwords.reset_target(&newer, kit.now()).await.unwrap();
}
