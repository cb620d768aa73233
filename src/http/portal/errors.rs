//! The one place that maps errors to pages (after kanidm `https/errors.rs`). The real
//! cause is logged once with the request id; the person sees a generic message and the id.
//! No internal error text ever reaches a response body.
//!
//! Handlers and extractors return [`WebError`]; its `IntoResponse` only marks the response,
//! and [`finish`], the layer around the portal router, renders the mark with the state and the
//! request (the CSRF cookie for the step-up prompt, the request id for error pages).

use axum::body::Body;
use http::{Response, StatusCode, header};

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::IntoResponse;
use http::HeaderMap;

use super::expired;
use super::forms::{see_other, with_rd};
use super::stepup::{self, Posted};
use super::view::{self, Message, Reauth, html_with_id};
use crate::domain::session::SessionKey;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::users::UserError;
use crate::store::StoreError;

/// Everything that ends in an error page.
#[derive(Debug, Clone)]
pub enum PageError {
    /// The request was malformed: the catalog key of the reason (it names the rule, not our
    /// state).
    BadRequest(&'static str),
    /// No such portal page.
    NotFound,
    /// Wrong method for a portal page (GET on a POST-only action, TRACE…).
    MethodNotAllowed,
    /// Logged in (or not) and refused by policy.
    Forbidden,
    /// A two-factor rule met a user who has not set up two-factor (and enrolment is optional).
    SecondFactorRequired,
    /// No site for this host.
    UnknownHost,
    /// A form or header over the size limit.
    TooLarge,
    /// A store is down: fail closed.
    Unavailable(String),
    /// Password hashing is saturated and the attempt was refused before its hash: a 503
    /// with `Retry-After`, logged by the hasher once per interval, not once per page.
    Busy,
    /// The upstream could not be reached.
    BadGateway(String),
    /// The upstream did not answer in time.
    GatewayTimeout,
    /// Anything else.
    Internal(String),
}

/// Seconds a page refused as busy asks the browser to wait (`Retry-After`): about what a queued
/// hash waits before it is refused.
pub(super) const BUSY_RETRY_AFTER: i64 = 3;

impl PageError {
    /// The status, the heading and the sentence (catalog keys).
    fn parts(&self) -> (StatusCode, Msg, Msg) {
        let (status, heading, text) = match self {
            Self::BadRequest(why) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Msg::new("error-bad-request"),
                    Msg::new(why),
                );
            }
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "error-not-found",
                "error-not-found-text",
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "error-method",
                "error-method-text",
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "error-forbidden",
                "error-forbidden-text",
            ),
            Self::SecondFactorRequired => (
                StatusCode::FORBIDDEN,
                "error-two-factor",
                "error-two-factor-text",
            ),
            Self::UnknownHost => (
                StatusCode::MISDIRECTED_REQUEST,
                "error-unknown-host",
                "error-unknown-host-text",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "error-too-large",
                "error-too-large-text",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "error-unavailable",
                "error-unavailable-text",
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "error-unavailable",
                "error-busy-text",
            ),
            Self::BadGateway(_) => (
                StatusCode::BAD_GATEWAY,
                "error-bad-gateway",
                "error-bad-gateway-text",
            ),
            Self::GatewayTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "error-timeout",
                "error-timeout-text",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal",
                "error-internal-text",
            ),
        };
        (status, Msg::new(heading), Msg::new(text))
    }
}

/// Renders an error page, logging the internal cause once.
pub fn error_page(app: &AppState, ctx: Option<&RequestCtx>, err: PageError) -> Response<Body> {
    match (&err, ctx) {
        // Name the host the browser asked for (canonical, so safe to show), and the way to
        // the sign-in portal.
        (PageError::UnknownHost, Some(ctx)) => {
            let (status, heading, _) = err.parts();
            let message = Msg::new("error-unknown-host-named").with("host", ctx.host.as_str());
            let portal = app.config.portal.url.url("/");
            let page = Message::new(heading, message).link(&portal, Msg::new("error-go-to-portal"));
            html_with_id(app, status, &page, &ctx.request_id.to_string())
        }
        _ => error_page_with_id(
            app,
            &ctx.map_or_else(|| "-".to_owned(), |c| c.request_id.to_string()),
            err,
        ),
    }
}

