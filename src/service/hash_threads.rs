//! Where a password hash runs, so that hashing never starves the runtime that proxies.
//!
//! A hash (argon2id, ~15–45 ms of CPU) runs first on a *spare* thread under `SCHED_IDLE`: it
//! uses only CPU that nothing else on the machine wants, and any woken thread, a serving worker
//! above all, takes its core back at once. Lower priorities do not do that: at nice 19 the
//! scheduler lets a running hash finish its time slice first, and a login storm doubled the
//! proxied p99 (bench/storm.md).
//!
//! Idle priority alone is not enough beside a worker that never sleeps: Linux's scheduler
//! (EEVDF) still gives an idle-priority thread its small share, a whole tick at a time (up to
//! 4 ms), while the worker waits runnable; a `sched_yield` between steps does not hand the core
//! back. So while the serving runtimes are busy ([`Load`]), a spare thread hashes in steps of
//! [`STEP_BLOCKS`] too, and sleeps [`STEP_REST`] after each: it holds the core for one step at
//! most. Beside a saturated core that takes the spare threads from about 45 to 15 ms of CPU a
//! second, which the sign-ins barely notice: they got little beside such a load anyway
//! (bench/storm.md). Beside quiet runtimes a spare thread hashes at once, with the `argon2`
//! crate, which is faster than the stepped code. The spare threads read the load from a flag
//! the courier sets each time it asks ([`Load`] takes a lock they may not take).
//!
//! A thread cannot leave `SCHED_IDLE` without privileges, so progress is guaranteed by a
//! second thread at normal priority, the *courier*. It hands jobs to the spare threads,
//! delivers their answers, and runs a job itself once the job is overdue (not answered
//! `grace` after it arrived: the CPU is wanted elsewhere):
//! - while the serving runtimes are not busy ([`Load`]), once the spare thread on the job (or,
//!   for a job waiting for one, every spare thread on a job) has had less than [`HALF_CORE`]
//!   since it took its job, and that for [`SETTLE`]: the CPU is taken by other programs, and a
//!   sign-in competes with them like any program (one core at most). A spare thread with more
//!   ends its job within twice a hash's time, and a courier hashing beside it at normal
//!   priority only takes the same CPU, in one piece (~50 ms): when a proxied load arrived in
//!   the middle of such a hash, the worker shared its core with the courier to the end of it,
//!   and a login storm's proxied p99 read 1.8–3.4 times the quiet one (bench/storm.md). The
//!   settling time lets a load that has just arrived, and slowed the spare threads, show in
//!   [`Load`], so that the rules for busy runtimes apply to it;
//! - while they are busy, only once the spare threads are starved, not merely slow: a spare
//!   thread has had no CPU and finished no step of its job for [`STALLED`] (a program at normal
//!   priority fills the core), or has held the job for [`PATIENCE`], or jobs wait while every
//!   spare thread, getting no CPU, is still on a job already answered. Its CPU time comes from
//!   the kernel (src/service/thread_cpu.rs): a job begun at once shows no steps. Beside a
//!   runtime that leaves a core partly idle, even a few percent of it, the spare threads hash
//!   on that idle part at their own pace, and the courier stays out of the worker's way: at
//!   30,000 proxied requests a second on one core, a login storm's floor had the worker wait
//!   for its core three times as long; beside wrk's closed loop, a patience of at most 1 s had
//!   the floor run all through a storm for no more sign-ins, and judging a spare thread by its
//!   steps alone set the floor off at the start of most storms, each time with the worker
//!   waiting for its core about twice as long (bench/storm.md);
//! - and then in steps: [`STEP_BLOCKS`] blocks at a time with a rest of
//!   [`STEP_REST`] after each (src/domain/argon2_steps.rs), and the next one no sooner than
//!   [`FLOOR_EVERY`] after. A worker that wants the core back waits for one step (~12 µs), not
//!   for a scheduler slice of a whole hash: run in one piece, this floor alone took a login
//!   storm's proxied p99 from 0.3 to 3 ms on one core (bench/storm.md). Between steps the
//!   courier goes on with its rounds (new jobs, the spare threads' answers). A login storm over a
//!   saturating proxy load gets that floor and whatever the spare threads find, and the
//!   sign-ins beyond it wait in the fair queue and are then refused as busy
//!   ([`super::hasher`]).
//!
//! A job the courier runs may still be on a spare thread, and the first answer is the one
//! delivered. Whichever of the two hashes in steps gives the job up at its next pause once the
//! other has answered: the courier, because its steps take a busy worker's core; a spare
//! thread, because the CPU it gets beside busy runtimes is scarce and a storm's jobs wait for
//! it. A spare thread hashing at once (beside quiet runtimes) finishes the job for nothing, on
//! CPU nobody wanted. Jobs are pure (verify, or hash with a fresh salt), so running one twice
//! changes nothing.
//!
//! A thread that the scheduler may leave waiting must hold no lock that a serving worker or
//! the courier waits for: a spare thread only shares locks the courier merely tries
//! (`try_lock`), and wakes the courier by `unpark`; it never touches the runtime's queues (the
//! courier sends every answer) or the hashing pool.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::AuthError;
use super::runtime_load::Load;
use super::thread_cpu::{self, CpuOf, SpareCpu};
use crate::domain::argon2_memory::Workspace;
use crate::domain::password::Pace;

