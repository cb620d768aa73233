//! CSRF protection for every state-changing POST (docs/security.md#login-csrf, #csrf).
//!
//! Two independent checks: the browser's own signals (`Sec-Fetch-Site: cross-site` or an
//! `Origin` other than the portal's is refused), and a signed double-submit token: the form
//! carries HMAC(key, csrf-cookie) and the `__Host-` CSRF cookie carries the random value. An
//! attacker can neither read the cookie nor compute the MAC without the server key.

use http::HeaderMap;

use crate::domain::secret::{HmacKey, b64url, ct_eq, random_token};

/// Signs and checks CSRF tokens.
#[derive(Clone)]
pub struct Csrf {
    key: HmacKey,
}

impl Csrf {
    /// `key` is a purpose-derived key.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: HmacKey::new(&key),
        }
    }

    /// A fresh random value for the CSRF cookie.
    pub fn new_cookie_value() -> String {
        random_token(32)
    }

    /// The form token matching a cookie value.
    pub fn token_for(&self, cookie_value: &str) -> String {
        b64url(&self.key.sign(format!("csrf:{cookie_value}").as_bytes()))
    }

    /// Whether the request's browser signals and token both pass. `portal_origin` is the
    /// `https://host[:port]` of the portal that served the form.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        portal_origin: &str,
        cookie_value: Option<&str>,
        form_token: &str,
    ) -> bool {
        if !same_origin(headers, portal_origin) {
            return false;
        }
        let Some(cookie) = cookie_value.filter(|c| c.len() >= 32) else {
            return false;
        };
        ct_eq(self.token_for(cookie).as_bytes(), form_token.as_bytes())
    }
}

fn same_origin(headers: &HeaderMap, portal_origin: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match header("origin") {
        // Our pages set `Referrer-Policy: no-referrer`, under which browsers send
        // `Origin: null` even for a same-origin form POST (Fetch: serializing a request
        // origin). Accept that only when the browser itself vouches for the origin with
        // `Sec-Fetch-Site: same-origin`, which no page can set.
        Some("null") => header("sec-fetch-site") == Some("same-origin"),
        Some(origin) => origin == portal_origin,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const O: &str = "https://auth.example.test";

    fn csrf() -> Csrf {
        Csrf::new([7; 32])
    }

    #[test]
    fn token_round_trip() {
        let c = csrf();
        let cookie = Csrf::new_cookie_value();
        let token = c.token_for(&cookie);
        assert!(c.verify(&HeaderMap::new(), O, Some(&cookie), &token));
        assert!(!c.verify(
            &HeaderMap::new(),
            O,
            Some(&Csrf::new_cookie_value()),
            &token
        ));
        assert!(!c.verify(&HeaderMap::new(), O, None, &token));
        assert!(!c.verify(&HeaderMap::new(), O, Some(&cookie), ""));
    }

    #[test]
    fn cross_site_signals_are_refused() {
        let c = csrf();
        let cookie = Csrf::new_cookie_value();
        let token = c.token_for(&cookie);
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!c.verify(&h, O, Some(&cookie), &token));
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(!c.verify(&h, O, Some(&cookie), &token));
        // `Origin: null` (sent under no-referrer) passes only with the browser's own
        // same-origin signal.
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("null"));
        assert!(!c.verify(&h, O, Some(&cookie), &token));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(!c.verify(&h, O, Some(&cookie), &token));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(c.verify(&h, O, Some(&cookie), &token));
        let mut h = HeaderMap::new();
        h.insert(
            "origin",
            HeaderValue::from_static("https://auth.example.test"),
        );
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(c.verify(&h, O, Some(&cookie), &token));
    }
}
