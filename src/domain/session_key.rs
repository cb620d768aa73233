//! A session's store key: SHA-256 of its id, never the id itself, written as lower-case hex.
//!
//! Every proxied request computes the key of its cookie's id to look the session up, and the
//! in-process store and the local cache in front of Redis keep or hash the digest's 32 bytes,
//! not its 64 digits. So a key made from a digest keeps the digest, and writes its hex only
//! when something reads it (a Redis key name on a cache miss, the sessions page): the lookup
//! neither writes the hex nor decodes it back. A key read as text that spells a digest (a
//! Redis key name, a form field) is decoded once, when it is made, so that it compares and
//! hashes as the key of that digest does.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::secret::hex;

/// Hex SHA-256 of a session id: the store key, and a safe handle to show or log. Equal keys
/// have equal hex, whichever way each was made.
#[derive(Clone)]
pub struct SessionKey(Repr);

#[derive(Clone)]
enum Repr {
    /// Made from a digest, or read as its hex: the hex, written when first read.
    Digest([u8; 32], OnceLock<String>),
    /// Read as text that is not a digest's lower-case hex, kept as it is.
    Text(String),
}

/// The value of each byte as a lower-case hex digit, `INVALID` for any other byte: one load per
/// digit.
const INVALID: u8 = 0xff;
static NIBBLE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut c = 0;
    while c < 16 {
        table[b"0123456789abcdef"[c] as usize] = c as u8;
        c += 1;
    }
    table
};

/// The digest that `text` is the lower-case hex of, if it is one.
fn decode(text: &str) -> Option<[u8; 32]> {
    let hex = text.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    // The nibbles of all digits or'ed together: a digit's is below 16, `INVALID` is not, so one
    // test after the loop instead of two per byte inside it.
    let mut seen = 0u8;
    for (pair, byte) in hex.chunks_exact(2).zip(digest.iter_mut()) {
        let (high, low) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
        seen |= high | low;
        *byte = high << 4 | (low & 0x0f);
    }
    (seen & !0x0f == 0).then_some(digest)
}

impl SessionKey {
    /// The key of a digest: its hex is written when first read.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(Repr::Digest(digest, OnceLock::new()))
    }

    /// A key read as text (a store's key name, a form field): any text, as the stores take
    /// it. Text that is a digest's lower-case hex is that digest's key; its text is kept, so
    /// it is not written again.
    pub fn from_text(text: impl Into<String>) -> Self {
        let text = text.into();
        match decode(&text) {
            Some(digest) => Self(Repr::Digest(digest, OnceLock::from(text))),
            None => Self(Repr::Text(text)),
        }
    }

    /// The key as text: the digest's lower-case hex, or the text it was made from.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Digest(digest, text) => text.get_or_init(|| hex(digest)),
            Repr::Text(text) => text,
        }
    }

    /// The digest, when the key was made from one or read as its hex.
    pub fn digest(&self) -> Option<&[u8; 32]> {
        match &self.0 {
            Repr::Digest(digest, _) => Some(digest),
            Repr::Text(_) => None,
        }
    }

    /// A short, non-secret handle for logs and the sessions page.
    pub fn short(&self) -> &str {
        let text = self.as_str();
        text.get(..12).unwrap_or(text)
    }

    /// The shard this key was drawn for: its first byte, the first two hex digits.
    pub fn shard(&self) -> Option<u8> {
        match self.digest() {
            Some(digest) => Some(digest[0]),
            None => u8::from_str_radix(self.as_str().get(..2)?, 16).ok(),
        }
    }
}

/// A digest's key never equals a text key: the one's text is a digest's lower-case hex, and
/// the other's never is.
impl PartialEq for SessionKey {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Digest(a, _), Repr::Digest(b, _)) => a == b,
            (Repr::Text(a), Repr::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for SessionKey {}

/// A digest's key hashes its 32 bytes: the local cache's lookup on every request writes no
/// hex (about 400 instructions and an allocation). Equal keys are of the same kind (see
/// `PartialEq`), so they hash alike.
impl Hash for SessionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Digest(digest, _) => state.write(digest),
            Repr::Text(text) => text.hash(state),
        }
    }
}

