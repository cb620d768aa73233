//! Sessions: start, resolve a cookie to a live session and its user, end one or all.
//!
//! Resolution enforces the server-side idle and absolute timeouts (docs/security.md#session-timeouts), ends the
//! session when the user is gone, disabled or has a newer session epoch (password set,
//! disabled: docs/security.md#admin-session-control, #credential-changes), and writes `last_seen` back at most every `touch_every`.
//! In front of a shared store it may keep resolved sessions locally (`SessionCache`): every
//! change here that ends a session or alters a user is forgotten locally at once and
//! announced through the store to every other instance (docs/security.md#session-cache).

use crate::domain::user::UserId;
use std::sync::Arc;
use std::time::Duration;

use crate::audit;
use crate::audit::event;
use crate::domain::pending::PendingAction;
use crate::domain::session::{
    AuthLevel, Expiry, PENDING_TTL, Session, SessionId, SessionKey, SessionTimeouts,
};
use crate::domain::user::User;
use crate::service::session_cache::{SESSION_CACHE_CAP, SessionCache};
use crate::service::user_cache::{USER_CACHE_CAP, UserCache};
use crate::store::{SessionStore, StoreResult, UserStore};

/// A live session and its (fresh enough) user.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Store key of the session.
    pub key: SessionKey,
    /// The record, shared with the store or cache it was read from.
    pub session: Arc<Session>,
    /// The user as of at most `user_refresh` ago.
    pub user: Arc<User>,
}

/// Where a new session comes from, and what its record starts with.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    /// Client address.
    pub ip: &'a str,
    /// User agent (the record truncates it).
    pub user_agent: &'a str,
    /// "Keep me signed in" was asked for (honoured only when `session.remember_me` is on).
    pub remember: bool,
    /// The cookie scope the session's cookie will be issued for, when known (a sign-in at
    /// the portal, a session replacing one of the same browser): bound in the first write.
    pub scope: Option<&'a str>,
}

/// The session use cases.
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    users: Arc<dyn UserStore>,
    timeouts: SessionTimeouts,
    max_per_user: usize,
    /// Users as of at most `user_refresh` ago (docs/security.md#admin-session-control).
    cache: UserCache,
    /// Resolved sessions kept locally in front of a shared store (none for the memory store).
    local: Option<Arc<SessionCache>>,
}

impl Sessions {
    /// Sessions over the given stores.
    pub fn new(
        store: Arc<dyn SessionStore>,
        users: Arc<dyn UserStore>,
        timeouts: SessionTimeouts,
        max_per_user: usize,
        user_refresh: Duration,
    ) -> Self {
        Self {
            store,
            users,
            timeouts,
            max_per_user: max_per_user.max(1),
            cache: UserCache::new(user_refresh, USER_CACHE_CAP),
            local: None,
        }
    }

    /// These sessions with a local cache of resolved sessions kept at most `ttl` (a zero
    /// `ttl` keeps none). The cache stays bypassed until the returned handle hears from the
    /// invalidation channel that it is live.
    pub fn with_local_cache(mut self, ttl: Duration) -> (Self, Option<Arc<SessionCache>>) {
        if ttl.is_zero() {
            return (self, None);
        }
        let cache = Arc::new(SessionCache::new(
            ttl,
            SESSION_CACHE_CAP,
            self.cache.clone(),
        ));
        self.local = Some(cache.clone());
        (self, Some(cache))
    }

    /// The local session cache, when there is one.
    pub fn local_cache(&self) -> Option<&Arc<SessionCache>> {
        self.local.as_ref()
    }

    /// The configured timeouts.
    pub fn timeouts(&self) -> &SessionTimeouts {
        &self.timeouts
    }

    /// Starts a session with a fresh id. When the user already has `max_per_user` sessions,
    /// the least recently used ones end (the documented concurrent-session policy, docs/security.md#session-cap).
    /// `remember`: "Keep me signed in" was asked for (honoured only when `session.remember_me`
    /// is on).
    pub async fn start(
        &self,
        user: &User,
        level: AuthLevel,
        opening: Opening<'_>,
        now: i64,
    ) -> StoreResult<(SessionId, Session)> {
        let session = self.opened(user, level, opening, now).await?;
        self.put_new(session, now).await
    }

