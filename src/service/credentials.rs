//! The one owner of "which passwords are acceptable" and "set a password". Every place that
//! sets a password — the portal's change and reset pages, the admin area, the command line —
//! goes through [`Credentials::set_password`], so a credential change always has the same
//! consequences (see `docs/security.md`, "Credential changes"):
//!
//! 1. the new hash, the next session epoch, voided reset links and forgotten remembered
//!    devices, in one store transaction (a crash leaves the old state or the new one);
//! 2. every session of the user ends in the session store (the epoch already makes them
//!    invalid on every instance; deleting them frees the records at once);
//! 3. the account's password throttle is cleared; when an operator (command line or admin
//!    area) set the password, the second-factor counter too: an operator's reset is how a
//!    locked-out user gets back in. The owner's own change or reset by mail never clears the
//!    code counter, or a mailbox would buy fresh code guesses.
//!
//! It must not mail or audit: the callers know who acted and what to tell the user.

use std::sync::Arc;

use super::AuthError;
use super::hasher::Hasher;
use super::sessions::Sessions;
use super::throttle::Throttle;
use crate::domain::password::{self, PasswordPolicy, PolicyError};
use crate::domain::secret::{SecretString, fill_random};
use crate::domain::throttle_key::ThrottleKey;
use crate::domain::user::User;
use crate::store::UserStore;

/// Who a password is for, as far as the policy cares.
#[derive(Debug, Clone, Copy)]
pub struct PolicyUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    /// Every login of the account needs a code too (allows the shorter minimum).
    pub two_factor: bool,
}

impl<'a> PolicyUser<'a> {
    /// The policy view of a stored user.
    pub fn of(user: &'a User) -> Self {
        Self {
            username: &user.username,
            email: &user.email,
            two_factor: user.has_second_factor(),
        }
    }
}

/// Who set a password, which decides which bans it lifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    /// The account's owner: change on the account page, or reset by mail.
    Owner,
    /// An operator or administrator, who vouches for the account.
    Operator,
}

/// Password policy and the single set-password path.
#[derive(Clone)]
pub struct Credentials {
    users: Arc<dyn UserStore>,
    sessions: Sessions,
    hasher: Hasher,
    throttle: Throttle,
    policy: PasswordPolicy,
    /// The product name, a context word passwords may not be built on.
    product: String,
}

impl Credentials {
    /// The service; `product` is a context word passwords may not be built on.
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Sessions,
        hasher: Hasher,
        throttle: Throttle,
        policy: PasswordPolicy,
        product: &str,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            throttle,
            policy,
            product: product.to_lowercase(),
        }
    }

    /// The hasher, for the callers that create users.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// The policy check shared by every place that accepts a new password: length by the
    /// factors in use, common and context-word passwords refused, no composition rules.
    pub fn check_policy(
        &self,
        user: &PolicyUser<'_>,
        password: &SecretString,
    ) -> Result<(), PolicyError> {
        let normalized = password::normalize(password.expose());
        let email_local = user.email.split('@').next().unwrap_or("");
        let context = [
            user.username,
            email_local,
            self.product.as_str(),
            "gatehouse",
        ];
        self.policy.check(&normalized, &context, user.two_factor)
    }

    /// A random password for an administrator's reset: groups of five Crockford base32
    /// characters (`k3x9m-…`), at least 20 characters (100 bits) and never shorter than the
    /// policy's minimum. Made only of random characters, it passes the context and common
    /// password checks.
    pub fn temporary_password(&self) -> SecretString {
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let len = self.policy.min_chars.max(20).div_ceil(5) * 5;
        let mut bytes = vec![0u8; len];
        fill_random(&mut bytes);
        let mut out = String::with_capacity(len + len / 5);
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 && i % 5 == 0 {
                out.push('-');
            }
            // 256 is a multiple of 32: masking keeps every character equally likely.
            out.push(char::from(ALPHABET[usize::from(b & 31)]));
        }
        SecretString::new(out)
    }

    /// Sets `password` (already accepted by [`Self::check_policy`]) for `user`: the one path
    /// for every credential change. Returns how many sessions ended.
    pub async fn set_password(
        &self,
        user: &User,
        password: &SecretString,
        must_change: bool,
        by: SetBy,
        now: i64,
    ) -> Result<usize, AuthError> {
        let hash = self.hasher.hash(password).await?;
        self.users
            .set_password(user.id, &hash, must_change, now)
            .await?;
        let ended = self.sessions.end_all_for_user(user.id).await?;
        // Bans earned by someone guessing the old password must not keep the owner out.
        match by {
            SetBy::Owner => {
                self.throttle
                    .clear(&ThrottleKey::account(&user.username))
                    .await?;
            }
            SetBy::Operator => self.throttle.unlock(user).await?,
        }
        Ok(ended)
    }
}
