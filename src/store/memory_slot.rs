//! How the in-process session store holds a session key: the 32 bytes of the hex SHA-256 that
//! every issued key is, inline (40 bytes, no allocation), instead of a 64-character `String`
//! (24 bytes plus an 80-byte heap block), once in the records and once in the per-user index.
//! With 100,000 sessions that is ~110 bytes a session less (BENCHMARKS.md, "Memory and login
//! storms"). Any other key (only tests make them) is kept as given, so every key round-trips.

use crate::domain::session::SessionKey;

/// A session key as the memory store's maps hold it. Ordered as the hex strings are, since
/// lower-case hex digits sort as the bytes they encode.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Slot {
    Digest([u8; 32]),
    Other(Box<str>),
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl Slot {
    pub(super) fn of(key: &SessionKey) -> Self {
        let hex = key.0.as_bytes();
        let mut digest = [0u8; 32];
        let decoded = hex.len() == 64
            && hex
                .chunks_exact(2)
                .zip(digest.iter_mut())
                .all(|(pair, byte)| match (nibble(pair[0]), nibble(pair[1])) {
                    (Some(high), Some(low)) => {
                        *byte = high << 4 | low;
                        true
                    }
                    _ => false,
                });
        if decoded {
            Slot::Digest(digest)
        } else {
            Slot::Other(key.0.as_str().into())
        }
    }

    pub(super) fn key(&self) -> SessionKey {
        match self {
            Slot::Digest(bytes) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut s = String::with_capacity(64);
                for b in bytes {
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 0xf)]));
                }
                SessionKey(s)
            }
            Slot::Other(s) => SessionKey(s.to_string()),
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
    }

    #[test]
    fn other_keys_round_trip_verbatim_and_order_like_their_text() {
        for raw in [
            "k1",
            "",
            &"A".repeat(64),
            &"0g".repeat(32),
            &"ab".repeat(33),
        ] {
            let key = SessionKey(raw.to_owned());
            assert!(matches!(Slot::of(&key), Slot::Other(_)));
            assert!(Slot::of(&key).key() == key);
        }
        let (a, b) = (SessionKey("0f".repeat(32)), SessionKey("a0".repeat(32)));
        assert!(Slot::of(&a) < Slot::of(&b));
    }
}
