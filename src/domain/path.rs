//! Canonical request paths (docs/security.md#path-normalisation).
//!
//! This module owns the single normalisation of a request path: it decodes percent-escapes
//! exactly once, refuses every encoding trick that lets the gateway and an upstream disagree on
//! what a path means, resolves dot-segments (RFC 3986 §5.2.4) and re-encodes the result for the
//! upstream hop. Access rules match on [`CanonicalPath::decoded`] and the proxy forwards
//! [`CanonicalPath::encoded`], so both sides see the same path.
//!
//! It must not see the query or fragment (the caller splits on `?` first), must not "repair" a
//! hostile path (refusing is the only safe answer), and does no I/O.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Longest raw path accepted, in bytes; a cap keeps the work per request bounded.
const MAX_PATH_LEN: usize = 8192;

/// Bytes kept verbatim in [`CanonicalPath::encoded`]: the RFC 3986 `pchar` set (unreserved,
/// sub-delims, `:` and `@`) minus `;`. Everything else, `/` inside a segment included, is
/// percent-encoded. `;` is encoded because Tomcat/Jetty/Spring read a raw `;` as the start of
/// path parameters and would route `/admin;x` to `/admin`.
const UPSTREAM_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// A request path after the one and only normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath {
    /// The decoded, dot-segment-free path that access rules match on. Always starts with `/`.
    decoded: String,
    /// The upstream spelling, kept only when it differs from `decoded` (most paths are spelt
    /// the same both ways, and every request normalises at least one: one string, not two).
    /// Never `Some` of a copy of `decoded`, so the derived equality compares meanings.
    encoded: Option<String>,
}

impl CanonicalPath {
    /// Both spellings of a path; the encoded one is dropped when it is the decoded one.
    fn new(decoded: String, encoded: String) -> Self {
        let encoded = (encoded != decoded).then_some(encoded);
        Self { decoded, encoded }
    }

    /// The decoded, dot-segment-free path that access rules match on. Always starts with `/`.
    pub fn decoded(&self) -> &str {
        &self.decoded
    }

    /// The same path re-encoded for the upstream request line: only RFC 3986 pchars (minus
    /// `;`) and `/` appear raw; `normalize_path(encoded)` yields the same `decoded` again.
    pub fn encoded(&self) -> &str {
        self.encoded.as_deref().unwrap_or(&self.decoded)
    }

    /// The decoded path, owned.
    pub fn into_decoded(self) -> String {
        self.decoded
    }
}

/// Why a raw path was refused. Each variant is a distinct smuggling technique, so the caller can
/// log which one was tried.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    /// The path is empty or does not start with `/` (origin-form, RFC 9112 §3.2.1).
    #[error("path must start with '/'")]
    NotAbsolute,
    /// The raw path is longer than the cap.
    #[error("path is longer than {MAX_PATH_LEN} bytes")]
    TooLong,
    /// `%2F`: an encoded slash makes one segment look like two after a second decode.
    #[error("path contains an encoded slash (%2F)")]
    EncodedSlash,
    /// `%5C`: an encoded backslash is a separator on Windows and some Java servers.
    #[error("path contains an encoded backslash (%5C)")]
    EncodedBackslash,
    /// `%2E`: an encoded dot only exists to smuggle `..` past a normaliser.
    #[error("path contains an encoded dot (%2E)")]
    EncodedDot,
    /// `%00`: a NUL truncates the path in C-based upstreams.
    #[error("path contains an encoded NUL (%00)")]
    Nul,
    /// `;` or `%3B`: path parameters that Java upstreams strip before routing.
    #[error("path contains a semicolon")]
    Semicolon,
    /// A raw `\`, which browsers and some servers treat as `/`.
    #[error("path contains a backslash")]
    Backslash,
    /// A `%XX` escape remains after decoding once (`%2541`, `%25%34%31`).
    #[error("path is percent-encoded more than once")]
    DoubleEncoding,
    /// A `%` not followed by two hex digits.
    #[error("path contains a malformed percent-escape")]
    BadPercentEncoding,
    /// The decoded bytes are not UTF-8 (overlong forms such as `%C0%AE` included).
    #[error("decoded path is not valid UTF-8")]
    NotUtf8,
    /// A control character (C0, DEL or C1), raw or decoded.
    #[error("path contains a control character")]
    ControlCharacter,
    /// A raw space, `?` or `#`: never valid in an origin-form path, so the request (or the
    /// caller's query split) is malformed.
    #[error("path contains a character that is not allowed unencoded")]
    InvalidCharacter,
    /// `//`: an empty segment. Collapsing it silently would make rules and upstream disagree.
    #[error("path contains an empty segment (//)")]
    EmptySegment,
}

/// Normalises a raw request path (without query or fragment) into its canonical form.
///
/// Decodes once, refuses the encodings listed in [`PathError`], resolves `.` and `..` per
/// RFC 3986 §5.2.4 (`..` at the root stays at the root) and keeps a trailing slash.
///
/// # Errors
/// Returns the first [`PathError`] found; a refused path must not be proxied or matched.
pub fn normalize_path(raw: &str) -> Result<CanonicalPath, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong);
    }
    if let Some(plain) = already_canonical(raw) {
        return Ok(plain);
    }
    normalize_in_full(raw)
}

