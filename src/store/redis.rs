//! Redis stores shared by several gateway instances: the connection and sessions (throttle
//! counters: `redis_throttle.rs`).
//!
//! Keys (all under the configured prefix): `s:<sha256(id)>` the session JSON with a TTL;
//! `p:<sha256(id)>` the action that session posted before a step-up (TTL: the step-up window);
//! `u:<user id>` a set of that user's session keys; `t:<throttle key>` a hash {f, p, b} of
//! failures, in-flight
//! attempts and ban end. The raw session id never reaches Redis (docs/security.md#session-store-at-rest). Every error
//! becomes `StoreError::Unavailable`, and callers fail closed on it (docs/security.md#store-bounds-and-outages).

use crate::domain::user::UserId;
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{SessionStore, StoreError, StoreResult};
use crate::domain::pending::PendingAction;
use crate::domain::session::{Session, SessionKey};
use crate::domain::throttle_key::ThrottleKey;

pub(super) fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::unavailable(e)
}

/// A connection shared by the Redis stores.
#[derive(Clone)]
pub struct RedisConn {
    pub(super) conn: ConnectionManager,
    pub(super) prefix: String,
    /// For the dedicated pub/sub connection of the invalidation channel.
    pub(super) client: redis::Client,
    pub(super) timeout: Duration,
}

impl RedisConn {
    /// Connects (with reconnects and bounded timeouts) to `url`; keys get `prefix`.
    pub async fn connect(url: &str, prefix: &str, timeout: Duration) -> StoreResult<Self> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            client,
            timeout,
        })
    }

    /// The invalidation channel (docs/security.md#session-cache): `s:<session key>` or
    /// `u:<user id>`, published by the scripts that end sessions and by `user_changed`.
    pub(super) fn channel(&self) -> String {
        format!("{}inv", self.prefix)
    }

    fn session_key(&self, key: &SessionKey) -> String {
        format!("{}s:{}", self.prefix, key.0)
    }

    fn pending_key(&self, key: &SessionKey) -> String {
        format!("{}p:{}", self.prefix, key.0)
    }

    fn user_key(&self, user_id: UserId) -> String {
        format!("{}u:{user_id}", self.prefix)
    }

    pub(super) fn throttle_key(&self, key: &ThrottleKey) -> String {
        format!("{}t:{key}", self.prefix)
    }
}

/// Sessions in Redis. Every change that touches a session and the user's index is one
/// MULTI or one script, so concurrent sign-ins, refreshes and revocations on any instance
/// never leave a live session outside its user's index.
pub struct RedisSessionStore {
    redis: RedisConn,
    /// TTL of the per-user index: it must outlive every session it lists.
    index_ttl: u64,
    touch: redis::Script,
    remove: redis::Script,
    remove_all: redis::Script,
}

// Refresh only a record that still exists (SET XX), keeping it indexed.
// KEYS: session, index; ARGV: json, ttl, member, index ttl.
const TOUCH_LUA: &str = r"
if not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'XX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
";

// Delete a session and unlink it from its user's index (the user id is in the record), and
// announce it on the invalidation channel in the same step, so that no instance keeps serving
// it from its local cache.
// KEYS: session; ARGV: key prefix, member.
const REMOVE_LUA: &str = r"
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1] .. 'inv', 's:' .. ARGV[2])
local ok, s = pcall(cjson.decode, raw)
if ok and type(s) == 'table' and type(s['user_id']) == 'number' then
  redis.call('SREM', ARGV[1] .. 'u:' .. string.format('%d', s['user_id']), ARGV[2])
end
return 1
";

// Delete every session listed in a user's index, and the index; announce the user (always:
// the user's record changed too, e.g. a new password or disabled).
// KEYS: index; ARGV: key prefix, user id.
const REMOVE_ALL_LUA: &str = r"
redis.call('PUBLISH', ARGV[1] .. 'inv', 'u:' .. ARGV[2])
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[1] .. 's:' .. m)
end
redis.call('DEL', KEYS[1])
return n
";

impl RedisSessionStore {
    /// Sessions over `redis`; `max_lifetime` is the absolute session timeout in seconds.
    pub fn new(redis: RedisConn, max_lifetime: u64) -> Self {
        Self {
            redis,
            index_ttl: max_lifetime.saturating_add(60),
            touch: redis::Script::new(TOUCH_LUA),
            remove: redis::Script::new(REMOVE_LUA),
            remove_all: redis::Script::new(REMOVE_ALL_LUA),
        }
    }
}