/// While the serving runtimes are busy, the courier starts a hash no sooner than this after
/// the last one ended: a floor for sign-ins of about one per 2.3 s under a load that fills the
/// core (a stepped hash takes about 1.3 s).
pub(super) const FLOOR_EVERY: Duration = Duration::from_secs(1);
/// The floor's hash runs this many blocks (1 KiB each, about 12 µs of CPU together on an idle
/// core of the development machine, 1.4 times the crate's time for them) at a time…
pub(super) const STEP_BLOCKS: usize = 32;
/// …and rests this long after each step while the runtimes stay busy: 1–2 % of one core,
/// in slices short enough that a worker waiting for the core waits no longer than one step. A
/// hash at the default cost then takes about 1.3 s (bench/storm.md).
pub(super) const STEP_REST: Duration = Duration::from_millis(1);
/// How long an idle hashing thread keeps argon2's memory for the next job before it gives it
/// back to the OS (src/domain/argon2_memory.rs).
pub(super) const KEEP_MEMORY: Duration = Duration::from_secs(2);
/// While a spare thread is on a job, the courier looks at the runtimes' load at least this
/// often: a spare thread hashing in steps stops resting soon after the runtimes calm down, and
/// its next job starts from a recent look. (A job started beside quiet runtimes runs at once to
/// its end, one crate hash, even if they get busy meanwhile.)
const LOOK_EVERY: Duration = Duration::from_millis(50);
/// Beside quiet runtimes, a spare thread that has had at least this share of a core since it
/// took its job is getting on, and the courier leaves the job to it (see the module's doc).
pub(super) const HALF_CORE: f64 = 0.5;
/// The shortest time over which a spare thread's share of a core is judged.
const SHARE_WINDOW: Duration = Duration::from_millis(20);
/// Beside quiet runtimes, how long the spare threads must have been slow before the courier
/// takes a job: a spare thread also slows down when a proxied load arrives, which the
/// runtimes' load shows only after a window or two of it (50 ms each, src/service/
/// runtime_load.rs), and a courier that took the job meanwhile hashed it in one piece beside
/// the worker. While the spare threads stay slow, the courier takes the next jobs at once.
pub(super) const SETTLE: Duration = Duration::from_millis(150);
/// The bounds of a job's grace (twice the hash's measured time).
const GRACE_BOUNDS: (Duration, Duration) = (Duration::from_millis(20), Duration::from_secs(1));
/// Beside busy runtimes, a spare thread that had no CPU and finished no step of its job for
/// this long is starved, and the courier's floor takes the job. Beside wrk's closed loop on its
/// core, a spare thread gets CPU and finishes a step every few milliseconds (bench/storm.md).
/// Where its CPU time cannot be read, a job begun at once (no steps to show) counts as stalled
/// once it has run this long beside busy runtimes.
pub(super) const STALLED: Duration = Duration::from_millis(250);
/// The longest a spare thread that is getting on keeps a job beside busy runtimes before the
/// floor takes it too: a stepped hash on a spare thread beside a saturating load takes
/// seconds, and one that gets a step in just under every [`STALLED`] would take minutes.
pub(super) const PATIENCE: Duration = Duration::from_secs(5);

