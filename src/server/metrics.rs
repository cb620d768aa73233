//! The Prometheus listener: a separate plain-HTTP/1 socket (`metrics.listen`) that serves
//! `GET /metrics` and nothing else. It never shares a port with the public listeners, never
//! passes through the portal, and holds no session or cookie logic.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conn_limits::ConnLimits;
use crate::http::entry::App;
use crate::metrics::Gauges;

/// A scraper has this long to send its request head. hyper counts it from the end of the last
/// answer too, so a kept-alive scrape connection closes after this long without a scrape: a
/// scraper (GET only) reconnects, or resends a GET that met the close, and nothing else uses
/// this listener, so the simple deadline is kept here (the gateway's listeners keep their own,
/// `src/server/mod.rs`).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds `metrics.listen` when set; the listener serves until `stop` turns true. Returns the
/// bound address (port 0 resolved).
pub fn start(
    app: &App,
    limits: Arc<ConnLimits>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<SocketAddr>> {
    let Some(addr) = app.state().config.metrics.listen else {
        return Ok(None);
    };
    if app.state().meter.metrics().is_none() {
        anyhow::bail!("metrics.listen is set but the metrics were not registered");
    }
    let std = std::net::TcpListener::bind(addr)
        .with_context(|| format!("binding the metrics listener {addr} (metrics.listen)"))?;
    std.set_nonblocking(true)?;
    let listener = TcpListener::from_std(std)?;
    let bound = listener.local_addr()?;
    tokio::spawn(accept(listener, app.clone(), limits, stop));
    tracing::info!(addr = %bound, "serving metrics");
    Ok(Some(bound))
}

async fn accept(
    listener: TcpListener,
    app: App,
    limits: Arc<ConnLimits>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: do not spin.
                    tracing::warn!(error = %e, "metrics listener could not accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let (app, limits) = (app.clone(), limits.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let (app, limits) = (app.clone(), limits.clone());
                async move { Ok::<_, Infallible>(respond(&app, &limits, &req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
        });
    }
}

async fn respond<B>(app: &App, limits: &ConnLimits, req: &Request<B>) -> Response<Body> {
    let state = app.state();
    let (status, body) = match (req.method(), req.uri().path(), state.meter.metrics()) {
        (&Method::GET | &Method::HEAD, "/metrics", Some(metrics)) => {
            // A store that fails to count leaves the gauge out rather than failing the scrape.
            let connections = limits.counts();
            let gauges = Gauges {
                active_sessions: state.sessions.held().await.ok().flatten(),
                hash_queue: state.login.hash_queue_depth(),
                connections_open: connections.open,
                connections_parked: connections.parked,
            };
            (StatusCode::OK, metrics.render(gauges))
        }
        (_, "/metrics", _) => (StatusCode::METHOD_NOT_ALLOWED, String::new()),
        _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
