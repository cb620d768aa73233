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
use crate::service::two_factor::{CodeStepDone, Proof};
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

/// A passkey's answer to the code page's challenge.
#[derive(Deserialize)]
pub(super) struct PasskeyAnswer {
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    remember: String,
    #[serde(default)]
    rd: String,
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
    /// The user has an authenticator app (else only recovery codes are asked for).
    has_totp: bool,
    /// The same page with the other kind of code field.
    switch: String,
    error: Option<Msg>,
    remember_days: u32,
    /// The challenge one of the user's passkeys may answer instead of a code.
    passkey: Option<PasskeyStep>,
    passkey_script: bool,
}

#[derive(Serialize)]
struct PasskeyStep {
    ceremony: String,
    /// The options for `navigator.credentials.get`, as JSON.
    options: String,
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
    // A one-factor session stepping up, or a two-factor one proving a passkey for a
    // `passkey` rule.
    Ok(current.filter(|s| match s.session.level {
        AuthLevel::OneFactor => s.user.has_second_factor(),
        AuthLevel::TwoFactor => s.user.has_passkeys,
        _ => false,
    }))
}

async fn code_page(
    app: &AppState,
    (ctx, headers): (&RequestCtx, &HeaderMap),
    status: StatusCode,
    who: &Resolved,
    step: Step<'_>,
    error: Option<Msg>,
) -> Result<Response<Body>, WebError> {
    let mut switch = with_rd(app, "/login/2fa", step.rd);
    if !step.recovery {
        switch.push(if step.rd.is_empty() { '?' } else { '&' });
        switch.push_str("recovery=1");
    }
    // A fresh challenge with every showing: each answers once.
    let passkey = app
        .passkeys
        .begin_assertion(who, &ctx.host, ctx.now)
        .await?
        .map(|c| PasskeyStep {
            ceremony: c.ceremony,
            options: c.options,
        });
    // An app the user has but `two_factor.methods` leaves out is not asked for.
    let has_totp = who.user.totp_enabled && app.two_factor.totp_offered();
    let page = CodePage {
        title: Msg::new("code-title"),
        username: &who.user.username,
        rd: step.rd,
        // Without an app, a code can only be a recovery code.
        recovery: step.recovery || !has_totp,
        has_totp,
        switch,
        error,
        remember_days: app.two_factor.devices().days(),
        passkey_script: passkey.is_some(),
        passkey,
    };
    Ok(view::form(app, headers, status, &page))
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
        Some(who) => code_page(&app, (&ctx, &headers), StatusCode::OK, &who, step, None).await?,
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
    let proof = Proof::Code(&form.code);
    let recovery = form.recovery == "1";
    finish(
        &app,
        (&ctx, &headers),
        &who,
        (proof, remember),
        (&rd, recovery),
    )
    .await
}

/// Checks a passkey's answer and starts the two-factor session, as a code does.
pub(super) async fn passkey_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(current): CurrentSession,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasskeyAnswer>,
) -> Result<Response<Body>, WebError> {
    let rd = safe_rd(&app, &ctx, &form.rd);
    let Some(who) = subject(&app, &headers, current, ctx.now).await? else {
        let why = Some(Msg::new("code-sign-in-expired"));
        let typed = (rd.as_str(), "");
        return Ok(login_form(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            typed,
            why,
        ));
    };
    let proof = Proof::Passkey {
        ceremony: &form.ceremony,
        response: &form.credential,
    };
    let remember = form.remember == "1";
    finish(
        &app,
        (&ctx, &headers),
        &who,
        (proof, remember),
        (&rd, false),
    )
    .await
}

/// The second step checked: the session, or the code page again saying why not.
async fn finish(
    app: &AppState,
    (ctx, headers): (&RequestCtx, &HeaderMap),
    who: &Resolved,
    (proof, remember): (Proof<'_>, bool),
    (rd, recovery): (&str, bool),
) -> Result<Response<Body>, WebError> {
    let origin = origin(ctx, headers);
    match app
        .two_factor
        .complete_login(who, proof, remember, ctx.now, origin)
        .await
    {
        Ok(done) => verified(app, ctx, who, rd, done).await,
        Err(e) => refused(app, (ctx, headers), who, Step { rd, recovery }, e).await,
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

/// The answer to a code (or passkey) that did not pass.
async fn refused(
    app: &AppState,
    (ctx, headers): (&RequestCtx, &HeaderMap),
    who: &Resolved,
    step: Step<'_>,
    e: AuthError,
) -> Result<Response<Body>, WebError> {
    let rd = step.rd;
    let again = |status, msg| code_page(app, (ctx, headers), status, who, step, Some(msg));
    match e {
        AuthError::InvalidCode => again(StatusCode::UNAUTHORIZED, Msg::new("code-invalid")).await,
        AuthError::CeremonyExpired => {
            again(StatusCode::BAD_REQUEST, Msg::new("passkey-expired")).await
        }
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
            let page = again(StatusCode::TOO_MANY_REQUESTS, msg).await?;
            Ok(throttled(page, wait))
        }
        e => Err(e.into()),
    }
}
