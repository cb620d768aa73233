//! "Form expired" without a dead end (docs/security.md#login-csrf): a portal form whose CSRF
//! check failed (a tab left open past its cookie, a post from another site) changes nothing,
//! is audited, and sends the browser back to the page holding the form (`303`, marked
//! `?expired=1`), which shows it again with a fresh token and a notice.
//!
//! The notice reaches the page through a task-local set around that GET only, so no page
//! handler has to know about it: every page holding a form is rendered by `view::form`, which
//! asks [`notice`].

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use http::{Method, Response};

use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;

/// What the page says after a refused form (catalog key).
pub(super) const MESSAGE: &str = "common-form-expired";

/// The query that marks the page a refused form came back to.
const MARK: &str = "expired=1";

tokio::task_local! {
    static EXPIRED: bool;
}

/// Where a refused form sends the browser: `page` (a portal path without a query), marked.
pub(super) fn target(app: &AppState, page: &str) -> String {
    format!("{}?{MARK}", app.config.portal.url.path(page))
}

/// Runs `next`, with the notice on when this is a GET of a page a refused form came back to.
pub(super) async fn run(req: Request, next: Next) -> Response<Body> {
    let marked = req.method() == Method::GET
        && req
            .extensions()
            .get::<RequestCtx>()
            .and_then(|ctx| ctx.query.as_deref())
            .is_some_and(|q| q.split('&').any(|p| p == MARK));
    if marked {
        EXPIRED.scope(true, next.run(req)).await
    } else {
        next.run(req).await
    }
}

/// The notice for the page being rendered, if a refused form came back to it.
pub(crate) fn notice() -> Option<Msg> {
    EXPIRED
        .try_with(|on| *on)
        .unwrap_or(false)
        .then(|| Msg::new(MESSAGE))
}
