//! Password pages: change (`/account/password`, also the forced change after an admin reset),
//! forgot (`/forgot`) and reset by link (`/reset`) (docs/security.md#reset-tokens, #password-change, issue 5).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use http::request::Parts;
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::account::{Done, account_after, origin, with_session};
use super::errors::{PageError, WebError};
use super::extract::{CsrfForm, CurrentSession, fresh};
use super::forms::{see_other, throttled, too_many};
use super::login::{LoginQuery, query_rd, safe_rd, target};
use super::texts;
use super::view::{self, Message, Template};
use crate::domain::secret::SecretString;
use crate::domain::user::User;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::passwords::{Change, PasswordError, Passwords};
use crate::service::sessions::Resolved;

/// The change page's path under the portal.
const CHANGE: &str = "/account/password";

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
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    #[serde(default)]
    who: String,
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Only `token` and the new password twice are read (and the CSRF token, by the extractor):
/// any `username` or `email` field sent along is ignored, the token alone names the account
/// (docs/security.md#reset-token-decides).
#[derive(Deserialize)]
pub(super) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Serialize)]
struct ChangePage<'a> {
    title: Msg,
    username: &'a str,
    forced: bool,
    /// Asked unless a forced change follows a fresh sign-in with the temporary password.
    ask_current: bool,
    need_code: bool,
    min_length: usize,
    rd: &'a str,
    error: Option<Msg>,
    /// The id of the field the error is about: marked `aria-invalid`, the error beside it.
    invalid: Option<&'static str>,
}

impl Template for ChangePage<'_> {
    const NAME: &'static str = "password.html";
}

#[derive(Serialize)]
struct ForgotPage {
    title: Msg,
    error: Option<Msg>,
}

impl Template for ForgotPage {
    const NAME: &'static str = "forgot.html";
    const KEEP: bool = true;
}

#[derive(Serialize)]
struct ResetPage<'a> {
    title: Msg,
    token: &'a str,
    username: &'a str,
    min_length: usize,
    error: Option<Msg>,
    /// The id of the field the error is about: marked `aria-invalid`, the error beside it.
    invalid: Option<&'static str>,
}

impl Template for ResetPage<'_> {
    const NAME: &'static str = "reset.html";
}

