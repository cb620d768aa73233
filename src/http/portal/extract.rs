//! What a portal handler needs, resolved before it runs (after kanidm's
//! `https/extractors`): the request context, the session (looked up at most once per
//! request, whichever extractors ask), a signed-in user, an administrator, a recent step-up,
//! and a CSRF-checked form. Each rejects with a [`WebError`], so a handler's first line is
//! already past every guard.
//!
//! Guards run in argument order, the form last (it reads the body): a request without a
//! session goes to the login page before its form is looked at, so nothing a cross-site form
//! sends is read for a browser that is not signed in.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use http::Method;
use http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::errors::{PageError, WebError};
use super::forms::csrf_ok;
use crate::audit;
use crate::audit::event;
use crate::domain::user::Username;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::sessions::Resolved;
use crate::service::users::{Actor, AdminAction, UserError};

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        ctx(parts).cloned()
    }
}

/// The context `App::handle` put on every portal request.
fn ctx(parts: &Parts) -> Result<&RequestCtx, WebError> {
    parts
        .extensions
        .get::<RequestCtx>()
        .ok_or_else(|| PageError::Internal("portal request without a context".into()).into())
}

/// The session this request's cookie names, looked up once and remembered in the request.
#[derive(Clone)]
struct Looked(Option<Resolved>);

async fn session(parts: &mut Parts, app: &AppState) -> Result<Option<Resolved>, WebError> {
    if let Some(Looked(s)) = parts.extensions.get::<Looked>() {
        return Ok(s.clone());
    }
    let ctx = ctx(parts)?;
    let s = app
        .current_session(&parts.headers, &ctx.host, ctx.now)
        .await?;
    parts.extensions.insert(Looked(s.clone()));
    Ok(s)
}

/// The session, if any, whatever its state (the login page, sign-out, the password change).
pub(super) struct CurrentSession(pub Option<Resolved>);

impl FromRequestParts<Arc<AppState>> for CurrentSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, WebError> {
        Ok(Self(session(parts, app).await?))
    }
}

/// A signed-in user free to use the portal: without a session the browser goes to the login
/// page, and a user who must choose a new password goes to the change page, first.
pub(super) struct SignedIn(pub Resolved);

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, WebError> {
        match session(parts, app).await? {
            Some(s) if s.user.must_change_password => Err(WebError::MustChangePassword {
                back_to: back_to(app, parts),
            }),
            Some(s) => Ok(Self(s)),
            None => Err(WebError::SignIn {
                back_to: back_to(app, parts),
            }),
        }
    }
}

