//! Password hashing off the reactor: argon2id on the blocking pool behind a semaphore.
//!
//! Each verification costs ~45 ms and 19+ MiB, so at most `max_concurrent` run at once and a
//! request that cannot get a permit within `QUEUE_WAIT` is refused as busy instead of
//! queueing without bound (SECURITY 72). Forward-auth and proxying never come here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::AuthError;
use crate::domain::password::{self, HashParams};
use crate::domain::secret::SecretString;

/// Longest wait for a hashing permit before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Arc<[u8]>>,
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified for unknown users so that they cost the
    /// same as known ones (SECURITY 11).
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
            .map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(Self {
            params,
            pepper,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: Arc::from(dummy),
        })
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no user.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, AuthError> {
        let pw = password::normalize(password.expose());
        let known = stored.is_some();
        let stored: String = stored.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let pepper = self.pepper.clone();
        let ok = self
            .blocking(move || password::verify(&pw, &stored, pepper.as_deref()))
            .await?
            .map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(ok && known)
    }

    /// Hashes a new password at the configured cost.
    pub async fn hash(&self, password: &SecretString) -> Result<String, AuthError> {
        let pw = password::normalize(password.expose());
        let (params, pepper) = (self.params, self.pepper.clone());
        self.blocking(move || password::hash(&pw, &params, pepper.as_deref()))
            .await?
            .map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Whether `stored` is weaker than the configured cost (SECURITY 8).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        password::needs_rehash(stored, &self.params)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(out)
    }
}
