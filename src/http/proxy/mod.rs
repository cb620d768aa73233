//! Proxy mode: choose the site for a request, then forward it upstream with clean headers,
//! streaming bodies both ways and passing WebSocket upgrades (and no other upgrade) through.
//! Nothing of the gateway's own crosses the boundary: its cookies are removed from requests,
//! and an upstream's `Set-Cookie` for one of them is dropped (and audited).

pub mod client;
mod framing;
mod head;
pub mod headers;
mod identity;
mod plain;
mod plain_body;
mod pool;
mod upgrade;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, Uri, Version};
use http_body::Body as _;

use crate::config::SiteConfig;
use crate::domain::host::HostPattern;
use crate::domain::rules::prefix_matches;
use crate::http::request::RequestCtx;
use client::Upstream;
use head::Head;
use headers::IdentityValues;
use smallvec::SmallVec;

/// A configured site with its upstream.
pub struct Site {
    pub config: SiteConfig,
    upstream: Upstream,
}

/// All sites, for routing by host and path.
pub struct SiteTable {
    sites: Vec<Site>,
    upstream_timeout: Duration,
}

/// Facts about the client hop that the upstream request is built from.
#[derive(Debug)]
pub struct Hop<'a> {
    /// TCP peer of the client connection.
    pub peer: SocketAddr,
    /// The X-Forwarded-For list to keep (only when the peer is a trusted proxy).
    pub xff_chain: Option<String>,
    /// Name of the gateway's session cookie, removed before forwarding.
    pub session_cookie: &'a str,
}

/// A request made ready for its upstream ([`SiteTable::prepare`]).
pub struct Outbound<'a> {
    via: Via<'a>,
    /// The client side of a WebSocket upgrade the request asked for.
    upgrade: Option<hyper::upgrade::OnUpgrade>,
    session_cookie: &'a str,
}

/// Which client sends the request, with what it needs.
enum Via<'a> {
    /// Our own client: the head as written on the wire.
    Plain {
        plain: plain::Plain<'a>,
        head: Vec<u8>,
        head_only: bool,
        idempotent: bool,
    },
    /// hyper's client (a body, an upgrade, an `https://` upstream), the request boxed so that
    /// the common way does not carry its size.
    Hyper(Box<Request<Body>>),
}

/// Why forwarding failed.
#[derive(Debug)]
pub enum ForwardError {
    /// Could not connect or the upstream broke the exchange.
    Unreachable(String),
    /// No response headers within the timeout.
    Timeout,
}

/// The upstream request target in origin-form (the connection already goes to the upstream),
/// joined by hand: `format!` cost more than parsing the result.
fn origin_form(base: &str, path: &str, query: Option<&str>) -> Result<Uri, http::uri::InvalidUri> {
    let query_len = query.map_or(0, |q| q.len() + 1);
    let mut target = String::with_capacity(base.len() + path.len() + query_len);
    target.push_str(base);
    target.push_str(path);
    if let Some(q) = query {
        target.push('?');
        target.push_str(q);
    }
    Uri::try_from(target)
}

