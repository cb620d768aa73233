//! Use cases over the store traits: login, sessions, user administration.
//!
//! Services never see HTTP types; the web layer parses requests into plain values and maps
//! the errors here to pages in one place (`web::errors`).

pub mod admin_rules;
mod cache_hash;
mod cache_memo;
pub mod credentials;
pub mod devices;
pub mod hash_pool;
mod hash_threads;
pub mod hasher;
pub mod login;
pub mod passkeys;
pub mod passwords;
mod runtime_load;
pub mod session_cache;
pub mod sessions;
mod thread_cpu;
pub mod throttle;
pub mod two_factor;
mod user_cache;
pub mod users;

use thiserror::Error;

use crate::store::StoreError;

/// Why an authentication step failed. The web layer shows one generic text per variant.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown user, wrong password, disabled account: one answer for all (docs/security.md#uniform-login-failure).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A wrong, replayed or spent second-factor code: one answer for all (docs/security.md#totp-replay).
    #[error("invalid code")]
    InvalidCode,
    /// Too many wrong codes for this login: start again with the password (docs/security.md#second-factor-throttle).
    #[error("too many codes for this login")]
    Restart,
    /// A stored secret could not be opened or used (wrong key, corrupt record).
    #[error("second factor secret unusable")]
    Crypto(#[source] crate::store::Cause),
    /// Too many failures; try again after `until` (Unix seconds).
    #[error("too many attempts")]
    Throttled {
        /// When attempts are evaluated again.
        until: i64,
    },
    /// The password hashing pool is saturated (docs/security.md#hashing-bounds).
    #[error("busy")]
    Busy,
    /// A store failed; fail closed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A passkey's answer did not verify (wrong origin or RP ID, bad signature, a counter
    /// gone back, a credential not the user's): counted like a wrong code.
    #[error("passkey not accepted")]
    PasskeyRefused,
    /// No live ceremony to answer: its two minutes passed, it was answered already, or it
    /// was started for another purpose or session (docs/passkeys.md#challenges).
    #[error("passkey challenge expired")]
    CeremonyExpired,
    /// The portal on this host does not offer passkeys (or not this use of them), or
    /// `two_factor.methods` leaves out the factor asked for.
    #[error("passkeys not offered here")]
    NotOffered,
    /// The user has as many passkeys as allowed.
    #[error("too many passkeys")]
    TooManyPasskeys,
    /// Hashing failed for a reason other than a wrong password.
    #[error("hashing: {0}")]
    Hash(#[source] crate::store::Cause),
}
