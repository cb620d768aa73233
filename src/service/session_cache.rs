//! The local cache of resolved sessions in front of a shared (Redis) session store, so that
//! an instance does not ask Redis about every request (docs/security.md#session-cache).
//!
//! It owns only when a cached record may be used: never while the invalidation channel is not
//! confirmed live (before the first SUBSCRIBE acknowledgement, after a loss until the next
//! one; fail closed), everything forgotten on each (re)subscription (messages may have been
//! lost), each entry at most `ttl` (the backstop), at most `cap` entries (moka: TinyLFU
//! admission, so a flood of one-off cookies cannot flush the busy sessions). Which changes
//! invalidate what is the sessions service's rule; the channel is `store::redis_pubsub`.
//! The user cache (`session.user_refresh`) follows the same channel: it is used only while
//! the channel is live, and a user announced stale is forgotten with all their sessions.
//!
//! A read that started before an invalidation must not put back what it read: every
//! invalidation moves `generation` on, and a `put` keeps its entry only if the generation it
//! started with is still current after the insert.
//!
//! In front of moka, each thread remembers the last session it was given, as the user cache
//! does for users (`cache_memo`: believed only while nothing has changed in the cache since,
//! counted after every put, forget and clear, and within the entry's time to live).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use moka::sync::Cache;

use crate::domain::session::{Session, SessionKey};
use crate::domain::user::{User, UserId};
use crate::service::cache_hash::KeyHash;
use crate::service::cache_memo::{Changes, Kept, Slot};
use crate::service::user_cache::UserCache;
use crate::store::{Stale, StaleSink};

/// Most sessions kept per instance.
pub const SESSION_CACHE_CAP: u64 = 100_000;

/// Resolved sessions, by store key (never the cookie), while the channel is live.
pub struct SessionCache {
    entries: Cache<SessionKey, Kept<Arc<Session>>, KeyHash>,
    users: UserCache,
    live: AtomicBool,
    generation: AtomicU64,
    /// Counted after every change to `entries`, for the memo.
    changes: Changes,
}

thread_local! {
    static MEMO: Slot<SessionKey, Arc<Session>> = const { RefCell::new(None) };
}

/// The generation a store read started in (see the module doc).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

impl SessionCache {
    /// A cache of at most `cap` sessions, each kept at most `ttl`, that also governs `users`.
    /// It starts bypassed: nothing is used before the channel says it is live.
    pub(crate) fn new(ttl: Duration, cap: u64, users: UserCache) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(cap)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build_with_hasher(KeyHash),
            users,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            changes: Changes::new(ttl),
        }
    }

    /// Whether the invalidation channel is confirmed live (the cache is in use).
    pub fn is_live(&self) -> bool {
        self.live.load(SeqCst)
    }

    /// The cached session, only while the channel is live.
    pub(crate) fn get(&self, key: &SessionKey) -> Option<Arc<Session>> {
        if !self.is_live() {
            return None;
        }
        self.changes.get(&MEMO, key, || self.entries.get(key))
    }

    /// Taken before reading the store; `None` while bypassed (nothing will be kept).
    pub(crate) fn ticket(&self) -> Option<Ticket> {
        let generation = self.generation.load(SeqCst);
        self.is_live().then_some(Ticket(generation))
    }

    /// Keeps `session` as read (or written) under `ticket`, unless something was invalidated
    /// since the ticket was taken.
    pub(crate) fn put(&self, ticket: Ticket, key: &SessionKey, session: Arc<Session>) {
        if !self.current(ticket) {
            return;
        }
        self.entries.insert(key.clone(), Kept::now(session));
        // An invalidation between the check and the insert may have missed the new entry.
        if !self.current(ticket) {
            self.entries.invalidate(key);
        }
        self.changes.changed();
    }

    /// Keeps `user` as read under `ticket` in the user cache, on the same terms as `put`.
    pub(crate) fn put_user(&self, ticket: Ticket, user: Arc<User>) {
        if !self.current(ticket) {
            return;
        }
        let id = user.id;
        self.users.put(user);
        if !self.current(ticket) {
            self.users.forget(id);
        }
    }

    fn current(&self, ticket: Ticket) -> bool {
        self.is_live() && self.generation.load(SeqCst) == ticket.0
    }

    /// Forgets one session.
    pub(crate) fn forget(&self, key: &SessionKey) {
        self.generation.fetch_add(1, SeqCst);
        self.entries.invalidate(key);
        self.changes.changed();
    }

    /// Forgets a user and every cached session of theirs.
    pub(crate) fn forget_user(&self, id: UserId) {
        self.generation.fetch_add(1, SeqCst);
        self.users.forget(id);
        if self
            .entries
            .invalidate_entries_if(move |_, k| k.value.user_id == id)
            .is_err()
        {
            self.entries.invalidate_all();
        }
        self.changes.changed();
    }

    fn clear(&self) {
        self.generation.fetch_add(1, SeqCst);
        self.entries.invalidate_all();
        self.changes.changed();
        self.users.clear();
    }

    /// Runs moka's pending maintenance (evictions are applied in batches).
    #[cfg(test)]
    fn sync(&self) {
        self.entries.run_pending_tasks();
    }
}

impl StaleSink for SessionCache {
    fn live(&self) {
        // Cleared first: what was cached before this subscription may have missed messages.
        self.clear();
        self.live.store(true, SeqCst);
    }

    fn lost(&self) {
        self.live.store(false, SeqCst);
        self.clear();
    }

    fn stale(&self, what: Stale) {
        match what {
            Stale::Session(key) => self.forget(&key),
            Stale::User(id) => self.forget_user(id),
        }
    }
}

#[cfg(test)]
#[path = "session_cache_tests.rs"]
mod tests;
