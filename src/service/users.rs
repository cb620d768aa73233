//! User administration shared by the CLI (and later the admin pages): add, set password,
//! disable/enable, delete, groups, list. Changes that must end sessions bump the user's
//! session epoch in the store *and* delete the sessions, so they end at once on this store
//! and within `user_refresh` on any instance (SECURITY 27, 51).

use std::sync::Arc;

use thiserror::Error;

use super::devices::Devices;
use super::hasher::Hasher;
use super::sessions::Sessions;
use super::throttle::Throttle;
use super::{AuthError, now};
use crate::audit;
use crate::audit::event;
use crate::domain::password::{self, PasswordPolicy, PolicyError};
use crate::domain::secret::{SecretString, fill_random};
use crate::domain::user::{NameError, User, Username, normalize_groups};
use crate::store::{NewUser, StoreError, UserStore};

/// Why an administrative change was refused.
#[derive(Debug, Error)]
pub enum UserError {
    /// No such user.
    #[error("no user named {0:?}")]
    NotFound(String),
    /// The name is taken.
    #[error("a user with that name already exists")]
    Exists,
    /// A bad username or group name.
    #[error("invalid name: {0}")]
    BadName(#[from] NameError),
    /// The password breaks the policy.
    #[error("{0}")]
    Policy(#[from] PolicyError),
    /// A store failed.
    #[error("{0}")]
    Store(StoreError),
    /// Hashing failed.
    #[error("{0}")]
    Auth(#[from] AuthError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Exists,
            other => Self::Store(other),
        }
    }
}

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
            two_factor: user.totp_enabled,
        }
    }
}

/// Fields for a new user.
#[derive(Debug)]
pub struct AddUser<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub email: &'a str,
    pub groups: &'a [String],
    pub password: SecretString,
    pub must_change_password: bool,
}

/// Administrative use cases.
#[derive(Clone)]
pub struct UserAdmin {
    users: Arc<dyn UserStore>,
    sessions: Sessions,
    devices: Devices,
    hasher: Hasher,
    throttle: Throttle,
    policy: PasswordPolicy,
    product: String,
}

impl UserAdmin {
    /// Administration over the stores; `product` is a context word passwords may not be built on.
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Sessions,
        devices: Devices,
        hasher: Hasher,
        throttle: Throttle,
        policy: PasswordPolicy,
        product: &str,
    ) -> Self {
        Self {
            users,
            sessions,
            devices,
            hasher,
            throttle,
            policy,
            product: product.to_lowercase(),
        }
    }

    /// The policy check every place that sets a password shares (SECURITY 1–4).
    pub fn check_password(
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

    /// Finds a user by (case-insensitive) name.
    pub async fn find(&self, raw: &str) -> Result<User, UserError> {
        let name = Username::parse(raw)?;
        self.users
            .find_by_username(name.as_str())
            .await?
            .ok_or_else(|| UserError::NotFound(name.to_string()))
    }

    /// Creates a user. `actor` names who did it, for the audit log.
    pub async fn add(&self, new: AddUser<'_>, actor: &str) -> Result<User, UserError> {
        let name = Username::parse(new.username)?;
        let groups = normalize_groups(new.groups)?;
        self.check_password(
            &PolicyUser {
                username: name.as_str(),
                email: new.email,
                two_factor: false,
            },
            &new.password,
        )?;
        let hash = self.hasher.hash(&new.password).await?;
        let user = self
            .users
            .create(
                &NewUser {
                    username: name.to_string(),
                    display_name: new.display_name.unwrap_or(name.as_str()).to_owned(),
                    email: new.email.trim().to_owned(),
                    groups,
                    password_hash: hash,
                    must_change_password: new.must_change_password,
                },
                now(),
            )
            .await?;
        audit!(event::USER_CREATED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), groups = ?user.groups);
        Ok(user)
    }

    /// Sets a new password and ends every session of the user.
    pub async fn set_password(
        &self,
        raw: &str,
        password: &SecretString,
        must_change: bool,
        actor: &str,
    ) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        self.check_password(&PolicyUser::of(&user), password)?;
        let hash = self.hasher.hash(password).await?;
        self.users
            .set_password(user.id, &hash, must_change, now())
            .await?;
        let ended = self.sessions.end_all_for_user(user.id).await?;
        // A new password also ends every "trust this device" (issue 4, point 5).
        self.devices.forget_all(user.id).await?;
        // An operator who sets a new password vouches for the account: bans earned by
        // someone guessing the old one must not keep its owner out.
        self.throttle.unlock(&user).await?;
        audit!(event::USER_PASSWORD_SET, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), must_change, sessions_ended = ended);
        Ok(ended)
    }

    /// Lifts every sign-in ban of a user (wrong passwords and wrong codes): the remedy for an
    /// account locked by someone else's guessing. Returns the canonical name.
    pub async fn unlock(&self, raw: &str, actor: &str) -> Result<String, UserError> {
        let user = self.find(raw).await?;
        self.throttle.unlock(&user).await?;
        audit!(event::USER_UNLOCKED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor));
        Ok(user.username)
    }

    /// Disables (and ends every session of) a user, or enables one.
    pub async fn set_disabled(
        &self,
        raw: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        self.users.set_disabled(user.id, disabled, now()).await?;
        let ended = if disabled {
            self.sessions.end_all_for_user(user.id).await?
        } else {
            0
        };
        let ev = if disabled {
            event::USER_DISABLED
        } else {
            event::USER_ENABLED
        };
        audit!(ev, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), sessions_ended = ended);
        Ok(ended)
    }

    /// Deletes a user and ends their sessions.
    pub async fn delete(&self, raw: &str, actor: &str) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        let ended = self.sessions.end_all_for_user(user.id).await?;
        self.users.delete(user.id).await?;
        audit!(event::USER_DELETED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), sessions_ended = ended);
        Ok(ended)
    }

    /// Replaces a user's groups.
    pub async fn set_groups(
        &self,
        raw: &str,
        groups: &[String],
        actor: &str,
    ) -> Result<Vec<String>, UserError> {
        let user = self.find(raw).await?;
        let groups = normalize_groups(groups)?;
        self.users.set_groups(user.id, &groups, now()).await?;
        self.sessions.forget_user(user.id);
        audit!(event::USER_GROUPS_SET, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), groups = ?groups);
        Ok(groups)
    }

    /// All users by name.
    pub async fn list(&self) -> Result<Vec<User>, UserError> {
        Ok(self.users.list().await?)
    }

    /// Number of users.
    pub async fn count(&self) -> Result<u64, UserError> {
        Ok(self.users.count().await?)
    }
}
