//! `GET/POST <portal>/login/2fa`: the code step (docs/security.md#totp, #session-rotation, #pending-login). It accepts a pending
//! login (after the password) or a one-factor session of a user with two-factor that met a
//! `two_factor` rule (step-up); nothing else. Success always issues a new session id.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::account::{origin, with_session};
use super::errors::WebError;
use super::extract::{CsrfForm, CurrentSession};
use super::forms::{see_other, throttled, too_many};
use super::login::{after_login, login_form, safe_rd, target, with_rd};
use super::view::{self, Template};
use crate::domain::session::AuthLevel;
use crate::http::cookies::{self, PENDING_COOKIE};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::sessions::Resolved;
use crate::service::two_factor::CodeStepDone;
use crate::store::StoreResult;

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    remember: String,
    #[serde(default)]
    rd: String,
    /// `1` when the form asked for a recovery code (the page shows that field again).
    #[serde(default)]
    recovery: String,
}

#[derive(Deserialize, Default)]
pub(super) struct CodeQuery {
    #[serde(default)]
    rd: String,
    /// `1`: a recovery code instead of the app's code.
    #[serde(default)]
    recovery: String,
}

/// Which field the code page shows (either kind of code is accepted from both), and the
/// return target it carries.
#[derive(Clone, Copy)]
struct Step<'a> {
    rd: &'a str,
    /// A recovery code (letters and digits) rather than the app's 6 digits, which get a
    /// numeric keyboard on phones.
    recovery: bool,
}

#[derive(Serialize)]
struct CodePage<'a> {
    title: Msg,
    username: &'a str,
    rd: &'a str,
    recovery: bool,
    /// The same page with the other kind of code field.
    switch: String,
    error: Option<Msg>,
    remember_days: u32,
}

impl Template for CodePage<'_> {
    const NAME: &'static str = "code.html";
}

/// Whose code this step is waiting for: a pending login, or a one-factor session (`current`)
/// that must step up. Any other cookie (a full session, garbage, nothing) is not a subject.
async fn subject(
    app: &AppState,
    headers: &HeaderMap,
    current: Option<Resolved>,
    now: i64,
) -> StoreResult<Option<Resolved>> {
    if let Ok(Some(c)) = cookies::read(headers, PENDING_COOKIE)
        && let Some(p) = app.sessions.resolve_pending(c, now).await?
    {
        return Ok(Some(p));
    }
    Ok(current.filter(|s| s.session.level == AuthLevel::OneFactor && s.user.totp_enabled))
}

fn code_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    who: &Resolved,
    step: Step<'_>,
    error: Option<Msg>,
) -> Response<Body> {
    let mut switch = with_rd(app, "/login/2fa", step.rd);
    if !step.recovery {
        switch.push(if step.rd.is_empty() { '?' } else { '&' });
        switch.push_str("recovery=1");
    }
    let page = CodePage {
        title: Msg::new("code-title"),
        username: &who.user.username,
        rd: step.rd,
        recovery: step.recovery,
        switch,
        error,
        remember_days: app.two_factor.devices().days(),
    };
    view::form(app, headers, status, &page)
}

/// Shows the code form, or sends the browser where it belongs.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(current): CurrentSession,
    headers: HeaderMap,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let rd = safe_rd(&app, &ctx, &q.rd);
    let signed_in = current.is_some();
    let step = Step {
        rd: &rd,
        recovery: q.recovery == "1",
    };
    Ok(match subject(&app, &headers, current, ctx.now).await? {
        Some(who) => code_page(&app, &headers, StatusCode::OK, &who, step, None),
        None if signed_in => see_other(&target(&app, &rd)),
        None => see_other(&with_rd(&app, "/login", &rd)),
    })
}

/// Checks the code and starts the two-factor session.
pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(current): CurrentSession,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response<Body>, WebError> {
    let rd = safe_rd(&app, &ctx, &form.rd);
    let Some(who) = subject(&app, &headers, current, ctx.now).await? else {
        // No pending login: a code alone is never a way in (docs/security.md#recovery-codes).
        let why = Some(Msg::new("code-sign-in-expired"));
        return Ok(login_form(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            (&rd, ""),
            why,
        ));
    };
    let remember = form.remember == "1";
    match app
        .two_factor
        .complete_login(&who, &form.code, remember, ctx.now, origin(&ctx, &headers))
        .await
    {
        Ok(done) => verified(&app, &ctx, &who, &rd, done).await,
        Err(e) => {
            let step = Step {
                rd: &rd,
                recovery: form.recovery == "1",
            };
            refused(&app, &ctx, &headers, &who, step, e)
        }
    }
}

/// The answer to a right code: the new two-factor session, the pending cookie gone, and the
/// remembered device when asked for.
async fn verified(
    app: &AppState,
    ctx: &RequestCtx,
    who: &Resolved,
    rd: &str,
    done: CodeStepDone,
) -> Result<Response<Body>, WebError> {
    let next = see_other(&after_login(app, &who.user, rd));
    let mut resp = with_session(app, ctx, next, &done.id).await?;
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, app.cookies.clear_pending());
    if let Some(device) = done.device {
        h.append(
            header::SET_COOKIE,
            app.cookies
                .device(&device.cookie, app.two_factor.devices().lifetime()),
        );
    }
    Ok(resp)
}

/// The answer to a code that did not pass.
fn refused(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    who: &Resolved,
    step: Step<'_>,
    e: AuthError,
) -> Result<Response<Body>, WebError> {
    let rd = step.rd;
    match e {
        AuthError::InvalidCode => Ok(code_page(
            app,
            headers,
            StatusCode::UNAUTHORIZED,
            who,
            step,
            Some(Msg::new("code-invalid")),
        )),
        AuthError::Restart => {
            let why = Some(Msg::new("code-too-many"));
            let typed = (rd, who.user.username.as_str());
            let mut resp = login_form(app, headers, StatusCode::UNAUTHORIZED, typed, why);
            resp.headers_mut()
                .append(header::SET_COOKIE, app.cookies.clear_pending());
            Ok(resp)
        }
        AuthError::Throttled { until } => {
            let (msg, wait) = too_many(until, ctx.now);
            let page = code_page(
                app,
                headers,
                StatusCode::TOO_MANY_REQUESTS,
                who,
                step,
                Some(msg),
            );
            Ok(throttled(page, wait))
        }
        e => Err(e.into()),
    }
}