    /// A new session record for `user`, after ending the least recently used ones over the cap.
    async fn opened(
        &self,
        user: &User,
        level: AuthLevel,
        opening: Opening<'_>,
        now: i64,
    ) -> StoreResult<Session> {
        let mut existing = self.store.list_for_user(user.id, now).await?;
        // Pending logins are short-lived and not sessions: they neither count nor get evicted.
        existing.retain(|(_, s)| s.level != AuthLevel::Pending);
        if existing.len() >= self.max_per_user {
            existing.sort_by_key(|(_, s)| s.last_seen);
            let excess = existing.len() + 1 - self.max_per_user;
            for (key, _) in existing.into_iter().take(excess) {
                self.remove(&key).await?;
                audit!(event::SESSION_EVICTED, user = %crate::audit::Clean(&user.username), session = key.short());
            }
        }
        let mut session = Session::start(
            user.into(),
            level,
            now,
            opening.ip,
            opening.user_agent,
            &self.timeouts,
        );
        if opening.remember {
            session.keep_signed_in(&self.timeouts);
        }
        // Known now, the scope goes into the first write: no second write to bind it.
        session.cookie_scope = opening.scope.map(str::to_owned);
        Ok(session)
    }

    /// Stores `session` under a fresh id: its one write.
    async fn put_new(&self, session: Session, now: i64) -> StoreResult<(SessionId, Session)> {
        let id = SessionId::generate_for(session.user_id);
        self.store
            .put(&id.key(), &session, session.ttl(now, &self.timeouts), now)
            .await?;
        Ok((id, session))
    }

    /// Starts a pending second-factor login: a short record under its own cookie that no
    /// page, proxy or forward-auth check accepts as a session (docs/security.md#session-rotation, #pending-login).
    pub async fn start_pending(
        &self,
        user: &User,
        ip: &str,
        user_agent: &str,
        now: i64,
        remember: bool,
    ) -> StoreResult<(SessionId, Session)> {
        let id = SessionId::generate_for(user.id);
        let mut session = Session::start(
            user.into(),
            AuthLevel::Pending,
            now,
            ip,
            user_agent,
            &self.timeouts,
        );
        session.expires_at = now.saturating_add(PENDING_TTL);
        // Carried to the session the code step starts; the pending login itself stays short.
        session.remember = remember && self.timeouts.remember > 0;
        self.store
            .put(&id.key(), &session, session.ttl(now, &self.timeouts), now)
            .await?;
        Ok((id, session))
    }

    /// Replaces a session (or pending login) by a new one with a fresh id at `level`: the
    /// old id is revoked, so it is never promoted (docs/security.md#session-rotation).
    pub async fn rotate(
        &self,
        old: &Resolved,
        level: AuthLevel,
        now: i64,
    ) -> StoreResult<(SessionId, Session)> {
        self.remove(&old.key).await?;
        let opening = Opening {
            ip: &old.session.ip,
            user_agent: &old.session.user_agent,
            remember: old.session.remember,
            // The same browser gets the new cookie, for the same scope (none yet for a
            // pending login: bound when its cookie is issued).
            scope: old.session.cookie_scope.as_deref(),
        };
        let mut session = self.opened(&old.user, level, opening, now).await?;
        // A rotation is not a new login: the session keeps its absolute end.
        if old.session.level != AuthLevel::Pending {
            session.created_at = old.session.created_at;
            session.expires_at = old.session.expires_at;
        }
        self.put_new(session, now).await
    }

