//! The signed-in page, logout, and the portal's 404/405 pages.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::errors::{PageError, WebError};
use super::extract::{CsrfForm, CurrentSession};
use super::forms::see_other;
use super::login::safe_rd;
use super::view::{self, Message, Template};
use crate::audit;
use crate::audit::event;
use crate::domain::host::HostPattern;
use crate::domain::rules::{Decision, Identity, RequestFacts, decide_for_site};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::sessions::Resolved;

#[derive(Deserialize)]
pub(super) struct LogoutForm {
    /// Where to go once signed out (an app's "after logout" page), validated before use.
    #[serde(default)]
    rd: String,
}

#[derive(Deserialize, Default)]
pub(super) struct LogoutQuery {
    #[serde(default)]
    rd: String,
}

/// `home.html`: who is signed in, their apps, with the sign-out button (`confirm`: the
/// question asked before signing out from a foreign page's link).
#[derive(Serialize)]
struct HomePage<'a> {
    title: Msg,
    confirm: bool,
    username: &'a str,
    display_name: &'a str,
    /// Carried by the sign-out form; empty on the signed-in page.
    rd: &'a str,
    apps: Vec<AppLink<'a>>,
    is_admin: bool,
}

/// A named site the user may open, as the home page lists it.
#[derive(Serialize)]
struct AppLink<'a> {
    name: &'a str,
    url: String,
    icon: Option<&'a str>,
    /// The rules ask for a second factor there (the user has one, or will be asked to set it up).
    two_factor: bool,
}

/// The named sites (with one host, not a wildcard) whose rules let this user open their
/// first page: the same decision a request there would get, judged from here.
fn apps<'a>(app: &'a AppState, s: &Resolved, ctx: &RequestCtx) -> Vec<AppLink<'a>> {
    let identity = Identity {
        username: &s.user.username,
        groups: &s.user.groups,
        level: s.session.level,
    };
    let portal = &app.config.portal.url;
    let scheme = if portal.https { "https" } else { "http" };
    let port = portal.port.map(|p| format!(":{p}")).unwrap_or_default();
    app.config
        .sites
        .iter()
        .filter_map(|site| {
            let (Some(name), HostPattern::Exact(host)) = (&site.name, &site.host) else {
                return None;
            };
            let facts = RequestFacts {
                host,
                path: &site.path_prefix,
                method: "GET",
                client_ip: ctx.client_ip,
            };
            let decision = decide_for_site(
                &app.config.access,
                &facts,
                Some(&identity),
                site.case_insensitive_paths,
            );
            let two_factor = match decision {
                Decision::Allow => false,
                Decision::SecondFactor | Decision::Passkey => true,
                Decision::Login | Decision::Forbidden => return None,
            };
            Some(AppLink {
                name,
                url: format!("{scheme}://{host}{port}{}", site.path_prefix),
                icon: site.icon.as_ref().map(|i| i.url.as_str()),
                two_factor,
            })
        })
        .collect()
}

impl Template for HomePage<'_> {
    const NAME: &'static str = "home.html";
}

/// `GET <portal>/`: who am I, my apps, account and admin links, a sign-out button; the login
/// page when signed out.
pub(super) async fn home(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(s): CurrentSession,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let Some(s) = s else {
        return Ok(see_other(&app.config.portal.url.path("/login")));
    };
    let page = HomePage {
        title: Msg::new("home-title"),
        confirm: false,
        username: &s.user.username,
        display_name: &s.user.display_name,
        rd: "",
        apps: apps(&app, &s, &ctx),
        is_admin: s.user.groups.contains(&app.config.admin.group),
    };
    Ok(view::form(&app, &headers, StatusCode::OK, &page))
}

/// `POST <portal>/logout`: ends the session on the server and clears the browser
/// (docs/security.md#sign-out); then goes to `rd` when it is an allowed target.
pub(super) async fn logout(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(s): CurrentSession,
    CsrfForm(form): CsrfForm<LogoutForm>,
) -> Result<Response<Body>, WebError> {
    sign_out(&app, &ctx, s, &form.rd).await
}

/// `GET <portal>/logout?rd=…`, the URL an app's "Sign out" link can open. A navigation from
/// the same site signs out at once; from anywhere else (or an unknown origin) it asks first,
/// so a foreign page cannot sign users out. Signed out already: the signed-out page, or `rd`;
/// reloading it is harmless.
pub(super) async fn logout_link(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    CurrentSession(s): CurrentSession,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Result<Response<Body>, WebError> {
    let same_site = matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("same-origin" | "same-site")
    );
    match s {
        Some(s) if !same_site => {
            let page = HomePage {
                title: Msg::new("logout-title"),
                confirm: true,
                username: &s.user.username,
                display_name: &s.user.display_name,
                rd: &safe_rd(&app, &ctx, &q.rd),
                apps: Vec::new(),
                is_admin: false,
            };
            Ok(view::form(&app, &headers, StatusCode::OK, &page))
        }
        s => sign_out(&app, &ctx, s, &q.rd).await,
    }
}

/// Ends session `s` (if any, audited), then the signed-out page or `rd`, clearing the browser.
async fn sign_out(
    app: &AppState,
    ctx: &RequestCtx,
    s: Option<Resolved>,
    rd: &str,
) -> Result<Response<Body>, WebError> {
    if let Some(s) = s {
        app.sessions.end(&s.key).await?;
        audit!(event::LOGOUT, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, session = s.key.short());
    }
    let rd = safe_rd(app, ctx, rd);
    let mut resp = if rd.is_empty() {
        let login = app.config.portal.url.path("/login");
        let page = Message {
            title: Msg::new("signed-out-title"),
            ..Message::new(
                Msg::new("signed-out-heading"),
                Msg::new("signed-out-message"),
            )
        }
        .link(&login, Msg::new("signed-out-again"));
        view::html(app, StatusCode::OK, &page)
    } else {
        see_other(&rd)
    };
    // Gatehouse's own cookies are expired by name. Never `Clear-Site-Data: "cookies"`:
    // browsers apply it to the whole registrable domain, so it would sign the user out of
    // every other app there and forget this browser's remembered device.
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, app.cookies.clear_session(&ctx.host));
    h.append(header::SET_COOKIE, app.cookies.clear_pending());
    h.insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    Ok(resp)
}

/// Any path the portal does not serve: the 404 page (rendered by `errors::finish`).
pub(super) async fn not_found() -> Result<Response<Body>, WebError> {
    Err(PageError::NotFound.into())
}

/// A portal path asked with a method it does not take: the 405 page.
pub(super) async fn method_not_allowed() -> Result<Response<Body>, WebError> {
    Err(PageError::MethodNotAllowed.into())
}