/// What a job leaves to deliver: run by the courier, once.
pub(super) type Answer = Box<dyn FnOnce() + Send>;
type Work = Box<dyn Fn(&mut Workspace, Pace<'_>) -> Answer + Send + Sync>;

/// One hash, which may run on two threads, and its one answer.
pub(super) struct Job {
    work: Work,
    /// A spare thread's answer, left for the courier.
    answered: Mutex<Option<Answer>>,
    /// Set once the answer is delivered: a spare thread that has not started skips the job.
    delivered: AtomicBool,
    since: Instant,
    /// When a spare thread last finished a step of this job, in nanoseconds after `since` (0:
    /// none yet): whether it gets CPU at all.
    stepped_ns: AtomicU64,
}

impl Job {
    pub(super) fn new(
        work: impl Fn(&mut Workspace, Pace<'_>) -> Answer + Send + Sync + 'static,
    ) -> Self {
        Self {
            work: Box::new(work),
            answered: Mutex::new(None),
            delivered: AtomicBool::new(false),
            since: Instant::now(),
            stepped_ns: AtomicU64::new(0),
        }
    }

    /// When a spare thread last finished a step of this job, if it has.
    fn stepped(&self) -> Option<Instant> {
        match self.stepped_ns.load(Ordering::Acquire) {
            0 => None,
            ns => Some(self.since + Duration::from_nanos(ns)),
        }
    }
}

/// What the runtime, the courier and the spare threads share.
struct Shared {
    /// Jobs not yet seen by the courier. Only the runtime and the courier take this lock, and
    /// both run at normal priority.
    inbox: Mutex<VecDeque<Arc<Job>>>,
    closed: AtomicBool,
    courier: OnceLock<Thread>,
    /// Whether the serving runtimes were busy when the courier last looked: spare threads read
    /// it, because they may not take the lock that asking [`Load`] takes.
    busy: AtomicBool,
}

impl Shared {
    fn wake_courier(&self) {
        if let Some(courier) = self.courier.get() {
            courier.unpark();
        }
    }
}

/// A spare thread's mailbox.
#[derive(Default)]
struct Slot {
    /// The job the courier handed over.
    job: Mutex<Option<Arc<Job>>>,
    /// On a job (set by the courier when it hands one over, cleared by the thread).
    busy: AtomicBool,
    /// The thread's kernel id, set as it starts: the courier reads its CPU time.
    tid: OnceLock<i32>,
}

/// The hashing threads. They end when the last clone is dropped.
#[derive(Clone)]
pub(super) struct HashThreads {
    shared: Arc<Shared>,
    _close: Arc<CloseOnDrop>,
}

struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.wake_courier();
    }
}

impl HashThreads {
    /// `spares` threads under `SCHED_IDLE` (see [`Self::spares`]) and the courier; `expected`
    /// is one hash's time on an idle core, which sets the grace.
    pub(super) fn start(
        permits: usize,
        expected: Duration,
        load: Arc<dyn Load>,
    ) -> Result<Self, AuthError> {
        Self::start_with(permits, expected, load, thread_cpu::from_kernel())
    }

