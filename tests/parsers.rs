//! Property tests for every parser that reads untrusted input: request paths, hosts and
//! host patterns, redirect targets, the `Cookie` header, the forward-auth headers, and the
//! email addresses and display names an operator or administrator types, and the branding
//! colours and asset names of the configuration.
//!
//! Two kinds of property: no input makes a parser panic, and whatever a parser accepts keeps
//! the invariant the rest of the gateway relies on (a canonical path has no dot-segment and
//! survives a second normalisation unchanged; an accepted redirect stays on an allowed host;
//! a cookie read is unambiguous). Inputs are built from the pieces attackers combine (escapes,
//! dot-segments, separators, look-alike hosts), plus free-form strings.

use gatehouse::domain::branding::{Rgb, asset_type, is_served_segment};
use gatehouse::domain::email::{DisplayName, Email, MAX_DISPLAY_NAME, MAX_EMAIL};
use gatehouse::domain::host::{HostPattern, parse_authority};
use gatehouse::domain::path::normalize_path;
use gatehouse::domain::redirect::{RedirectPolicy, validate_redirect};
use gatehouse::http::cookies;
use gatehouse::http::forward_auth::request::{Flavor, parse};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

/// Path pieces that normalisers get wrong.
fn path_piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "", ".", "..", "a", "admin", "A", "%2e", "%2E%2E", "%2e.", "%2F", "%2f", "%5C", "%25",
        "%2541", "%41", "%00", "%0a", "%zz", "%", ";", "%3B", "\\", "é", "%C3%A9", "%c0%ae", "?",
        "#", " ", "~", "+", "@", ":", "\u{202e}", "\u{0085}",
    ])
}

fn raw_path() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(path_piece(), 0..8).prop_map(|v| format!("/{}", v.join("/"))),
        prop::collection::vec(path_piece(), 0..8).prop_map(|v| v.concat()),
        "\\PC{0,40}",
        "/[a-z./%0-9A-F;\\\\]{0,40}",
    ]
}

fn host_piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "app.example.com",
        "APP.Example.COM",
        "app.example.com.",
        "x.example.net",
        "example.net",
        "evil.com",
        "app.example.com.evil.com",
        "app.example.com@evil.com",
        "evil.com\\@app.example.com",
        "evil.com%2f@app.example.com",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "127.0.0.1",
        "0x7f.1",
        "app.example.com:443",
        "app.example.com:99999",
        "app.example.com:",
        "xn--80ak6aa92e.com",
        "аpp.example.com",
        "",
        ".",
        "a..b",
        "*.example.net",
    ])
}

