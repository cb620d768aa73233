//! Password policy and argon2id hashing (docs/security.md#password-policy).
//!
//! Pure CPU work: callers run [`hash`] and [`verify`] on a blocking pool behind a semaphore
//! (each call takes ~45 ms and 19+ MiB). Passwords are NFKC-normalised before length checks and
//! hashing, so precomposed and decomposed input are one password (docs/security.md#password-policy), and are never
//! truncated (docs/security.md#password-policy).

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::argon2_job::Job;
pub use super::argon2_job::Pace;
use super::argon2_memory::Workspace;
use super::secret::fill_random;

/// The OWASP floor for argon2id (m=19 MiB, t=2, p=1), docs/security.md#password-hashing.
pub const OWASP_MIN: HashParams = HashParams {
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
};

/// Longest password accepted, in bytes after normalisation. Documented cap (docs/security.md#password-policy, #hashing-bounds):
/// long enough for any passphrase, short enough that hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// Whether these parameters meet the OWASP table (docs/security.md#password-hashing): m=19456/t=2, or the
    /// equivalent trades m=47104/t=1, m=12288/t=3, m=9216/t=4, m=7168/t=5, with p ≥ 1.
    pub fn meets_owasp_floor(&self) -> bool {
        const TABLE: [(u32, u32); 5] = [
            (47_104, 1),
            (19_456, 2),
            (12_288, 3),
            (9_216, 4),
            (7_168, 5),
        ];
        self.parallelism >= 1
            && TABLE
                .iter()
                .any(|&(m, t)| self.memory_kib >= m && self.iterations >= t)
    }
}

/// Hashing and verification failures (not "wrong password", which is `Ok(false)`).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HashError {
    /// The parameters are out of argon2's range.
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    /// The stored string is not a PHC string we can read.
    #[error("stored hash is not a valid argon2 PHC string")]
    BadStoredHash,
    /// The pepper is too long for argon2's secret input.
    #[error("pepper is too long")]
    Pepper,
    /// A hash in steps stopped between two of them: another thread had answered its job.
    #[error("the hash was given up: its job was answered elsewhere")]
    Abandoned,
}

/// NFKC normalisation applied to every password before any check or hash. The copy is zeroed
/// when dropped, like the `SecretString` it came from.
pub fn normalize(password: &str) -> Zeroizing<String> {
    Zeroizing::new(password.nfkc().collect())
}

fn argon2<'k>(
    params: &HashParams,
    version: Version,
    pepper: Option<&'k [u8]>,
) -> Result<Argon2<'k>, HashError> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| HashError::Params(e.to_string()))?;
    match pepper {
        // The pepper is argon2's "secret" input: a key kept outside the user store, so a
        // copied database cannot be attacked offline without it (docs/security.md#pepper).
        Some(key) => Argon2::new_with_secret(key, Algorithm::Argon2id, version, p)
            .map_err(|_| HashError::Pepper),
        None => Ok(Argon2::new(Algorithm::Argon2id, version, p)),
    }
}

/// Hashes an (already normalised) password with a fresh 128-bit salt into a PHC string.
pub fn hash(
    password: &str,
    params: &HashParams,
    pepper: Option<&[u8]>,
) -> Result<String, HashError> {
    hash_in(
        &mut Workspace::new(),
        Pace::AtOnce,
        password,
        params,
        pepper,
    )
}

/// [`hash`] in a caller's reusable working memory, run as `pace` says.
pub fn hash_in(
    ws: &mut Workspace,
    pace: Pace<'_>,
    password: &str,
    params: &HashParams,
    pepper: Option<&[u8]>,
) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let argon2 = argon2(params, Version::V0x13, pepper)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let job = Job {
        argon2: &argon2,
        version: Version::V0x13,
        password: password.as_bytes(),
        salt: &salt,
        pepper,
    };
    job.run(ws, pace, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params())
            .map_err(|e| HashError::Params(e.to_string()))?,
        salt: Some(Salt::new(&salt).map_err(|e| HashError::Params(e.to_string()))?),
        hash: Some(Output::new(&out).map_err(|e| HashError::Params(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Verifies an (already normalised) password against a stored PHC string.
/// Returns `Ok(false)` for a wrong password.
pub fn verify(password: &str, stored: &str, pepper: Option<&[u8]>) -> Result<bool, HashError> {
    verify_in(
        &mut Workspace::new(),
        Pace::AtOnce,
        password,
        stored,
        pepper,
    )
}

/// [`verify`] in a caller's reusable working memory, run as `pace` says.
pub fn verify_in(
    ws: &mut Workspace,
    pace: Pace<'_>,
    password: &str,
    stored: &str,
    pepper: Option<&[u8]>,
) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|_| HashError::BadStoredHash)?;
    let stored_params = Params::try_from(&parsed).map_err(|_| HashError::BadStoredHash)?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(HashError::BadStoredHash);
    }
    // A PHC string without a version is argon2's first one (0x10).
    let version = parsed
        .version
        .map_or(Ok(Version::V0x10), Version::try_from)
        .map_err(|_| HashError::BadStoredHash)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(HashError::BadStoredHash);
    };
    let params = HashParams {
        memory_kib: stored_params.m_cost(),
        iterations: stored_params.t_cost(),
        parallelism: stored_params.p_cost(),
    };
    // The verifier must run with the stored parameters and our pepper, whatever the current
    // configuration says; `needs_rehash` handles upgrades after a success.
    let argon2 = argon2(&params, version, pepper)?;
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out
        .get_mut(..expected.len())
        .ok_or(HashError::BadStoredHash)?;
    let job = Job {
        argon2: &argon2,
        version,
        password: password.as_bytes(),
        salt: salt.as_ref(),
        pepper,
    };
    job.run(ws, pace, out).map_err(|e| match e {
        HashError::Abandoned => e,
        _ => HashError::BadStoredHash,
    })?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(out).is_ok_and(|computed| computed == expected))
}

