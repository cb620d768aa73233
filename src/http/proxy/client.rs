//! Upstream HTTP clients: pooled hyper clients, https with rustls (ring) validating
//! certificates against the system roots plus an optional per-site CA (docs/security.md#upstream-tls).
//!
//! Each worker thread keeps its own pool: a pooled connection is driven by a task on the
//! runtime that opened it, so one pool shared by the workers (src/server/workers.rs) would hand most
//! responses from one thread to another.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

type Pool = Client<HttpsConnector<HttpConnector>, Body>;

/// A client for one trust configuration, with a connection pool per worker thread.
#[derive(Clone)]
pub struct UpstreamClient {
    /// Tells this client's pools apart in each thread's list.
    id: u64,
    connector: HttpsConnector<HttpConnector>,
}

thread_local! {
    /// This thread's pools, by client id (a handful: one per trust configuration).
    static POOLS: RefCell<Vec<(u64, Pool)>> = const { RefCell::new(Vec::new()) };
}

impl UpstreamClient {
    /// Sends a request through this thread's pool.
    pub fn request(&self, req: http::Request<Body>) -> hyper_util::client::legacy::ResponseFuture {
        POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if let Some((_, pool)) = pools.iter().find(|(id, _)| *id == self.id) {
                return pool.request(req);
            }
            let pool = pooled(self.connector.clone());
            let sent = pool.request(req);
            pools.push((self.id, pool));
            sent
        })
    }
}

fn pooled(connector: HttpsConnector<HttpConnector>) -> Pool {
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
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
    })
}
