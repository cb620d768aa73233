//! Security headers on every response the gateway itself makes (docs/security.md#security-headers, #no-cache, #cors-and-methods), and
//! `Cache-Control: no-store` so no auth page or cookie-carrying answer is cached.

use http::Response;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// A response and who made it, which decides whether the browser security headers go on it.
/// Carried beside the response rather than as a mark in its extensions, which would cost two
/// allocations on every proxied and forward-auth request.
pub enum Answer<B> {
    /// The gateway's own answer (a portal page, an error page, a redirect, a refusal): gets
    /// them, in `App::secured`.
    Own(Response<B>),
    /// An upstream's answer: the app owns its headers, and it passes untouched.
    Relayed(Response<B>),
    /// A forward-auth "allowed" answer: an empty 2xx that only the asking proxy reads (nginx
    /// `auth_request`, Traefik `forwardAuth` and Caddy `forward_auth` then send the original
    /// request on, copying just the identity headers), never shown to a browser. Refusals and
    /// redirects, which those proxies hand to the browser, are `Own`.
    ForProxy(Response<B>),
}

impl<B> Answer<B> {
    pub fn response(&self) -> &Response<B> {
        match self {
            Self::Own(r) | Self::Relayed(r) | Self::ForProxy(r) => r,
        }
    }
}

/// Marks a response carrying one of the operator's public assets (docs/branding.md): it may
/// be cached, and it gets a sandboxing CSP instead of the page one, so an SVG opened directly
/// is an inert document (no script, no plugin, an opaque origin).
#[derive(Debug, Clone, Copy)]
pub struct PublicAsset;

/// How long browsers may keep an asset before asking again (with its `ETag`).
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=3600";

const ASSET_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; sandbox; frame-ancestors 'none'";

/// Builds the fixed header set once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
}

impl SecurityHeaders {
    /// `form_action` lists the origins a portal form may submit or redirect to: browsers
    /// apply CSP `form-action` to the redirect after a login POST as well.
    ///
    /// `inline_style` is the one `<style>` block the pages carry: it is allowed by its SHA-256
    /// hash, so pages are styled on every host (error pages appear on app hosts, where a
    /// relative stylesheet link would go to the app) without allowing any other inline style.
    /// `images` are the extra origins images may come from (the sites' configured icons).
    /// `assets` is the portal origin when it serves the operator's assets: absolute links to
    /// them work on the error pages of app hosts too, so images, the extra stylesheet and its
    /// fonts may come from there ('self' alone covers only the portal host).
    pub fn new(
        form_action: &[String],
        images: &[String],
        inline_style: &str,
        assets: Option<&str>,
    ) -> Self {
        use base64::Engine;
        let style_hash = base64::engine::general_purpose::STANDARD
            .encode(crate::domain::secret::sha256(inline_style.as_bytes()));
        let mut sources = vec!["'self'".to_owned()];
        sources.extend(form_action.iter().cloned());
        let mut img = vec!["'self'".to_owned(), "data:".to_owned()];
        img.extend(images.iter().cloned());
        img.extend(assets.map(str::to_owned));
        img.dedup();
        let (style_from, fonts) = match assets {
            Some(origin) => (format!(" {origin}"), format!("; font-src 'self' {origin}")),
            None => (String::new(), String::new()),
        };
        let csp = format!(
            "default-src 'none'; style-src 'self'{style_from} 'sha256-{style_hash}'; img-src {}{fonts}; script-src 'self'; connect-src 'self'; form-action {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            img.join(" "),
            sources.join(" ")
        );
        Self { csp: HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")) }
    }

    /// Adds the headers to a gateway response; a [`PublicAsset`] without cookies gets its
    /// own CSP and may be cached.
    pub fn apply_to<B>(&self, resp: &mut Response<B>) {
        let asset = resp.extensions().get::<PublicAsset>().is_some()
            && !resp.headers().contains_key(header::SET_COOKIE);
        let h = resp.headers_mut();
        self.apply(h);
        if asset {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(ASSET_CSP),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(ASSET_CACHE_CONTROL),
            );
        }
    }

    /// Adds the headers to a gateway response.
    pub fn apply(&self, h: &mut HeaderMap) {
        let set = |h: &mut HeaderMap, name: HeaderName, v: &'static str| {
            h.insert(name, HeaderValue::from_static(v));
        };
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
        h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(h, header::REFERRER_POLICY, "no-referrer");
        set(
            h,
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
        set(h, header::X_FRAME_OPTIONS, "DENY");
        set(h, header::CACHE_CONTROL, "no-store");
        h.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        if let Some(ct) = h.get(header::CONTENT_TYPE)
            && ct
                .to_str()
                .is_ok_and(|s| s.starts_with("text/") && !s.contains("charset"))
        {
            let with = format!("{}; charset=utf-8", ct.to_str().unwrap_or("text/plain"));
            if let Ok(v) = HeaderValue::from_str(&with) {
                h.insert(header::CONTENT_TYPE, v);
            }
        }
    }
}
