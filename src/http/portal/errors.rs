//! The one place that maps errors to pages (after kanidm `https/errors.rs`). The real
//! cause is logged once with the request id; the person sees a generic message and the id.
//! No internal error text ever reaches a response body.

use axum::body::Body;
use http::{Response, StatusCode, header};
use serde_json::json;

use crate::http::request::RequestCtx;
use crate::http::state::AppState;

/// Everything that ends in an error page.
#[derive(Debug)]
pub enum PageError {
    /// The request was malformed (reason is safe to show: it names the rule, not our state).
    BadRequest(&'static str),
    /// No such portal page.
    NotFound,
    /// Wrong method for a portal page (GET on a POST-only action, TRACE…).
    MethodNotAllowed,
    /// A form failed its CSRF check.
    CsrfFailed,
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
    /// The upstream could not be reached.
    BadGateway(String),
    /// The upstream did not answer in time.
    GatewayTimeout,
    /// Anything else.
    Internal(String),
}

impl PageError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", why),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is no page here."),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                "This address does not accept that kind of request.",
            ),
            Self::CsrfFailed => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form has expired or was sent from another site. Reload the page and try again.",
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Access denied",
                "Your account is not allowed to open this page.",
            ),
            Self::SecondFactorRequired => (
                StatusCode::FORBIDDEN,
                "Two-factor authentication required",
                "This page requires two-factor authentication. Turn it on from your account security page (Account security, on the sign-in portal), then open this page again.",
            ),
            Self::UnknownHost => (
                StatusCode::MISDIRECTED_REQUEST,
                "Unknown site",
                "This gateway does not serve that host name.",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "The form or request was larger than allowed.",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Sign-in is temporarily unavailable. Try again in a moment.",
            ),
            Self::BadGateway(_) => (
                StatusCode::BAD_GATEWAY,
                "Application unreachable",
                "The application behind this gateway is not answering.",
            ),
            Self::GatewayTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "Application timed out",
                "The application behind this gateway took too long to answer.",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The gateway could not complete the request.",
            ),
        }
    }
}

/// Renders an error page, logging the internal cause once.
pub fn error_page(app: &AppState, ctx: Option<&RequestCtx>, err: PageError) -> Response<Body> {
    error_page_with_id(app, ctx.map_or("-", |c| c.request_id.as_str()), err)
}

/// Renders an error page for a request that has an id but no context (refused before one
/// could be built).
pub fn error_page_with_id(app: &AppState, request_id: &str, err: PageError) -> Response<Body> {
    match &err {
        PageError::Unavailable(cause)
        | PageError::BadGateway(cause)
        | PageError::Internal(cause) => {
            tracing::error!(request_id, cause = %cause, "request failed");
        }
        _ => {}
    }
    let (status, heading, message) = err.parts();
    let mut resp = render(
        app,
        status,
        "message.html",
        json!({ "title": heading, "heading": heading, "message": message, "request_id": request_id }),
    );
    app.headers.apply(resp.headers_mut());
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().insert(
            header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD, POST"),
        );
    }
    resp
}

/// Renders a template into an HTML response, with a plain-text fallback when the
/// (operator-overridable) template fails.
pub fn render(
    app: &AppState,
    status: StatusCode,
    template: &str,
    mut ctx: serde_json::Value,
) -> Response<Body> {
    if let Some(obj) = ctx.as_object_mut() {
        obj.insert("site_title".into(), json!(app.config.portal.title));
        obj.insert("css".into(), json!(crate::http::pages::CSS));
        obj.insert("base".into(), json!(app.config.portal.url.base_path));
    }
    let body = match app.pages.render(template, &ctx) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(template, error = %e, "template failed to render");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The gateway could not render this page.",
            );
        }
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// A plain-text response.
pub fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
