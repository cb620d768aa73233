//! Password hashing off the reactor: argon2id on its own threads behind a fair queue.
//!
//! Each verification costs ~45 ms and 19+ MiB, so at most `max_concurrent` run at once. Jobs
//! wait in [`HashPool`], which caps what one client address or one account may hold and serves
//! clients in turn, for at most `QUEUE_WAIT`; anything beyond is refused as busy instead of
//! queueing without bound. Forward-auth and proxying never come here.
//!
//! A job that holds a permit runs on [`HashThreads`]: one thread fewer than there are cores
//! (at least one, at most one per permit). On tokio's blocking pool, a login storm ran one
//! argon2 thread per permit (2 per core) next to the runtime's workers, proxied requests
//! waited for a core, and every blocking thread kept its own malloc arena full of argon2
//! blocks (800+ MiB resident); here a core is always left to proxying. Each thread keeps its
//! argon2 memory between jobs ([`Workspace`]): a hash allocates nothing and takes no lock the
//! runtime needs, and the memory goes back to the OS after `KEEP_MEMORY` idle.
//!
//! The threads run at normal priority. At nice 19 a login storm still doubled proxied p99 (the
//! scheduler lets a running hash finish its time slice before a woken worker runs). Under
//! `SCHED_IDLE` a worker takes the core back at once and p99 rose far less, but a hash then
//! runs only on a core nothing else on the machine wants: with the host busy (here, the test
//! suite's other tests) an admitted sign-in waited past 30 s, with no bound. Measurements in
//! bench/storm.md.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::AuthError;
use super::hash_pool::{Claimant, HashPool, PoolLimits};
use crate::domain::argon2_memory::Workspace;
use crate::domain::password::{self, HashParams};
use crate::domain::secret::SecretString;

/// Longest wait for a hashing permit before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);
/// How many requests may wait per hashing permit.
const WAITERS_PER_PERMIT: usize = 8;
/// How long an idle hashing thread keeps argon2's memory for the next job before it gives it
/// back to the OS (src/domain/argon2_memory.rs).
const KEEP_MEMORY: Duration = Duration::from_secs(2);

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Arc<[u8]>>,
    /// The permits and the fair queue in front of them.
    pool: HashPool,
    /// Where a job runs once it holds a permit.
    threads: HashThreads,
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
            threads: HashThreads::start(max_concurrent)?,
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
            .blocking(claimant, move |ws| {
                password::verify_in(ws, &pw, &stored, pepper.as_deref())
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
        self.blocking(Claimant::internal(), move |ws| {
            password::hash_in(ws, &pw, &params, pepper.as_deref())
        })
        .await?
        .map_err(|e| AuthError::Hash(e.into()))
    }

    /// Jobs waiting in the fair queue for a permit.
    pub fn queued(&self) -> usize {
        self.pool.waiting()
    }

    /// Whether `stored` is weaker than the configured cost (docs/security.md#hash-upgrade).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        password::needs_rehash(stored, &self.params)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        claimant: Claimant,
        work: impl FnOnce(&mut Workspace) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = self
            .pool
            .acquire(claimant, QUEUE_WAIT)
            .await
            .map_err(|_| AuthError::Busy)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.threads.run(Box::new(move |ws: &mut Workspace| {
            // The permit comes back with the result and is released on the runtime, so that
            // the hashing thread does not take the pool's lock that tokio's threads take. If
            // the request has gone, it is released here.
            let _ = tx.send((work(ws), permit));
        }))?;
        let (out, permit) = rx
            .await
            .map_err(|_| AuthError::Hash("a hashing thread ended".into()))?;
        drop(permit);
        Ok(out)
    }
}

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// Threads that only hash passwords, apart from tokio's. They end when the last [`Hasher`]
/// clone is dropped.
#[derive(Clone)]
struct HashThreads {
    jobs: SyncSender<Job>,
}

impl HashThreads {
    /// `max(1, min(permits, cores - 1))` threads. The queue holds a job per permit: a job is
    /// only sent while its permit is held, so it is never full.
    fn start(permits: usize) -> Result<Self, AuthError> {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let count = Self::count(permits, cores);
        let (jobs, queue) = sync_channel::<Job>(permits.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..count {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{i}"))
                .spawn(move || Self::work(&queue))
                .map_err(|e| AuthError::Hash(e.into()))?;
        }
        Ok(Self { jobs })
    }

    /// One thread fewer than the cores, so that a core is always left to the runtime; never
    /// more than the permits (they would idle), and at least one.
    fn count(permits: usize, cores: usize) -> usize {
        permits.min(cores.saturating_sub(1)).max(1)
    }

    fn work(queue: &Mutex<Receiver<Job>>) {
        let mut ws = Workspace::new();
        loop {
            let job = {
                let queue = queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                // Always with a timeout, even holding no memory: a thread waiting forever
                // here would keep the lock from the others, which then could not release
                // theirs. An idle thread wakes once per `KEEP_MEMORY`.
                match queue.recv_timeout(KEEP_MEMORY) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        ws.release();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            };
            job(&mut ws);
        }
    }

    fn run(&self, job: Job) -> Result<(), AuthError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => AuthError::Busy,
            TrySendError::Disconnected(_) => AuthError::Hash("the hashing threads ended".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn hashing_leaves_a_core_to_the_runtime() {
        assert_eq!(HashThreads::count(4, 2), 1);
        assert_eq!(HashThreads::count(8, 4), 3);
        assert_eq!(HashThreads::count(2, 16), 2);
        assert_eq!(HashThreads::count(4, 1), 1);
        assert_eq!(HashThreads::count(0, 8), 1);
    }

    /// Hashing runs on the dedicated threads, not on tokio's (workers or blocking pool).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_on_the_hash_threads() {
        let hasher = Hasher::new(crate::domain::password::OWASP_MIN, None, 4).unwrap();
        let claimant = Claimant::new(IpAddr::V4(Ipv4Addr::LOCALHOST), "alice");
        let name = hasher
            .blocking(claimant, |_| {
                std::thread::current().name().map(str::to_owned)
            })
            .await
            .unwrap();
        assert!(
            name.as_deref()
                .is_some_and(|n| n.starts_with("gatehouse-hash-")),
            "ran on {name:?}"
        );
    }

    /// A hashing thread keeps argon2's memory for the next job and gives it back when idle.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_memory_is_kept_between_jobs_and_released_when_idle() {
        let hasher = Hasher::new(crate::domain::password::OWASP_MIN, None, 1).unwrap();
        let claimant = || Claimant::new(IpAddr::V4(Ipv4Addr::LOCALHOST), "alice");
        let held = || hasher.blocking(claimant(), |ws| ws.is_held());
        hasher
            .hash(&SecretString::from("pw".to_owned()))
            .await
            .unwrap();
        assert!(held().await.unwrap(), "kept right after a hash");
        tokio::time::sleep(KEEP_MEMORY + Duration::from_millis(500)).await;
        assert!(
            !held().await.unwrap(),
            "released after {KEEP_MEMORY:?} idle"
        );
    }
}
