//! The only place that builds cookies, and the reader/stripper for the `Cookie` header.
//!
//! Session cookie (docs/security.md#cookie-attributes): `__Host-` + `Secure; HttpOnly; Path=/` with no `Domain` for
//! one host, or `__Secure-` with the *configured* `Domain` for SSO; never a domain taken from
//! the request. The CSRF cookie is always `__Host-` on the portal host, so a sibling
//! subdomain cannot overwrite it (cookie tossing). None of these cookies ever crosses to an
//! upstream: [`strip_own`] removes them from requests and [`drop_own_set_cookies`] from
//! upstream responses.

use cookie::Cookie;
use cookie::prefix::{Host, Prefix, Secure as SecurePrefix};
use cookie::time::Duration;
use http::HeaderValue;
use http::header::{COOKIE, HeaderMap, SET_COOKIE};

use crate::config::{CookieConfig, SameSite};
use crate::domain::secret::SecretString;
use crate::domain::session::{PENDING_TTL, SessionId};

/// Name of the pre-session CSRF cookie.
pub const CSRF_COOKIE: &str = "__Host-gatehouse_csrf";
/// Name of the cookie of a pending second-factor login (portal host only; grants nothing).
pub const PENDING_COOKIE: &str = "__Host-gatehouse_pending";
/// Name of the remembered-device cookie (portal host only).
pub const DEVICE_COOKIE: &str = "__Host-gatehouse_device";
/// Name of the language cookie (portal host only; holds a language tag, nothing else).
pub const LANG_COOKIE: &str = "__Host-gatehouse_lang";

/// How long the language cookie is kept (a year).
const LANG_MAX_AGE: i64 = 365 * 86_400;

/// Builds `Set-Cookie` values from the session cookie settings.
#[derive(Debug, Clone)]
pub struct Cookies {
    config: CookieConfig,
    max_age: i64,
}

impl Cookies {
    /// Cookies for the given settings; `max_age` is the absolute session timeout in seconds.
    pub fn new(config: CookieConfig, max_age: i64) -> Self {
        Self { config, max_age }
    }

    /// Name of the session cookie (with its prefix).
    pub fn session_name(&self) -> &str {
        &self.config.name
    }

    /// The session cookie set by the portal at `portal_host`: `__Secure-` with the configured
    /// cookie domain covering that host (never a value from the request), else `__Host-`.
    fn session_cookie(&self, value: String, portal_host: &str, max_age: i64) -> Cookie<'static> {
        let same_site = match self.config.same_site {
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::Strict => cookie::SameSite::Strict,
        };
        let c = Cookie::build((self.config.name.clone(), value))
            .http_only(true)
            .same_site(same_site)
            .max_age(Duration::seconds(max_age))
            .path("/")
            .build();
        match self.config.domain_for(portal_host) {
            Some(d) => {
                let mut c = SecurePrefix::conform(c);
                c.set_domain(d.domain.clone());
                c
            }
            None => Host::conform(c),
        }
    }

    /// `Set-Cookie` for a session, set by the portal at `portal_host`, kept by the browser
    /// `max_age` seconds (the session's remaining life), or the absolute timeout when `None`.
    pub fn session(&self, id: &SessionId, portal_host: &str, max_age: Option<i64>) -> HeaderValue {
        let max_age = max_age.unwrap_or(self.max_age).max(1);
        set_cookie(&self.session_cookie(id.expose().to_owned(), portal_host, max_age))
    }

    /// `Set-Cookie` that deletes the session cookie set by the portal at `portal_host`.
    pub fn clear_session(&self, portal_host: &str) -> HeaderValue {
        set_cookie(&self.session_cookie(String::new(), portal_host, 0))
    }

    /// `Set-Cookie` for a pending second-factor login: portal host only, gone with the login.
    pub fn pending(&self, id: &SessionId) -> HeaderValue {
        set_cookie(&portal_only(
            PENDING_COOKIE,
            id.expose().to_owned(),
            Some(PENDING_TTL),
        ))
    }

    /// `Set-Cookie` that deletes the pending-login cookie.
    pub fn clear_pending(&self) -> HeaderValue {
        set_cookie(&portal_only(PENDING_COOKIE, String::new(), Some(0)))
    }

    /// `Set-Cookie` for a remembered device, kept `max_age` seconds. The value is our own
    /// base64url token with a MAC (no characters a cookie forbids).
    pub fn device(&self, value: &SecretString, max_age: i64) -> HeaderValue {
        set_cookie(&portal_only(
            DEVICE_COOKIE,
            value.expose().to_owned(),
            Some(max_age),
        ))
    }

    /// `Set-Cookie` for the reader's language (a tag), kept a year. `Lax`, unlike the other
    /// portal cookies: someone following a link from a mail to the portal still gets their
    /// language on the first page. It grants nothing.
    pub fn language(&self, tag: &str) -> HeaderValue {
        let mut c = portal_only(LANG_COOKIE, tag.to_owned(), Some(LANG_MAX_AGE));
        c.set_same_site(cookie::SameSite::Lax);
        set_cookie(&c)
    }

    /// `Set-Cookie` for the CSRF cookie (portal host only, strict, for the browser session).
    pub fn csrf(&self, value: &str) -> HeaderValue {
        set_cookie(&portal_only(CSRF_COOKIE, value.to_owned(), None))
    }
}