    /// Resolves a cookie value sent to a host in cookie scope `scope` (its cookie domain, or
    /// the host itself). `Ok(None)` for anything that is not a live session of an active user
    /// issued for that scope; store failures are errors so that callers fail closed. A pending
    /// second-factor login is not a session.
    ///
    /// Not an `async fn`, which would hold its arguments twice: every proxied request's future
    /// holds this one's.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn holds its arguments twice"
    )]
    pub fn resolve<'a>(
        &'a self,
        cookie: &'a str,
        scope: &'a str,
        now: i64,
    ) -> impl Future<Output = StoreResult<Option<Resolved>>> + Send + 'a {
        async move {
            let Some(r) = self.resolve_any(cookie, now).await? else {
                return Ok(None);
            };
            if r.session.level == AuthLevel::Pending {
                return Ok(None);
            }
            if !r.session.valid_in(scope) {
                audit!(event::SESSION_WRONG_SCOPE, user = %crate::audit::Clean(&r.user.username), session = r.key.short(), scope = %crate::audit::Clean(scope));
                return Ok(None);
            }
            Ok(Some(r))
        }
    }

    /// Records the cookie scope a session's cookie is about to be issued for. Called right
    /// before the `Set-Cookie` leaves, while nobody but the gateway knows the id.
    pub async fn bind_scope(
        &self,
        id: &SessionId,
        scope: &str,
        now: i64,
    ) -> StoreResult<Option<Session>> {
        let key = id.key();
        let Some(session) = self.store.get(&key, now).await? else {
            return Ok(None);
        };
        let mut session = Arc::unwrap_or_clone(session);
        session.cookie_scope = Some(scope.to_owned());
        // `touch`, not `put`: a sign-out or revocation between the read and this write must
        // not bring the session back (the same rule as the idle refresh).
        self.store
            .touch(&key, &session, session.ttl(now, &self.timeouts), now)
            .await?;
        if let Some(local) = &self.local {
            local.forget(&key);
        }
        Ok(Some(session))
    }

    /// Resolves the cookie of a pending second-factor login, and nothing else.
    pub async fn resolve_pending(&self, cookie: &str, now: i64) -> StoreResult<Option<Resolved>> {
        Ok(self
            .resolve_any(cookie, now)
            .await?
            .filter(|r| r.session.level == AuthLevel::Pending))
    }

    async fn resolve_any(&self, cookie: &str, now: i64) -> StoreResult<Option<Resolved>> {
        let Some(key) = SessionId::key_of(cookie) else {
            return Ok(None);
        };
        // Taken before the read: a read that an invalidation overtakes is not kept.
        let ticket = self.local.as_ref().and_then(|c| c.ticket());
        // A cached copy whose timeouts look passed goes back to the store, which decides: its
        // `last_seen` may lag a write-back by another instance.
        let cached = (self.local.as_ref().and_then(|c| c.get(&key)))
            .filter(|s| s.expiry(now, &self.timeouts) == Expiry::Live);
        let hit = cached.is_some();
        let mut session = match cached {
            Some(s) => s,
            None => {
                // `if let`: the answer of `get_now` is gone before the store is waited for.
                let read = if let Some(read) = self.store.get_now(&key, now) {
                    read?
                } else {
                    self.store.get(&key, now).await?
                };
                match read {
                    Some(s) => s,
                    None => return Ok(None),
                }
            }
        };
        if session.expiry(now, &self.timeouts) != Expiry::Live {
            self.remove(&key).await?;
            return Ok(None);
        }
        let user = match self.user(session.user_id).await? {
            // The name must match too: defence in depth should an id ever be reused.
            Some(u)
                if !u.disabled
                    && u.session_epoch == session.epoch
                    && u.username == session.username =>
            {
                u
            }
            _ => {
                self.remove(&key).await?;
                return Ok(None);
            }
        };
        // A cached session is touched as a read one is, so the store's idle timeout (its TTL)
        // is refreshed at the same pace on every instance.
        let touched = session.needs_touch(now, &self.timeouts);
        if touched {
            Arc::make_mut(&mut session).last_seen = now;
            // Ended meanwhile (a sign-out or revocation won the race): stays ended.
            if !self
                .store
                .touch(&key, &session, session.ttl(now, &self.timeouts), now)
                .await?
            {
                if let Some(local) = &self.local {
                    local.forget(&key);
                }
                return Ok(None);
            }
        }
        if let (Some(local), Some(ticket), true) = (&self.local, ticket, touched || !hit) {
            local.put(ticket, &key, session.clone());
        }
        Ok(Some(Resolved { key, session, user }))
    }

    /// Keeps the action session `key` posted before confirming its password, for `ttl`
    /// seconds (the step-up window); it replaces any earlier one (docs/security.md#step-up).
    pub async fn keep_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl: i64,
        now: i64,
    ) -> StoreResult<()> {
        let ttl = u64::try_from(ttl).unwrap_or(1);
        self.store.put_pending(key, action, ttl, now).await
    }

    /// Takes, once, the action kept for session `key`, if it is still within `ttl` seconds
    /// (checked here too: a store's own expiry follows its clock, not ours).
    pub async fn take_pending(
        &self,
        key: &SessionKey,
        ttl: i64,
        now: i64,
    ) -> StoreResult<Option<PendingAction>> {
        let taken = self.store.take_pending(key, now).await?;
        Ok(taken.filter(|a| a.is_live(now, ttl)))
    }

    /// Keeps the server half of a WebAuthn ceremony under `key` for `ttl` seconds.
    pub async fn keep_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl: i64,
        now: i64,
    ) -> StoreResult<()> {
        let ttl = u64::try_from(ttl).unwrap_or(1);
        self.store.put_ceremony(key, state, ttl, now).await
    }

    /// Takes, once, the ceremony kept under `key` (its purpose and age are the caller's to
    /// check: `domain::passkey::Ceremony::answers`).
    pub async fn take_ceremony(&self, key: &SessionKey, now: i64) -> StoreResult<Option<String>> {
        self.store.take_ceremony(key, now).await
    }

    /// Ends one session.
    pub async fn end(&self, key: &SessionKey) -> StoreResult<bool> {
        self.remove(key).await
    }

    /// Ends one session here and in the store, which announces it to the other instances.
    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        if let Some(local) = &self.local {
            local.forget(key);
        }
        self.store.remove(key).await
    }

    /// Ends every session of a user and forgets the cached user, here and (through the
    /// store) on every other instance.
    pub async fn end_all_for_user(&self, user_id: UserId) -> StoreResult<usize> {
        self.forget_user_here(user_id);
        self.store.remove_all_for_user(user_id).await
    }

    /// Every live session of a user.
    pub async fn list_for_user(
        &self,
        user_id: UserId,
        now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>> {
        self.store.list_for_user(user_id, now).await
    }

    /// The user's signed-in sessions for the sessions page and `gatehouse user sessions`:
    /// pending second-factor logins, expired records and sessions of an older epoch are left
    /// out. Most recently used first.
    pub async fn list_active(
        &self,
        user: &User,
        now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>> {
        let mut live = self.store.list_for_user(user.id, now).await?;
        live.retain(|(_, s)| {
            s.level != AuthLevel::Pending
                && s.expiry(now, &self.timeouts) == Expiry::Live
                && s.epoch == user.session_epoch
                && s.username == user.username
        });
        live.sort_by(|(ka, a), (kb, b)| b.last_seen.cmp(&a.last_seen).then(ka.cmp(kb)));
        Ok(live)
    }

    /// Ends the session `key` if it is a signed-in session of `user_id`; anything else (another
    /// user's session, a pending login, an unknown key) is left alone. Returns the ended record.
    pub async fn revoke(
        &self,
        user_id: UserId,
        key: &SessionKey,
        now: i64,
    ) -> StoreResult<Option<Session>> {
        match self.store.get(key, now).await? {
            Some(s) if s.user_id == user_id && s.level != AuthLevel::Pending => {
                Ok(self.remove(key).await?.then(|| Arc::unwrap_or_clone(s)))
            }
            _ => Ok(None),
        }
    }

    /// Ends every session (and pending login) of the user except `keep`; returns how many.
    pub async fn end_others(
        &self,
        user_id: UserId,
        keep: &SessionKey,
        now: i64,
    ) -> StoreResult<usize> {
        let mut ended = 0;
        for (key, _) in self.store.list_for_user(user_id, now).await? {
            if &key != keep && self.remove(&key).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Ends every session of the user on an operator's request, audited with `actor`.
    pub async fn revoke_all(&self, user: &User, actor: &str) -> StoreResult<usize> {
        let ended = self.end_all_for_user(user.id).await?;
        audit!(event::SESSIONS_REVOKED_ALL, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), sessions_ended = ended);
        Ok(ended)
    }

    /// Drops a user from the caches after a change made by this instance, and tells the
    /// other instances to do the same.
    pub async fn forget_user(&self, user_id: UserId) -> StoreResult<()> {
        self.forget_user_here(user_id);
        self.store.user_changed(user_id).await
    }

    fn forget_user_here(&self, user_id: UserId) {
        match &self.local {
            Some(local) => local.forget_user(user_id),
            None => self.cache.forget(user_id),
        }
    }

    /// The user as the store has it now, past the refresh cache: for a session started right
    /// after a change to the user's record (a new session epoch).
    pub async fn fresh_user(&self, id: UserId) -> StoreResult<Option<Arc<User>>> {
        self.forget_user_here(id);
        self.user(id).await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<Arc<User>>> {
        // Behind a shared store the user cache is believed only while the invalidation
        // channel is live, as the session cache is.
        let ticket = self.local.as_ref().map(|local| local.ticket());
        if !matches!(ticket, Some(None))
            && let Some(user) = self.cache.get(id)
        {
            return Ok(Some(user));
        }
        let Some(user) = self.users.get(id).await?.map(Arc::new) else {
            self.forget_user_here(id);
            return Ok(None);
        };
        match (&self.local, ticket) {
            (None, _) => self.cache.put(user.clone()),
            (Some(local), Some(Some(ticket))) => local.put_user(ticket, user.clone()),
            _ => {}
        }
        Ok(Some(user))
    }

    /// Checks that the session store answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }

    /// Sessions the store holds, when it can count them cheaply (metrics).
    pub async fn held(&self) -> StoreResult<Option<u64>> {
        self.store.held().await
    }
}
