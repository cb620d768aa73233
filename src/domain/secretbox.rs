//! Encryption at rest for TOTP secrets (docs/security.md#secrets-at-rest): AES-256-GCM (ring) under a key kept
//! outside the database, with key ids for rotation.
//!
//! Owns the sealed format, `base64url(key id ‖ 96-bit nonce ‖ ciphertext ‖ 128-bit tag)`, and
//! the associated data `gatehouse/totp/v1/user:{user_id}`, which binds each sealed secret to
//! its row: alice's field copied onto bob's row fails to open, so it cannot verify bob's codes.
//! It does not load keys (configuration does, from a file or the environment), store anything,
//! or decide when to re-seal; [`SecretBox::needs_reseal`] only says which values a rotation
//! has left on an old key.
//!
//! Plaintexts live only in buffers that are zeroed when dropped ([`Zeroizing`]), including the
//! opened secret handed back to the caller. ring keeps its expanded AES key schedule in its own
//! type, which it does not zero; the raw key bytes are the caller's to wipe.
//!
//! Nonces are random per seal (from the project CSPRNG). With 96-bit random nonces NIST SP
//! 800-38D §8.3 caps one key at 2^32 seals; one seal per TOTP enrolment stays far below that.

use super::user::UserId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use thiserror::Error;
use zeroize::Zeroizing;

use super::secret::{b64url, fill_random};

/// Failures to build a box, seal or open. None of them carries secret material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BoxError {
    /// No key was configured.
    #[error("no encryption key configured")]
    NoKeys,
    /// Two keys share an id, so a sealed value could not say which one to use.
    #[error("encryption key id {0} is configured twice")]
    DuplicateKeyId(u8),
    /// The key could not be loaded.
    #[error("invalid encryption key")]
    BadKey,
    /// The stored value is not base64url or too short to hold id, nonce and tag.
    #[error("sealed value is malformed")]
    Malformed,
    /// The value names a key id that is no longer configured.
    #[error("sealed value uses unknown key id {0}")]
    UnknownKey(u8),
    /// Authentication failed: wrong key, wrong user id, or tampered data.
    #[error("sealed value does not open")]
    Open,
    /// The plaintext is too long for AES-GCM (not reachable for TOTP secrets).
    #[error("plaintext is too long to seal")]
    Seal,
}

const TAG_LEN: usize = 16;

/// AES-256-GCM keys by id: the first seals, all of them open. `Debug` shows ids only.
pub struct SecretBox {
    keys: Vec<(u8, LessSafeKey)>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("SecretBox").field("key_ids", &ids).finish()
    }
}

/// The associated data: the purpose and format version, and the row the secret belongs to.
fn aad(user_id: UserId) -> String {
    format!("gatehouse/totp/v1/user:{user_id}")
}

