//! Throttle counters in Redis, shared by every instance on it, so that N instances never give
//! an attacker N times the attempts (docs/security.md#throttle-design).
//!
//! A key `{th}t:<throttle key>` (under the configured prefix; one hash tag for every bucket, see
//! `redis.rs`) is a hash {f: settled failures,
//! p: attempts in flight, b: ban end} with a TTL, so nothing outlives its `forget_after` or its
//! ban. Every step is one Lua script over all the keys it changes (a login's account and
//! client buckets, a code's counter and client buckets), so a step is atomic across instances
//! and a failure between keys cannot leave half of it. Errors become
//! `StoreError::Unavailable`, and an attempt that cannot be counted is refused (fail closed).

use async_trait::async_trait;
use redis::AsyncCommands;

use super::redis::{RedisConn, unavailable};
use super::{AdmitAll, AdmitKey, StoreResult, ThrottleStore};
use crate::domain::throttle::Admission;
use crate::domain::throttle_key::ThrottleKey;

/// Throttle counters in Redis; each step is one Lua script, so it is atomic across instances.
pub struct RedisThrottleStore {
    redis: RedisConn,
    admit: redis::Script,
    fail: redis::Script,
    release: redis::Script,
    ban: redis::Script,
}

// All or none: refuse when any key is banned or at its cap (returning which and until when),
// else admit one attempt in flight on every key and push each expiry out (see
// domain::throttle). KEYS: the buckets; ARGV: now, then keep and cap of each key.
const ADMIT_LUA: &str = r"
local now = tonumber(ARGV[1])
local counted = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('HMGET', k, 'f', 'p', 'b')
  local f, p, b = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
  if now < b then return {0, i - 1, b} end
  if f + p >= tonumber(ARGV[2 * i + 1]) then return {0, i - 1, now + 1} end
  counted[i] = f + p
end
local out = {1}
for i, k in ipairs(KEYS) do
  redis.call('HINCRBY', k, 'p', 1)
  local keep = tonumber(ARGV[2 * i])
  if redis.call('TTL', k) < keep then redis.call('EXPIRE', k, keep) end
  out[i + 1] = counted[i] + 1
end
return out
";

// One evaluated failure on each key: out of flight, into the failures.
// KEYS: the buckets; ARGV: the keep of each key.
const FAIL_LUA: &str = r"
local out = {}
for i, k in ipairs(KEYS) do
  local p = tonumber(redis.call('HGET', k, 'p') or '0')
  if p > 0 then redis.call('HSET', k, 'p', p - 1) end
  out[i] = redis.call('HINCRBY', k, 'f', 1)
  local keep = tonumber(ARGV[i])
  if redis.call('TTL', k) < keep then redis.call('EXPIRE', k, keep) end
end
return out
";

// Out of flight without counting; a key left with nothing is deleted (no trace).
// KEYS: the buckets.
const RELEASE_LUA: &str = r"
for _, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then
    local v = redis.call('HMGET', k, 'f', 'p', 'b')
    local p = tonumber(v[2] or '0') - 1
    if p < 0 then p = 0 end
    if p == 0 and tonumber(v[1] or '0') == 0 and tonumber(v[3] or '0') == 0 then
      redis.call('DEL', k)
    else
      redis.call('HSET', k, 'p', p)
    end
  end
end
return 1
";

// A later ban wins; the key lives at least until ARGV[2].
const BAN_LUA: &str = r"
local b = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
if tonumber(ARGV[1]) > b then redis.call('HSET', KEYS[1], 'b', ARGV[1]) end
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'GT')
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIREAT', KEYS[1], ARGV[2]) end
return 1
";

impl RedisThrottleStore {
    /// Throttle counters over `redis`.
    pub fn new(redis: RedisConn) -> Self {
        Self {
            redis,
            admit: redis::Script::new(ADMIT_LUA),
            fail: redis::Script::new(FAIL_LUA),
            release: redis::Script::new(RELEASE_LUA),
            ban: redis::Script::new(BAN_LUA),
        }
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl ThrottleStore for RedisThrottleStore {
    async fn admit(
        &self,
        key: &ThrottleKey,
        now: i64,
        keep_for: u64,
        cap: u32,
    ) -> StoreResult<Admission> {
        let one = [AdmitKey { key, keep_for, cap }];
        Ok(match self.admit_all(&one, now).await? {
            AdmitAll::Admitted(n) => Admission::Admitted {
                n: n.first().copied().unwrap_or(1),
            },
            AdmitAll::Refused { until, .. } => Admission::Refused { until },
        })
    }

    async fn admit_all(&self, keys: &[AdmitKey<'_>], now: i64) -> StoreResult<AdmitAll> {
        if keys.is_empty() {
            return Ok(AdmitAll::Admitted(Vec::new()));
        }
        let mut call = self.admit.prepare_invoke();
        call.arg(now);
        for k in keys {
            call.key(self.redis.throttle_key(k.key))
                .arg(k.keep_for.max(1))
                .arg(k.cap);
        }
        let mut conn = self.redis.conn.clone();
        let out: Vec<i64> = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        match out.as_slice() {
            [1, counts @ ..] if counts.len() == keys.len() => Ok(AdmitAll::Admitted(
                counts.iter().map(|n| count(*n)).collect(),
            )),
            [0, index, until] => Ok(AdmitAll::Refused {
                index: usize::try_from(*index).unwrap_or(0),
                until: *until,
            }),
            _ => Err(super::StoreError::inconsistent(
                "unexpected answer of the throttle admission script",
            )),
        }
    }

    async fn fail(&self, key: &ThrottleKey, now: i64, keep_for: u64) -> StoreResult<u32> {
        let counts = self.fail_all(&[(key, keep_for)], now).await?;
        Ok(counts.first().copied().unwrap_or(0))
    }

    async fn fail_all(&self, keys: &[(&ThrottleKey, u64)], _now: i64) -> StoreResult<Vec<u32>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = self.fail.prepare_invoke();
        for (key, keep_for) in keys {
            call.key(self.redis.throttle_key(key)).arg(keep_for.max(&1));
        }
        let mut conn = self.redis.conn.clone();
        let out: Vec<i64> = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(out.into_iter().map(count).collect())
    }

    async fn release(&self, key: &ThrottleKey) -> StoreResult<()> {
        self.release_all(&[key]).await
    }

    async fn release_all(&self, keys: &[&ThrottleKey]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut call = self.release.prepare_invoke();
        for key in keys {
            call.key(self.redis.throttle_key(key));
        }
        let mut conn = self.redis.conn.clone();
        call.invoke_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn ban(
        &self,
        key: &ThrottleKey,
        _now: i64,
        until: i64,
        keep_until: i64,
    ) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        self.ban
            .key(self.redis.throttle_key(key))
            .arg(until)
            .arg(keep_until)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn clear(&self, key: &ThrottleKey) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        conn.del::<_, i64>(self.redis.throttle_key(key))
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
