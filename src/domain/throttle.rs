//! Login throttling: a small state machine over "consecutive failed attempts" (see
//! docs/security.md, "Throttling and lockout").
//!
//! ```text
//!                 admit: in_flight+1          settle: fail → failures+1 (ban when the policy says)
//!   ┌──────────────────────────────┐   ┌──────────────────────────────────────────────────┐
//!   │ open (failures, in_flight)   │──►│ banned until now + ban(k)  ── time passes ──► open │
//!   └──────────────────────────────┘   └──────────────────────────────────────────────────┘
//!      ▲   │ settle: released (not evaluated, or a success on a shared key) → in_flight−1
//!      └───┘ settle: success on the key's own secret → the key is cleared
//!   failures + in_flight ≥ hard_cap: refused; at failures = hard_cap banned until `forget_after`
//!   seconds pass without an evaluated attempt.
//! ```
//! `ban(k) = min(base_ban · 2^(k-1), max_ban)`, after every `ban_every` *settled* failures.
//! An attempt is admitted before its secret is checked and counted as in flight, so concurrent
//! guesses cannot pass the hard cap; a ban follows only failures that were actually
//! evaluated, so attempts refused later (a full hashing pool) neither count nor skip a ban, and
//! leave no trace. The same machine keys per account, per account's second factor and per
//! client network, each with its own policy (`throttle_key`). Stores keep at most a bounded
//! number of keys and evict keys without failures before keys with failures or bans.

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
    /// Evaluated failures since the key was last cleared or forgotten.
    pub failures: u32,
    /// Attempts admitted and not settled yet.
    pub in_flight: u32,
    /// Banned until this time (Unix seconds); 0 when never banned.
    pub banned_until: i64,
    /// Forget this state at this time (Unix seconds).
    pub forget_at: i64,
}

impl ThrottleState {
    /// Refuses while banned or while `failures + in_flight` has reached `cap`; otherwise
    /// admits one more attempt (in flight). `now` past `forget_at` starts from a clean state.
    pub fn admit(&mut self, now: i64, keep_for: i64, cap: u32) -> Admission {
        if now >= self.forget_at {
            *self = Self::default();
        }
        if now < self.banned_until {
            return Admission::Refused {
                until: self.banned_until,
            };
        }
        let counted = self.failures.saturating_add(self.in_flight);
        if counted >= cap {
            // Only attempts still in flight can get here (reaching the cap by failures bans);
            // they settle within a hash verification.
            return Admission::Refused {
                until: now.saturating_add(1),
            };
        }
        self.in_flight = self.in_flight.saturating_add(1);
        self.forget_at = self.forget_at.max(now.saturating_add(keep_for));
        Admission::Admitted {
            n: counted.saturating_add(1),
        }
    }

    /// Settles one attempt (admitted or not, as a plain counter does) as an evaluated failure;
    /// returns the failures so far.
    pub fn fail(&mut self, now: i64, keep_for: i64) -> u32 {
        if now >= self.forget_at {
            *self = Self::default();
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        self.failures = self.failures.saturating_add(1);
        self.forget_at = self.forget_at.max(now.saturating_add(keep_for));
        self.failures
    }

    /// Settles one admitted attempt without counting it (not evaluated, or a success on a key
    /// shared by many accounts).
    pub fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Records a ban ending at `until` (a later ban wins).
    pub fn ban(&mut self, until: i64, keep_until: i64) {
        self.banned_until = self.banned_until.max(until);
        self.forget_at = self.forget_at.max(keep_until);
    }

    /// Whether the state holds nothing worth keeping: a store may drop it.
    pub fn is_clean(&self) -> bool {
        self.failures == 0 && self.in_flight == 0 && self.banned_until == 0
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

    /// One evaluated failure: admit, settle, ban when due. Returns whether it was admitted.
    fn guess(s: &mut ThrottleState, now: i64) -> Result<u32, i64> {
        match s.admit(now, P.forget_after, P.hard_cap) {
            Admission::Admitted { .. } => {
                let n = s.fail(now, P.forget_after);
                if let Some(until) = P.ban_after_failure(n, now) {
                    s.ban(until, P.keep_until(now, until));
                }
                Ok(n)
            }
            Admission::Refused { until } => Err(until),
        }
    }

    #[test]
    fn state_machine_refuses_during_a_ban() {
        let mut s = ThrottleState::default();
        let now = 1000;
        for expected in 1..=5 {
            assert_eq!(guess(&mut s, now), Ok(expected));
        }
        assert_eq!(guess(&mut s, now + 29), Err(1030));
        assert_eq!(guess(&mut s, now + 30), Ok(6));
    }

    #[test]
    fn unsettled_attempts_neither_count_nor_skip_a_ban() {
        // Attempts refused after admission (a full hashing pool) are released: the ban still
        // comes after exactly `ban_every` evaluated failures, and a released attempt on a
        // fresh key leaves nothing behind.
        let mut s = ThrottleState::default();
        for _ in 0..3 {
            assert!(matches!(
                s.admit(0, P.forget_after, P.hard_cap),
                Admission::Admitted { .. }
            ));
            s.release();
        }
        assert!(s.is_clean());
        for expected in 1..=4 {
            assert_eq!(guess(&mut s, 0), Ok(expected));
            assert!(matches!(
                s.admit(0, P.forget_after, P.hard_cap),
                Admission::Admitted { .. }
            ));
            s.release();
        }
        assert_eq!(guess(&mut s, 0), Ok(5));
        assert_eq!(guess(&mut s, 1), Err(30));
    }

    #[test]
    fn attempts_in_flight_cannot_pass_the_hard_cap() {
        let p = ThrottlePolicy { hard_cap: 3, ..P };
        let mut s = ThrottleState::default();
        for n in 1..=3 {
            assert_eq!(
                s.admit(0, p.forget_after, p.hard_cap),
                Admission::Admitted { n }
            );
        }
        assert_eq!(
            s.admit(0, p.forget_after, p.hard_cap),
            Admission::Refused { until: 1 }
        );
    }

    #[test]
    fn never_more_than_hard_cap_evaluations_a_day() {
        // An attacker who retries the moment each ban ends gets at most `hard_cap` evaluations
        // before the long lock, and nothing more until `forget_after` passes.
        let mut s = ThrottleState::default();
        let mut now = 0i64;
        let mut evaluated = 0;
        while now < 86_400 {
            match guess(&mut s, now) {
                Ok(_) => evaluated += 1,
                Err(until) => now = until,
            }
        }
        assert_eq!(evaluated, 100);
    }

    #[test]
    fn state_is_forgotten_after_quiet_period() {
        let mut s = ThrottleState::default();
        assert_eq!(s.admit(0, 10, 100), Admission::Admitted { n: 1 });
        assert_eq!(s.fail(0, 10), 1);
        assert_eq!(s.admit(5, 10, 100), Admission::Admitted { n: 2 });
        assert_eq!(s.fail(5, 10), 2);
        assert_eq!(s.admit(16, 10, 100), Admission::Admitted { n: 1 });
    }
}
