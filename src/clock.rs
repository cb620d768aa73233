//! The one source of the current time: `SystemClock` in every binary, `ManualClock` in tests.
//!
//! The edge (`http::entry` for a request, the CLI for a command) reads a `Clock` once and passes
//! the value down as `now` (Unix seconds); services, stores and the domain never read a clock
//! themselves, so every time-dependent rule can be tested by setting the time instead of
//! sleeping. Monotonic timers for caches and background work (`Instant`) are not wall time
//! and stay where they are.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the current time comes from.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time in Unix seconds.
    fn now(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that stands still until it is set or advanced; clones share the same time, so a
/// test keeps one and hands another to the app.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock stopped at `now` (Unix seconds).
    pub fn at(now: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    /// A clock stopped at the current wall time.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward by `secs` (backward when negative).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_one_time() {
        let a = ManualClock::at(100);
        let b = a.clone();
        a.advance(30);
        assert_eq!(b.now(), 130);
        b.set(5);
        assert_eq!(a.now(), 5);
    }
}
