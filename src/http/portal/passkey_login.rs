//! `POST <portal>/login/passkey[/options]`: signing in with a passkey alone (docs/passkeys.md#sign-in).
//! The login page's script fetches a challenge, the browser's passkey answers it, and the
//! answer is posted like the password form; a refusal is the login page with a message.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::IntoResponse;
use http::{HeaderMap, Response, StatusCode, header};
use serde::Deserialize;

use super::errors::WebError;
use super::extract::CsrfForm;
use super::forms::{see_other, throttled, too_many};
use super::login::{after_login, login_form, safe_rd};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::passkeys::{Arrival, PasskeySignIn};

#[derive(Deserialize)]
pub(super) struct NoFields {}

#[derive(Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    rd: String,
}

/// A challenge for a discoverable passkey: `{"ceremony": …, "options": {…}}`.
pub(super) async fn options(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let c = match app
        .passkeys
        .begin_sign_in(&ctx.host, ctx.client_ip, ctx.now)
        .await
    {
        Ok(c) => c,
        Err(AuthError::Throttled { .. }) => {
            return Ok(StatusCode::TOO_MANY_REQUESTS.into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let ceremony = serde_json::to_string(&c.ceremony).map_err(|e| AuthError::Crypto(e.into()))?;
    // Both parts are JSON already (the options as the library wrote them).
    let body = format!("{{\"ceremony\":{ceremony},\"options\":{}}}", c.options);
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// The passkey's answer: a two-factor session, or the login page saying why not.
pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<Response<Body>, WebError> {
    let rd = safe_rd(&app, &ctx, &form.rd);
    let scope = app.cookie_scope(&ctx.host);
    let who = super::account::origin(&ctx, &headers);
    let arrival = Arrival {
        ip: who.ip,
        user_agent: who.user_agent,
        scope,
    };
    let done = app
        .passkeys
        .sign_in(&form.ceremony, &form.credential, arrival, ctx.now);
    let why = match done.await {
        Ok(ok) => return signed_in(&app, &ctx, &ok, &rd).await,
        Err(AuthError::PasskeyRefused) => "passkey-sign-in-refused",
        Err(AuthError::CeremonyExpired) => "passkey-expired",
        Err(AuthError::Throttled { until }) => {
            let (msg, wait) = too_many(until, ctx.now);
            let status = StatusCode::TOO_MANY_REQUESTS;
            let page = login_form(&app, &headers, status, (&rd, ""), Some(msg));
            return Ok(throttled(page, wait));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(login_form(
        &app,
        &headers,
        StatusCode::UNAUTHORIZED,
        (&rd, ""),
        Some(Msg::new(why)),
    ))
}

/// The new session's cookie, and on to the target (or the forced password change).
async fn signed_in(
    app: &AppState,
    ctx: &RequestCtx,
    ok: &PasskeySignIn,
    rd: &str,
) -> Result<Response<Body>, WebError> {
    let mut resp = see_other(&after_login(app, &ok.user, rd));
    let cookie = app
        .new_session_cookie(&ok.id, &ok.session, &ctx.host, ctx.now)
        .await?;
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}
