//! The composition root: opens the concrete stores, loads keys and TLS, binds listeners and
//! serves connections until shutdown. The only module that names concrete store types.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::app::{App, Stores};
use crate::config::{Config, KeySource, SessionBackend, TlsFiles};
use crate::domain::secret::{random_token, sha256_hex};
use crate::gateway::ConnInfo;
use crate::store::memory::{MemorySessionStore, MemoryThrottleStore};
use crate::store::redis::{RedisConn, RedisSessionStore, RedisThrottleStore};
use crate::store::sql::SqlUserStore;

/// Opens the stores the configuration names.
pub async fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    let users = SqlUserStore::open_sqlite(&config.database)
        .await
        .with_context(|| format!("opening the user database {}", config.database.display()))?;
    let (sessions, throttle): (
        Arc<dyn crate::store::SessionStore>,
        Arc<dyn crate::store::ThrottleStore>,
    ) = match &config.session.backend {
        SessionBackend::Memory { capacity } => (
            Arc::new(MemorySessionStore::new(*capacity)),
            Arc::new(MemoryThrottleStore::new(config.throttle.capacity)),
        ),
        SessionBackend::Redis {
            url,
            prefix,
            timeout,
        } => {
            let conn = RedisConn::connect(url.expose(), prefix, *timeout)
                .await
                .context("connecting to Redis (session.redis.url)")?;
            let lifetime = u64::try_from(config.session.timeouts.absolute).unwrap_or(u64::MAX);
            (
                Arc::new(RedisSessionStore::new(conn.clone(), lifetime)),
                Arc::new(RedisThrottleStore::new(conn)),
            )
        }
    };
    // One database serves users, second factors and remembered devices.
    let users = Arc::new(users);
    Ok(Stores {
        sessions,
        throttle,
        users: users.clone(),
        factors: users.clone(),
        devices: users.clone(),
        resets: users,
    })
}

/// Loads (or on first start creates) the 32-byte master key.
pub fn load_key(source: &KeySource) -> anyhow::Result<[u8; 32]> {
    let material = match source {
        KeySource::Value(v) => v.expose().to_owned(),
        KeySource::File(path) => crate::config::read_secret(path)
            .with_context(|| format!("reading secrets.key_file {}", path.display()))?,
        KeySource::Generate(path) => read_or_create_key(path)?,
    };
    if material.len() < 32 {
        bail!("the secret key must be at least 32 characters");
    }
    // Hash whatever form the operator chose (hex, base64, passphrase) into a uniform key.
    let digest = sha256_hex(format!("gatehouse-master-key:{material}").as_bytes());
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    Ok(key)
}

fn read_or_create_key(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return crate::config::read_secret(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    let key = random_token(48);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the key file {}", path.display()))?;
    writeln!(f, "{key}")?;
    tracing::info!(path = %path.display(), "generated a new secret key (keep it: sessions and CSRF tokens depend on it)");
    Ok(key)
}

/// Builds the application from a configuration (stores, key, services).
pub async fn build(config: Config) -> anyhow::Result<App> {
    let stores = open_stores(&config).await?;
    let key = load_key(&config.secrets.key)?;
    App::new(config, stores, key)
}

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
    let mut listeners = Vec::new();
    for addr in &app.state().config.server.listen {
        listeners.push(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?,
        );
    }
    start_on(app, listeners)
}

/// Serves on listeners bound by the caller (tests bind port 0 first, then configure).
pub fn start_on(app: App, listeners: Vec<TcpListener>) -> anyhow::Result<Running> {
    let config = app.state().config.clone();
    let tls = config.server.tls.as_ref().map(tls_acceptor).transpose()?;
    let addrs = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<Vec<_>, _>>()?;
    let (stop, stop_rx) = watch::channel(false);
    let graceful = Arc::new(GracefulShutdown::new());
    let mut tasks = Vec::new();
    for listener in listeners {
        tasks.push(tokio::spawn(accept_loop(
            listener,
            app.clone(),
            tls.clone(),
            stop_rx.clone(),
            graceful.clone(),
        )));
    }
    let grace = config.server.shutdown_grace;
    let done = tokio::spawn(async move {
        for t in tasks {
            let _ = t.await;
        }
        match Arc::try_unwrap(graceful) {
            Ok(g) => {
                if tokio::time::timeout(grace, g.shutdown()).await.is_err() {
                    tracing::warn!(
                        "connections still open after the shutdown grace period; closing them"
                    );
                }
            }
            Err(_) => tracing::warn!("shutdown watcher still shared"),
        }
    });
    Ok(Running {
        addrs,
        app,
        stop,
        done,
    })
}

async fn accept_loop(
    listener: TcpListener,
    app: App,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    graceful: Arc<GracefulShutdown>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let max_header = app.state().config.server.max_header_bytes;
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let conn = ConnInfo {
                peer,
                tls: tls.is_some(),
            };
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.handle(req, conn).await) }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .max_buf_size(max_header.max(8192));
            builder
                .http2()
                .timer(TokioTimer::new())
                .max_header_list_size(u32::try_from(max_header).unwrap_or(u32::MAX));
            let result = match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            watcher
                                .watch(
                                    builder
                                        .serve_connection_with_upgrades(
                                            TokioIo::new(tls_stream),
                                            service,
                                        )
                                        .into_owned(),
                                )
                                .await
                        }
                        _ => return,
                    }
                }
                None => {
                    watcher
                        .watch(
                            builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                                .into_owned(),
                        )
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn serve(app: App) -> anyhow::Result<()> {
    let users = app.state().users.count().await.unwrap_or(0);
    let running = start(app).await?;
    for addr in &running.addrs {
        tracing::info!(%addr, "listening");
    }
    if users == 0 {
        tracing::warn!(
            "no users yet: create the first administrator with `gatehouse user add NAME --group admins --config FILE` (there is no default account)"
        );
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
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
