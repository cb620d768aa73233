//! A portal action held back by a step-up (docs/security.md#step-up): the form a session
//! posted when its password was too old, kept server-side so that it is carried out once the
//! password has been confirmed, instead of being silently dropped.
//!
//! This module owns what may be kept and for how long; it does not store anything (the
//! session stores do, keyed by the session) and never reads the clock.
//!
//! Only forms without a secret are kept: a password, a one-time code or a recovery code must
//! never rest in a store (a Redis dump would hold it), so such a form falls back to "repeat
//! the action".

use serde::{Deserialize, Serialize};

/// Field names that carry a secret (a password, a TOTP or recovery code, a token) or the
/// CSRF token itself (a fresh one is added when the action is carried out).
const NEVER_KEPT: [&str; 8] = [
    "password", "current", "new", "confirm", "code", "recovery", "token", "secret",
];

/// A form posted to the portal by a session that had to confirm its password first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAction {
    /// The portal path it was posted to (encoded, with the portal's base path).
    pub path: String,
    /// Its fields in order, without the CSRF token.
    pub fields: Vec<(String, String)>,
    /// When it was posted (Unix seconds).
    pub created_at: i64,
}

/// Why a posted form was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotKept {
    /// A field holds a secret.
    Secret,
    /// Larger than a portal form may be.
    TooLarge,
}

impl PendingAction {
    /// The action for a form posted to `path` at `now`, unless it holds a secret or its
    /// fields exceed `max_bytes` (`server.max_form_bytes`). The `csrf` field is left out.
    pub fn keep(
        path: &str,
        fields: impl IntoIterator<Item = (String, String)>,
        now: i64,
        max_bytes: usize,
    ) -> Result<Self, NotKept> {
        let mut kept = Vec::new();
        let mut size = path.len();
        for (name, value) in fields {
            if name == "csrf" {
                continue;
            }
            if is_secret(&name) {
                return Err(NotKept::Secret);
            }
            size = size.saturating_add(name.len() + value.len() + 2);
            if size > max_bytes {
                return Err(NotKept::TooLarge);
            }
            kept.push((name, value));
        }
        Ok(Self {
            path: path.to_owned(),
            fields: kept,
            created_at: now,
        })
    }

    /// Whether it may still be carried out at `now`: kept for `ttl` seconds, and never one
    /// from the future (a clock step back must not stretch it).
    pub fn is_live(&self, now: i64, ttl: i64) -> bool {
        self.created_at <= now && now < self.created_at.saturating_add(ttl)
    }
}

/// Whether a form field named `name` carries a secret that must never be kept.
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    NEVER_KEPT.iter().any(|s| name.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_plain_form_is_kept_without_its_token() {
        let a = PendingAction::keep(
            "/admin/users/alice/password",
            pairs(&[("mode", "link"), ("csrf", "t")]),
            100,
            4096,
        )
        .unwrap();
        assert_eq!(a.fields, pairs(&[("mode", "link")]));
        assert_eq!(a.created_at, 100);
    }

    #[test]
    fn a_form_with_a_secret_is_never_kept() {
        for name in [
            "password", "current", "new", "confirm", "code", "recovery", "Token",
        ] {
            let got = PendingAction::keep("/x", pairs(&[(name, "s")]), 0, 4096);
            assert_eq!(got, Err(NotKept::Secret), "{name}");
        }
    }

    #[test]
    fn a_form_over_the_limit_is_not_kept() {
        let big = "x".repeat(100);
        let got = PendingAction::keep("/x", pairs(&[("a", &big)]), 0, 64);
        assert_eq!(got, Err(NotKept::TooLarge));
    }

    #[test]
    fn it_lives_for_its_window_only() {
        let a = PendingAction::keep("/x", Vec::new(), 100, 64).unwrap();
        assert!(a.is_live(100, 10));
        assert!(a.is_live(109, 10));
        assert!(!a.is_live(110, 10));
        assert!(!a.is_live(99, 10));
    }
}
