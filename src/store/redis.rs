//! Redis stores shared by several gateway instances: the connection and sessions (throttle
//! counters: `redis_throttle.rs`).
//!
//! Keys (all under the configured prefix; `redis_keys.rs` spells them): `{h}<digest bytes 2
//! to 32>` the session's compact record (`redis_record.rs`) with a TTL; `{h}i:<user id>` a
//! hash whose fields are the digests of that user's sessions (a listpack: about 36 bytes a
//! session); `p:<sha256(id) hex>` the action that session posted before a step-up (TTL: the
//! step-up window); `w:<sha256(ceremony id) hex>` a WebAuthn ceremony's server half (TTL: 2
//! minutes, docs/passkeys.md#challenges); `{th}t:<throttle key>` the throttle (`redis_throttle.rs`). `h` is the
//! user's shard, one byte: every session key of the user begins with it
//! (`SessionId::generate_for`), so the hash tag puts a user's records and index in one Redis
//! Cluster slot, found from the key alone, and every step over them is one MULTI or script
//! there (docs/security.md#redis-cluster). The raw session id never reaches Redis
//! (docs/security.md#session-store-at-rest). Records of earlier layouts (`s<digest>` and
//! `i:<id>` without a tag; `s:<hex>` JSON and `u:<id>` sets before those) are not read: those
//! sessions end at the upgrade and their keys expire by their TTLs. Every error becomes
//! `StoreError::Unavailable`, and callers fail closed on it
//! (docs/security.md#store-bounds-and-outages).

use crate::domain::user::UserId;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::redis_link::{Link, Subscriber, client, tls_hint};
use super::redis_sentinel::{SentinelConnection, SentinelLink};
use super::{SessionStore, StoreError, StoreResult, redis_record};
use crate::config::{RedisTarget, RedisTls};
use crate::domain::pending::PendingAction;
use crate::domain::secret::SecretString;
use crate::domain::session::{Session, SessionKey, user_shard};

pub(super) fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::unavailable(e)
}

/// A connection shared by the Redis stores.
#[derive(Clone)]
pub struct RedisConn {
    pub(super) conn: Link,
    pub(super) prefix: String,
    /// For the dedicated pub/sub connection of the invalidation channel.
    pub(super) subscriber: Subscriber,
    pub(super) timeout: Duration,
}

impl RedisConn {
    /// Connects (with reconnects and bounded timeouts) to `url`; keys get `prefix`.
    pub async fn connect(url: &str, prefix: &str, timeout: Duration) -> StoreResult<Self> {
        let target = RedisTarget::Url(SecretString::new(url));
        Self::open(&target, prefix, timeout, &RedisTls::default()).await
    }

    /// Connects to `target` with the certificates of `tls` for TLS: its CA instead of the
    /// system roots, and a client certificate (docs/security.md#redis-tls). A Sentinel group's
    /// master is looked up now, and again whenever it fails (docs/security.md#redis-sentinel);
    /// a cluster's slot map is read now from its seeds (docs/security.md#redis-cluster).
    pub async fn open(
        target: &RedisTarget,
        prefix: &str,
        timeout: Duration,
        tls: &RedisTls,
    ) -> StoreResult<Self> {
        let hinted = |e: redis::RedisError| match tls_hint(&e) {
            Some(hint) => StoreError::unavailable_at(hint, e),
            None => unavailable(e),
        };
        let (conn, subscriber) = match target {
            RedisTarget::Url(url) => {
                let client = client(url.expose(), tls).map_err(unavailable)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1);
                let conn = ConnectionManager::new_with_config(client.clone(), config)
                    .await
                    .map_err(hinted)?;
                (Link::Server(conn), Subscriber::Server(Box::new(client)))
            }
            RedisTarget::Cluster(cluster) => {
                let (conn, seeds) = super::redis_cluster::connect(cluster, tls, timeout)
                    .await
                    .map_err(hinted)?;
                (Link::Cluster(conn), Subscriber::Cluster(seeds))
            }
            RedisTarget::Sentinel(group) => {
                let link = SentinelLink::connect(group, tls, timeout)
                    .await
                    .map_err(hinted)?;
                (
                    Link::Sentinel(SentinelConnection(link.clone())),
                    Subscriber::Sentinel(link),
                )
            }
        };
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            subscriber,
            timeout,
        })
    }

    /// The invalidation channel (docs/security.md#session-cache): `s:<session key>` or
    /// `u:<user id>`, published by the scripts that end sessions and by `user_changed`.
    pub(super) fn channel(&self) -> String {
        format!("{}inv", self.prefix)
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
// KEYS: session, index; ARGV: record, ttl, digest, index ttl.
const TOUCH_LUA: &str = r"
if not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'XX') then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], '')
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
";

