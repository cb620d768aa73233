//! Store latency and errors for the metrics: wrappers that time every call of the session
//! and user stores they stand in front of, and change nothing else. `compose` puts them in
//! place only when metrics are on; each call then costs two clock reads, a histogram
//! observation and the boxed future of the wrapper itself.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{NewUser, Profile, SessionStore, StoreResult, UserStore};
use crate::domain::pending::PendingAction;
use crate::domain::session::{Session, SessionKey};
use crate::domain::user::{User, UserId};
use crate::metrics::{Meter, StoreKind};

/// Awaits a store call and records how long it took and whether it failed.
macro_rules! timed {
    ($self:ident, $call:expr) => {{
        let started = Instant::now();
        let result = $call.await;
        $self
            .meter
            .store_call($self.kind, started.elapsed(), result.is_ok());
        result
    }};
}

/// A store with its calls timed into a meter.
pub struct Timed<S: ?Sized> {
    inner: Arc<S>,
    meter: Meter,
    kind: StoreKind,
}

impl Timed<dyn SessionStore> {
    /// The session store `inner`, timed.
    pub fn sessions(inner: Arc<dyn SessionStore>, meter: Meter) -> Arc<dyn SessionStore> {
        Arc::new(Self {
            inner,
            meter,
            kind: StoreKind::Sessions,
        })
    }
}

impl Timed<dyn UserStore> {
    /// The user store `inner`, timed.
    pub fn users(inner: Arc<dyn UserStore>, meter: Meter) -> Arc<dyn UserStore> {
        Arc::new(Self {
            inner,
            meter,
            kind: StoreKind::Users,
        })
    }
}

#[async_trait]
impl SessionStore for Timed<dyn SessionStore> {
    async fn put(&self, key: &SessionKey, s: &Session, ttl: u64, now: i64) -> StoreResult<()> {
        timed!(self, self.inner.put(key, s, ttl, now))
    }
    async fn touch(&self, key: &SessionKey, s: &Session, ttl: u64, now: i64) -> StoreResult<bool> {
        timed!(self, self.inner.touch(key, s, ttl, now))
    }
    async fn get(&self, key: &SessionKey, now: i64) -> StoreResult<Option<Arc<Session>>> {
        timed!(self, self.inner.get(key, now))
    }
    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        timed!(self, self.inner.remove(key))
    }
    async fn list_for_user(
        &self,
        user_id: UserId,
        now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>> {
        timed!(self, self.inner.list_for_user(user_id, now))
    }
    async fn remove_all_for_user(&self, user_id: UserId) -> StoreResult<usize> {
        timed!(self, self.inner.remove_all_for_user(user_id))
    }
    async fn ping(&self) -> StoreResult<()> {
        timed!(self, self.inner.ping())
    }
    async fn put_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl: u64,
        now: i64,
    ) -> StoreResult<()> {
        timed!(self, self.inner.put_pending(key, action, ttl, now))
    }
    async fn take_pending(&self, key: &SessionKey, now: i64) -> StoreResult<Option<PendingAction>> {
        timed!(self, self.inner.take_pending(key, now))
    }
    async fn put_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl: u64,
        now: i64,
    ) -> StoreResult<()> {
        timed!(self, self.inner.put_ceremony(key, state, ttl, now))
    }
    async fn take_ceremony(&self, key: &SessionKey, now: i64) -> StoreResult<Option<String>> {
        timed!(self, self.inner.take_ceremony(key, now))
    }
    async fn user_changed(&self, user_id: UserId) -> StoreResult<()> {
        timed!(self, self.inner.user_changed(user_id))
    }
    async fn held(&self) -> StoreResult<Option<u64>> {
        // A scrape-time count, not a request's store call: not timed.
        self.inner.held().await
    }
}

#[async_trait]
impl UserStore for Timed<dyn UserStore> {
    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        timed!(self, self.inner.find_by_username(username))
    }
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        timed!(self, self.inner.find_by_email(email))
    }
    async fn get(&self, id: UserId) -> StoreResult<Option<User>> {
        timed!(self, self.inner.get(id))
    }
    async fn create(&self, user: &NewUser, now: i64) -> StoreResult<User> {
        timed!(self, self.inner.create(user, now))
    }
    async fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        now: i64,
    ) -> StoreResult<()> {
        timed!(self, self.inner.set_password(id, hash, must_change, now))
    }
    async fn rehash_password(&self, id: UserId, old: &str, new: &str, now: i64) -> StoreResult<()> {
        timed!(self, self.inner.rehash_password(id, old, new, now))
    }
    async fn set_disabled(&self, id: UserId, disabled: bool, now: i64) -> StoreResult<()> {
        timed!(self, self.inner.set_disabled(id, disabled, now))
    }
    async fn set_groups(&self, id: UserId, groups: &[String], now: i64) -> StoreResult<()> {
        timed!(self, self.inner.set_groups(id, groups, now))
    }
    async fn set_profile(&self, id: UserId, profile: &Profile, now: i64) -> StoreResult<()> {
        timed!(self, self.inner.set_profile(id, profile, now))
    }
    async fn set_language(&self, id: UserId, tag: &str) -> StoreResult<()> {
        timed!(self, self.inner.set_language(id, tag))
    }
    async fn delete(&self, id: UserId) -> StoreResult<bool> {
        timed!(self, self.inner.delete(id))
    }
    async fn list(&self) -> StoreResult<Vec<User>> {
        timed!(self, self.inner.list())
    }
    async fn count(&self) -> StoreResult<u64> {
        timed!(self, self.inner.count())
    }
    async fn ping(&self) -> StoreResult<()> {
        timed!(self, self.inner.ping())
    }
}
