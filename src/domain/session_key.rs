//! A session's store key: SHA-256 of its id, never the id itself, written as lower-case hex.
//!
//! Every proxied request computes the key of its cookie's id to look the session up, and the
//! in-process store keeps the digest's 32 bytes, not its 64 digits. So a key made from a digest
//! keeps the digest, and writes its hex only when something reads it (a Redis key name, the
//! sessions page): the lookup neither writes the hex nor decodes it back.

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
    /// Made from a digest: its hex, written when first read.
    Digest([u8; 32], OnceLock<String>),
    /// Read as text, kept as it is.
    Text(String),
}

impl SessionKey {
    /// The key of a digest: its hex is written when first read.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(Repr::Digest(digest, OnceLock::new()))
    }

    /// A key read as text (a store's key name, a form field), kept as it is: any text, as
    /// the stores take it.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(Repr::Text(text.into()))
    }

    /// The key as text: the digest's lower-case hex, or the text it was made from.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Digest(digest, text) => text.get_or_init(|| hex(digest)),
            Repr::Text(text) => text,
        }
    }

    /// The digest, when the key was made from one.
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

impl PartialEq for SessionKey {
    fn eq(&self, other: &Self) -> bool {
        match (self.digest(), other.digest()) {
            (Some(a), Some(b)) => a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for SessionKey {}

impl Hash for SessionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for SessionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SessionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
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
    fn a_key_from_other_text_is_kept_verbatim() {
        let key = SessionKey::from_text("k1");
        assert_eq!(key.as_str(), "k1");
        assert_eq!(key.digest(), None);
        assert_eq!(key.shard(), None);
        assert_eq!(key.short(), "k1");
        assert_ne!(key, SessionKey::from_text("k2"));
    }
}