/// Mostly one of `values`, sometimes absent.
fn opt(values: &[&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    prop::option::weighted(0.8, prop::sample::select(values.to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn canonical_paths_have_no_dot_segments_and_are_stable(raw in raw_path()) {
        if let Ok(p) = normalize_path(&raw) {
            prop_assert!(p.decoded().starts_with('/'), "{:?}", p);
            prop_assert!(!p.decoded().contains("//"), "{:?}", p);
            for seg in p.decoded().split('/') {
                prop_assert!(seg != "." && seg != "..", "dot-segment in {:?}", p);
            }
            prop_assert!(!p.decoded().chars().any(char::is_control), "{:?}", p);
            prop_assert!(p.encoded().is_ascii() && !p.encoded().contains(';'), "{:?}", p);
            // What goes upstream means the same path again: one normalisation, not two.
            prop_assert_eq!(normalize_path(p.encoded()), Ok(p.clone()));
        }
    }

    #[test]
    fn authorities_parse_to_a_normal_form(
        pieces in prop::collection::vec(host_piece(), 1..3),
        free in "\\PC{0,30}",
        use_free in any::<bool>(),
    ) {
        let raw = if use_free { free } else { pieces.concat() };
        if let Ok(a) = parse_authority(&raw, 443) {
            prop_assert!(!a.host.is_empty());
            prop_assert!(!a.host.ends_with('.'), "{:?}", a);
            prop_assert!(!a.host.chars().any(|c| c.is_ascii_uppercase()), "{:?}", a);
            prop_assert!(
                !a.host.chars().any(|c| c.is_whitespace() || c.is_control() || "@/\\?#".contains(c)),
                "{:?}", a
            );
            prop_assert_ne!(a.port, Some(443));
            let again = match a.port {
                Some(p) => format!("{}:{p}", a.host),
                None => a.host.clone(),
            };
            prop_assert_eq!(parse_authority(&again, 443), Ok(a));
        }
    }

    #[test]
    fn suffix_patterns_match_only_below_their_domain(host in "\\PC{0,30}", piece in host_piece()) {
        let pattern = HostPattern::parse("*.example.net").unwrap();
        for h in [host.as_str(), piece] {
            if pattern.matches(h) {
                prop_assert!(h.to_ascii_lowercase().ends_with(".example.net"), "{}", h);
            }
        }
        let _ = HostPattern::parse(&host);
        let _ = HostPattern::parse(piece);
    }

    #[test]
    fn accepted_redirects_stay_on_allowed_hosts(
        scheme in prop::sample::select(vec![
            "https://", "HTTPS://", "http://", "//", "/", "\\\\", "/\\", "javascript:", "", "https:", "https:/",
        ]),
        host in host_piece(),
        rest in prop::sample::select(vec![
            "", "/", "/path", "?q=1", "#f", "/a/../b", "/%2e%2e/", "/\t", "/%0d%0a", "@evil.com", ":8443/x",
        ]),
        free in "\\PC{0,40}",
        use_free in any::<bool>(),
    ) {
        let policy = RedirectPolicy {
            allowed: vec![
                HostPattern::parse("app.example.com").unwrap(),
                HostPattern::parse("*.example.net").unwrap(),
            ],
            allow_http: false,
        };
        let target = if use_free { free } else { format!("{scheme}{host}{rest}") };
        if let Some(ok) = validate_redirect(&target, &policy) {
            prop_assert_eq!(&ok, &target, "an accepted target is returned unchanged");
            if ok.starts_with('/') {
                prop_assert!(!ok.starts_with("//") && !ok.starts_with("/\\"), "{}", ok);
            } else {
                let lower = ok.to_ascii_lowercase();
                let after = lower.strip_prefix("https://");
                prop_assert!(after.is_some(), "only https is allowed here: {}", ok);
                let authority = after
                    .unwrap_or_default()
                    .split(['/', '?', '#'])
                    .next()
                    .unwrap_or_default();
                prop_assert!(!authority.contains('@'), "{}", ok);
                let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
                let host = host.trim_end_matches('.');
                prop_assert!(
                    host == "app.example.com" || host.ends_with(".example.net"),
                    "{} leads to {}", ok, host
                );
            }
        }
    }

    #[test]
    fn a_cookie_is_read_only_when_unambiguous(
        pairs in prop::collection::vec(
            (prop::sample::select(vec!["gh", " gh", "gh ", "GH", "g", "x", "gh=", ""]), "[a-zA-Z0-9=;, ]{0,12}"),
            0..6,
        ),
        split in 1usize..3,
    ) {
        let name = "gh";
        let all: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut headers = HeaderMap::new();
        for chunk in all.chunks(split) {
            if let Ok(v) = HeaderValue::from_str(&chunk.join("; ")) {
                headers.append(http::header::COOKIE, v);
            }
        }
        // An independent reading of the same headers: each `;`-separated pair with the
        // whitespace around its name and value removed (RFC 6265 §5.2), so `gh =x` is a `gh`
        // too and counts towards ambiguity.
        let mut seen = Vec::new();
        for v in headers.get_all(http::header::COOKIE) {
            for pair in v.to_str().unwrap_or_default().split(';') {
                if let Some((k, v)) = pair.split_once('=')
                    && k.trim() == name
                {
                    seen.push(v.trim().to_owned());
                }
            }
        }
        match cookies::read(&headers, name) {
            Ok(Some(v)) => prop_assert_eq!(seen, vec![v.to_owned()]),
            Ok(None) => prop_assert!(seen.is_empty()),
            Err(_) => prop_assert!(seen.len() > 1),
        }
    }

    #[test]
    fn forward_auth_answers_only_with_a_canonical_request(
        url in opt(&["https://app.example.com/x", "http://APP.example.com:8080/a/../b?q=1", "/relative", "https://evil/%2e%2e/", "https://app.example.com/a%2Fb"]),
        method in opt(&["GET", "get", "POST", "G ET", ""]),
        fmethod in opt(&["GET", "DELETE", "PATCH", "bad method"]),
        proto in opt(&["https", "http", "ftp", "HTTPS"]),
        host in opt(&["app.example.com", "APP.example.com:443", "app.example.com@evil", "", "[::1]:8443"]),
        uri in opt(&["/", "/admin", "/a/../b", "/%2e%2e/x", "/x?y=1", "//evil/x", "x"]),
        repeat in prop::option::of(prop::sample::select(vec!["x-forwarded-host", "x-forwarded-uri", "x-original-url"])),
        free in prop::option::of("\\PC{0,20}"),
        flavor in prop::sample::select(vec![Flavor::AuthRequest, Flavor::ForwardAuth]),
    ) {
        let mut map = HeaderMap::new();
        let mut put = |k: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                map.append(HeaderName::from_static(k), v);
            }
        };
        for (k, v) in [
            ("x-original-url", url), ("x-original-method", method), ("x-forwarded-method", fmethod),
            ("x-forwarded-proto", proto), ("x-forwarded-host", host), ("x-forwarded-uri", uri),
        ] {
            if let Some(v) = v {
                put(k, v);
            }
        }
        if let Some(k) = repeat {
            put(k, free.as_deref().unwrap_or("app.example.com"));
        }
        if let Ok(o) = parse(flavor, &map) {
            prop_assert!(o.path.decoded().starts_with('/'));
            prop_assert_eq!(normalize_path(o.path.encoded()), Ok(o.path.clone()));
            let authority = match o.port {
                Some(p) => format!("{}:{p}", o.host),
                None => o.host.clone(),
            };
            let reparsed = parse_authority(&authority, if o.https { 443 } else { 80 });
            prop_assert!(reparsed.is_ok(), "{:?}", o);
            prop_assert_eq!(reparsed.map(|a| a.host), Ok(o.host.clone()));
            prop_assert!(!o.method.is_empty() && o.method.bytes().all(|b| b.is_ascii_uppercase()), "{:?}", o);
        }
    }
}

/// Pieces of email addresses and display names: separators, every kind of space and line
/// break, header-injection text, long runs.
fn field_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "bob",
            "@",
            "@@",
            ".",
            "example.test",
            " ",
            "\t",
            "\r\n",
            "\n",
            "\u{0}",
            "\u{85}",
            "\u{a0}",
            "\u{2028}",
            "\u{3000}",
            "\u{7f}",
            "Bcc: x@y",
            "é",
            "\u{202e}",
            "<",
            ">",
            "\"",
            ",",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
        "[a-z]{100,300}",
    ]
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(field_piece(), 0..8).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

