//! How the in-process session store holds a session key: the 32 bytes of the hex SHA-256 that
//! every issued key is, inline (40 bytes, no allocation), instead of a 64-character `String`
//! (24 bytes plus an 80-byte heap block), once in the records and once in the per-user index.
//! With 100,000 sessions that is ~110 bytes a session less (BENCHMARKS.md, "Memory and login
//! storms"). Any other key (only tests make them) is kept as given, so every key round-trips.

use std::hash::{BuildHasher, Hash, Hasher};

use crate::domain::session::SessionKey;

/// A session key as the memory store's maps hold it. Ordered as the hex strings are, since
/// lower-case hex digits sort as the bytes they encode.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Slot {
    Digest([u8; 32]),
    Other(Box<str>),
}

/// A digest is hashed as its first 8 bytes, with no keyed hash (SipHash) over all 32 on every
/// request. That is safe from flooding: a key enters the maps only when the gateway issues a
/// session, and an issued key is the SHA-256 of a random id, so the stored keys are spread
/// evenly whatever clients send. A client's guessed key is only looked up, and a lookup's
/// probe length depends on the stored keys alone.
impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Slot::Digest(d) => state.write_u64(u64::from_le_bytes([
                d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
            ])),
            Slot::Other(s) => s.hash(state),
        }
    }
}

/// The hasher of the maps keyed by [`Slot`]: a digest's bytes as they are, anything else (only
/// tests make other keys) folded byte by byte.
#[derive(Clone, Copy, Default)]
pub(super) struct SlotHash;

impl BuildHasher for SlotHash {
    type Hasher = SlotHasher;
    fn build_hasher(&self) -> SlotHasher {
        SlotHasher(0)
    }
}

pub(super) struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

impl Slot {
    pub(super) fn of(key: &SessionKey) -> Self {
        // Every issued key is a digest, made from one (every request's lookup) or read as its
        // hex (the session key decodes that): held as those 32 bytes.
        match key.digest() {
            Some(digest) => Slot::Digest(*digest),
            None => Slot::Other(key.as_str().into()),
        }
    }

    pub(super) fn key(&self) -> SessionKey {
        match self {
            Slot::Digest(bytes) => SessionKey::from_digest(*bytes),
            Slot::Other(s) => SessionKey::from_text(s.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::SessionId;

    #[test]
    fn issued_keys_are_held_inline_and_round_trip() {
        let key = SessionId::generate().key();
        let slot = Slot::of(&key);
        assert!(matches!(slot, Slot::Digest(_)));
        assert!(slot.key() == key);
        assert!(std::mem::size_of::<Slot>() <= 40);
        // The same key read back as text (from Redis, a form) names the same slot.
        let read = SessionKey::from_text(key.as_str());
        assert!(Slot::of(&read) == slot);
        assert!(Slot::of(&read).key().as_str() == key.as_str());
    }

    #[test]
    fn other_keys_round_trip_verbatim_and_order_like_their_text() {
        for raw in [
            "k1",
            "",
            &"A".repeat(64),
            &"0g".repeat(32),
            &"ab".repeat(33),
            &format!("{}G", "a".repeat(63)),
            &format!("-{}", "a".repeat(63)),
        ] {
            let key = SessionKey::from_text(raw);
            assert!(matches!(Slot::of(&key), Slot::Other(_)));
            assert!(Slot::of(&key).key() == key);
        }
        let (a, b) = (
            SessionKey::from_text("0f".repeat(32)),
            SessionKey::from_text("a0".repeat(32)),
        );
        assert!(Slot::of(&a) < Slot::of(&b));
    }
}