impl SiteTable {
    /// Builds clients for every site.
    pub fn new(
        configs: &[SiteConfig],
        connect_timeout: Duration,
        upstream_timeout: Duration,
    ) -> Result<Self, String> {
        let shared = client::build(connect_timeout, None)?;
        let mut pools = Vec::new();
        let sites = configs
            .iter()
            .map(|c| {
                let client = match &c.ca_file {
                    Some(ca) => client::build(connect_timeout, Some(ca))?,
                    None => shared.clone(),
                };
                let up = &c.upstream;
                let upstream = Upstream::new(&client, up.https, &up.authority, &mut pools)?;
                Ok(Site {
                    config: c.clone(),
                    upstream,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            sites,
            upstream_timeout,
        })
    }

    /// The most specific site for a canonical host and path: exact hosts before wildcards,
    /// then the longest path prefix. Falls back to the site marked `default`.
    pub fn route(&self, host: &str, path: &str) -> Option<&Site> {
        self.sites
            .iter()
            .filter(|s| s.config.host.matches(host) && prefix_matches(&s.config.path_prefix, path))
            .max_by_key(|s| {
                (
                    matches!(s.config.host, HostPattern::Exact(_)),
                    s.config.path_prefix.len(),
                )
            })
            .or_else(|| self.sites.iter().find(|s| s.config.default))
    }

    /// Makes `req` ready for `site`'s upstream: its headers cleaned and the gateway's own set
    /// (`identity` is `None` on bypass routes without a session), spoofed names audited.
    /// Nothing here waits, so the future that sends ([`Self::send`]) holds only the outcome,
    /// not the request it came from: futures nest, and each level kept its own copy of the
    /// request (bench/changes.md).
    ///
    /// The request is borrowed, not taken: it stays where its owner's future holds it, and
    /// only hyper's client (which needs it whole) takes it out.
    pub fn prepare<'a>(
        &self,
        site: &'a Site,
        req: &mut Request<Body>,
        ctx: &RequestCtx,
        hop: Hop<'a>,
        identity: Option<IdentityValues>,
    ) -> Result<Outbound<'a>, ForwardError> {
        let Hop {
            peer,
            xff_chain,
            session_cookie,
        } = hop;
        let upgrade = upgrade::websocket_requested(req).then(|| hyper::upgrade::on(&mut *req));
        let original_host = site.config.preserve_host.then(|| {
            req.headers().get(header::HOST).cloned().or_else(|| {
                req.uri()
                    .authority()
                    .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            })
        });

        let up = &site.config.upstream;
        let host = match original_host.flatten() {
            Some(host) => host,
            None => site.upstream.host().clone(),
        };
        let forwarded_host = headers::forwarded_host(req.headers(), &ctx.host, ctx.port);
        let forwarded = headers::forwarded(
            xff_chain,
            peer.ip(),
            ctx.client_ip,
            ctx.https,
            forwarded_host,
        );
        let spoofed = |stripped: headers::Stripped| {
            for names in [stripped.identity, stripped.overrides] {
                if !names.is_empty() {
                    crate::audit!(crate::audit::event::HEADER_SPOOFED, ip = %ctx.client_ip, headers = ?names, host = %ctx.host);
                }
            }
        };

        // The common request goes through our own client, its head written in one pass over
        // the client's headers; one with a body, an upgrade or an https upstream through
        // hyper's, its header map cleaned in place. The same rules either way (`head.rs`).
        let via = match site.upstream.plain() {
            Some(plain) if upgrade.is_none() && req.body().is_end_stream() => {
                let mut own: SmallVec<[(&HeaderName, &HeaderValue); 9]> =
                    forwarded.iter().map(|(n, v)| (*n, v)).collect();
                if let Some(id) = &identity {
                    own.extend(headers::identity_pairs(id));
                }
                own.push((&header::HOST, &host));
                let head = Head {
                    method: req.method(),
                    base: &up.base_path,
                    path: ctx.path.encoded(),
                    query: ctx.query.as_deref(),
                    client: req.headers(),
                    session_cookie,
                    own: &own,
                };
                let mut bytes = Vec::with_capacity(512);
                spoofed(head.write(&mut bytes)?);
                Via::Plain {
                    plain,
                    head: bytes,
                    head_only: req.method() == http::Method::HEAD,
                    idempotent: plain::idempotent(req.method()),
                }
            }
            _ => {
                let uri = origin_form(&up.base_path, ctx.path.encoded(), ctx.query.as_deref())
                    .map_err(|e| ForwardError::Unreachable(e.to_string()))?;
                // Taken whole, an empty request left behind (no allocation).
                let (mut parts, body) = std::mem::take(req).into_parts();
                let h = &mut parts.headers;
                spoofed(headers::strip_request(h));
                crate::http::cookies::strip_own(h, session_cookie);
                headers::set_forwarded(h, forwarded);
                if let Some(id) = &identity {
                    headers::set_identity(h, id);
                }
                // `insert` replaces every value the name had.
                h.insert(header::HOST, host);
                if upgrade.is_some() {
                    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                    h.insert(
                        header::UPGRADE,
                        HeaderValue::from_static(upgrade::WEBSOCKET),
                    );
                }
                parts.uri = uri;
                parts.version = Version::HTTP_11;
                Via::Hyper(Box::new(Request::from_parts(parts, Body::new(body))))
            }
        };
        Ok(Outbound {
            via,
            upgrade,
            session_cookie,
        })
    }

    /// Sends a prepared request to `site` and hands back the upstream's answer, without the
    /// gateway's cookies and, for hyper's client, its hop-by-hop headers (our own client
    /// leaves them out as it reads the head).
    ///
    /// `out` is borrowed, and matched by reference rather than taken apart: the caller's
    /// future holds it once. Not an `async fn`, which would hold its arguments twice.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn holds its arguments twice"
    )]
    pub fn send<'a>(
        &'a self,
        site: &'a Site,
        out: &'a mut Outbound<'_>,
        ctx: &'a RequestCtx,
    ) -> impl Future<Output = Result<Response<Body>, ForwardError>> + Send + 'a {
        async move {
            let (mut resp, hop_by_hop_left) = match &mut out.via {
                Via::Plain {
                    plain,
                    head,
                    head_only,
                    idempotent,
                } => {
                    let answer = plain
                        .send(head, *head_only, *idempotent, self.upstream_timeout)
                        .await?;
                    (answer.map(Body::new), false)
                }
                // Boxed: hyper's client future is large, and only this rarer way needs it.
                Via::Hyper(req) => {
                    let req = std::mem::take(&mut **req);
                    let sending = Box::pin(site.upstream.send(req, self.upstream_timeout));
                    (sending.await?, true)
                }
            };
            let (upgrade, session_cookie) = (out.upgrade.take(), out.session_cookie);

            let dropped =
                crate::http::cookies::drop_own_set_cookies(resp.headers_mut(), session_cookie);
            if !dropped.is_empty() {
                crate::audit!(crate::audit::event::UPSTREAM_COOKIE_DROPPED, ip = %ctx.client_ip, host = %ctx.host, cookies = ?dropped);
            }
            if resp.status() == http::StatusCode::SWITCHING_PROTOCOLS {
                // Only the WebSocket the client asked for is tunnelled; any other switch (h2c
                // above all) is refused and the upstream connection dropped unread.
                return match upgrade {
                    Some(client_side) if upgrade::websocket_accepted(resp.headers()) => {
                        upgrade::tunnel(client_side, hyper::upgrade::on(&mut resp));
                        let (parts, _) = resp.into_parts();
                        Ok(Response::from_parts(parts, Body::empty()))
                    }
                    _ => Err(ForwardError::Unreachable(
                        "the upstream switched protocols without the requested websocket upgrade"
                            .to_owned(),
                    )),
                };
            }
            if hop_by_hop_left {
                headers::strip_hop_by_hop(resp.headers_mut());
            }
            Ok(resp)
        }
    }
}
