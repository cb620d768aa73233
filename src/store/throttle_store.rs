//! The throttle's storage trait: attempt counters per typed key, each step atomic per key, and
//! the multi-key steps (a sign-in's account and client buckets) atomic across keys in a store
//! shared by instances (docs/security.md#throttle-shared).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::throttle::Admission;
use crate::domain::throttle_key::ThrottleKey;

/// Attempt counters for login throttling (see `domain::throttle`). Every step is atomic per
/// key, so concurrent attempts on several instances see one count.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// Refuses while `key` is banned or its failures plus attempts in flight reach `cap`;
    /// otherwise admits one more attempt in flight and keeps the state `keep_for` seconds.
    async fn admit(
        &self,
        key: &ThrottleKey,
        now: i64,
        keep_for: u64,
        cap: u32,
    ) -> StoreResult<Admission>;
    /// Settles one attempt as an evaluated failure (or counts one event of a plain counter)
    /// and keeps the state `keep_for` seconds; returns the failures so far.
    async fn fail(&self, key: &ThrottleKey, now: i64, keep_for: u64) -> StoreResult<u32>;
    /// Settles one admitted attempt without counting it; a key left with nothing is dropped.
    async fn release(&self, key: &ThrottleKey) -> StoreResult<()>;
    /// Bans `key` until `until` (Unix seconds), keeping its state at least until `keep_until`.
    async fn ban(
        &self,
        key: &ThrottleKey,
        now: i64,
        until: i64,
        keep_until: i64,
    ) -> StoreResult<()>;
    /// Forgets `key` entirely (a success on its own secret, or an operator's unlock).
    async fn clear(&self, key: &ThrottleKey) -> StoreResult<()>;

    /// [`ThrottleStore::admit`] on every key at once, all or none: when one key refuses, no
    /// key keeps an attempt in flight. A shared store does it in one atomic step, so that
    /// another instance never sees half an admission; this default suits a single process.
    async fn admit_all(&self, keys: &[AdmitKey<'_>], now: i64) -> StoreResult<AdmitAll> {
        let mut counts = Vec::with_capacity(keys.len());
        for (index, k) in keys.iter().enumerate() {
            match self.admit(k.key, now, k.keep_for, k.cap).await? {
                Admission::Admitted { n } => counts.push(n),
                Admission::Refused { until } => {
                    for done in &keys[..index] {
                        self.release(done.key).await?;
                    }
                    return Ok(AdmitAll::Refused { index, until });
                }
            }
        }
        Ok(AdmitAll::Admitted(counts))
    }

    /// [`ThrottleStore::fail`] on every key at once (each with its `keep_for`); returns each
    /// key's failures so far, in order.
    async fn fail_all(&self, keys: &[(&ThrottleKey, u64)], now: i64) -> StoreResult<Vec<u32>> {
        let mut counts = Vec::with_capacity(keys.len());
        for (key, keep_for) in keys {
            counts.push(self.fail(key, now, *keep_for).await?);
        }
        Ok(counts)
    }

    /// [`ThrottleStore::release`] on every key at once.
    async fn release_all(&self, keys: &[&ThrottleKey]) -> StoreResult<()> {
        for key in keys {
            self.release(key).await?;
        }
        Ok(())
    }
}

/// One key of a multi-key admission ([`ThrottleStore::admit_all`]).
#[derive(Debug, Clone, Copy)]
pub struct AdmitKey<'a> {
    /// The bucket.
    pub key: &'a ThrottleKey,
    /// Seconds to keep its state.
    pub keep_for: u64,
    /// Failures plus attempts in flight at which it refuses.
    pub cap: u32,
}

/// The answer of [`ThrottleStore::admit_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdmitAll {
    /// Every key admitted one attempt: each key's attempt number, in order.
    Admitted(Vec<u32>),
    /// The key at `index` refused until `until`; no key holds an attempt.
    Refused {
        /// Which key refused.
        index: usize,
        /// When it admits again (Unix seconds).
        until: i64,
    },
}
