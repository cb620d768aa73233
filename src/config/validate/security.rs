//! Validation of `[secrets]`, `[password]` and `[throttle]`: keys, hashing cost, limits.

use std::path::PathBuf;

use super::Ctx;
use crate::config::file::{RawNotifier, RawPassword, RawSecrets, RawThrottle, RawTwoFactor};
use crate::config::types::*;
use crate::domain::password::{HashParams, PasswordPolicy};
use crate::domain::secret::SecretString;
use crate::domain::throttle::ThrottlePolicy;

pub(super) fn secrets(cx: &mut Ctx<'_>, raw: &RawSecrets, database: &Database) -> SecretsConfig {
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
        (None, None) => match database.sqlite_path() {
            None => {
                // The key seals TOTP secrets in the shared database and signs sessions: each
                // instance generating its own would lock everyone out of the others.
                cx.problem(
                    "secrets.key",
                    "is required with a PostgreSQL user store: every instance must hold the same key",
                    "set secrets.key or secrets.key_file (e.g. `openssl rand -base64 48`) to the same value on every instance",
                );
                KeySource::Generate(PathBuf::new())
            }
            Some(file) => {
                let generated = file.with_file_name("gatehouse.key");
                if generated.exists()
                    && let Err(e) = crate::config::private_file(&generated)
                {
                    cx.problem(
                        "secrets.key",
                        &format!("the generated key file: {e}"),
                        crate::config::env::secret_file_hint(&e),
                    );
                }
                KeySource::Generate(generated)
            }
        },
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
    let totp_key = cx.secret(
        "secrets.totp_key",
        raw.totp_key.as_ref(),
        raw.totp_key_file.as_ref(),
    );
    if totp_key
        .as_ref()
        .is_some_and(|k| k.expose().chars().count() < 32)
    {
        cx.problem(
            "secrets.totp_key",
            "is shorter than 32 characters",
            "generate one with `openssl rand -base64 48`",
        );
    }
    SecretsConfig {
        key,
        pepper,
        totp_key,
    }
}

