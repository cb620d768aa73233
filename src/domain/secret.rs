//! Secrets and random tokens: a redacting wrapper, CSPRNG tokens, hashing and MACs.
//!
//! Owns every place randomness and constant-time comparison come from, so that no other
//! module invents its own. It must never format a secret's value into `Debug` or `Display`.
//!
//! All of it runs on one crypto stack, ring (also the TLS provider), so that our own code does
//! not pull a second implementation of SHA-256 or HMAC into the build (docs/architecture.md).
//! Secret values are overwritten with zeros when dropped (`zeroize`), so a freed buffer does not
//! keep a password or token around in the heap.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret string (password, token, session id). `Debug` never shows the value, and the
/// value is zeroed when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretString {}

impl SecretString {
    /// Wraps a value that must not be logged.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn fill_random(buf: &mut [u8]) {
    // A failing OS random source leaves no safe way to issue ids or tokens; stopping is the
    // only answer that never hands out a guessable secret.
    #[allow(clippy::expect_used)]
    ring::rand::SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random source failed");
}

/// A base64url (unpadded) token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}

/// Lower-case hex SHA-256 of `data`: how tokens and session ids are stored (docs/security.md#session-store-at-rest, #reset-tokens).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

/// HMAC-SHA-256 of `msg` under `key` (RFC 2104; any key length).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    HmacKey::new(key).sign(msg)
}

/// An HMAC-SHA-256 key prepared once, for a key that signs on every request (the CSRF
/// token of every page holding a form): [`hmac_sha256`] pays the key's two SHA-256 blocks
/// again on each call, about a third of a short message's cost.
#[derive(Clone)]
pub struct HmacKey(ring::hmac::Key);

impl HmacKey {
    /// Prepares `key` (any length).
    pub fn new(key: &[u8]) -> Self {
        Self(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key))
    }

    /// HMAC-SHA-256 of `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::hmac::sign(&self.0, msg).as_ref());
        out
    }
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey([redacted])")
    }
}

/// base64url (unpadded) encoding.
pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Constant-time equality of two byte strings (length may leak; contents do not).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lower-case hex encoding.
pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Bytes first, then one check: pushing `char`s encodes each one as UTF-8, which cost more
    // than the rest of a session lookup's key. Not `vec![0; n]`: a zeroed allocation is
    // glibc's `calloc`, which skips the thread cache and cost as much as the digits. The
    // digits go to a stack buffer a digest at a time, two stores per byte: an iterator of
    // pairs pushed onto the vector cost three times as much.
    let mut out = Vec::with_capacity(data.len() * 2);
    let mut buf = [0u8; 64];
    for chunk in data.chunks(32) {
        let digits = &mut buf[..chunk.len() * 2];
        for (pair, b) in digits.chunks_exact_mut(2).zip(chunk) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0x0f)];
        }
        out.extend_from_slice(digits);
    }
    // Only ASCII digits were written, so this never falls back.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::new("hunter2-hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn tokens_are_unique_and_long() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let t = random_token(32);
            assert_eq!(t.len(), 43);
            assert!(seen.insert(t));
        }
    }

    #[test]
    fn sha256_matches_the_fips_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_writes_every_byte_at_every_length() {
        let all: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 31, 32, 33, 64, 100, 256] {
            let want: String = all[..len].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex(&all[..len]), want, "{len} bytes");
        }
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_takes_keys_longer_than_a_block() {
        // RFC 4231 case 6: a 131-byte key is hashed down first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn ct_eq_compares_contents() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
