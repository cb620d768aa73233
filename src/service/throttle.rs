//! Attempt counting shared by every step that checks a secret: the password, a TOTP or
//! recovery code, a re-entered password (see docs/security.md).
//!
//! Each attempt is admitted before the secret is checked and settled after: `failed` when the
//! secret was evaluated and wrong (bans follow only these), `succeeded` when it was right on
//! the key's own secret, `release` when it was not evaluated at all (a full hashing pool, a
//! store error) or succeeded on a key many accounts share (a client network). Keys are typed
//! (`domain::throttle_key`); which policy applies follows from the kind of key.

use std::net::IpAddr;
use std::sync::Arc;

use super::AuthError;
use crate::audit;
use crate::audit::event;
use crate::config::ThrottleConfig;
use crate::domain::throttle::ThrottlePolicy;
use crate::domain::throttle_key::{IpPrefix, ThrottleKey};
use crate::domain::user::User;
use crate::metrics::Meter;
use crate::store::{AdmitAll, AdmitKey, ThrottleStore};

/// A store answered an admission with fewer attempts than keys asked for.
fn no_admission() -> AuthError {
    AuthError::Store(crate::store::StoreError::inconsistent(
        "the throttle store admitted fewer keys than asked",
    ))
}

/// One admitted attempt against a key, to be settled.
#[derive(Debug, Clone)]
pub struct Attempt {
    key: ThrottleKey,
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
    meter: Meter,
}

impl Throttle {
    /// Throttling with the configured limits.
    pub fn new(store: Arc<dyn ThrottleStore>, limits: ThrottleConfig) -> Self {
        Self {
            store,
            limits,
            meter: Meter::off(),
        }
    }

    /// The same throttle counting the bans it starts into `meter`.
    pub fn metered(self, meter: Meter) -> Self {
        Self { meter, ..self }
    }

    /// The policy of a banning key; plain counters have none.
    fn policy(&self, key: &ThrottleKey) -> Option<&ThrottlePolicy> {
        match key {
            ThrottleKey::Client(_) => Some(&self.limits.ip),
            ThrottleKey::ClientWide(_) => Some(&self.limits.ipv6_wide),
            ThrottleKey::Account(_) | ThrottleKey::Codes(_) => Some(&self.limits.account),
            ThrottleKey::PendingLogin(_)
            | ThrottleKey::ResetIp(_)
            | ThrottleKey::ResetMail(_)
            | ThrottleKey::Ceremonies(_) => None,
        }
    }

    /// The network a client address is counted under (IPv6 per configured prefix).
    pub fn client_net(&self, ip: IpAddr) -> IpPrefix {
        IpPrefix::of(ip, self.limits.ipv6_prefix)
    }

    /// The buckets a client's failures count against: its network and, for IPv6, the wider
    /// network when configured.
    fn client_keys(&self, ip: IpAddr) -> Vec<ThrottleKey> {
        let net = self.client_net(ip);
        let mut keys = vec![ThrottleKey::Client(net)];
        if net.is_v6() && self.limits.ipv6_wide_prefix > 0 {
            keys.push(ThrottleKey::ClientWide(IpPrefix::of(
                ip,
                self.limits.ipv6_wide_prefix,
            )));
        }
        keys
    }

    /// How long a key's state is kept and the count at which it refuses.
    fn limits_of(&self, key: &ThrottleKey) -> (u64, u32) {
        match self.policy(key) {
            Some(p) => (
                u64::try_from(p.forget_after).unwrap_or(u64::MAX),
                p.hard_cap,
            ),
            None => (0, u32::MAX),
        }
    }

    /// Admits one attempt against every key at once, or none of them while any is banned
    /// (one atomic step in a shared store). `who` and `ip` are for the audit.
    async fn admit_keys(
        &self,
        keys: Vec<ThrottleKey>,
        now: i64,
        who: &str,
        ip: IpAddr,
    ) -> Result<Vec<Attempt>, AuthError> {
        let asks: Vec<AdmitKey<'_>> = keys
            .iter()
            .map(|key| {
                let (keep_for, cap) = self.limits_of(key);
                AdmitKey { key, keep_for, cap }
            })
            .collect();
        match self.store.admit_all(&asks, now).await? {
            AdmitAll::Admitted(counts) => Ok(keys
                .into_iter()
                .zip(counts)
                .map(|(key, n)| Attempt { key, n })
                .collect()),
            AdmitAll::Refused { index, until } => {
                let kind = keys.get(index).map_or("", ThrottleKey::kind);
                audit!(event::LOGIN_THROTTLED, user = %crate::audit::Clean(who), ip = %ip, key = kind, retry_after = until - now);
                Err(AuthError::Throttled { until })
            }
        }
    }

    /// Admits an attempt, or refuses while the key is banned. `who` and `ip` are for the audit.
    pub async fn admit(
        &self,
        key: ThrottleKey,
        now: i64,
        who: &str,
        ip: IpAddr,
    ) -> Result<Attempt, AuthError> {
        let mut admitted = self.admit_keys(vec![key], now, who, ip).await?;
        admitted.pop().ok_or_else(no_admission)
    }

