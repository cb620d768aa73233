//! The short-lived cache of users in front of the user store, for session resolution
//! (`session.user_refresh`). It owns only freshness and size: who may be cached and when a
//! change must be forgotten is the sessions service's rule.
//!
//! A `moka` cache bounded by count with a time to live: when full it evicts the least useful
//! users one at a time (TinyLFU admission, LRU eviction) instead of emptying itself, so a
//! flood of one-off users cannot flush the busy ones and send every request to the store at
//! once. `forget` is immediate: the very next `get` misses, with no maintenance pass needed.
//!
//! In front of it, each thread remembers the last user it was given (a proxy's requests come
//! from few users at a time): a look-up in moka costs about 580 instructions, the memo a few
//! dozen and a read of the monotonic clock (the timer of a cache, as moka's own). The memo
//! is believed only while nothing has changed in the cache since it was taken: every change
//! (a put, a forget, a clear) moves `generation` on after it is made, and a memo carries the
//! generation read before the look-up it came from. So a memo can never outlive a forget
//! (see `get`), and it keeps the entry's own time to live.

use crate::domain::user::UserId;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::domain::user::User;
use crate::service::cache_hash::KeyHash;

/// Most users kept in the refresh cache.
pub(crate) const USER_CACHE_CAP: u64 = 10_000;

/// Users read recently, each kept at most the refresh interval.
#[derive(Clone)]
pub(crate) struct UserCache {
    /// `None` when the refresh interval is zero: every read goes to the store.
    inner: Option<Arc<Inner>>,
}

struct Inner {
    cache: Cache<UserId, Kept, KeyHash>,
    ttl: Duration,
    /// Which cache a thread's memo came from (a reload builds another).
    id: u64,
    /// Moved on after every change to `cache`.
    generation: AtomicU64,
}

/// A user as kept, with when it was read from the store (a cache's monotonic timer, as
/// moka's own).
#[derive(Clone)]
struct Kept {
    user: Arc<User>,
    at: Instant,
}

/// A thread's last user: the cache and generation it was taken in, and the entry.
struct Memo {
    cache: u64,
    generation: u64,
    kept: Kept,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Numbers the caches of this process, for the memo.
static CACHES: AtomicU64 = AtomicU64::new(0);

impl UserCache {
    /// A cache of at most `cap` users, each kept `ttl`; a zero `ttl` caches nothing.
    pub(crate) fn new(ttl: Duration, cap: u64) -> Self {
        let inner = (!ttl.is_zero()).then(|| {
            Arc::new(Inner {
                cache: Cache::builder()
                    .max_capacity(cap)
                    .time_to_live(ttl)
                    .build_with_hasher(KeyHash),
                ttl,
                id: CACHES.fetch_add(1, SeqCst),
                generation: AtomicU64::new(0),
            })
        });
        Self { inner }
    }

    /// The cached user, if read less than the refresh interval ago.
    ///
    /// The generation is read before moka is asked. A forget changes moka first and the
    /// generation after: a look-up that saw the user before the forget carries a generation
    /// from before its end, so its memo is not believed from then on.
    pub(crate) fn get(&self, id: UserId) -> Option<Arc<User>> {
        let inner = self.inner.as_ref()?;
        let generation = inner.generation.load(SeqCst);
        let now = Instant::now();
        let fresh = |k: &Kept| now.saturating_duration_since(k.at) < inner.ttl;
        let memo = MEMO.with(|m| {
            let m = m.borrow();
            let m = m.as_ref()?;
            (m.cache == inner.id
                && m.generation == generation
                && m.kept.user.id == id
                && fresh(&m.kept))
            .then(|| m.kept.user.clone())
        });
        if memo.is_some() {
            return memo;
        }
        let kept = inner.cache.get(&id).filter(fresh)?;
        let user = kept.user.clone();
        MEMO.with(|m| {
            *m.borrow_mut() = Some(Memo {
                cache: inner.id,
                generation,
                kept,
            });
        });
        Some(user)
    }

    /// Keeps `user`, just read from the store.
    pub(crate) fn put(&self, user: Arc<User>) {
        if let Some(inner) = &self.inner {
            let at = Instant::now();
            inner.cache.insert(user.id, Kept { user, at });
            inner.generation.fetch_add(1, SeqCst);
        }
    }

    /// Forgets a user at once: the next `get` misses, on every thread.
    pub(crate) fn forget(&self, id: UserId) {
        if let Some(inner) = &self.inner {
            inner.cache.invalidate(&id);
            inner.generation.fetch_add(1, SeqCst);
        }
    }

    /// Forgets every user at once (the invalidation channel was lost or is back).
    pub(crate) fn clear(&self) {
        if let Some(inner) = &self.inner {
            inner.cache.invalidate_all();
            inner.generation.fetch_add(1, SeqCst);
        }
    }

    /// Runs the pending evictions (moka applies them in batches).
    #[cfg(test)]
    fn sync(&self) {
        if let Some(inner) = &self.inner {
            inner.cache.run_pending_tasks();
        }
    }

    /// How many users are kept now (exact after `sync`).
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.inner.as_ref().map_or(0, |i| i.cache.entry_count())
    }
}

#[cfg(test)]
#[path = "user_cache_tests.rs"]
mod tests;
