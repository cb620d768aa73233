//! `<portal>/account…`: the account security page and the two-factor actions (SECURITY 35–37,
//! issue 4). Turning two-factor on needs a recent password (step-up) and a working code;
//! changing it needs the password and a current code. Every action is a CSRF-checked POST.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use super::RequestCtx;
use super::errors::{PageError, error_page};
use super::format::date;
use super::forms::{csrf_ok, form_page, human_wait, see_other};
use super::login::{LoginQuery, safe_rd, service_error, target, throttled, wait_for, with_rd};
use crate::app::AppState;
use crate::audit;
use crate::audit::event;
use crate::domain::recovery::RecoveryCode;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionId;
use crate::service::AuthError;
use crate::service::now;
use crate::service::sessions::Resolved;
use crate::service::two_factor::Origin;

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

#[derive(Deserialize)]
pub(super) struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct DeviceForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    csrf: String,
}

/// The signed-in session, or the response that sends the browser to sign in first.
pub(super) async fn signed_in(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    page: &str,
) -> Result<Resolved, Response<Body>> {
    match app.current_session(headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(see_other(&with_rd(
            app,
            "/login",
            &app.config.portal.url.url(page),
        ))),
        Err(e) => Err(error_page(
            app,
            Some(ctx),
            PageError::Unavailable(e.to_string()),
        )),
    }
}

fn origin<'a>(ctx: &RequestCtx, headers: &'a HeaderMap) -> Origin<'a> {
    Origin {
        ip: ctx.client_ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    }
}

/// Whether the last password entry is within the step-up window.
pub(super) fn fresh(app: &AppState, s: &Resolved) -> bool {
    now().saturating_sub(s.session.authenticated_at) <= app.config.two_factor.step_up_window
}

/// The account page, with an optional error or notice.
async fn account_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response<Body> {
    let user = &s.user;
    let now = now();
    let (codes_left, devices) = match tokio::try_join!(app.two_factor.codes_left(user.id), async {
        Ok::<_, AuthError>(app.two_factor.devices().list(user.id, now).await?)
    }) {
        Ok(v) => v,
        Err(e) => return service_error(app, ctx, e),
    };
    let devices: Vec<_> = devices
        .iter()
        .map(|d| json!({ "id": d.id, "label": d.label, "ip": d.ip, "created": date(d.created_at), "expires": date(d.expires_at) }))
        .collect();
    form_page(
        app,
        headers,
        status,
        "account.html",
        json!({
            "title": "Account security",
            "username": user.username,
            "display_name": user.display_name,
            "totp_enabled": user.totp_enabled,
            "codes_left": codes_left,
            "devices": devices,
            "remember_days": app.two_factor.devices().days(),
            "error": error,
            "notice": notice,
        }),
    )
}

/// `GET /account`.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response<Body> {
    match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => account_page(&app, &ctx, &headers, &s, StatusCode::OK, None, None).await,
        Err(resp) => resp,
    }
}

/// The password prompt of a step-up; after it the browser goes on to `next`, one of the
/// pages `reauth_submit` knows.
pub(super) fn reauth_page(
    app: &AppState,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    next: &str,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    form_page(
        app,
        headers,
        status,
        "reauth.html",
        json!({ "title": "Confirm your password", "username": s.user.username, "next": next, "rd": rd, "error": error }),
    )
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
    if !fresh(&app, &s) {
        return reauth_page(&app, &headers, &s, StatusCode::OK, "enable", &rd, None);
    }
    match app.two_factor.begin_enrollment(&s.user).await {
        Ok(enrollment) => enroll_page(&app, &ctx, &headers, StatusCode::OK, &enrollment, &rd, None),
        Err(e) => service_error(&app, &ctx, e),
    }
}

/// `POST /account/reauth`: the password again, then on to the page that asked for it.
pub(super) async fn reauth_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<ReauthForm>, FormRejection>,
) -> Response<Body> {
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf, "account/reauth") {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    // Only known pages: `next` never becomes a free redirect.
    let next = match form.next.as_str() {
        n @ ("enable" | "sessions") => n,
        _ => "",
    };
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .reauthenticate(&s, &password, now(), origin(&ctx, &headers))
        .await
    {
        Ok(id) => {
            let next = match next {
                "enable" => with_rd(&app, "/account/2fa/enable", &rd),
                "sessions" => app.config.portal.url.path("/account/sessions"),
                _ => app.config.portal.url.path("/account"),
            };
            with_session(&app, &ctx, see_other(&next), &id)
        }
        Err(AuthError::InvalidCredentials) => reauth_page(
            &app,
            &headers,
            &s,
            StatusCode::UNAUTHORIZED,
            next,
            &rd,
            Some("Wrong password."),
        ),
        Err(AuthError::Throttled { until }) => {
            let wait = wait_for(until);
            let msg = format!(
                "Too many failed attempts. Try again in {}.",
                human_wait(wait)
            );
            throttled(
                reauth_page(
                    &app,
                    &headers,
                    &s,
                    StatusCode::TOO_MANY_REQUESTS,
                    next,
                    &rd,
                    Some(&msg),
                ),
                wait,
            )
        }
        Err(e) => service_error(&app, &ctx, e),
    }
}

fn with_session(
    app: &AppState,
    ctx: &RequestCtx,
    mut resp: Response<Body>,
    id: &SessionId,
) -> Response<Body> {
    resp.headers_mut()
        .append(header::SET_COOKIE, app.cookies.session(id, &ctx.host));
    resp
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
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf, "account/2fa/enable") {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    let s = match signed_in(&app, &ctx, &headers, "/account/2fa/enable").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    if s.user.totp_enabled {
        return see_other(&app.config.portal.url.path("/account"));
    }
    if !fresh(&app, &s) {
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
        .confirm_enrollment(&s, &form.code, now(), origin(&ctx, &headers))
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
            let wait = wait_for(until);
            let msg = format!(
                "Too many failed attempts. Try again in {}.",
                human_wait(wait)
            );
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
                .await,
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
        AuthError::InvalidCredentials | AuthError::InvalidCode => {
            account_page(
                app,
                ctx,
                headers,
                s,
                StatusCode::FORBIDDEN,
                Some("The password or the code was wrong. Nothing was changed."),
                None,
            )
            .await
        }
        AuthError::Throttled { until } => {
            let wait = wait_for(until);
            let msg = format!(
                "Too many failed attempts. Try again in {}.",
                human_wait(wait)
            );
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
                .await,
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
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf, "account/2fa/recovery") {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
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
            now(),
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
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf, "account/2fa/disable") {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .disable(&s, &password, &form.code, now(), origin(&ctx, &headers))
        .await
    {
        Ok(id) => with_session(
            &app,
            &ctx,
            see_other(&app.config.portal.url.path("/account")),
            &id,
        ),
        Err(e) => refused(&app, &ctx, &headers, &s, e).await,
    }
}

/// `POST /account/devices/forget`: this device no longer skips the code.
pub(super) async fn forget_device(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<DeviceForm>, FormRejection>,
) -> Response<Body> {
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    if !csrf_ok(&app, &ctx, &headers, &form.csrf, "account/devices/forget") {
        return error_page(&app, Some(&ctx), PageError::CsrfFailed);
    }
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    match app.two_factor.devices().forget(s.user.id, &form.id).await {
        Ok(found) => {
            if found {
                audit!(event::DEVICE_FORGOTTEN, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip);
            }
            see_other(&app.config.portal.url.path("/account"))
        }
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}
