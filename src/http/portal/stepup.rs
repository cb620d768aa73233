//! Step-up that finishes the job (docs/security.md#step-up): the form a stale session posted
//! is kept server-side while the password prompt is shown, and carried out once the password
//! is confirmed, so the person does not have to find and click it again.
//!
//! The pieces, in the order a request meets them:
//! - [`buffer`] (in the `finish` layer) keeps a copy of a small POST body, since the step-up
//!   guard runs on the head only and rejects before any handler reads the body;
//! - [`keep`] (rendering the prompt) stores that form as a [`PendingAction`] under the
//!   session's key, only when its CSRF token is valid (a forged POST keeps nothing) and it
//!   holds no secret; at most one per session, for the step-up window;
//! - [`confirmed`] (the reauth handler, after the password) takes it, once, atomically;
//! - [`replay`] (a layer around the portal router) posts it through the same router again,
//!   as the rotated session with a fresh CSRF token, and answers with what the action answers.
//!
//! It never runs an action of another session: the action is keyed by the session that posted
//! it, and taken with that session's key after its own password was checked.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use http::{HeaderMap, HeaderValue, Method, Response, header};
use tower::ServiceExt;

use super::account::with_session;
use super::errors::{WebError, error_page};
use super::forms::{csrf_cookie, csrf_ok};
use crate::audit;
use crate::audit::event;
use crate::domain::path::normalize_path;
use crate::domain::pending::PendingAction;
use crate::domain::session::{SessionId, SessionKey};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::sessions::Resolved;

/// Shown on the password prompt when the form that asked for it was kept (catalog key).
pub(super) const KEPT: &str = "reauth-kept";

/// A copy of the body of a portal POST small enough to be a form (`server.max_form_bytes`).
#[derive(Clone)]
pub(super) struct Posted(pub Bytes);

