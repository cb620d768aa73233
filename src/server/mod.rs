//! The server: loads TLS, binds listeners and serves connections (under the caps and timeouts
//! of `conn_limits`) until shutdown; the worker threads that serve them are in `workers`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use futures_util::FutureExt;
use http::{HeaderValue, Request, Response, StatusCode, Version, header};
use http_body::Body as _;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;
use crate::conn_limits::{
    AcceptBackoff, Activity, ConnLimits, ConnSlot, Deadline, Expired, Tracked,
};
use crate::http::entry::App;
use crate::http::request::ConnInfo;

pub mod metrics;
pub mod workers;

/// How long a client may take to send a request head (or the TLS handshake), counted from the
/// connection's start or from the first byte after an answer: a kept-alive connection with
/// nothing on it waits `server.idle_timeout` instead (`Activity::expired`).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, how long a kept-alive HTTP/1.1 connection stays open without traffic before it
/// is closed (at most half of `server.shutdown_grace`); see `Activity::drained`.
const DRAIN_QUIET: Duration = Duration::from_secs(1);

fn tls_acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing {}", files.cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading the key {}", files.key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the TLS certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A running server: its bound addresses and a handle to stop it.
pub struct Running {
    /// The addresses actually bound (port 0 resolved).
    pub addrs: Vec<SocketAddr>,
    /// The application (for tests).
    pub app: App,
    /// Where the Prometheus listener is bound, when `metrics.listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets open requests finish within the grace period, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

/// Binds every configured listener and serves in the background.
pub async fn start(app: App) -> anyhow::Result<Running> {
    let listeners = bind(&app).await?;
    start_on(app, listeners)
}

async fn bind(app: &App) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for addr in &app.state().config.server.listen {
        listeners.push(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?,
        );
    }
    Ok(listeners)
}

/// Serves on listeners bound by the caller (tests bind port 0 first, then configure), on the
/// current runtime.
pub fn start_on(app: App, listeners: Vec<TcpListener>) -> anyhow::Result<Running> {
    let addrs = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<Vec<_>, _>>()?;
    let (stop, stop_rx) = watch::channel(false);
    let shared = Shared::new(&app)?;
    let metrics_addr = metrics::start(&app, stop_rx.clone())?;
    let done = tokio::spawn(run_until_stopped(app.clone(), listeners, shared, stop_rx));
    Ok(Running {
        addrs,
        app,
        metrics_addr,
        stop,
        done,
    })
}

/// What every worker shares: the TLS acceptor and the connection caps, which count
/// connections over all workers.
#[derive(Clone)]
pub(crate) struct Shared {
    tls: Option<TlsAcceptor>,
    limits: Arc<ConnLimits>,
}

impl Shared {
    pub(crate) fn new(app: &App) -> anyhow::Result<Self> {
        let config = &app.state().config;
        Ok(Self {
            tls: config.server.tls.as_ref().map(tls_acceptor).transpose()?,
            limits: ConnLimits::new(
                config.server.max_connections,
                config.server.max_connections_per_client,
                config.server.trusted_proxies.clone(),
            ),
        })
    }
}

/// Accepts on `listeners` until `stop` turns true, then gives the open connections the
/// shutdown grace period to finish.
pub(crate) async fn run_until_stopped(
    app: App,
    listeners: Vec<TcpListener>,
    shared: Shared,
    stop: watch::Receiver<bool>,
) {
    // Password hashing yields to the runtimes that serve (src/service/hash_threads.rs).
    app.state()
        .login
        .watch_runtime(tokio::runtime::Handle::current());
    // Every connection task holds a sender; when all are gone, every connection has ended.
    let (open_tx, mut open_rx) = mpsc::channel::<()>(1);
    let grace = app.state().config.server.shutdown_grace;
    let mut tasks = Vec::new();
    for listener in listeners {
        tasks.push(tokio::spawn(accept_loop(
            listener,
            Edge {
                app: app.clone(),
                tls: shared.tls.clone(),
                stop: stop.clone(),
                open: open_tx.clone(),
            },
            shared.limits.clone(),
        )));
    }
    drop(open_tx);
    for t in tasks {
        let _ = t.await;
    }
    if tokio::time::timeout(grace, open_rx.recv()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
}

/// What each connection task needs from its listener.
#[derive(Clone)]
struct Edge {
    app: App,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
    open: mpsc::Sender<()>,
}

async fn accept_loop(listener: TcpListener, edge: Edge, limits: Arc<ConnLimits>) {
    let mut stop = edge.stop.clone();
    let mut backoff = AcceptBackoff::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => {
                    backoff.succeeded();
                    pair
                }
                Err(e) => {
                    backoff.failed(&e).await;
                    continue;
                }
            },
            _ = stop.changed() => {
                // The kernel completes connections before they are accepted; closing the
                // listener resets those still queued, and a proxy that already sent a POST on
                // one never resends it. So they are taken first, to be served while draining.
                for (stream, peer) in queued(&listener) {
                    take(stream, peer, &edge, &limits);
                }
                return;
            }
        };
        take(stream, peer, &edge, &limits);
    }
}

