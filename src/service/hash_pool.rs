//! Fair admission to the password-hashing pool.
//!
//! argon2 is the gateway's most expensive operation, so it runs on a few permits. A plain
//! first-come queue in front of them lets one source fill the queue: one client address (an
//! IPv6 /64 counts as one), or one account whose right password is sent from many addresses
//! (a success forgives the per-address throttle). Then every other sign-in is refused as busy.
//!
//! This module owns the rule that prevents that. Every job names a [`Claimant`]: the client
//! (address prefix) and the account it is for. Per claimant:
//! - at most `per_claimant_running` jobs hash at once, per client and per account;
//! - at most `per_claimant_running + QUEUED_PER_CLAIMANT` jobs are in the pool (hashing or
//!   waiting), per client and per account; beyond that the job is refused as busy at once;
//! - waiting jobs are served round-robin across clients, so a newcomer waits for at most one
//!   job of each other waiting client, however many that client sent.
//!
//! Hashes of new passwords come from already-authenticated steps and queue in one internal
//! lane with no per-claimant cap. The global bound on waiting jobs stays. No I/O, no HTTP.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::domain::client_prefix::{IpPrefix, client_prefix};

/// Jobs one claimant may have waiting beyond those it is allowed to run.
const QUEUED_PER_CLAIMANT: usize = 4;

/// Who a hashing job is for: the client's address prefix and the (case-folded) account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant {
    lane: Lane,
    account: Option<String>,
}

impl Claimant {
    /// A sign-in step: `ip` is the trusted client address, `account` the name as typed.
    pub fn new(ip: IpAddr, account: &str) -> Self {
        Self {
            lane: Lane::Client(client_prefix(ip)),
            account: Some(account.trim().to_lowercase()),
        }
    }