/// Reads the body of a POST whose declared length fits a portal form, and puts it back for
/// the handler; anything else passes untouched (and gets the handler's own limit). Browsers
/// always declare the length of a url-encoded form.
pub(super) async fn buffer(req: Request, max: usize) -> (Request, Option<Posted>) {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if req.method() != Method::POST || declared.is_none_or(|n| n > max) {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    // hyper holds the body to its declared length; a failed read leaves an empty form,
    // which the handler refuses.
    let bytes = axum::body::to_bytes(body, max).await.unwrap_or_default();
    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    (req, Some(Posted(bytes)))
}

/// Keeps the form `posted` to this request's path for session `key`, when its CSRF check
/// passes and it holds no secret; says whether it was kept.
pub(super) async fn keep(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    key: &SessionKey,
    posted: &Posted,
) -> bool {
    let fields: Vec<(String, String)> = form_urlencoded::parse(&posted.0).into_owned().collect();
    let token = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map_or("", |(_, v)| v.as_str());
    if !csrf_ok(app, ctx, headers, token) {
        return false;
    }
    let max = app.config.server.max_form_bytes;
    let Ok(action) = PendingAction::keep(ctx.path.encoded(), fields, ctx.now, max) else {
        return false;
    };
    let window = app.config.two_factor.step_up_window;
    match app
        .sessions
        .keep_pending(key, &action, window, ctx.now)
        .await
    {
        Ok(()) => true,
        Err(e) => {
            // The prompt still works; the action has to be repeated, as the page says.
            tracing::warn!(request_id = %ctx.request_id, error = %e, "pending action not kept");
            false
        }
    }
}

/// What [`replay`] carries out after the reauth handler answered.
#[derive(Clone)]
struct Replay {
    action: PendingAction,
    session: SessionId,
}

/// The answer to a confirmed password: the action session `s` kept, taken once and marked
/// for [`replay`] as the rotated session `id`; without one, `fallback` (back to the page).
pub(super) async fn confirmed(
    app: &AppState,
    ctx: &RequestCtx,
    (s, id): (&Resolved, &SessionId),
    fallback: Response<Body>,
) -> Result<Response<Body>, WebError> {
    let window = app.config.two_factor.step_up_window;
    let taken = app.sessions.take_pending(&s.key, window, ctx.now).await?;
    let resp = match taken {
        Some(action) => {
            audit!(event::STEPUP_REPLAYED, user = %audit::Clean(&s.user.username), ip = %ctx.client_ip, path = %audit::Clean(&action.path));
            let mut resp = Response::new(Body::empty());
            resp.extensions_mut().insert(Replay {
                action,
                session: id.clone(),
            });
            resp
        }
        None => fallback,
    };
    with_session(app, ctx, resp, id).await
}

/// The layer around the portal router (`again` is that router without this layer, so an
/// action is never replayed twice): carries out the action a confirmation marked, and
/// answers with its answer, after the confirmation's cookies.
pub(super) async fn replay(
    State((app, again)): State<(Arc<AppState>, Router)>,
    req: Request,
    next: Next,
) -> Response<Body> {
    let ctx = req.extensions().get::<RequestCtx>().cloned();
    let headers = req.headers().clone();
    let mut resp = next.run(req).await;
    let Some(marked) = resp.extensions_mut().remove::<Replay>() else {
        return resp;
    };
    let Some(ctx) = ctx else {
        return resp;
    };
    let Some(req) = replayed(&app, &ctx, &headers, &marked) else {
        let err = super::errors::PageError::Internal("a kept action was unusable".into());
        return error_page(&app, Some(&ctx), err);
    };
    let mut answer = match again.oneshot(req).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    // The rotated session's cookie first, then whatever the action set (it wins).
    let own = take_set_cookies(answer.headers_mut());
    for v in resp.headers().get_all(header::SET_COOKIE) {
        answer.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    for v in own {
        answer.headers_mut().append(header::SET_COOKIE, v);
    }
    answer
}

/// The kept form as a request of the rotated session: the browser's head (its CSRF cookie and
/// origin, which the reauth form just passed with), the new session cookie, a fresh token.
fn replayed(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    marked: &Replay,
) -> Option<Request> {
    let path = normalize_path(&marked.action.path).ok()?;
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &marked.action.fields {
        body.append_pair(name, value);
    }
    let (csrf, _) = csrf_cookie(app, headers);
    body.append_pair("csrf", &app.csrf.token_for(&csrf));
    let body = body.finish();
    let mut head = headers.clone();
    head.remove(header::CONTENT_LENGTH);
    head.remove(header::TRANSFER_ENCODING);
    let cookie = with_cookie(headers, app.cookies.session_name(), marked.session.expose());
    head.insert(header::COOKIE, HeaderValue::from_str(&cookie).ok()?);
    head.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let mut req = Request::post(&marked.action.path)
        .body(Body::from(body))
        .ok()?;
    *req.headers_mut() = head;
    req.extensions_mut().insert(RequestCtx {
        path,
        query: None,
        ..ctx.clone()
    });
    Some(req)
}

/// The browser's `Cookie` header with `name` set to `value` (every other cookie kept).
fn with_cookie(headers: &HeaderMap, name: &str, value: &str) -> String {
    let mut pairs: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{name}={value}"));
    pairs.join("; ")
}

/// Every `Set-Cookie` of `headers`, removed (`HeaderMap::remove` returns only the first).
fn take_set_cookies(headers: &mut HeaderMap) -> Vec<HeaderValue> {
    match headers.entry(header::SET_COOKIE) {
        http::header::Entry::Occupied(e) => e.remove_entry_mult().1.collect(),
        http::header::Entry::Vacant(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::with_cookie;
    use http::{HeaderMap, HeaderValue, header};

    #[test]
    fn the_session_cookie_is_replaced_and_the_rest_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gh_session=old; gh_csrf=t"),
        );
        assert_eq!(
            with_cookie(&h, "gh_session", "new"),
            "a=1; gh_csrf=t; gh_session=new"
        );
    }
}
