//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): SHA-1, 6 digits, 30 s step,
//! at most ±1 step of skew, judged on the server's clock only (docs/security.md#totp).
//!
//! Owns the secret type, its base32 form and `otpauth://` enrolment URI, code computation and
//! the verification rule, including the replay guard: a code is refused for any step at or
//! before the last step this account used (RFC 6238 §5.2 "MUST NOT accept the second attempt",
//! docs/security.md#totp-replay; the rule vaultwarden's authenticator keeps). It does not store that step: the
//! caller records the step [`verify`] returns atomically (e.g. a compare-and-set), so that two
//! concurrent requests with one code cannot both pass. It does not throttle guesses (docs/security.md#second-factor-throttle
//! lives in the service) and never reads the clock: `now` is always an argument.
//!
//! We implement RFC 6238 here (about 60 lines) rather than use `totp-rs`: that crate does not
//! track used steps, so the replay rule would be ours anyway, and its QR feature pulls in heavy
//! image crates. Base32 (RFC 4648 §6) is a small local codec for the same reason: two short
//! functions with exactly the strictness we want, no extra dependency.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use thiserror::Error;

use super::secret::{ct_eq, fill_random};

/// Length of a generated secret: 160 bits, the RFC 4226 §4 R6 recommendation (docs/security.md#totp-secrets).
pub const SECRET_BYTES: usize = 20;
/// Shortest secret accepted from storage or import: also 160 bits (docs/security.md#totp-secrets).
pub const MIN_SECRET_BYTES: usize = 20;
/// Longest secret accepted; HMAC-SHA-1 hashes longer keys down anyway (RFC 2104 §2).
pub const MAX_SECRET_BYTES: usize = 64;
/// Length of the time step X, in seconds (RFC 6238 §4.1 default).
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps of clock skew accepted either side of the current one (docs/security.md#totp).
pub const SKEW_STEPS: u64 = 1;

/// Every TOTP failure the caller may show. Wrong, replayed and malformed codes are one variant
/// so that a replay looks exactly like a wrong code (docs/security.md#totp-replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TotpError {
    /// The code is wrong, already used, or not six digits.
    #[error("invalid code")]
    Invalid,
    /// A secret of the wrong length or with invalid base32.
    #[error("invalid TOTP secret")]
    BadSecret,
    /// An issuer or account name that cannot be put in an `otpauth://` label.
    #[error("issuer and account name must be non-empty, without ':' or control characters")]
    BadLabel,
}

/// A shared TOTP secret. `Debug` never shows it; it is shown to the user once, at enrolment.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A fresh 160-bit secret from the operating system's CSPRNG (docs/security.md#totp-secrets).
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        fill_random(&mut bytes);
        Self(bytes)
    }

    /// A secret from raw bytes (e.g. just decrypted from storage); 20 to 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            Ok(Self(bytes.to_vec()))
        } else {
            Err(TotpError::BadSecret)
        }
    }

    /// A secret from its unpadded base32 form (case-insensitive).
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        Self::from_bytes(&base32_decode(text).ok_or(TotpError::BadSecret)?)
    }

    /// The raw secret; call only to encrypt it for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case unpadded base32 (RFC 4648 §6), as authenticator apps expect it.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// RFC 3986 unreserved characters stay; everything else in a label or parameter is encoded
/// (spaces as `%20`, never `+`, as the Key Uri Format asks).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The Google Authenticator Key Uri Format enrolment URI:
/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
///
/// The format forbids ':' in either name (it separates them in the label, and apps split on it
/// after decoding), so such names are refused rather than encoded.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> Result<String, TotpError> {
    for name in [issuer, account] {
        if name.trim().is_empty() || name.chars().any(|c| c == ':' || c.is_control()) {
            return Err(TotpError::BadLabel);
        }
    }
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT).to_string();
    let account = utf8_percent_encode(account, URI_COMPONENT);
    Ok(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret.to_base32()
    ))
}

/// The time step containing `now` (RFC 6238 §4.2, T0 = 0). Times before 1970 map to step 0.
pub fn step_at(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0) / STEP_SECONDS
}

/// The 6-digit code for `step`.
pub fn code_at(secret: &TotpSecret, step: u64) -> u32 {
    hotp(&secret.0, step, DIGITS)
}

/// Checks a user's code at time `now` and returns the step it matched, which the caller must
/// record atomically as the account's new last used step.
///
/// Accepts exactly six ASCII digits (ASCII whitespace, as in `123 456`, is ignored), for steps
/// now−1, now and now+1, each compared in constant time. Steps at or before `last_used_step`
/// are refused (docs/security.md#totp-replay). Every failure is [`TotpError::Invalid`].
pub fn verify(
    secret: &TotpSecret,
    input: &str,
    now: i64,
    last_used_step: Option<u64>,
) -> Result<u64, TotpError> {
    let Some(given) = parse_code(input) else {
        return Err(TotpError::Invalid);
    };
    let current = step_at(now);
    let mut matched = None;
    // All candidate steps are computed and compared, without an early exit, so that timing does
    // not tell which step (if any) matched.
    for step in current.saturating_sub(SKEW_STEPS)..=current.saturating_add(SKEW_STEPS) {
        let fresh = last_used_step.is_none_or(|last| step > last);
        if ct_eq(&code_at(secret, step).to_be_bytes(), &given.to_be_bytes()) && fresh {
            // Keep the latest matching step: recording an earlier one would let the very same
            // code pass again in the next step if it happens to match both.
            matched = Some(step);
        }
    }
    matched.ok_or(TotpError::Invalid)
}

/// Exactly `DIGITS` ASCII digits once ASCII whitespace is removed.
fn parse_code(input: &str) -> Option<u32> {
    // Bound the work done on hostile input before looking at it character by character.
    if input.len() > 32 {
        return None;
    }
    let digits: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0')),
    )
}

/// HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the big-endian counter, dynamically truncated, reduced
/// to `digits` decimal digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    truncate(&hmac_sha1(key, &counter.to_be_bytes())) % 10u32.pow(digits)
}

/// Dynamic truncation (RFC 4226 §5.4): 31 bits read at the offset named by the low nibble of
/// the last byte.
fn truncate(mac: &[u8; 20]) -> u32 {
    let offset = usize::from(mac[19] & 0x0f);
    let bytes = [
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ];
    u32::from_be_bytes(bytes)
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    // Cannot fail: HMAC takes keys of any length (RFC 2104 §2); only fixed-size MACs refuse.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC-SHA-1 accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32, upper case, without padding.
fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

/// RFC 4648 §6 base32 without padding, any case. `None` for a character outside the alphabet
/// (padding included), an impossible length, or non-zero trailing bits, so that each secret has
/// exactly one accepted spelling.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let value = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    // Leftovers of 5 bits or more mean a dangling character (lengths 1, 3 or 6 mod 8).
    if bits >= 5 || buffer & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
#[path = "totp_tests.rs"]
mod tests;
