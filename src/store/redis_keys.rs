//! The Redis key layout (docs/security.md#redis-cluster, #session-store-at-rest): every key
//! under the configured prefix, and the hash tags that keep each multi-key step in one slot
//! of a Redis Cluster. `redis.rs` documents the keys; this module only spells them.

use super::redis::RedisConn;
use super::redis_record;
use crate::domain::session::{SessionKey, user_shard};
use crate::domain::throttle_key::ThrottleKey;
use crate::domain::user::UserId;

impl RedisConn {
    /// `{h}` and the last 31 digest bytes (redis_record.rs): `h`, the hash tag, is the first
    /// byte, the shard the key was drawn for. `None` for a key that names no session.
    pub(super) fn session_key(&self, key: &SessionKey) -> Option<Vec<u8>> {
        let digest = redis_record::digest(key)?;
        let mut out = Vec::with_capacity(self.prefix.len() + 34);
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(&tag(digest[0]));
        out.extend_from_slice(&digest[1..]);
        Some(out)
    }

    /// The prefix and the hash tag of `shard`: what the scripts put before the rest of a
    /// digest and before `i:<id>` to reach that shard's keys.
    pub(super) fn shard_prefix(&self, shard: u8) -> Vec<u8> {
        [self.prefix.as_bytes(), &tag(shard)].concat()
    }

    pub(super) fn pending_key(&self, key: &SessionKey) -> String {
        format!("{}p:{}", self.prefix, key.as_str())
    }

    /// A WebAuthn ceremony in progress (docs/passkeys.md#challenges); one key, any slot.
    pub(super) fn ceremony_key(&self, key: &SessionKey) -> String {
        format!("{}w:{}", self.prefix, key.as_str())
    }

    pub(super) fn index_key(&self, user_id: UserId) -> Vec<u8> {
        let mut out = self.shard_prefix(user_shard(user_id));
        out.extend_from_slice(format!("i:{user_id}").as_bytes());
        out
    }

    /// All throttle buckets share the tag `{th}`, so one step over an account's and a client's
    /// buckets is one script in one slot of a cluster (docs/security.md#redis-cluster).
    pub(super) fn throttle_key(&self, key: &ThrottleKey) -> String {
        format!("{}{{th}}t:{key}", self.prefix)
    }
}

/// `{h}`: the hash tag of a shard, the shard's byte itself (one byte keeps a record's key
/// within the allocation size it had before the tag). A `}` would close an empty tag, which
/// Redis ignores, so that one shard takes `{` instead and shares its slot with shard `{`.
fn tag(shard: u8) -> [u8; 3] {
    let byte = if shard == b'}' { b'{' } else { shard };
    [b'{', byte, b'}']
}

#[cfg(test)]
mod tests {
    use super::tag;

    #[test]
    fn every_shard_has_a_one_byte_tag_that_redis_reads_as_a_tag() {
        for shard in 0..=u8::MAX {
            let t = tag(shard);
            assert_eq!((t[0], t[2]), (b'{', b'}'));
            // An empty tag (`{}`) would make Redis hash the whole key.
            assert_ne!(t[1], b'}', "shard {shard}");
        }
        assert_eq!(tag(7), *b"{\x07}");
        assert_eq!(tag(b'}'), *b"{{}");
    }
}