/// Renders an error page with a way forward: a link (`href`, its text) under the message.
pub fn error_page_with_link(
    app: &AppState,
    ctx: &RequestCtx,
    err: PageError,
    (href, text): (&str, Msg),
) -> Response<Body> {
    let (status, heading, message) = err.parts();
    let page = Message::new(heading, message).link(href, text);
    html_with_id(app, status, &page, &ctx.request_id.to_string())
}

/// The 403 page for a signed-in user: who they are, and a link to sign in as someone else.
pub fn forbidden_page(
    app: &AppState,
    ctx: &RequestCtx,
    user: &str,
    switch: &str,
) -> Response<Body> {
    let (status, heading, _) = PageError::Forbidden.parts();
    let message = Msg::new("error-forbidden-who").with("who", user);
    let page = Message::new(heading, message).link(switch, Msg::new("error-switch-account"));
    html_with_id(app, status, &page, &ctx.request_id.to_string())
}

/// Renders an error page for a request that has an id but no context (refused before one
/// could be built).
pub fn error_page_with_id(app: &AppState, request_id: &str, err: PageError) -> Response<Body> {
    error_page_as(app, request_id, err, None)
}

/// A portal error page, naming `who` is signed in (with the way home and out) when known.
fn error_page_as(
    app: &AppState,
    request_id: &str,
    err: PageError,
    who: Option<&str>,
) -> Response<Body> {
    match &err {
        PageError::Unavailable(cause)
        | PageError::BadGateway(cause)
        | PageError::Internal(cause) => {
            tracing::error!(request_id, cause = %cause, "request failed");
        }
        _ => {}
    }
    let (status, heading, message) = err.parts();
    let page = Message::new(heading, message);
    let mut resp = view::html_for(app, status, &page, (request_id, who));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().insert(
            header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD, POST"),
        );
    }
    if matches!(err, PageError::Busy) {
        resp = super::forms::throttled(resp, BUSY_RETRY_AFTER);
    }
    resp
}

/// Everything a portal handler or extractor can end in instead of its page.
#[derive(Debug)]
pub enum WebError {
    /// A page the handler already made to say why it changed nothing (a form with the
    /// reason), sent as it is.
    Refused(Finished),
    /// An error page.
    Page(PageError),
    /// A form failed its CSRF check: nothing changed; back to `page` (a portal path, the
    /// page holding the form), which shows it again with a notice (`expired`).
    FormExpired { page: String },
    /// No session: the login page, then back to `back_to` (a portal path).
    SignIn { back_to: String },
    /// The account must choose a new password before anything else, then `back_to`.
    MustChangePassword { back_to: String },
    /// The action needs a password entered within the step-up window: the password prompt,
    /// which goes on to `next` (one of the pages `account::reauth_submit` knows) and `rd`.
    StepUp {
        username: String,
        next: &'static str,
        rd: String,
        status: StatusCode,
        /// The session whose posted form is kept and carried out after the password
        /// (`stepup::keep`); `None` for a page (a GET) or a form that is never kept. Boxed:
        /// a key keeps its digest beside its text, and every `Result` of a handler would carry
        /// its size.
        keep: Option<Box<SessionKey>>,
    },
}

impl From<PageError> for WebError {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        Self::Page(PageError::Unavailable(e.to_string()))
    }
}

/// A failure no form can explain (busy, store down, broken secret). Handlers match the
/// outcomes a form shows (wrong password, throttled) before using `?`.
impl From<AuthError> for WebError {
    fn from(e: AuthError) -> Self {
        Self::Page(match e {
            AuthError::Busy => PageError::Busy,
            AuthError::Crypto(cause) => PageError::Internal(chain(&*cause)),
            AuthError::NotOffered => PageError::NotFound,
            e => PageError::Unavailable(e.to_string()),
        })
    }
}

/// A user-admin failure no form explains: a missing user is a 404, a refusal a 403, a store
/// or hashing failure fails closed. Handlers show field errors on their form before `?`.
impl From<UserError> for WebError {
    fn from(e: UserError) -> Self {
        Self::Page(match e {
            UserError::NotFound(_) => PageError::NotFound,
            UserError::Refused(_) => PageError::Forbidden,
            UserError::Auth(e) => return e.into(),
            e => PageError::Unavailable(e.to_string()),
        })
    }
}

