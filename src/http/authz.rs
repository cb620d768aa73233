//! The one authorization decision (docs/architecture.md), shared by proxy mode and the forward-auth
//! endpoints: who is this (session), may they act at all (not forced to change a password),
//! and does the rule for this request allow them. Nothing here depends on how the request
//! arrived; callers only translate the verdict into their own answer.

use http::HeaderMap;

use crate::audit;
use crate::audit::event;
use crate::domain::redirect::validate_redirect;
use crate::domain::rules::{Decision, Identity, RequestFacts, decide_for_site};
use crate::http::proxy::Site;
use crate::http::state::AppState;
use crate::service::sessions::Resolved;
use crate::store::StoreResult;

/// The outcome for one request.
#[derive(Debug)]
pub enum Verdict {
    /// Let it through; the session when there is one (bypass rules allow anonymous requests).
    Allow(Option<Box<Resolved>>),
    /// No session: log in first.
    Login,
    /// A one-factor session of a user with two-factor met a two-factor rule: the code step.
    SecondFactor,
    /// A user without two-factor met a two-factor rule and enrolment is required: set it up.
    Enroll,
    /// A user without two-factor met a two-factor rule and enrolment is not required: refused.
    NoSecondFactor,
    /// The user must change the password before anything else.
    PasswordChange,
    /// Not allowed; the user when signed in (the refusal page says who, and offers to switch).
    Forbidden(Option<String>),
}

/// Decides a request from its canonical facts and the session cookie in `headers`. `site` is
/// the site the facts' host and path route to (`SiteTable::route`), which the caller routes
/// (the proxy has it already, to forward to): it says whether its app ignores letter case in
/// paths. Routing is the same in both modes, so proxy and forward-auth judge alike.
/// A store failure is an error so that every caller fails closed (docs/security.md#store-bounds-and-outages).
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn holds its arguments twice"
)]
pub fn authorize<'a>(
    app: &'a AppState,
    headers: &'a HeaderMap,
    facts: &'a RequestFacts<'_>,
    site: Option<&'a Site>,
    now: i64,
) -> impl Future<Output = StoreResult<Verdict>> + Send + 'a {
    async move {
        let session = app.current_session(headers, facts.host, now).await?;
        // A flagged account may do nothing but change its password.
        if session
            .as_ref()
            .is_some_and(|s| s.user.must_change_password)
        {
            return Ok(Verdict::PasswordChange);
        }
        let identity = session.as_ref().map(|s| Identity {
            username: &s.user.username,
            groups: &s.user.groups,
            level: s.session.level,
        });
        debug_assert!(
            site.map(std::ptr::from_ref)
                == app
                    .sites
                    .route(facts.host, facts.path)
                    .map(std::ptr::from_ref),
            "authorize was given another site than the facts route to"
        );
        let site_folds_case = site.is_some_and(|s| s.config.case_insensitive_paths);
        Ok(
            match decide_for_site(
                &app.config.access,
                facts,
                identity.as_ref(),
                site_folds_case,
            ) {
                Decision::Allow => Verdict::Allow(session.map(Box::new)),
                Decision::Login => Verdict::Login,
                Decision::SecondFactor => match &session {
                    Some(s) if s.user.has_second_factor() => Verdict::SecondFactor,
                    Some(_) if app.config.two_factor.require_enrollment => Verdict::Enroll,
                    _ => Verdict::NoSecondFactor,
                },
                // A `passkey` rule: the code step, which offers the user's passkeys; a user
                // without one is told to set up a stronger sign-in.
                Decision::Passkey => match &session {
                    Some(s) if s.user.has_passkeys => Verdict::SecondFactor,
                    _ => Verdict::NoSecondFactor,
                },
                Decision::Forbidden => {
                    let user = session.as_ref().map_or("-", |s| s.user.username.as_str());
                    audit!(event::ACCESS_DENIED, user = %audit::Clean(user), ip = %facts.client_ip, host = %facts.host, path = %audit::Clean(facts.path));
                    Verdict::Forbidden(session.map(|s| s.user.username.clone()))
                }
            },
        )
    }
}

/// The portal page for a verdict that sends the browser somewhere, if any.
pub fn portal_page(verdict: &Verdict) -> Option<&'static str> {
    match verdict {
        Verdict::Login => Some("/login"),
        Verdict::SecondFactor => Some("/login/2fa"),
        Verdict::Enroll => Some("/account/2fa/enable"),
        Verdict::PasswordChange => Some("/account/password"),
        _ => None,
    }
}

/// The URL of portal `page` (on the portal for `host`'s cookie domain) that brings the browser
/// back to `original` afterwards. The return URL is dropped when it would not pass redirect
/// validation at login anyway.
pub fn portal_location(app: &AppState, page: &str, original: &str, host: &str) -> String {
    let login = app.config.portal_for(host).url(page);
    match validate_redirect(original, &app.config.portal.redirect) {
        Some(rd) => {
            let rd: String = form_urlencoded::byte_serialize(rd.as_bytes()).collect();
            format!("{login}?rd={rd}")
        }
        None => login,
    }
}
