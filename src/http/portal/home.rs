//! The signed-in page, logout, and the portal's 404/405 pages.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::errors::{PageError, error_page};
use super::forms::{csrf_ok, form_page, see_other};
use super::login::safe_rd;
use super::view::legacy_render as render;
use crate::audit;
use crate::audit::event;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
    /// Where to go once signed out (an app's "after logout" page), validated before use.
    #[serde(default)]
    rd: String,
}

#[derive(Deserialize, Default)]
pub(super) struct LogoutQuery {
    #[serde(default)]
    rd: String,
}

/// `GET <portal>/`: who am I, with a sign-out button; the login page when signed out.
pub(super) async fn home(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response<Body> {
    match app.current_session(&headers, &ctx.host, ctx.now).await {
        Ok(Some(s)) => form_page(
            &app,
            &headers,
            StatusCode::OK,
            "home.html",
            json!({ "title": "Signed in", "username": s.user.username, "display_name": s.user.display_name }),
        ),
        Ok(None) => see_other(&app.config.portal.url.path("/login")),
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

/// `POST <portal>/logout`: ends the session on the server and clears the browser
/// (docs/security.md#sign-out); then goes to `rd` when it is an allowed target.
pub(super) async fn logout(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let (token, rd) = form.map(|Form(f)| (f.csrf, f.rd)).unwrap_or_default();
    if !csrf_ok(&app, &ctx, &headers, &token) {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    sign_out(&app, &ctx, &headers, &rd).await
}

/// `GET <portal>/logout?rd=…`, the URL an app's "Sign out" link can open. A navigation from
/// the same site signs out at once; from anywhere else (or an unknown origin) it asks first,
/// so a foreign page cannot sign users out. Signed out already: the signed-out page, or `rd`;
/// reloading it is harmless.
pub(super) async fn logout_link(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response<Body> {
    let same_site = matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("same-origin" | "same-site")
    );
    match app.current_session(&headers, &ctx.host, ctx.now).await {
        Ok(Some(s)) if !same_site => form_page(
            &app,
            &headers,
            StatusCode::OK,
            "home.html",
            json!({ "title": "Sign out?", "confirm": true, "username": s.user.username, "display_name": s.user.display_name, "rd": safe_rd(&app, &ctx, &q.rd) }),
        ),
        Ok(_) => sign_out(&app, &ctx, &headers, &q.rd).await,
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

async fn sign_out(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    rd: &str,
) -> Response<Body> {
    match app.current_session(headers, &ctx.host, ctx.now).await {
        Ok(Some(s)) => {
            if let Err(e) = app.sessions.end(&s.key).await {
                return error_page(app, Some(ctx), PageError::Unavailable(e.to_string()));
            }
            audit!(event::LOGOUT, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = s.key.short());
        }
        Ok(None) => {}
        Err(e) => return error_page(app, Some(ctx), PageError::Unavailable(e.to_string())),
    }
    let rd = safe_rd(app, ctx, rd);
    let mut resp = if rd.is_empty() {
        let login = app.config.portal.url.path("/login");
        render(
            app,
            StatusCode::OK,
            "message.html",
            json!({ "title": "Signed out", "heading": "You are signed out", "message": "Your session has ended on the server.", "link": login, "link_text": "Sign in again" }),
        )
    } else {
        see_other(&rd)
    };
    // Gatehouse's own cookies are expired by name. Never `Clear-Site-Data: "cookies"`:
    // browsers apply it to the whole registrable domain, so it would sign the user out of
    // every other app there and forget this browser's remembered device.
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, app.cookies.clear_session(&ctx.host));
    h.append(header::SET_COOKIE, app.cookies.clear_pending());
    h.insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    resp
}

pub(super) async fn not_found(
    State(app): State<Arc<AppState>>,
    ctx: Option<Extension<RequestCtx>>,
) -> Response<Body> {
    error_page(
        &app,
        ctx.as_ref().map(|Extension(c)| c),
        PageError::NotFound,
    )
}

pub(super) async fn method_not_allowed(
    State(app): State<Arc<AppState>>,
    ctx: Option<Extension<RequestCtx>>,
) -> Response<Body> {
    error_page(
        &app,
        ctx.as_ref().map(|Extension(c)| c),
        PageError::MethodNotAllowed,
    )
}