/// The common case, decided in one pass without decoding: a path made only of bytes kept
/// verbatim, with no dot segment and no empty segment before the last, is its own canonical
/// form in both spellings. Anything else takes the full normalisation, which agrees with this
/// on every path this accepts (a test compares them).
fn already_canonical(raw: &str) -> Option<CanonicalPath> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return None;
    }
    // One pass over the bytes with a table (this runs on every request, twice on a
    // forward-auth call): each segment ends at the next `/`, and only the last may be empty.
    let mut start = 1;
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        if b == b'/' {
            if !plain_segment(&bytes[start..i]) {
                return None;
            }
            start = i + 1;
        } else if !KEPT_VERBATIM[usize::from(b)] {
            return None;
        }
    }
    let last = &bytes[start..];
    if last.is_empty() || plain_segment(last) {
        Some(CanonicalPath {
            decoded: raw.to_owned(),
            encoded: None,
        })
    } else {
        None
    }
}

/// A segment that is neither empty nor a dot segment (its bytes are checked as they are read).
fn plain_segment(segment: &[u8]) -> bool {
    !matches!(segment, b"" | b"." | b"..")
}

/// The bytes that [`UPSTREAM_ENCODE`] leaves as they are and that need no check: ASCII letters
/// and digits and the RFC 3986 pchar punctuation, `;` and `%` excepted.
const KEPT_VERBATIM: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let punctuation = b"-._~!$&'()*+,=:@";
    let mut i = 0;
    while i < punctuation.len() {
        table[punctuation[i] as usize] = true;
        i += 1;
    }
    table
};

fn normalize_in_full(raw: &str) -> Result<CanonicalPath, PathError> {
    let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;

    let mut stack: Vec<String> = Vec::new();
    let mut trailing_slash = false;
    let mut segments = rest.split('/').peekable();
    while let Some(raw_segment) = segments.next() {
        let is_last = segments.peek().is_none();
        // Every segment is validated, even one a later `..` removes: a refused escape is a
        // probe and must not be laundered away by dot-segment resolution.
        let segment = decode_segment(raw_segment)?;
        match segment.as_str() {
            // The only empty segment allowed is the one after a trailing slash (or the root).
            "" if is_last => trailing_slash = true,
            "" => return Err(PathError::EmptySegment),
            // RFC 3986 §5.2.4: a final `.` or `..` leaves the path ending in `/`.
            "." => trailing_slash = is_last,
            ".." => {
                stack.pop();
                trailing_slash = is_last;
            }
            _ => {
                stack.push(segment);
                trailing_slash = false;
            }
        }
    }

    let mut decoded = String::with_capacity(raw.len());
    let mut encoded = String::with_capacity(raw.len());
    for segment in &stack {
        decoded.push('/');
        decoded.push_str(segment);
        encoded.push('/');
        encoded.extend(utf8_percent_encode(segment, UPSTREAM_ENCODE));
    }
    if stack.is_empty() || trailing_slash {
        decoded.push('/');
        encoded.push('/');
    }
    Ok(CanonicalPath::new(decoded, encoded))
}

/// Decodes one raw segment (no `/` inside) and validates both the raw and decoded forms.
fn decode_segment(raw: &str) -> Result<String, PathError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        let value = if b == b'%' {
            let hi = it.next().and_then(hex_value);
            let lo = it.next().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    let value = (hi << 4) | lo;
                    check_escaped_byte(value)?;
                    value
                }
                _ => return Err(PathError::BadPercentEncoding),
            }
        } else {
            check_raw_byte(b)?;
            b
        };
        bytes.push(value);
    }
    let segment = String::from_utf8(bytes).map_err(|_| PathError::NotUtf8)?;
    // C1 controls (U+0080..U+009F) are as dangerous as C0 in logs and terminals.
    if segment.chars().any(char::is_control) {
        return Err(PathError::ControlCharacter);
    }
    // A `%XX` that survives one decode is double encoding, whether it came from `%2541` or from
    // `%25%34%31`; an upstream that decodes again would see a different path (CVE-2021-39206
    // class, heimdall GHSA-3q34-rx83-r6mq).
    if contains_escape(&segment) {
        return Err(PathError::DoubleEncoding);
    }
    Ok(segment)
}

/// Refuses decoded bytes that change how the path splits or is read upstream.
fn check_escaped_byte(value: u8) -> Result<(), PathError> {
    match value {
        // oauth2-proxy GHSA-7rh7-c77v-6434 / Pomerium CVE-2023-33189: `%2F` and `%5C` let a
        // segment become a separator after the gateway has already matched the path.
        b'/' => Err(PathError::EncodedSlash),
        b'\\' => Err(PathError::EncodedBackslash),
        // `%2E%2E` is `..` to any upstream that decodes before resolving; there is no honest
        // reason to encode an unreserved dot (RFC 3986 §2.3), so refuse all of them.
        b'.' => Err(PathError::EncodedDot),
        b'\0' => Err(PathError::Nul),
        // Spring's StrictHttpFirewall refuses `%3B` as well as `;` for the same reason.
        b';' => Err(PathError::Semicolon),
        v if v < 0x20 || v == 0x7f => Err(PathError::ControlCharacter),
        _ => Ok(()),
    }
}

/// Refuses raw bytes that are never legitimate in an origin-form path.
fn check_raw_byte(b: u8) -> Result<(), PathError> {
    match b {
        // Tomcat path parameters: `/admin;x=1/` routes to `/admin` upstream (docs/security.md#path-normalisation).
        b';' => Err(PathError::Semicolon),
        b'\\' => Err(PathError::Backslash),
        b if b < 0x20 || b == 0x7f => Err(PathError::ControlCharacter),
        // A raw space is a request-line framing error; a raw `?` or `#` means the query or
        // fragment reached us, i.e. the caller did not split where the upstream will.
        b' ' | b'?' | b'#' => Err(PathError::InvalidCharacter),
        _ => Ok(()),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn contains_escape(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| matches!(w, [b'%', hi, lo] if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit()))
}

#[cfg(test)]
#[path = "path_tests.rs"]
mod tests;