impl SecretBox {
    /// Keys as `(id, 256-bit key)`. To rotate, put a new key first and keep the old ones until
    /// every value has been re-sealed; ids must be distinct.
    pub fn new(keys: &[(u8, [u8; 32])]) -> Result<Self, BoxError> {
        if keys.is_empty() {
            return Err(BoxError::NoKeys);
        }
        let mut loaded: Vec<(u8, LessSafeKey)> = Vec::with_capacity(keys.len());
        for (id, key) in keys {
            if loaded.iter().any(|(seen, _)| seen == id) {
                return Err(BoxError::DuplicateKeyId(*id));
            }
            let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| BoxError::BadKey)?;
            loaded.push((*id, LessSafeKey::new(key)));
        }
        Ok(Self { keys: loaded })
    }

    /// Encrypts `plaintext` for `user_id` under the first key with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], user_id: UserId) -> Result<String, BoxError> {
        let (id, key) = self.keys.first().ok_or(BoxError::NoKeys)?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(*id);
        out.extend_from_slice(&nonce);
        // Sealed in place: the buffer holds the plaintext until then, and on failure.
        let mut body = Zeroizing::new(plaintext.to_vec());
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(user_id)),
            &mut *body,
        )
        .map_err(|_| BoxError::Seal)?;
        out.extend_from_slice(&body);
        Ok(b64url(&out))
    }

    /// Decrypts a value sealed for `user_id` by any configured key. The plaintext is zeroed
    /// when the returned buffer is dropped.
    pub fn open(&self, sealed: &str, user_id: UserId) -> Result<Zeroizing<Vec<u8>>, BoxError> {
        let raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| BoxError::Malformed)?;
        let Some((&id, rest)) = raw.split_first() else {
            return Err(BoxError::Malformed);
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(BoxError::Malformed);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let key = self.key(id).ok_or(BoxError::UnknownKey(id))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| BoxError::Malformed)?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain_len = key
            .open_in_place(nonce, Aad::from(aad(user_id)), &mut body)
            .map_err(|_| BoxError::Open)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }

    /// Whether `sealed` was made with a key other than the current (first) one, so that a
    /// rotation should re-seal it. Unreadable values also answer `true`.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        let first = self.keys.first().map(|(id, _)| *id);
        let id = URL_SAFE_NO_PAD
            .decode(sealed)
            .ok()
            .and_then(|raw| raw.first().copied());
        id.is_none() || id != first
    }

    fn key(&self, id: u8) -> Option<&LessSafeKey> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, key)| key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const OLD: (u8, [u8; 32]) = (1, [0x11; 32]);
    const NEW: (u8, [u8; 32]) = (2, [0x22; 32]);
    const SECRET: &[u8] = b"12345678901234567890";

    fn decode(sealed: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(sealed).unwrap()
    }

    #[test]
    fn seal_then_open() {
        let b = SecretBox::new(&[OLD]).unwrap();
        let sealed = b.seal(SECRET, UserId(42)).unwrap();
        assert_eq!(*b.open(&sealed, UserId(42)).unwrap(), SECRET);
        // id + nonce + ciphertext + tag, and no plaintext in the stored form.
        let raw = decode(&sealed);
        assert_eq!(raw.len(), 1 + 12 + SECRET.len() + 16);
        assert_eq!(raw[0], 1);
        assert!(!raw.windows(SECRET.len()).any(|w| w == SECRET));
        assert_eq!(
            *b.open(&b.seal(b"", UserId(42)).unwrap(), UserId(42))
                .unwrap(),
            b""
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let b = SecretBox::new(&[OLD]).unwrap();
        let one = decode(&b.seal(SECRET, UserId(42)).unwrap());
        let two = decode(&b.seal(SECRET, UserId(42)).unwrap());
        assert_ne!(one[1..13], two[1..13]);
        assert_ne!(one, two);
    }

    #[test]
    fn a_secret_moved_to_another_user_does_not_open() {
        let b = SecretBox::new(&[OLD]).unwrap();
        let alice = b.seal(SECRET, UserId(1)).unwrap();
        assert_eq!(b.open(&alice, UserId(2)), Err(BoxError::Open));
        assert_eq!(b.open(&alice, UserId(-1)), Err(BoxError::Open));
        assert_eq!(b.open(&alice, UserId(11)), Err(BoxError::Open));
    }

    #[test]
    fn tampering_is_detected() {
        let b = SecretBox::new(&[OLD]).unwrap();
        let raw = decode(&b.seal(SECRET, UserId(7)).unwrap());
        // Every byte after the id: nonce, ciphertext and tag.
        for i in 1..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                b.open(&b64url(&bad), UserId(7)),
                Err(BoxError::Open),
                "byte {i}"
            );
        }
        // A truncated tag, or nothing but an id and nonce.
        assert_eq!(
            b.open(&b64url(&raw[..raw.len() - 1]), UserId(7)),
            Err(BoxError::Open)
        );
        assert_eq!(
            b.open(&b64url(&raw[..13]), UserId(7)),
            Err(BoxError::Malformed)
        );
        assert_eq!(b.open("", UserId(7)), Err(BoxError::Malformed));
        assert_eq!(b.open("not base64!", UserId(7)), Err(BoxError::Malformed));
        // A changed key id names a key we do not have.
        let mut other_id = raw.clone();
        other_id[0] = 9;
        assert_eq!(
            b.open(&b64url(&other_id), UserId(7)),
            Err(BoxError::UnknownKey(9))
        );
    }

    #[test]
    fn another_key_does_not_open() {
        let sealed = SecretBox::new(&[OLD])
            .unwrap()
            .seal(SECRET, UserId(7))
            .unwrap();
        // Same id, different key material.
        let impostor = SecretBox::new(&[(1, [0x33; 32])]).unwrap();
        assert_eq!(impostor.open(&sealed, UserId(7)), Err(BoxError::Open));
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let before = SecretBox::new(&[OLD]).unwrap();
        let old_value = before.seal(SECRET, UserId(5)).unwrap();
        assert!(!before.needs_reseal(&old_value));

        let after = SecretBox::new(&[NEW, OLD]).unwrap();
        assert_eq!(*after.open(&old_value, UserId(5)).unwrap(), SECRET);
        assert!(after.needs_reseal(&old_value));
        let new_value = after.seal(SECRET, UserId(5)).unwrap();
        assert_eq!(decode(&new_value)[0], 2);
        assert!(!after.needs_reseal(&new_value));
        assert!(after.needs_reseal("!"));

        // Once the old key is dropped, its values name an unknown key.
        let retired = SecretBox::new(&[NEW]).unwrap();
        assert_eq!(
            retired.open(&old_value, UserId(5)),
            Err(BoxError::UnknownKey(1))
        );
        assert_eq!(*retired.open(&new_value, UserId(5)).unwrap(), SECRET);
    }

    #[test]
    fn configuration_errors() {
        assert_eq!(SecretBox::new(&[]).err(), Some(BoxError::NoKeys));
        assert_eq!(
            SecretBox::new(&[OLD, (1, [0x44; 32])]).err(),
            Some(BoxError::DuplicateKeyId(1))
        );
    }

    #[test]
    fn debug_shows_ids_only() {
        let b = SecretBox::new(&[NEW, OLD]).unwrap();
        assert_eq!(format!("{b:?}"), "SecretBox { key_ids: [2, 1] }");
    }
}