/// A `__Host-` cookie of the portal host alone: `SameSite=Strict`, never sent cross-site.
fn portal_only(name: &'static str, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .build();
    if let Some(age) = max_age {
        c.set_max_age(Duration::seconds(age));
    }
    Host::conform(c)
}

/// The `Set-Cookie` value of `c`. The attributes are written in one fixed order, with `Secure;
/// HttpOnly; SameSite` last, the order docs/security.md#cookie-attributes states and its test
/// matches; the crate's own `Display` puts `HttpOnly` first. Browsers ignore the order.
fn set_cookie(c: &Cookie<'_>) -> HeaderValue {
    let mut s = format!("{}={}", c.name(), c.value());
    if let Some(age) = c.max_age() {
        s.push_str(&format!("; Max-Age={}", age.whole_seconds()));
    }
    if let Some(path) = c.path() {
        s.push_str(&format!("; Path={path}"));
    }
    if let Some(domain) = c.domain() {
        s.push_str(&format!("; Domain={domain}"));
    }
    if c.secure() == Some(true) {
        s.push_str("; Secure");
    }
    if c.http_only() == Some(true) {
        s.push_str("; HttpOnly");
    }
    if let Some(same_site) = c.same_site() {
        s.push_str(&format!("; SameSite={same_site}"));
    }
    // Every part is either configuration validated at start or base64url we generated.
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The request carries the same cookie more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ambiguous;

/// The value of cookie `name` in the request. With several cookies of that name (a cookie
/// tossed from a sibling domain), returns `Err(())`: the request is ambiguous.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Ambiguous> {
    let mut found = None;
    for value in headers.get_all(COOKIE) {
        let Ok(s) = value.to_str() else { continue };
        for (n, v) in pairs(s) {
            if n == name {
                if found.is_some() {
                    return Err(Ambiguous);
                }
                found = Some(v);
            }
        }
    }
    Ok(found)
}

/// The `name=value` pairs of a `Cookie` header, both trimmed, as the `cookie` crate's
/// `split_parse` reads them (a part without `=` or with an empty name is skipped); its value
/// is raw, quotes kept. By hand because this runs on every request, and the crate builds a
/// whole cookie per pair, attributes included. `header` is a header value as text
/// (`HeaderValue::to_str`: visible ASCII, spaces and tabs), whose only whitespace is ASCII, so
/// trimming ASCII whitespace trims all of it without a Unicode table.
fn pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    parts(header).filter_map(|part| {
        let (name, value) = split_once(part, b'=')?;
        let name = name.trim_ascii();
        (!name.is_empty()).then(|| (name, value.trim_ascii()))
    })
}

