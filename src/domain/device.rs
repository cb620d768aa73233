//! Remembered-device tokens ("trust this device for N days", docs/security.md#remembered-devices).
//!
//! A browser that chose to be remembered holds `v1.<token>.<mac>`: 256 random bits and an
//! HMAC binding them to one user id. The MAC lets the gateway refuse forged or moved values
//! without a database read; the server-side record, keyed by SHA-256 of the token, is what
//! makes a device revocable (password change, 2FA disabled, "forget this device"). Only the
//! hash is stored, so a database dump holds nothing a browser could present.

use super::secret::{b64url, ct_eq, hmac_sha256, random_token, sha256_hex};
use super::user::UserId;

/// Random bytes in a device token.
const TOKEN_BYTES: usize = 32;
/// Format version, so the layout can change without accepting old values by mistake.
const VERSION: &str = "v1";

/// Signs and checks device cookie values under a purpose-derived key.
#[derive(Clone)]
pub struct DeviceSigner {
    key: [u8; 32],
}

// The signing key is zeroed when the signer is dropped.
impl Drop for DeviceSigner {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl zeroize::ZeroizeOnDrop for DeviceSigner {}

impl std::fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSigner([redacted])")
    }
}

/// A freshly issued device: the cookie value (secret) and the id the store keeps.
#[derive(Debug)]
pub struct IssuedDevice {
    /// Cookie value for the browser.
    pub cookie: crate::domain::secret::SecretString,
    /// SHA-256 of the token: the store key and the handle shown on the account page.
    pub id: String,
}

impl DeviceSigner {
    /// `key` is derived for this purpose only.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, token: &str, user_id: UserId) -> String {
        b64url(&hmac_sha256(
            &self.key,
            format!("device:{VERSION}:{user_id}:{token}").as_bytes(),
        ))
    }

    /// A new token for `user_id`.
    pub fn issue(&self, user_id: UserId) -> IssuedDevice {
        let token = random_token(TOKEN_BYTES);
        let mac = self.mac(&token, user_id);
        IssuedDevice {
            cookie: format!("{VERSION}.{token}.{mac}").into(),
            id: sha256_hex(token.as_bytes()),
        }
    }

    /// The store id of a cookie value issued to `user_id`, or `None` when the value is
    /// malformed, forged, or belongs to another user.
    pub fn verify(&self, cookie: &str, user_id: UserId) -> Option<String> {
        // Bound the work on hostile input: an honest value is 2 + 1 + 43 + 1 + 43 bytes.
        if cookie.len() > 128 {
            return None;
        }
        let mut parts = cookie.split('.');
        let (Some(VERSION), Some(token), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        ct_eq(self.mac(token, user_id).as_bytes(), mac.as_bytes())
            .then(|| sha256_hex(token.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_user_and_key() {
        let s = DeviceSigner::new([1; 32]);
        let issued = s.issue(UserId(7));
        assert_eq!(
            s.verify(issued.cookie.expose(), UserId(7)),
            Some(issued.id.clone())
        );
        assert_eq!(s.verify(issued.cookie.expose(), UserId(8)), None);
        assert_eq!(
            DeviceSigner::new([2; 32]).verify(issued.cookie.expose(), UserId(7)),
            None
        );
        assert_eq!(issued.id.len(), 64);
        assert!(!issued.cookie.expose().contains(&issued.id));
    }

    #[test]
    fn tampered_and_malformed_values_are_refused() {
        let s = DeviceSigner::new([1; 32]);
        let good = s.issue(UserId(7)).cookie.expose().to_owned();
        let mut flipped = good.clone().into_bytes();
        let i = 10;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for bad in [
            "",
            "v1",
            "v1..",
            &flipped,
            &good.replacen("v1", "v2", 1),
            &format!("{good}.x"),
            &"a".repeat(500),
        ] {
            assert_eq!(s.verify(bad, UserId(7)), None, "{bad}");
        }
    }
}
