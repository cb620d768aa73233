//! In-process stores for a single node: sessions and throttle counters.
//!
//! Lost on restart (documented). Both maps are bounded so that no client can grow them
//! without limit. Sessions: when full, expired entries are purged first, then
//! the entries closest to expiry are dropped. Throttle states: see `throttle_table`.

use crate::domain::user::UserId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::throttle_table::ThrottleTable;
use super::{SessionStore, StoreResult, ThrottleStore};
use crate::domain::pending::PendingAction;
use crate::domain::session::{Session, SessionKey};
use crate::domain::throttle::Admission;
use crate::domain::throttle_key::ThrottleKey;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these maps half-updated in a way that
    // matters more than losing them, so keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[path = "memory_slot.rs"]
mod slot;
use slot::{Slot, SlotHash};

#[derive(Default)]
struct Sessions {
    /// Each record behind an `Arc`, which a read hands out without copying its strings. The
    /// map keeps up to half its slots empty, and an empty slot then costs 56 bytes instead of
    /// the 200 of a record kept inline.
    records: HashMap<Slot, (Arc<Session>, i64), SlotHash>,
    by_user: HashMap<UserId, HashSet<Slot, SlotHash>>,
    /// Actions held back by a step-up. Apart from the records: a confirmation rotates the
    /// session (the old key goes) before it takes the action.
    pending: Held<PendingAction>,
    /// The server halves of WebAuthn ceremonies in progress (docs/passkeys.md#challenges).
    ceremonies: Held<String>,
}

/// Short-lived values taken once, with when each goes; bounded like the records.
struct Held<V>(HashMap<SessionKey, (V, i64)>);

impl<V> Default for Held<V> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<V> Held<V> {
    fn put(&mut self, key: &SessionKey, value: V, ttl_secs: u64, now: i64, capacity: usize) {
        let gone_at = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let map = &mut self.0;
        // Expired ones go first, then the one closest to its end.
        if map.len() >= capacity && !map.contains_key(key) {
            map.retain(|_, (_, gone)| *gone > now);
            if map.len() >= capacity {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, (_, gone))| *gone)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    map.remove(&k);
                }
            }
        }
        map.insert(key.clone(), (value, gone_at));
    }

    fn take(&mut self, key: &SessionKey, now: i64) -> Option<V> {
        let taken = self.0.remove(key);
        taken.filter(|(_, gone_at)| *gone_at > now).map(|(v, _)| v)
    }
}

impl Sessions {
    fn unlink(&mut self, key: &Slot, user_id: UserId) {
        if let Some(set) = self.by_user.get_mut(&user_id) {
            set.remove(key);
            if set.is_empty() {
                self.by_user.remove(&user_id);
            }
        }
    }

    fn take(&mut self, key: &Slot) -> Option<Arc<Session>> {
        let (session, _) = self.records.remove(key)?;
        self.unlink(key, session.user_id);
        Some(session)
    }

