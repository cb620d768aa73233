//! Forward-auth endpoints: the gateway's decision for a proxy that stays in the data path
//! (nginx `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`). Thin over
//! `authz::authorize`, the same decision proxy mode uses (docs/architecture.md).
//!
//! Fail closed (docs/security.md#forward-auth-fail-closed): 2xx only for a request the policy allows, and every 2xx carries
//! all identity headers (empty when anonymous) so the proxy overwrites whatever a client sent.
//! Calls from peers outside `server.trusted_proxies` are refused: their forwarded headers
//! could describe any request.

pub mod request;

use axum::body::Body;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::audit;
use crate::audit::event;
use crate::domain::rules::{RequestFacts, prefix_matches};
use crate::http::authz::{Verdict, authorize, portal_location, portal_page};
use crate::http::headers::Answer;
use crate::http::proxy::headers::{IdentityValues, set_identity, write_identity};
use crate::http::request::RequestCtx;
use crate::http::request::{ConnInfo, is_navigation};
use crate::http::state::AppState;
use request::{Flavor, Original};

/// The endpoint paths, under the portal's base path and at the root of any host.
const AUTH_REQUEST: &str = "/api/authz/auth-request";
const FORWARD_AUTH: &str = "/api/authz/forward-auth";

/// Which endpoint a canonical path names, if any.
pub fn flavor(path: &str, portal_base: &str) -> Option<Flavor> {
    let rel = path
        .strip_prefix(portal_base)
        .filter(|r| r.starts_with('/'))
        .unwrap_or(path);
    match rel {
        AUTH_REQUEST => Some(Flavor::AuthRequest),
        FORWARD_AUTH => Some(Flavor::ForwardAuth),
        _ => None,
    }
}

/// Every decision is a status and headers with an empty body: nginx reads only the head of an
/// auth subrequest, so a body would stop it from reusing the connection to Gatehouse.
fn answer(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn redirect(status: StatusCode, location: &str) -> Response<Body> {
    let mut resp = answer(status);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Whether the original request is for the portal itself, which is always public: otherwise a
/// proxy that protects the portal's own location would send the login page to the login page.
fn is_portal(app: &AppState, o: &Original) -> bool {
    let Some(portal) = app.config.portal_at(&o.host) else {
        return false;
    };
    let base = if portal.base_path.is_empty() {
        "/"
    } else {
        portal.base_path.as_str()
    };
    prefix_matches(base, o.path.decoded())
}

/// A forward-auth call that passed the checks that need no store: what deciding it holds
/// while the session is looked up. Nothing of the call's own URL is kept (it names the
/// endpoint, not the request to judge), so the waiting part stays small (bench/changes.md).
pub struct Pending {
    original: Original,
    flavor: Flavor,
    client_ip: std::net::IpAddr,
    now: i64,
    request_id: crate::audit::RequestId,
}

/// A forward-auth call after the checks that need no store.
pub enum Checked {
    /// Answered already: refused, or a request for the portal itself.
    Answered(Answer<Body>),
    /// To be decided once the session is looked up (`decide`).
    Pending(Pending),
}

/// The checks of a forward-auth call that need no store: the peer must be a trusted proxy,
/// the forwarded headers must describe a request, and the portal itself is always public.
pub fn check(
    app: &AppState,
    headers: &http::HeaderMap,
    ctx: &RequestCtx,
    conn: ConnInfo,
    flavor: Flavor,
) -> Checked {
    if !app.config.server.trusted_proxies.contains(conn.peer.ip()) {
        audit!(event::REQUEST_REJECTED, ip = %conn.peer.ip(), reason = "forward-auth call from an untrusted peer");
        return Checked::Answered(Answer::Own(answer(StatusCode::FORBIDDEN)));
    }
    let original = match request::parse(flavor, headers) {
        Ok(o) => o,
        Err(why) => {
            audit!(event::REQUEST_REJECTED, ip = %ctx.client_ip, reason = ?why);
            return Checked::Answered(Answer::Own(answer(StatusCode::BAD_REQUEST)));
        }
    };
    if is_portal(app, &original) {
        return Checked::Answered(allowed(None, http::HeaderMap::with_capacity(4)));
    }
    Checked::Pending(Pending {
        original,
        flavor,
        client_ip: ctx.client_ip,
        now: ctx.now,
        request_id: ctx.request_id,
    })
}

/// Decides a checked forward-auth call: the same decision proxy mode makes. An allow answer
/// takes the call's header map (`headers` is left empty): see [`allowed`].
pub async fn decide(app: &AppState, headers: &mut http::HeaderMap, call: &Pending) -> Answer<Body> {
    let original = &call.original;
    let facts = RequestFacts {
        host: &original.host,
        path: original.path.decoded(),
        method: &original.method,
        client_ip: call.client_ip,
    };
    let site = app.sites.route(facts.host, facts.path);
    let verdict = authorize(app, headers, &facts, site, call.now).await;
    decision(app, headers, call, verdict)
}

/// The answer for a verdict: identity headers, the portal page to send the browser to (as
/// each proxy expects it), or a refusal; a store failure fails closed.
fn decision(
    app: &AppState,
    headers: &mut http::HeaderMap,
    call: &Pending,
    verdict: crate::store::StoreResult<Verdict>,
) -> Answer<Body> {
    let original = &call.original;
    let refused = match verdict {
        Ok(Verdict::Allow(session)) => {
            return allowed(session.as_deref(), std::mem::take(headers));
        }
        // The same portal page as proxy mode: login, the code step or enrolment.
        Ok(
            v
            @ (Verdict::Login | Verdict::SecondFactor | Verdict::Enroll | Verdict::PasswordChange),
        ) => {
            let page = portal_page(&v).unwrap_or("/login");
            let location = portal_location(app, page, &original.url(), &original.host);
            match call.flavor {
                // nginx turns 401 into a redirect with `error_page 401 =302 $loc`.
                Flavor::AuthRequest => redirect(StatusCode::UNAUTHORIZED, &location),
                // Judged on the original request (Caddy always calls with GET).
                Flavor::ForwardAuth if is_navigation(&original.method, &*headers) => {
                    redirect(StatusCode::FOUND, &location)
                }
                Flavor::ForwardAuth => redirect(StatusCode::UNAUTHORIZED, &location),
            }
        }
        Ok(Verdict::NoSecondFactor | Verdict::Forbidden(_)) => answer(StatusCode::FORBIDDEN),
        Err(e) => {
            tracing::error!(request_id = %call.request_id, cause = %e, "forward-auth failed closed");
            answer(StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    Answer::Own(refused)
}

/// 200 with every identity header, empty when the request is anonymous (a bypass rule).
///
/// The answer's headers go into `spare`, emptied: the call's own header map when there is one.
/// hyper keeps the header map of each answer it writes and parses the connection's next
/// request head into it. Handed back the call's map, it finds one already the size of the
/// proxy's calls; handed a map of four, it grew it for every call (about 1.2 KiB for the
/// eight headers nginx sends), and the call's map was freed: both past glibc's per-thread
/// cache, on malloc's slow path (bench/changes.md).
fn allowed(
    session: Option<&crate::service::sessions::Resolved>,
    mut spare: http::HeaderMap,
) -> Answer<Body> {
    spare.clear();
    match session {
        Some(s) => write_identity(&mut spare, &s.user),
        None => set_identity(&mut spare, &IdentityValues::anonymous()),
    }
    let mut resp = Response::new(Body::empty());
    *resp.headers_mut() = spare;
    Answer::ForProxy(resp)
}
