//! Reading the original request out of a forward-auth call's headers. Strict by design,
//! since a lenient reading is how gateways end up answering 200 for a request they never
//! judged: every header of either dialect at most once, no oversized
//! values, bad encodings refused, and two descriptions of the request that disagree are
//! refused rather than one trusted. Both endpoints follow the same rules.

use http::HeaderMap;

use crate::domain::path::{CanonicalPath, normalize_path};
use crate::http::host_memo;

/// Which proxy dialect the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// nginx `auth_request`: `X-Original-Method` and `X-Original-URL`.
    AuthRequest,
    /// Traefik `forwardAuth`, Caddy `forward_auth`: `X-Forwarded-Method/-Proto/-Host/-Uri`.
    ForwardAuth,
}

/// The request the proxy is asking about, in canonical form.
#[derive(Debug, Clone)]
pub struct Original {
    pub method: String,
    pub https: bool,
    pub host: String,
    pub port: Option<u16>,
    pub path: CanonicalPath,
    pub query: Option<String>,
}

impl Original {
    /// The URL rebuilt from canonical parts (the login page's return URL).
    pub fn url(&self) -> String {
        crate::http::request::absolute_url(
            self.https,
            &self.host,
            self.port,
            self.path.encoded(),
            self.query.as_deref(),
        )
    }
}

/// Where the original request went (everything but the method).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    https: bool,
    host: String,
    port: Option<u16>,
    path: CanonicalPath,
    query: Option<String>,
}

/// Why a forward-auth call was refused with 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    Missing(&'static str),
    Repeated(&'static str),
    TooLong(&'static str),
    Invalid(&'static str),
    Conflict,
}

/// Longest header value accepted from the proxy.
const MAX_VALUE: usize = 8 * 1024;

/// Every header either dialect uses. Each may appear at most once whichever endpoint is
/// called: a proxy that appends instead of replacing lets the client's copy ride along, and
/// which copy a check reads must never be a choice.
const DIALECT_HEADERS: [&str; 6] = [
    "x-original-url",
    "x-original-method",
    "x-forwarded-method",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-uri",
];

/// The dialect headers of one call, each at most once, read in one pass over the headers
/// (a lookup by name would hash each name again; this is on every forward-auth answer).
#[derive(Default)]
struct Dialect<'a> {
    values: [Option<&'a str>; DIALECT_HEADERS.len()],
}

impl<'a> Dialect<'a> {
    fn read(h: &'a HeaderMap) -> Result<Self, Malformed> {
        let mut d = Self::default();
        for (name, value) in h {
            let Some(i) = DIALECT_HEADERS.iter().position(|n| *n == name.as_str()) else {
                continue;
            };
            let name = DIALECT_HEADERS[i];
            if d.values[i].is_some() {
                return Err(Malformed::Repeated(name));
            }
            if value.len() > MAX_VALUE {
                return Err(Malformed::TooLong(name));
            }
            d.values[i] = Some(value.to_str().map_err(|_| Malformed::Invalid(name))?);
        }
        Ok(d)
    }

    fn one(&self, name: &'static str) -> Option<&'a str> {
        let i = DIALECT_HEADERS.iter().position(|n| *n == name)?;
        self.values[i]
    }

    fn required(&self, name: &'static str) -> Result<&'a str, Malformed> {
        self.one(name).ok_or(Malformed::Missing(name))
    }
}

/// `http` or `https`, in any case.
fn scheme_is_https(raw: &str, name: &'static str) -> Result<bool, Malformed> {
    if raw.eq_ignore_ascii_case("https") {
        Ok(true)
    } else if raw.eq_ignore_ascii_case("http") {
        Ok(false)
    } else {
        Err(Malformed::Invalid(name))
    }
}

fn method(raw: &str, name: &'static str) -> Result<String, Malformed> {
    let ok = !raw.is_empty() && raw.len() <= 16 && raw.bytes().all(|b| b.is_ascii_uppercase());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Malformed::Invalid(name))
    }
}

fn split_target(
    target: &str,
    name: &'static str,
) -> Result<(CanonicalPath, Option<String>), Malformed> {
    let target = target.split('#').next().unwrap_or("");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (target, None),
    };
    if query
        .as_deref()
        .is_some_and(|q| q.bytes().any(|b| b.is_ascii_control() || b == b' '))
    {
        return Err(Malformed::Invalid(name));
    }
    Ok((
        normalize_path(path).map_err(|_| Malformed::Invalid(name))?,
        query,
    ))
}

fn from_url(url: &str) -> Result<Target, Malformed> {
    const NAME: &str = "x-original-url";
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(Malformed::Invalid(NAME));
    };
    let (authority, target) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let a = host_memo::parse(authority, if https { 443 } else { 80 })
        .map_err(|_| Malformed::Invalid(NAME))?;
    let (path, query) = if target.is_empty() {
        split_target("/", NAME)?
    } else if target.starts_with('?') {
        split_target(&format!("/{target}"), NAME)?
    } else {
        split_target(target, NAME)?
    };
    Ok(Target {
        https,
        host: a.host,
        port: a.port,
        path,
        query,
    })
}