/// `s.split(';')`, found with `memchr`'s vector search: core's byte search, which `split`
/// uses, went a word at a time and was the costliest part of reading a cookie, on every
/// request.
fn parts(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_once(r, b';') {
            Some((part, after)) => {
                rest = Some(after);
                Some(part)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `s.split_once(sep)` for an ASCII `sep`, found with `memchr` (see [`parts`]).
fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let at = memchr::memchr(sep, s.as_bytes())?;
    // An ASCII byte is a whole character: both sides are on character boundaries.
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// Whether a cookie name is one of the gateway's own: the session cookie, the CSRF,
/// pending-login, remembered-device and language cookies. Compared without letter case and without the
/// `__Host-`/`__Secure-` prefix, so a cookie left over from an earlier cookie setting (one host
/// vs SSO) or a case variant still counts as ours.
pub fn is_own(name: &str, session_name: &str) -> bool {
    let name = unprefixed(name.trim());
    // Checked on every cookie a browser sends through: the fixed names are kept without their
    // prefix, and a name of another length is told apart by its length alone.
    let same = |own: &str| own.len() == name.len() && own.eq_ignore_ascii_case(name);
    same(unprefixed(session_name)) || FIXED_UNPREFIXED.iter().any(|own| same(own))
}

/// The fixed names of the gateway's own cookies without their prefix (a test holds them to
/// the names above).
const FIXED_UNPREFIXED: [&str; 4] = [
    "gatehouse_csrf",
    "gatehouse_pending",
    "gatehouse_device",
    "gatehouse_lang",
];

/// A cookie name without its `__Host-` or `__Secure-` prefix (any letter case).
fn unprefixed(name: &str) -> &str {
    if !name.starts_with("__") {
        return name;
    }
    ["__Host-", "__Secure-"]
        .iter()
        .find_map(|p| {
            name.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .and_then(|_| name.get(p.len()..))
        })
        .unwrap_or(name)
}

/// Removes every gateway cookie ([`is_own`]) from the `Cookie` headers before a request goes
/// to an upstream: the session would let the app act as the user everywhere, and the
/// remembered-device cookie plus the password skips the second factor, so neither may reach
/// an app's logs or debug pages. Drops the header when nothing is left.
pub fn strip_own(headers: &mut HeaderMap, session_name: &str) {
    let Some(kept) = without_own(headers.get_all(COOKIE), session_name) else {
        return;
    };
    headers.remove(COOKIE);
    if !kept.is_empty()
        && let Ok(v) = HeaderValue::from_str(&kept)
    {
        headers.insert(COOKIE, v);
    }
}

/// The pairs of the `Cookie` header `values` that are not gateway cookies, joined into one
/// value (possibly empty); `None` when no gateway cookie was among them, so that the values go
/// on as they came. Shared by [`strip_own`] and the upstream head written in one pass.
pub fn without_own<'a>(
    values: impl IntoIterator<Item = &'a HeaderValue>,
    session_name: &str,
) -> Option<String> {
    // The kept pairs, joined as they are found (one allocation, not one per cookie).
    let mut kept = String::new();
    let mut touched = false;
    for value in values {
        // Checked the quick way first: a header is nearly always valid text.
        let s = match std::str::from_utf8(value.as_bytes()) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(value.as_bytes()),
        };
        for pair in parts(&s) {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let key = split_once(pair, b'=').map_or(pair, |(k, _)| k);
            if is_own(key, session_name) {
                touched = true;
            } else {
                if !kept.is_empty() {
                    kept.push_str("; ");
                }
                kept.push_str(pair);
            }
        }
    }
    touched.then_some(kept)
}

/// Removes every `Set-Cookie` of an upstream response that names a gateway cookie, so one app
/// cannot set, swap or delete the SSO session (or the device and CSRF cookies) of all apps.
/// Returns the names dropped, for the audit log.
pub fn drop_own_set_cookies(headers: &mut HeaderMap, session_name: &str) -> Vec<String> {
    let values: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
    let mut dropped = Vec::new();
    let mut kept = Vec::new();
    for v in values {
        let s = String::from_utf8_lossy(v.as_bytes());
        let pair = s.split(';').next().unwrap_or("");
        let name = pair.split_once('=').map_or(pair, |(k, _)| k).trim();
        if is_own(name, session_name) {
            dropped.push(name.to_owned());
        } else {
            kept.push(v);
        }
    }
    if !dropped.is_empty() {
        headers.remove(SET_COOKIE);
        for v in kept {
            headers.append(SET_COOKIE, v);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieDomain, PublicUrl};

    /// Every string of up to `pieces` pieces of `alphabet`, the empty one included.
    fn every_string(alphabet: &[&str], pieces: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..pieces {
            last = last
                .iter()
                .flat_map(|h| alphabet.iter().map(move |c| format!("{h}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn parts_and_split_once_split_as_std_does() {
        for h in &every_string(&["a", ";", "=", " ", "é", ";;"], 5) {
            assert_eq!(
                parts(h).collect::<Vec<_>>(),
                h.split(';').collect::<Vec<_>>(),
                "{h:?}"
            );
            assert_eq!(split_once(h, b'='), h.split_once('='), "{h:?}");
        }
    }

    #[test]
    fn pairs_are_read_as_the_cookie_crate_reads_them() {
        // Every header of up to 6 characters from an alphabet of the bytes that matter (a
        // header value as text has no other whitespace than these two).
        let alphabet = ["a", "B", "=", ";", " ", "\"", "\t", "é"];
        for h in &every_string(&alphabet, 6) {
            let ours: Vec<(&str, &str)> = pairs(h).collect();
            let crate_pairs: Vec<(&str, &str)> = Cookie::split_parse(h.as_str())
                .flatten()
                .map(|c| (c.name_raw().unwrap(), c.value_raw().unwrap()))
                .collect();
            assert_eq!(ours, crate_pairs, "{h:?}");
        }
    }

    fn cookies(domain: Option<&str>) -> Cookies {
        let prefix = if domain.is_some() {
            "__Secure-"
        } else {
            "__Host-"
        };
        Cookies::new(
            CookieConfig {
                name: format!("{prefix}gatehouse_session"),
                domains: domain
                    .map(|d| CookieDomain {
                        domain: d.to_owned(),
                        portal: PublicUrl {
                            https: true,
                            host: format!("auth.{d}"),
                            port: None,
                            base_path: String::new(),
                        },
                    })
                    .into_iter()
                    .collect(),
                same_site: SameSite::Lax,
            },
            3600,
        )
    }

    #[test]
    fn host_cookie_has_no_domain() {
        let v = cookies(None).session(&SessionId::generate(), "auth.example.test", None);
        let s = v.to_str().unwrap();
        assert!(s.starts_with("__Host-gatehouse_session="));
        assert!(
            s.contains("Secure")
                && s.contains("HttpOnly")
                && s.contains("SameSite=Lax")
                && s.contains("Path=/")
        );
        assert!(!s.contains("Domain"));
    }

    #[test]
    fn sso_cookie_uses_the_configured_domain() {
        let s = cookies(Some("example.test"))
            .session(&SessionId::generate(), "auth.example.test", None)
            .to_str()
            .unwrap()
            .to_owned();
        assert!(s.starts_with("__Secure-gatehouse_session="));
        assert!(s.contains("Domain=example.test;"));
    }

    #[test]
    fn read_and_strip() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; __Host-s=secret; b=2"),
        );
        assert_eq!(read(&h, "__Host-s"), Ok(Some("secret")));
        strip_own(&mut h, "__Host-s");
        assert_eq!(h.get(COOKIE).unwrap(), "a=1; b=2");
        let mut only = HeaderMap::new();
        only.append(COOKIE, HeaderValue::from_static("__Host-s=x"));
        strip_own(&mut only, "__Host-s");
        assert!(only.get(COOKIE).is_none());
    }

    #[test]
    fn every_own_cookie_is_stripped_whatever_its_prefix_or_case() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static(
                "app=1; __Host-gatehouse_device=d; __Host-gatehouse_csrf=c; \
                 __host-GATEHOUSE_PENDING=p; __Secure-gatehouse_session=old; gatehouse_session=x",
            ),
        );
        h.append(
            COOKIE,
            HeaderValue::from_static("__Host-gatehouse_session=s; b=2"),
        );
        strip_own(&mut h, "__Host-gatehouse_session");
        assert_eq!(h.get(COOKIE).unwrap(), "app=1; b=2");
        assert!(!is_own("gatehouse_sessions", "__Host-gatehouse_session"));
        assert!(!is_own("session", "__Host-gatehouse_session"));
    }

    #[test]
    fn the_fixed_names_are_checked_as_declared() {
        let fixed = [CSRF_COOKIE, PENDING_COOKIE, DEVICE_COOKIE, LANG_COOKIE];
        let unprefixed: Vec<&str> = fixed.iter().map(|n| super::unprefixed(n)).collect();
        assert_eq!(unprefixed, super::FIXED_UNPREFIXED);
        for name in fixed {
            for variant in [
                name.to_owned(),
                name.to_ascii_uppercase(),
                super::unprefixed(name).to_owned(),
                format!("__Secure-{}", super::unprefixed(name)),
                format!(" {name} "),
            ] {
                assert!(is_own(&variant, "custom_session"), "{variant}");
            }
            assert!(!is_own(&format!("{name}x"), "custom_session"));
            assert!(!is_own(
                &format!("_{}", super::unprefixed(name)),
                "custom_session"
            ));
        }
        assert!(is_own("__HOST-Custom_Session", "custom_session"));
        assert!(is_own("custom_session", "__Secure-custom_session"));
        assert!(!is_own("__", "custom_session"));
        assert!(!is_own("", "custom_session"));
    }

    #[test]
    fn upstream_set_cookies_for_own_names_are_dropped() {
        let mut h = HeaderMap::new();
        for v in [
            "app=1; Path=/",
            "__Secure-gatehouse_session=evil; Domain=example.test; Path=/",
            "__Host-gatehouse_device=x; Path=/",
            "other=2",
        ] {
            h.append(SET_COOKIE, HeaderValue::from_static(v));
        }
        let gone = drop_own_set_cookies(&mut h, "__Secure-gatehouse_session");
        assert_eq!(
            gone,
            ["__Secure-gatehouse_session", "__Host-gatehouse_device"]
        );
        let left: Vec<_> = h.get_all(SET_COOKIE).iter().collect();
        assert_eq!(left, ["app=1; Path=/", "other=2"]);
    }

    #[test]
    fn every_cookie_is_secure_http_only_and_same_site_in_that_order() {
        let c = cookies(None);
        let id = SessionId::generate();
        let device = SecretString::new("d".repeat(43));
        for v in [
            c.session(&id, "auth.example.test", None),
            c.clear_session("auth.example.test"),
            c.pending(&id),
            c.clear_pending(),
            c.device(&device, 60),
            c.csrf("t"),
        ] {
            let s = v.to_str().unwrap();
            assert!(s.starts_with("__Host-"), "{s}");
            assert!(
                s.ends_with("; Path=/; Secure; HttpOnly; SameSite=Strict")
                    || s.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"),
                "{s}"
            );
        }
        assert!(
            c.clear_session("auth.example.test")
                .to_str()
                .unwrap()
                .contains("=; Max-Age=0;")
        );
        assert!(!c.csrf("t").to_str().unwrap().contains("Max-Age"));
    }

    #[test]
    fn a_cookie_without_a_value_or_with_spaces_reads_as_the_browser_sent_it() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("  s=1 ;broken; t="));
        assert_eq!(read(&h, "s"), Ok(Some("1")));
        assert_eq!(read(&h, "t"), Ok(Some("")));
        assert_eq!(read(&h, "broken"), Ok(None));
    }

    #[test]
    fn a_name_with_spaces_around_it_is_the_same_cookie() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("s =tossed; s=1"));
        assert_eq!(read(&h, "s"), Err(Ambiguous));
    }

    #[test]
    fn duplicate_session_cookies_are_ambiguous() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("s=1"));
        h.append(COOKIE, HeaderValue::from_static("s=2"));
        assert_eq!(read(&h, "s"), Err(Ambiguous));
    }
}
