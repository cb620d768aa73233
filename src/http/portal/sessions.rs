//! `<portal>/account/sessions`: the signed-in user's sessions (docs/security.md#session-list), each with its
//! device, IP and times, the current one marked. Other sessions can be signed out one by one or
//! all at once; either needs a recent step-up (docs/security.md#step-up, `two_factor.step_up_window`), and a
//! stale one gets the password prompt, which comes back here. Revokes are CSRF-checked POSTs,
//! end the session on the server at once and are audited.
//!
//! A session is named in the form by its store key (SHA-256 of the cookie value, never the
//! cookie itself), and only a session of the signed-in user is ever ended.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use http::{HeaderMap, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::{fresh, reauth_page, signed_in};
use super::errors::{PageError, error_page};
use super::forms::{csrf_ok, form_page, see_other};
use crate::audit;
use crate::audit::event;
use crate::domain::session::{Session, SessionKey};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::presentation::describe;
use crate::presentation::{datetime, rfc3339};
use crate::service::sessions::Resolved;

/// The page's path under the portal.
const PAGE: &str = "/account/sessions";

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    /// The store key (64 hex digits) of the session to end.
    #[serde(default)]
    session: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// A store key as posted back by the page: exactly 64 hex digits, or nothing.
pub(super) fn parse_key(raw: &str) -> Option<SessionKey> {
    (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| SessionKey(raw.to_ascii_lowercase()))
}

fn row(key: &SessionKey, s: &Session, current: bool) -> Value {
    json!({
        "key": key.0,
        "handle": key.short(),
        "device": describe(&s.user_agent),
        "ip": s.ip,
        "created": datetime(s.created_at),
        "created_iso": rfc3339(s.created_at),
        "last_seen": datetime(s.last_seen),
        "last_seen_iso": rfc3339(s.last_seen),
        "current": current,
    })
}

/// The sessions page: the current session first, then the others, most recently used first.
async fn sessions_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    error: Option<&str>,
) -> Response<Body> {
    let list = match app.sessions.list_active(&s.user, ctx.now).await {
        Ok(list) => list,
        Err(e) => return error_page(app, Some(ctx), PageError::Unavailable(e.to_string())),
    };
    let mut rows = vec![row(&s.key, &s.session, true)];
    rows.extend(
        list.iter()
            .filter(|(key, _)| *key != s.key)
            .map(|(key, session)| row(key, session, false)),
    );
    form_page(
        app,
        headers,
        status,
        "sessions.html",
        json!({
            "title": "Active sessions",
            "username": s.user.username,
            "sessions": rows,
            "others": rows.len() > 1,
            "error": error,
        }),
    )
}

/// `GET /account/sessions`.
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response<Body> {
    match signed_in(&app, &ctx, &headers, PAGE).await {
        Ok(s) => sessions_page(&app, &ctx, &headers, &s, StatusCode::OK, None).await,
        Err(resp) => resp,
    }
}

/// The checks every revoke shares: a complete form, CSRF, a signed-in session and a recent
/// step-up. `Err` is the response to send instead (nothing is revoked then).
async fn revoking(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    csrf: Option<&str>,
    form: &'static str,
) -> Result<Resolved, Response<Body>> {
    let Some(csrf) = csrf else {
        return Err(error_page(
            app,
            Some(ctx),
            PageError::BadRequest("The form was incomplete."),
        ));
    };
    if !csrf_ok(app, ctx, headers, csrf, form) {
        return Err(error_page(app, Some(ctx), PageError::CsrfFailed));
    }
    let s = signed_in(app, ctx, headers, PAGE).await?;
    if !fresh(app, &s, ctx.now) {
        return Err(reauth_page(
            app,
            headers,
            &s,
            StatusCode::UNAUTHORIZED,
            "sessions",
            "",
            None,
        ));
    }
    Ok(s)
}

/// `POST /account/sessions/revoke`: ends one other session of the signed-in user.
pub(super) async fn revoke(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let s = match revoking(
        &app,
        &ctx,
        &headers,
        form.as_ref().map(|f| f.csrf.as_str()),
        "account/sessions/revoke",
    )
    .await
    {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    // The current session is ended with "Sign out", which also clears the browser.
    let key = form
        .and_then(|f| parse_key(&f.session))
        .filter(|k| *k != s.key);
    let ended = match &key {
        Some(k) => app.sessions.revoke(s.user.id, k, ctx.now).await,
        None => Ok(None),
    };
    match (ended, key) {
        (Ok(Some(_)), Some(k)) => {
            audit!(event::SESSION_REVOKED, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = k.short(), by = s.key.short());
            see_other(&app.config.portal.url.path(PAGE))
        }
        // Unknown, ended already, or not this user's: one answer for all.
        (Ok(_), _) => {
            sessions_page(
                &app,
                &ctx,
                &headers,
                &s,
                StatusCode::NOT_FOUND,
                Some("That session was not found. It may have ended already."),
            )
            .await
        }
        (Err(e), _) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

/// `POST /account/sessions/revoke-others`: ends every session of the user but this one.
pub(super) async fn revoke_others(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let s = match revoking(
        &app,
        &ctx,
        &headers,
        form.as_ref().map(|f| f.csrf.as_str()),
        "account/sessions/revoke-others",
    )
    .await
    {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    match app.sessions.end_others(s.user.id, &s.key, ctx.now).await {
        Ok(ended) => {
            audit!(event::SESSIONS_REVOKED_OTHERS, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = s.key.short(), sessions_ended = ended);
            see_other(&app.config.portal.url.path(PAGE))
        }
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn only_64_hex_digits_name_a_session() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_key(&hex).map(|k| k.0), Some(hex.clone()));
        assert_eq!(
            parse_key(&hex.to_uppercase()).map(|k| k.0),
            Some(hex.clone())
        );
        for bad in [
            "",
            "abc",
            &"g".repeat(64),
            &"a".repeat(65),
            &format!("{}é", "a".repeat(62)),
        ] {
            assert!(parse_key(bad).is_none(), "{bad:?}");
        }
    }
}
