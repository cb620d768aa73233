//! `GET/POST <portal>/login`: the password form (docs/security.md#login-throttle, #credentials-in-body, #login-csrf, #redirects). A user with
//! two-factor goes on to the code step under a pending cookie that grants nothing.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::errors::{BUSY_RETRY_AFTER, PageError, WebError};
use super::extract::{CsrfForm, CurrentSession};
pub(super) use super::forms::with_rd;
use super::forms::{see_other, throttled, too_many};
use super::view::{self, Template};
use crate::audit;
use crate::audit::event;
use crate::domain::redirect::validate_redirect;
use crate::domain::secret::SecretString;
use crate::domain::user::User;
use crate::http::cookies::{self, DEVICE_COOKIE};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::login::{LoginRequest, LoginSuccess};

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
    /// `1`: "Keep me signed in" was ticked.
    #[serde(default)]
    remember: String,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    title: Msg,
    rd: &'a str,
    /// What the person typed, kept after a failure (the password field gets the focus). It
    /// is their own input, the same whatever the account's state, so the failure page still
    /// says nothing about the account (docs/security.md#uniform-login-failure).
    username: &'a str,
    error: Option<Msg>,
    notice: Option<Msg>,
    forgot: bool,
    /// Days "Keep me signed in" lasts, when it is offered (`session.remember_me`).
    remember_days: Option<i64>,
    /// "Sign in with a passkey" and passkey autofill (`webauthn.passwordless`).
    passkey_sign_in: bool,
    passkey_script: bool,
}

impl Template for LoginPage<'_> {
    const NAME: &'static str = "login.html";
    const KEEP: bool = true;
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

/// The validated `rd` of a page's query string, or `""`.
pub(super) fn query_rd(
    app: &AppState,
    ctx: &RequestCtx,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> String {
    safe_rd(app, ctx, &query.map(|Query(q)| q.rd).unwrap_or_default())
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

/// The login form, with an optional error.
pub(super) fn login_form(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    (rd, username): (&str, &str),
    error: Option<Msg>,
) -> Response<Body> {
    login_page(app, headers, status, (rd, username), error, None)
}

/// The login form with a neutral message (no failure).
fn login_notice(app: &AppState, headers: &HeaderMap, rd: &str, notice: Msg) -> Response<Body> {
    login_page(app, headers, StatusCode::OK, (rd, ""), None, Some(notice))
}

fn login_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    (rd, username): (&str, &str),
    error: Option<Msg>,
    notice: Option<Msg>,
) -> Response<Body> {
    // A username is at most 64 characters; a longer text is not echoed whole.
    let username = match username.char_indices().nth(64) {
        Some((end, _)) => &username[..end],
        None => username,
    };
    let passwordless = app.config.webauthn.enabled && app.config.webauthn.passwordless;
    let page = LoginPage {
        title: Msg::new("login-title"),
        rd,
        username,
        error,
        notice,
        forgot: app.config.password.forgot_password_enabled,
        remember_days: Some(app.config.session.timeouts.remember / 86_400).filter(|d| *d > 0),
        passkey_sign_in: passwordless,
        passkey_script: passwordless,
    };
    view::form(app, headers, status, &page)
}

/// Shows the form; a signed-in browser goes straight on to its target. While the session
/// store cannot answer, the page says that sign-in is temporarily unavailable (503) rather
/// than take a password it could not act on (docs/security.md#store-bounds-and-outages).
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    session: Result<CurrentSession, WebError>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let rd = query_rd(&app, &ctx, query);
    match session {
        Ok(CurrentSession(Some(_))) => Ok(see_other(&target(&app, &rd))),
        // The browser still holds a session cookie the store no longer knows: it timed out
        // or was signed out elsewhere (sign-out here expires the cookie itself).
        Ok(CurrentSession(None))
            if cookies::read(&headers, app.cookies.session_name()) != Ok(None) =>
        {
            let why = Msg::new("login-session-ended");
            Ok(login_notice(&app, &headers, &rd, why))
        }
        _ => {
            app.sessions.ping().await?;
            Ok(login_form(&app, &headers, StatusCode::OK, (&rd, ""), None))
        }
    }
}

