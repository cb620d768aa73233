//! How busy the runtimes that serve requests are, for the password hashing to yield to them.
//!
//! Each serving runtime is registered once ([`RuntimeLoad::watch`]); tokio counts the time each
//! of its workers spends running tasks. The hashing courier asks [`RuntimeLoad::busy`], which
//! compares that count over the time since it last asked. Nothing is sampled in between, so an
//! idle gateway pays nothing for it.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

/// The workers count as busy when they ran tasks for at least this share of the window.
/// A closed-loop load that saturates the machine keeps them above one half; a gateway
/// answering a few thousand requests per second stays far below.
const BUSY_SHARE: f64 = 0.25;
/// Shorter windows say little: keep the last answer until one has passed.
const MIN_WINDOW: Duration = Duration::from_millis(50);

/// What the hashing courier needs to know about the serving runtimes.
pub trait Load: Send + Sync {
    /// Whether the runtimes have been busy lately.
    fn busy(&self) -> bool;
}

/// The serving runtimes, by their handles.
#[derive(Default)]
pub struct RuntimeLoad {
    runtimes: Mutex<Vec<Handle>>,
    last: Mutex<Sample>,
}

#[derive(Clone, Copy)]
struct Sample {
    at: Option<Instant>,
    busy_time: Duration,
    busy: bool,
}

impl Default for Sample {
    fn default() -> Self {
        Self {
            at: None,
            busy_time: Duration::ZERO,
            busy: false,
        }
    }
}

impl RuntimeLoad {
    /// Counts `runtime`'s workers from now on.
    pub fn watch(&self, runtime: Handle) {
        let mut runtimes = self.runtimes.lock().unwrap_or_else(PoisonError::into_inner);
        if !runtimes.iter().any(|r| r.id() == runtime.id()) {
            runtimes.push(runtime);
        }
        // The window restarts: the new workers' past does not belong to it.
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Sample::default();
    }

    /// The workers' total busy time and their number.
    fn total(&self) -> (Duration, usize) {
        let runtimes = self.runtimes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut busy = Duration::ZERO;
        let mut workers = 0;
        for runtime in runtimes.iter() {
            let metrics = runtime.metrics();
            for worker in 0..metrics.num_workers() {
                busy += metrics.worker_total_busy_duration(worker);
                workers += 1;
            }
        }
        (busy, workers)
    }
}

impl Load for RuntimeLoad {
    fn busy(&self) -> bool {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let (busy_time, workers) = self.total();
        if workers == 0 {
            return false;
        }
        let Some(at) = last.at else {
            *last = Sample {
                at: Some(now),
                busy_time,
                busy: false,
            };
            return false;
        };
        let window = now.saturating_duration_since(at);
        if window < MIN_WINDOW {
            return last.busy;
        }
        #[allow(clippy::cast_precision_loss)] // a few workers
        let share = busy_time.saturating_sub(last.busy_time).as_secs_f64()
            / (window.as_secs_f64() * workers as f64);
        *last = Sample {
            at: Some(now),
            busy_time,
            busy: share >= BUSY_SHARE,
        };
        last.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A runtime spinning on a task is busy; the same runtime parked is not.
    #[test]
    fn busy_while_the_runtime_runs_tasks_and_not_while_it_waits() {
        let load = RuntimeLoad::default();
        assert!(!load.busy(), "nothing watched");
        let rt = runtime();
        load.watch(rt.handle().clone());
        assert!(!load.busy(), "the first question only starts a window");
        // Busy: the runtime's thread runs a task that never yields for the whole window.
        rt.block_on(async {
            tokio::spawn(async {
                let until = Instant::now() + MIN_WINDOW * 3;
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            })
            .await
            .unwrap();
        });
        assert!(load.busy(), "spinning for the whole window");
        // Idle: the runtime waits on a timer.
        rt.block_on(async { tokio::time::sleep(MIN_WINDOW * 3).await });
        assert!(!load.busy(), "parked for the whole window");
    }
}
