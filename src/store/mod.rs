//! Storage behind narrow async traits, one per concern (after lldap's handler traits).
//!
//! Services see only these traits; `compose` picks an
//! implementation. Implementations: `memory` (single node), `redis` (shared by instances),
//! `sql` (users, SQLite by default).

pub mod memory;
pub mod redis;
mod redis_cluster;
mod redis_keys;
mod redis_link;
pub mod redis_pubsub;
mod redis_record;
mod redis_sentinel;
pub mod redis_throttle;
pub mod sql;
mod throttle_store;
mod throttle_table;
pub mod timed;

pub use throttle_store::{AdmitAll, AdmitKey, ThrottleStore};

use crate::domain::user::UserId;
use async_trait::async_trait;
use std::sync::Arc;
use thiserror::Error;

use crate::domain::pending::PendingAction;
use crate::domain::session::{Session, SessionKey};
use crate::domain::user::User;

/// Failures of a store. The text is for logs only, never for a response body.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend cannot be reached or answered with an error. `what` is the text shown
    /// (the cause's, with context); the cause itself stays reachable as the source.
    #[error("store unavailable: {what}")]
    Unavailable {
        /// What failed, in words.
        what: String,
        /// The backend's error.
        #[source]
        source: Cause,
    },
    /// A unique constraint would be broken (e.g. the username exists).
    #[error("already exists")]
    Conflict,
    /// A record could not be decoded.
    #[error("corrupt record: {what}")]
    Corrupt {
        /// What could not be read, in words.
        what: String,
        /// The decoder's error, when there is one.
        #[source]
        source: Option<Cause>,
    },
}

/// The cause an error keeps as its source.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// The backend failed with `e`.
    pub fn unavailable(e: impl Into<Cause>) -> Self {
        let source = e.into();
        Self::Unavailable {
            what: source.to_string(),
            source,
        }
    }

    /// The backend failed with `e` while doing `context`.
    pub fn unavailable_at(context: impl std::fmt::Display, e: impl Into<Cause>) -> Self {
        let source = e.into();
        Self::Unavailable {
            what: format!("{context}: {source}"),
            source,
        }
    }

    /// A record could not be decoded because of `e`.
    pub fn corrupt(e: impl Into<Cause>) -> Self {
        let source = e.into();
        Self::Corrupt {
            what: source.to_string(),
            source: Some(source),
        }
    }

    /// A record is not what it must be, with no underlying error.
    pub fn inconsistent(what: &str) -> Self {
        Self::Corrupt {
            what: what.to_owned(),
            source: None,
        }
    }
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Server-side sessions keyed by the SHA-256 of the id, with a per-user index.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Saves a session; the record disappears after `ttl_secs` unless touched.
    async fn put(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()>;
    /// Saves a refreshed record only if the session still exists, and says whether it did: a
    /// refresh racing a sign-out or a revocation must never bring the session back.
    async fn touch(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Loads a session.
    async fn get(&self, key: &SessionKey, now: i64) -> StoreResult<Option<Arc<Session>>>;
    /// Loads a session without waiting, when the store can (it is in the process); `None`
    /// sends the caller to `get`. Spares the boxed future of `get` on every request's read.
    fn get_now(&self, _key: &SessionKey, _now: i64) -> Option<StoreResult<Option<Arc<Session>>>> {
        None
    }
    /// Deletes a session and its index entry at once; returns whether it existed.
    async fn remove(&self, key: &SessionKey) -> StoreResult<bool>;
    /// Every live session of a user.
    async fn list_for_user(
        &self,
        user_id: UserId,
        now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>>;
    /// Deletes every session of a user and the index at once, so a session started
    /// concurrently is either ended too or stays listed; returns how many.
    async fn remove_all_for_user(&self, user_id: UserId) -> StoreResult<usize>;
    /// Checks that the backend answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Keeps the action a session posted before confirming its password, for `ttl_secs`:
    /// at most one per session (a new one replaces the old).
    async fn put_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()>;
    /// Takes the action kept for a session: read and deleted in one step, so that two
    /// confirmations racing on two instances never both get it.
    async fn take_pending(&self, key: &SessionKey, now: i64) -> StoreResult<Option<PendingAction>>;
    /// Keeps the server half of a WebAuthn ceremony for `ttl_secs` (docs/passkeys.md#challenges).
    async fn put_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()>;
    /// Takes a ceremony: read and deleted in one step, so a challenge is answered once, on
    /// one instance.
    async fn take_ceremony(&self, key: &SessionKey, now: i64) -> StoreResult<Option<String>>;
    /// Tells every instance sharing this store that the user's record changed, so that they
    /// forget what they cached of it. `remove` and `remove_all_for_user` announce themselves;
    /// a store no other instance shares has no one to tell.
    async fn user_changed(&self, _user_id: UserId) -> StoreResult<()> {
        Ok(())
    }
    /// How many sessions the store holds, when it can tell without walking a shared
    /// keyspace (for the metrics; Redis cannot count one prefix cheaply, so `None`).
    async fn held(&self) -> StoreResult<Option<u64>> {
        Ok(None)
    }
}

/// What another instance (or this one) changed, announced on the invalidation channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// One session ended.
    Session(SessionKey),
    /// A user's record changed or all their sessions ended.
    User(UserId),
}

/// Receives the invalidation channel: whatever caches sessions or users locally
/// (docs/security.md#session-cache).
pub trait StaleSink: Send + Sync + 'static {
    /// The subscription is confirmed (first time or again): nothing was missed from now on.
    fn live(&self);
    /// The subscription is lost: messages may be missed from now on.
    fn lost(&self);
    /// Something is stale.
    fn stale(&self, what: Stale);
}

