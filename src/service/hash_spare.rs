//! A spare hashing thread's loop (src/service/hash_threads.rs says who runs what, and why).

use std::ops::ControlFlow;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{KEEP_MEMORY, STEP_BLOCKS, STEP_REST, Shared, Slot};
use crate::domain::argon2_memory::Workspace;
use crate::domain::password::Pace;
use crate::service::thread_cpu;

/// A spare thread: runs the jobs handed to it, at the lowest priority.
pub(super) fn run(slot: &Slot, shared: &Shared) {
    thread_cpu::lower_priority();
    let _ = slot.tid.set(thread_cpu::current_tid());
    let mut ws = Workspace::new();
    let mut idle_since = Instant::now();
    loop {
        let job = slot
            .job
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(job) = job {
            if !job.delivered.load(Ordering::Acquire) {
                let mut given_up = false;
                let answer = if shared.busy.load(Ordering::Acquire) {
                    // Beside busy runtimes, in steps with a rest after each while they stay
                    // busy: see the module's doc for why idle priority alone is not enough.
                    let mut rest = || {
                        let ns = u64::try_from(job.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        job.stepped_ns.store(ns.max(1), Ordering::Release);
                        // Answered by the courier meanwhile: the rest of this hash would be
                        // for nothing, and the jobs waiting could use the CPU it gets.
                        if job.delivered.load(Ordering::Acquire) {
                            given_up = true;
                            return ControlFlow::Break(());
                        }
                        if shared.busy.load(Ordering::Acquire) {
                            std::thread::sleep(STEP_REST);
                        }
                        ControlFlow::Continue(())
                    };
                    let pace = Pace::Steps {
                        blocks: STEP_BLOCKS,
                        pause: &mut rest,
                    };
                    (job.work)(&mut ws, pace)
                } else {
                    (job.work)(&mut ws, Pace::AtOnce)
                };
                // A job given up was delivered: what it answered (an error) goes nowhere.
                if !given_up {
                    *job.answered.lock().unwrap_or_else(PoisonError::into_inner) = Some(answer);
                }
            }
            slot.busy.store(false, Ordering::Release);
            drop(job);
            shared.wake_courier();
            idle_since = Instant::now();
            continue;
        }
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        let idle = idle_since.elapsed();
        if idle >= KEEP_MEMORY {
            ws.release();
        }
        // Holding nothing, the thread sleeps until it is handed a job: no idle wake-ups.
        if ws.is_held() {
            std::thread::park_timeout(KEEP_MEMORY.saturating_sub(idle));
        } else {
            std::thread::park();
        }
    }
}
