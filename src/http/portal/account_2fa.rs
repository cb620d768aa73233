//! The two-factor actions of the account page (docs/security.md#factor-enrolment, #factor-changes, #recovery-codes, issue 4): turning it on after a
//! recent password and with a working code, new recovery codes and turning it off (both need
//! the password and a current code).

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, Response, StatusCode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use super::account::{account_page, fresh, origin, reauth_page, signed_in, with_session};
use super::errors::{PageError, error_page};
use super::forms::{checked, form_page, see_other, throttled, too_many};
use super::login::{LoginQuery, safe_rd, service_error, target, with_rd};
use crate::domain::recovery::RecoveryCode;
use crate::domain::secret::SecretString;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::AuthError;
use crate::service::sessions::Resolved;

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct PasswordCodeForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// The secret in groups of four, as authenticator apps accept it typed with spaces.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn enroll_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    status: StatusCode,
    enrollment: &crate::service::two_factor::Enrollment,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    let Some(qr) = super::qr::svg(enrollment.uri.expose()) else {
        return error_page(
            app,
            Some(ctx),
            PageError::Internal("QR code too large".into()),
        );
    };
    form_page(
        app,
        headers,
        status,
        "enroll.html",
        json!({ "title": "Set up two-factor authentication", "qr": qr, "secret": grouped(enrollment.secret.expose()), "uri": enrollment.uri.expose(), "rd": rd, "error": error }),
    )
}

/// `GET /account/2fa/enable`: a new secret to scan, after a recent password.
pub(super) async fn enable_page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response<Body> {
    let rd = safe_rd(&app, &ctx, &query.map(|Query(q)| q.rd).unwrap_or_default());
    let s = match signed_in(&app, &ctx, &headers, "/account/2fa/enable").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if s.user.totp_enabled {
        return see_other(&app.config.portal.url.path("/account"));
    }
    if !fresh(&app, &s, ctx.now) {
        return reauth_page(&app, &headers, &s, StatusCode::OK, "enable", &rd, None);
    }
    match app.two_factor.begin_enrollment(&s.user).await {
        Ok(enrollment) => enroll_page(&app, &ctx, &headers, StatusCode::OK, &enrollment, &rd, None),
        Err(e) => service_error(&app, &ctx, e),
    }
}

fn codes_page(
    app: &AppState,
    headers: &HeaderMap,
    codes: &[RecoveryCode],
    intro: &str,
    next: &str,
) -> Response<Body> {
    let shown: Vec<String> = codes.iter().map(RecoveryCode::expose).collect();
    let text = format!(
        "{} recovery codes. Each works once.\n\n{}\n",
        app.config.portal.title,
        shown.join("\n")
    );
    let download_href = format!(
        "data:text/plain;charset=utf-8,{}",
        utf8_percent_encode(&text, NON_ALPHANUMERIC)
    );
    form_page(
        app,
        headers,
        StatusCode::OK,
        "recovery_codes.html",
        json!({ "title": "Recovery codes", "codes": shown, "download_href": download_href, "intro": intro, "next": next }),
    )
}

/// `POST /account/2fa/enable`: the code from the new secret turns two-factor on.
pub(super) async fn enable_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(
        &app,
        &ctx,
        &headers,
        form,
        |f| &f.csrf,
        "account/2fa/enable",
    ) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let s = match signed_in(&app, &ctx, &headers, "/account/2fa/enable").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    if s.user.totp_enabled {
        return see_other(&app.config.portal.url.path("/account"));
    }
    if !fresh(&app, &s, ctx.now) {
        return reauth_page(
            &app,
            &headers,
            &s,
            StatusCode::UNAUTHORIZED,
            "enable",
            &rd,
            None,
        );
    }
    match app
        .two_factor
        .confirm_enrollment(&s, &form.code, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok((id, codes)) => {
            let next = if rd.is_empty() {
                app.config.portal.url.path("/account")
            } else {
                target(&app, &rd)
            };
            let page = codes_page(
                &app,
                &headers,
                &codes,
                "Two-factor authentication is on.",
                &next,
            );
            with_session(&app, &ctx, page, &id)
                .await
                .unwrap_or_else(axum::response::IntoResponse::into_response)
        }
        Err(AuthError::InvalidCode) => match app.two_factor.pending_enrollment(&s.user).await {
            Ok(Some(enrollment)) => enroll_page(
                &app,
                &ctx,
                &headers,
                StatusCode::UNAUTHORIZED,
                &enrollment,
                &rd,
                Some(
                    "That code did not match. Check the time on your phone and try the next code.",
                ),
            ),
            Ok(None) => see_other(&with_rd(&app, "/account/2fa/enable", &rd)),
            Err(e) => service_error(&app, &ctx, e),
        },
        Err(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(
                account_page(
                    &app,
                    &ctx,
                    &headers,
                    &s,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(&msg),
                    None,
                )
                .await
                .unwrap_or_else(axum::response::IntoResponse::into_response),
                wait,
            )
        }
        Err(e) => service_error(&app, &ctx, e),
    }
}

/// The answer to a password-and-code form that failed.
async fn refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    e: AuthError,
) -> Response<Body> {
    match e {
        AuthError::InvalidCredentials | AuthError::InvalidCode => account_page(
            app,
            ctx,
            headers,
            s,
            StatusCode::FORBIDDEN,
            Some("The password or the code was wrong. Nothing was changed."),
            None,
        )
        .await
        .unwrap_or_else(axum::response::IntoResponse::into_response),
        AuthError::Throttled { until } => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(
                account_page(
                    app,
                    ctx,
                    headers,
                    s,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(&msg),
                    None,
                )
                .await
                .unwrap_or_else(axum::response::IntoResponse::into_response),
                wait,
            )
        }
        e => service_error(app, ctx, e),
    }
}

/// `POST /account/2fa/recovery`: a new set of recovery codes (password and code needed).
pub(super) async fn regenerate(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<PasswordCodeForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(
        &app,
        &ctx,
        &headers,
        form,
        |f| &f.csrf,
        "account/2fa/recovery",
    ) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .regenerate_codes(
            &s.user,
            &password,
            &form.code,
            ctx.now,
            origin(&ctx, &headers),
        )
        .await
    {
        Ok(codes) => codes_page(
            &app,
            &headers,
            &codes,
            "Your old recovery codes no longer work.",
            &app.config.portal.url.path("/account"),
        ),
        Err(e) => refused(&app, &ctx, &headers, &s, e).await,
    }
}

/// `POST /account/2fa/disable`: two-factor off (password and code needed).
pub(super) async fn disable(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<PasswordCodeForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(
        &app,
        &ctx,
        &headers,
        form,
        |f| &f.csrf,
        "account/2fa/disable",
    ) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .disable(&s, &password, &form.code, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok(id) => with_session(
            &app,
            &ctx,
            see_other(&app.config.portal.url.path("/account")),
            &id,
        )
        .await
        .unwrap_or_else(axum::response::IntoResponse::into_response),
        Err(e) => refused(&app, &ctx, &headers, &s, e).await,
    }
}
