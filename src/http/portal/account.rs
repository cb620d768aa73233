//! `<portal>/account`: the account security page, the step-up (password again) and forgetting
//! a remembered device. The two-factor actions are in `account_2fa`. Every action is a
//! CSRF-checked POST.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::errors::WebError;
use super::extract::{CsrfForm, SignedIn};
use super::forms::{see_other, throttled, too_many, with_rd};
use super::login::safe_rd;
use super::stepup;
use super::view::{self, Reauth, Template};
use crate::audit;
use crate::audit::event;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionId;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::presentation::{date, stored_label};
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
}

#[derive(Deserialize)]
pub(super) struct DeviceForm {
    #[serde(default)]
    id: String,
}

/// Who is asking, for the audit log and the session record.
pub(super) fn origin<'a>(ctx: &RequestCtx, headers: &'a HeaderMap) -> Origin<'a> {
    Origin {
        ip: ctx.client_ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    }
}

/// A remembered device as the account page lists it.
#[derive(Serialize)]
struct DeviceRow {
    id: String,
    label: Msg,
    ip: String,
    created: String,
    expires: String,
}

/// A passkey as the account page lists it.
#[derive(Serialize)]
struct PasskeyRow {
    id: String,
    name: String,
    created: String,
    /// Empty: never used.
    last_used: String,
}

#[derive(Serialize)]
struct AccountPage<'a> {
    /// Passkeys are offered on this portal (the list shows either way).
    passkeys_offered: bool,
    passkeys: Vec<PasskeyRow>,
    passkey_script: bool,
    title: Msg,
    username: &'a str,
    display_name: &'a str,
    totp_enabled: bool,
    /// `two_factor.methods` allows authenticator apps: the set-up link shows.
    totp_offered: bool,
    codes_left: u64,
    /// The session was opened with a passkey: a user without an app may renew their
    /// recovery codes from it.
    passkey_session: bool,
    devices: Vec<DeviceRow>,
    remember_days: u32,
    is_admin: bool,
    error: Option<Msg>,
    notice: Option<Msg>,
}

impl Template for AccountPage<'_> {
    const NAME: &'static str = "account.html";
}

fn device_row(d: crate::store::RememberedDevice) -> DeviceRow {
    DeviceRow {
        created: date(d.created_at),
        expires: date(d.expires_at),
        id: d.id,
        label: stored_label(&d.label),
        ip: d.ip,
    }
}

fn passkey_row(p: crate::service::passkeys::PasskeyInfo) -> PasskeyRow {
    PasskeyRow {
        created: date(p.created_at),
        last_used: if p.last_used_at > 0 {
            date(p.last_used_at)
        } else {
            String::new()
        },
        id: p.id,
        name: p.name,
    }
}

/// The account page, with an optional error or notice.
pub(super) async fn account_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    error: Option<Msg>,
    notice: Option<Msg>,
) -> Result<Response<Body>, WebError> {
    let user = &s.user;
    let devices = app.two_factor.devices();
    let (codes_left, listed, passkeys) = tokio::try_join!(
        app.two_factor.codes_left(user.id),
        async { Ok::<_, AuthError>(devices.list(user.id, ctx.now).await?) },
        app.passkeys.list(user.id),
    )?;
    let offered = app.passkeys.offered(&ctx.host);
    let page = AccountPage {
        passkeys_offered: offered,
        passkey_script: offered,
        passkeys: passkeys.into_iter().map(passkey_row).collect(),
        title: Msg::new("account-title"),
        username: &user.username,
        display_name: &user.display_name,
        totp_enabled: user.totp_enabled,
        totp_offered: app.two_factor.totp_offered(),
        codes_left,
        passkey_session: s.session.level == crate::domain::session::AuthLevel::Passkey,
        devices: listed.into_iter().map(device_row).collect(),
        remember_days: devices.days(),
        is_admin: user.groups.contains(&app.config.admin.group),
        error,
        notice,
    };
    Ok(view::form(app, headers, status, &page))
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// What just happened, for the notice on the account page after a change (`?done=`); the
/// text is fixed here, never taken from the URL.
#[derive(Clone, Copy)]
pub(super) enum Done {
    Password,
    TwoFactorOff,
    DeviceForgotten,
    PasskeyAdded,
    PasskeyRenamed,
    PasskeyRemoved,
}

impl Done {
    const ALL: [Self; 6] = [
        Self::Password,
        Self::TwoFactorOff,
        Self::DeviceForgotten,
        Self::PasskeyAdded,
        Self::PasskeyRenamed,
        Self::PasskeyRemoved,
    ];

    fn key(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::TwoFactorOff => "2fa-off",
            Self::DeviceForgotten => "device",
            Self::PasskeyAdded => "added-passkey",
            Self::PasskeyRenamed => "renamed-passkey",
            Self::PasskeyRemoved => "removed-passkey",
        }
    }

    fn notice(self) -> Msg {
        Msg::new(match self {
            Self::Password => "account-done-password",
            Self::TwoFactorOff => "account-done-2fa-off",
            Self::DeviceForgotten => "account-done-device",
            Self::PasskeyAdded => "account-done-passkey-added",
            Self::PasskeyRenamed => "account-done-passkey-renamed",
            Self::PasskeyRemoved => "account-done-passkey-removed",
        })
    }
}

