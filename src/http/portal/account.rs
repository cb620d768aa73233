//! `<portal>/account`: the account security page, the step-up (password again) and forgetting
//! a remembered device. The two-factor actions are in `account_2fa`. Every action is a
//! CSRF-checked POST.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::errors::{PageError, error_page};
use super::forms::{checked, form_page, see_other, throttled, too_many};
use super::login::{safe_rd, service_error, with_rd};
use crate::audit;
use crate::audit::event;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionId;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::presentation::date;
use crate::service::AuthError;
use crate::service::sessions::Resolved;
use crate::service::two_factor::Origin;

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
    match app.current_session(headers, &ctx.host, ctx.now).await {
        // A user who must set a new password can do nothing else first.
        Ok(Some(s)) if s.user.must_change_password => Err(see_other(&with_rd(
            app,
            "/account/password",
            &app.config.portal.url.url(page),
        ))),
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

pub(super) fn origin<'a>(ctx: &RequestCtx, headers: &'a HeaderMap) -> Origin<'a> {
    Origin {
        ip: ctx.client_ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    }
}

/// Whether the last password entry is within the step-up window.
pub(super) fn fresh(app: &AppState, s: &Resolved, now: i64) -> bool {
    now.saturating_sub(s.session.authenticated_at) <= app.config.two_factor.step_up_window
}

/// The account page, with an optional error or notice.
pub(super) async fn account_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response<Body> {
    let user = &s.user;
    let now = ctx.now;
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
            "is_admin": user.groups.contains(&app.config.admin.group),
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

/// `POST /account/reauth`: the password again, then on to the page that asked for it.
pub(super) async fn reauth_submit(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<ReauthForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(&app, &ctx, &headers, form, |f| &f.csrf, "account/reauth") {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let s = match signed_in(&app, &ctx, &headers, "/account").await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    // Only known pages: `next` never becomes a free redirect.
    let next = match form.next.as_str() {
        n @ ("enable" | "sessions" | "admin") => n,
        _ => "",
    };
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .reauthenticate(&s, &password, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok(id) => {
            let next = match next {
                "enable" => with_rd(&app, "/account/2fa/enable", &rd),
                "sessions" => app.config.portal.url.path("/account/sessions"),
                // Back to the admin page that asked, when `rd` is one (it was validated above).
                "admin" if rd.starts_with(&app.config.portal.url.url("/admin/")) => rd.clone(),
                "admin" => app.config.portal.url.path("/admin"),
                _ => app.config.portal.url.path("/account"),
            };
            with_session(&app, &ctx, see_other(&next), &id).await
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
            let (msg, wait) = too_many(until, ctx.now);
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

pub(super) async fn with_session(
    app: &AppState,
    ctx: &RequestCtx,
    mut resp: Response<Body>,
    id: &SessionId,
) -> Response<Body> {
    match app.session_cookie(id, &ctx.host, ctx.now).await {
        Ok(cookie) => {
            resp.headers_mut().append(header::SET_COOKIE, cookie);
            resp
        }
        Err(e) => error_page(app, Some(ctx), PageError::Unavailable(e.to_string())),
    }
}

/// `POST /account/devices/forget`: this device no longer skips the code.
pub(super) async fn forget_device(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<DeviceForm>, FormRejection>,
) -> Response<Body> {
    let form = match checked(
        &app,
        &ctx,
        &headers,
        form,
        |f| &f.csrf,
        "account/devices/forget",
    ) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
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
