//! Password hashing off the reactor: argon2id on the blocking pool behind a fair queue.
//!
//! Each verification costs ~45 ms and 19+ MiB, so at most `max_concurrent` run at once. Jobs
//! wait in [`HashPool`], which caps what one client address or one account may hold and serves
//! clients in turn, for at most `QUEUE_WAIT`; anything beyond is refused as busy instead of
//! queueing without bound. Forward-auth and proxying never come here.

use std::sync::Arc;
use std::time::Duration;

use super::AuthError;
use super::hash_pool::{Claimant, HashPool, PoolLimits};
use crate::domain::password::{self, HashParams};
use crate::domain::secret::SecretString;

/// Longest wait for a hashing permit before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);
/// How many requests may wait per hashing permit.
const WAITERS_PER_PERMIT: usize = 8;

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Arc<[u8]>>,
    /// The permits and the fair queue in front of them.
    pool: HashPool,
    /// A real hash of a random password, verified for unknown users so that they cost the
    /// same as known ones (docs/security.md#login-timing).
    dummy: Arc<str>,
}

impl Hasher {
    /// Builds the hasher; computes the dummy hash once.
    pub fn new(
        params: HashParams,
        pepper: Option<&SecretString>,
        max_concurrent: usize,
    ) -> Result<Self, AuthError> {
        let pepper: Option<Arc<[u8]>> = pepper.map(|p| Arc::from(p.expose().as_bytes()));
        let random = crate::domain::secret::random_token(24);
        let dummy = password::hash(&random, &params, pepper.as_deref())
            .map_err(|e| AuthError::Hash(e.into()))?;
        Ok(Self {
            params,
            pepper,
            pool: HashPool::new(PoolLimits::for_permits(max_concurrent, WAITERS_PER_PERMIT)),
            dummy: Arc::from(dummy),
        })
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no user.
    /// `claimant` (client address and account) decides the job's place in the fair queue.
    pub async fn verify(
        &self,
        claimant: Claimant,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, AuthError> {
        let pw = password::normalize(password.expose());
        let known = stored.is_some();
        let stored: String = stored.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let pepper = self.pepper.clone();
        let ok = self
            .blocking(claimant, move || {
                password::verify(&pw, &stored, pepper.as_deref())
            })
            .await?
            .map_err(|e| AuthError::Hash(e.into()))?;
        Ok(ok && known)
    }

    /// Hashes a new password at the configured cost. Only steps that already proved who the
    /// user is come here, so the job queues in the internal lane.
    pub async fn hash(&self, password: &SecretString) -> Result<String, AuthError> {
        let pw = password::normalize(password.expose());
        let (params, pepper) = (self.params, self.pepper.clone());
        self.blocking(Claimant::internal(), move || {
            password::hash(&pw, &params, pepper.as_deref())
        })
        .await?
        .map_err(|e| AuthError::Hash(e.into()))
    }

    /// Whether `stored` is weaker than the configured cost (docs/security.md#hash-upgrade).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        password::needs_rehash(stored, &self.params)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        claimant: Claimant,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = self
            .pool
            .acquire(claimant, QUEUE_WAIT)
            .await
            .map_err(|_| AuthError::Busy)?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| AuthError::Hash(e.into()))?;
        Ok(out)
    }
}
