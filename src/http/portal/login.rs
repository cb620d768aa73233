//! `GET/POST <portal>/login`: the password form (docs/security.md#login-throttle, #credentials-in-body, #login-csrf, #redirects). A user with
//! two-factor goes on to the code step under a pending cookie that grants nothing.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::errors::{PageError, error_page};
pub(super) use super::forms::with_rd;
use super::forms::{csrf_ok, form_page, see_other, throttled, too_many};
use crate::audit;
use crate::audit::event;
use crate::domain::redirect::validate_redirect;
use crate::domain::secret::SecretString;
use crate::http::cookies::{self, DEVICE_COOKIE};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::AuthError;
use crate::service::login::LoginRequest;

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginQuery {
    #[serde(default)]
    pub(super) rd: String,
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    csrf: String,
}

/// The validated return target, or `""` (meaning the default). Rejections are audited.
pub(super) fn safe_rd(app: &AppState, ctx: &RequestCtx, rd: &str) -> String {
    if rd.is_empty() {
        return String::new();
    }
    match validate_redirect(rd, &app.config.portal.redirect) {
        Some(ok) => ok,
        None => {
            audit!(event::REDIRECT_REJECTED, ip = %ctx.client_ip, target = %crate::audit::Clean(&rd.chars().take(200).collect::<String>()));
            String::new()
        }
    }
}

/// Where to go after signing in: the validated `rd`, or the default.
pub(super) fn target(app: &AppState, rd: &str) -> String {
    if rd.is_empty() {
        app.config.portal.default_redirect.clone()
    } else {
        rd.to_owned()
    }
}

/// Where a browser goes once signed in: the forced password change first, if flagged.
pub(super) fn after_login(app: &AppState, user: &crate::domain::user::User, rd: &str) -> String {
    if user.must_change_password {
        with_rd(app, "/account/password", rd)
    } else {
        target(app, rd)
    }
}

/// The login form, with an optional error (`error`) or neutral message (`notice`).
pub(super) fn login_form(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    form_page(
        app,
        headers,
        status,
        "login.html",
        json!({ "title": "Sign in", "rd": rd, "username": "", "error": error, "forgot": app.config.password.forgot_password_enabled }),
    )
}

/// Shows the form; a signed-in browser goes straight on to its target.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let rd = safe_rd(&app, &ctx, &query.map(|Query(q)| q.rd).unwrap_or_default());
    if let Ok(Some(_)) = app.current_session(&headers, &ctx.host, ctx.now).await {
        return see_other(&target(&app, &rd));
    }
    login_form(&app, &headers, StatusCode::OK, &rd, None)
}

/// Checks the form and starts a session (or the code step). Every credential failure
/// renders the same page.
pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response<Body> {
    let form = match form {
        Ok(Form(f)) => f,
        Err(FormRejection::BytesRejection(_)) => {
            return error_page(&app, Some(&ctx), PageError::TooLarge);
        }
        Err(_) => {
            return login_form(
                &app,
                &headers,
                StatusCode::BAD_REQUEST,
                "",
                Some("The form was incomplete. Try again."),
            );
        }
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf) {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    let rd = safe_rd(&app, &ctx, &form.rd);
    let attempt = LoginRequest {
        username: &form.username,
        password: SecretString::new(form.password),
        ip: ctx.client_ip,
        // Only logins record the user agent; the session record truncates it.
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        device: cookies::read(&headers, DEVICE_COOKIE).ok().flatten(),
        now: ctx.now,
    };
    match app.login.login(attempt).await {
        Ok(ok) => {
            // A session id from before the login is never promoted (docs/security.md#session-rotation): end it.
            if let Ok(Some(old)) = app.current_session(&headers, &ctx.host, ctx.now).await {
                let _ = app.sessions.end(&old.key).await;
            }
            if ok.pending() {
                let mut resp = see_other(&with_rd(&app, "/login/2fa", &rd));
                resp.headers_mut()
                    .append(header::SET_COOKIE, app.cookies.pending(&ok.id));
                return resp;
            }
            let cookie = match app.session_cookie(&ok.id, &ctx.host, ctx.now).await {
                Ok(c) => c,
                Err(e) => {
                    return error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string()));
                }
            };
            let mut resp = see_other(&after_login(&app, &ok.user, &rd));
            resp.headers_mut().append(header::SET_COOKIE, cookie);
            resp
        }
        Err(AuthError::InvalidCredentials) => login_form(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            &rd,
            Some("Invalid username or password."),
        ),
        Err(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(
                login_form(
                    &app,
                    &headers,
                    StatusCode::TOO_MANY_REQUESTS,
                    &rd,
                    Some(&msg),
                ),
                wait,
            )
        }
        Err(e) => service_error(&app, &ctx, e),
    }
}

/// The error page for a failure no form can explain (busy, store down, broken secret).
pub(super) fn service_error(app: &AppState, ctx: &RequestCtx, e: AuthError) -> Response<Body> {
    match e {
        AuthError::Busy => error_page(
            app,
            Some(ctx),
            PageError::Unavailable("password hashing pool saturated".into()),
        ),
        AuthError::Crypto(cause) => error_page(app, Some(ctx), PageError::Internal(cause)),
        e => error_page(app, Some(ctx), PageError::Unavailable(e.to_string())),
    }
}
