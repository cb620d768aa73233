//! A log line written at most once per interval, with the count of events it stands for. For
//! events a client can repeat at will (connections over a cap, failed accepts, sign-ins
//! refused as busy): a line for each would flood the log in an attack, slow the process that
//! writes them, and page whoever alerts on the log for a refusal that is working as designed.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Counts events; says when a line is due and how many events it covers.
pub struct LogThrottle {
    interval: Duration,
    /// When the last line was due, and the events since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogThrottle {
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// Counts one event; returns how many to report now, if a line is due (the first event
    /// at once, then at most one line per interval).
    pub fn note(&self) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.1 += 1;
        let due = s.0.is_none_or(|last| last.elapsed() >= self.interval);
        due.then(|| {
            s.0 = Some(Instant::now());
            std::mem::take(&mut s.1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_counting_the_events_between() {
        let t = LogThrottle::new(Duration::from_millis(50));
        assert_eq!(t.note(), Some(1));
        assert_eq!(t.note(), None);
        assert_eq!(t.note(), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.note(), Some(3), "the two held back and this one");
        assert_eq!(t.note(), None);
    }
}