fn decode(raw: &str) -> StoreResult<Session> {
    serde_json::from_str(raw).map_err(StoreError::corrupt)
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    // Redis expires the record by its own TTL: `now` is for stores that keep time themselves.
    async fn put(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        _now: i64,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(session).map_err(StoreError::corrupt)?;
        let mut conn = self.redis.conn.clone();
        let user_key = self.redis.user_key(session.user_id);
        redis::pipe()
            .atomic()
            .set_ex(self.redis.session_key(key), json, ttl_secs.max(1))
            .ignore()
            .sadd(&user_key, &key.0)
            .ignore()
            .expire(&user_key, i64::try_from(self.index_ttl).unwrap_or(i64::MAX))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn get(&self, key: &SessionKey, _now: i64) -> StoreResult<Option<Session>> {
        let mut conn = self.redis.conn.clone();
        let raw: Option<String> = conn
            .get(self.redis.session_key(key))
            .await
            .map_err(unavailable)?;
        raw.as_deref().map(decode).transpose()
    }

    async fn touch(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        _now: i64,
    ) -> StoreResult<bool> {
        let json = serde_json::to_string(session).map_err(StoreError::corrupt)?;
        let mut conn = self.redis.conn.clone();
        let done: i64 = self
            .touch
            .key(self.redis.session_key(key))
            .key(self.redis.user_key(session.user_id))
            .arg(json)
            .arg(ttl_secs.max(1))
            .arg(&key.0)
            .arg(self.index_ttl)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(done == 1)
    }

    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        let mut conn = self.redis.conn.clone();
        let removed: i64 = self
            .remove
            .key(self.redis.session_key(key))
            .arg(&self.redis.prefix)
            .arg(&key.0)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn list_for_user(
        &self,
        user_id: UserId,
        _now: i64,
    ) -> StoreResult<Vec<(SessionKey, Session)>> {
        let mut conn = self.redis.conn.clone();
        let user_key = self.redis.user_key(user_id);
        let members: Vec<String> = conn.smembers(&user_key).await.map_err(unavailable)?;
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = members
            .iter()
            .map(|m| self.redis.session_key(&SessionKey(m.clone())))
            .collect();
        let values: Vec<Option<String>> = conn.mget(&keys).await.map_err(unavailable)?;
        let mut live = Vec::new();
        let mut stale = Vec::new();
        for (member, value) in members.into_iter().zip(values) {
            match value.as_deref().map(decode) {
                Some(Ok(session)) => live.push((SessionKey(member), session)),
                _ => stale.push(member),
            }
        }
        if !stale.is_empty() {
            let _: i64 = conn.srem(&user_key, stale).await.map_err(unavailable)?;
        }
        Ok(live)
    }

    async fn remove_all_for_user(&self, user_id: UserId) -> StoreResult<usize> {
        let mut conn = self.redis.conn.clone();
        let n: usize = self
            .remove_all
            .key(self.redis.user_key(user_id))
            .arg(&self.redis.prefix)
            .arg(user_id.0)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(n)
    }

    async fn put_pending(
        &self,
        key: &SessionKey,
        action: &PendingAction,
        ttl_secs: u64,
        _now: i64,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(action).map_err(StoreError::corrupt)?;
        let mut conn = self.redis.conn.clone();
        conn.set_ex::<_, _, ()>(self.redis.pending_key(key), json, ttl_secs.max(1))
            .await
            .map_err(unavailable)
    }

    // GETDEL (Redis 6.2): one instance only ever gets it.
    async fn take_pending(
        &self,
        key: &SessionKey,
        _now: i64,
    ) -> StoreResult<Option<PendingAction>> {
        let mut conn = self.redis.conn.clone();
        let raw: Option<String> = conn
            .get_del(self.redis.pending_key(key))
            .await
            .map_err(unavailable)?;
        raw.map(|r| serde_json::from_str(&r).map_err(StoreError::corrupt))
            .transpose()
    }

    async fn user_changed(&self, user_id: UserId) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        conn.publish::<_, _, i64>(self.redis.channel(), format!("u:{user_id}"))
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
