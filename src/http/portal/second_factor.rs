//! `GET/POST <portal>/login/2fa`: the code step (docs/security.md#totp, #session-rotation, #pending-login). It accepts a pending
//! login (after the password) or a one-factor session of a user with two-factor that met a
//! `two_factor` rule (step-up); nothing else. Success always issues a new session id.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::errors::{PageError, error_page};
use super::forms::{checked, form_page, see_other, throttled, too_many};
use super::login::{LoginQuery, after_login, login_form, safe_rd, service_error, target, with_rd};
use crate::domain::session::AuthLevel;
use crate::http::cookies::{self, PENDING_COOKIE};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::AuthError;
use crate::service::sessions::Resolved;
use crate::service::two_factor::Origin;
use crate::store::StoreResult;

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    remember: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    csrf: String,
}

/// Whose code this step is waiting for: a pending login, or a one-factor session that must
/// step up. Any other cookie (a full session, garbage, nothing) is not a subject.
async fn subject(
    app: &AppState,
    headers: &HeaderMap,
    host: &str,
    now: i64,
) -> StoreResult<Option<Resolved>> {
    if let Ok(Some(c)) = cookies::read(headers, PENDING_COOKIE)
        && let Some(p) = app.sessions.resolve_pending(c, now).await?
    {
        return Ok(Some(p));
    }
    Ok(app
        .current_session(headers, host, now)
        .await?
        .filter(|s| s.session.level == AuthLevel::OneFactor && s.user.totp_enabled))
}

fn code_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    who: &Resolved,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    form_page(
        app,
        headers,
        status,
        "code.html",
        json!({ "title": "Two-factor authentication", "username": who.user.username, "rd": rd, "error": error, "remember_days": app.two_factor.devices().days() }),
    )
}

/// Shows the code form, or sends the browser where it belongs.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let rd = safe_rd(&app, &ctx, &query.map(|Query(q)| q.rd).unwrap_or_default());
    match subject(&app, &headers, &ctx.host, ctx.now).await {
        Ok(Some(who)) => code_page(&app, &headers, StatusCode::OK, &who, &rd, None),
        Ok(None) => match app.current_session(&headers, &ctx.host, ctx.now).await {
            Ok(Some(_)) => see_other(&target(&app, &rd)),
            _ => see_other(&with_rd(&app, "/login", &rd)),
        },
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

/// Checks the code and starts the two-factor session.
pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(&app, &ctx, &headers, form, |f| &f.csrf, "login/2fa") {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    let who = match subject(&app, &headers, &ctx.host, ctx.now).await {
        Ok(Some(who)) => who,
        // No pending login: a code alone is never a way in (docs/security.md#recovery-codes).
        Ok(None) => {
            return login_form(
                &app,
                &headers,
                StatusCode::UNAUTHORIZED,
                &rd,
                Some("Your sign-in expired. Sign in again."),
            );
        }
        Err(e) => return error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    };
    let origin = Origin {
        ip: ctx.client_ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    };
    let remember = form.remember == "1";
    match app
        .two_factor
        .complete_login(&who, &form.code, remember, ctx.now, origin)
        .await
    {
        Ok(done) => {
            let cookie = match app.session_cookie(&done.id, &ctx.host, ctx.now).await {
                Ok(c) => c,
                Err(e) => {
                    return error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string()));
                }
            };
            let mut resp = see_other(&after_login(&app, &who.user, &rd));
            let h = resp.headers_mut();
            h.append(header::SET_COOKIE, cookie);
            h.append(header::SET_COOKIE, app.cookies.clear_pending());
            if let Some(device) = done.device {
                h.append(
                    header::SET_COOKIE,
                    app.cookies
                        .device(&device.cookie, app.two_factor.devices().lifetime()),
                );
            }
            resp
        }
        Err(AuthError::InvalidCode) => code_page(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            &who,
            &rd,
            Some("Invalid code."),
        ),
        Err(AuthError::Restart) => {
            let mut resp = login_form(
                &app,
                &headers,
                StatusCode::UNAUTHORIZED,
                &rd,
                Some("Too many wrong codes. Sign in again."),
            );
            resp.headers_mut()
                .append(header::SET_COOKIE, app.cookies.clear_pending());
            resp
        }
        Err(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(
                code_page(
                    &app,
                    &headers,
                    StatusCode::TOO_MANY_REQUESTS,
                    &who,
                    &rd,
                    Some(&msg),
                ),
                wait,
            )
        }
        Err(e) => service_error(&app, &ctx, e),
    }
}
