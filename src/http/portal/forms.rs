//! What every portal form shares: the CSRF cookie and token, the check on submit, rendering a
//! page that carries a form, and the `303 See Other` after a successful POST.

use axum::body::Body;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::audit;
use crate::audit::event;
use crate::http::cookies::{self, CSRF_COOKIE};
use crate::http::csrf::Csrf;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;

/// The CSRF cookie value of this browser, and a `Set-Cookie` when a new one was made.
pub(super) fn csrf_cookie(app: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookies::read(headers, CSRF_COOKIE) {
        Ok(Some(v)) if v.len() == 43 => (v.to_owned(), None),
        _ => {
            let v = Csrf::new_cookie_value();
            let set = app.cookies.csrf(&v);
            (v, Some(set))
        }
    }
}

/// Whether a submitted form passes the CSRF checks (docs/security.md#login-csrf); failures are audited.
pub(super) fn csrf_ok(app: &AppState, ctx: &RequestCtx, headers: &HeaderMap, token: &str) -> bool {
    let cookie = cookies::read(headers, CSRF_COOKIE).ok().flatten();
    let ok = app
        .csrf
        .verify(headers, &app.portal_origin(&ctx.host), cookie, token);
    if !ok {
        audit!(event::CSRF_REJECTED, ip = %ctx.client_ip, path = %crate::audit::Clean(ctx.path.decoded()));
    }
    ok
}

/// The portal URL of `page` carrying a validated `rd` along.
pub(super) fn with_rd(app: &AppState, page: &str, rd: &str) -> String {
    let url = app.config.portal.url.path(page);
    if rd.is_empty() {
        url
    } else {
        let rd: String = form_urlencoded::byte_serialize(rd.as_bytes()).collect();
        format!("{url}?rd={rd}")
    }
}

/// `303 See Other` to a validated target.
pub(super) fn see_other(target: &str) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(target) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// The message for a throttled step and the seconds to wait (for `Retry-After`).
pub(super) fn too_many(until: i64, now: i64) -> (Msg, i64) {
    let wait = until.saturating_sub(now).max(1);
    (
        Msg::new("common-too-many-attempts").with("wait", crate::i18n::wait(wait)),
        wait,
    )
}

/// A page with `Retry-After` for a throttled step.
pub(super) fn throttled(mut resp: Response<Body>, wait: i64) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
