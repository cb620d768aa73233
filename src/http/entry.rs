//! Every request enters here: strict framing and canonical host/path first (bad requests
//! never reach a handler or an upstream), then classification into portal, health, or a
//! proxied site, and for sites the one decision function (docs/architecture.md).

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;

use axum::body::Body;
use futures_util::future::Either;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use tower::ServiceExt;
use tracing::Instrument;

use crate::audit;
use crate::audit::event;
use crate::domain::client_ip::client_ip;
use crate::domain::path::normalize_path;
use crate::domain::rules::RequestFacts;
use crate::http::authz::{Verdict, authorize, portal_location, portal_page};
use crate::http::forward_auth::Checked;
use crate::http::headers::Answer;
use crate::http::host_memo;
use crate::http::lang::{self, Asked};
use crate::http::portal::Probe;
use crate::http::portal::errors::{PageError, error_page, error_page_with_link, forbidden_page};
use crate::http::precheck_scan::{Seen, scan};
use crate::http::proxy::headers::IdentityValues;
use crate::http::proxy::{ForwardError, Hop, Site};
use crate::http::request::{ConnInfo, RequestCtx, X_FORWARDED_FOR, is_navigation};
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::metrics::{Decision, RouteClass, UpstreamFailure};

/// Where a request goes.
pub enum Route<'a> {
    /// A portal page.
    Portal,
    /// A health probe on a host without a site, or addressed by IP.
    Health(Probe),
    /// A proxied site, routed once here.
    Site(&'a Site),
    /// No site serves this host.
    Unknown,
}

impl Route<'_> {
    /// What the metrics count this request as; health probes are not counted.
    fn class(&self) -> Option<RouteClass> {
        match self {
            Route::Portal => Some(RouteClass::Portal),
            Route::Site(_) | Route::Unknown => Some(RouteClass::Proxy),
            Route::Health(_) => None,
        }
    }
}

/// The value of a header that may come once: repeated, or not text, the request is refused.
fn single(seen: Seen<'_>) -> Result<Option<&str>, PageError> {
    match seen {
        Seen::Absent => Ok(None),
        Seen::Repeated => Err(PageError::BadRequest("bad-request-repeated-header")),
        Seen::One(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| PageError::BadRequest("bad-request-header-characters")),
    }
}

