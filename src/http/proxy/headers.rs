//! Header hygiene for the upstream hop (docs/security.md#identity-headers, #trusted-proxies, #gateway-cookie-never-upstream): hop-by-hop headers removed,
//! every client header that normalises to an identity name dropped, forwarded headers
//! replaced by the gateway's own, and identity headers set exactly once.

use std::cell::RefCell;
use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use smallvec::SmallVec;

pub use super::identity::{IdentityValues, write_identity};

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

/// Whether a (lower-case) header name is hop-by-hop. A `match` on bytes, not a search through
/// a list: it runs for every header of every request and response, and the answer's names come
/// as bytes from the parser, with nothing to gain from a UTF-8 check.
pub(super) fn is_hop_by_hop(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection"
            | b"keep-alive"
            | b"proxy-connection"
            | b"proxy-authenticate"
            | b"proxy-authorization"
            | b"te"
            | b"trailer"
            | b"transfer-encoding"
            | b"upgrade"
            // Connection-specific by RFC 7540 §3.2.1, so never forwarded even when the client
            // leaves it out of `Connection`: an upstream must not be offered an h2c switch
            // through us.
            | b"http2-settings"
    )
}

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
    IDENTITY_PREFIXES
        .iter()
        .any(|p| name.get(..p.len()).is_some_and(|head| same_name(head, p)))
        || IDENTITY_NAMES.iter().any(|e| same_name(name, e))
}

/// Beginnings of the names an upstream could take for an identity ([`is_identity_header`]).
const IDENTITY_PREFIXES: [&str; 6] = [
    "remote-",
    "x-auth-request-",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
    "x-forwarded-preferred-username",
];
/// Whole names an upstream could take for an identity.
const IDENTITY_NAMES: [&str; 3] = ["x-remote-user", "x-user", "x-email"];

/// The first letters of every name in the lists above (identity, method override, forwarded
/// family): a name beginning with another (most of what browsers send: `accept…`, `cookie`,
/// `host`, `sec-…`, `user-agent`) is none of them, known after one comparison instead of a
/// few dozen. `headers_tests` holds every list to it.
fn may_be_listed(name: &str) -> bool {
    matches!(
        name.as_bytes().first().map(u8::to_ascii_lowercase),
        Some(b'f' | b'r' | b't' | b'x')
    )
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

/// Whether a header name is a method override, compared like identity names.
fn is_method_override(name: &str) -> bool {
    METHOD_OVERRIDE.iter().any(|m| same_name(name, m))
}

/// What [`strip_request`] removed that the audit log names.
#[derive(Debug, Default)]
pub struct Stripped {
    /// Identity-like names the client sent.
    pub identity: Vec<String>,
    /// Method-override names the client sent. A `_method` field in a form body is out of reach
    /// here (the gateway streams bodies unread): apps that honour it must not rely on
    /// `methods` rules (see docs/security.md).
    pub overrides: Vec<String>,
}

/// Why a client header does not go upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Withheld {
    /// Hop-by-hop: it speaks of the client's connection, not of the request.
    HopByHop,
    /// The upstream could take it for an identity.
    Identity,
    /// It could make the upstream run another method than the one the rules judged.
    MethodOverride,
    /// Forwarded facts, which the gateway states itself.
    Forwarded,
}

/// Whether and why the client's header `name` (lower-case, as a header map keeps it) must not
/// reach the upstream. The one rule for both ways an upstream request is built: a header map
/// for hyper's client ([`strip_request`]) and the head our own client writes (`head.rs`).
/// Names the `Connection` header lists are withheld too ([`connection_listed`]).
pub(super) fn withheld(name: &str) -> Option<Withheld> {
    if is_hop_by_hop(name.as_bytes()) {
        Some(Withheld::HopByHop)
    } else if !may_be_listed(name) {
        None
    } else if is_identity_header(name) {
        Some(Withheld::Identity)
    } else if is_method_override(name) {
        Some(Withheld::MethodOverride)
    } else if FORWARDED_FAMILY.iter().any(|f| same_name(name, f)) {
        Some(Withheld::Forwarded)
    } else {
        None
    }
}

