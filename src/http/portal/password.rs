//! Password pages: change (`/account/password`, also the forced change after an admin reset),
//! forgot (`/forgot`) and reset by link (`/reset`) (docs/security.md#reset-tokens, #password-change, issue 5).

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::account::{fresh, origin};
use super::errors::{PageError, error_page};
use super::forms::{checked, form_page, see_other, throttled, too_many};
use super::login::{LoginQuery, safe_rd, service_error, target, with_rd};
use super::view::legacy_render as render;
use crate::domain::secret::SecretString;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::AuthError;
use crate::service::passwords::{Change, PasswordError};
use crate::service::sessions::Resolved;

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    #[serde(default)]
    who: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Only `token`, the new password twice and the CSRF token are read: any `username` or
/// `email` field sent along is ignored, the token alone names the account (docs/security.md#reset-token-decides).
#[derive(Deserialize)]
pub(super) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

fn min_length(app: &AppState, s: &Resolved) -> usize {
    let p = &app.config.password.policy;
    if s.user.totp_enabled {
        p.min_chars_two_factor
    } else {
        p.min_chars
    }
}

fn change_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    form_page(
        app,
        headers,
        status,
        "password.html",
        json!({
            "title": "Change password",
            "username": s.user.username,
            "forced": s.user.must_change_password,
            "need_code": s.user.totp_enabled && !fresh(app, s, ctx.now),
            "min_length": min_length(app, s),
            "rd": rd,
            "error": error,
        }),
    )
}

async fn session_or_login(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
) -> Result<Resolved, Response<Body>> {
    match app.current_session(headers, &ctx.host, ctx.now).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(see_other(&with_rd(
            app,
            "/login",
            &app.config.portal.url.url("/account/password"),
        ))),
        Err(e) => Err(error_page(
            app,
            Some(ctx),
            PageError::Unavailable(e.to_string()),
        )),
    }
}

/// `GET /account/password`.
pub(super) async fn change_form(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let rd = safe_rd(&app, &ctx, &query.map(|Query(q)| q.rd).unwrap_or_default());
    match session_or_login(&app, &ctx, &headers).await {
        Ok(s) => change_page(&app, &ctx, &headers, &s, StatusCode::OK, &rd, None),
        Err(resp) => resp,
    }
}

/// `POST /account/password`.
pub(super) async fn change_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(&app, &ctx, &headers, form, |f| &f.csrf, "account/password") {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let s = match session_or_login(&app, &ctx, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    let change = Change {
        current: SecretString::new(form.current),
        new: SecretString::new(form.new),
        confirm: SecretString::new(form.confirm),
        code: &form.code,
    };
    match app
        .passwords
        .change(
            &s,
            change,
            fresh(&app, &s, ctx.now),
            origin(&ctx, &headers),
            ctx.now,
        )
        .await
    {
        Ok(id) => {
            let next = if rd.is_empty() {
                app.config.portal.url.path("/account")
            } else {
                target(&app, &rd)
            };
            let cookie = match app.session_cookie(&id, &ctx.host, ctx.now).await {
                Ok(c) => c,
                Err(e) => {
                    return error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string()));
                }
            };
            let mut resp = see_other(&next);
            resp.headers_mut().append(header::SET_COOKIE, cookie);
            resp
        }
        Err(PasswordError::Auth(AuthError::InvalidCredentials)) => change_page(
            &app,
            &ctx,
            &headers,
            &s,
            StatusCode::FORBIDDEN,
            &rd,
            Some("The current password is wrong."),
        ),
        Err(PasswordError::Auth(AuthError::InvalidCode)) => change_page(
            &app,
            &ctx,
            &headers,
            &s,
            StatusCode::FORBIDDEN,
            &rd,
            Some("The code is wrong."),
        ),
        Err(PasswordError::Auth(AuthError::Throttled { until })) => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(
                change_page(
                    &app,
                    &ctx,
                    &headers,
                    &s,
                    StatusCode::TOO_MANY_REQUESTS,
                    &rd,
                    Some(&msg),
                ),
                wait,
            )
        }
        Err(PasswordError::Auth(e)) => service_error(&app, &ctx, e),
        Err(e) => change_page(
            &app,
            &ctx,
            &headers,
            &s,
            StatusCode::BAD_REQUEST,
            &rd,
            Some(&e.to_string()),
        ),
    }
}

