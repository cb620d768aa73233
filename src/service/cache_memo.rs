//! A worker thread's memory of the last entry a local cache gave it, in front of the cache's
//! own lookup. A proxy's requests come in bursts from few users and sessions at a time, and a
//! look-up in moka costs about 400-580 instructions where the memo costs a comparison of its
//! key and a read of the monotonic clock. The user cache and the session cache both use it.
//!
//! A memo is believed only while nothing has changed in its cache since it was taken: every
//! change (a put, a forget, a clear) is counted after it is made, and a memo carries the count
//! read before the look-up it came from. So a look-up that saw an entry before its end carries
//! a count from before that end, and its memo is not believed from then on: a memo never
//! outlives a forget or a newer copy. It also keeps the entry's own time to live, counted from
//! when the entry was put, as the cache's.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::thread::LocalKey;
use std::time::{Duration, Instant};

/// A value as a cache keeps it, with when it was put (the cache's time to live counts from
/// then).
#[derive(Clone)]
pub(crate) struct Kept<V> {
    pub(crate) value: V,
    at: Instant,
}

impl<V> Kept<V> {
    /// `value`, put now.
    pub(crate) fn now(value: V) -> Self {
        Self {
            value,
            at: Instant::now(),
        }
    }
}

/// A thread's last entry: the cache and change count it was taken in, its key and value.
pub(crate) struct Memo<K, V> {
    cache: u64,
    changes: u64,
    key: K,
    kept: Kept<V>,
}

/// Where a cache's memo lives: a `thread_local!` of the cache's own module (a static cannot
/// be generic), `const { RefCell::new(None) }`.
pub(crate) type Slot<K, V> = RefCell<Option<Memo<K, V>>>;

/// Numbers the caches of this process, so that a memo is never read by another cache (tests
/// build several; a reload builds new ones).
static CACHES: AtomicU64 = AtomicU64::new(0);

/// What a cache with memos in front keeps besides its entries: which cache it is, how many
/// changes it has seen and its entries' time to live.
pub(crate) struct Changes {
    id: u64,
    count: AtomicU64,
    ttl: Duration,
}

impl Changes {
    /// For a new cache whose entries live `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            id: CACHES.fetch_add(1, SeqCst),
            count: AtomicU64::new(0),
            ttl,
        }
    }

    /// Counts a change, once it is made in the cache.
    pub(crate) fn changed(&self) {
        self.count.fetch_add(1, SeqCst);
    }

    /// The value for `key`: this thread's memo if it is still believed, otherwise what
    /// `lookup` finds in the cache (then remembered), in both cases only within the entry's
    /// time to live.
    pub(crate) fn get<K: PartialEq + Clone, V: Clone>(
        &self,
        slot: &'static LocalKey<Slot<K, V>>,
        key: &K,
        lookup: impl FnOnce() -> Option<Kept<V>>,
    ) -> Option<V> {
        // Read before the look-up: see the module doc.
        let changes = self.count.load(SeqCst);
        let now = Instant::now();
        let fresh = |k: &Kept<V>| now.saturating_duration_since(k.at) < self.ttl;
        let memo = slot.with(|m| {
            let m = m.borrow();
            let m = m.as_ref()?;
            (m.cache == self.id && m.changes == changes && m.key == *key && fresh(&m.kept))
                .then(|| m.kept.value.clone())
        });
        if memo.is_some() {
            return memo;
        }
        let kept = lookup().filter(fresh)?;
        let value = kept.value.clone();
        slot.with(|m| {
            *m.borrow_mut() = Some(Memo {
                cache: self.id,
                changes,
                key: key.clone(),
                kept,
            });
        });
        Some(value)
    }
}
