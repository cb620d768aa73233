//! Upstream HTTP/1.1 connections on hyper's `client::conn`, kept in this thread's pool
//! (`pool.rs`); https with rustls (ring) validating certificates against the system roots plus
//! an optional per-site CA (docs/security.md#upstream-tls).

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use http::header::HeaderValue;
use http::{Request, Response, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::time::Instant;
use tower::ServiceExt;

use super::ForwardError;
use super::plain::Plain;
use super::pool::{self, Conn, PoolId, Returning};

/// A connector for one trust configuration (the system roots, plus a site's CA when it has one).
#[derive(Clone)]
pub struct UpstreamClient {
    /// Tells trust configurations apart, so that only sites with the same one share connections.
    id: u64,
    connector: HttpsConnector<HttpConnector>,
    /// The connector's, for the plain-HTTP client's own connections (`plain.rs`).
    connect_timeout: Duration,
}

/// One site's upstream: where to connect, with which trust, and its list of idle connections.
pub struct Upstream {
    client: UpstreamClient,
    pool: PoolId,
    /// `scheme://authority/`, what the connector is asked to reach.
    dst: Uri,
    /// The `Host` an upstream request carries unless the site preserves the client's.
    host: HeaderValue,
    /// `host:port`, and whether it is reached over TLS.
    authority: String,
    https: bool,
}

impl Upstream {
    /// The upstream at `authority` (`host:port`) through `client`. Sites with the same client,
    /// scheme and authority get the same `pool`.
    pub fn new(
        client: &UpstreamClient,
        https: bool,
        authority: &str,
        pools: &mut Vec<(u64, bool, String, PoolId)>,
    ) -> Result<Self, String> {
        let scheme = if https { "https" } else { "http" };
        let dst: Uri = format!("{scheme}://{authority}/")
            .parse()
            .map_err(|e: http::uri::InvalidUri| format!("{authority}: {e}"))?;
        let host = host_header(&dst).ok_or_else(|| format!("{authority}: no host"))?;
        let pool = match pools
            .iter()
            .find(|(c, h, a, _)| *c == client.id && *h == https && a == authority)
        {
            Some(&(.., pool)) => pool,
            None => {
                static POOLS: AtomicU64 = AtomicU64::new(0);
                let pool = POOLS.fetch_add(1, Ordering::Relaxed);
                pools.push((client.id, https, authority.to_owned(), pool));
                pool
            }
        };
        Ok(Self {
            client: client.clone(),
            pool,
            dst,
            host,
            authority: authority.to_owned(),
            https,
        })
    }

    /// Our own client to this upstream, when it speaks plain HTTP (`plain.rs`); its requests
    /// are written by the caller.
    pub(super) fn plain(&self) -> Option<Plain<'_>> {
        (!self.https).then(|| Plain {
            pool: self.pool,
            authority: &self.authority,
            connect_timeout: self.client.connect_timeout,
        })
    }

    /// The `Host` for this upstream: its host, and its port unless the scheme's default.
    pub fn host(&self) -> &HeaderValue {
        &self.host
    }

    /// Sends `req` (origin-form URI, `Host` set) through hyper's client, the way of requests
    /// that [`Self::plain`] does not take, over an idle connection of this thread, or a new one, and waits for the answer's head until `timeout` has passed since the call. A
    /// request that a kept connection closed under before taking it is sent again on another
    /// (as hyper-util's client did); one that a new connection refused is not. A failure
    /// carries its cause chain, for the log.
    pub async fn send(
        &self,
        mut req: Request<Body>,
        timeout: Duration,
    ) -> Result<Response<Body>, ForwardError> {
        let deadline = Instant::now() + timeout;
        loop {
            let (mut conn, reused) = match self.idle().await {
                Some(conn) => (conn, true),
                // Boxed: the connect future is large and rarely needed, and every request's
                // future would otherwise be sized (and moved) for it. Its own timer: a new
                // connection is rare, and its TLS handshake has no other bound.
                None => (
                    Box::pin(tokio::time::timeout_at(deadline, self.connect()))
                        .await
                        .map_err(|_| ForwardError::Timeout)?
                        .map_err(ForwardError::Unreachable)?,
                    false,
                ),
            };
            conn.deadline.as_mut().reset(deadline);
            let Conn {
                sender, deadline, ..
            } = &mut conn;
            let mut sent = std::pin::pin!(sender.try_send_request(req));
            let answered = std::future::poll_fn(|cx| {
                let had_budget = tokio::task::coop::has_budget_remaining();
                if let Poll::Ready(answered) = sent.as_mut().poll(cx) {
                    return Poll::Ready(Some(answered));
                }
                // Looked at after the request: an answer that is ready wins over a deadline
                // just passed. As in `tokio::time::timeout`, the timer is polled outside the
                // task's budget when the request used up the last of it; otherwise a request
                // that always did would keep the deadline from ever being looked at.
                let fired = if had_budget && !tokio::task::coop::has_budget_remaining() {
                    Pin::new(&mut tokio::task::unconstrained(deadline.as_mut())).poll(cx)
                } else {
                    deadline.as_mut().poll(cx)
                };
                fired.map(|()| None)
            })
            .await
            .ok_or(ForwardError::Timeout)?;
            match answered {
                Ok(resp) => return Ok(self.relay(resp, conn)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if reused => req = unsent,
                    _ => {
                        let cause = format!("send: {}", error_chain(&e.into_error()));
                        return Err(ForwardError::Unreachable(cause));
                    }
                },
            }
        }
    }

    /// An idle connection ready for a request, if this thread has one open.
    async fn idle(&self) -> Option<Conn> {
        while let Some(mut conn) = pool::take(self.pool) {
            // Ready when taken; one that closed since goes, and the next is tried.
            if conn.sender.ready().await.is_ok() {
                return Some(conn);
            }
        }
        None
    }

    /// A new connection, its task spawned on this thread's runtime.
    async fn connect(&self) -> Result<Conn, String> {
        let io = self
            .client
            .connector
            .clone()
            .oneshot(self.dst.clone())
            .await
            .map_err(|e| format!("connect: {}", error_chain(&*e)))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| format!("handshake: {}", error_chain(&e)))?;
        let (mut conn, uses) = Conn::new(sender);
        tokio::spawn(async move {
            // The connection lives until the upstream or the gateway closes it, it is upgraded
            // (a WebSocket), or it has sat idle too long.
            tokio::select! {
                end = connection.with_upgrades() => {
                    if let Err(e) = end {
                        tracing::debug!(error = %e, "upstream connection ended");
                    }
                }
                () = pool::idle_expiry(uses) => {}
            }
        });
        conn.sender
            .ready()
            .await
            .map_err(|e| format!("handshake: {}", error_chain(&e)))?;
        Ok(conn)
    }

    /// The response with a body that gives `conn` back at its end. A switch of protocols keeps
    /// `conn` out of the list: its connection is handed over to the tunnel.
    fn relay(&self, resp: Response<hyper::body::Incoming>, conn: Conn) -> Response<Body> {
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            // Held until the upgrade ends the connection, as hyper-util's client did.
            let mut sender = conn.sender;
            tokio::spawn(async move {
                let _ = sender.ready().await;
            });
            return resp.map(Body::new);
        }
        let pool = self.pool;
        resp.map(|body| Body::new(Returning::new(body, pool, conn)))
    }
}

/// The `Host` header for an upstream: its host, and its port unless the scheme's default
/// (what hyper-util's client set on requests without one).
fn host_header(dst: &Uri) -> Option<HeaderValue> {
    let host = dst.host()?;
    let default = if dst.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    match dst.port_u16() {
        Some(port) if port != default => HeaderValue::from_str(&format!("{host}:{port}")).ok(),
        _ => HeaderValue::from_str(host).ok(),
    }
}

/// An error and its sources, joined by `: `.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Builds a client that trusts the system roots and, when given, the CA certificates in `ca_file`.
pub fn build(connect_timeout: Duration, ca_file: Option<&Path>) -> Result<UpstreamClient, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    static IDS: AtomicU64 = AtomicU64::new(0);
    Ok(UpstreamClient {
        id: IDS.fetch_add(1, Ordering::Relaxed),
        connector: https,
        connect_timeout,
    })
}
