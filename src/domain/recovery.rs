//! Recovery codes: the one-time fallback when the authenticator is lost (docs/security.md#recovery-codes).
//!
//! Owns how codes are generated, shown, typed back and hashed. Each code carries 120 bits from
//! the CSPRNG, well above docs/security.md#recovery-codes's 112-bit line, so a plain SHA-256 is a sufficient store
//! (a guess at a 120-bit value is hopeless however fast the hash; argon2id is needed only
//! below 112 bits). It does not store codes, mark them used, void an old set or throttle
//! attempts: those are the service's (single use and throttling per docs/security.md#recovery-codes). A code is
//! never a substitute for the password.
//!
//! The alphabet is Crockford's base32 in lower case (`0-9a-z` without `i`, `l`, `o`, `u`), so
//! that no two characters look alike; when a user types `o`, `i` or `l` anyway it is read as
//! `0` or `1`, as Crockford specifies.

use super::secret::{ct_eq, fill_random, sha256_hex};

/// How many codes one generation issues.
pub const COUNT: usize = 10;
/// Random bits per code (15 bytes: exactly 24 characters of 5 bits).
pub const BITS: usize = 120;
/// Characters per code, without separators.
pub const LEN: usize = BITS / 5;
/// Characters per displayed group.
const GROUP: usize = 6;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// One recovery code, held in normalised form. `Debug` never shows it; it is shown to the user
/// once, via [`RecoveryCode::expose`], and only its [`hash`] is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// The display form, grouped for reading and copying: `abcdef-ghjkmn-pqrstv-wxyz01`.
    /// Call only to show the code to its owner.
    pub fn expose(&self) -> String {
        let mut out = String::with_capacity(LEN + LEN / GROUP);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The value to store for this code (see [`hash`]).
    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

// A code not yet shown, or just shown, is zeroed when dropped.
impl Drop for RecoveryCode {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl zeroize::ZeroizeOnDrop for RecoveryCode {}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

/// A fresh set of [`COUNT`] codes, each [`BITS`] bits from the operating system's CSPRNG.
pub fn generate() -> Vec<RecoveryCode> {
    (0..COUNT).map(|_| generate_one()).collect()
}

fn generate_one() -> RecoveryCode {
    let mut bytes = [0u8; 16];
    // The first byte stays zero: 15 random bytes make the 120 bits.
    fill_random(&mut bytes[1..]);
    let value = u128::from_be_bytes(bytes);
    let code = (0..LEN)
        .rev()
        .map(|i| char::from(ALPHABET[((value >> (5 * i)) & 31) as usize]))
        .collect();
    RecoveryCode(code)
}

/// The canonical form of a typed code: case-folded, dashes and whitespace removed, `o`→`0` and
/// `i`/`l`→`1`, then exactly [`LEN`] characters of the alphabet. `None` for anything else.
pub fn normalize(input: &str) -> Option<String> {
    // Bound the work done on hostile input; the longest honest form is ~30 characters.
    if input.len() > 64 {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|&c| c != '-' && !c.is_ascii_whitespace())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// Lower-case hex SHA-256 of a code in canonical form (the output of [`normalize`]), the only
/// form in which codes are stored (docs/security.md#recovery-codes, #secrets-at-rest).
pub fn hash(normalized: &str) -> String {
    sha256_hex(normalized.as_bytes())
}

/// Whether a typed code is the one behind `stored_hash`, compared in constant time. Typos in
/// case, spacing and look-alike characters are forgiven; anything else is `false`.
pub fn matches(input: &str, stored_hash: &str) -> bool {
    normalize(input).is_some_and(|code| ct_eq(hash(&code).as_bytes(), stored_hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_generation_has_ten_well_formed_codes() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        for code in &codes {
            let shown = code.expose();
            assert_eq!(shown.len(), 27);
            let groups: Vec<&str> = shown.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups.iter().all(|g| g.len() == 6));
            assert!(
                shown
                    .bytes()
                    .all(|b| b == b'-' || ALPHABET.contains(&b) && !b"ilou".contains(&b))
            );
            assert_eq!(normalize(&shown).as_deref(), Some(code.0.as_str()));
        }
    }

    #[test]
    fn codes_are_unique_across_many_generations() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            for code in generate() {
                assert!(seen.insert(code.0.clone()));
            }
        }
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn every_character_position_varies() {
        // A stuck position would mean fewer than 120 bits; with 10,000 codes each of the 24
        // positions should show many distinct characters (the first included: it carries a
        // full 5 bits of the 15 random bytes).
        let codes: Vec<RecoveryCode> = (0..1000).flat_map(|_| generate()).collect();
        for pos in 0..LEN {
            let distinct: HashSet<u8> = codes.iter().map(|c| c.0.as_bytes()[pos]).collect();
            assert_eq!(distinct.len(), 32, "position {pos}");
        }
    }

    #[test]
    fn normalize_forgives_case_spacing_and_look_alikes() {
        let code = RecoveryCode("0123456789abcdefghjkmnpq".to_string());
        let canonical = Some(code.0.clone());
        for typed in [
            code.expose(),
            code.expose().to_uppercase(),
            "012345 6789ab cdefgh jkmnpq".to_string(),
            " 0123-4567-89AB-cdef-ghjk-mnpq\n".to_string(),
            "o123456789abcdefghjkmnpq".to_string(),
            "OI2345-6789ab-cdefgh-jkmnpq".to_string(),
            "ol2345-6789ab-cdefgh-jkmnpq".to_string(),
        ] {
            assert_eq!(normalize(&typed), canonical, "{typed:?}");
        }
    }

    #[test]
    fn normalize_refuses_garbage() {
        for typed in [
            "",
            "0123456789abcdefghjkmnp",   // one short
            "0123456789abcdefghjkmnpqr", // one long
            "0123456789abcdefghjkmnpu",  // 'u' is not in the alphabet
            "0123456789abcdefghjkmnp!",
            "0123456789abcdefghjkmnp_",
            "0123456789abcdefghjkmnpé",
            "0123456789abcdefghjkmnp\u{0}",
            "123456",
        ] {
            assert_eq!(normalize(typed), None, "{typed:?}");
        }
        assert_eq!(normalize(&"a".repeat(100)), None);
        assert_eq!(normalize(&"-".repeat(100)), None);
    }

    #[test]
    fn hash_is_stable_and_matches_the_typed_form() {
        let code = RecoveryCode("0123456789abcdefghjkmnpq".to_string());
        assert_eq!(code.hash(), sha256_hex(b"0123456789abcdefghjkmnpq"));
        assert_eq!(code.hash(), hash("0123456789abcdefghjkmnpq"));
        assert_eq!(code.hash().len(), 64);
        assert!(matches("0123-4567-89AB-CDEF-GHJK-MNPQ", &code.hash()));
        assert!(!matches("0123-4567-89AB-CDEF-GHJK-MNPR", &code.hash()));
        assert!(!matches("garbage", &code.hash()));
        let fresh = generate();
        assert_ne!(fresh[0].hash(), fresh[1].hash());
        assert!(matches(&fresh[0].expose(), &fresh[0].hash()));
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = generate().remove(0);
        let shown = format!("{code:?} {:?}", generate());
        assert!(!shown.contains(&code.0));
        assert!(shown.starts_with("RecoveryCode([redacted])"));
    }
}
