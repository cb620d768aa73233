//! Unit tests of the forward-auth header parsing.

use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn nginx_style() {
    let o = parse(
        Flavor::AuthRequest,
        &headers(&[
            ("x-original-method", "GET"),
            ("x-original-url", "https://App.Example.com:443/a/./b?x=1"),
        ]),
    )
    .unwrap();
    assert_eq!(
        (
            o.host.as_str(),
            o.port,
            o.path.decoded(),
            o.query.as_deref()
        ),
        ("app.example.com", None, "/a/b", Some("x=1"))
    );
    assert_eq!(o.url(), "https://app.example.com/a/b?x=1");
}

#[test]
fn traefik_style() {
    let o = parse(
        Flavor::ForwardAuth,
        &headers(&[
            ("x-forwarded-method", "POST"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example.com"),
            ("x-forwarded-uri", "/api?q"),
        ]),
    )
    .unwrap();
    assert_eq!((o.method.as_str(), o.path.decoded()), ("POST", "/api"));
}

#[test]
fn malformed_inputs_are_refused() {
    let base = [
        ("x-original-method", "GET"),
        ("x-original-url", "https://app.example.com/"),
    ];
    assert_eq!(
        parse(Flavor::AuthRequest, &headers(&base[..1])).unwrap_err(),
        Malformed::Missing("x-original-url")
    );
    for bad in [
        "https://app.example.com/%2Fadmin",
        "https://app.example.com/%zz",
        "ftp://x/",
        "https://a b/",
        "https://evil@app.example.com/",
    ] {
        assert!(
            parse(
                Flavor::AuthRequest,
                &headers(&[("x-original-method", "GET"), ("x-original-url", bad)])
            )
            .is_err(),
            "{bad}"
        );
    }
    let mut twice = headers(&base);
    twice.append(
        "x-original-url",
        HeaderValue::from_static("https://other.example.com/"),
    );
    assert_eq!(
        parse(Flavor::AuthRequest, &twice).unwrap_err(),
        Malformed::Repeated("x-original-url")
    );
    let conflict = headers(&[
        ("x-original-method", "GET"),
        ("x-original-url", "https://app.example.com/public"),
        ("x-forwarded-host", "app.example.com"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-uri", "/admin"),
    ]);
    assert_eq!(
        parse(Flavor::AuthRequest, &conflict).unwrap_err(),
        Malformed::Conflict
    );
    let long = format!("https://app.example.com/{}", "a".repeat(9000));
    assert!(
        parse(
            Flavor::AuthRequest,
            &headers(&[("x-original-method", "GET"), ("x-original-url", &long)])
        )
        .is_err()
    );
    assert!(
        parse(
            Flavor::AuthRequest,
            &headers(&[
                ("x-original-method", "get"),
                ("x-original-url", "https://a.example.com/")
            ])
        )
        .is_err()
    );
}

#[test]
fn both_dialects_apply_the_same_conflict_rules() {
    let nginx = [
        ("x-original-method", "GET"),
        ("x-original-url", "https://app.example.com/public?a=1"),
    ];
    let with = |extra: &[(&'static str, &str)]| {
        let mut all = nginx.to_vec();
        all.extend_from_slice(extra);
        parse(Flavor::AuthRequest, &headers(&all))
    };
    assert!(with(&[("x-forwarded-uri", "/public?a=1")]).is_ok());
    assert!(with(&[("x-forwarded-host", "APP.example.com:443")]).is_ok());
    for bad in [
        vec![("x-forwarded-uri", "/admin")],
        vec![("x-forwarded-uri", "/public?a=2")],
        vec![("x-forwarded-host", "admin.example.com")],
        vec![("x-forwarded-method", "POST")],
        vec![("x-forwarded-proto", "ftp")],
    ] {
        assert!(with(&bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        with(&[
            ("x-forwarded-host", "app.example.com"),
            ("x-forwarded-host", "app.example.com")
        ])
        .unwrap_err(),
        Malformed::Repeated("x-forwarded-host")
    );
    let traefik = headers(&[
        ("x-forwarded-method", "GET"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "app.example.com"),
        ("x-forwarded-uri", "/public"),
        ("x-original-method", "DELETE"),
    ]);
    assert_eq!(
        parse(Flavor::ForwardAuth, &traefik).unwrap_err(),
        Malformed::Conflict
    );
}
