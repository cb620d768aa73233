//! Password hashing off the reactor: argon2id on the blocking pool behind a semaphore.
//!
//! Each verification costs ~45 ms and 19+ MiB, so at most `max_concurrent` run at once. At
//! most `WAITERS_PER_PERMIT` requests per permit may wait, for at most `QUEUE_WAIT`; anything
//! beyond is refused as busy instead of queueing without bound (SECURITY 72). Forward-auth
//! and proxying never come here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::AuthError;
use crate::domain::password::{self, HashParams};
use crate::domain::secret::SecretString;

/// Longest wait for a hashing permit before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);
/// How many requests may wait per hashing permit.
const WAITERS_PER_PERMIT: usize = 8;

/// A place in the hashing queue, given back when dropped (also on cancellation).
struct Queued<'a> {
    count: &'a AtomicUsize,
    ahead: usize,
}

impl<'a> Queued<'a> {
    fn join(count: &'a AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, Ordering::SeqCst);
        Self { count, ahead }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Arc<[u8]>>,
    permits: Arc<Semaphore>,
    /// Requests waiting for a permit, and how many may wait: beyond that a login is refused
    /// at once, so a flood cannot pile up tasks and latency behind the hashing pool.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
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
            waiting: Arc::default(),
            max_waiting: max_concurrent.max(1) * WAITERS_PER_PERMIT,
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
        let queued = Queued::join(&self.waiting);
        if queued.ahead >= self.max_waiting {
            return Err(AuthError::Busy);
        }
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        drop(queued);
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
