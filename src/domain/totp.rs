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
//! Code computation is `totp-rs` (HMAC-SHA-1, dynamic truncation, constant-time comparison of
//! one step's code); what stays ours is what that crate leaves to its caller: the ±1 step
//! window with the replay guard, the strict six-digit parser, the secret length bounds and the
//! enrolment URI. `totp-rs` is built with skew 0, so it only ever answers for the one step we
//! ask about. Its own `to_url` omits `algorithm`, `digits` and `period` when they are the
//! defaults and accepts an empty issuer, so the URI below stays ours: it names every parameter,
//! which apps that guess other defaults need. Base32 input is parsed by a small local decoder
//! that accepts exactly one spelling per secret (no padding, no stray trailing bits).
//!
//! The secret lives inside `totp_rs::Totp`, built with its `zeroize` feature: it is wiped when
//! the value is dropped.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use thiserror::Error;
use totp_rs::{Algorithm, Builder, Totp};
use zeroize::Zeroizing;

use super::secret::fill_random;

/// Length of a generated secret: 160 bits, the RFC 4226 §4 R6 recommendation (docs/security.md#totp-secrets).
pub const SECRET_BYTES: usize = 20;
/// Shortest secret accepted from storage or import: also 160 bits (docs/security.md#totp-secrets).
pub const MIN_SECRET_BYTES: usize = 20;
/// Longest secret accepted; HMAC-SHA-1 hashes longer keys down anyway (RFC 2104 §2).
pub const MAX_SECRET_BYTES: usize = 64;
/// Length of the time step X, in seconds (RFC 6238 §4.1 default).
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
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
/// Held as a `totp_rs::Totp` (SHA-1, six digits, 30 s, skew 0), which zeroes it on drop.
#[derive(Clone)]
pub struct TotpSecret(Totp);

impl TotpSecret {
    /// A fresh 160-bit secret from the operating system's CSPRNG (docs/security.md#totp-secrets).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        fill_random(&mut *bytes);
        Self(generator(&*bytes, DIGITS))
    }

    /// A secret from raw bytes (e.g. just decrypted from storage); 20 to 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            Ok(Self(generator(bytes, DIGITS)))
        } else {
            Err(TotpError::BadSecret)
        }
    }

    /// A secret from its unpadded base32 form (case-insensitive).
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let bytes = Zeroizing::new(base32_decode(text).ok_or(TotpError::BadSecret)?);
        Self::from_bytes(&bytes)
    }

    /// The raw secret; call only to encrypt it for storage.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.secret().as_bytes()
    }

    /// Upper-case unpadded base32 (RFC 4648 §6), as authenticator apps expect it.
    pub fn to_base32(&self) -> String {
        self.0.secret().to_base32()
    }
}

// `Totp` zeroes its secret on drop only with totp-rs's `zeroize` feature; this stops the build
// if that feature is ever dropped from Cargo.toml.
const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<Totp>();
};

impl zeroize::ZeroizeOnDrop for TotpSecret {}

/// The `totp-rs` generator for one secret: SHA-1, `digits` digits, 30 s steps, and skew 0,
/// because the window (and the replay guard inside it) is ours.
fn generator(secret: &[u8], digits: u8) -> Totp {
    // No `build()`: its only checks (digits 6 to 8, a secret of at least 128 bits, a non-zero
    // step) hold by construction here, and failing there would leave no secret to return.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .build_noncompliant()
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
    secret
        .0
        .generate(step.saturating_mul(STEP_SECONDS))
        .to_string()
        .parse()
        .unwrap_or(u32::MAX)
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
    let given = std::str::from_utf8(&given).map_err(|_| TotpError::Invalid)?;
    let current = step_at(now);
    let mut matched = None;
    // All candidate steps are computed and compared, without an early exit, so that timing does
    // not tell which step (if any) matched.
    for step in current.saturating_sub(SKEW_STEPS)..=current.saturating_add(SKEW_STEPS) {
        let fresh = last_used_step.is_none_or(|last| step > last);
        // totp-rs compares one step's code in constant time (skew 0: only this step).
        let valid = secret
            .0
            .check(given, step.saturating_mul(STEP_SECONDS))
            .is_some();
        if valid && fresh {
            // Keep the latest matching step: recording an earlier one would let the very same
            // code pass again in the next step if it happens to match both.
            matched = Some(step);
        }
    }
    matched.ok_or(TotpError::Invalid)
}

/// Exactly `DIGITS` ASCII digits once ASCII whitespace is removed.
fn parse_code(input: &str) -> Option<Vec<u8>> {
    // Bound the work done on hostile input before looking at it character by character.
    if input.len() > 32 {
        return None;
    }
    let digits: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    (digits.len() == usize::from(DIGITS) && digits.iter().all(u8::is_ascii_digit)).then_some(digits)
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
