//! The server: loads TLS, binds listeners and serves connections (under the caps and timeouts
//! of `conn_limits`) until shutdown; the worker threads that serve them are in `workers`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;
use crate::conn_limits::{AcceptBackoff, ConnLimits};
use crate::http::entry::App;

mod answer;
mod conn;
mod gated;
pub mod metrics;
mod prefixed;
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
    let metrics_addr = metrics::start(&app, shared.limits.clone(), stop_rx.clone())?;
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
    tokio::spawn(conn::serve_connection(stream, slot, peer, edge.clone()));
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
    let shared = Shared::new(&app)?;
    metrics::start(&app, shared.limits.clone(), stop_rx.clone())?;
    tokio::spawn(on_each_hangup(hangups, on_hangup));
    let serving = tokio::spawn(workers::serve(app, bound, shared, stop_rx));
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