impl Stripped {
    /// Notes a withheld name that the audit log reports.
    /// Once per name: a header map gives the values of one name one after another.
    pub(super) fn note(&mut self, why: Withheld, name: &str) {
        let names = match why {
            Withheld::Identity => &mut self.identity,
            Withheld::MethodOverride => &mut self.overrides,
            Withheld::HopByHop | Withheld::Forwarded => return,
        };
        if names.last().is_none_or(|last| last != name) {
            names.push(name.to_owned());
        }
    }
}

/// Removes every client header the upstream must not take from the client: hop-by-hop ones and
/// those `Connection` lists, identity-like ones, method overrides, and the forwarded family
/// (the gateway sets its own with [`set_forwarded`]). One pass over the names for all four:
/// each pass costs about as much as the removals of a typical request, which has none.
pub fn strip_request(headers: &mut HeaderMap) -> Stripped {
    let mut stripped = Stripped::default();
    let mut doomed = Doomed::new();
    let mut hop = false;
    for name in headers.keys() {
        let Some(why) = withheld(name.as_str()) else {
            continue;
        };
        hop |= why == Withheld::HopByHop;
        stripped.note(why, name.as_str());
        doomed.push(name.clone());
    }
    remove(headers, doomed, hop);
    stripped
}

/// Names to remove from one message. Four inline: a message rarely carries more than
/// `Connection` and `Keep-Alive` of them, and nearly every one carries `Connection`, so a
/// vector would be allocated for almost every message.
type Doomed = SmallVec<[HeaderName; 4]>;

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the (few) present names instead of a lookup per listed name: most
    // messages carry none of them.
    let present: Doomed = headers
        .keys()
        .filter(|k| is_hop_by_hop(k.as_str().as_bytes()))
        .cloned()
        .collect();
    let hop = !present.is_empty();
    remove(headers, present, hop);
}

/// Removes `names`, and with `hop` (a hop-by-hop header was among them) also the names the
/// `Connection` header lists, read before it goes. `names` must hold every hop-by-hop name
/// present: listed tokens that are hop-by-hop names are then gone already and are skipped,
/// so the usual `Connection: keep-alive` costs no allocation. Every other token, `close`
/// included, is still removed as a name.
fn remove(headers: &mut HeaderMap, names: Doomed, hop: bool) {
    let listed = if hop {
        connection_listed(headers)
    } else {
        Vec::new()
    };
    for name in names {
        headers.remove(name);
    }
    for name in &listed {
        headers.remove(name.as_str());
    }
}

/// The names the `Connection` header lists, lower-case, but for hop-by-hop names (withheld
/// anyway): for the usual `Connection: keep-alive`, none, and nothing allocated.
pub(super) fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    let tokens = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    tokens
        .filter(|token| !token.is_empty() && !is_hop_by_hop_token(token.as_bytes()))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// [`is_hop_by_hop`] for a `Connection` token or a header name in any case, without allocating.
pub(super) fn is_hop_by_hop_token(token: &[u8]) -> bool {
    let mut lower = [0u8; 20];
    let Some(buf) = lower.get_mut(..token.len()) else {
        return false; // longer than every hop-by-hop name
    };
    for (l, b) in buf.iter_mut().zip(token) {
        *l = b.to_ascii_lowercase();
    }
    is_hop_by_hop(buf)
}