/// Whether a stored hash is weaker than `current` and should be recomputed after a successful
/// login (docs/security.md#hash-upgrade). Unreadable strings also need a rehash.
pub fn needs_rehash(stored: &str, current: &HashParams) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(p) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm.as_str() != "argon2id"
        || p.m_cost() < current.memory_kib
        || p.t_cost() < current.iterations
        || p.p_cost() < current.parallelism
}

/// Password policy: length in code points, common passwords and context words (docs/security.md#password-policy, #password-blocklist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in code points after normalisation, for a password-only account.
    pub min_chars: usize,
    /// Minimum length for an account whose every login also needs a TOTP code.
    pub min_chars_two_factor: usize,
}

/// John the Ripper's list of common passwords (Openwall, public domain, 3546 entries).
const COMMON: &str = include_str!("data/common_passwords.txt");

fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .filter(|l| !l.starts_with("#!comment") && !l.is_empty())
            .collect()
    })
}

/// True for a common password, or one made of a common password padded with digits and
/// symbols (`password1234567`, `!!dragon2024`), or of at most three distinct characters.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let set = common_passwords();
    if set.contains(lower.as_str()) {
        return true;
    }
    let padding = |s: &str| s.chars().all(|c| !c.is_alphabetic());
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 3 && set.contains(core) {
        return true;
    }
    // A common password with digits or symbols before or after it (`1234567890` + `12345`).
    let padded = lower.char_indices().skip(4).any(|(i, _)| {
        let (head, tail) = lower.split_at(i);
        (set.contains(head) && padding(tail)) || (padding(head) && set.contains(tail))
    });
    if padded {
        return true;
    }
    // The same short or common piece over and over (`Trustno1Trustno1`, `abcdabcdabcdabcd`).
    let chars: Vec<char> = lower.chars().collect();
    let repeated = (1..=chars.len() / 2).any(|p| {
        chars.len().is_multiple_of(p)
            && chars.chunks(p).all(|c| c == &chars[..p])
            && (p <= 4 || set.contains(chars[..p].iter().collect::<String>().as_str()))
    });
    if repeated {
        return true;
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() <= 3
}

/// Why a new password is refused; the text is shown on the page.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// Shorter than the minimum.
    #[error("Use at least {0} characters.")]
    TooShort(usize),
    /// Longer than the byte cap.
    #[error("Use at most {0} bytes.")]
    TooLong(usize),
    /// Built from the username, the product name or another context word.
    #[error("Don't build the password from your username or the name of this service.")]
    ContextWord,
    /// Contains control characters.
    #[error("The password contains control characters.")]
    ControlCharacter,
    /// A common password, or one built from one.
    #[error("This password is too common and easy to guess. Try a few unrelated words.")]
    Common,
}

impl PasswordPolicy {
    /// Checks a normalised candidate password. `context` holds words the password must not be
    /// made of (username, product name, host labels), compared case-insensitively.
    ///
    /// `two_factor` says whether every login of the account also needs a code, which allows
    /// the shorter minimum (docs/security.md#password-policy).
    pub fn check(
        &self,
        password: &str,
        context: &[&str],
        two_factor: bool,
    ) -> Result<(), PolicyError> {
        let min = if two_factor {
            self.min_chars_two_factor
        } else {
            self.min_chars
        };
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PolicyError::TooLong(MAX_PASSWORD_BYTES));
        }
        if password.chars().any(char::is_control) {
            return Err(PolicyError::ControlCharacter);
        }
        if password.chars().count() < min {
            return Err(PolicyError::TooShort(min));
        }
        if is_made_of_context(password, context) {
            return Err(PolicyError::ContextWord);
        }
        if is_common(password) {
            return Err(PolicyError::Common);
        }
        Ok(())
    }
}