/// The connections waiting in `listener`'s queue, taken straight from the socket: the
/// runtime may not have seen their readiness yet, so its `accept` could answer "none".
fn queued(listener: &TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    let mut taken = Vec::new();
    // The listener is non-blocking: an empty queue answers `WouldBlock`, which ends the loop.
    while let Ok((socket, addr)) = socket2::SockRef::from(listener).accept() {
        let stream = std::net::TcpStream::from(socket);
        let (Some(peer), Ok(())) = (addr.as_socket(), stream.set_nonblocking(true)) else {
            continue;
        };
        if let Ok(stream) = TcpStream::from_std(stream) {
            taken.push((stream, peer));
        }
    }
    taken
}

/// Serves an accepted connection on its own task, or closes it at once when a cap is reached
/// (no task, no TLS, no parsing).
fn take(stream: TcpStream, peer: SocketAddr, edge: &Edge, limits: &Arc<ConnLimits>) {
    let Some(slot) = limits.admit(peer.ip()) else {
        drop(stream);
        return;
    };
    let _ = stream.set_nodelay(true);
    tokio::spawn(serve_connection(stream, slot, peer, edge.clone()));
}

/// Drives a connection; when it has been idle for `idle`, or the server stops and it has
/// drained for `drain`, asks it to finish what is in progress and close (HTTP/2: GOAWAY), then
/// waits for that. A request head not received within [`HEAD_TIMEOUT`] ends it at once: there
/// is no request to answer. A macro because the TLS and plain connections are different types.
macro_rules! until_done {
    ($conn:expr, $activity:expr, $idle:expr, $drain:expr, $stop:expr) => {{
        let mut conn = std::pin::pin!($conn.into_owned());
        let finished = tokio::select! {
            // The connection first: a request that arrived as a timer ran out is read and
            // served (its answer then closes the connection) rather than reset unread, which a
            // proxy that sent a POST on this kept-alive connection would not resend.
            biased;
            result = conn.as_mut() => Some(result),
            expired = $activity.expired($idle, HEAD_TIMEOUT) => match expired {
                Expired::Idle => None,
                Expired::Head => {
                    tracing::debug!("request head not received within {HEAD_TIMEOUT:?}; closed");
                    Some(Ok(()))
                }
            },
            () = async {
                let _ = $stop.wait_for(|stopped| *stopped).await;
                $activity.drained($drain).await;
            } => None,
        };
        match finished {
            Some(result) => result,
            None => {
                conn.as_mut().graceful_shutdown();
                // A client that stopped reading could hold the response forever.
                tokio::time::timeout($idle, conn).await.unwrap_or(Ok(()))
            }
        }
    }};
}

