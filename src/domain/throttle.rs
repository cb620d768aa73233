//! Login throttling: a small state machine over "consecutive failed attempts" (SECURITY 12–14).
//!
//! ```text
//!            failure (n+1 not a multiple of `ban_every`)
//!          ┌──────────────┐
//!          ▼              │
//!   ┌────────────┐  n+1 = k·ban_every   ┌──────────────────────────┐
//!   │  open (n)  │ ───────────────────► │ banned until now + ban(k) │── time passes ──► open (n)
//!   └────────────┘                      └──────────────────────────┘
//!      │    ▲  success: n = 0                          n ≥ hard_cap: banned until `forget_after`
//!      └────┘                                          seconds pass without an evaluated attempt
//! ```
//! `ban(k) = min(base_ban · 2^(k-1), max_ban)`. Attempts are counted *before* the password is
//! checked (the store reserves them atomically), so concurrent guesses cannot slip past the
//! count; a success resets an account's count. The same machine keys per account (case-folded
//! name, known or not) and per trusted client IP, each with its own policy. Stores keep at most
//! a bounded number of keys, so unknown names cannot fill memory or lock anyone else out.

/// Throttle parameters for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// A ban starts after every this many consecutive failures.
    pub ban_every: u32,
    /// First ban, seconds.
    pub base_ban: i64,
    /// Longest ban, seconds.
    pub max_ban: i64,
    /// After this many consecutive failures nothing more is evaluated until `forget_after`
    /// seconds pass with no evaluated attempt (NIST 800-63B §5.2.2: at most 100).
    pub hard_cap: u32,
    /// Seconds after the last evaluated attempt when the count is forgotten.
    pub forget_after: i64,
}

/// Whether an attempt may be evaluated now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; this is attempt number `n` since the last success (1-based).
    Admitted {
        /// The attempt's number.
        n: u32,
    },
    /// Refused until `until` (Unix seconds).
    Refused {
        /// When attempts are evaluated again.
        until: i64,
    },
}

impl ThrottlePolicy {
    /// The ban that starts after the `n`-th consecutive failure at `now`, if any.
    pub fn ban_after_failure(&self, n: u32, now: i64) -> Option<i64> {
        if n >= self.hard_cap {
            return Some(now.saturating_add(self.forget_after));
        }
        if self.ban_every == 0 || n == 0 || !n.is_multiple_of(self.ban_every) {
            return None;
        }
        let level = n / self.ban_every - 1;
        let factor = 1i64.checked_shl(level.min(40)).unwrap_or(i64::MAX);
        Some(now.saturating_add(self.base_ban.saturating_mul(factor).min(self.max_ban)))
    }

    /// Until when a store must keep a key's state after a ban ending at `until` set at `now`.
    pub fn keep_until(&self, now: i64, until: i64) -> i64 {
        until.max(now.saturating_add(self.forget_after))
    }
}

/// The in-memory form of one key's state, shared by the stores that keep state themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleState {
    /// Attempts counted since the last success.
    pub attempts: u32,
    /// Banned until this time (Unix seconds); 0 when never banned.
    pub banned_until: i64,
    /// Forget this state at this time (Unix seconds).
    pub forget_at: i64,
}

impl ThrottleState {
    /// Refuses while banned; otherwise counts one more attempt. `now` past `forget_at`
    /// starts from a clean state.
    pub fn admit(&mut self, now: i64, keep_for: i64) -> Admission {
        if now >= self.forget_at {
            *self = Self::default();
        }
        if now < self.banned_until {
            return Admission::Refused {
                until: self.banned_until,
            };
        }
        self.attempts = self.attempts.saturating_add(1);
        self.forget_at = now.saturating_add(keep_for);
        Admission::Admitted { n: self.attempts }
    }

    /// Records a ban ending at `until` (a later ban wins).
    pub fn ban(&mut self, until: i64, keep_until: i64) {
        self.banned_until = self.banned_until.max(until);
        self.forget_at = self.forget_at.max(keep_until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ThrottlePolicy = ThrottlePolicy {
        ban_every: 5,
        base_ban: 30,
        max_ban: 3600,
        hard_cap: 100,
        forget_after: 86_400,
    };

    #[test]
    fn bans_grow_and_cap() {
        assert_eq!(P.ban_after_failure(4, 0), None);
        assert_eq!(P.ban_after_failure(5, 0), Some(30));
        assert_eq!(P.ban_after_failure(10, 0), Some(60));
        assert_eq!(P.ban_after_failure(15, 0), Some(120));
        assert_eq!(P.ban_after_failure(45, 0), Some(3600));
        assert_eq!(P.ban_after_failure(95, 0), Some(3600));
        assert_eq!(P.ban_after_failure(100, 0), Some(86_400));
    }

    #[test]
    fn state_machine_refuses_during_a_ban() {
        let mut s = ThrottleState::default();
        let mut now = 1000;
        for expected in 1..=5 {
            assert_eq!(
                s.admit(now, P.forget_after),
                Admission::Admitted { n: expected }
            );
        }
        let until = P.ban_after_failure(5, now).unwrap();
        s.ban(until, now + P.forget_after);
        assert_eq!(
            s.admit(now + 29, P.forget_after),
            Admission::Refused { until: 1030 }
        );
        now += 30;
        assert_eq!(s.admit(now, P.forget_after), Admission::Admitted { n: 6 });
    }

    #[test]
    fn never_more_than_hard_cap_evaluations_a_day() {
        // An attacker who retries the moment each ban ends gets at most `hard_cap` evaluations
        // before the long lock, and nothing more until `forget_after` passes.
        let mut s = ThrottleState::default();
        let mut now = 0i64;
        let mut evaluated = 0;
        while now < 86_400 {
            match s.admit(now, P.forget_after) {
                Admission::Admitted { n } => {
                    evaluated += 1;
                    if let Some(until) = P.ban_after_failure(n, now) {
                        s.ban(until, P.keep_until(now, until));
                    }
                }
                Admission::Refused { until } => now = until,
            }
        }
        assert!(evaluated <= 100, "{evaluated}");
        assert_eq!(evaluated, 100);
    }

    #[test]
    fn state_is_forgotten_after_quiet_period() {
        let mut s = ThrottleState::default();
        assert_eq!(s.admit(0, 10), Admission::Admitted { n: 1 });
        assert_eq!(s.admit(5, 10), Admission::Admitted { n: 2 });
        assert_eq!(s.admit(16, 10), Admission::Admitted { n: 1 });
    }
}