    fn purge_expired(&mut self, now: i64) {
        let dead: Vec<Slot> = self
            .records
            .iter()
            .filter(|(_, entry)| entry.1 <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in dead {
            self.take(&key);
        }
    }

    fn make_room(&mut self, capacity: usize, now: i64) {
        if self.records.len() < capacity {
            return;
        }
        self.purge_expired(now);
        if self.records.len() < capacity {
            return;
        }
        let mut by_end: Vec<(i64, Slot)> = self
            .records
            .iter()
            .map(|(k, entry)| (entry.1, k.clone()))
            .collect();
        by_end.sort();
        let excess = self.records.len() + 1 - capacity;
        for (_, key) in by_end.into_iter().take(excess.max(capacity / 10)) {
            self.take(&key);
        }
    }
}

/// Sessions in a bounded in-process map.
pub struct MemorySessionStore {
    inner: Mutex<Sessions>,
    capacity: usize,
}

impl MemorySessionStore {
    /// A store that holds at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Sessions::default()),
            capacity: capacity.max(1),
        }
    }

    /// The live record of `key`; an expired one goes.
    fn read(&self, key: &SessionKey, now: i64) -> Option<Arc<Session>> {
        let key = Slot::of(key);
        let mut s = lock(&self.inner);
        match s.records.get(&key) {
            Some((session, gone_at)) if *gone_at > now => Some(session.clone()),
            Some(_) => {
                s.take(&key);
                None
            }
            None => None,
        }
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn put(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()> {
        let gone_at = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let key = Slot::of(key);
        let mut s = lock(&self.inner);
        if !s.records.contains_key(&key) {
            s.make_room(self.capacity, now);
        }
        s.records
            .insert(key.clone(), (Arc::new(session.clone()), gone_at));
        s.by_user.entry(session.user_id).or_default().insert(key);
        Ok(())
    }

    async fn touch(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<bool> {
        let gone_at = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let mut s = lock(&self.inner);
        match s.records.get_mut(&Slot::of(key)) {
            Some(entry) if entry.1 > now => {
                *entry = (Arc::new(session.clone()), gone_at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn get(&self, key: &SessionKey, now: i64) -> StoreResult<Option<Arc<Session>>> {
        Ok(self.read(key, now))
    }

    fn get_now(&self, key: &SessionKey, now: i64) -> Option<StoreResult<Option<Arc<Session>>>> {
        Some(Ok(self.read(key, now)))
    }

    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        Ok(lock(&self.inner).take(&Slot::of(key)).is_some())
    }

    async fn list_for_user(
        &self,
        user_id: UserId,
        now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>> {
        let s = lock(&self.inner);
        let Some(keys) = s.by_user.get(&user_id) else {
            return Ok(Vec::new());
        };
        Ok(keys
            .iter()
            .filter_map(|k| match s.records.get(k) {
                Some((session, gone_at)) if *gone_at > now => {
                    Some((k.key(), Session::clone(session)))
                }
                _ => None,
            })
            .collect())
    }

    async fn remove_all_for_user(&self, user_id: UserId) -> StoreResult<usize> {
        let mut s = lock(&self.inner);
        let keys = s.by_user.remove(&user_id).unwrap_or_default();
        let n = keys
            .iter()
            .filter(|k| s.records.remove(*k).is_some())
            .count();
        Ok(n)
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn held(&self) -> StoreResult<Option<u64>> {
        // Records past their end that no write has evicted yet count too: an estimate.
        Ok(u64::try_from(lock(&self.inner).records.len()).ok())
    }

    async fn put_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()> {
        let mut s = lock(&self.inner);
        s.pending
            .put(key, action.clone(), ttl_secs, now, self.capacity);
        Ok(())
    }

    async fn take_pending(&self, key: &SessionKey, now: i64) -> StoreResult<Option<PendingAction>> {
        Ok(lock(&self.inner).pending.take(key, now))
    }

    async fn put_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl_secs: u64,
        now: i64,
    ) -> StoreResult<()> {
        let mut s = lock(&self.inner);
        s.ceremonies
            .put(key, state.to_owned(), ttl_secs, now, self.capacity);
        Ok(())
    }

    async fn take_ceremony(&self, key: &SessionKey, now: i64) -> StoreResult<Option<String>> {
        Ok(lock(&self.inner).ceremonies.take(key, now))
    }
}

/// Throttle counters in a bounded in-process table (see `throttle_table` for what goes when
/// it is full).
pub struct MemoryThrottleStore {
    inner: Mutex<ThrottleTable>,
}

impl MemoryThrottleStore {
    /// A store that tracks at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(ThrottleTable::new(capacity)),
        }
    }
}

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait]
impl ThrottleStore for MemoryThrottleStore {
    async fn admit(
        &self,
        key: &ThrottleKey,
        now: i64,
        keep_for: u64,
        cap: u32,
    ) -> StoreResult<Admission> {
        Ok(lock(&self.inner).admit(key, now, secs(keep_for), cap))
    }

    async fn fail(&self, key: &ThrottleKey, now: i64, keep_for: u64) -> StoreResult<u32> {
        Ok(lock(&self.inner).fail(key, now, secs(keep_for)))
    }

    async fn release(&self, key: &ThrottleKey) -> StoreResult<()> {
        lock(&self.inner).release(key);
        Ok(())
    }

    async fn ban(
        &self,
        key: &ThrottleKey,
        now: i64,
        until: i64,
        keep_until: i64,
    ) -> StoreResult<()> {
        lock(&self.inner).ban(key, now, until, keep_until);
        Ok(())
    }

    async fn clear(&self, key: &ThrottleKey) -> StoreResult<()> {
        lock(&self.inner).clear(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::{AuthLevel, SessionId, SessionTimeouts};

    const T: i64 = 1_700_000_000;

    fn session(user_id: i64) -> Session {
        let t = SessionTimeouts {
            idle: 60,
            absolute: 600,
            touch_every: 10,
            remember: 0,
        };
        let owner = crate::domain::session::Owner {
            user_id: UserId(user_id),
            username: "u",
            epoch: 0,
        };
        Session::start(owner, AuthLevel::OneFactor, T, "ip", "ua", &t)
    }

    #[tokio::test]
    async fn a_pending_action_is_one_per_session_taken_once_and_expires() {
        let store = MemorySessionStore::new(2);
        let (a, b) = (SessionId::generate().key(), SessionId::generate().key());
        let action = |path: &str| PendingAction {
            path: path.into(),
            fields: Vec::new(),
            created_at: T,
        };
        store.put_pending(&a, &action("/one"), 60, T).await.unwrap();
        store.put_pending(&a, &action("/two"), 60, T).await.unwrap();
        store.put_pending(&b, &action("/b"), 60, T).await.unwrap();
        let taken = store.take_pending(&a, T).await.unwrap();
        assert_eq!(
            taken,
            Some(action("/two")),
            "the newer one replaced the older"
        );
        assert_eq!(store.take_pending(&a, T).await.unwrap(), None, "once");
        assert_eq!(
            store.take_pending(&b, T + 60).await.unwrap(),
            None,
            "expired"
        );
    }

    #[tokio::test]
    async fn sessions_are_indexed_per_user() {
        let store = MemorySessionStore::new(100);
        let (a, b, c) = (
            SessionId::generate().key(),
            SessionId::generate().key(),
            SessionId::generate().key(),
        );
        store.put(&a, &session(1), 60, T).await.unwrap();
        store.put(&b, &session(1), 60, T).await.unwrap();
        store.put(&c, &session(2), 60, T).await.unwrap();
        assert_eq!(store.list_for_user(UserId(1), T).await.unwrap().len(), 2);
        assert_eq!(store.remove_all_for_user(UserId(1)).await.unwrap(), 2);
        assert!(store.get(&a, T).await.unwrap().is_none());
        assert!(store.get(&c, T).await.unwrap().is_some());
        assert!(store.remove(&c).await.unwrap());
        assert!(!store.remove(&c).await.unwrap());
    }

    /// The store keeps time only through `now`: a record lives for its TTL from the `now` it
    /// was written at, whatever the wall clock says.
    #[tokio::test]
    async fn session_expiry_follows_the_given_time() {
        let store = MemorySessionStore::new(10);
        let key = SessionId::generate().key();
        store.put(&key, &session(1), 60, T).await.unwrap();
        assert!(store.get(&key, T + 59).await.unwrap().is_some());
        assert_eq!(
            store.list_for_user(UserId(1), T + 59).await.unwrap().len(),
            1
        );
        assert!(store.touch(&key, &session(1), 60, T + 59).await.unwrap());
        assert!(store.get(&key, T + 118).await.unwrap().is_some());
        assert!(
            store
                .list_for_user(UserId(1), T + 119)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.get(&key, T + 119).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn session_map_is_bounded() {
        let store = MemorySessionStore::new(50);
        for _ in 0..500 {
            store
                .put(&SessionId::generate().key(), &session(1), 60, T)
                .await
                .unwrap();
        }
        assert!(lock(&store.inner).records.len() <= 50);
    }

    #[tokio::test]
    async fn throttle_map_is_bounded_and_keeps_banned_keys() {
        let store = MemoryThrottleStore::new(100);
        let alice = ThrottleKey::account("alice");
        store.fail(&alice, 0, 10).await.unwrap();
        store.ban(&alice, 0, 1_000_000, 2_000_000).await.unwrap();
        for i in 0..1000 {
            let key = ThrottleKey::account(&format!("x{i}"));
            store.admit(&key, 0, 10, 100).await.unwrap();
            store.fail(&key, 0, 10).await.unwrap();
        }
        assert!(lock(&store.inner).len() <= 100);
        assert!(matches!(
            store.admit(&alice, 1, 10, 100).await.unwrap(),
            Admission::Refused { .. }
        ));
    }
}