/// A user's TOTP state as stored: sealed secrets and the last accepted step.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TotpRecord {
    /// The active secret, sealed; `None` when two-factor is off.
    pub secret: Option<String>,
    /// A secret shown during enrolment and not confirmed yet, sealed.
    pub pending: Option<String>,
    /// The last step accepted (0 when none).
    pub last_step: i64,
}

impl std::fmt::Debug for TotpRecord {
    // Sealed secrets are ciphertext, but keep even that out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("enabled", &self.secret.is_some())
            .field("enrolling", &self.pending.is_some())
            .field("last_step", &self.last_step)
            .finish()
    }
}

/// Second factors: TOTP secrets, the replay guard and recovery codes (docs/security.md#totp).
#[async_trait]
pub trait SecondFactorStore: Send + Sync + 'static {
    /// The user's TOTP state (default when the user does not exist).
    async fn totp(&self, user_id: UserId) -> StoreResult<TotpRecord>;
    /// Stores (or clears) the secret shown during enrolment.
    async fn set_totp_pending(&self, user_id: UserId, sealed: Option<&str>) -> StoreResult<()>;
    /// Activates the pending secret and replaces the recovery codes, in one transaction.
    /// Returns `false` when there was no pending secret.
    async fn activate_totp(&self, user_id: UserId, code_hashes: &[String]) -> StoreResult<bool>;
    /// Turns two-factor off, in one transaction: secret, pending secret, recovery codes and
    /// remembered devices go, and the session epoch moves on so every session ends on every
    /// instance, whatever the session store. A user with passkeys keeps the recovery codes:
    /// they are the passkeys' fallback.
    /// Returns how many remembered devices were forgotten.
    async fn disable_totp(&self, user_id: UserId) -> StoreResult<u64>;
    /// The administrator's reset: as [`SecondFactorStore::disable_totp`], and every passkey
    /// removed in the same transaction.
    async fn reset_factors(&self, user_id: UserId) -> StoreResult<u64>;
    /// Records `step` as used if it is later than the last used one. Exactly one of several
    /// concurrent claims of the same step wins (RFC 6238 §5.2, docs/security.md#totp-replay).
    async fn claim_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool>;
    /// Replaces the recovery codes (regeneration voids the old set).
    async fn replace_recovery_codes(
        &self,
        user_id: UserId,
        code_hashes: &[String],
    ) -> StoreResult<()>;
    /// Marks a code used if it exists and is unused; exactly one concurrent use wins.
    async fn use_recovery_code(
        &self,
        user_id: UserId,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes remain.
    async fn recovery_codes_left(&self, user_id: UserId) -> StoreResult<u64>;
}

/// A passkey as stored (docs/passkeys.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// The credential id, base64url: unique across every user.
    pub credential_id: String,
    /// Whose passkey it is.
    pub user_id: UserId,
    /// The name its owner gave it.
    pub name: String,
    /// The WebAuthn library's credential record as JSON (public key, counter, backup flags).
    pub credential: String,
    /// When it was registered (Unix seconds).
    pub created_at: i64,
    /// Last sign-in it made (Unix seconds; 0: never).
    pub last_used_at: i64,
}

/// Passkeys and the random user handles authenticators keep (docs/passkeys.md).
#[async_trait]
pub trait PasskeyStore: Send + Sync + 'static {
    /// Gives the user the handle `fresh` unless they have one, and returns theirs: two
    /// registrations racing agree on one handle.
    async fn ensure_passkey_handle(&self, user_id: UserId, fresh: &str) -> StoreResult<String>;
    /// The user an authenticator's handle names.
    async fn user_by_passkey_handle(&self, handle: &str) -> StoreResult<Option<UserId>>;
    /// The user's passkeys, oldest first.
    async fn passkeys(&self, user_id: UserId) -> StoreResult<Vec<StoredPasskey>>;
    /// Stores a new passkey; `false` when its credential id is registered already (to anyone).
    async fn add_passkey(&self, passkey: &StoredPasskey) -> StoreResult<bool>;
    /// Saves the credential record a sign-in updated (counter, backup state) and the time of
    /// use, only if the record is still `expected`: a sign-in racing another one with the
    /// same credential cannot move the counter back. Returns whether it was saved.
    async fn record_passkey_use(
        &self,
        user_id: UserId,
        credential_id: &str,
        expected: &str,
        updated: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Renames one of the user's passkeys; returns whether it exists.
    async fn rename_passkey(
        &self,
        user_id: UserId,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool>;
    /// Removes one of the user's passkeys; returns whether it existed. When it was the user's
    /// last second factor (no other passkey, no app), the recovery codes and remembered devices
    /// go in the same transaction.
    async fn remove_passkey(&self, user_id: UserId, credential_id: &str) -> StoreResult<bool>;
}

/// A remembered device as stored (the token itself never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedDevice {
    /// SHA-256 of the device token.
    pub id: String,
    /// Whose device it is.
    pub user_id: UserId,
    /// What the browser said it was, for the account page.
    pub label: String,
    /// Client IP when it was remembered.
    pub ip: String,
    /// When it was remembered (Unix seconds).
    pub created_at: i64,
    /// When it stops skipping the code (Unix seconds).
    pub expires_at: i64,
    /// Last login it made easier (Unix seconds).
    pub last_used_at: i64,
}

