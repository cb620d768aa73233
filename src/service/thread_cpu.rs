//! The spare hashing threads and the kernel's scheduler: the priority they run at, and the
//! CPU time they get, by which the courier tells a starved spare thread from a slow one.
//!
//! The hashing courier steps in for a spare thread only when the spare thread is starved
//! (src/service/hash_threads.rs). A spare thread hashing in steps shows its progress step by
//! step, but one hashing at once (begun beside quiet runtimes) shows none until it answers, nor
//! does one still on a job the courier already answered (a hash begun at once cannot stop at a
//! step). Judged by its steps alone, such a thread looked starved as soon as the runtimes got
//! busy, though it was getting the CPU they left idle, and the courier's floor took a worker's
//! core at the start of most login storms (bench/storm.md). Its CPU time says what it gets,
//! whatever it runs: whether it gets any (beside busy runtimes), and what share of a core
//! (beside quiet ones).

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The CPU time a thread of this process (by its kernel thread id) has had so far, if known.
/// Tests stand in their own to play a thread that gets CPU while it does something else.
pub(super) type CpuOf = Arc<dyn Fn(i32) -> Option<Duration> + Send + Sync>;

/// `SCHED_IDLE` for the calling thread. Where it is refused (a seccomp filter, another OS),
/// the thread keeps its priority: hashing then competes with the workers as any thread does.
pub(super) fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        tracing::warn!(error = ?e, "could not run password hashing under SCHED_IDLE; it keeps normal priority");
    }
}

/// The calling thread's kernel id, for [`used`].
pub(super) fn current_tid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

/// The CPU time thread `tid` of this process has had, from the first field of its
/// `/proc/self/task/<tid>/schedstat` (nanoseconds on a CPU). `None` where that is not readable
/// (another OS, a kernel without scheduler statistics, a thread that has ended): the courier
/// then judges by the steps alone.
pub(super) fn used(tid: i32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let ns = text.split_ascii_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// [`used`], as the courier takes it.
pub(super) fn from_kernel() -> CpuOf {
    Arc::new(used)
}

/// The courier's readings of the spare threads' CPU time, by spare thread, on the job each
/// was last handed.
pub(super) struct SpareCpu {
    cpu_of: CpuOf,
    ran: Vec<Ran>,
}

#[derive(Clone, Copy, Default)]
struct Ran {
    handed: Option<Instant>,
    /// The first reading on this job and the last one: when, and the CPU time then.
    first: Option<(Instant, Duration)>,
    last: Option<(Instant, Duration)>,
    /// When a reading last found the CPU time grown.
    grew: Option<Instant>,
}

impl SpareCpu {
    pub(super) fn new(cpu_of: CpuOf, spares: usize) -> Self {
        Self {
            cpu_of,
            ran: vec![Ran::default(); spares],
        }
    }

    /// Spare thread `spare` was handed a job `at`: the readings start again, since what it
    /// ran before belongs to another job.
    pub(super) fn handed(&mut self, spare: usize, at: Instant) {
        self.ran[spare] = Ran {
            handed: Some(at),
            ..Ran::default()
        };
    }

    /// Reads the CPU time of spare thread `spare` (kernel id `tid`, once it has started). The
    /// first reading after a hand-over is the baseline; growth found `now` happened since the
    /// last reading.
    pub(super) fn read(&mut self, spare: usize, tid: Option<i32>, now: Instant) {
        let Some(cpu) = tid.and_then(|tid| (self.cpu_of)(tid)) else {
            return;
        };
        let ran = &mut self.ran[spare];
        if let Some((_, before)) = ran.last
            && cpu > before
        {
            ran.grew = Some(now);
        }
        ran.first = ran.first.or(Some((now, cpu)));
        ran.last = Some((now, cpu));
    }

    /// The share of a core spare thread `spare` has had on its job, between the first reading
    /// after the hand-over and the last: `Ok(None)` where its CPU time cannot be read,
    /// `Err(at)` while those readings are less than `window` apart (`at`: when they can be).
    pub(super) fn share(&self, spare: usize, window: Duration) -> Result<Option<f64>, Instant> {
        let Some(ran) = self.ran.get(spare) else {
            return Ok(None);
        };
        let (Some((since, from)), Some((at, to))) = (ran.first, ran.last) else {
            return Ok(None);
        };
        let wall = at.saturating_duration_since(since);
        if wall < window {
            return Err(since + window);
        }
        Ok(Some(
            to.saturating_sub(from).as_secs_f64() / wall.as_secs_f64(),
        ))
    }

    /// When spare thread `spare` was last handed a job, if ever.
    pub(super) fn handed_at(&self, spare: usize) -> Option<Instant> {
        self.ran.get(spare)?.handed
    }

    /// When spare thread `spare` was last found getting CPU on that job, if it was.
    pub(super) fn grew(&self, spare: usize) -> Option<Instant> {
        self.ran.get(spare)?.grew
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread that works has its CPU time grow; one parked does not.
    #[test]
    fn cpu_time_grows_while_a_thread_works_and_not_while_it_is_parked() {
        let me = current_tid();
        let before = used(me).expect("this thread's schedstat is readable");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Other tests may hold the cores: spin until the scheduler gave this thread some CPU.
        while used(me).unwrap() <= before {
            assert!(
                Instant::now() < deadline,
                "no CPU time counted in 10 s of spinning"
            );
            std::hint::spin_loop();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let parked = {
            let done = done.clone();
            std::thread::spawn(move || {
                tx.send(current_tid()).unwrap();
                // `park` may return spuriously: the thread must live until the test is done.
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::park();
                }
            })
        };
        let tid = rx.recv().unwrap();
        // Once it is asleep, nothing runs on it: its count stays put over a window. On a busy
        // machine it may still be on its way to `park` in the first windows, so it has ten.
        let mut readings = Vec::new();
        for _ in 0..10 {
            let before = used(tid).expect("the parked thread's schedstat is readable");
            std::thread::sleep(Duration::from_millis(100));
            let after = used(tid).expect("the parked thread's schedstat is readable");
            readings.push((before, after));
            if after == before {
                break;
            }
        }
        assert!(
            readings.iter().any(|(before, after)| before == after),
            "a parked thread got CPU in every window: {readings:?}"
        );
        done.store(true, std::sync::atomic::Ordering::Release);
        parked.thread().unpark();
        parked.join().unwrap();
    }
}
