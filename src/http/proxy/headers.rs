//! Header hygiene for the upstream hop (docs/security.md#identity-headers, #trusted-proxies, #gateway-cookie-never-upstream): hop-by-hop headers removed,
//! every client header that normalises to an identity name dropped, forwarded headers
//! replaced by the gateway's own, and identity headers set exactly once.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

pub use super::identity::IdentityValues;

/// The identity headers the gateway sets.
pub const REMOTE_USER: &str = "remote-user";
pub const REMOTE_GROUPS: &str = "remote-groups";
pub const REMOTE_EMAIL: &str = "remote-email";
pub const REMOTE_NAME: &str = "remote-name";

// The names the gateway sets, made once (a clone of one is a copy): `from_static` checks a name
// byte by byte and looks it up among the standard names, which cost more than the insertions.
static REMOTE_USER_NAME: HeaderName = HeaderName::from_static(REMOTE_USER);
static REMOTE_GROUPS_NAME: HeaderName = HeaderName::from_static(REMOTE_GROUPS);
static REMOTE_EMAIL_NAME: HeaderName = HeaderName::from_static(REMOTE_EMAIL);
static REMOTE_NAME_NAME: HeaderName = HeaderName::from_static(REMOTE_NAME);
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    // Connection-specific by RFC 7540 §3.2.1, so never forwarded even when the client leaves
    // it out of `Connection`: an upstream must not be offered an h2c switch through us.
    "http2-settings",
];

/// Headers that make some frameworks (Express method-override, ASP.NET, Rails, Symfony, Spring)
/// run a request as another method than the one the access rules judged: a `GET` allowed by a
/// `methods` rule could become a `DELETE`. Compared like identity names (`_` as `-`).
const METHOD_OVERRIDE: &[&str] = &[
    "x-http-method-override",
    "x-method-override",
    "x-http-method",
];

/// Client headers an upstream might read as routing or address facts; the gateway sets its own.
const FORWARDED_FAMILY: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-forwarded-uri",
    "x-forwarded-method",
    "x-forwarded-server",
    "x-forwarded-ssl",
    "x-real-ip",
    "x-original-url",
    "x-original-uri",
    "x-original-method",
    "x-rewrite-url",
    "x-client-ip",
    "true-client-ip",
];

/// Whether a header name is one an upstream could take for an identity. Names are compared
/// after case-folding and `_`→`-`, since some servers (CGI, PHP, Django via WSGI) map
/// `Remote_User` and `Remote-User` to the same variable.
pub fn is_identity_header(name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "remote-",
        "x-auth-request-",
        "x-forwarded-user",
        "x-forwarded-email",
        "x-forwarded-groups",
        "x-forwarded-preferred-username",
    ];
    const EXACT: [&str; 3] = ["x-remote-user", "x-user", "x-email"];
    PREFIXES
        .iter()
        .any(|p| name.get(..p.len()).is_some_and(|head| same_name(head, p)))
        || EXACT.iter().any(|e| same_name(name, e))
}

/// Compares a header name with a lower-case, dash-separated name, treating `_` as `-` and
/// ignoring ASCII case, without allocating (this runs for every header of every request).
fn same_name(name: &str, normal: &str) -> bool {
    name.len() == normal.len()
        && name.bytes().zip(normal.bytes()).all(|(a, b)| {
            let a = if a == b'_' {
                b'-'
            } else {
                a.to_ascii_lowercase()
            };
            a == b
        })
}

/// Removes identity-like headers; returns the names that were present (for the audit log).
pub fn strip_identity(headers: &mut HeaderMap) -> Vec<String> {
    let spoofed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| is_identity_header(k.as_str()))
        .cloned()
        .collect();
    for name in &spoofed {
        headers.remove(name);
    }
    spoofed.iter().map(|n| n.as_str().to_owned()).collect()
}

/// Removes method-override headers; returns the names that were present (for the audit log).
/// A `_method` field in a form body is out of reach here (the gateway streams bodies unread):
/// apps that honour it must not rely on `methods` rules (see docs/security.md).
pub fn strip_method_override(headers: &mut HeaderMap) -> Vec<String> {
    let found: Vec<HeaderName> = headers
        .keys()
        .filter(|k| METHOD_OVERRIDE.iter().any(|m| same_name(k.as_str(), m)))
        .cloned()
        .collect();
    for name in &found {
        headers.remove(name);
    }
    found.iter().map(|n| n.as_str().to_owned()).collect()
}

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the (few) present names instead of a lookup per listed name: most
    // requests carry none of them.
    let present: Vec<HeaderName> = headers
        .keys()
        .filter(|k| HOP_BY_HOP.contains(&k.as_str()))
        .cloned()
        .collect();
    if present.is_empty() {
        return;
    }
    let listed: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    for name in &present {
        headers.remove(name);
    }
    for name in &listed {
        headers.remove(name.as_str());
    }
}