pub(super) fn password(cx: &mut Ctx<'_>, raw: &RawPassword) -> PasswordConfig {
    // docs/security.md#password-policy: 15 characters when the password is the only factor.
    if raw.min_length < 15 {
        cx.problem(
            "password.min_length",
            "is below 15",
            "NIST SP 800-63B-4 requires 15 characters for password-only accounts",
        );
    }
    let reset_token_ttl = cx.secs("password.reset_token_ttl", &raw.reset_token_ttl);
    // docs/security.md#reset-tokens: never over 24 h.
    if reset_token_ttl > 86_400 {
        cx.problem(
            "password.reset_token_ttl",
            "is longer than 24h",
            "reset links should live minutes, not days; 15m is the default",
        );
    }
    let invitation_ttl = cx.secs("password.invitation_ttl", &raw.invitation_ttl);
    // docs/security.md#admin-reset: an invitation waits for someone to read their mail, but
    // it is a credential until used.
    if !(3600..=14 * 86_400).contains(&invitation_ttl) {
        cx.problem(
            "password.invitation_ttl",
            "must be between 1h and 14d",
            "72h is the default",
        );
    }
    // docs/security.md#password-policy: 8 characters at least, even when every login also needs a code.
    if raw.min_length_two_factor < 8 || raw.min_length_two_factor > raw.min_length {
        cx.problem(
            "password.min_length_two_factor",
            "must be between 8 and password.min_length",
            "NIST SP 800-63B-4 allows 8 characters when a second factor is mandatory",
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
            min_chars_two_factor: raw.min_length_two_factor,
        },
        hash,
        max_concurrent_hashes,
        forgot_password_enabled: raw.forgot_password_enabled,
        reset_token_ttl,
        invitation_ttl,
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
    if !(1..=128).contains(&raw.ipv6_prefix) {
        cx.problem(
            "throttle.ipv6_prefix",
            "must be between 1 and 128",
            "64 (the default) counts one IPv6 subnet as one client; longer prefixes let a client rotate addresses past the limit",
        );
    }
    if raw.ipv6_wide_prefix != 0 && raw.ipv6_wide_prefix >= raw.ipv6_prefix {
        cx.problem(
            "throttle.ipv6_wide_prefix",
            "must be shorter than throttle.ipv6_prefix, or 0 to turn it off",
            "48 (the default) is a typical site allocation",
        );
    }
    if raw.ipv6_wide_failures == 0 {
        cx.problem(
            "throttle.ipv6_wide_failures",
            "must be at least 1",
            "the default is 100",
        );
    }
    ThrottleConfig {
        account,
        ip,
        ipv6_prefix: raw.ipv6_prefix,
        ipv6_wide_prefix: raw.ipv6_wide_prefix,
        ipv6_wide: ThrottlePolicy {
            ban_every: raw.ipv6_wide_failures,
            ..ip
        },
        capacity: raw.capacity.max(1000),
    }
}

pub(super) fn two_factor(cx: &mut Ctx<'_>, raw: &RawTwoFactor, title: &str) -> TwoFactorConfig {
    let issuer = raw.issuer.clone().unwrap_or_else(|| title.to_owned());
    // The Key Uri Format separates issuer and account with ':' (domain::totp).
    if issuer.trim().is_empty() || issuer.contains(':') || issuer.chars().any(char::is_control) {
        cx.problem(
            "two_factor.issuer",
            "must be a non-empty name without ':'",
            "it is the name authenticator apps show, e.g. \"Gatehouse\"",
        );
    }
    let step_up_window = cx.secs("two_factor.step_up_window", &raw.step_up_window);
    // 63B draft §6.1.2.1: a separate authentication valid for about 20 minutes at most.
    if step_up_window > 3600 {
        cx.problem(
            "two_factor.step_up_window",
            "is longer than 1h",
            "security changes need a recent password; 10m is the default",
        );
    }
    if raw.remember_device_days > 365 {
        cx.problem(
            "two_factor.remember_device_days",
            "is more than 365",
            "0 turns remembered devices off; 30 is the default",
        );
    }
    TwoFactorConfig {
        issuer,
        step_up_window,
        remember_device_days: raw.remember_device_days,
        require_enrollment: raw.require_enrollment,
        methods: methods(cx, &raw.methods),
    }
}

pub(super) fn notifier(cx: &mut Ctx<'_>, raw: &RawNotifier) -> NotifierConfig {
    if raw.from.parse::<lettre::message::Mailbox>().is_err() {
        cx.problem(
            "notifier.from",
            &format!("{:?} is not a mail address", raw.from),
            "write e.g. \"Gatehouse <gatehouse@example.com>\"",
        );
    }
    if raw.file_dir.is_some() && raw.smtp.is_some() {
        cx.problem(
            "notifier.file_dir",
            "cannot be used together with [notifier.smtp]",
            "keep [notifier.smtp] to deliver mail, or file_dir to write .eml files for development",
        );
    }
    NotifierConfig {
        from: raw.from.clone(),
        file_dir: raw.file_dir.as_ref().map(|d| cx.path(d)),
        smtp: raw.smtp.as_ref().map(|s| super::notifier::smtp(cx, s)),
    }
}

/// `two_factor.methods`: a non-empty list of known factor names.
fn methods(cx: &mut Ctx<'_>, names: &[String]) -> FactorMethods {
    let mut m = FactorMethods {
        totp: false,
        passkey: false,
    };
    for name in names {
        match name.as_str() {
            "totp" => m.totp = true,
            "passkey" => m.passkey = true,
            other => cx.problem(
                "two_factor.methods",
                &format!("{other:?} is not a second factor"),
                "list \"totp\", \"passkey\" or both (recovery codes always work)",
            ),
        }
    }
    if names.is_empty() {
        cx.problem(
            "two_factor.methods",
            "is empty",
            "list \"totp\", \"passkey\" or both (recovery codes always work)",
        );
    }
    m
}
