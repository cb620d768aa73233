//! `<portal>/account/sessions`: the signed-in user's sessions (docs/security.md#session-list), each with its
//! device, IP and times, the current one marked. Other sessions can be signed out one by one or
//! all at once; either needs a recent step-up (docs/security.md#step-up, `two_factor.step_up_window`), and a
//! stale one gets the password prompt, which comes back here. Revokes are CSRF-checked POSTs,
//! end the session on the server at once and are audited.
//!
//! A session is named in the form by its store key (SHA-256 of the cookie value, never the
//! cookie itself), and only a session of the signed-in user is ever ended.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::errors::WebError;
use super::extract::{CsrfForm, Fresh, NoFields, SignedIn};
use super::forms::see_other;
use super::view::{self, Template};
use crate::audit;
use crate::audit::event;
use crate::domain::session::{Session, SessionKey};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::presentation::label;
use crate::presentation::{datetime, rfc3339};
use crate::service::sessions::Resolved;

/// The page's path under the portal.
const PAGE: &str = "/account/sessions";

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    /// The store key (64 hex digits) of the session to end.
    #[serde(default)]
    session: String,
}

/// A store key as posted back by the page: exactly 64 hex digits, or nothing.
pub(super) fn parse_key(raw: &str) -> Option<SessionKey> {
    (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| SessionKey::from_text(raw.to_ascii_lowercase()))
}

/// One session as a sessions table shows it (this page and the admin user page).
#[derive(Serialize)]
pub(super) struct SessionRow {
    key: String,
    handle: String,
    device: Msg,
    ip: String,
    two_factor: bool,
    created: String,
    created_iso: String,
    last_seen: String,
    last_seen_iso: String,
    current: bool,
}

impl SessionRow {
    pub(super) fn new(key: &SessionKey, s: &Session, current: bool) -> Self {
        Self {
            key: key.as_str().to_owned(),
            handle: key.short().to_owned(),
            device: label(&s.user_agent),
            ip: s.ip.clone(),
            two_factor: s.level >= crate::domain::session::AuthLevel::TwoFactor,
            created: datetime(s.created_at),
            created_iso: rfc3339(s.created_at),
            last_seen: datetime(s.last_seen),
            last_seen_iso: rfc3339(s.last_seen),
            current,
        }
    }
}

#[derive(Serialize)]
struct SessionsPage<'a> {
    title: Msg,
    username: &'a str,
    sessions: Vec<SessionRow>,
    others: bool,
    error: Option<Msg>,
    notice: Option<Msg>,
}

impl Template for SessionsPage<'_> {
    const NAME: &'static str = "sessions.html";
}

/// The sessions page: the current session first, then the others, most recently used first.
async fn sessions_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    status: StatusCode,
    (error, notice): (Option<Msg>, Option<Msg>),
) -> Result<Response<Body>, WebError> {
    let list = app.sessions.list_active(&s.user, ctx.now).await?;
    let mut sessions = vec![SessionRow::new(&s.key, &s.session, true)];
    sessions.extend(
        list.iter()
            .filter(|(key, _)| *key != s.key)
            .map(|(key, session)| SessionRow::new(key, session, false)),
    );
    let page = SessionsPage {
        title: Msg::new("sessions-title"),
        username: &s.user.username,
        others: sessions.len() > 1,
        sessions,
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

/// `GET /account/sessions[?done=…]`: with a notice after a sign-out (`revoked`, `others`) or
/// after the step-up a sign-out asked for (`confirmed`).
pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let done = query.map(|Query(q)| q.done).unwrap_or_default();
    let notice = match done.as_str() {
        "confirmed" => Some(Msg::new("sessions-confirmed")),
        "revoked" => Some(Msg::new("sessions-done-revoked")),
        "others" => Some(Msg::new("sessions-done-others")),
        _ => None,
    };
    sessions_page(&app, &ctx, &headers, &s, StatusCode::OK, (None, notice)).await
}

/// `POST /account/sessions/revoke`: ends one other session of the signed-in user.
pub(super) async fn revoke(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response<Body>, WebError> {
    // The current session is ended with "Sign out", which also clears the browser.
    let key = parse_key(&form.session).filter(|k| *k != s.key);
    let ended = match &key {
        Some(k) => app.sessions.revoke(s.user.id, k, ctx.now).await?,
        None => None,
    };
    match (ended, key) {
        (Some(_), Some(k)) => {
            audit!(event::SESSION_REVOKED, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = k.short(), by = s.key.short());
            Ok(see_other(
                &app.config.portal.url.path(&format!("{PAGE}?done=revoked")),
            ))
        }
        // Unknown, ended already, or not this user's: one answer for all.
        _ => {
            let missing = Some(Msg::new("common-session-not-found"));
            let status = StatusCode::NOT_FOUND;
            sessions_page(&app, &ctx, &headers, &s, status, (missing, None)).await
        }
    }
}

/// `POST /account/sessions/revoke-others`: ends every session of the user but this one.
pub(super) async fn revoke_others(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let ended = app.sessions.end_others(s.user.id, &s.key, ctx.now).await?;
    audit!(event::SESSIONS_REVOKED_OTHERS, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = s.key.short(), sessions_ended = ended);
    Ok(see_other(
        &app.config.portal.url.path(&format!("{PAGE}?done=others")),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn only_64_hex_digits_name_a_session() {
        let hex = "ab".repeat(32);
        assert_eq!(
            parse_key(&hex).map(|k| k.as_str().to_owned()),
            Some(hex.clone())
        );
        assert_eq!(
            parse_key(&hex.to_uppercase()).map(|k| k.as_str().to_owned()),
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