/// A finished page inside a [`WebError`]. The mutex only makes the error `Sync` (a body is
/// not), as the deferred errors must be; the page is taken once, by `into_response`.
#[derive(Debug)]
pub struct Finished(Box<std::sync::Mutex<Option<Response<Body>>>>);

impl WebError {
    /// The refusal page `page`, sent as it is.
    pub fn refused(page: Response<Body>) -> Self {
        Self::Refused(Finished(Box::new(std::sync::Mutex::new(Some(page)))))
    }
}

/// Carries a [`WebError`] from `into_response` to [`finish`].
#[derive(Clone)]
struct Deferred(Arc<WebError>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response<Body> {
        if let Self::Refused(Finished(page)) = self {
            if let Some(page) = page.into_inner().ok().flatten() {
                return page;
            }
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        resp.extensions_mut().insert(Deferred(Arc::new(self)));
        resp
    }
}

impl WebError {
    async fn render(
        &self,
        app: &AppState,
        ctx: Option<&RequestCtx>,
        headers: &HeaderMap,
        posted: Option<&Posted>,
    ) -> Response<Body> {
        let portal = &app.config.portal.url;
        match self {
            Self::Page(e) => page_for(app, ctx, headers, e.clone()).await,
            // Never deferred: `into_response` sends it as it is.
            Self::Refused(_) => error_page(
                app,
                ctx,
                PageError::Internal("a finished refusal was deferred".into()),
            ),
            Self::FormExpired { page } => see_other(&expired::target(app, page)),
            Self::SignIn { back_to } => see_other(&with_rd(app, "/login", &portal.url(back_to))),
            Self::MustChangePassword { back_to } => {
                see_other(&with_rd(app, "/account/password", &portal.url(back_to)))
            }
            Self::StepUp {
                username,
                next,
                rd,
                status,
                keep,
            } => {
                let kept = match (keep, ctx, posted) {
                    (Some(key), Some(ctx), Some(posted)) => {
                        stepup::keep(app, ctx, headers, key, posted).await
                    }
                    _ => false,
                };
                reauth(app, headers, *status, (username, next, rd), kept)
            }
        }
    }
}

/// The step-up password prompt; `kept`: it says the form that asked is carried out after it.
fn reauth(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    (username, next, rd): (&str, &str, &str),
    kept: bool,
) -> Response<Body> {
    let page = Reauth {
        title: Msg::new("reauth-title"),
        username,
        next,
        rd,
        error: None,
        kept: kept.then(|| Msg::new(stepup::KEPT)),
    };
    view::form(app, headers, status, &page)
}

/// A portal error page that says who is signed in, if anyone: a dead end no more, it offers
/// the portal home and sign-out. Failures of the stores themselves skip the lookup.
async fn page_for(
    app: &AppState,
    ctx: Option<&RequestCtx>,
    headers: &HeaderMap,
    err: PageError,
) -> Response<Body> {
    let Some(ctx) = ctx else {
        return error_page(app, None, err);
    };
    let looked_up = match err {
        PageError::Unavailable(_) | PageError::Internal(_) | PageError::BadGateway(_) => None,
        _ => app
            .current_session(headers, &ctx.host, ctx.now)
            .await
            .ok()
            .flatten(),
    };
    let who = looked_up.as_ref().map(|s| s.user.username.as_str());
    error_page_as(app, &ctx.request_id.to_string(), err, who)
}

/// The layer around the portal router that renders a [`WebError`] a handler or extractor
/// returned.
pub(super) async fn finish(
    State(app): State<Arc<AppState>>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    let ctx = req.extensions().get::<RequestCtx>().cloned();
    let headers = req.headers().clone();
    // A copy of the form, for a step-up that keeps it (`stepup`).
    let (req, posted) = stepup::buffer(req, app.config.server.max_form_bytes).await;
    let mut resp = expired::run(req, next).await;
    match resp.extensions_mut().remove::<Deferred>() {
        Some(Deferred(e)) => {
            e.render(&app, ctx.as_ref(), &headers, posted.as_ref())
                .await
        }
        None => resp,
    }
}

/// An error and its sources, for the log line (never a response body).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