/// A signed-in member of the admin group; anyone else signed in gets the 403 page (audited).
pub(super) struct Admin(pub Resolved);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, WebError> {
        let SignedIn(s) = SignedIn::from_request_parts(parts, app).await?;
        match app
            .admin
            .permit(&actor(&s), None, AdminAction::Manage)
            .await
        {
            Ok(()) => Ok(Self(s)),
            Err(UserError::Refused(_)) => {
                let ctx = ctx(parts)?;
                audit!(event::ADMIN_DENIED, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, path = %crate::audit::Clean(ctx.path.decoded()));
                Err(PageError::Forbidden.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The administrator behind an action, as the user-admin service knows them.
pub(super) fn actor(s: &Resolved) -> Actor {
    Actor::Admin {
        user: s.user.clone(),
        session: s.key.clone(),
    }
}

/// A guard whose session also entered its password within `two_factor.step_up_window`
/// (`Fresh<SignedIn>`, `Fresh<Admin>`); a stale one gets the password prompt and nothing
/// changes until then. A POST's form is kept for the session and carried out once the
/// password is confirmed (`stepup`); a page (GET) comes back to itself.
pub(super) struct Fresh<G>(pub Resolved, pub std::marker::PhantomData<G>);

/// The guards a [`Fresh`] can wrap.
pub(super) trait Guard: FromRequestParts<Arc<AppState>, Rejection = WebError> {
    fn session(self) -> Resolved;
}

impl Guard for SignedIn {
    fn session(self) -> Resolved {
        self.0
    }
}

impl Guard for Admin {
    fn session(self) -> Resolved {
        self.0
    }
}

impl<G: Guard + Send> FromRequestParts<Arc<AppState>> for Fresh<G> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, WebError> {
        let s = G::from_request_parts(parts, app).await?.session();
        let now = ctx(parts)?.now;
        if fresh(app, &s, now) {
            return Ok(Self(s, std::marker::PhantomData));
        }
        let back = back_to(app, parts);
        let (next, rd) = if back.starts_with("/admin") {
            ("admin", app.config.portal.url.url(&back))
        } else if back == "/account/sessions" {
            ("sessions", String::new())
        } else if back.starts_with("/account/2fa/enable") {
            ("enable", String::new())
        } else {
            ("", String::new())
        };
        // A posted form is kept and carried out after the password (`stepup`).
        let post = parts.method == Method::POST;
        Err(WebError::StepUp {
            username: s.user.username.clone(),
            next,
            rd,
            status: if post {
                http::StatusCode::UNAUTHORIZED
            } else {
                http::StatusCode::OK
            },
            keep: post.then(|| Box::new(s.key.clone())),
        })
    }
}

/// Whether the last password entry is within the step-up window.
pub(super) fn fresh(app: &AppState, s: &Resolved, now: i64) -> bool {
    s.session
        .stepped_up_within(now, app.config.two_factor.step_up_window)
}

/// The portal page (a path under the portal) a browser comes back to after signing in or
/// confirming its password: the page itself for a GET, else the page that holds the form.
fn back_to(app: &AppState, parts: &Parts) -> String {
    let Ok(ctx) = ctx(parts) else {
        return "/account".to_owned();
    };
    let path = ctx.path.encoded();
    let rel = path
        .strip_prefix(app.config.portal.url.base_path.as_str())
        .unwrap_or(path);
    page_of(&parts.method, rel, ctx.query.as_deref())
}

fn page_of(method: &Method, rel: &str, query: Option<&str>) -> String {
    if method == Method::GET || method == Method::HEAD {
        return match query {
            Some(q) => format!("{rel}?{q}"),
            None => rel.to_owned(),
        };
    }
    let segments: Vec<&str> = rel.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["admin", "users"] => "/admin/users/new".to_owned(),
        ["admin", "users", name, ..] => match Username::parse(name) {
            Ok(name) => format!("/admin/users/{name}"),
            Err(_) => "/admin".to_owned(),
        },
        ["admin", ..] => "/admin".to_owned(),
        ["account", "sessions", ..] => "/account/sessions".to_owned(),
        ["account", "2fa", "enable"] => "/account/2fa/enable".to_owned(),
        ["account", "password"] => "/account/password".to_owned(),
        ["login"] => "/login".to_owned(),
        ["login", "2fa"] => "/login/2fa".to_owned(),
        // A reset form's token is never taken from a refused post: ask for a new link.
        ["forgot"] | ["reset"] => "/forgot".to_owned(),
        // Never `/logout`: a link there signs a same-site navigation out.
        ["logout"] => "/".to_owned(),
        _ => "/account".to_owned(),
    }
}

/// A form that passed its CSRF checks (`csrf` field, cookie, `Origin`/`Sec-Fetch-Site`;
/// docs/security.md#login-csrf). A malformed form is the 400 page, one over the size limit
/// the 413 page; a failed check (audited) changes nothing and goes back to the page holding
/// the form, which says it had expired (`expired`).
pub(super) struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

/// A form with no field but its CSRF token.
#[derive(Deserialize)]
pub(super) struct NoFields {}

impl<T: DeserializeOwned + Send> FromRequest<Arc<AppState>> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, app: &Arc<AppState>) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let ctx = ctx(&parts)?.clone();
        let page = back_to(app, &parts);
        let headers = std::mem::take(&mut parts.headers);
        let mut req = Request::from_parts(parts, body);
        // `Form` needs the content type; the rest of the head stays with us for the checks.
        if let Some(ct) = headers.get(http::header::CONTENT_TYPE) {
            req.headers_mut()
                .insert(http::header::CONTENT_TYPE, ct.clone());
        }
        let Form(form) =
            Form::<WithToken<T>>::from_request(req, app)
                .await
                .map_err(|e| match e {
                    FormRejection::BytesRejection(_) => PageError::TooLarge,
                    _ => PageError::BadRequest("bad-request-incomplete-form"),
                })?;
        if !csrf_ok(app, &ctx, &headers, &form.csrf) {
            return Err(WebError::FormExpired { page });
        }
        Ok(Self(form.fields))
    }
}

#[cfg(test)]
mod tests {
    use super::page_of;
    use http::Method;

    #[test]
    fn a_get_comes_back_to_itself() {
        assert_eq!(page_of(&Method::GET, "/admin", Some("q=al")), "/admin?q=al");
        assert_eq!(page_of(&Method::GET, "/account", None), "/account");
    }

    #[test]
    fn a_post_comes_back_to_the_page_holding_its_form() {
        let cases = [
            ("/admin/users", "/admin/users/new"),
            ("/admin/users/Alice/disable", "/admin/users/alice"),
            ("/admin/users/alice/sessions/revoke", "/admin/users/alice"),
            ("/admin/users/a%20b/enable", "/admin"),
            ("/account/sessions/revoke-others", "/account/sessions"),
            ("/account/2fa/enable", "/account/2fa/enable"),
            ("/account/2fa/disable", "/account"),
            ("/account/password", "/account/password"),
            ("/account/devices/forget", "/account"),
            ("/account/reauth", "/account"),
            ("/login", "/login"),
            ("/login/2fa", "/login/2fa"),
            ("/reset", "/forgot"),
            ("/logout", "/"),
        ];
        for (path, page) in cases {
            assert_eq!(page_of(&Method::POST, path, None), page, "{path}");
        }
    }
}
