//! `GET <portal>/api/health` (store reachability, for load balancers and HEALTHCHECK) and the
//! stylesheet.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;

use crate::http::pages::{COPY_JS, UI_JS};
use crate::http::state::AppState;

/// Reports whether the session and user stores answer; 503 when either does not.
pub(super) async fn health(State(app): State<Arc<AppState>>) -> Response<Body> {
    stores_health(&app).await
}

/// The health answer: whether both stores respond.
pub(crate) async fn stores_health(app: &AppState) -> Response<Body> {
    let (s, u) = tokio::join!(app.sessions.ping(), app.users.ping());
    health_response(s.is_ok(), u.is_ok())
}

/// Builds the health answer (also served on hosts without a site).
pub(crate) fn health_response(sessions_ok: bool, users_ok: bool) -> Response<Body> {
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let ok = sessions_ok && users_ok;
    let body = json!({ "status": word(ok), "session_store": word(sessions_ok), "user_store": word(users_ok) });
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
    resp
}

/// The built-in stylesheet with the configured accents, as inlined in the pages.
pub(super) async fn stylesheet(State(app): State<Arc<AppState>>) -> Response<Body> {
    let mut resp = Response::new(Body::from(app.branding.css.clone()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    resp
}

/// The one script: "Copy" buttons (recovery codes).
pub(super) async fn copy_script() -> Response<Body> {
    asset(COPY_JS, "text/javascript; charset=utf-8")
}

/// Password "Show" buttons and local times on portal pages.
pub(super) async fn ui_script() -> Response<Body> {
    asset(UI_JS, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