    /// [`Self::start`], reading the spare threads' CPU time with `cpu_of`.
    fn start_with(
        permits: usize,
        expected: Duration,
        load: Arc<dyn Load>,
        cpu_of: CpuOf,
    ) -> Result<Self, AuthError> {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let shared = Arc::new(Shared {
            inbox: Mutex::new(VecDeque::new()),
            closed: AtomicBool::new(false),
            courier: OnceLock::new(),
            busy: AtomicBool::new(false),
        });
        let spawn = |name: String, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(body)
                .map_err(|e| AuthError::Hash(e.into()))
        };
        let mut spares = Vec::new();
        for i in 0..Self::spares(permits, cores) {
            let slot = Arc::new(Slot::default());
            let (mine, shared) = (slot.clone(), shared.clone());
            let thread = spawn(
                format!("gatehouse-hash-{i}"),
                Box::new(move || spare_thread::run(&mine, &shared)),
            )?;
            spares.push((slot, thread.thread().clone()));
        }
        let courier = Courier {
            shared: shared.clone(),
            cpu: SpareCpu::new(cpu_of, spares.len()),
            spares,
            load,
            grace: (expected * 2).clamp(GRACE_BOUNDS.0, GRACE_BOUNDS.1),
            pending: Vec::new(),
            next_floor: Instant::now(),
            slow_since: None,
            ws: Workspace::new(),
            last_hash: Instant::now(),
        };
        let thread = spawn("gatehouse-courier".into(), Box::new(move || courier.run()))?;
        let _ = shared.courier.set(thread.thread().clone());
        Ok(Self {
            _close: Arc::new(CloseOnDrop(shared.clone())),
            shared,
        })
    }

    /// One spare thread per core, never more than the permits (they would idle), at least one.
    /// Under `SCHED_IDLE` they may take every core: they only get what nothing else wants.
    pub(super) fn spares(permits: usize, cores: usize) -> usize {
        permits.min(cores).max(1)
    }

    /// Queues a job; the caller holds a hashing permit, so the queue is bounded by the pool.
    pub(super) fn run(&self, job: Job) {
        self.shared
            .inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(Arc::new(job));
        self.shared.wake_courier();
    }
}

/// A job the courier has seen, and which spare thread has it since when.
struct Pending {
    job: Arc<Job>,
    on_spare: Option<(usize, Instant)>,
}

struct Courier {
    shared: Arc<Shared>,
    spares: Vec<(Arc<Slot>, Thread)>,
    /// The spare threads' CPU time, by their index.
    cpu: SpareCpu,
    load: Arc<dyn Load>,
    grace: Duration,
    pending: Vec<Pending>,
    /// While the runtimes are busy, the courier hashes no sooner than this.
    next_floor: Instant,
    /// Beside quiet runtimes, since when the spare threads have been slow, if they are.
    slow_since: Option<Instant>,
    ws: Workspace,
    last_hash: Instant,
}

impl Courier {
    fn run(mut self) {
        loop {
            look(&*self.load, &self.shared);
            tend(&self.shared, &self.spares, &mut self.pending, &mut self.cpu);
            self.read_cpu();
            let mut wake = self.run_overdue();
            if self
                .spares
                .iter()
                .any(|(slot, _)| slot.busy.load(Ordering::Acquire))
            {
                let next = Instant::now() + LOOK_EVERY;
                wake = Some(wake.map_or(next, |at| at.min(next)));
            }
            if self.shared.closed.load(Ordering::Acquire) && self.pending.is_empty() {
                for (_, thread) in &self.spares {
                    thread.unpark();
                }
                return;
            }
            let idle = self.last_hash.elapsed();
            if idle >= KEEP_MEMORY {
                self.ws.release();
            }
            match wake {
                Some(at) => std::thread::park_timeout(at.saturating_duration_since(Instant::now())),
                None if self.ws.is_held() => {
                    std::thread::park_timeout(KEEP_MEMORY.saturating_sub(idle));
                }
                // Nothing pending and nothing held: asleep until a job or the end.
                None => std::thread::park(),
            }
        }
    }