    /// Work that an authenticated step already paid for (hashing a new password).
    pub(crate) fn internal() -> Self {
        Self {
            lane: Lane::Internal,
            account: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lane {
    Client(IpPrefix),
    Internal,
}

/// Sizes of the pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolLimits {
    /// Jobs hashing at once.
    pub permits: usize,
    /// Jobs one client, or one account, may hash at once.
    pub per_claimant_running: usize,
    /// Jobs waiting in the whole pool.
    pub max_waiting: usize,
}

impl PoolLimits {
    /// A pool of `permits`: a claimant may use half of it (at least one), so that a second
    /// claimant always finds room without waiting for the first's queue.
    pub(crate) fn for_permits(permits: usize, waiters_per_permit: usize) -> Self {
        let permits = permits.max(1);
        Self {
            permits,
            per_claimant_running: permits.div_ceil(2),
            max_waiting: permits * waiters_per_permit,
        }
    }

    fn per_claimant_in_pool(&self) -> usize {
        self.per_claimant_running + QUEUED_PER_CLAIMANT
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    running: usize,
    in_pool: usize,
}

struct Waiter {
    id: u64,
    account: Option<String>,
    grant: oneshot::Sender<()>,
}

#[derive(Default)]
struct State {
    running: usize,
    waiting: usize,
    next_id: u64,
    clients: HashMap<Lane, Counts>,
    accounts: HashMap<String, Counts>,
    queues: HashMap<Lane, VecDeque<Waiter>>,
    /// Lanes with waiters, in the order they are served next.
    rotation: VecDeque<Lane>,
}

impl State {
    fn counts(&mut self, lane: &Lane, account: Option<&String>, f: impl Fn(&mut Counts)) {
        let c = self.clients.entry(lane.clone()).or_default();
        f(c);
        if c.in_pool == 0 {
            self.clients.remove(lane);
        }
        if let Some(a) = account {
            let c = self.accounts.entry(a.clone()).or_default();
            f(c);
            if c.in_pool == 0 {
                self.accounts.remove(a);
            }
        }
    }

    fn may_run(&self, limits: &PoolLimits, lane: &Lane, account: Option<&String>) -> bool {
        if *lane == Lane::Internal {
            return true;
        }
        let cap = limits.per_claimant_running;
        self.clients.get(lane).map_or(0, |c| c.running) < cap
            && account.is_none_or(|a| self.accounts.get(a).map_or(0, |c| c.running) < cap)
    }

    /// Hands free permits to waiters, one lane at a time in rotation.
    fn dispatch(&mut self, limits: &PoolLimits) {
        let mut unserved = self.rotation.len();
        while self.running < limits.permits && unserved > 0 {
            let Some(lane) = self.rotation.pop_front() else {
                return;
            };
            let head_account = self
                .queues
                .get(&lane)
                .and_then(|q| q.front())
                .map(|w| w.account.clone());
            let Some(account) = head_account else {
                self.queues.remove(&lane);
                unserved = self.rotation.len();
                continue;
            };
            if !self.may_run(limits, &lane, account.as_ref()) {
                self.rotation.push_back(lane);
                unserved -= 1;
                continue;
            }
            let Some(waiter) = self.queues.get_mut(&lane).and_then(VecDeque::pop_front) else {
                unserved = self.rotation.len();
                continue;
            };
            self.waiting -= 1;
            if self.queues.get(&lane).is_some_and(|q| !q.is_empty()) {
                self.rotation.push_back(lane.clone());
            } else {
                self.queues.remove(&lane);
            }
            if waiter.grant.send(()).is_ok() {
                self.running += 1;
                self.counts(&lane, account.as_ref(), |c| c.running += 1);
            } else {
                // The waiter is gone (it removes itself first, so this is only defensive).
                self.counts(&lane, account.as_ref(), |c| c.in_pool -= 1);
            }
            unserved = self.rotation.len();
        }
    }

    fn release(&mut self, limits: &PoolLimits, lane: &Lane, account: Option<&String>) {
        self.running -= 1;
        self.counts(lane, account, |c| {
            c.running -= 1;
            c.in_pool -= 1;
        });
        self.dispatch(limits);
    }
}

struct Shared {
    limits: PoolLimits,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across every early return, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fair queue in front of the hashing permits.
#[derive(Clone)]
pub(crate) struct HashPool {
    shared: Arc<Shared>,
}

/// The pool is full for this claimant (or altogether): refuse instead of queueing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// A running slot, given back (and passed to the next waiter) when dropped.
pub(crate) struct Permit {
    shared: Arc<Shared>,
    claimant: Claimant,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let c = &self.claimant;
        let limits = self.shared.limits;
        self.shared
            .lock()
            .release(&limits, &c.lane, c.account.as_ref());
    }
}

/// A place in a lane; leaves the queue when dropped (timeout, client gone).
struct Place {
    shared: Arc<Shared>,
    claimant: Claimant,
    id: u64,
    grant: oneshot::Receiver<()>,
    done: bool,
}

impl Drop for Place {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let limits = self.shared.limits;
        let c = &self.claimant;
        let mut state = self.shared.lock();
        let queued = state.queues.get_mut(&c.lane).and_then(|q| {
            q.iter()
                .position(|w| w.id == self.id)
                .and_then(|i| q.remove(i))
        });
        if queued.is_some() {
            state.waiting -= 1;
            state.counts(&c.lane, c.account.as_ref(), |n| n.in_pool -= 1);
            if state.queues.get(&c.lane).is_some_and(VecDeque::is_empty) {
                state.queues.remove(&c.lane);
                state.rotation.retain(|l| *l != c.lane);
            }
        } else if self.grant.try_recv().is_ok() {
            // Granted under the lock before we got here: pass the slot on.
            state.release(&limits, &c.lane, c.account.as_ref());
        }
    }
}

impl HashPool {
    pub(crate) fn new(limits: PoolLimits) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Jobs waiting for a running slot (read by a metrics scrape, not by the request path).
    pub(crate) fn waiting(&self) -> usize {
        self.shared.lock().waiting
    }

    /// Waits (at most `patience`) for a running slot for `claimant`, or refuses at once when
    /// the claimant or the pool already has its share waiting.
    pub(crate) async fn acquire(
        &self,
        claimant: Claimant,
        patience: std::time::Duration,
    ) -> Result<Permit, Full> {
        let mut place = match self.enter(claimant)? {
            Ok(permit) => return Ok(permit),
            Err(place) => place,
        };
        match tokio::time::timeout(patience, &mut place.grant).await {
            Ok(Ok(())) => {
                place.done = true;
                Ok(Permit {
                    shared: self.shared.clone(),
                    claimant: place.claimant.clone(),
                })
            }
            // Dropping the place leaves the queue (or passes on a slot granted meanwhile).
            _ => Err(Full),
        }
    }

    fn enter(&self, claimant: Claimant) -> Result<Result<Permit, Place>, Full> {
        let limits = self.shared.limits;
        let mut state = self.shared.lock();
        let (lane, account) = (&claimant.lane, claimant.account.as_ref());
        if *lane != Lane::Internal {
            let cap = limits.per_claimant_in_pool();
            let client = state.clients.get(lane).map_or(0, |c| c.in_pool);
            let acct = account.map_or(0, |a| state.accounts.get(a).map_or(0, |c| c.in_pool));
            if client >= cap || acct >= cap {
                return Err(Full);
            }
        }
        // Free permits with waiters left means every waiter is over its running share, so a
        // newcomer within its share takes a permit without overtaking anyone who could run.
        if state.running < limits.permits && state.may_run(&limits, lane, account) {
            state.running += 1;
            state.counts(lane, account, |c| {
                c.running += 1;
                c.in_pool += 1;
            });
            drop(state);
            return Ok(Ok(Permit {
                shared: self.shared.clone(),
                claimant,
            }));
        }
        if state.waiting >= limits.max_waiting {
            return Err(Full);
        }
        let (tx, rx) = oneshot::channel();
        state.next_id += 1;
        let id = state.next_id;
        state.waiting += 1;
        state.counts(lane, account, |c| c.in_pool += 1);
        let queue = state.queues.entry(lane.clone()).or_default();
        queue.push_back(Waiter {
            id,
            account: account.cloned(),
            grant: tx,
        });
        if queue.len() == 1 {
            state.rotation.push_back(lane.clone());
        }
        drop(state);
        Ok(Err(Place {
            shared: self.shared.clone(),
            claimant,
            id,
            grant: rx,
            done: false,
        }))
    }
}

#[cfg(test)]
#[path = "hash_pool_tests.rs"]
mod tests;
