//! Email addresses and display names as the domain accepts them: the one check that the CLI,
//! the admin form and the user-admin service all go through, so none of them can store a value
//! another would refuse.
//!
//! Both end up in places that are lines of text: identity headers to upstreams (`Remote-Email`,
//! `Remote-Name`), mail headers (`To:`) and log lines. A control character there is header
//! or log injection (docs/security.md#audit-log), so neither type admits one. The address check
//! is deliberately shallow (one `@`, a non-empty local part and domain, no whitespace): whether
//! an address works is for the mail server to say, not for a regular expression.

use thiserror::Error;

/// Longest email address accepted (RFC 5321 §4.5.3.1.3 caps a forward path at 256 octets,
/// brackets included).
pub const MAX_EMAIL: usize = 254;

/// Longest display name accepted, in characters.
pub const MAX_DISPLAY_NAME: usize = 254;

/// Why an email address or display name was refused. The messages complete "it …".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    /// Longer than allowed.
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// A control character (a line break, a tab, NUL …).
    #[error("must not contain control characters")]
    Control,
    /// Whitespace inside an address.
    #[error("must not contain spaces")]
    Whitespace,
    /// Not `local@domain` with exactly one `@` and both parts non-empty.
    #[error("must have the form name@domain")]
    Shape,
}

/// A trimmed email address: no whitespace or control character, exactly one `@` with text on
/// both sides, at most [`MAX_EMAIL`] characters. Case is kept (the local part may be
/// case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trims `raw` and checks it; `Ok(None)` for an empty value (an address is optional).
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, FieldError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        Self::parse(raw).map(Some)
    }

    /// Trims `raw` and checks it; an empty value is refused.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.chars().count() > MAX_EMAIL {
            return Err(FieldError::TooLong(MAX_EMAIL));
        }
        // Controls first: "\r\nBcc:" is an injection attempt, not merely a space.
        if s.chars().any(char::is_control) {
            return Err(FieldError::Control);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(FieldError::Whitespace);
        }
        match s.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
            {
                Ok(Self(s.to_owned()))
            }
            _ => Err(FieldError::Shape),
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A trimmed display name: no control character, at most [`MAX_DISPLAY_NAME`] characters.
/// Inner spaces are fine ("Alice Liddell").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims `raw` and checks it; `Ok(None)` for an empty value (the username stands in).
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > MAX_DISPLAY_NAME {
            return Err(FieldError::TooLong(MAX_DISPLAY_NAME));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::Control);
        }
        Ok(Some(Self(s.to_owned())))
    }

    /// Like [`DisplayName::parse_optional`], with an empty value refused as too short a shape.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_optional(raw)?.ok_or(FieldError::Shape)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DisplayName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_kept() {
        assert_eq!(
            Email::parse("  Alice@Example.test ").map(|e| e.0),
            Ok("Alice@Example.test".to_owned())
        );
        assert_eq!(Email::parse_optional("  "), Ok(None));
    }

    #[test]
    fn bad_addresses_are_refused() {
        for (raw, why) in [
            ("a b@c", FieldError::Whitespace),
            ("a\u{a0}b@c", FieldError::Whitespace),
            ("alice@example.test\r\nBcc: x@y", FieldError::Control),
            ("a\u{0}@c", FieldError::Control),
            ("alice", FieldError::Shape),
            ("@example.test", FieldError::Shape),
            ("alice@", FieldError::Shape),
            ("a@b@c", FieldError::Shape),
            ("", FieldError::Shape),
        ] {
            assert_eq!(Email::parse(raw), Err(why), "{raw:?}");
        }
        let long = format!("{}@example.test", "a".repeat(MAX_EMAIL));
        assert_eq!(Email::parse(&long), Err(FieldError::TooLong(MAX_EMAIL)));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse_optional("  Alice Liddell ").map(|n| n.map(|n| n.0)),
            Ok(Some("Alice Liddell".to_owned()))
        );
        assert_eq!(DisplayName::parse_optional("\t "), Ok(None));
        assert_eq!(DisplayName::parse("Al\nice"), Err(FieldError::Control));
        assert_eq!(DisplayName::parse("Al\u{7f}ice"), Err(FieldError::Control));
        assert_eq!(
            DisplayName::parse(&"é".repeat(MAX_DISPLAY_NAME + 1)),
            Err(FieldError::TooLong(MAX_DISPLAY_NAME))
        );
        assert!(DisplayName::parse(&"é".repeat(MAX_DISPLAY_NAME)).is_ok());
    }
}