    /// Runs the oldest overdue job here when the policy allows; returns when to look again.
    fn run_overdue(&mut self) -> Option<Instant> {
        let oldest = self.pending.iter().map(|p| p.job.since).min()?;
        let due = oldest + self.grace;
        let now = Instant::now();
        if now < due {
            return Some(due);
        }
        let i = self
            .pending
            .iter()
            .position(|p| p.job.since == oldest)
            .unwrap_or_default();
        let busy = look(&*self.load, &self.shared);
        if busy {
            self.slow_since = None;
            if let Err(next) = self.starved(now) {
                // The spare threads are getting on: look again when one would be starved, or
                // sooner if the runtimes calm down.
                return Some(next.min(now + self.grace));
            }
            if now < self.next_floor {
                // Look again at the floor, or sooner if the runtimes calm down.
                return Some(self.next_floor.min(now + self.grace));
            }
        } else {
            match self.slow(&self.pending[i], now) {
                // A spare thread with most of a core ends the job soon: look again shortly.
                Err(next) => {
                    self.slow_since = None;
                    return Some(next);
                }
                // Slow, but perhaps because a load has just arrived that the runtimes' load
                // does not show yet: it does after a window or two (see `SETTLE`).
                Ok(()) => {
                    let since = *self.slow_since.get_or_insert(now);
                    if now < since + SETTLE {
                        return Some(since + SETTLE);
                    }
                }
            }
        }
        let job = self.pending.swap_remove(i).job;
        let answer = if busy {
            // Beside the busy runtime: a few blocks at a time, resting between them while the
            // runtime stays busy, so that a worker never waits for more than one step.
            // Between steps the courier also does its usual rounds, so that the spare threads'
            // answers and new jobs do not wait for the end of this hash (about 1.3 s).
            let (load, shared, spares, pending, cpu) = (
                &self.load,
                &self.shared,
                &self.spares,
                &mut self.pending,
                &mut self.cpu,
            );
            let mut spares_answer = None;
            let mut pause = || {
                tend(shared, spares, pending, cpu);
                // The spare thread that also had this job answered it meanwhile: that answer
                // is the one delivered, and the rest of this hash would take the worker's
                // core for nothing. Only tried, as every lock a spare thread takes.
                if let Ok(mut answered) = job.answered.try_lock()
                    && let Some(answer) = answered.take()
                {
                    spares_answer = Some(answer);
                    return ControlFlow::Break(());
                }
                if look(&**load, shared) {
                    std::thread::sleep(STEP_REST);
                }
                ControlFlow::Continue(())
            };
            let pace = Pace::Steps {
                blocks: STEP_BLOCKS,
                pause: &mut pause,
            };
            let ours = (job.work)(&mut self.ws, pace);
            // Given up, the courier's own answer is an error that goes nowhere.
            spares_answer.unwrap_or(ours)
        } else {
            (job.work)(&mut self.ws, Pace::AtOnce)
        };
        job.delivered.store(true, Ordering::Release);
        answer();
        self.last_hash = Instant::now();
        if busy {
            self.next_floor = self.last_hash + FLOOR_EVERY;
        }
        Some(Instant::now())
    }

    /// Reads the CPU time of the spare threads on a job, each round (so at least every
    /// [`LOOK_EVERY`]), which bounds how stale a stall can look.
    fn read_cpu(&mut self) {
        let now = Instant::now();
        for (i, (slot, _)) in self.spares.iter().enumerate() {
            if slot.busy.load(Ordering::Acquire) {
                self.cpu.read(i, slot.tid.get().copied(), now);
            }
        }
    }

    /// When spare thread `spare`, handed its job at `handed`, counts as starved: stalled (no
    /// CPU and no step since it was handed the job, or since the last of either), or on the job
    /// too long.
    fn starved_at(&self, spare: usize, handed: Instant, stepped: Option<Instant>) -> Instant {
        let got_on = [stepped, self.cpu.grew(spare)]
            .into_iter()
            .flatten()
            .fold(handed, Instant::max);
        (got_on + STALLED).min(handed + PATIENCE)
    }

    /// Beside quiet runtimes: `Ok` when overdue job `p` is the courier's, because the spare
    /// thread on it (or, for a job waiting for one, every spare thread on a job) has had less
    /// than [`HALF_CORE`] since it took its job, or its CPU time cannot be read; else when to
    /// look again.
    fn slow(&self, p: &Pending, now: Instant) -> Result<(), Instant> {
        let judged = (0..self.spares.len()).filter(|&i| match p.on_spare {
            Some((on, _)) => i == on,
            None => self.spares[i].0.busy.load(Ordering::Acquire),
        });
        let mut later: Option<Instant> = None;
        for i in judged {
            match self.cpu.share(i, SHARE_WINDOW) {
                Ok(Some(share)) if share >= HALF_CORE => return Err(now + LOOK_EVERY),
                Ok(_) => {}
                // Too soon to tell: look again once it is not.
                Err(at) => later = Some(later.map_or(at, |t| t.min(at))),
            }
        }
        later.map_or(Ok(()), Err)
    }