/// The `X-Forwarded-Host` value: the canonical host, with the port when it is not the default.
/// Most clients already sent exactly that as `Host`, and a clone of their value shares its
/// bytes where a new one is checked and copied.
pub fn forwarded_host(headers: &HeaderMap, host: &str, port: Option<u16>) -> HeaderValue {
    if let Some(sent) = headers.get(header::HOST) {
        let rest = sent.as_bytes().strip_prefix(host.as_bytes());
        let same = match (rest, port) {
            (Some(rest), None) => rest.is_empty(),
            (Some(rest), Some(p)) => rest.strip_prefix(b":").is_some_and(|digits| {
                digits.first() != Some(&b'0')
                    && std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| d.parse().ok())
                        == Some(p)
            }),
            (None, _) => false,
        };
        if same {
            return sent.clone();
        }
    }
    match port {
        Some(p) => clean_value(&format!("{host}:{p}")),
        None => clean_value(host),
    }
}

/// The gateway's view of the request, which replaces the client's: `chain` is the
/// X-Forwarded-For list to keep (only from a trusted proxy), without the peer; `host` is
/// [`forwarded_host`]'s.
pub fn forwarded(
    chain: Option<String>,
    peer: IpAddr,
    client: IpAddr,
    https: bool,
    host: HeaderValue,
) -> [(&'static HeaderName, HeaderValue); 4] {
    let xff = match chain {
        Some(mut c) if !c.is_empty() => {
            c.push_str(", ");
            c.push_str(&ip_text(peer));
            clean_value(&c)
        }
        _ => ip_value(peer),
    };
    let proto = if https { "https" } else { "http" };
    [
        (&X_FORWARDED_FOR, xff),
        (&X_FORWARDED_PROTO, HeaderValue::from_static(proto)),
        (&X_FORWARDED_HOST, host),
        (&X_REAL_IP, ip_value(client)),
    ]
}

/// Sets [`forwarded`]'s headers, after [`strip_request`] removed the client's.
pub fn set_forwarded(headers: &mut HeaderMap, forwarded: [(&'static HeaderName, HeaderValue); 4]) {
    for (name, value) in forwarded {
        headers.insert(name.clone(), value);
    }
}

/// Addresses kept as header values per thread, direct-mapped by their last byte: a connection
/// sends request after request from one address (and behind a trusted proxy, from the proxy's
/// and a few clients'), and a clone shares its bytes where a new value allocates a copy.
const IP_SLOTS: usize = 16;

thread_local! {
    static IP_VALUES: RefCell<[Option<(IpAddr, HeaderValue)>; IP_SLOTS]> =
        const { RefCell::new([const { None }; IP_SLOTS]) };
}

/// An address as a header value.
fn ip_value(ip: IpAddr) -> HeaderValue {
    let build =
        || HeaderValue::from_str(&ip_text(ip)).unwrap_or_else(|_| HeaderValue::from_static(""));
    let last = match ip {
        IpAddr::V4(v4) => v4.octets()[3],
        IpAddr::V6(v6) => v6.octets()[15],
    };
    IP_VALUES
        .try_with(|values| {
            let mut values = values.borrow_mut();
            let slot = &mut values[usize::from(last) % IP_SLOTS];
            match slot {
                Some((seen, value)) if *seen == ip => value.clone(),
                _ => {
                    let value = build();
                    *slot = Some((ip, value.clone()));
                    value
                }
            }
        })
        .unwrap_or_else(|_| build())
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

/// The four identity headers with their values.
pub(super) fn identity_pairs(id: &IdentityValues) -> [(&'static HeaderName, &HeaderValue); 4] {
    [
        (&REMOTE_USER_NAME, &id.user),
        (&REMOTE_GROUPS_NAME, &id.groups),
        (&REMOTE_EMAIL_NAME, &id.email),
        (&REMOTE_NAME_NAME, &id.name),
    ]
}

/// Sets the four identity headers exactly once.
pub fn set_identity(headers: &mut HeaderMap, id: &IdentityValues) {
    for (name, value) in identity_pairs(id) {
        headers.insert(name.clone(), value.clone());
    }
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
#[path = "headers_tests.rs"]
mod tests;
