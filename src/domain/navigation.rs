//! The one answer to "is this request a browser navigation?", which decides whether a request
//! without a sufficient session is redirected to the portal (a person is looking at a page)
//! or answered 401 (a script, a `fetch`, a WebSocket: a redirect would hand it an HTML login
//! page it cannot use, or make it follow a cross-origin redirect).
//!
//! Proxy mode and the forward-auth endpoints both ask this function, so the two modes cannot
//! drift apart. It sees plain strings only: the edge extracts the headers.

/// What the edge read from a request (for forward-auth: from the original request).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestShape<'a> {
    /// The request method, upper case (`GET`).
    pub method: &'a str,
    /// `Sec-Fetch-Mode`, when sent.
    pub fetch_mode: Option<&'a str>,
    /// `Sec-Fetch-Dest`, when sent.
    pub fetch_dest: Option<&'a str>,
    /// `Accept`, when sent.
    pub accept: Option<&'a str>,
    /// `X-Requested-With` is present (any value: jQuery, Angular and others set it).
    pub requested_with: bool,
    /// A WebSocket handshake: `Upgrade: websocket` or a `Sec-WebSocket-Key`.
    pub websocket: bool,
}

/// Whether a request is a top-level browser navigation that may be redirected to a login page.
///
/// Not a navigation, whatever else it says: a method other than GET/HEAD (a redirect would
/// replay or drop a body), `X-Requested-With`, a WebSocket handshake. Then Fetch Metadata
/// decides when the browser sent it: `Sec-Fetch-Mode: navigate` is a navigation and every
/// other mode (`cors`, `no-cors`, `same-origin`, `websocket`) is not; a `Sec-Fetch-Dest` other
/// than a document or frame is not either. Without Fetch Metadata (old browsers, curl), a
/// request that accepts `text/html` is taken as a navigation.
pub fn is_navigation(r: &RequestShape<'_>) -> bool {
    if !matches!(r.method, "GET" | "HEAD") || r.requested_with || r.websocket {
        return false;
    }
    let is = |v: Option<&str>, want: &[&str]| {
        v.map(str::trim)
            .is_some_and(|v| want.iter().any(|w| v.eq_ignore_ascii_case(w)))
    };
    if r.fetch_dest.is_some() && !is(r.fetch_dest, &["document", "iframe", "frame"]) {
        return false;
    }
    if r.fetch_mode.is_some() {
        return is(r.fetch_mode, &["navigate"]);
    }
    r.accept
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser_get() -> RequestShape<'static> {
        RequestShape {
            method: "GET",
            fetch_mode: Some("navigate"),
            fetch_dest: Some("document"),
            accept: Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            ..RequestShape::default()
        }
    }

    #[test]
    fn a_page_load_is_a_navigation() {
        assert!(is_navigation(&browser_get()));
        let head = RequestShape {
            method: "HEAD",
            ..browser_get()
        };
        assert!(is_navigation(&head));
        let iframe = RequestShape {
            fetch_dest: Some("iframe"),
            ..browser_get()
        };
        assert!(is_navigation(&iframe));
    }

    #[test]
    fn fetch_modes_other_than_navigate_are_not() {
        for mode in ["cors", "no-cors", "same-origin", "websocket", "bogus"] {
            let r = RequestShape {
                fetch_mode: Some(mode),
                fetch_dest: None,
                ..browser_get()
            };
            assert!(!is_navigation(&r), "{mode}");
        }
    }

    #[test]
    fn non_document_destinations_are_not() {
        for dest in ["empty", "websocket", "script", "image"] {
            let r = RequestShape {
                fetch_dest: Some(dest),
                ..browser_get()
            };
            assert!(!is_navigation(&r), "{dest}");
        }
    }

    #[test]
    fn websockets_xhr_and_unsafe_methods_are_not() {
        let ws = RequestShape {
            websocket: true,
            ..browser_get()
        };
        let xhr = RequestShape {
            requested_with: true,
            ..browser_get()
        };
        assert!(!is_navigation(&ws));
        assert!(!is_navigation(&xhr));
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            let r = RequestShape {
                method,
                ..browser_get()
            };
            assert!(!is_navigation(&r), "{method}");
        }
    }

    #[test]
    fn without_fetch_metadata_accept_decides() {
        let old = RequestShape {
            method: "GET",
            accept: Some("Text/HTML"),
            ..RequestShape::default()
        };
        assert!(is_navigation(&old));
        let api = RequestShape {
            accept: Some("application/json"),
            ..old
        };
        assert!(!is_navigation(&api));
        let bare = RequestShape {
            method: "GET",
            ..RequestShape::default()
        };
        assert!(!is_navigation(&bare));
    }
}
