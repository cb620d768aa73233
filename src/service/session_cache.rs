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
//! does for users (a browser's requests come in bursts on one session): a look-up in moka
//! costs about 400 instructions, the memo a comparison of 32 bytes and a read of the
//! monotonic clock. The memo is believed only while nothing has changed in the cache since it
//! was taken: every change (a put, an invalidation, a clear) moves `changes` on after it is
//! made, and a memo carries the count read before the look-up it came from. So a memo never
//! outlives a forget, a lost channel or a newer copy, and it keeps the entry's time to live.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::domain::session::{Session, SessionKey};
use crate::domain::user::{User, UserId};
use crate::service::cache_hash::KeyHash;
use crate::service::user_cache::UserCache;
use crate::store::{Stale, StaleSink};

/// Most sessions kept per instance.
pub const SESSION_CACHE_CAP: u64 = 100_000;

/// Resolved sessions, by store key (never the cookie), while the channel is live.
pub struct SessionCache {
    entries: Cache<SessionKey, Kept, KeyHash>,
    users: UserCache,
    live: AtomicBool,
    generation: AtomicU64,
    /// Moved on after every change to `entries` (the memo's test).
    changes: AtomicU64,
    ttl: Duration,
    /// Which cache a thread's memo came from (tests and reloads build others).
    id: u64,
}

/// A session as kept, with when it was put (moka's time to live counts from then).
#[derive(Clone)]
struct Kept {
    session: Arc<Session>,
    at: Instant,
}

/// A thread's last session: the cache and change count it was taken in, and the entry.
struct Memo {
    cache: u64,
    changes: u64,
    key: SessionKey,
    kept: Kept,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Numbers the session caches of this process, for the memo.
static CACHES: AtomicU64 = AtomicU64::new(0);

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
            changes: AtomicU64::new(0),
            ttl,
            id: CACHES.fetch_add(1, SeqCst),
        }
    }

    /// Whether the invalidation channel is confirmed live (the cache is in use).
    pub fn is_live(&self) -> bool {
        self.live.load(SeqCst)
    }

    /// The cached session, only while the channel is live.
    ///
    /// The change count is read before moka is asked. A change is made in moka first and
    /// counted after: a look-up that saw an entry before its end carries a count from before
    /// that end, so its memo is not believed from then on.
    pub(crate) fn get(&self, key: &SessionKey) -> Option<Arc<Session>> {
        if !self.is_live() {
            return None;
        }
        let changes = self.changes.load(SeqCst);
        let now = Instant::now();
        let fresh = |k: &Kept| now.saturating_duration_since(k.at) < self.ttl;
        let memo = MEMO.with(|m| {
            let m = m.borrow();
            let m = m.as_ref()?;
            (m.cache == self.id && m.changes == changes && m.key == *key && fresh(&m.kept))
                .then(|| m.kept.session.clone())
        });
        if memo.is_some() {
            return memo;
        }
        let kept = self.entries.get(key).filter(fresh)?;
        let session = kept.session.clone();
        MEMO.with(|m| {
            *m.borrow_mut() = Some(Memo {
                cache: self.id,
                changes,
                key: key.clone(),
                kept,
            });
        });
        Some(session)
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
        let at = Instant::now();
        self.entries.insert(key.clone(), Kept { session, at });
        // An invalidation between the check and the insert may have missed the new entry.
        if !self.current(ticket) {
            self.entries.invalidate(key);
        }
        self.changes.fetch_add(1, SeqCst);
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
        self.changes.fetch_add(1, SeqCst);
    }

    /// Forgets a user and every cached session of theirs.
    pub(crate) fn forget_user(&self, id: UserId) {
        self.generation.fetch_add(1, SeqCst);
        self.users.forget(id);
        if self
            .entries
            .invalidate_entries_if(move |_, k| k.session.user_id == id)
            .is_err()
        {
            self.entries.invalidate_all();
        }
        self.changes.fetch_add(1, SeqCst);
    }

    fn clear(&self) {
        self.generation.fetch_add(1, SeqCst);
        self.entries.invalidate_all();
        self.changes.fetch_add(1, SeqCst);
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
