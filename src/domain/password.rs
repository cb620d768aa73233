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
#[path = "password_tests.rs"]
mod tests;
