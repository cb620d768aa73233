//! Post-login / post-logout redirect targets (docs/security.md#redirects, ASVS 3.7.2).
//!
//! This module owns the decision whether a user-supplied `rd` / `redirect_uri` / logout target may
//! be put in a `Location` header. A target is accepted only if it is a plain same-origin path or
//! an absolute `https` (optionally `http`) URL whose host is on the configured allowlist; anything
//! else is refused and the caller falls back to its default URL.
//!
//! It must not rewrite, decode or "fix" a target (the accepted text is returned unchanged, so what
//! was checked is what is sent), must not resolve names, and does no I/O. The approach follows
//! oauth2-proxy `pkg/app/redirect/validator.go` and Authelia `IsURISafeRedirection`: refuse on
//! any doubt, because browsers parse URLs far more leniently than any validator.

use super::host::{HostError, HostPattern, parse_authority};

/// Longest target accepted, in bytes; longer values are an attack or a bug.
const MAX_REDIRECT_LEN: usize = 2048;

/// Where a validated redirect may point.
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    /// Hosts an absolute target may name. Empty means only relative paths are accepted.
    pub allowed: Vec<HostPattern>,
    /// Also accept `http://` targets (plain-HTTP homelabs); `https://` is always accepted.
    pub allow_http: bool,
}

/// Why a target was refused; the caller only sees `None`, this is for audit logs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum RedirectError {
    /// Empty or longer than the cap.
    #[error("redirect target is empty or too long")]
    Length,
    /// Whitespace, a control character, `\` or a non-ASCII character anywhere.
    #[error("redirect target contains a forbidden character")]
    ForbiddenCharacter,
    /// A percent-encoded control character (`%00`..`%1F`, `%7F`).
    #[error("redirect target contains an encoded control character")]
    EncodedControl,
    /// A relative target that a browser could read as another origin or that hides a traversal.
    #[error("relative redirect target is ambiguous")]
    AmbiguousPath,
    /// Neither a path nor an `https://` (or allowed `http://`) URL.
    #[error("redirect target has a scheme that is not allowed")]
    Scheme,
    /// The authority of an absolute target does not parse.
    #[error("redirect target has an invalid host: {0}")]
    Host(#[from] HostError),
    /// The host is valid but not on the allowlist.
    #[error("redirect target host is not allowed")]
    HostNotAllowed,
}

/// Returns `Some(target)`, unchanged, when it is safe to redirect to, else `None`.
///
/// Accepted forms:
/// - a relative path: starts with exactly one `/` (not `//` or `/\`), no dot-segments or `//`
///   before the query, no encoded slash or backslash right after the leading `/`;
/// - `https://host[:port][/path][?query][#fragment]` (or `http://` when
///   [`RedirectPolicy::allow_http`]), scheme case-insensitive, no userinfo, host matching one of
///   [`RedirectPolicy::allowed`].
///
/// Any port is accepted on an allowed host: the allowlist names hosts, and a host owner controls
/// all of its ports. Every target must be ASCII, at most 2048 bytes, and free of whitespace,
/// control characters (raw or `%00`..`%1F`, `%7F`) and `\`.
pub fn validate_redirect(target: &str, policy: &RedirectPolicy) -> Option<String> {
    check_redirect(target, policy)
        .ok()
        .map(|()| target.to_owned())
}

/// [`validate_redirect`] with the reason for a refusal, for the audit log (docs/security.md#audit-log).
pub(crate) fn check_redirect(target: &str, policy: &RedirectPolicy) -> Result<(), RedirectError> {
    if target.is_empty() || target.len() > MAX_REDIRECT_LEN {
        return Err(RedirectError::Length);
    }
    // Printable ASCII only. Browsers strip tab/CR/LF inside URLs (WHATWG URL parser), treat `\`
    // as `/` in http(s) URLs, and map Unicode look-alikes through IDNA, so any of these lets the
    // browser see a different URL than this function checked. Real targets are already
    // percent-encoded by the browser, so refusing raw non-ASCII costs real users nothing.
    if !target.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err(RedirectError::ForbiddenCharacter);
    }
    // `%09`/`%0A`/`%0D`/`%00` become the raw characters above after one more decode by the
    // caller, a framework or an upstream; refuse the encoded forms too.
    if escapes(target).any(|b| b < 0x20 || b == 0x7f) {
        return Err(RedirectError::EncodedControl);
    }
    if target.starts_with('/') {
        check_relative(target)
    } else {
        check_absolute(target, policy)
    }
}

fn check_relative(target: &str) -> Result<(), RedirectError> {
    // `//evil.com` is scheme-relative and `/\evil.com` becomes `//evil.com` in browsers;
    // `/%2F` and `/%5C` turn into the same after one more decode somewhere downstream.
    let after_slash = target.get(1..).unwrap_or("");
    let head = after_slash.get(..3).unwrap_or("");
    if after_slash.starts_with('/')
        || head.eq_ignore_ascii_case("%2f")
        || head.eq_ignore_ascii_case("%5c")
    {
        return Err(RedirectError::AmbiguousPath);
    }
    // docs/security.md#redirects "/./ tricks": browsers resolve `.`/`..` (including `%2e` forms) before
    // sending, so a target built from them was crafted, and `/..//evil.com`-style paths are
    // how scheme-relative URLs are smuggled past a prefix check. An empty segment is refused
    // for the same reason. Only the path is checked: the query may legitimately hold URLs.
    let path_end = target.find(['?', '#']).unwrap_or(target.len());
    let path = target.get(1..path_end).unwrap_or("");
    for segment in path.split('/') {
        let is_dot = matches!(
            segment.to_ascii_lowercase().replace("%2e", ".").as_str(),
            "." | ".."
        );
        if is_dot {
            return Err(RedirectError::AmbiguousPath);
        }
    }
    if path.contains("//") {
        return Err(RedirectError::AmbiguousPath);
    }
    Ok(())
}

fn check_absolute(target: &str, policy: &RedirectPolicy) -> Result<(), RedirectError> {
    // Exactly `scheme://`: `https:evil.com` and `https:/evil.com` are resolved by browsers
    // relative to the current origin or, worse, leniently as `https://evil.com`.
    let (rest, default_port) = if let Some(rest) = strip_prefix_ignore_case(target, "https://") {
        (rest, 443)
    } else if let Some(rest) = strip_prefix_ignore_case(target, "http://")
        && policy.allow_http
    {
        (rest, 80)
    } else {
        return Err(RedirectError::Scheme);
    };
    // RFC 3986 §3.2: the authority ends at the first `/`, `?` or `#`. `\` was refused above, so
    // `https://evil.com\@good.com` cannot reach here to be split differently by a browser.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `https://good.com@evil.com` goes to evil.com; parse_authority refuses `@` as well, this
    // just names the attack in the audit log.
    if authority.contains('@') {
        return Err(RedirectError::Host(HostError::Userinfo));
    }
    let parsed = parse_authority(authority, default_port)?;
    if policy.allowed.iter().any(|p| p.matches(&parsed.host)) {
        Ok(())
    } else {
        Err(RedirectError::HostNotAllowed)
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The byte values of the well-formed `%XX` escapes in `s`.
fn escapes(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.as_bytes().windows(3).filter_map(|w| match w {
        [b'%', hi, lo] => Some((hex_value(*hi)? << 4) | hex_value(*lo)?),
        _ => None,
    })
}

fn hex_value(b: u8) -> Option<u8> {
    // `to_digit` rather than `u8::from_str_radix`, which would also accept a `+` sign.
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
#[path = "redirect_tests.rs"]
mod tests;
