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
    /// One lock for the runtimes and the last sample: registering a runtime (at start) and
    /// asking (the courier) each need both, and two locks taken in opposite orders by those two
    /// deadlocked a starting gateway.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    runtimes: Vec<Handle>,
    last: Sample,
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
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.runtimes.iter().any(|r| r.id() == runtime.id()) {
            state.runtimes.push(runtime);
        }
        // The window restarts: the new workers' past does not belong to it.
        state.last = Sample::default();
    }
}

impl State {
    /// The workers' total busy time and their number.
    fn total(&self) -> (Duration, usize) {
        let mut busy = Duration::ZERO;
        let mut workers = 0;
        for runtime in &self.runtimes {
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
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (busy_time, workers) = state.total();
        let last = &mut state.last;
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

    /// A runtime registered (a gateway starting its workers) while the courier asks never
    /// deadlocks: both need the runtimes and the last sample.
    #[test]
    fn watching_while_the_courier_asks_never_deadlocks() {
        let load = std::sync::Arc::new(RuntimeLoad::default());
        let runtimes: Vec<_> = (0..2).map(|_| runtime()).collect();
        let handles: Vec<Handle> = runtimes.iter().map(|rt| rt.handle().clone()).collect();
        let (done, finished) = std::sync::mpsc::channel();
        let until = Instant::now() + Duration::from_millis(500);
        let asker = {
            let (load, done) = (load.clone(), done.clone());
            move || {
                while Instant::now() < until {
                    load.busy();
                }
                let _ = done.send(());
            }
        };
        let watcher = move || {
            for handle in handles.iter().cycle() {
                if Instant::now() >= until {
                    break;
                }
                load.watch(handle.clone());
            }
            let _ = done.send(());
        };
        std::thread::spawn(asker);
        std::thread::spawn(watcher);
        for _ in 0..2 {
            assert!(
                finished.recv_timeout(Duration::from_secs(20)).is_ok(),
                "watch and busy deadlocked"
            );
        }
    }
}
