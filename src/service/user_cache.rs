//! The short-lived cache of users in front of the user store, for session resolution
//! (`session.user_refresh`). It owns only freshness and size: who may be cached and when a
//! change must be forgotten is the sessions service's rule.
//!
//! A `moka` cache bounded by count with a time to live: when full it evicts the least useful
//! users one at a time (TinyLFU admission, LRU eviction) instead of emptying itself, so a
//! flood of one-off users cannot flush the busy ones and send every request to the store at
//! once. `forget` is immediate: the very next `get` misses, with no maintenance pass needed.
//!
//! In front of it, each thread remembers the last user it was given (`cache_memo`: believed
//! only while nothing has changed in the cache since, and within the entry's time to live).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::domain::user::{User, UserId};
use crate::service::cache_hash::KeyHash;
use crate::service::cache_memo::{Changes, Kept, Slot};

/// Most users kept in the refresh cache.
pub(crate) const USER_CACHE_CAP: u64 = 10_000;

/// Users read recently, each kept at most the refresh interval.
#[derive(Clone)]
pub(crate) struct UserCache {
    /// `None` when the refresh interval is zero: every read goes to the store.
    inner: Option<Arc<Inner>>,
}

struct Inner {
    cache: Cache<UserId, Kept<Arc<User>>, KeyHash>,
    /// Counted after every change to `cache`, for the memo.
    changes: Changes,
}

thread_local! {
    static MEMO: Slot<UserId, Arc<User>> = const { RefCell::new(None) };
}

impl UserCache {
    /// A cache of at most `cap` users, each kept `ttl`; a zero `ttl` caches nothing.
    pub(crate) fn new(ttl: Duration, cap: u64) -> Self {
        let inner = (!ttl.is_zero()).then(|| {
            Arc::new(Inner {
                cache: Cache::builder()
                    .max_capacity(cap)
                    .time_to_live(ttl)
                    .build_with_hasher(KeyHash),
                changes: Changes::new(ttl),
            })
        });
        Self { inner }
    }

    /// The cached user, if read less than the refresh interval ago.
    pub(crate) fn get(&self, id: UserId) -> Option<Arc<User>> {
        let inner = self.inner.as_ref()?;
        inner.changes.get(&MEMO, &id, || inner.cache.get(&id))
    }

    /// Keeps `user`, just read from the store.
    pub(crate) fn put(&self, user: Arc<User>) {
        if let Some(inner) = &self.inner {
            inner.cache.insert(user.id, Kept::now(user));
            inner.changes.changed();
        }
    }

    /// Forgets a user at once: the next `get` misses, on every thread.
    pub(crate) fn forget(&self, id: UserId) {
        if let Some(inner) = &self.inner {
            inner.cache.invalidate(&id);
            inner.changes.changed();
        }
    }

    /// Forgets every user at once (the invalidation channel was lost or is back).
    pub(crate) fn clear(&self) {
        if let Some(inner) = &self.inner {
            inner.cache.invalidate_all();
            inner.changes.changed();
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
