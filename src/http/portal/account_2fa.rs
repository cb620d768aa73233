//! The two-factor actions of the account page (docs/security.md#factor-enrolment, #factor-changes, #recovery-codes, issue 4): turning it on after a
//! recent password and with a working code, new recovery codes and turning it off (both need
//! the password and a current code).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use super::account::{Done, account_after, account_page, origin, with_session};
use super::errors::{PageError, WebError};
use super::extract::{CsrfForm, Fresh, NoFields, SignedIn, fresh};
use super::forms::{see_other, throttled, too_many};
use super::login::{LoginQuery, query_rd, safe_rd, target, with_rd};
use super::view::{self, Template};
use crate::domain::recovery::RecoveryCode;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionId;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::sessions::Resolved;
use crate::service::two_factor::Enrollment;

/// The enrolment page's path under the portal.
const ENABLE: &str = "/account/2fa/enable";

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    rd: String,
}

#[derive(Deserialize)]
pub(super) struct PasswordCodeForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

#[derive(Serialize)]
struct EnrollPage<'a> {
    title: Msg,
    /// The `otpauth://` URI as an SVG QR code.
    qr: String,
    secret: String,
    uri: &'a str,
    rd: &'a str,
    error: Option<Msg>,
}

impl Template for EnrollPage<'_> {
    const NAME: &'static str = "enroll.html";
}

#[derive(Serialize)]
struct RecoveryCodesPage<'a> {
    title: Msg,
    codes: Vec<String>,
    /// The codes as a text file, in a `data:` URL.
    download_href: String,
    intro: Msg,
    /// Where "continue" goes.
    next: &'a str,
}

impl Template for RecoveryCodesPage<'_> {
    const NAME: &'static str = "recovery_codes.html";
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
    headers: &HeaderMap,
    status: StatusCode,
    enrollment: &Enrollment,
    rd: &str,
    error: Option<Msg>,
) -> Result<Response<Body>, WebError> {
    let qr = super::qr::svg(enrollment.uri.expose())
        .ok_or_else(|| PageError::Internal("QR code too large".into()))?;
    let page = EnrollPage {
        title: Msg::new("enroll-title"),
        qr,
        secret: grouped(enrollment.secret.expose()),
        uri: enrollment.uri.expose(),
        rd,
        error,
    };
    Ok(view::form(app, headers, status, &page))
}

/// Enrolment needs a password entered within the step-up window; a stale session gets the
/// prompt, which comes back to enrolment with the same `rd`.
fn needs_step_up(
    app: &AppState,
    ctx: &RequestCtx,
    s: &Resolved,
    rd: &str,
    status: StatusCode,
) -> Result<(), WebError> {
    if fresh(app, s, ctx.now) {
        return Ok(());
    }
    Err(WebError::StepUp {
        username: s.user.username.clone(),
        next: "enable",
        rd: rd.to_owned(),
        status,
        keep: None,
    })
}

/// Where "set up two-factor" leads instead of an app's secret: the account page for a user
/// who has an app already; adding a passkey when `two_factor.methods` leaves apps out (and
/// the portal on this host offers passkeys), which then goes on to `rd` as the app's
/// enrolment does.
fn set_up_elsewhere(app: &AppState, ctx: &RequestCtx, s: &Resolved, rd: &str) -> String {
    if !s.user.totp_enabled && app.passkeys.offered(&ctx.host) {
        with_rd(app, "/account/passkeys/add", rd)
    } else {
        app.config.portal.url.path("/account")
    }
}

/// `GET /account/2fa/enable`: a new secret to scan, after a recent password.
pub(super) async fn enable_page(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let rd = query_rd(&app, &ctx, query);
    if s.user.totp_enabled || !app.two_factor.totp_offered() {
        return Ok(see_other(&set_up_elsewhere(&app, &ctx, &s, &rd)));
    }
    needs_step_up(&app, &ctx, &s, &rd, StatusCode::OK)?;
    let enrollment = app.two_factor.begin_enrollment(&s.user).await?;
    enroll_page(&app, &headers, StatusCode::OK, &enrollment, &rd, None)
}

pub(super) fn codes_page(
    app: &AppState,
    headers: &HeaderMap,
    codes: &[RecoveryCode],
    intro: Msg,
    next: &str,
) -> Response<Body> {
    let shown: Vec<String> = codes.iter().map(RecoveryCode::expose).collect();
    let text = format!(
        "{} recovery codes. Each works once.\n\n{}\n",
        app.config.portal.title,
        shown.join("\n")
    );
    let page = RecoveryCodesPage {
        title: Msg::new("codes-page-title"),
        download_href: format!(
            "data:text/plain;charset=utf-8,{}",
            utf8_percent_encode(&text, NON_ALPHANUMERIC)
        ),
        codes: shown,
        intro,
        next,
    };
    view::form(app, headers, StatusCode::OK, &page)
}

