//! Host names and host patterns (docs/security.md#host-matching).
//!
//! This module owns the one way a `Host` header or URI authority becomes a comparable host name:
//! ASCII lower-case, one trailing dot removed, IPv6 in canonical bracketed form, default port
//! dropped. It also owns [`HostPattern`], the exact-or-wildcard form used by site rules and the
//! redirect allowlist, so that matching is always done on normalised names at label boundaries.
//!
//! It must not resolve names, consult a public-suffix list or accept Unicode (IDNs arrive as
//! punycode `xn--` labels); anything it cannot classify with certainty is refused. No I/O.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// RFC 1035 §2.3.4 limits, measured without the trailing dot.
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// A parsed `host[:port]` with the host normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Lower-case name without trailing dot, dotted-quad IPv4, or bracketed canonical IPv6.
    pub host: String,
    /// The explicit port, or `None` when absent or equal to the scheme's default port.
    pub port: Option<u16>,
}

/// Why a host, authority or host pattern was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HostError {
    /// Nothing to parse (also a lone `.` or a missing name before `:port`).
    #[error("host is empty")]
    Empty,
    /// `user@host`: userinfo hides the real host from naive readers (RFC 3986 §7.5).
    #[error("host contains userinfo ('@')")]
    Userinfo,
    /// Whitespace or a control character anywhere.
    #[error("host contains whitespace or a control character")]
    ControlOrWhitespace,
    /// `/`, `?`, `#` or `\`: the value carries a path, query or fragment.
    #[error("host contains a path, query or fragment character")]
    PathCharacter,
    /// A character outside `[a-z0-9-_.]` in a name (non-ASCII included).
    #[error("host name contains a character outside [a-z0-9-_.]")]
    InvalidCharacter,
    /// More than one trailing dot.
    #[error("host name ends with more than one dot")]
    TrailingDots,
    /// An empty label, as in `a..b` or `.a`.
    #[error("host name has an empty label")]
    EmptyLabel,
    /// A label longer than 63 characters.
    #[error("host name has a label longer than {MAX_LABEL_LEN} characters")]
    LabelTooLong,
    /// A name longer than 253 characters.
    #[error("host name is longer than {MAX_NAME_LEN} characters")]
    TooLong,
    /// A port that is empty, not all digits, zero, above 65535 or followed by anything.
    #[error("port is not a number from 1 to 65535")]
    BadPort,
    /// An IPv6 address without brackets: its colons cannot be told from a port separator.
    #[error("IPv6 address must be enclosed in brackets")]
    UnbracketedIpv6,
    /// A bracketed literal that is not a plain IPv6 address (zone IDs are refused too).
    #[error("bracketed host is not a valid IPv6 address")]
    BadIpLiteral,
    /// A name whose last label is numeric but which is not a dotted-quad IPv4 address.
    #[error("numeric host name is not a dotted-quad IPv4 address")]
    AmbiguousNumericHost,
    /// A host pattern carrying a port.
    #[error("host pattern must not contain a port")]
    PortInPattern,
    /// A wildcard that would cover a whole top-level domain or everything.
    #[error("wildcard is too broad: it needs at least two labels after '*.' (e.g. *.example.com)")]
    WildcardTooBroad,
    /// A `*` anywhere but a single leading `*.` label, or a wildcard over an IP address.
    #[error("wildcard may only appear as a leading '*.' label before a domain name")]
    BadWildcard,
}

/// Parses a `Host` header or URI authority (`name[:port]`, `v4[:port]`, `[v6][:port]`).
///
/// `default_port` is the scheme's port (443, 80); an explicit port equal to it becomes `None`
/// so `example.com` and `example.com:443` compare equal.
///
/// # Errors
/// Any [`HostError`]: the value is refused rather than repaired.
pub fn parse_authority(raw: &str, default_port: u16) -> Result<Authority, HostError> {
    if raw.is_empty() {
        return Err(HostError::Empty);
    }
    // Classify dangerous characters before splitting, so `a@b:1` reports userinfo rather than
    // a port error: the error feeds audit logs of spoofing attempts (docs/security.md#audit-log).
    for (i, &b) in raw.as_bytes().iter().enumerate() {
        match b {
            0..=b' ' | 0x7f => return Err(HostError::ControlOrWhitespace),
            b'@' => return Err(HostError::Userinfo),
            b'/' | b'?' | b'#' | b'\\' => return Err(HostError::PathCharacter),
            // The first byte of a non-ASCII character: Unicode spaces and controls too.
            0x80..
                if raw
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| c.is_whitespace() || c.is_control()) =>
            {
                return Err(HostError::ControlOrWhitespace);
            }
            _ => {}
        }
    }
    let (host, port) = split_host_port(raw)?;
    Ok(Authority {
        host,
        port: port.filter(|p| *p != default_port),
    })
}

fn split_host_port(raw: &str) -> Result<(String, Option<u16>), HostError> {
    if let Some(rest) = raw.strip_prefix('[') {
        let (literal, after) = rest.split_once(']').ok_or(HostError::BadIpLiteral)?;
        // std refuses zone IDs (`fe80::1%eth0`); a zone is meaningless off-host anyway.
        let ip: Ipv6Addr = literal.parse().map_err(|_| HostError::BadIpLiteral)?;
        let port = match after {
            "" => None,
            _ => Some(parse_port(
                after.strip_prefix(':').ok_or(HostError::BadPort)?,
            )?),
        };
        // Canonical text (RFC 5952) so `[0:0::1]` and `[::1]` compare equal.
        return Ok((format!("[{ip}]"), port));
    }
    let (name, port) = match raw.split_once(':') {
        None => (raw, None),
        Some((_, after)) if after.contains(':') => return Err(HostError::UnbracketedIpv6),
        Some((name, after)) => (name, Some(parse_port(after)?)),
    };
    Ok((normalize_name(name)?, port))
}