    /// Beside busy runtimes: `Ok` when the spare threads are starved (see the module's doc),
    /// else when to look again.
    fn starved(&self, now: Instant) -> Result<(), Instant> {
        let held = self.pending.iter().filter_map(|p| {
            let (spare, handed) = p.on_spare?;
            Some(self.starved_at(spare, handed, p.job.stepped()))
        });
        let at = match held.min() {
            Some(at) => at,
            // Nothing on a spare thread: a free one takes a job at the next round.
            None if self
                .spares
                .iter()
                .any(|(slot, _)| !slot.busy.load(Ordering::Acquire)) =>
            {
                return Err(now + self.grace);
            }
            // Every spare thread is still on a job the courier already answered (begun at
            // once, so not given up at a step): a job waits until one of them ends, which it
            // does soon if it gets CPU. Starved only once none of them does.
            None => (0..self.spares.len())
                .filter_map(|i| Some(self.starved_at(i, self.cpu.handed_at(i)?, None)))
                .max()
                .unwrap_or(now),
        };
        if now < at { Err(at) } else { Ok(()) }
    }
}

/// Asks whether the serving runtimes are busy, and publishes the answer for the spare threads.
fn look(load: &dyn Load, shared: &Shared) -> bool {
    let busy = load.busy();
    shared.busy.store(busy, Ordering::Release);
    busy
}

/// The courier's rounds: takes the jobs that arrived, delivers what the spare threads have
/// answered, and gives the jobs no spare thread has to the free ones.
fn tend(
    shared: &Shared,
    spares: &[(Arc<Slot>, Thread)],
    pending: &mut Vec<Pending>,
    cpu: &mut SpareCpu,
) {
    let arrived: Vec<_> = shared
        .inbox
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain(..)
        .collect();
    pending.extend(arrived.into_iter().map(|job| Pending {
        job,
        on_spare: None,
    }));
    deliver_answers(pending);
    hand_out(spares, pending, cpu);
}

/// Delivers what the spare threads have answered.
fn deliver_answers(pending: &mut Vec<Pending>) {
    pending.retain(|p| {
        // Only tried: a spare thread holds this lock for an instant, but the scheduler may
        // leave it waiting inside that instant.
        let answer = match p.job.answered.try_lock() {
            Ok(mut answered) => answered.take(),
            Err(_) => None,
        };
        match answer {
            Some(answer) => {
                p.job.delivered.store(true, Ordering::Release);
                answer();
                false
            }
            None => true,
        }
    });
}

/// Gives the jobs no spare thread has to the free spare threads, oldest first.
fn hand_out(spares: &[(Arc<Slot>, Thread)], pending: &mut [Pending], cpu: &mut SpareCpu) {
    let mut free = spares
        .iter()
        .enumerate()
        .filter(|(_, (slot, _))| !slot.busy.load(Ordering::Acquire));
    for p in pending.iter_mut().filter(|p| p.on_spare.is_none()) {
        let Some((i, (slot, thread))) = free.next() else {
            return;
        };
        let Ok(mut mailbox) = slot.job.try_lock() else {
            continue;
        };
        slot.busy.store(true, Ordering::Release);
        *mailbox = Some(p.job.clone());
        drop(mailbox);
        let now = Instant::now();
        p.on_spare = Some((i, now));
        cpu.handed(i, now);
        thread.unpark();
    }
}

#[path = "hash_spare.rs"]
mod spare_thread;

#[cfg(test)]
#[path = "hash_threads_cpu_tests.rs"]
mod cpu_tests;
#[cfg(test)]
#[path = "hash_threads_tests.rs"]
mod tests;