/// The account page's path with the notice for `done`.
pub(super) fn account_after(app: &AppState, done: Done) -> String {
    format!(
        "{}?done={}",
        app.config.portal.url.path("/account"),
        done.key()
    )
}

/// `GET /account[?done=…]`.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let done = query.map(|Query(q)| q.done).unwrap_or_default();
    let notice = Done::ALL
        .into_iter()
        .find(|d| d.key() == done)
        .map(Done::notice);
    account_page(&app, &ctx, &headers, &s, StatusCode::OK, None, notice).await
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
    error: Option<Msg>,
) -> Response<Body> {
    let page = Reauth {
        title: Msg::new("reauth-title"),
        username: &s.user.username,
        next,
        rd,
        error,
        kept: None,
    };
    view::form(app, headers, status, &page)
}

/// Where a confirmed step-up goes: one of the known pages, never a free redirect.
/// The pages whose actions asked for the password say so on return ("Confirmed — now repeat
/// the action"): the action itself was not carried out, and the page must not look as if it
/// had been.
fn after_reauth(app: &AppState, next: &str, rd: &str) -> String {
    let portal = &app.config.portal.url;
    match next {
        "enable" => with_rd(app, "/account/2fa/enable", rd),
        "sessions" => format!("{}?done=confirmed", portal.path("/account/sessions")),
        // Back to the admin user page that asked, when `rd` is one (it was validated).
        "admin" if rd.starts_with(&portal.url("/admin/users/")) => {
            let page = rd.split(['?', '#']).next().unwrap_or(rd);
            format!("{page}?done=confirmed")
        }
        "admin" if rd.starts_with(&portal.url("/admin/")) => rd.to_owned(),
        "admin" => portal.path("/admin"),
        _ => portal.path("/account"),
    }
}

/// `POST /account/reauth`: the password again, then on to the page that asked for it.
pub(super) async fn reauth_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ReauthForm>,
) -> Result<Response<Body>, WebError> {
    let rd = safe_rd(&app, &ctx, &form.rd);
    let next = match form.next.as_str() {
        n @ ("enable" | "sessions" | "admin") => n,
        _ => "",
    };
    let password = SecretString::new(form.password);
    let retry = |status, msg: Msg| reauth_page(&app, &headers, &s, status, next, &rd, Some(msg));
    match app
        .two_factor
        .reauthenticate(&s, &password, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok(id) => {
            let back = see_other(&after_reauth(&app, next, &rd));
            stepup::confirmed(&app, &ctx, (&s, &id), back).await
        }
        Err(AuthError::InvalidCredentials) => {
            Ok(retry(StatusCode::UNAUTHORIZED, Msg::new("reauth-wrong")))
        }
        Err(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            Ok(throttled(retry(StatusCode::TOO_MANY_REQUESTS, msg), wait))
        }
        Err(e) => Err(e.into()),
    }
}

/// `resp` with the cookie of session `id` (a new or rotated session of this browser).
pub(super) async fn with_session(
    app: &AppState,
    ctx: &RequestCtx,
    mut resp: Response<Body>,
    id: &SessionId,
) -> Result<Response<Body>, WebError> {
    let cookie = app.session_cookie(id, &ctx.host, ctx.now).await?;
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// `POST /account/devices/forget`: this device no longer skips the code.
pub(super) async fn forget_device(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> Result<Response<Body>, WebError> {
    if app.two_factor.devices().forget(s.user.id, &form.id).await? {
        audit!(event::DEVICE_FORGOTTEN, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip);
    }
    Ok(see_other(&account_after(&app, Done::DeviceForgotten)))
}
