//! The reader's language for the pages of one request: the language cookie set by the picker
//! (or at sign-in from the account's saved choice), else `Accept-Language`, else the default.
//!
//! What the request asked for is kept for the request's task ([`within`], [`within_async`]) and
//! read where a page is rendered ([`current`]), so the many places that render a page do not
//! each carry it. It is taken only on the paths that may render a page (portal, error pages),
//! never on a proxied request's way to its upstream, and it is parsed only when a page is made.

use std::future::Future;

use http::{HeaderMap, HeaderValue, header};

use crate::http::cookies::{self, LANG_COOKIE};
use crate::i18n::{Catalogs, Lang, preferred};

/// What one request asked for, unparsed.
#[derive(Clone, Default)]
pub struct Asked {
    cookie: Vec<HeaderValue>,
    accept: Option<HeaderValue>,
    /// The portal-relative page (path and query), where the picker comes back to.
    here: String,
}

impl Asked {
    /// What `headers` ask for, on the page at `here`.
    pub fn of(headers: &HeaderMap, here: String) -> Self {
        Self {
            cookie: headers.get_all(header::COOKIE).iter().cloned().collect(),
            accept: headers.get(header::ACCEPT_LANGUAGE).cloned(),
            here,
        }
    }

    /// Only an `Accept-Language` value (a page about a request that went on to an upstream,
    /// which keeps its headers; the language cookie never goes there).
    pub fn of_accept(accept: Option<HeaderValue>) -> Self {
        Self {
            accept,
            ..Self::default()
        }
    }

    /// The language to answer in.
    fn choose(&self, catalogs: &Catalogs) -> Lang {
        let mut jar = HeaderMap::new();
        for v in &self.cookie {
            jar.append(header::COOKIE, v.clone());
        }
        let chosen = cookies::read(&jar, LANG_COOKIE)
            .ok()
            .flatten()
            .and_then(|tag| catalogs.by_tag(tag));
        if let Some(lang) = chosen {
            return lang;
        }
        let accept = self.accept.as_ref().and_then(|v| v.to_str().ok());
        catalogs.choose(accept.map(preferred).unwrap_or_default())
    }
}

tokio::task_local! {
    static ASKED: Asked;
}

/// Runs `f` (which may render a page) for a request that asked for `asked`.
pub fn within<R>(asked: Asked, f: impl FnOnce() -> R) -> R {
    ASKED.sync_scope(asked, f)
}

/// Runs the future `f` (a portal handler) for a request that asked for `asked`.
pub async fn within_async<F: Future>(asked: Asked, f: F) -> F::Output {
    ASKED.scope(asked, f).await
}

/// The language of the page being rendered: the default outside a request.
pub fn current(catalogs: &Catalogs) -> Lang {
    ASKED
        .try_with(|a| a.choose(catalogs))
        .unwrap_or_else(|_| catalogs.default_lang())
}

/// The portal page being rendered (path and query), for the picker to come back to.
pub fn here() -> String {
    ASKED.try_with(|a| a.here.clone()).unwrap_or_default()
}
