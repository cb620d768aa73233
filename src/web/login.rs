//! `GET/POST <portal>/login`: the password form (SECURITY §1.2, 15, 18, 61).

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::RequestCtx;
use super::cookies::{self, CSRF_COOKIE};
use super::csrf::Csrf;
use super::errors::{PageError, error_page, render};
use crate::app::AppState;
use crate::audit;
use crate::audit::event;
use crate::domain::redirect::validate_redirect;
use crate::domain::secret::SecretString;
use crate::service::AuthError;
use crate::service::login::LoginRequest;

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginQuery {
    #[serde(default)]
    rd: String,
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

/// The CSRF cookie value of this browser, and a `Set-Cookie` when a new one was made.
pub(super) fn csrf_cookie(app: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookies::read(headers, CSRF_COOKIE) {
        Ok(Some(v)) if v.len() == 43 => (v.to_owned(), None),
        _ => {
            let v = Csrf::new_cookie_value();
            let set = app.cookies.csrf(&v);
            (v, Some(set))
        }
    }
}

fn login_form(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    let (cookie, set) = csrf_cookie(app, headers);
    let mut resp = render(
        app,
        status,
        "login.html",
        json!({ "title": "Sign in", "csrf": app.csrf.token_for(&cookie), "rd": rd, "username": "", "error": error }),
    );
    if let Some(set) = set {
        resp.headers_mut().append(header::SET_COOKIE, set);
    }
    resp
}

/// Shows the form; a signed-in browser goes straight on to its target.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let rd = safe_rd(&app, &ctx, &query.map(|Query(q)| q.rd).unwrap_or_default());
    if let Ok(Some(_)) = app.current_session(&headers).await {
        return see_other(if rd.is_empty() {
            &app.config.portal.default_redirect
        } else {
            &rd
        });
    }
    login_form(&app, &headers, StatusCode::OK, &rd, None)
}

/// Checks the form and starts a session. Every credential failure renders the same page.
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
    let csrf_cookie = cookies::read(&headers, CSRF_COOKIE).ok().flatten();
    if !app.csrf.verify(
        &headers,
        &app.portal_origin(&ctx.host),
        csrf_cookie,
        &form.csrf,
    ) {
        audit!(event::CSRF_REJECTED, ip = %ctx.client_ip, path = "login");
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
    };
    match app.login.login(attempt).await {
        Ok(ok) => {
            // A session id from before the login is never promoted (SECURITY 21): end it.
            if let Ok(Some(old)) = app.current_session(&headers).await {
                let _ = app.sessions.end(&old.key).await;
            }
            let mut resp = see_other(if rd.is_empty() {
                &app.config.portal.default_redirect
            } else {
                &rd
            });
            resp.headers_mut()
                .append(header::SET_COOKIE, app.cookies.session(&ok.id, &ctx.host));
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
            let wait = until.saturating_sub(crate::service::now()).max(1);
            let msg = format!(
                "Too many failed attempts. Try again in {}.",
                human_wait(wait)
            );
            let mut resp = login_form(
                &app,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                &rd,
                Some(&msg),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(AuthError::Busy) => error_page(
            &app,
            Some(&ctx),
            PageError::Unavailable("password hashing pool saturated".into()),
        ),
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

fn human_wait(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{s} seconds"),
        s if s < 5400 => format!("{} minutes", (s + 59) / 60),
        s => format!("{} hours", (s + 3599) / 3600),
    }
}

/// `303 See Other` to a validated target.
pub(super) fn see_other(target: &str) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(target) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