/// Checks framing and builds the canonical request context (docs/security.md#trusted-proxies, #forward-auth-fail-closed, #path-normalisation, #host-matching, #request-framing).
pub fn precheck<B>(
    app: &AppState,
    req: &Request<B>,
    conn: ConnInfo,
) -> Result<RequestCtx, (PageError, audit::RequestId)> {
    let rid = audit::RequestId::next();
    let fail = |e: PageError| (e, rid);
    if matches!(*req.method(), Method::TRACE | Method::CONNECT) {
        return Err(fail(PageError::MethodNotAllowed));
    }
    let h = scan(req.headers());
    // Request smuggling: never guess which framing an upstream will believe (RFC 9112 §6.3).
    // hyper's HTTP/1 parser already drops Content-Length when Transfer-Encoding is present and
    // closes the connection afterwards; this check keeps the rule if that ever changes.
    if h.transfer_encoding && h.content_length != Seen::Absent {
        return Err(fail(PageError::BadRequest("bad-request-framing")));
    }
    single(h.content_length).map_err(fail)?;
    let host_header = single(h.host).map_err(fail)?;
    let authority = match (req.uri().authority(), host_header) {
        (Some(a), Some(hh))
            if req.version() < Version::HTTP_2 && !a.as_str().eq_ignore_ascii_case(hh) =>
        {
            return Err(fail(PageError::BadRequest("bad-request-two-hosts")));
        }
        (Some(a), _) => a.as_str(),
        (None, Some(hh)) => hh,
        (None, None) => return Err(fail(PageError::BadRequest("bad-request-no-host"))),
    };
    let trusted = &app.config.server.trusted_proxies;
    let peer_trusted = trusted.contains(conn.peer.ip());
    let https = conn.tls
        || (peer_trusted
            && h.forwarded_proto
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")));
    let default_port = if https { 443 } else { 80 };
    let auth = host_memo::parse(authority, default_port)
        .map_err(|_| fail(PageError::BadRequest("bad-request-bad-host")))?;
    // HTTP/2+: rules are judged on :authority, but a Host header would be forwarded upstream
    // (preserve_host); if they name different hosts the upstream serves a request the gateway
    // never checked. RFC 9113 §8.3.1: treat as malformed after normalising both.
    if req.version() >= Version::HTTP_2
        && let Some(hh) = host_header
        && host_memo::parse(hh, default_port).ok().as_ref() != Some(&auth)
    {
        return Err(fail(PageError::BadRequest("bad-request-two-hosts")));
    }
    let path = normalize_path(req.uri().path())
        .map_err(|_| fail(PageError::BadRequest("bad-request-bad-path")))?;
    // A trusted proxy's X-Forwarded-For that does not name an address is refused, not read as
    // "the proxy itself" (see `client_ip`); a value that is not even text counts the same.
    let unreadable = || fail(PageError::BadRequest("bad-request-forwarded-for"));
    // Only a trusted proxy's header is read at all.
    let (client, chain_sent) = if peer_trusted {
        let xff = h
            .forwarded_for
            .iter()
            .map(|v| v.to_str())
            .collect::<Result<Vec<&str>, _>>()
            .map_err(|_| unreadable())?;
        let client = client_ip(conn.peer.ip(), &xff, trusted).map_err(|_| unreadable())?;
        (client, !xff.is_empty())
    } else {
        (conn.peer.ip().to_canonical(), false)
    };
    Ok(RequestCtx {
        request_id: rid,
        client_ip: client,
        https,
        host: auth.host,
        port: auth.port,
        path,
        query: req.uri().query().map(Box::from),
        chain_sent,
        now: app.clock.now(),
    })
}

/// Classifies a checked request that is not a forward-auth call (`Live::handle` takes those
/// first, on any host).
pub fn classify<'a>(app: &'a AppState, ctx: &RequestCtx) -> Route<'a> {
    if let Some(portal) = app.config.portal_at(&ctx.host) {
        let base = if portal.base_path.is_empty() {
            "/"
        } else {
            portal.base_path.as_str()
        };
        if crate::domain::rules::prefix_matches(base, ctx.path.decoded()) {
            return Route::Portal;
        }
    }
    // Health checks address the gateway by IP (Docker HEALTHCHECK, load balancers); they must
    // not be swallowed by a `default` site.
    // An IP literal begins with a digit, or `[` (IPv6); a name is not parsed as one.
    let by_address = ctx
        .host
        .starts_with(|c: char| c.is_ascii_digit() || c == '[')
        && ctx
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
    let probe = Probe::at(ctx.path.decoded());
    if by_address && let Some(probe) = probe {
        return Route::Health(probe);
    }
    if let Some(site) = app.sites.route(&ctx.host, ctx.path.decoded()) {
        return Route::Site(site);
    }
    if let Some(probe) = probe {
        return Route::Health(probe);
    }
    Route::Unknown
}

/// Decides and, when allowed, forwards a request for a site.
///
/// Not an `async fn`, nor is [`relay`]: an `async fn` keeps each argument it takes by value
/// twice in its future, as the argument and as its own copy, and the request (240 bytes) went
/// down four levels that way; an `async` block holds what it captures once.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn holds its arguments twice"
)]
fn proxy<'a>(
    app: &'a AppState,
    req: &'a mut Request<Body>,
    ctx: &'a RequestCtx,
    conn: &'a ConnInfo,
    site: &'a Site,
) -> impl Future<Output = Answer<Body>> + Send + 'a {
    async move {
        // In blocks of their own, so that the facts, the verdict and the session are not kept
        // while the upstream answers.
        let relaying = {
            let verdict = {
                let facts = RequestFacts {
                    host: &ctx.host,
                    path: ctx.path.decoded(),
                    method: req.method().as_str(),
                    client_ip: ctx.client_ip,
                };
                authorize(app, req.headers(), &facts, Some(site), ctx.now).await
            };
            let session = match verdict {
                Ok(Verdict::Allow(session)) => session,
                Ok(
                    v @ (Verdict::Login
                    | Verdict::SecondFactor
                    | Verdict::Enroll
                    | Verdict::PasswordChange),
                ) => {
                    let page = portal_page(&v).unwrap_or("/login");
                    return Answer::Own(portal_redirect(app, req, ctx, page));
                }
                Ok(refused) => return Answer::Own(page(req, || refusal_page(app, ctx, refused))),
                // Fail closed: no store, no access (docs/security.md#store-bounds-and-outages).
                Err(e) => {
                    let err = PageError::Unavailable(e.to_string());
                    return Answer::Own(page(req, || error_page(app, Some(ctx), err)));
                }
            };
            relay(app, req, ctx, *conn, site, session.as_deref())
        };
        relaying.await
    }
}