/// Remembered devices (docs/security.md#remembered-devices).
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// Remembers a device.
    async fn add_device(&self, device: &RememberedDevice) -> StoreResult<()>;
    /// Marks a device used at `now` if it belongs to `user_id` and has not expired; returns
    /// whether it was valid.
    async fn use_device(&self, user_id: UserId, id: &str, now: i64) -> StoreResult<bool>;
    /// The user's unexpired devices, newest first.
    async fn devices(&self, user_id: UserId, now: i64) -> StoreResult<Vec<RememberedDevice>>;
    /// Forgets one device of the user; returns whether it existed.
    async fn remove_device(&self, user_id: UserId, id: &str) -> StoreResult<bool>;
    /// Forgets every device of the user; returns how many.
    async fn remove_all_devices(&self, user_id: UserId) -> StoreResult<u64>;
}

/// Password reset tokens, stored as hashes (docs/security.md#reset-tokens).
#[async_trait]
pub trait ResetStore: Send + Sync + 'static {
    /// Stores a new token for the user, voiding the user's older ones.
    async fn issue_reset(
        &self,
        user_id: UserId,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The user a live token belongs to, without using it up.
    async fn reset_user(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserId>>;
    /// Uses a live token up (with every other token of its user); exactly one of several
    /// concurrent uses gets the user id.
    async fn consume_reset(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserId>>;
    /// Voids every token of the user (the password was set another way).
    async fn void_resets(&self, user_id: UserId) -> StoreResult<()>;
}

/// Fields of a new user.
#[derive(Clone)]
pub struct NewUser {
    /// Canonical username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Email address (may be empty).
    pub email: String,
    /// Normalised groups.
    pub groups: Vec<String>,
    /// PHC hash.
    pub password_hash: String,
    /// Force a password change at first login.
    pub must_change_password: bool,
}

/// What an administrator edits on a user's page, checked and normalised by the service.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Display name (the username when none was given).
    pub display_name: String,
    /// Email address (may be empty).
    pub email: String,
    /// Normalised groups.
    pub groups: Vec<String>,
}

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Finds a user by canonical name.
    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Finds the one user with this email address (case-insensitive); `None` when no one or
    /// several users have it.
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Finds a user by id.
    async fn get(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Creates a user; `Conflict` if the name is taken.
    async fn create(&self, user: &NewUser, now: i64) -> StoreResult<User>;
    /// A credential change, in one transaction: the new hash and must-change flag, the next
    /// session epoch (every session of the user ends on every instance), every outstanding
    /// reset link voided and every remembered device forgotten. A crash leaves the old state
    /// or the new one, never a mix.
    async fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        now: i64,
    ) -> StoreResult<()>;
    /// Replaces a hash with a stronger one of the same password, only if it is still `old`
    /// (no session epoch change: the credential is the same).
    async fn rehash_password(&self, id: UserId, old: &str, new: &str, now: i64) -> StoreResult<()>;
    /// Enables or disables a user.
    async fn set_disabled(&self, id: UserId, disabled: bool, now: i64) -> StoreResult<()>;
    /// Replaces the user's groups.
    async fn set_groups(&self, id: UserId, groups: &[String], now: i64) -> StoreResult<()>;
    /// Sets the display name, email address and groups at once (no session epoch change:
    /// sessions go on and carry the new values once the user is read again). A new email
    /// address voids the user's outstanding reset links, in the same transaction: they were
    /// mailed to the old one.
    async fn set_profile(&self, id: UserId, profile: &Profile, now: i64) -> StoreResult<()>;
    /// Saves the language the user chose (a configured tag; empty: none).
    async fn set_language(&self, id: UserId, tag: &str) -> StoreResult<()>;
    /// Deletes a user; returns whether it existed.
    async fn delete(&self, id: UserId) -> StoreResult<bool>;
    /// All users, ordered by name.
    async fn list(&self) -> StoreResult<Vec<User>>;
    /// Number of users.
    async fn count(&self) -> StoreResult<u64>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
}