fn min_length(app: &AppState, user: &User) -> usize {
    let p = &app.config.password.policy;
    if user.totp_enabled {
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
    error: Option<(Msg, Option<&'static str>)>,
) -> Response<Body> {
    let fresh = fresh(app, s, ctx.now);
    let (error, invalid) = error.map_or((None, None), |(m, f)| (Some(m), f));
    let page = ChangePage {
        title: Msg::new("password-title-change"),
        username: &s.user.username,
        forced: s.user.must_change_password,
        ask_current: !Passwords::current_proven(&s.user, fresh),
        need_code: s.user.totp_enabled && !fresh,
        min_length: min_length(app, &s.user),
        rd,
        error,
        invalid,
    };
    view::form(app, headers, status, &page)
}

/// The session of the change page, whether or not it must change its password (that is what
/// the page is for); without one, the login page, then back here.
fn session_or_login(s: Option<Resolved>) -> Result<Resolved, WebError> {
    s.ok_or_else(|| WebError::SignIn {
        back_to: CHANGE.to_owned(),
    })
}

/// `GET /account/password`.
pub(super) async fn change_form(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(s): CurrentSession,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let rd = query_rd(&app, &ctx, query);
    let s = session_or_login(s)?;
    Ok(change_page(
        &app,
        &ctx,
        &headers,
        &s,
        StatusCode::OK,
        &rd,
        None,
    ))
}

/// `POST /account/password`.
pub(super) async fn change_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(s): CurrentSession,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response<Body>, WebError> {
    let s = session_or_login(s)?;
    let rd = safe_rd(&app, &ctx, &form.rd);
    let change = Change {
        current: SecretString::new(form.current),
        new: SecretString::new(form.new),
        confirm: SecretString::new(form.confirm),
        code: &form.code,
    };
    let fresh = fresh(&app, &s, ctx.now);
    match app
        .passwords
        .change(&s, change, fresh, origin(&ctx, &headers), ctx.now)
        .await
    {
        Ok(id) => {
            let next = if rd.is_empty() {
                account_after(&app, Done::Password)
            } else {
                target(&app, &rd)
            };
            with_session(&app, &ctx, see_other(&next), &id).await
        }
        Err(e) => change_refused(&app, &ctx, &headers, &s, &rd, e),
    }
}

/// The change page again, saying why the password was not changed.
fn change_refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    rd: &str,
    e: PasswordError,
) -> Result<Response<Body>, WebError> {
    let page = |status, error: Msg, field| {
        change_page(app, ctx, headers, s, status, rd, Some((error, field)))
    };
    Ok(match e {
        PasswordError::Auth(AuthError::InvalidCredentials) => page(
            StatusCode::FORBIDDEN,
            Msg::new("password-current-wrong"),
            Some("current"),
        ),
        PasswordError::Auth(AuthError::InvalidCode) => page(
            StatusCode::FORBIDDEN,
            Msg::new("password-code-wrong"),
            Some("code"),
        ),
        PasswordError::Auth(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            throttled(page(StatusCode::TOO_MANY_REQUESTS, msg, None), wait)
        }
        PasswordError::Auth(e) => return Err(e.into()),
        PasswordError::Mismatch => page(
            StatusCode::BAD_REQUEST,
            texts::password(&e),
            Some("confirm"),
        ),
        e => page(StatusCode::BAD_REQUEST, texts::password(&e), Some("new")),
    })
}

/// "Forgot password" is on: when it is off, `/forgot` is the 404 page, whatever is sent.
pub(super) struct ForgotEnabled;

impl FromRequestParts<Arc<AppState>> for ForgotEnabled {
    type Rejection = WebError;

    async fn from_request_parts(_: &mut Parts, app: &Arc<AppState>) -> Result<Self, WebError> {
        if app.config.password.forgot_password_enabled {
            Ok(Self)
        } else {
            Err(PageError::NotFound.into())
        }
    }
}

/// `GET /forgot`.
pub(super) async fn forgot_form(
    State(app): State<Arc<AppState>>,
    _: ForgotEnabled,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let page = ForgotPage {
        title: Msg::new("forgot-title"),
        error: None,
    };
    Ok(view::form(&app, &headers, StatusCode::OK, &page))
}

/// `POST /forgot`: the same answer whether or not an account matches (docs/security.md#reset-no-enumeration): the
/// lookup and the mail happen in the background, and only the client's own rate limit can
/// change the page.
pub(super) async fn forgot_submit(
    State(app): State<Arc<AppState>>,
    _: ForgotEnabled,
    ctx: RequestCtx,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response<Body>, WebError> {
    let origin = origin(&ctx, &headers);
    if !app.passwords.may_request(origin, ctx.now).await? {
        let page = ForgotPage {
            title: Msg::new("forgot-title"),
            error: Some(Msg::new("forgot-too-many")),
        };
        let resp = view::form(&app, &headers, StatusCode::TOO_MANY_REQUESTS, &page);
        return Ok(throttled(resp, 600));
    }
    app.passwords.request_reset(&form.who, origin, ctx.now);
    let login = app.config.portal.url.path("/login");
    let valid = crate::i18n::span(app.config.password.reset_token_ttl);
    let message = Msg::new("forgot-sent").with("valid", valid);
    let page = Message::new(Msg::new("forgot-sent-title"), message)
        .link(&login, Msg::new("common-back-to-sign-in"));
    Ok(view::html(&app, StatusCode::OK, &page))
}

fn bad_link(app: &AppState) -> Response<Body> {
    let forgot = app.config.portal.url.path("/forgot");
    let page = Message::new(Msg::new("reset-invalid-title"), Msg::new("reset-invalid"))
        .link(&forgot, Msg::new("reset-ask-again"));
    view::html(app, StatusCode::NOT_FOUND, &page)
}

fn reset_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: &str,
    user: &User,
    error: Option<(Msg, &'static str)>,
) -> Response<Body> {
    let (error, invalid) = error.map_or((None, None), |(m, f)| (Some(m), Some(f)));
    let page = ResetPage {
        title: Msg::new("reset-title"),
        token,
        username: &user.username,
        min_length: min_length(app, user),
        error,
        invalid,
    };
    view::form(app, headers, status, &page)
}

/// `GET /reset?token=…`: shows the form; does not use the link up.
pub(super) async fn reset_form(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let token = query.map(|Query(q)| q.token).unwrap_or_default();
    match app.passwords.reset_target(&token, ctx.now).await {
        Ok(user) => Ok(reset_page(
            &app,
            &headers,
            StatusCode::OK,
            &token,
            &user,
            None,
        )),
        Err(PasswordError::BadLink) => Ok(bad_link(&app)),
        Err(e) => Err(PageError::Unavailable(e.to_string()).into()),
    }
}

/// `POST /reset`: sets the password; signs nobody in.
pub(super) async fn reset_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response<Body>, WebError> {
    let new = SecretString::new(form.new);
    let confirm = SecretString::new(form.confirm);
    match app
        .passwords
        .complete_reset(&form.token, &new, &confirm, origin(&ctx, &headers), ctx.now)
        .await
    {
        Ok(()) => Ok(password_reset(&app)),
        Err(PasswordError::BadLink) => Ok(bad_link(&app)),
        Err(PasswordError::Auth(e)) => Err(e.into()),
        Err(e) => Ok(reset_refused(&app, &ctx, &headers, &form.token, &e).await),
    }
}

/// The page after a reset: the password is set, and nobody is signed in.
fn password_reset(app: &AppState) -> Response<Body> {
    let login = app.config.portal.url.path("/login");
    let page = Message::new(Msg::new("reset-done-title"), Msg::new("reset-done"))
        .link(&login, Msg::new("common-sign-in"));
    view::html(app, StatusCode::OK, &page)
}

/// The new password was refused: the form again, while the link still works.
async fn reset_refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    token: &str,
    e: &PasswordError,
) -> Response<Body> {
    match app.passwords.reset_target(token, ctx.now).await {
        Ok(user) => {
            let why = texts::password(e);
            let field = match e {
                PasswordError::Mismatch => "confirm",
                _ => "new",
            };
            let status = StatusCode::BAD_REQUEST;
            reset_page(app, headers, status, token, &user, Some((why, field)))
        }
        Err(_) => bad_link(app),
    }
}
