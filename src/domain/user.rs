//! Users as the domain sees them: validated usernames and group names, and the user record.
//!
//! Usernames are case-folded and trimmed once, here, so that `Alice`, `ALICE` and ` alice`
//! are one account and one throttle bucket everywhere (docs/security.md#throttle-keys).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::throttle_key::ThrottleKey;

/// Problems with a username or group name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// Empty after trimming.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// A character outside the allowed set.
    #[error("may contain only a-z, 0-9, '.', '_', '-' and '@'")]
    BadCharacter,
}

const MAX_USERNAME: usize = 64;
const MAX_GROUP: usize = 64;

/// A canonical username: trimmed, lower-case, from a small ASCII alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Case-folds and trims `raw`, then checks length and characters.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let folded = raw.trim().to_lowercase();
        check_name(&folded, MAX_USERNAME, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')
        })?;
        Ok(Self(folded))
    }

    /// The canonical name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The throttle key for a username, valid or not, so that unknown names are throttled
    /// exactly like known ones and their existence does not show.
    pub fn throttle_key(raw: &str) -> ThrottleKey {
        ThrottleKey::account(raw)
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validates and case-folds a group name.
pub fn parse_group(raw: &str) -> Result<String, NameError> {
    let folded = raw.trim().to_lowercase();
    check_name(&folded, MAX_GROUP, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
    })?;
    Ok(folded)
}

fn check_name(s: &str, max: usize, allowed: impl Fn(char) -> bool) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong(max));
    }
    if !s.chars().all(allowed) {
        return Err(NameError::BadCharacter);
    }
    Ok(())
}

/// A user's store-assigned id. Ids are never reused, so a session, device or reset link
/// naming one can never come to belong to another user (docs/security.md#server-side-sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A user record.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Store-assigned id.
    pub id: UserId,
    /// Canonical username.
    pub username: String,
    /// Name shown to people and sent as `Remote-Name`.
    pub display_name: String,
    /// Email address (may be empty).
    pub email: String,
    /// Group names, sorted and unique.
    pub groups: Vec<String>,
    /// A disabled user cannot log in and has no sessions.
    pub disabled: bool,
    /// The user must set a new password before anything else.
    pub must_change_password: bool,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// Sessions started in an older epoch are over (bumped on password set and disable).
    pub session_epoch: i64,
    /// Two-factor authentication (TOTP) is on.
    pub totp_enabled: bool,
    /// At least one passkey is registered (docs/passkeys.md).
    pub has_passkeys: bool,
    /// When the password was last set (Unix seconds).
    pub password_set_at: i64,
    /// The language the user chose in the portal (a tag; empty: none chosen).
    pub language: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last change (Unix seconds).
    pub updated_at: i64,
}

impl std::fmt::Debug for User {
    // The hash is not a password, but it is offline-crackable material: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("groups", &self.groups)
            .field("disabled", &self.disabled)
            .field("totp_enabled", &self.totp_enabled)
            .field("has_passkeys", &self.has_passkeys)
            .finish_non_exhaustive()
    }
}

/// How long a password someone else set (`must_change_password`) keeps working (docs/security.md#admin-reset).
pub const TEMPORARY_PASSWORD_TTL: i64 = 86_400;

impl User {
    /// A second factor is set up (TOTP or a passkey): a password alone opens only a pending
    /// login, and `two_factor` rules need that factor.
    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled || self.has_passkeys
    }

    /// A temporary password (set by an administrator, to be changed at first login) that was
    /// not changed within [`TEMPORARY_PASSWORD_TTL`] no longer opens the account.
    pub fn temporary_password_expired(&self, now: i64) -> bool {
        self.must_change_password
            && now.saturating_sub(self.password_set_at) >= TEMPORARY_PASSWORD_TTL
    }
}

/// Normalises a list of group names: validated, case-folded, sorted, unique.
pub fn normalize_groups<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, NameError> {
    let mut groups = raw
        .iter()
        .map(|g| parse_group(g.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    groups.sort();
    groups.dedup();
    Ok(groups)
}

#[cfg(test)]
impl User {
    /// A plain active account for unit tests: id, username, no groups, nothing set.
    pub(crate) fn fixture(id: i64, username: &str) -> Self {
        Self {
            id: UserId(id),
            username: username.to_owned(),
            display_name: String::new(),
            email: String::new(),
            groups: Vec::new(),
            disabled: false,
            must_change_password: false,
            password_hash: String::new(),
            session_epoch: 0,
            totp_enabled: false,
            has_passkeys: false,
            password_set_at: 0,
            language: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_expire_after_a_day() {
        let mut u = User {
            must_change_password: true,
            password_set_at: 1000,
            ..User::fixture(1, "alice")
        };
        assert!(!u.temporary_password_expired(1000 + TEMPORARY_PASSWORD_TTL - 1));
        assert!(u.temporary_password_expired(1000 + TEMPORARY_PASSWORD_TTL));
        u.must_change_password = false;
        assert!(!u.temporary_password_expired(1000 + 10 * TEMPORARY_PASSWORD_TTL));
    }

    #[test]
    fn usernames_fold_case_and_trim() {
        for raw in ["alice", "Alice", "ALICE", " alice ", "\talice"] {
            assert_eq!(Username::parse(raw).map(|u| u.0), Ok("alice".to_owned()));
            assert_eq!(Username::throttle_key(raw).to_string(), "user:alice");
        }
    }

    #[test]
    fn bad_usernames_are_refused() {
        assert_eq!(Username::parse("  "), Err(NameError::Empty));
        assert_eq!(Username::parse("a b"), Err(NameError::BadCharacter));
        assert_eq!(Username::parse("al\u{0}ice"), Err(NameError::BadCharacter));
        assert_eq!(Username::parse("ålice"), Err(NameError::BadCharacter));
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(NameError::TooLong(64))
        );
        assert!(Username::parse("first.last@example.com").is_ok());
    }

    #[test]
    fn throttle_keys_are_bounded() {
        assert_eq!(
            Username::throttle_key(&"x".repeat(10_000))
                .to_string()
                .len(),
            5 + 64
        );
    }

    #[test]
    fn groups_are_normalised() {
        assert_eq!(
            normalize_groups(&["Admins", "users", "admins"]),
            Ok(vec!["admins".to_owned(), "users".to_owned()])
        );
        assert!(normalize_groups(&["a,b"]).is_err());
    }
}