/// The page for a request the rules refuse, each with a way on.
fn refusal_page(app: &AppState, ctx: &RequestCtx, verdict: Verdict) -> Response<Body> {
    match verdict {
        Verdict::NoSecondFactor => {
            // A way forward: enrolment on the portal, then back to this page.
            let enrol = portal_location(app, "/account/2fa/enable", &ctx.original_url(), &ctx.host);
            let link = (enrol.as_str(), Msg::new("error-two-factor-set-up"));
            error_page_with_link(app, ctx, PageError::SecondFactorRequired, link)
        }
        Verdict::Forbidden(Some(user)) => {
            // Say who is signed in, and offer another account: sign out, then sign in and
            // come back here.
            let login = portal_location(app, "/login", &ctx.original_url(), &ctx.host);
            let switch = portal_location(app, "/logout", &login, &ctx.host);
            forbidden_page(app, ctx, &user, &switch)
        }
        _ => error_page(app, Some(ctx), PageError::Forbidden),
    }
}

/// Renders a page the gateway answers a site's request with, in the language the request
/// asked for.
fn page<B>(req: &Request<B>, render: impl FnOnce() -> Response<Body>) -> Response<Body> {
    lang::within(Asked::of(req.headers(), String::new()), render)
}

/// Forwards an allowed request to its site with the identity of `session` (none for a
/// public path); the upstream's answer comes back `Relayed`. The request is made ready for
/// the upstream before anything waits (`SiteTable::prepare`), so the future holds what the
/// sending needs, not the request.
fn relay<'a>(
    app: &'a AppState,
    req: &mut Request<Body>,
    ctx: &'a RequestCtx,
    conn: ConnInfo,
    site: &'a Site,
    session: Option<&crate::service::sessions::Resolved>,
) -> impl Future<Output = Answer<Body>> + Send + use<'a> {
    let ids = session.map(|s| IdentityValues::of(&s.user));
    // Kept for the page that reports a failed upstream (the request goes to the upstream);
    // the value alone, not the `Asked` made of it (88 bytes), is held while it answers. A
    // copy, not a view of the request's bytes: see below.
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
    let hop = Hop {
        peer: conn.peer,
        xff_chain: ctx.chain_sent.then(|| forwarded_chain(req)),
        session_cookie: app.cookies.session_name(),
    };
    // The future holds the prepared request once, and borrows it for the sending (taking it
    // by value there would hold it twice); the future borrows neither the request nor the
    // session (`use<'a>`), so the caller need not keep them while it waits.
    let prepared = app.sites.prepare(site, req, ctx, hop, ids);
    // Not needed once prepared, so dropped before anything waits: its target and header
    // values are views of the client connection's read buffer, which hyper reads again while
    // the upstream answers (to notice a client that hangs up), and finding the buffer shared
    // it allocates another, 8 KiB, per request. The first steps of an answer are taken
    // before that read (`server::answer`), so it finds the buffer free.
    drop(std::mem::take(req));
    let mut out = match prepared {
        Ok(out) => out,
        Err(e) => return Either::Left(std::future::ready(failed(app, ctx, accept, e))),
    };
    Either::Right(async move {
        match app.sites.send(site, &mut out, ctx).await {
            Ok(resp) => Answer::Relayed(resp),
            Err(e) => failed(app, ctx, accept, e),
        }
    })
}

/// The gateway's page for a request its upstream did not answer, counted.
fn failed(
    app: &AppState,
    ctx: &RequestCtx,
    accept: Option<HeaderValue>,
    e: ForwardError,
) -> Answer<Body> {
    let err = match e {
        ForwardError::Timeout => {
            app.meter.upstream_failed(UpstreamFailure::Timeout);
            PageError::GatewayTimeout
        }
        ForwardError::Unreachable(cause) => {
            app.meter.upstream_failed(UpstreamFailure::Unreachable);
            PageError::BadGateway(cause)
        }
    };
    Answer::Own(lang::within(Asked::of_accept(accept), || {
        error_page(app, Some(ctx), err)
    }))
}

/// The `X-Forwarded-For` chain to extend, asked for only when a trusted proxy sent one
/// (`RequestCtx::chain_sent`; a client's own claim is dropped). Every value is text: the
/// pre-check refused the request otherwise.
fn forwarded_chain<B>(req: &Request<B>) -> String {
    let joined: Vec<&str> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    joined.join(", ")
}