impl PartialOrd for SessionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SessionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        // Lower-case hex digits sort as the bytes they spell: digests compare without text.
        match (&self.0, &other.0) {
            (Repr::Digest(a, _), Repr::Digest(b, _)) => a.cmp(b),
            _ => self.as_str().cmp(other.as_str()),
        }
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SessionKey").field(&self.as_str()).finish()
    }
}

impl Serialize for SessionKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SessionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from_text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use super::*;

    fn hashed(key: &SessionKey) -> u64 {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    #[test]
    fn a_key_from_a_digest_reads_as_its_hex_and_equals_the_key_from_that_text() {
        let mut digest = [0u8; 32];
        for (i, b) in digest.iter_mut().enumerate() {
            *b = u8::try_from(i * 7 + 1).unwrap();
        }
        let made = SessionKey::from_digest(digest);
        let text: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let read = SessionKey::from_text(text.clone());
        // Compared before either was read as text, then after.
        assert_eq!(made, read);
        assert_eq!(read, made);
        assert_eq!(made.as_str(), text);
        assert_eq!(hashed(&made), hashed(&read));
        assert_eq!(made.cmp(&read), Ordering::Equal);
        assert_eq!(made.shard(), read.shard());
        assert_eq!(made.short(), &text[..12]);
        assert_eq!(serde_json::to_string(&made).unwrap(), format!("\"{text}\""));
        let back: SessionKey = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, made);
    }

    #[test]
    fn keys_of_different_digests_differ_and_order_like_their_text() {
        let (a, b) = ([0x0fu8; 32], [0xa0u8; 32]);
        let (ka, kb) = (SessionKey::from_digest(a), SessionKey::from_digest(b));
        assert_ne!(ka, kb);
        assert_ne!(ka, SessionKey::from_text("0f".repeat(31)));
        assert!(ka < kb);
        assert!(SessionKey::from_text("0f".repeat(32)) < kb);
    }

    #[test]
    fn a_digest_key_is_hashed_compared_and_ordered_without_writing_its_hex() {
        let (a, b) = (
            SessionKey::from_digest([7u8; 32]),
            SessionKey::from_digest([9u8; 32]),
        );
        let _ = (hashed(&a), a == b, a.cmp(&b), a.shard(), a.digest());
        // Every request's lookup does the above: none of it may allocate the 64 digits.
        assert!(matches!(&a.0, Repr::Digest(_, text) if text.get().is_none()));
        assert!(matches!(&b.0, Repr::Digest(_, text) if text.get().is_none()));
    }

    #[test]
    fn text_that_only_looks_like_a_digest_stays_text() {
        let digest = SessionKey::from_digest([0xabu8; 32]);
        for raw in [
            "AB".repeat(32),
            "0g".repeat(32),
            "ab".repeat(31),
            "ab".repeat(33),
            format!("{}G", "a".repeat(63)),
            format!("-{}", "a".repeat(63)),
        ] {
            let key = SessionKey::from_text(raw.as_str());
            assert_eq!(key.digest(), None, "{raw}");
            assert_eq!(key.as_str(), raw);
            assert_ne!(key, digest, "{raw}");
        }
        assert_eq!(SessionKey::from_text("ab".repeat(32)), digest);
    }

    #[test]
    fn a_key_from_other_text_is_kept_verbatim() {
        let key = SessionKey::from_text("k1");
        assert_eq!(key.as_str(), "k1");
        assert_eq!(key.digest(), None);
        assert_eq!(key.shard(), None);
        assert_eq!(key.short(), "k1");
        assert_ne!(key, SessionKey::from_text("k2"));
    }
}