    /// Admits an attempt against every bucket of the client; refused if any is banned (and
    /// then none stays counted).
    pub async fn admit_client(
        &self,
        now: i64,
        who: &str,
        ip: IpAddr,
    ) -> Result<Vec<Attempt>, AuthError> {
        self.admit_keys(self.client_keys(ip), now, who, ip).await
    }

    /// Admits an attempt against an account (known or not) by the name as typed.
    pub async fn admit_account(
        &self,
        username: &str,
        now: i64,
        ip: IpAddr,
    ) -> Result<Attempt, AuthError> {
        self.admit(ThrottleKey::account(username), now, username, ip)
            .await
    }

    /// Admits a password attempt against the client's buckets and the account (known or not,
    /// by the name as typed) in one step: the account's attempt, and the client's.
    pub async fn admit_login(
        &self,
        username: &str,
        now: i64,
        ip: IpAddr,
    ) -> Result<(Attempt, Vec<Attempt>), AuthError> {
        // The client's buckets first, as when they were admitted one by one: while both are
        // banned, the client's ban is the one reported.
        let mut keys = self.client_keys(ip);
        keys.push(ThrottleKey::account(username));
        let mut client = self.admit_keys(keys, now, username, ip).await?;
        match client.pop() {
            Some(account) => Ok((account, client)),
            None => Err(no_admission()),
        }
    }

    /// Admits a second-factor code attempt against the client's buckets and the account's
    /// code counter in one step: the codes' attempt first, then the client's.
    pub async fn admit_code(
        &self,
        user: &User,
        now: i64,
        ip: IpAddr,
    ) -> Result<Vec<Attempt>, AuthError> {
        let mut keys = self.client_keys(ip);
        keys.push(ThrottleKey::Codes(user.id));
        let mut attempts = self.admit_keys(keys, now, &user.username, ip).await?;
        let codes = attempts.pop().ok_or_else(no_admission)?;
        attempts.insert(0, codes);
        Ok(attempts)
    }

    /// Counts one event of a plain counter (reset requests, codes per pending login) in a
    /// window of `keep_secs`; returns the count. Never bans.
    pub async fn count(
        &self,
        key: &ThrottleKey,
        now: i64,
        keep_secs: u64,
    ) -> Result<u32, AuthError> {
        Ok(self.store.fail(key, now, keep_secs).await?)
    }

    /// The secret was evaluated and wrong: count the failure and ban when the policy says so.
    pub async fn failed(&self, attempt: &Attempt, now: i64) -> Result<u32, AuthError> {
        let counts = self.failed_all(std::slice::from_ref(attempt), now).await?;
        Ok(counts.first().copied().unwrap_or(0))
    }

    /// [`Throttle::failed`] for each attempt, counted in one step; returns each attempt's
    /// failures so far (0 for a key without a policy, which never counts failures).
    pub async fn failed_all(&self, attempts: &[Attempt], now: i64) -> Result<Vec<u32>, AuthError> {
        let banning: Vec<(&Attempt, &ThrottlePolicy)> = attempts
            .iter()
            .filter_map(|a| self.policy(&a.key).map(|p| (a, p)))
            .collect();
        let keys: Vec<(&ThrottleKey, u64)> = banning
            .iter()
            .map(|(a, p)| (&a.key, u64::try_from(p.forget_after).unwrap_or(u64::MAX)))
            .collect();
        let counts = if keys.is_empty() {
            Vec::new()
        } else {
            self.store.fail_all(&keys, now).await?
        };
        // Each failure count is unique per key (the store counts atomically), so exactly one
        // settlement crosses a ban threshold and sets that ban.
        for ((attempt, policy), failures) in banning.iter().zip(&counts) {
            if let Some(until) = policy.ban_after_failure(*failures, now) {
                self.store
                    .ban(&attempt.key, now, until, policy.keep_until(now, until))
                    .await?;
                self.meter.ban();
            }
        }
        let mut counts = counts.into_iter();
        Ok(attempts
            .iter()
            .map(|a| match self.policy(&a.key) {
                Some(_) => counts.next().unwrap_or(0),
                None => 0,
            })
            .collect())
    }

    /// The attempt succeeded on the key's own secret: forget the key's failures.
    pub async fn succeeded(&self, attempt: &Attempt) -> Result<(), AuthError> {
        Ok(self.store.clear(&attempt.key).await?)
    }

    /// The attempt was not evaluated, or succeeded on a key shared by many accounts: it
    /// leaves no trace.
    pub async fn release(&self, attempt: &Attempt) -> Result<(), AuthError> {
        Ok(self.store.release(&attempt.key).await?)
    }

    /// [`Throttle::release`] for each attempt, in one step.
    pub async fn release_all(&self, attempts: &[Attempt]) -> Result<(), AuthError> {
        let keys: Vec<&ThrottleKey> = attempts.iter().map(|a| &a.key).collect();
        Ok(self.store.release_all(&keys).await?)
    }

    /// Forgets a key entirely.
    pub async fn clear(&self, key: &ThrottleKey) -> Result<(), AuthError> {
        Ok(self.store.clear(key).await?)
    }

    /// Lifts every ban of an account: its password and its second-factor counters (an
    /// operator's unlock, or a new password set by an operator).
    pub async fn unlock(&self, user: &User) -> Result<(), AuthError> {
        self.clear(&ThrottleKey::account(&user.username)).await?;
        self.clear(&ThrottleKey::Codes(user.id)).await
    }
}