/// Replaces the forwarded-family headers with the gateway's view of the request.
/// `chain` is the X-Forwarded-For list to keep (only from a trusted proxy), without the peer.
pub fn set_forwarded(
    headers: &mut HeaderMap,
    chain: Option<String>,
    peer: IpAddr,
    client: IpAddr,
    https: bool,
    host: &str,
) {
    let drop: Vec<HeaderName> = headers
        .keys()
        .filter(|k| FORWARDED_FAMILY.iter().any(|f| same_name(k.as_str(), f)))
        .cloned()
        .collect();
    for name in drop {
        headers.remove(name);
    }
    let xff = match chain {
        Some(mut c) if !c.is_empty() => {
            c.push_str(", ");
            c.push_str(&ip_text(peer));
            c
        }
        _ => ip_text(peer),
    };
    insert(headers, X_FORWARDED_FOR.clone(), &xff);
    let proto = if https { "https" } else { "http" };
    headers.insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static(proto));
    insert(headers, X_FORWARDED_HOST.clone(), host);
    insert(headers, X_REAL_IP.clone(), &ip_text(client));
}

/// An address as text; IPv4 without the formatting machinery, which cost more than the rest
/// of this module on every proxied request.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut s = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if octet >= 100 {
            s.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            s.push(char::from(b'0' + octet / 10 % 10));
        }
        s.push(char::from(b'0' + octet % 10));
    }
    s
}

/// Sets the four identity headers exactly once.
pub fn set_identity(headers: &mut HeaderMap, id: &IdentityValues) {
    headers.insert(REMOTE_USER_NAME.clone(), id.user.clone());
    headers.insert(REMOTE_GROUPS_NAME.clone(), id.groups.clone());
    headers.insert(REMOTE_EMAIL_NAME.clone(), id.email.clone());
    headers.insert(REMOTE_NAME_NAME.clone(), id.name.clone());
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    headers.insert(name, clean_value(value));
}

/// A header value for `value`: as is when it is clean, else without its control characters
/// (so that no stored value can split a header), and percent-encoded when it is not visible
/// ASCII (a UTF-8 display name) rather than dropped.
pub(super) fn clean_value(value: &str) -> HeaderValue {
    if !value.chars().any(char::is_control)
        && let Ok(v) = HeaderValue::from_str(value)
    {
        return v;
    }
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| {
        let enc: String =
            percent_encoding::utf8_percent_encode(&clean, percent_encoding::CONTROLS).collect();
        HeaderValue::from_str(&enc).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_the_standard_library_writes_them() {
        for a in 0..=255u8 {
            for b in [0u8, 7, 10, 99, 100, 255] {
                let ip = IpAddr::from([a, b, 255 - a, a / 3]);
                assert_eq!(ip_text(ip), ip.to_string());
            }
        }
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(ip_text(v6), "2001:db8::1");
    }

    #[test]
    fn identity_variants_are_recognised() {
        for n in [
            "Remote-User",
            "remote_user",
            "REMOTE_GROUPS",
            "Remote-Anything",
            "X-Forwarded-User",
            "x_forwarded_email",
            "X-Auth-Request-User",
            "x-remote-user",
        ] {
            assert!(is_identity_header(n), "{n}");
        }
        for n in ["remotely", "x-forwarded-for", "user-agent", "authorization"] {
            assert!(!is_identity_header(n), "{n}");
        }
    }

    #[test]
    fn strip_then_set_gives_one_value() {
        let mut h = HeaderMap::new();
        h.append("remote-user", HeaderValue::from_static("admin"));
        h.append("remote_user", HeaderValue::from_static("admin"));
        h.append("remote-user", HeaderValue::from_static("root"));
        let gone = strip_identity(&mut h);
        assert_eq!(gone.len(), 2);
        set_identity(
            &mut h,
            &IdentityValues::new("alice", &["a".into(), "b".into()], "a@x", "Alice"),
        );
        assert_eq!(h.get_all("remote-user").iter().count(), 1);
        assert_eq!(h["remote-user"], "alice");
        assert_eq!(h["remote-groups"], "a,b");
    }

    #[test]
    fn hop_by_hop_and_connection_listed() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("accept", HeaderValue::from_static("*/*"));
        h.insert("http2-settings", HeaderValue::from_static("AAMA"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn method_overrides_are_removed_in_every_spelling() {
        let mut h = HeaderMap::new();
        for n in [
            "x-http-method-override",
            "X_HTTP_METHOD",
            "x-method-override",
        ] {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_static("DELETE"),
            );
        }
        h.insert("x-http-methods", HeaderValue::from_static("keep"));
        assert_eq!(strip_method_override(&mut h).len(), 3);
        assert_eq!(h.len(), 1);
    }
}
