//! What the edge learned about a request before any handler runs: the canonical request
//! context and the connection it arrived on.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use http::header;

use crate::domain::navigation::{self, RequestShape};
use crate::domain::path::CanonicalPath;

/// Header names read on every request, made once: a lookup by a `&str` name parses and
/// validates the name each time.
pub const X_FORWARDED_FOR: header::HeaderName = header::HeaderName::from_static("x-forwarded-for");
pub const X_FORWARDED_PROTO: header::HeaderName =
    header::HeaderName::from_static("x-forwarded-proto");

/// The connection a request arrived on.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// TCP peer.
    pub peer: SocketAddr,
    /// The connection is TLS.
    pub tls: bool,
}

/// What the gateway learned about a request before any handler runs.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Random id shown on error pages and in logs.
    pub request_id: crate::audit::RequestId,
    /// Trusted client address.
    pub client_ip: IpAddr,
    /// The client spoke https to us (or to a trusted proxy that said so).
    pub https: bool,
    /// Canonical host name.
    pub host: String,
    /// Port when not the default.
    pub port: Option<u16>,
    /// Canonical path.
    pub path: CanonicalPath,
    /// Raw query string (boxed: a request's future holds this context, and each word
    /// counts there, see docs/architecture.md#a-proxied-request).
    pub query: Option<Box<str>>,
    /// A trusted proxy sent an `X-Forwarded-For` chain (the only one the upstream's is built
    /// on): known here, so that a request without one is not looked at again for it.
    pub chain_sent: bool,
    /// The time (Unix seconds), read once from the app's clock when the request arrived;
    /// everything this request decides uses it.
    pub now: i64,
}

impl RequestCtx {
    /// The canonical path and query, as the client can ask for the page again on this host,
    /// without `done` or `expired` (a notice about what just happened is shown once, not again).
    pub fn page_again(&self) -> String {
        let kept: Vec<&str> = self
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("done=") && *p != "expired=1")
            .collect();
        if kept.is_empty() {
            self.path.encoded().to_owned()
        } else {
            format!("{}?{}", self.path.encoded(), kept.join("&"))
        }
    }

    /// The URL the client asked for, rebuilt from canonical parts (for `rd`).
    pub fn original_url(&self) -> String {
        absolute_url(
            self.https,
            &self.host,
            self.port,
            self.path.encoded(),
            self.query.as_deref(),
        )
    }
}

/// `scheme://host[:port]/path[?query]` from canonical parts (the return URL after login).
pub fn absolute_url(
    https: bool,
    host: &str,
    port: Option<u16>,
    encoded_path: &str,
    query: Option<&str>,
) -> String {
    let scheme = if https { "https" } else { "http" };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{encoded_path}{query}")
}

/// Whether a request is a browser navigation (the rule lives in `domain::navigation`); `method`
/// is the original request's method, which for forward-auth is not the call's own.
pub fn is_navigation(method: &str, h: &HeaderMap) -> bool {
    let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let websocket = h.contains_key(header::SEC_WEBSOCKET_KEY)
        || h.get_all(header::UPGRADE)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    navigation::is_navigation(&RequestShape {
        method,
        fetch_mode: text("sec-fetch-mode"),
        fetch_dest: text("sec-fetch-dest"),
        accept: text(header::ACCEPT.as_str()),
        requested_with: h.contains_key("x-requested-with"),
        websocket,
    })
}