/// True when removing every occurrence of the context words (and digits and punctuation)
/// leaves almost nothing, as in `alicealicealice` or `gatehouse2024!`.
fn is_made_of_context(password: &str, context: &[&str]) -> bool {
    let mut rest = password.to_lowercase();
    let mut found = false;
    for word in context.iter().map(|w| w.to_lowercase()) {
        if word.chars().count() >= 3 && rest.contains(&word) {
            rest = rest.replace(&word, "");
            found = true;
        }
    }
    found && rest.chars().filter(|c| c.is_alphabetic()).count() < 4
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use super::*;

    // Tests use the smallest legal cost so that they stay fast; the floor is checked separately.
    const FAST: HashParams = HashParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse battery staple", &FAST, None).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(verify("correct horse battery staple", &h, None), Ok(true));
        assert_eq!(verify("correct horse battery stapl", &h, None), Ok(false));
    }

    /// Both argon2 versions, with and without a pepper.
    const SHAPES: [(Version, Option<&[u8]>); 4] = [
        (Version::V0x13, None),
        (Version::V0x13, Some(b"pepper-key")),
        (Version::V0x10, None),
        (Version::V0x10, Some(b"pepper-key")),
    ];

    /// "pw" hashed by the crate's own PHC path.
    fn crates_own(version: Version, pepper: Option<&[u8]>) -> String {
        use argon2::PasswordHasher;
        argon2(&FAST, version, pepper)
            .unwrap()
            .hash_password_with_salt(b"pw", b"sixteen byte salt")
            .unwrap()
            .to_string()
    }

    /// Hashed in steps (the courier's floor beside a busy runtime), a hash is the same: a
    /// stepped verify accepts what the crate hashed and refuses a wrong password, and what a
    /// stepped hash stores verifies at once; the pause runs between steps.
    #[test]
    fn steps_hash_and_verify_as_the_crate_does() {
        let mut ws = Workspace::new();
        let mut pauses = 0;
        let mut pause = || {
            pauses += 1;
            ControlFlow::Continue(())
        };
        for (version, pepper) in SHAPES {
            let theirs = crates_own(version, pepper);
            for (pw, want) in [("pw", true), ("pv", false)] {
                let pace = Pace::Steps {
                    blocks: 5,
                    pause: &mut pause,
                };
                assert_eq!(verify_in(&mut ws, pace, pw, &theirs, pepper), Ok(want));
            }
        }
        let pace = Pace::Steps {
            blocks: 5,
            pause: &mut pause,
        };
        let ours = hash_in(&mut ws, pace, "pw", &FAST, Some(b"k")).unwrap();
        assert_eq!(verify("pw", &ours, Some(b"k")), Ok(true));
        assert_eq!(verify("pv", &ours, Some(b"k")), Ok(false));
        // 64 blocks in steps of 5: 12 pauses per hash, 9 hashes.
        assert_eq!(pauses, 12 * 9);
    }

    /// A pause that answers `Break` stops the hash there: no verdict, no stored hash.
    #[test]
    fn a_hash_in_steps_stops_when_its_pause_gives_it_up() {
        let mut ws = Workspace::new();
        let mut pauses = 0;
        let mut pause = || {
            pauses += 1;
            if pauses == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let theirs = crates_own(SHAPES[0].0, SHAPES[0].1);
        let pace = Pace::Steps {
            blocks: 5,
            pause: &mut pause,
        };
        let verdict = verify_in(&mut ws, pace, "pw", &theirs, SHAPES[0].1);
        assert_eq!(verdict, Err(HashError::Abandoned));
        assert_eq!(pauses, 3, "stopped at the pause that gave it up");
        let pace = Pace::Steps {
            blocks: 5,
            pause: &mut || ControlFlow::Break(()),
        };
        let stored = hash_in(&mut ws, pace, "pw", &FAST, None);
        assert_eq!(stored.err(), Some(HashError::Abandoned));
    }

    /// Hashing and verifying in our own working memory agrees with argon2's own PHC path, both
    /// ways, for both argon2 versions, with and without a pepper, and in a reused workspace.
    #[test]
    fn agrees_with_the_crates_own_phc_path() {
        use argon2::PasswordVerifier;
        let mut ws = Workspace::new();
        for (version, pepper) in SHAPES {
            let theirs = crates_own(version, pepper);
            assert_eq!(
                verify_in(&mut ws, Pace::AtOnce, "pw", &theirs, pepper),
                Ok(true),
                "{theirs}"
            );
            assert_eq!(
                verify_in(&mut ws, Pace::AtOnce, "pv", &theirs, pepper),
                Ok(false),
                "{theirs}"
            );
        }
        let ours = hash_in(&mut ws, Pace::AtOnce, "pw", &FAST, Some(b"k")).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let check = argon2(&FAST, Version::V0x13, Some(b"k")).unwrap();
        assert!(check.verify_password(b"pw", &parsed).is_ok());
        assert!(check.verify_password(b"pv", &parsed).is_err());
        // A string without its hash or salt is unreadable, not a wrong password.
        let bare = ours.rsplit_once('$').unwrap().0;
        assert_eq!(
            verify("pw", bare, Some(b"k")),
            Err(HashError::BadStoredHash)
        );
    }

    #[test]
    fn equal_passwords_get_different_hashes() {
        assert_ne!(
            hash("same", &FAST, None).unwrap(),
            hash("same", &FAST, None).unwrap()
        );
    }

    #[test]
    fn pepper_is_required_to_verify() {
        let h = hash("pw", &FAST, Some(b"pepper-key")).unwrap();
        assert_eq!(verify("pw", &h, Some(b"pepper-key")), Ok(true));
        assert_eq!(verify("pw", &h, None), Ok(false));
        assert_eq!(verify("pw", &h, Some(b"other")), Ok(false));
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let long: String = "x".repeat(80);
        let h = hash(&long, &FAST, None).unwrap();
        assert_eq!(verify(&long[..72], &h, None), Ok(false));
        assert_eq!(verify(&long, &h, None), Ok(true));
    }

    #[test]
    fn unicode_forms_are_one_password() {
        let precomposed = normalize("caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e");
        let decomposed = normalize("cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e");
        assert_eq!(precomposed, decomposed);
    }

    #[test]
    fn weaker_hashes_need_rehash() {
        let weak = hash("pw", &FAST, None).unwrap();
        assert!(needs_rehash(&weak, &OWASP_MIN));
        assert!(!needs_rehash(&weak, &FAST));
        assert!(needs_rehash("not a phc string", &FAST));
    }

    #[test]
    fn owasp_floor() {
        assert!(OWASP_MIN.meets_owasp_floor());
        assert!(
            HashParams {
                memory_kib: 7_168,
                iterations: 5,
                parallelism: 1
            }
            .meets_owasp_floor()
        );
        assert!(
            !HashParams {
                memory_kib: 19_455,
                iterations: 2,
                parallelism: 1
            }
            .meets_owasp_floor()
        );
        assert!(!FAST.meets_owasp_floor());
    }

    #[test]
    fn policy_length_and_context() {
        let p = PasswordPolicy {
            min_chars: 15,
            min_chars_two_factor: 8,
        };
        assert_eq!(
            p.check("fourteen chars", &[], false),
            Err(PolicyError::TooShort(15))
        );
        assert_eq!(p.check("fourteen chars", &[], true), Ok(()));
        assert_eq!(p.check("seven c", &[], true), Err(PolicyError::TooShort(8)));
        assert_eq!(p.check("fifteen chars!!", &[], false), Ok(()));
        assert_eq!(
            p.check("correct horse battery staple", &["alice"], false),
            Ok(())
        );
        assert_eq!(
            p.check("alicealicealice", &["alice"], false),
            Err(PolicyError::ContextWord)
        );
        assert_eq!(
            p.check("Gatehouse2024!!!", &["gatehouse"], false),
            Err(PolicyError::ContextWord)
        );
        assert_eq!(p.check("déjà vu, encore une fois", &[], false), Ok(()));
        assert_eq!(
            p.check(&"x".repeat(1025), &[], false),
            Err(PolicyError::TooLong(1024))
        );
        assert_eq!(
            p.check("tab\tinside the password", &[], false),
            Err(PolicyError::ControlCharacter)
        );
    }

    #[test]
    fn common_passwords_and_their_padded_forms_are_refused() {
        let p = PasswordPolicy {
            min_chars: 15,
            min_chars_two_factor: 8,
        };
        for bad in [
            "password1234567",
            "123456789012345",
            "!!!dragon2024!!!",
            "Trustno1Trustno1",
            "ééééééééééééééé",
            "abababababababab",
        ] {
            assert!(is_common(bad) || p.check(bad, &[], false).is_err(), "{bad}");
            assert_eq!(p.check(bad, &[], false), Err(PolicyError::Common), "{bad}");
        }
        assert!(is_common("password") && is_common("PASSWORD1"));
        assert!(!is_common("correct horse battery staple"));
    }
}
