//! Attempt counting shared by every step that checks a secret: the password, a TOTP or
//! recovery code, a re-entered password (SECURITY 12, 34, 38). Each attempt is counted
//! before the secret is checked, so concurrent guesses cannot exceed the limits.

use std::net::IpAddr;
use std::sync::Arc;

use super::AuthError;
use crate::audit;
use crate::audit::event;
use crate::config::ThrottleConfig;
use crate::domain::throttle::{Admission, ThrottlePolicy};
use crate::domain::user::Username;
use crate::store::ThrottleStore;

/// One counted attempt against a key, to be settled as a success or a failure.
#[derive(Debug, Clone)]
pub struct Attempt {
    key: String,
    n: u32,
}

impl Attempt {
    /// How many attempts the key has seen in its window, this one included.
    pub fn n(&self) -> u32 {
        self.n
    }
}

/// Throttling over the shared store.
#[derive(Clone)]
pub struct Throttle {
    store: Arc<dyn ThrottleStore>,
    limits: ThrottleConfig,
}

impl Throttle {
    /// Throttling with the configured limits.
    pub fn new(store: Arc<dyn ThrottleStore>, limits: ThrottleConfig) -> Self {
        Self { store, limits }
    }

    fn policy(&self, key: &str) -> &ThrottlePolicy {
        if key.starts_with("ip:") {
            &self.limits.ip
        } else {
            &self.limits.account
        }
    }

    /// The store key for an account (case-folded name, known or not).
    fn account_key(username: &str) -> String {
        Username::throttle_key(username)
    }

    /// The store key for a client address.
    pub fn ip_key(ip: IpAddr) -> String {
        format!("ip:{ip}")
    }

    /// Counts an attempt, or refuses while the key is banned. `who` and `ip` are for the audit.
    pub async fn admit(
        &self,
        key: &str,
        now: i64,
        who: &str,
        ip: IpAddr,
    ) -> Result<Attempt, AuthError> {
        let policy = self.policy(key);
        let keep = u64::try_from(policy.forget_after).unwrap_or(u64::MAX);
        match self.store.admit(key, now, keep).await? {
            Admission::Admitted { n } => Ok(Attempt {
                key: key.to_owned(),
                n,
            }),
            Admission::Refused { until } => {
                audit!(event::LOGIN_THROTTLED, user = %crate::audit::Clean(who), ip = %ip, key = ?key.split(':').next().unwrap_or(""), retry_after = until - now);
                Err(AuthError::Throttled { until })
            }
        }
    }

    /// Counts an attempt against an account (known or not) by the name as typed.
    pub async fn admit_account(
        &self,
        username: &str,
        now: i64,
        ip: IpAddr,
    ) -> Result<Attempt, AuthError> {
        self.admit(&Self::account_key(username), now, username, ip)
            .await
    }

    /// Counts a raw attempt with its own window (e.g. codes per pending login), never banning.
    pub async fn count(&self, key: &str, now: i64, keep_secs: u64) -> Result<u32, AuthError> {
        match self.store.admit(key, now, keep_secs).await? {
            Admission::Admitted { n } => Ok(n),
            Admission::Refused { until } => Err(AuthError::Throttled { until }),
        }
    }

    /// The attempt failed: ban the key when the policy says so.
    pub async fn failed(&self, attempt: &Attempt, now: i64) -> Result<(), AuthError> {
        let policy = self.policy(&attempt.key);
        if let Some(until) = policy.ban_after_failure(attempt.n, now) {
            self.store
                .ban(&attempt.key, until, policy.keep_until(now, until))
                .await?;
        }
        Ok(())
    }

    /// The attempt succeeded: forget the key's failures.
    pub async fn succeeded(&self, attempt: &Attempt) -> Result<(), AuthError> {
        Ok(self.store.clear(&attempt.key).await?)
    }

    /// The attempt was not evaluated, or succeeded on a key shared by many accounts (an IP):
    /// take back just this one.
    pub async fn forgive(&self, attempt: &Attempt) -> Result<(), AuthError> {
        Ok(self.store.forgive_one(&attempt.key).await?)
    }

    /// Forgets a key entirely.
    pub async fn clear(&self, key: &str) -> Result<(), AuthError> {
        Ok(self.store.clear(key).await?)
    }
}
