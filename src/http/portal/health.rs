//! Health probes for load balancers and HEALTHCHECK (`<portal>/api/health`, `/live`,
//! `/ready`; README "Metrics and health").

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;

use crate::http::state::AppState;

/// How long readiness waits for a store: a hung store must fail the probe, not hang it.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Which health answer a path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `/api/health`: both stores, one word each (the original answer, kept for existing
    /// checks).
    Stores,
    /// `/api/health/live`: the process answers; no store is asked.
    Live,
    /// `/api/health/ready`: each store pinged, with its latency.
    Ready,
}

impl Probe {
    /// The probe a canonical path (relative to where health is served) names.
    pub fn at(path: &str) -> Option<Self> {
        match path {
            "/api/health" => Some(Self::Stores),
            "/api/health/live" => Some(Self::Live),
            "/api/health/ready" => Some(Self::Ready),
            _ => None,
        }
    }
}

pub(super) async fn health(State(app): State<Arc<AppState>>) -> Response<Body> {
    answer(&app, Probe::Stores).await
}

pub(super) async fn live(State(app): State<Arc<AppState>>) -> Response<Body> {
    answer(&app, Probe::Live).await
}

pub(super) async fn ready(State(app): State<Arc<AppState>>) -> Response<Body> {
    answer(&app, Probe::Ready).await
}

/// One store's answer to a ping: reachable or not, and how long it took (capped by the
/// probe timeout).
struct Pinged {
    ok: bool,
    millis: f64,
}

async fn ping<F>(call: F) -> Pinged
where
    F: std::future::Future<Output = crate::store::StoreResult<()>>,
{
    let started = Instant::now();
    let ok = matches!(tokio::time::timeout(PROBE_TIMEOUT, call).await, Ok(Ok(())));
    Pinged {
        ok,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// The answer to a health probe (also served on hosts without a site): 503 when a store the
/// probe asks is down.
pub(crate) async fn answer(app: &AppState, probe: Probe) -> Response<Body> {
    if probe == Probe::Live {
        return json_response(true, &json!({ "status": "ok" }));
    }
    let (s, u) = tokio::join!(ping(app.sessions.ping()), ping(app.users.ping()));
    let ok = s.ok && u.ok;
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = match probe {
        Probe::Ready => {
            let store = |p: &Pinged| json!({ "status": word(p.ok), "latency_ms": (p.millis * 1000.0).round() / 1000.0 });
            json!({ "status": word(ok), "session_store": store(&s), "user_store": store(&u) })
        }
        _ => json!({ "status": word(ok), "session_store": word(s.ok), "user_store": word(u.ok) }),
    };
    json_response(ok, &body)
}

fn json_response(ok: bool, body: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // A probe's answer is about this instant; a cache must not replay it.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
