//! Password hashing off the reactor: argon2id on its own threads behind a fair queue.
//!
//! Each verification costs ~45 ms and 19+ MiB, so at most `max_concurrent` run at once. Jobs
//! wait in [`HashPool`], which caps what one client address or one account may hold and serves
//! clients in turn, for at most `QUEUE_WAIT`; anything beyond is refused as busy instead of
//! queueing without bound. Forward-auth and proxying never come here.
//!
//! A job that holds a permit runs on [`HashThreads`] (src/service/hash_threads.rs): at the
//! lowest priority, so that a login storm takes no CPU the serving runtimes want, with a
//! floor that keeps sign-ins moving. On tokio's blocking pool, a login storm ran one argon2
//! thread per permit next to the runtime's workers, proxied requests waited for a core, and
//! every blocking thread kept its own malloc arena full of argon2 blocks (800+ MiB resident).
//! Each hashing thread keeps its argon2 memory between jobs ([`Workspace`]): a hash allocates
//! nothing, and the memory goes back to the OS after 2 s idle. Measurements in bench/storm.md.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::AuthError;
use super::hash_pool::{Claimant, HashPool, Permit, PoolLimits};
use super::hash_threads::{Answer, HashThreads, Job};
use super::runtime_load::RuntimeLoad;
use crate::domain::argon2_memory::Workspace;
use crate::domain::password::{self, HashParams, Pace};
use crate::domain::secret::SecretString;
use crate::log_throttle::LogThrottle;

/// Longest wait for a hashing permit before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);
/// How many requests may wait per hashing permit. A waiting sign-in is a parked request: no
/// CPU, and little memory beside its connection. A refused one is a page, and a client that
/// tries again at once brings another attempt (the throttle's counts, another page), all on
/// the serving worker: a short queue turns a storm's waiting into page traffic. With 8 per
/// permit, 32 clients signing in beside a saturating proxy load on one core were refused about
/// 250 times a second; with 64, about 5, and more of them signed in (bench/storm.md). A wait
/// stays bounded by [`QUEUE_WAIT`], and each client's and account's share by the pool.
const WAITERS_PER_PERMIT: usize = 64;
/// At most one log line per this interval about attempts refused as busy.
const BUSY_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Arc<[u8]>>,
    /// The permits and the fair queue in front of them.
    pool: HashPool,
    /// Where a job runs once it holds a permit.
    threads: HashThreads,
    /// The serving runtimes, which hashing yields to.
    load: Arc<RuntimeLoad>,
    /// A real hash of a random password, verified for unknown users so that they cost the
    /// same as known ones (docs/security.md#login-timing).
    dummy: Arc<str>,
    /// Attempts refused as busy: a storm from many clients can send hundreds a second, so they
    /// are counted into one warning per interval (the sign-in metrics count each).
    refusals: Arc<LogThrottle>,
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
        let started = Instant::now();
        let dummy = password::hash(&random, &params, pepper.as_deref())
            .map_err(|e| AuthError::Hash(e.into()))?;
        let load = Arc::new(RuntimeLoad::default());
        Ok(Self {
            params,
            pepper,
            pool: HashPool::new(PoolLimits::for_permits(max_concurrent, WAITERS_PER_PERMIT)),
            threads: HashThreads::start(max_concurrent, started.elapsed(), load.clone())?,
            load,
            dummy: Arc::from(dummy),
            refusals: Arc::new(LogThrottle::new(BUSY_LOG_INTERVAL)),
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
        self.reserve(claimant).await?.verify(password, stored).await
    }

    /// Takes `claimant`'s place in the fair queue and waits for a permit, before the caller
    /// knows what to verify. A sign-in reserves first and looks its account up after: an
    /// attempt refused as busy then costs no query (bench/storm.md).
    pub async fn reserve(&self, claimant: Claimant) -> Result<Reserved<'_>, AuthError> {
        let permit = self
            .pool
            .acquire(claimant, QUEUE_WAIT)
            .await
            .map_err(|_| {
                if let Some(refused) = self.refusals.note() {
                    tracing::warn!(
                        refused,
                        interval_s = BUSY_LOG_INTERVAL.as_secs(),
                        "password hashing saturated: attempts refused as busy since the last such line (at most one per interval)"
                    );
                }
                AuthError::Busy
            })?;
        Ok(Reserved {
            hasher: self,
            permit,
        })
    }

    /// Hashes a new password at the configured cost. Only steps that already proved who the
    /// user is come here, so the job queues in the internal lane.
    pub async fn hash(&self, password: &SecretString) -> Result<String, AuthError> {
        let pw = password::normalize(password.expose());
        let (params, pepper) = (self.params, self.pepper.clone());
        self.blocking(Claimant::internal(), move |ws, pace| {
            password::hash_in(ws, pace, &pw, &params, pepper.as_deref())
        })
        .await?
        .map_err(|e| AuthError::Hash(e.into()))
    }

    /// Counts `runtime` among the serving runtimes that hashing yields to.
    pub fn watch_runtime(&self, runtime: Handle) {
        self.load.watch(runtime);
    }

    /// Jobs waiting in the fair queue for a permit.
    pub fn queued(&self) -> usize {
        self.pool.waiting()
    }

    /// Whether `stored` is weaker than the configured cost (docs/security.md#hash-upgrade).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        password::needs_rehash(stored, &self.params)
    }

    /// Runs `work` on the hashing threads once a permit is held (see [`Hasher::run`]).
    async fn blocking<T: Send + 'static>(
        &self,
        claimant: Claimant,
        work: impl Fn(&mut Workspace, Pace<'_>) -> T + Send + Sync + 'static,
    ) -> Result<T, AuthError> {
        let Reserved { permit, .. } = self.reserve(claimant).await?;
        self.run(permit, work).await
    }

    /// Runs `work` on the hashing threads under `permit`. `work` may run twice (see
    /// src/service/hash_threads.rs); the first answer is the one returned.
    async fn run<T: Send + 'static>(
        &self,
        permit: Permit,
        work: impl Fn(&mut Workspace, Pace<'_>) -> T + Send + Sync + 'static,
    ) -> Result<T, AuthError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // The permit comes back with the answer and is released on the runtime, so that no
        // hashing thread takes the pool's lock that tokio's threads take. Only the courier
        // delivers answers, so only it takes this lock.
        let reply = Arc::new(Mutex::new(Some((tx, permit))));
        self.threads
            .run(Job::new(move |ws: &mut Workspace, pace: Pace<'_>| {
                let out = work(ws, pace);
                let reply = reply.clone();
                Box::new(move || {
                    let taken = reply.lock().unwrap_or_else(PoisonError::into_inner).take();
                    if let Some((tx, permit)) = taken {
                        let _ = tx.send((out, permit));
                    }
                }) as Answer
            }));
        let (out, permit) = rx
            .await
            .map_err(|_| AuthError::Hash("the hashing threads ended".into()))?;
        drop(permit);
        Ok(out)
    }
}