/// Browsers are sent to the portal page (login, code step, enrolment) with a return URL; API
/// clients, scripts and WebSockets get 401 with the same `Location`.
fn portal_redirect<B>(
    app: &AppState,
    req: &Request<B>,
    ctx: &RequestCtx,
    page: &str,
) -> Response<Body> {
    let location = portal_location(app, page, &ctx.original_url(), &ctx.host);
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = if is_navigation(req.method().as_str(), req.headers()) {
        StatusCode::FOUND
    } else {
        StatusCode::UNAUTHORIZED
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// What the gateway made of a request, read from its answer: a relayed answer was allowed
/// whatever its status; a login redirect (302, or 401 with the portal's `Location`) sends to
/// sign-in; a 5xx of the gateway's own is an error; any other refusal is a denial. Portal
/// pages are served (allow) unless refused or failed.
fn decision_of(class: RouteClass, answer: &Answer<Body>) -> Decision {
    let status = answer.response().status();
    if status.is_server_error() {
        return Decision::Error;
    }
    match class {
        RouteClass::Proxy if matches!(answer, Answer::Relayed(_)) => Decision::Allow,
        RouteClass::ForwardAuth if status.is_success() => Decision::Allow,
        RouteClass::Proxy | RouteClass::ForwardAuth
            if matches!(status, StatusCode::FOUND | StatusCode::UNAUTHORIZED) =>
        {
            Decision::Login
        }
        RouteClass::Proxy | RouteClass::ForwardAuth => Decision::Deny,
        RouteClass::Portal if status.is_client_error() => Decision::Deny,
        RouteClass::Portal => Decision::Allow,
    }
}

/// What a reload rebuilds and swaps whole: the state and the portal router over it. A request
/// takes one snapshot when it arrives and keeps it to the end, so it never sees half of an
/// old configuration and half of a new one.
pub(crate) struct Live {
    pub(crate) state: Arc<AppState>,
    pub(crate) portal: axum::Router,
}

impl Live {
    fn new(state: Arc<AppState>) -> Self {
        let portal = crate::http::portal::router(state.clone());
        Self { state, portal }
    }
}

/// The future of one request's answer.
pub type Answering = std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// The built application: a handle on the live state, shared by every worker; cloning it is
/// cheap and every clone sees a reload.
#[derive(Clone)]
pub struct App {
    live: Arc<ArcSwap<Live>>,
}

impl App {
    /// The application serving `state`.
    pub fn from_state(state: Arc<AppState>) -> Self {
        Self {
            live: Arc::new(ArcSwap::from_pointee(Live::new(state))),
        }
    }

    /// The state serving now (for tests, the CLI and the server's per-connection settings).
    pub fn state(&self) -> Arc<AppState> {
        self.live.load().state.clone()
    }

    /// Serves `state` from the next request on; requests in progress finish on the state
    /// they started with.
    pub fn replace(&self, state: Arc<AppState>) {
        self.live.store(Arc::new(Live::new(state)));
    }

    /// Handles one request from a client: the future of its answer, boxed once (a connection
    /// keeps a slot the size of its service's future, idle or not). Each kind of request boxes
    /// only its own future: a forward-auth call's (one per request the proxy in front serves)
    /// fits glibc's per-thread cache, while the proxy's (1.4 KB) would not
    /// (bench/changes.md). Nothing waits inside until the pre-check has passed, and no level
    /// holds a moved copy of the one below (docs/architecture.md#a-proxied-request). The
    /// request keeps the state it started with (one reference count, no lock, no allocation)
    /// to the end, through a reload.
    pub fn handle(&self, req: Request<Body>, conn: ConnInfo) -> Answering {
        Live::handle(self.live.load_full(), req, conn)
    }

    /// Security headers of the state serving now (see [`Live::secured`]).
    pub(crate) fn secured(&self, resp: Response<Body>) -> Response<Body> {
        self.live.load().secured(resp)
    }
}

impl Live {
    fn handle(self: Arc<Self>, req: Request<Body>, conn: ConnInfo) -> Answering {
        let ctx = match precheck(&self.state, &req, conn) {
            Ok(ctx) => ctx,
            Err((err, rid)) => {
                let app = &self.state;
                app.meter.rejected();
                audit!(event::REQUEST_REJECTED, ip = %conn.peer.ip(), request_id = %rid, reason = ?err);
                let resp = page(&req, || {
                    crate::http::portal::errors::error_page_with_id(app, &rid.to_string(), err)
                });
                return Box::pin(std::future::ready(self.secured(resp)));
            }
        };
        // Every audit event of this request carries its id (set for each poll of its future,
        // not for the thread, so requests interleaved on a worker keep their own ids).
        let id = ctx.request_id;
        // Forward-auth answers on any host: proxies call it by address, not by portal name.
        let base = &self.state.config.portal.url.base_path;
        let Some(flavor) = crate::http::forward_auth::flavor(ctx.path.decoded(), base) else {
            return Box::pin(audit::within(id, self.route(req, ctx, conn)));
        };
        let started = self.state.meter.is_on().then(std::time::Instant::now);
        // Forward-auth reads only the head; the body stays unread.
        let mut headers = req.into_parts().0.headers;
        let checked = audit::within_now(id, || {
            crate::http::forward_auth::check(&self.state, &headers, &ctx, conn, flavor)
        });
        match checked {
            Checked::Answered(answer) => {
                let resp = self.finish(Some(RouteClass::ForwardAuth), started, answer);
                Box::pin(std::future::ready(resp))
            }
            Checked::Pending(call) => Box::pin(audit::within(id, async move {
                let answer =
                    crate::http::forward_auth::decide(&self.state, &mut headers, &call).await;
                self.finish(Some(RouteClass::ForwardAuth), started, answer)
            })),
        }
    }

    /// Classifies and answers a checked request other than a forward-auth call.
    /// Not an `async fn`, for the reason [`proxy`] is not: the request and its context are
    /// held once, where that would hold them twice.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn holds its arguments twice"
    )]
    fn route(
        self: Arc<Self>,
        mut req: Request<Body>,
        ctx: RequestCtx,
        conn: ConnInfo,
    ) -> impl Future<Output = Response<Body>> + Send {
        async move {
            let app = &*self.state;
            // Read the time only when something records it.
            let started = app.meter.is_on().then(std::time::Instant::now);
            let route = classify(app, &ctx);
            let class = route.class();
            let answer = match route {
                // Boxed: the portal's future is larger than a proxied request's, and this one
                // is boxed per request already (`Answering`); past glibc's per-thread cache
                // (1,032 bytes) each of those allocations takes malloc's slow path.
                Route::Portal => Answer::Own(Box::pin(self.portal(req, ctx)).await),
                Route::Health(probe) => {
                    Answer::Own(Box::pin(crate::http::portal::health_answer(app, probe)).await)
                }
                Route::Unknown => Answer::Own(page(&req, || {
                    error_page(
                        app,
                        Some(&ctx),
                        crate::http::portal::errors::PageError::UnknownHost,
                    )
                })),
                Route::Site(site) => proxy(app, &mut req, &ctx, &conn, site).await,
            };
            self.finish(class, started, answer)
        }
    }

    /// Counts an answer and makes it the response: the gateway's own answers get the security
    /// headers; upstream answers and forward-auth allows pass through untouched.
    fn finish(
        &self,
        class: Option<RouteClass>,
        started: Option<std::time::Instant>,
        answer: Answer<Body>,
    ) -> Response<Body> {
        if let (Some(started), Some(class)) = (started, class) {
            let decision = decision_of(class, &answer);
            self.state.meter.request(class, decision, started.elapsed());
        }
        match answer {
            Answer::Own(resp) => self.secured(resp),
            Answer::Relayed(resp) | Answer::ForProxy(resp) => resp,
        }
    }

    /// A portal page, in the language the request asks for.
    async fn portal(&self, mut req: Request<Body>, ctx: RequestCtx) -> Response<Body> {
        // Portal handlers log more than a decision does: their events get the page's method,
        // host and path from a span. The span is attached to the future, not entered on the
        // thread, so interleaved requests keep their own. The target is `audit` so that it
        // stays on whatever level the operator chose.
        let span = tracing::info_span!(target: "audit", "request", method = %req.method(), host = %ctx.host, path = %audit::Clean(ctx.path.decoded()));
        let here = ctx.page_again();
        let asked = Asked::of(req.headers(), here);
        req.extensions_mut().insert(ctx);
        // Boxed: the portal's future is large and rare; inline, every proxied request's future
        // would be as large and copied as often.
        let portal = Box::pin(self.portal.clone().oneshot(req).instrument(span));
        match lang::within_async(asked, portal).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }

    /// The one place security headers are added: every answer the gateway makes itself
    /// (portal, forward-auth refusals and redirects, login redirects, error pages, and the
    /// server's own request timeout), never a relayed upstream answer ([`Answer`]).
    pub(crate) fn secured(&self, mut resp: Response<Body>) -> Response<Body> {
        self.state.headers.apply_to(&mut resp);
        resp
    }
}