// Delete a session and unlink it from its user's index (the user id is the varint after the
// record's version byte, see redis_record.rs; the index shares the session's shard, so the
// key is built here in the same slot), and announce it on the invalidation channel in the
// same step, so that no instance keeps serving it from its local cache.
// KEYS: session; ARGV: key prefix, prefix with the shard's tag, digest, session key (hex, for
// the channel).
const REMOVE_LUA: &str = r"
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1] .. 'inv', 's:' .. ARGV[3])
if string.byte(raw, 1) == 1 then
  local id, mul = 0, 1
  for i = 2, math.min(#raw, 9) do
    local b = string.byte(raw, i)
    id = id + (b % 128) * mul
    if b < 128 then
      redis.call('HDEL', ARGV[2] .. 'i:' .. string.format('%d', id), ARGV[3])
      break
    end
    mul = mul * 128
  end
end
return 1
";

// Delete every session listed in a user's index, and the index; announce the user (always:
// the user's record changed too, e.g. a new password or disabled). The sessions share the
// index's shard: one slot.
// KEYS: index; ARGV: key prefix, user id, prefix with the shard's tag (before the digest's
// last 31 bytes).
const REMOVE_ALL_LUA: &str = r"
redis.call('PUBLISH', ARGV[1] .. 'inv', 'u:' .. ARGV[2])
local n = 0
for _, d in ipairs(redis.call('HKEYS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[3] .. string.sub(d, 2))
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
        let (Some(record_key), Some(digest)) =
            (self.redis.session_key(key), redis_record::digest(key))
        else {
            return Err(StoreError::inconsistent("a session key is not a digest"));
        };
        // Outside its user's shard a session would leave the index's slot (CROSSSLOT on a
        // cluster): only keys of `SessionId::generate_for` are stored.
        if digest[0] != user_shard(session.user_id) {
            return Err(StoreError::inconsistent(
                "a session key outside its user's shard",
            ));
        }
        let mut conn = self.redis.conn.clone();
        let index = self.redis.index_key(session.user_id);
        redis::pipe()
            .atomic()
            .set_ex(record_key, redis_record::encode(session), ttl_secs.max(1))
            .ignore()
            .hset(&index, &digest[..], "")
            .ignore()
            .expire(&index, i64::try_from(self.index_ttl).unwrap_or(i64::MAX))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn get(&self, key: &SessionKey, _now: i64) -> StoreResult<Option<Arc<Session>>> {
        let Some(record_key) = self.redis.session_key(key) else {
            return Ok(None);
        };
        let mut conn = self.redis.conn.clone();
        let raw: Option<Vec<u8>> = conn.get(record_key).await.map_err(unavailable)?;
        let session = raw.as_deref().map(redis_record::decode).transpose()?;
        Ok(session.map(Arc::new))
    }

    async fn touch(
        &self,
        key: &SessionKey,
        session: &Session,
        ttl_secs: u64,
        _now: i64,
    ) -> StoreResult<bool> {
        let (Some(record_key), Some(digest)) =
            (self.redis.session_key(key), redis_record::digest(key))
        else {
            return Ok(false);
        };
        let mut conn = self.redis.conn.clone();
        let done: i64 = self
            .touch
            .key(record_key)
            .key(self.redis.index_key(session.user_id))
            .arg(redis_record::encode(session))
            .arg(ttl_secs.max(1))
            .arg(&digest[..])
            .arg(self.index_ttl)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(done == 1)
    }

    async fn remove(&self, key: &SessionKey) -> StoreResult<bool> {
        let (Some(record_key), Some(digest)) =
            (self.redis.session_key(key), redis_record::digest(key))
        else {
            return Ok(false);
        };
        let mut conn = self.redis.conn.clone();
        let removed: i64 = self
            .remove
            .key(record_key)
            .arg(&self.redis.prefix)
            .arg(self.redis.shard_prefix(digest[0]))
            .arg(&digest[..])
            .arg(key.as_str())
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
        let index = self.redis.index_key(user_id);
        let digests: Vec<Vec<u8>> = conn.hkeys(&index).await.map_err(unavailable)?;
        let keys: Vec<Option<SessionKey>> =
            digests.iter().map(|d| redis_record::key_of(d)).collect();
        let record_keys: Vec<Vec<u8>> = keys
            .iter()
            .flatten()
            .filter_map(|k| self.redis.session_key(k))
            .collect();
        let mut values: Vec<Option<Vec<u8>>> = if record_keys.is_empty() {
            Vec::new()
        } else {
            conn.mget(&record_keys).await.map_err(unavailable)?
        };
        values.reverse();
        let mut live = Vec::new();
        let mut stale = Vec::new();
        for (digest, key) in digests.into_iter().zip(keys) {
            let record = key.as_ref().and_then(|_| values.pop().flatten());
            match (key, record.as_deref().map(redis_record::decode)) {
                (Some(key), Some(Ok(session))) => live.push((key, session)),
                _ => stale.push(digest),
            }
        }
        if !stale.is_empty() {
            let _: i64 = conn.hdel(&index, stale).await.map_err(unavailable)?;
        }
        Ok(live)
    }

    async fn remove_all_for_user(&self, user_id: UserId) -> StoreResult<usize> {
        let mut conn = self.redis.conn.clone();
        let n: usize = self
            .remove_all
            .key(self.redis.index_key(user_id))
            .arg(&self.redis.prefix)
            .arg(user_id.0)
            .arg(self.redis.shard_prefix(user_shard(user_id)))
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

    async fn put_ceremony(
        &self,
        key: &SessionKey,
        state: &str,
        ttl_secs: u64,
        _now: i64,
    ) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        conn.set_ex::<_, _, ()>(self.redis.ceremony_key(key), state, ttl_secs.max(1))
            .await
            .map_err(unavailable)
    }

    // GETDEL, as for the pending actions: a challenge is answered once.
    async fn take_ceremony(&self, key: &SessionKey, _now: i64) -> StoreResult<Option<String>> {
        let mut conn = self.redis.conn.clone();
        conn.get_del(self.redis.ceremony_key(key))
            .await
            .map_err(unavailable)
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
