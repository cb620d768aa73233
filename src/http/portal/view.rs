//! Typed pages: each template has one `#[derive(Serialize)]` context struct that names it
//! ([`Template`]), so a handler cannot forget a field the template reads. The frame every page
//! shares (site title, stylesheet, base path, CSRF token, request id) is added here, once.
//!
//! Built-in templates render with strict undefined in debug builds (every test run): a
//! template that reads a field its context lacks fails the test that renders it instead of
//! printing nothing. Release builds stay lenient so that an operator's override that reads an
//! unknown name degrades to an empty string rather than a broken page.

use axum::body::Body;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::forms::csrf_cookie;
use crate::http::branding::BuiltinVersions;
use crate::http::page_cache::Unique;
use crate::http::state::AppState;
use crate::i18n::Msg;

/// A page context and the template it fills.
pub(crate) trait Template: Serialize {
    /// The template's name (see `http::pages`).
    const NAME: &'static str;
    /// An extra class on the page's card (wide layouts).
    const CARD_CLASS: Option<&'static str> = None;
    /// Whether its rendered pages may be kept for reuse (`http::page_cache`): only for pages
    /// that show nothing secret (a kept page stays in memory after its answer) and that are
    /// asked for often with the same context (the login page).
    const KEEP: bool = false;
}

/// What `base.html` reads around every page: what is fixed for the life of the state that
/// renders it, and what varies per answer.
#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    #[serde(flatten)]
    fixed: &'a Fixed<'a>,
    #[serde(flatten)]
    varies: &'a Varies<'a, T>,
    /// Only pages holding a form have one.
    csrf: Option<&'a str>,
    /// Only error pages show it.
    request_id: Option<&'a str>,
}

/// The frame's parts that come from the configuration, the branding and the catalogs only:
/// they are the same for every page one `AppState` renders, so the kept pages
/// (`http::page_cache`), which live in that state's `Pages`, leave them out of their keys.
/// Nothing that varies per request may go here.
#[derive(Serialize)]
struct Fixed<'a> {
    /// The picker's choices, when there is more than one language.
    languages: &'a [Choice<'a>],
    site_title: &'a str,
    css: &'a str,
    /// The versions of Gatehouse's stylesheet and scripts, for their links.
    statics: BuiltinVersions<'a>,
    /// Absolute links to the operator's logo, favicon and extra stylesheet, if configured.
    logo: Option<&'a str>,
    favicon: Option<&'a str>,
    stylesheet: Option<&'a str>,
    base: &'a str,
}

/// The frame's parts that vary per page and per request (but the unique values): the key of a
/// kept page.
#[derive(Serialize)]
struct Varies<'a, T: Serialize> {
    /// The template.
    #[serde(skip)]
    name: &'a str,
    /// The reader's language (its tag): `<html lang>` and the language of every `t(...)`.
    lang: &'a str,
    /// The page, for the picker to come back to.
    here: &'a str,
    card_class: Option<&'static str>,
    /// Who is signed in, on a portal error page (with the way home and out).
    who: Option<&'a str>,
    /// On a page holding a form that came back from a refused (expired) one.
    expired: Option<Msg>,
    #[serde(flatten)]
    page: &'a T,
}

impl<T: Serialize> Varies<'_, T> {
    /// The kept page's key: the template, the values, and which unique values the page has.
    fn key(&self, unique: &Unique<'_>) -> Option<Vec<u8>> {
        let mut key = Vec::with_capacity(256);
        key.extend_from_slice(self.name.as_bytes());
        key.extend_from_slice(&[0, u8::from(unique.csrf.is_some())]);
        key.push(u8::from(unique.request_id.is_some()));
        serde_json::to_writer(&mut key, self).ok()?;
        Some(key)
    }
}

/// Renders `page` into an HTML response, with a plain-text fallback when the
/// (operator-overridable) template fails.
pub(crate) fn html<T: Template>(app: &AppState, status: StatusCode, page: &T) -> Response<Body> {
    framed(
        app,
        status,
        (T::NAME, T::CARD_CLASS, T::KEEP),
        page,
        Extras::default(),
    )
}

/// Renders an error page: like [`html`], with the request id in the footer.
pub(crate) fn html_with_id<T: Template>(
    app: &AppState,
    status: StatusCode,
    page: &T,
    request_id: &str,
) -> Response<Body> {
    let extras = Extras {
        request_id: Some(request_id),
        ..Extras::default()
    };
    framed(app, status, (T::NAME, T::CARD_CLASS, T::KEEP), page, extras)
}