/// `POST /account/2fa/enable`: the code from the new secret turns two-factor on.
pub(super) async fn enable_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response<Body>, WebError> {
    let rd = safe_rd(&app, &ctx, &form.rd);
    if s.user.totp_enabled || !app.two_factor.totp_offered() {
        return Ok(see_other(&set_up_elsewhere(&app, &ctx, &s, &rd)));
    }
    needs_step_up(&app, &ctx, &s, &rd, StatusCode::UNAUTHORIZED)?;
    match app
        .two_factor
        .confirm_enrollment(&s, &form.code, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok((id, codes)) => enabled(&app, &ctx, &headers, &rd, &id, &codes).await,
        Err(e) => not_enabled(&app, &ctx, &headers, &s, &rd, e).await,
    }
}

/// Two-factor is on: the recovery codes, shown once, under the rotated session.
async fn enabled(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    rd: &str,
    id: &SessionId,
    codes: &[RecoveryCode],
) -> Result<Response<Body>, WebError> {
    let next = if rd.is_empty() {
        app.config.portal.url.path("/account")
    } else {
        target(app, rd)
    };
    let intro = Msg::new("codes-intro-new");
    let page = codes_page(app, headers, codes, intro, &next);
    with_session(app, ctx, page, id).await
}

/// The answer to an enrolment code that did not pass: the same secret again after a wrong
/// code (a new one when none is pending), the account page when throttled.
async fn not_enabled(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    rd: &str,
    e: AuthError,
) -> Result<Response<Body>, WebError> {
    match e {
        AuthError::InvalidCode => match app.two_factor.pending_enrollment(&s.user).await? {
            Some(enrollment) => {
                let why = Msg::new("enroll-mismatch");
                let status = StatusCode::UNAUTHORIZED;
                enroll_page(app, headers, status, &enrollment, rd, Some(why))
            }
            None => Ok(see_other(&with_rd(app, ENABLE, rd))),
        },
        AuthError::Throttled { until } => throttled_page(app, ctx, headers, s, until).await,
        e => Err(e.into()),
    }
}

/// The account page saying how long to wait, with `Retry-After`.
async fn throttled_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    until: i64,
) -> Result<Response<Body>, WebError> {
    let (msg, wait) = too_many(until, ctx.now);
    let status = StatusCode::TOO_MANY_REQUESTS;
    let page = account_page(app, ctx, headers, s, status, Some(msg), None).await?;
    Ok(throttled(page, wait))
}

/// The answer to a password-and-code form that failed.
async fn refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    e: AuthError,
) -> Result<Response<Body>, WebError> {
    match e {
        AuthError::InvalidCredentials | AuthError::InvalidCode => {
            let why = Msg::new("account-wrong-password-or-code");
            account_page(app, ctx, headers, s, StatusCode::FORBIDDEN, Some(why), None).await
        }
        AuthError::Throttled { until } => throttled_page(app, ctx, headers, s, until).await,
        e => Err(e.into()),
    }
}

/// `POST /account/2fa/recovery`: a new set of recovery codes (password and code needed).
pub(super) async fn regenerate(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasswordCodeForm>,
) -> Result<Response<Body>, WebError> {
    let password = SecretString::new(form.password);
    let origin = origin(&ctx, &headers);
    let renewed = app
        .two_factor
        .regenerate_codes(&s.user, &password, &form.code, ctx.now, origin)
        .await;
    new_codes_page(&app, &ctx, &headers, &s, renewed).await
}

/// `POST /account/passkeys/recovery`: a new set of recovery codes for a user whose second
/// factor is a passkey (a recent password, and a session opened with the passkey).
pub(super) async fn regenerate_with_passkey(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let origin = origin(&ctx, &headers);
    let renewed = app
        .two_factor
        .regenerate_codes_with_passkey(&s, ctx.now, origin)
        .await;
    new_codes_page(&app, &ctx, &headers, &s, renewed).await
}

/// The renewed codes, shown once, or the account page saying why there are none.
async fn new_codes_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    renewed: Result<Vec<RecoveryCode>, AuthError>,
) -> Result<Response<Body>, WebError> {
    match renewed {
        Ok(codes) => {
            let intro = Msg::new("codes-intro-regenerated");
            let next = app.config.portal.url.path("/account");
            Ok(codes_page(app, headers, &codes, intro, &next))
        }
        Err(e) => refused(app, ctx, headers, s, e).await,
    }
}

/// `POST /account/2fa/disable`: two-factor off (password and code needed).
pub(super) async fn disable(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasswordCodeForm>,
) -> Result<Response<Body>, WebError> {
    let password = SecretString::new(form.password);
    match app
        .two_factor
        .disable(&s, &password, &form.code, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok(id) => {
            let account = see_other(&account_after(&app, Done::TwoFactorOff));
            with_session(&app, &ctx, account, &id).await
        }
        Err(e) => refused(&app, &ctx, &headers, &s, e).await,
    }
}
