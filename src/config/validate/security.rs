//! Validation of `[secrets]`, `[password]` and `[throttle]`: keys, hashing cost, limits.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::config::file::{RawPassword, RawSecrets, RawThrottle};
use crate::config::types::*;
use crate::domain::password::{HashParams, PasswordPolicy};
use crate::domain::secret::SecretString;
use crate::domain::throttle::ThrottlePolicy;

pub(super) fn secrets(cx: &mut Ctx<'_>, raw: &RawSecrets, database: &Path) -> SecretsConfig {
    let key = match (&raw.key, &raw.key_file) {
        (Some(k), None) => {
            if k.chars().count() < 32 {
                cx.problem(
                    "secrets.key",
                    "is shorter than 32 characters",
                    "generate one with `openssl rand -base64 48`",
                );
            }
            KeySource::Value(SecretString::new(k.clone()))
        }
        (None, Some(f)) => KeySource::File(cx.path(f)),
        (None, None) => KeySource::Generate(database.with_file_name("gatehouse.key")),
        (Some(_), Some(_)) => {
            cx.problem("secrets.key", "both key and key_file are set", "keep one");
            KeySource::Generate(PathBuf::new())
        }
    };
    let pepper = cx.secret(
        "secrets.pepper",
        raw.pepper.as_ref(),
        raw.pepper_file.as_ref(),
    );
    SecretsConfig { key, pepper }
}

pub(super) fn password(cx: &mut Ctx<'_>, raw: &RawPassword) -> PasswordConfig {
    // SECURITY 1: 15 characters when the password is the only factor.
    if raw.min_length < 15 {
        cx.problem(
            "password.min_length",
            "is below 15",
            "NIST SP 800-63B-4 requires 15 characters for password-only accounts",
        );
    }
    let hash = HashParams {
        memory_kib: raw.argon2_memory_kib,
        iterations: raw.argon2_iterations,
        parallelism: raw.argon2_parallelism,
    };
    if !hash.meets_owasp_floor() {
        cx.problem(
            "password.argon2_memory_kib",
            "argon2id cost is below the OWASP floor",
            "use at least m=19456 KiB with t=2 (or m=47104/t=1, m=12288/t=3)",
        );
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let max_concurrent_hashes = if raw.max_concurrent_hashes == 0 {
        2 * cores
    } else {
        raw.max_concurrent_hashes
    };
    PasswordConfig {
        policy: PasswordPolicy {
            min_chars: raw.min_length,
        },
        hash,
        max_concurrent_hashes,
    }
}

pub(super) fn throttle(cx: &mut Ctx<'_>, raw: &RawThrottle) -> ThrottleConfig {
    if raw.max_consecutive_failures == 0 || raw.max_consecutive_failures > 100 {
        cx.problem(
            "throttle.max_consecutive_failures",
            "must be between 1 and 100",
            "NIST SP 800-63B §5.2.2 caps consecutive failures at 100",
        );
    }
    if raw.account_failures == 0 || raw.ip_failures == 0 {
        cx.problem(
            "throttle.account_failures",
            "account_failures and ip_failures must be at least 1",
            "the defaults are 5 and 20",
        );
    }
    let forget_after = cx.secs("throttle.forget_after", &raw.forget_after);
    let account = ThrottlePolicy {
        ban_every: raw.account_failures,
        base_ban: cx.secs("throttle.account_ban", &raw.account_ban),
        max_ban: cx.secs("throttle.account_max_ban", &raw.account_max_ban),
        hard_cap: raw.max_consecutive_failures,
        forget_after,
    };
    let ip = ThrottlePolicy {
        ban_every: raw.ip_failures,
        base_ban: cx.secs("throttle.ip_ban", &raw.ip_ban),
        max_ban: cx.secs("throttle.ip_max_ban", &raw.ip_max_ban),
        hard_cap: u32::MAX,
        forget_after: cx.secs("throttle.ip_max_ban", &raw.ip_max_ban),
    };
    ThrottleConfig {
        account,
        ip,
        capacity: raw.capacity.max(1000),
    }
}
