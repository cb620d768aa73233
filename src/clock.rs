//! The one source of the current time: `SystemClock` in every binary, `ManualClock` in tests.
//!
//! The edge (`http::entry` for a request, the CLI for a command) reads a `Clock` once and passes
//! the value down as `now` (Unix seconds); services, stores and the domain never read a clock
//! themselves, so every time-dependent rule can be tested by setting the time instead of
//! sleeping. Monotonic timers for caches and background work (`Instant`) are not wall time
//! and stay where they are.
//!
//! Both clocks read here are the kernel's coarse ones (`CLOCK_REALTIME_COARSE`,
//! `CLOCK_MONOTONIC_COARSE`): the time as of the kernel's last tick (1 to 10 ms ago), read
//! from memory the kernel shares (about 3 ns on the development machine) rather than from the
//! processor's counter (about 22 ns). They are read several times per request, and what reads
//! them counts in seconds, or in milliseconds against timeouts of seconds.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rustix::time::ClockId;

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
        rustix::time::clock_gettime(ClockId::RealtimeCoarse).tv_sec
    }
}

/// Milliseconds on the coarse monotonic clock (from an unspecified start, the same for every
/// thread): for stamps of activity measured against timeouts.
pub fn coarse_ms() -> u64 {
    let t = rustix::time::clock_gettime(ClockId::MonotonicCoarse);
    let ms = i128::from(t.tv_sec) * 1000 + i128::from(t.tv_nsec) / 1_000_000;
    u64::try_from(ms).unwrap_or(0)
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
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    #[test]
    fn the_coarse_clocks_keep_up_with_the_fine_ones() {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let coarse = u64::try_from(SystemClock.now()).unwrap();
        assert!(coarse.abs_diff(wall) <= 1, "{coarse} against {wall}");

        let (started, from) = (Instant::now(), coarse_ms());
        let mut last = from;
        while started.elapsed() < Duration::from_millis(200) {
            let now = coarse_ms();
            assert!(now >= last, "the coarse monotonic clock went back");
            last = now;
        }
        let fine = u64::try_from(started.elapsed().as_millis()).unwrap();
        // Behind by at most a tick (10 ms at the slowest kernel tick), at either end.
        assert!(
            last - from + 20 >= fine && last - from <= fine + 20,
            "{} against {fine}",
            last - from
        );
    }

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
