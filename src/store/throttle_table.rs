//! The bounded table behind the in-process throttle store: states by key, and an eviction
//! order kept up to date on every change, so that making room never scans or sorts the map.
//!
//! Order when full: first any state already past its forget time, then states holding
//! nothing (attempts in flight only), then states with failures, and states with a ban last;
//! within a tier, the one forgotten soonest. A flood of fresh keys therefore pushes out other
//! fresh keys and never a victim's ban while anything else is left; only a table full of bans
//! gives one up, the nearest to its end first. Every operation is O(log n) under the lock.

use std::collections::{BTreeMap, HashMap};

use crate::domain::throttle::{Admission, ThrottleState};
use crate::domain::throttle_key::ThrottleKey;

/// Where a state stands in the eviction order (lowest goes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// 0: nothing held; 1: failures; 2: a ban.
    tier: u8,
    forget_at: i64,
    /// Tie-breaker: order of the last change.
    seq: u64,
}

const TIERS: u8 = 3;

fn tier(state: &ThrottleState) -> u8 {
    if state.banned_until > 0 {
        2
    } else if state.failures > 0 {
        1
    } else {
        0
    }
}

/// Throttle states, at most `capacity` of them.
pub(super) struct ThrottleTable {
    states: HashMap<ThrottleKey, (ThrottleState, Rank)>,
    order: BTreeMap<Rank, ThrottleKey>,
    seq: u64,
    capacity: usize,
}

impl ThrottleTable {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            states: HashMap::new(),
            order: BTreeMap::new(),
            seq: 0,
            capacity: capacity.max(1),
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.states.len()
    }

    /// Runs `change` on the state of `key` (a fresh one when absent, making room first) and
    /// files it again in the eviction order; a state left clean is dropped.
    fn update<R>(
        &mut self,
        key: &ThrottleKey,
        now: i64,
        change: impl FnOnce(&mut ThrottleState) -> R,
    ) -> R {
        let (mut state, old) = match self.states.remove(key) {
            Some((state, rank)) => (state, Some(rank)),
            None => {
                self.make_room(now);
                (ThrottleState::default(), None)
            }
        };
        if let Some(rank) = old {
            self.order.remove(&rank);
        }
        let out = change(&mut state);
        if !state.is_clean() {
            self.seq = self.seq.wrapping_add(1);
            let rank = Rank {
                tier: tier(&state),
                forget_at: state.forget_at,
                seq: self.seq,
            };
            self.order.insert(rank, key.clone());
            self.states.insert(key.clone(), (state, rank));
        }
        out
    }

    fn evict(&mut self, rank: Rank) {
        if let Some(key) = self.order.remove(&rank) {
            self.states.remove(&key);
        }
    }

    /// Frees one slot when full: an expired state if a tier starts with one, else the first
    /// in the order.
    fn make_room(&mut self, now: i64) {
        while self.states.len() >= self.capacity {
            let expired = (0..TIERS).find_map(|tier| {
                let from = Rank {
                    tier,
                    forget_at: i64::MIN,
                    seq: 0,
                };
                self.order
                    .range(from..)
                    .next()
                    .filter(|(r, _)| r.tier == tier && r.forget_at <= now)
                    .map(|(r, _)| *r)
            });
            match expired.or_else(|| self.order.keys().next().copied()) {
                Some(rank) => self.evict(rank),
                None => break,
            }
        }
    }

    pub(super) fn admit(&mut self, key: &ThrottleKey, now: i64, keep: i64, cap: u32) -> Admission {
        self.update(key, now, |s| s.admit(now, keep, cap))
    }

    pub(super) fn fail(&mut self, key: &ThrottleKey, now: i64, keep: i64) -> u32 {
        self.update(key, now, |s| s.fail(now, keep))
    }

    pub(super) fn ban(&mut self, key: &ThrottleKey, now: i64, until: i64, keep_until: i64) {
        self.update(key, now, |s| s.ban(until, keep_until));
    }

    pub(super) fn release(&mut self, key: &ThrottleKey) {
        if self.states.contains_key(key) {
            self.update(key, i64::MIN, ThrottleState::release);
        }
    }

    pub(super) fn clear(&mut self, key: &ThrottleKey) {
        if let Some((_, rank)) = self.states.remove(key) {
            self.order.remove(&rank);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> ThrottleKey {
        ThrottleKey::account(name)
    }

    const DAY: i64 = 86_400;

    fn refused(t: &mut ThrottleTable, key: &ThrottleKey, now: i64) -> bool {
        let out = t.admit(key, now, DAY, 100);
        if let Admission::Admitted { .. } = out {
            t.release(key);
        }
        matches!(out, Admission::Refused { .. })
    }

    #[test]
    fn a_flood_of_fresh_keys_never_evicts_a_ban() {
        let mut t = ThrottleTable::new(100);
        let victim = user("alice");
        t.fail(&victim, 0, DAY);
        t.ban(&victim, 0, 3600, DAY);
        // Fresh keys that stay in flight, then fresh keys that fail: neither pushes the ban out.
        for i in 0..10_000 {
            t.admit(&user(&format!("x{i}")), 1, 10, 100);
        }
        for i in 0..10_000 {
            let key = user(&format!("y{i}"));
            t.admit(&key, 1, DAY, 100);
            t.fail(&key, 1, DAY);
        }
        assert!(t.len() <= 100);
        assert!(t.order.len() == t.states.len());
        assert!(refused(&mut t, &victim, 2));
    }

    #[test]
    fn clean_keys_go_before_failures_and_failures_before_bans() {
        let mut t = ThrottleTable::new(3);
        let (clean, failing, banned) = (user("clean"), user("failing"), user("banned"));
        t.admit(&clean, 0, DAY, 100);
        t.fail(&failing, 0, DAY);
        t.fail(&banned, 0, DAY);
        t.ban(&banned, 0, 3600, DAY);
        t.fail(&user("new1"), 0, DAY);
        assert!(!t.states.contains_key(&clean), "the clean key goes first");
        assert!(t.states.contains_key(&failing) && t.states.contains_key(&banned));
        t.fail(&user("new2"), 0, DAY);
        assert!(!t.states.contains_key(&failing), "then the oldest failures");
        assert!(t.states.contains_key(&banned));
        // A table of nothing but bans gives up the one nearest its end.
        let mut t = ThrottleTable::new(2);
        for (name, until) in [("a", 100), ("b", 50), ("c", 70)] {
            t.fail(&user(name), 0, until);
            t.ban(&user(name), 0, until, until);
        }
        assert!(!t.states.contains_key(&user("b")));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn expired_states_go_first_and_released_fresh_keys_leave_nothing() {
        let mut t = ThrottleTable::new(2);
        let old = user("old");
        t.fail(&old, 0, 10);
        t.ban(&old, 0, 5, 10);
        t.fail(&user("recent"), 100, DAY);
        t.admit(&user("pending"), 100, DAY, 100);
        assert!(!t.states.contains_key(&old), "an expired ban is not a ban");
        t.release(&user("pending"));
        assert_eq!(t.len(), 1);
        assert_eq!(t.order.len(), 1);
    }
}