/// Checks the form and starts a session (or the code step). Every credential failure
/// renders the same page.
pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    form: Result<CsrfForm<LoginForm>, WebError>,
) -> Result<Response<Body>, WebError> {
    let form = match form {
        Ok(CsrfForm(f)) => f,
        Err(e) => return unread(&app, &headers, e),
    };
    let rd = safe_rd(&app, &ctx, &form.rd);
    let password = SecretString::new(form.password);
    let scope = app.cookie_scope(&ctx.host);
    match app
        .login
        .login(attempt(
            &ctx,
            &headers,
            (&form.username, form.remember == "1", scope),
            password,
        ))
        .await
    {
        Ok(ok) => signed_in(&app, &ctx, &headers, &ok, &rd).await,
        Err(e) => refused(&app, &ctx, &headers, (&rd, &form.username), e),
    }
}

/// The answer to a login form that was not read: an incomplete one is asked for again on a
/// fresh form; one whose CSRF check failed goes back to the login page like every portal form
/// (`expired`); one over the size limit is the 413 page.
fn unread(app: &AppState, headers: &HeaderMap, e: WebError) -> Result<Response<Body>, WebError> {
    let (status, why) = match e {
        WebError::Page(PageError::BadRequest(_)) => {
            (StatusCode::BAD_REQUEST, Msg::new("login-form-incomplete"))
        }
        e => return Err(e),
    };
    Ok(login_form(app, headers, status, ("", ""), Some(why)))
}

/// A login attempt from this request.
fn attempt<'a>(
    ctx: &RequestCtx,
    headers: &'a HeaderMap,
    (username, remember, scope): (&'a str, bool, &'a str),
    password: SecretString,
) -> LoginRequest<'a> {
    LoginRequest {
        username,
        password,
        ip: ctx.client_ip,
        // Only logins record the user agent; the session record truncates it.
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        device: cookies::read(headers, DEVICE_COOKIE).ok().flatten(),
        remember,
        scope,
        now: ctx.now,
    }
}

/// The login form again for a failed attempt; a failure no form explains is an error page.
fn refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    typed: (&str, &str),
    e: AuthError,
) -> Result<Response<Body>, WebError> {
    match e {
        AuthError::InvalidCredentials => {
            let why = Some(Msg::new("login-failed"));
            Ok(login_form(
                app,
                headers,
                StatusCode::UNAUTHORIZED,
                typed,
                why,
            ))
        }
        AuthError::Throttled { until } => {
            let (msg, wait) = too_many(until, ctx.now);
            let page = login_form(
                app,
                headers,
                StatusCode::TOO_MANY_REQUESTS,
                typed,
                Some(msg),
            );
            Ok(throttled(page, wait))
        }
        // The form again, so that trying again is one click: the storm that filled the queue
        // is no fault of this user's.
        AuthError::Busy => {
            let why = Some(Msg::new("login-busy"));
            let page = login_form(app, headers, StatusCode::SERVICE_UNAVAILABLE, typed, why);
            Ok(throttled(page, BUSY_RETRY_AFTER))
        }
        e => Err(e.into()),
    }
}

/// The answer to a right password: on to the code step under a pending cookie, or signed in.
async fn signed_in(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    ok: &LoginSuccess,
    rd: &str,
) -> Result<Response<Body>, WebError> {
    // A session id from before the login is never promoted (docs/security.md#session-rotation): end it.
    // Looked up only now, and best effort, as a failure here must not stop the login.
    if let Ok(Some(old)) = app.current_session(headers, &ctx.host, ctx.now).await {
        let _ = app.sessions.end(&old.key).await;
    }
    if ok.pending() {
        let mut resp = see_other(&with_rd(app, "/login/2fa", rd));
        resp.headers_mut()
            .append(header::SET_COOKIE, app.cookies.pending(&ok.id));
        return Ok(saved_language(app, &ok.user, resp));
    }
    let mut resp = saved_language(app, &ok.user, see_other(&after_login(app, &ok.user, rd)));
    let cookie = app
        .new_session_cookie(&ok.id, &ok.session, &ctx.host, ctx.now)
        .await?;
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// `resp` with the language the user chose in the picker (saved with the account), so a new
/// browser speaks it from the first page after the password on.
fn saved_language(app: &AppState, user: &User, mut resp: Response<Body>) -> Response<Body> {
    let catalogs = app.pages.catalogs();
    if let Some(lang) = catalogs.by_tag(&user.language) {
        resp.headers_mut()
            .append(header::SET_COOKIE, app.cookies.language(catalogs.tag(lang)));
    }
    resp
}