proptest! {
    /// An accepted address has no whitespace or control character, exactly one `@` with text
    /// on both sides, a bounded length, and parses again to itself.
    #[test]
    fn accepted_email_addresses_are_single_line_and_well_formed(raw in field()) {
        if let Ok(e) = Email::parse(&raw) {
            let s = e.as_str();
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()), "{:?}", s);
            prop_assert_eq!(s.matches('@').count(), 1, "{:?}", s);
            prop_assert!(!s.starts_with('@') && !s.ends_with('@'), "{:?}", s);
            prop_assert!(s.chars().count() <= MAX_EMAIL);
            prop_assert_eq!(Email::parse(s), Ok(e.clone()));
        }
        let _ = Email::parse_optional(&raw);
    }

    /// An accepted display name is trimmed, bounded and has no control character.
    #[test]
    fn accepted_display_names_are_trimmed_and_single_line(raw in field()) {
        if let Ok(Some(n)) = DisplayName::parse_optional(&raw) {
            let s = n.as_str();
            prop_assert!(!s.is_empty() && s.trim() == s, "{:?}", s);
            prop_assert!(!s.chars().any(char::is_control), "{:?}", s);
            prop_assert!(s.chars().count() <= MAX_DISPLAY_NAME);
        }
    }
}

proptest! {
    /// An accepted colour writes itself as `#rrggbb`, which parses back to it; the only thing
    /// of an operator's text that reaches the stylesheet is that form.
    #[test]
    fn accepted_colours_round_trip_through_their_only_written_form(
        raw in prop_oneof![
            "#[0-9a-fA-F]{3}", "#[0-9a-fA-F]{6}", "#?[0-9a-fA-FgG;}{ ]{0,8}", any::<String>()
        ]
    ) {
        if let Some(c) = Rgb::parse(&raw) {
            let hex = c.hex();
            prop_assert!(hex.len() == 7 && hex[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{:?}", hex);
            prop_assert_eq!(Rgb::parse(&hex), Some(c));
            let ratio = c.contrast(Rgb(255, 255, 255));
            prop_assert!((1.0..=21.0 + 1e-9).contains(&ratio));
        }
    }

    /// A served asset name segment can never climb out or hide: no `..`, no leading dot, no
    /// separator or escape of any kind.
    #[test]
    fn served_asset_segments_are_plain_names(seg in prop_oneof![path_piece().prop_map(str::to_owned), any::<String>()]) {
        if is_served_segment(&seg) {
            prop_assert!(!seg.starts_with('.') && !seg.contains(['/', '\\', '%', '\0']), "{:?}", seg);
            prop_assert!(seg.bytes().all(|b| b.is_ascii_graphic()));
        }
        let _ = asset_type(&seg);
    }
}