fn parse_port(digits: &str) -> Result<u16, HostError> {
    // Digits only: `u16::from_str` would also take `+80`.
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::BadPort);
    }
    match digits.parse::<u16>() {
        Ok(0) | Err(_) => Err(HostError::BadPort),
        Ok(port) => Ok(port),
    }
}

/// Normalises a DNS name or dotted-quad IPv4 address (no brackets, no port).
fn normalize_name(name: &str) -> Result<String, HostError> {
    // RFC 1034 §3.1: one trailing dot marks the absolute name and is the same host
    // (tinyauth GHSA-328g-jx67-v94g: `app.example.com.` must not dodge a rule).
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err(HostError::Empty);
    }
    if name.ends_with('.') {
        return Err(HostError::TrailingDots);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(HostError::TooLong);
    }
    // Judged on the bytes as they came, before the one copy that lower-cases them.
    let mut last_label: &[u8] = b"";
    for label in name.as_bytes().split(|&b| b == b'.') {
        if label.is_empty() {
            return Err(HostError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(HostError::LabelTooLong);
        }
        // `_` is not valid in host names (RFC 952) but common in homelab DNS; anything
        // non-ASCII is refused so homoglyphs can never match an ASCII rule.
        if !label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(HostError::InvalidCharacter);
        }
        last_label = label;
    }
    let name = name.to_ascii_lowercase();
    // WHATWG URL parsing turns `127.1`, `0x7f.1` or `2130706433` into 127.0.0.1, so a browser and
    // the gateway would disagree about such a host. Only strict dotted-quad IPv4 (no leading
    // zeros, which std refuses) is accepted when the last label looks numeric.
    if looks_numeric(last_label) && name.parse::<Ipv4Addr>().is_err() {
        return Err(HostError::AmbiguousNumericHost);
    }
    Ok(name)
}

/// The WHATWG "ends in a number" test on a label in either case.
fn looks_numeric(label: &[u8]) -> bool {
    match label {
        [b'0', b'x' | b'X', digits @ ..] => digits.iter().all(u8::is_ascii_hexdigit),
        _ => !label.is_empty() && label.iter().all(u8::is_ascii_digit),
    }
}

/// A host allowlist entry: an exact host, or every subdomain of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Matches one normalised host (a name, IPv4 address or bracketed IPv6 address).
    Exact(String),
    /// Written `*.example.com`, stored as `example.com`: matches hosts one or more labels below
    /// it, never `example.com` itself.
    Suffix(String),
}

impl HostPattern {
    /// Parses `app.example.com` (exact) or `*.example.com` (suffix), normalised like
    /// [`parse_authority`] but with no port.
    ///
    /// # Errors
    /// [`HostError::WildcardTooBroad`] for `*` and single-label suffixes such as `*.com`;
    /// [`HostError::BadWildcard`] for any other use of `*`; [`HostError::PortInPattern`] for a
    /// port; otherwise the errors of [`parse_authority`].
    pub fn parse(s: &str) -> Result<Self, HostError> {
        if s == "*" {
            return Err(HostError::WildcardTooBroad);
        }
        if let Some(domain) = s.strip_prefix("*.") {
            if domain.contains('*') {
                return Err(HostError::BadWildcard);
            }
            let host = pattern_host(domain)?;
            if host.starts_with('[') || host.parse::<Ipv4Addr>().is_ok() {
                return Err(HostError::BadWildcard);
            }
            // `*.com` (or `*.lan`) hands every site under a TLD the gateway's trust.
            if !host.contains('.') {
                return Err(HostError::WildcardTooBroad);
            }
            return Ok(Self::Suffix(host));
        }
        if s.contains('*') {
            return Err(HostError::BadWildcard);
        }
        Ok(Self::Exact(pattern_host(s)?))
    }

    /// Whether `host` (already normalised, without port) is covered by this pattern. Matching is
    /// ASCII case-insensitive and only at label boundaries, so `*.example.com` never matches
    /// `badexample.com` or `example.com.evil.net`.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(exact) => host.eq_ignore_ascii_case(exact),
            Self::Suffix(domain) => {
                let Some(split) = host.len().checked_sub(domain.len()) else {
                    return false;
                };
                // `get` rather than slicing: a non-normalised caller string may not split on a
                // char boundary, and that must be a non-match, not a panic.
                match (host.get(..split), host.get(split..)) {
                    (Some(sub), Some(tail)) => {
                        tail.eq_ignore_ascii_case(domain)
                            && sub
                                .strip_suffix('.')
                                .is_some_and(|label| !label.is_empty() && !label.ends_with('.'))
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Normalises the host part of a pattern and refuses a port.
fn pattern_host(s: &str) -> Result<String, HostError> {
    // Default port 0 can never be written (parse_port refuses it), so any port shows up here.
    let authority = parse_authority(s, 0)?;
    if authority.port.is_some() {
        return Err(HostError::PortInPattern);
    }
    Ok(authority.host)
}

impl fmt::Display for HostPattern {
    /// Writes the pattern back in its configuration syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(host) => f.write_str(host),
            Self::Suffix(domain) => write!(f, "*.{domain}"),
        }
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