/// The 404 page when "forgot password" is off, `None` when it is on.
fn forgot_disabled(app: &AppState, ctx: &RequestCtx) -> Option<Response<Body>> {
    (!app.config.password.forgot_password_enabled)
        .then(|| error_page(app, Some(ctx), PageError::NotFound))
}

/// `GET /forgot`.
pub(super) async fn forgot_form(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response<Body> {
    if let Some(resp) = forgot_disabled(&app, &ctx) {
        return resp;
    }
    form_page(
        &app,
        &headers,
        StatusCode::OK,
        "forgot.html",
        json!({ "title": "Forgot password" }),
    )
}

/// `POST /forgot`: the same answer whether or not an account matches (docs/security.md#reset-no-enumeration): the
/// lookup and the mail happen in the background, and only the client's own rate limit can
/// change the page.
pub(super) async fn forgot_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<ForgotForm>, FormRejection>,
) -> Response<Body> {
    if let Some(resp) = forgot_disabled(&app, &ctx) {
        return resp;
    }
    let form = match checked(&app, &ctx, &headers, form, |f| &f.csrf, "forgot") {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let origin = origin(&ctx, &headers);
    match app.passwords.may_request(origin, ctx.now).await {
        Ok(true) => app.passwords.request_reset(&form.who, origin, ctx.now),
        Ok(false) => {
            return throttled(
                form_page(
                    &app,
                    &headers,
                    StatusCode::TOO_MANY_REQUESTS,
                    "forgot.html",
                    json!({ "title": "Forgot password", "error": "Too many requests from your network. Try again in a few minutes." }),
                ),
                600,
            );
        }
        Err(e) => return service_error(&app, &ctx, e),
    }
    render(
        &app,
        StatusCode::OK,
        "message.html",
        json!({
            "title": "Check your email",
            "heading": "Check your email",
            "message": "If an account matches what you entered, a link to choose a new password is on its way. It works once and expires soon. No mail? Check the spam folder, or ask your administrator.",
            "link": app.config.portal.url.path("/login"),
            "link_text": "Back to sign in",
        }),
    )
}

fn bad_link(app: &AppState) -> Response<Body> {
    render(
        app,
        StatusCode::NOT_FOUND,
        "message.html",
        json!({
            "title": "Invalid link",
            "heading": "Invalid link",
            "message": PasswordError::BadLink.to_string(),
            "link": app.config.portal.url.path("/forgot"),
            "link_text": "Ask for a new link",
        }),
    )
}

fn reset_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: &str,
    user: &crate::domain::user::User,
    error: Option<&str>,
) -> Response<Body> {
    let p = &app.config.password.policy;
    let min = if user.totp_enabled {
        p.min_chars_two_factor
    } else {
        p.min_chars
    };
    form_page(
        app,
        headers,
        status,
        "reset.html",
        json!({ "title": "Choose a new password", "token": token, "username": user.username, "min_length": min, "error": error }),
    )
}

/// `GET /reset?token=…`: shows the form; does not use the link up.
pub(super) async fn reset_form(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let token = query.map(|Query(q)| q.token).unwrap_or_default();
    match app.passwords.reset_target(&token, ctx.now).await {
        Ok(user) => reset_page(&app, &headers, StatusCode::OK, &token, &user, None),
        Err(PasswordError::BadLink) => bad_link(&app),
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

/// `POST /reset`: sets the password; signs nobody in.
pub(super) async fn reset_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<ResetForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(&app, &ctx, &headers, form, |f| &f.csrf, "reset") {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let new = SecretString::new(form.new);
    let confirm = SecretString::new(form.confirm);
    match app
        .passwords
        .complete_reset(&form.token, &new, &confirm, origin(&ctx, &headers), ctx.now)
        .await
    {
        Ok(()) => render(
            &app,
            StatusCode::OK,
            "message.html",
            json!({
                "title": "Password changed",
                "heading": "Password changed",
                "message": "Your new password is set and every session of the account was signed out. Sign in with the new password.",
                "link": app.config.portal.url.path("/login"),
                "link_text": "Sign in",
            }),
        ),
        Err(PasswordError::BadLink) => bad_link(&app),
        Err(PasswordError::Auth(e)) => service_error(&app, &ctx, e),
        Err(e) => match app.passwords.reset_target(&form.token, ctx.now).await {
            Ok(user) => reset_page(
                &app,
                &headers,
                StatusCode::BAD_REQUEST,
                &form.token,
                &user,
                Some(&e.to_string()),
            ),
            Err(_) => bad_link(&app),
        },
    }
}