/// Serves one connection until it ends, goes idle, or the server stops.
async fn serve_connection(stream: TcpStream, slot: ConnSlot, peer: SocketAddr, edge: Edge) {
    let Edge {
        app,
        tls,
        mut stop,
        open: _open,
    } = edge;
    let limits = &app.state().config.server;
    let (idle, body_timeout, max_header) = (
        limits.idle_timeout,
        limits.body_read_timeout,
        limits.max_header_bytes,
    );
    let drain = DRAIN_QUIET.min(limits.shutdown_grace / 2);
    let activity = Activity::new();
    // The slot lives with the socket, so an upgraded (WebSocket) connection still counts.
    let stream = Tracked::new(stream, activity.clone(), slot);
    let conn = ConnInfo {
        peer,
        tls: tls.is_some(),
    };
    let service = {
        let (app, activity) = (app.clone(), activity.clone());
        service_fn(move |req: Request<hyper::body::Incoming>| {
            let in_flight = activity.request();
            let http1 = req.version() < Version::HTTP_2;
            if !http1 {
                activity.saw_http2();
            }
            let (req, deadline) = with_body_deadline(req, body_timeout);
            let answered = app.handle(req, conn);
            // Kept for the answer when the body's deadline passed.
            let deadline = deadline.map(|expired| (expired, app.clone()));
            // `answered` is boxed already (`App::handle`): hyper keeps a slot the size of this
            // future for every connection, idle ones included, so it holds a pointer and the
            // few words below. A combinator, not an `async` block, so nothing is held twice.
            answered.map(move |resp| {
                let mut resp = match deadline {
                    Some((expired, app)) if expired.load(Ordering::SeqCst) => {
                        request_timeout(&app, conn, http1)
                    }
                    _ => resp,
                };
                // Draining: the client learns not to reuse this connection, and hyper closes
                // it after this response. Asked of the connection, not of the stop channel,
                // whose `borrow` takes a lock shared by every worker on every request.
                if http1
                    && in_flight.is_draining()
                    && resp.status() != StatusCode::SWITCHING_PROTOCOLS
                {
                    let close = HeaderValue::from_static("close");
                    resp.headers_mut().insert(header::CONNECTION, close);
                }
                // The request is over when its answer's head is handed to hyper.
                drop(in_flight);
                Ok::<_, Infallible>(resp)
            })
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper's own deadline runs from the end of each answer, so it would also close every
        // kept-alive connection quiet for that long; the watchdog (`until_done`) keeps the
        // deadline from the first byte instead.
        .header_read_timeout(None)
        .max_buf_size(max_header.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(max_header).unwrap_or(u32::MAX));
    let result = match tls {
        // Boxed: a TLS session's states are large, and the task of every plain connection
        // would otherwise be as large as a TLS one's for its whole life.
        Some(acceptor) => {
            let tls = Box::pin(async move {
                let accept = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await;
                let Ok(Ok(tls_stream)) = accept else {
                    return Ok(());
                };
                let conn =
                    builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
                until_done!(conn, activity, idle, drain, stop)
            });
            tls.await
        }
        None => {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            until_done!(conn, activity, idle, drain, stop)
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// The request with its body under the read deadline, and the flag the deadline sets when it
/// passes; a request without a body needs neither, and gets the empty body, which unlike the
/// ended one it arrived with is not boxed (most requests are GETs).
fn with_body_deadline(
    req: Request<hyper::body::Incoming>,
    body_timeout: Duration,
) -> (Request<Body>, Option<Arc<AtomicBool>>) {
    if req.body().is_end_stream() {
        return (req.map(|_| Body::empty()), None);
    }
    let expired = Arc::new(AtomicBool::new(false));
    let flag = expired.clone();
    let req = req.map(|b| Body::new(Deadline::new(b, body_timeout, flag)));
    (req, Some(expired))
}

/// The answer to a request whose body was cut off by the deadline: 408, whatever the handler
/// made of the truncated input.
fn request_timeout(app: &App, conn: ConnInfo, http1: bool) -> Response<Body> {
    tracing::info!(ip = %conn.peer.ip(), "request body not received within server.body_read_timeout");
    let mut resp = Response::new(Body::from("Request Timeout"));
    *resp.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if http1 {
        // The rest of the body is still on the wire: this connection cannot carry another request.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    app.secured(resp)
}

/// What `SIGHUP` does: re-read the configuration (the caller knows where it came from) and
/// log the outcome. Runs on a blocking thread: it reads files.
pub type OnHangup = Arc<dyn Fn() + Send + Sync>;

/// Binds every configured listener (once per worker), then serves until SIGTERM or Ctrl-C,
/// calling `on_hangup` on each SIGHUP.
pub async fn serve(app: App, on_hangup: Option<OnHangup>) -> anyhow::Result<()> {
    let workers = workers::count(app.state().config.server.workers);
    let bound = workers::bind(&app.state().config.server.listen, workers)?;
    serve_on(app, bound, on_hangup).await
}

/// Serves on listeners bound by the caller until SIGTERM or Ctrl-C, then shuts down
/// gracefully (`demo` binds first, so a busy port fails before it prints anything). Each
/// SIGHUP calls `on_hangup`; without one it is logged and ignored, never fatal.
pub async fn serve_on(
    app: App,
    bound: workers::Bound,
    on_hangup: Option<OnHangup>,
) -> anyhow::Result<()> {
    // Before anything listens: until a handler is installed, SIGHUP kills the process.
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    // Descriptors should run out only after the connection caps, never before them.
    match crate::conn_limits::raise_nofile_limit() {
        Ok(limit) => {
            let max = app.state().config.server.max_connections;
            // Each client connection may hold an upstream connection too, plus the stores.
            if u64::try_from(max).unwrap_or(u64::MAX).saturating_mul(2) + 256 > limit {
                tracing::warn!(
                    open_files = limit,
                    max_connections = max,
                    "the open-file limit is low for server.max_connections: raise it (LimitNOFILE=, ulimit -n) or lower the cap"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let users = app.state().users.count().await.unwrap_or(0);
    for addr in &bound.addrs {
        tracing::info!(%addr, "listening");
    }
    if users == 0 {
        tracing::warn!(
            "no users yet: create the first administrator with `gatehouse user add NAME --group admins --config FILE` (there is no default account)"
        );
    }
    let (stop, stop_rx) = watch::channel(false);
    metrics::start(&app, stop_rx.clone())?;
    tokio::spawn(on_each_hangup(hangups, on_hangup));
    let serving = tokio::spawn(workers::serve(app, bound, stop_rx));
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    serving.await?
}

/// Runs `on_hangup` for each SIGHUP, one at a time: signals that arrive meanwhile are merged
/// into one more run, which reads the newest file anyway.
async fn on_each_hangup(mut hangups: tokio::signal::unix::Signal, on_hangup: Option<OnHangup>) {
    while hangups.recv().await.is_some() {
        let Some(run) = on_hangup.clone() else {
            tracing::warn!("SIGHUP ignored: this server has no configuration file to re-read");
            continue;
        };
        tracing::info!("SIGHUP: re-reading the configuration");
        if let Err(e) = tokio::task::spawn_blocking(move || run()).await {
            tracing::error!(error = %e, "the configuration reload failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
