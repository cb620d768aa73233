//! Store round trips of a sign-in: a session is written once, with the cookie scope it is
//! issued for already in the record (no second write to bind it, no read back), and a
//! rotation (the step-up password) writes the new session once too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use gatehouse::domain::pending::PendingAction;
use gatehouse::domain::session::{Session, SessionKey};
use gatehouse::domain::user::UserId;
use gatehouse::store::{SessionStore, StoreResult};

use crate::kit::*;

/// A session store that counts writes and reads and hands everything to the real one.
struct Counting {
    inner: Arc<dyn SessionStore>,
    writes: AtomicUsize,
    reads: AtomicUsize,
}

#[async_trait]
impl SessionStore for Counting {
    async fn put(&self, key: &SessionKey, s: &Session, ttl: u64, now: i64) -> StoreResult<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.put(key, s, ttl, now).await
    }
    async fn touch(&self, key: &SessionKey, s: &Session, ttl: u64, now: i64) -> StoreResult<bool> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.touch(key, s, ttl, now).await
    }
    async fn get(&self, key: &SessionKey, now: i64) -> StoreResult<Option<Arc<Session>>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key, now).await
    }
    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        self.inner.remove(key).await
    }
    async fn list_for_user(&self, id: UserId, now: i64) -> StoreResult<Vec<(SessionKey, Session)>> {
        self.inner.list_for_user(id, now).await
    }
    async fn remove_all_for_user(&self, id: UserId) -> StoreResult<usize> {
        self.inner.remove_all_for_user(id).await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
    async fn put_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl: u64,
        now: i64,
    ) -> StoreResult<()> {
        self.inner.put_pending(key, action, ttl, now).await
    }
    async fn take_pending(&self, key: &SessionKey, now: i64) -> StoreResult<Option<PendingAction>> {
        self.inner.take_pending(key, now).await
    }
    async fn put_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl: u64,
        now: i64,
    ) -> StoreResult<()> {
        self.inner.put_ceremony(key, state, ttl, now).await
    }
    async fn take_ceremony(&self, key: &SessionKey, now: i64) -> StoreResult<Option<String>> {
        self.inner.take_ceremony(key, now).await
    }
}

#[tokio::test]
async fn a_sign_in_writes_its_session_once_with_its_cookie_scope() {
    let counting = Arc::new(std::sync::OnceLock::<Arc<Counting>>::new());
    let slot = counting.clone();
    let kit = Kit::with_session_store(&[], move |inner| {
        let c = Arc::new(Counting {
            inner,
            writes: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
        });
        let _ = slot.set(c.clone());
        c
    })
    .await;
    let store = counting.get().expect("wrapped");
    kit.user("alice").await;
    let before = store.writes.load(Ordering::SeqCst);
    let ok = kit.login("alice", PW).await.expect("signed in");
    assert_eq!(store.writes.load(Ordering::SeqCst) - before, 1, "one write");
    assert!(
        ok.session.valid_in(SCOPE),
        "the scope is in the first write"
    );
    // The edge issues the cookie from the record it has: the session resolves in its scope
    // without any further write.
    let writes = store.writes.load(Ordering::SeqCst);
    assert!(kit.resolve(&ok.id).await.is_some());
    assert_eq!(store.writes.load(Ordering::SeqCst), writes);

    // The step-up password rotates the session: one write for the new one, same scope.
    let reads = store.reads.load(Ordering::SeqCst);
    let current = kit.resolve(&ok.id).await.expect("live");
    let writes = store.writes.load(Ordering::SeqCst);
    let (id, session) = kit
        .services
        .sessions
        .rotate(&current, current.session.level, kit.now())
        .await
        .expect("rotated");
    assert_eq!(store.writes.load(Ordering::SeqCst) - writes, 1, "one write");
    assert!(session.valid_in(SCOPE));
    assert!(kit.resolve(&id).await.is_some());
    assert!(store.reads.load(Ordering::SeqCst) > reads);
}