/// Renders a portal error page for a request that may be signed in: like [`html_with_id`],
/// naming `who` with links home and out.
pub(crate) fn html_for<T: Template>(
    app: &AppState,
    status: StatusCode,
    page: &T,
    (request_id, who): (&str, Option<&str>),
) -> Response<Body> {
    let extras = Extras {
        request_id: Some(request_id),
        who,
        ..Extras::default()
    };
    framed(app, status, (T::NAME, T::CARD_CLASS, T::KEEP), page, extras)
}

/// Renders a page holding forms: adds the CSRF token for this browser, and sets the CSRF
/// cookie when the browser had none.
pub(crate) fn form<T: Template>(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    page: &T,
) -> Response<Body> {
    let (cookie, set) = csrf_cookie(app, headers);
    let token = app.csrf.token_for(&cookie);
    let extras = Extras {
        csrf: Some(token),
        ..Extras::default()
    };
    let mut resp = framed(app, status, (T::NAME, T::CARD_CLASS, T::KEEP), page, extras);
    if let Some(set) = set {
        resp.headers_mut().append(header::SET_COOKIE, set);
    }
    resp
}

/// One language in the picker.
#[derive(Serialize)]
struct Choice<'a> {
    tag: &'a str,
    name: &'a str,
}

/// What some pages add to the frame.
#[derive(Default)]
struct Extras<'a> {
    csrf: Option<String>,
    request_id: Option<&'a str>,
    who: Option<&'a str>,
}

fn framed<T: Serialize>(
    app: &AppState,
    status: StatusCode,
    (name, card_class, keep): (&str, Option<&'static str>, bool),
    page: &T,
    extras: Extras<'_>,
) -> Response<Body> {
    let catalogs = app.pages.catalogs();
    let lang = crate::http::lang::current(catalogs);
    let languages: Vec<Choice<'_>> = match catalogs.choices() {
        [_, _, ..] => catalogs
            .choices()
            .iter()
            .map(|(tag, name)| Choice { tag, name })
            .collect(),
        _ => Vec::new(),
    };
    let here = crate::http::lang::here();
    let varies = Varies {
        name,
        lang: catalogs.tag(lang),
        here: &here,
        card_class,
        who: extras.who,
        // Only a page holding a form (it has a fresh token) says the last one had expired.
        expired: extras.csrf.as_ref().and(super::expired::notice()),
        page,
    };
    let unique = Unique {
        csrf: extras.csrf.as_deref(),
        request_id: extras.request_id,
    };
    let fixed = Fixed {
        languages: &languages,
        site_title: &app.config.portal.title,
        css: &app.branding.css,
        statics: app.branding.builtin.versions(),
        logo: app.branding.logo.as_deref(),
        favicon: app.branding.favicon.as_deref(),
        stylesheet: app.branding.stylesheet.as_deref(),
        base: &app.config.portal.url.base_path,
    };
    let render = |unique: &Unique<'_>| {
        let frame = Frame {
            fixed: &fixed,
            varies: &varies,
            csrf: unique.csrf,
            request_id: unique.request_id,
        };
        app.pages.render(name, &frame)
    };
    // Only a page that may be kept pays for its key.
    let rendered = match keep.then(|| varies.key(&unique)).flatten() {
        Some(key) => app.pages.kept().page(&key, &unique, render),
        None => render(&unique),
    };
    let body = match rendered {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed to render");
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
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// A plain-text response.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// `message.html`: a heading, a sentence and an optional link.
#[derive(Serialize)]
pub(crate) struct Message<'a> {
    pub title: Msg,
    pub heading: Msg,
    pub message: Msg,
    pub link: Option<&'a str>,
    pub link_text: Option<Msg>,
}

impl Message<'_> {
    /// A page whose title is its heading.
    pub fn new(heading: Msg, message: Msg) -> Self {
        Message {
            title: heading.clone(),
            heading,
            message,
            link: None,
            link_text: None,
        }
    }
}

impl<'a> Message<'a> {
    /// With a link under the message.
    pub fn link(mut self, href: &'a str, text: Msg) -> Self {
        self.link = Some(href);
        self.link_text = Some(text);
        self
    }
}

impl Template for Message<'_> {
    const NAME: &'static str = "message.html";
    const KEEP: bool = true;
}

/// `reauth.html`: the step-up password prompt; after it the browser goes on to `next`.
#[derive(Serialize)]
pub(crate) struct Reauth<'a> {
    pub title: Msg,
    pub username: &'a str,
    pub next: &'a str,
    pub rd: &'a str,
    pub error: Option<Msg>,
    /// Says the form that asked for the password is kept and carried out after it.
    pub kept: Option<Msg>,
}

impl Template for Reauth<'_> {
    const NAME: &'static str = "reauth.html";
}