fn from_forwarded(h: &Dialect<'_>) -> Result<Target, Malformed> {
    let https = scheme_is_https(h.required("x-forwarded-proto")?, "x-forwarded-proto")?;
    let a = host_memo::parse(
        h.required("x-forwarded-host")?,
        if https { 443 } else { 80 },
    )
    .map_err(|_| Malformed::Invalid("x-forwarded-host"))?;
    let uri = h.required("x-forwarded-uri")?;
    if !uri.starts_with('/') {
        return Err(Malformed::Invalid("x-forwarded-uri"));
    }
    let (path, query) = split_target(uri, "x-forwarded-uri")?;
    Ok(Target {
        https,
        host: a.host,
        port: a.port,
        path,
        query,
    })
}

/// What the other dialect's headers say about the request, each part only when present.
#[derive(Debug, Default)]
struct Claims {
    authority: Option<(String, Option<u16>)>,
    target: Option<(String, Option<String>)>,
    method: Option<String>,
}

impl Claims {
    /// Whether every present part matches (scheme aside: proxies differ in reporting it).
    fn agree(&self, t: &Target, method: &str) -> bool {
        self.authority
            .as_ref()
            .is_none_or(|(host, port)| *host == t.host && *port == t.port)
            && self
                .target
                .as_ref()
                .is_none_or(|(path, query)| path == t.path.decoded() && *query == t.query)
            && self.method.as_deref().is_none_or(|m| m == method)
    }
}

/// The nginx dialect's claims, for a Traefik/Caddy call.
fn original_claims(h: &Dialect<'_>) -> Result<Claims, Malformed> {
    let mut c = Claims::default();
    if let Some(url) = h.one("x-original-url") {
        let o = from_url(url)?;
        c.authority = Some((o.host, o.port));
        c.target = Some((o.path.into_decoded(), o.query));
    }
    if let Some(m) = h.one("x-original-method") {
        c.method = Some(method(m, "x-original-method")?);
    }
    Ok(c)
}

/// The Traefik/Caddy dialect's claims, for an nginx call: each header is compared on its own,
/// so a lone `X-Forwarded-Uri` or `X-Forwarded-Host` cannot disagree unnoticed.
fn forwarded_claims(h: &Dialect<'_>, https: bool) -> Result<Claims, Malformed> {
    let mut c = Claims::default();
    let https = match h.one("x-forwarded-proto") {
        None => https,
        Some(p) => scheme_is_https(p, "x-forwarded-proto")?,
    };
    if let Some(host) = h.one("x-forwarded-host") {
        let a = host_memo::parse(host, if https { 443 } else { 80 })
            .map_err(|_| Malformed::Invalid("x-forwarded-host"))?;
        c.authority = Some((a.host, a.port));
    }
    if let Some(uri) = h.one("x-forwarded-uri") {
        if !uri.starts_with('/') {
            return Err(Malformed::Invalid("x-forwarded-uri"));
        }
        let (path, query) = split_target(uri, "x-forwarded-uri")?;
        c.target = Some((path.into_decoded(), query));
    }
    if let Some(m) = h.one("x-forwarded-method") {
        c.method = Some(method(m, "x-forwarded-method")?);
    }
    Ok(c)
}

/// Parses the original request for `flavor`. Both endpoints apply the same rules: every
/// dialect header at most once, and whatever the other dialect's headers say must describe
/// the same request, part by part.
pub fn parse(flavor: Flavor, h: &HeaderMap) -> Result<Original, Malformed> {
    let h = &Dialect::read(h)?;
    let (target, method, claims) = match flavor {
        Flavor::AuthRequest => {
            let t = from_url(h.required("x-original-url")?)?;
            let m = method(h.required("x-original-method")?, "x-original-method")?;
            let c = forwarded_claims(h, t.https)?;
            (t, m, c)
        }
        Flavor::ForwardAuth => {
            let t = from_forwarded(h)?;
            let m = method(h.required("x-forwarded-method")?, "x-forwarded-method")?;
            (t, m, original_claims(h)?)
        }
    };
    if !claims.agree(&target, &method) {
        return Err(Malformed::Conflict);
    }
    let Target {
        https,
        host,
        port,
        path,
        query,
    } = target;
    Ok(Original {
        method,
        https,
        host,
        port,
        path,
        query,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