/// A hashing permit held for one verification whose hash is not known yet. Dropped unused
/// (a store error, a client gone), the permit is released to the next waiter in the pool.
pub struct Reserved<'a> {
    hasher: &'a Hasher,
    permit: Permit,
}

impl Reserved<'_> {
    /// Verifies `password` against `stored`, or against the dummy hash when there is no user,
    /// under the permit held.
    pub async fn verify(
        self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, AuthError> {
        let pw = password::normalize(password.expose());
        let known = stored.is_some();
        let stored: String = stored.map_or_else(|| self.hasher.dummy.to_string(), str::to_owned);
        let pepper = self.hasher.pepper.clone();
        let ok = self
            .hasher
            .run(self.permit, move |ws, pace| {
                password::verify_in(ws, pace, &pw, &stored, pepper.as_deref())
            })
            .await?
            .map_err(|e| AuthError::Hash(e.into()))?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn a_spare_hashing_thread_per_core_at_most_one_per_permit() {
        assert_eq!(HashThreads::spares(4, 2), 2);
        assert_eq!(HashThreads::spares(8, 4), 4);
        assert_eq!(HashThreads::spares(2, 16), 2);
        assert_eq!(HashThreads::spares(4, 1), 1);
        assert_eq!(HashThreads::spares(0, 8), 1);
    }

    /// A storm from many clients, each within its share, waits for a permit instead of being
    /// refused at once: every refusal would come back as another attempt (see
    /// `WAITERS_PER_PERMIT`). 32 clients on one core's two permits: with 8 waiters per permit,
    /// 16 were refused at once. The queue stays bounded: beyond 64 per permit, the next is.
    #[tokio::test]
    async fn a_storm_from_many_clients_waits_for_a_permit_rather_than_being_refused() {
        let hasher = Hasher::new(crate::domain::password::OWASP_MIN, None, 2).unwrap();
        let from = |i: u8| Claimant::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, i)), &format!("u{i}"));
        let _running = (
            hasher.reserve(from(1)).await.unwrap(),
            hasher.reserve(from(2)).await.unwrap(),
        );
        let storm: Vec<_> = (3..35)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.reserve(from(i)).await.is_ok() })
            })
            .collect();
        // Refusals are immediate; waiters wait up to QUEUE_WAIT (3 s).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = storm.iter().filter(|t| t.is_finished()).count();
        assert_eq!(
            (refused, hasher.queued()),
            (0, 32),
            "(refused at once, waiting)"
        );
        // Filling the queue to its bound, from as many more clients: the one after is refused.
        let more: Vec<_> = (35..=131)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.reserve(from(i)).await.is_ok() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = more.iter().filter(|t| t.is_finished()).count();
        assert_eq!(
            (refused, hasher.queued()),
            (1, 2 * WAITERS_PER_PERMIT),
            "(refused at once, waiting) with the queue full"
        );
        storm
            .iter()
            .chain(&more)
            .for_each(tokio::task::JoinHandle::abort);
    }

    /// Hashing runs on the dedicated threads, not on tokio's (workers or blocking pool).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_on_the_hash_threads() {
        let hasher = Hasher::new(crate::domain::password::OWASP_MIN, None, 4).unwrap();
        let claimant = Claimant::new(IpAddr::V4(Ipv4Addr::LOCALHOST), "alice");
        let name = hasher
            .blocking(claimant, |_, _| {
                std::thread::current().name().map(str::to_owned)
            })
            .await
            .unwrap();
        assert!(
            name.as_deref()
                .is_some_and(|n| n.starts_with("gatehouse-hash-") || n == "gatehouse-courier"),
            "ran on {name:?}"
        );
    }
}
