//! The head written in one pass carries exactly the headers that the header-map way (hyper's
//! client) leaves: both ways apply the same rules, and these tests hold them to it.

use std::net::IpAddr;

use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::Head;
use crate::http::proxy::headers::{self, IdentityValues, Stripped};

const SESSION: &str = "__Host-gatehouse_session";

/// A client's headers, in the order given (names as a parser would give them, lower-case).
fn client(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_bytes(v).unwrap(),
        );
    }
    h
}

/// The gateway's own headers for a request from 10.0.0.7 as alice, `Host` the upstream's.
fn own_values() -> (
    Vec<(&'static HeaderName, HeaderValue)>,
    IdentityValues,
    HeaderValue,
) {
    let ip: IpAddr = "10.0.0.7".parse().unwrap();
    let host = HeaderValue::from_static("app.test");
    let forwarded = headers::forwarded(Some("192.0.2.1".into()), ip, ip, true, host);
    let id = IdentityValues::new(
        "alice",
        &["admins".into(), "ops".into()],
        "a@x.test",
        "Alice",
    );
    (
        forwarded.into(),
        id,
        HeaderValue::from_static("upstream.test:8080"),
    )
}

/// The headers as the header-map way leaves them: (name, value) sorted, and what it audited.
fn via_map(mut h: HeaderMap) -> (Vec<(String, Vec<u8>)>, Stripped) {
    let (forwarded, id, host) = own_values();
    let stripped = headers::strip_request(&mut h);
    crate::http::cookies::strip_own(&mut h, SESSION);
    headers::set_forwarded(&mut h, forwarded.try_into().unwrap());
    headers::set_identity(&mut h, &id);
    h.insert(header::HOST, host);
    let mut all: Vec<(String, Vec<u8>)> = h
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    all.sort();
    (all, stripped)
}

/// The head written in one pass, parsed back: its request line, its headers sorted, and
/// what it audited.
fn via_head(h: &HeaderMap, query: Option<&str>) -> (String, Vec<(String, Vec<u8>)>, Stripped) {
    let (forwarded, id, host) = own_values();
    let mut own: Vec<(&HeaderName, &HeaderValue)> =
        forwarded.iter().map(|(n, v)| (*n, v)).collect();
    own.extend(headers::identity_pairs(&id));
    own.push((&header::HOST, &host));
    let head = Head {
        method: &Method::GET,
        base: "/base",
        path: "/a%20b/c",
        query,
        client: h,
        session_cookie: SESSION,
        own: &own,
    };
    let mut out = Vec::new();
    let stripped = head.write(&mut out).unwrap();
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut slots);
    let status = parsed.parse(&out).unwrap();
    assert_eq!(
        status,
        httparse::Status::Complete(out.len()),
        "one whole head"
    );
    assert_eq!(parsed.version, Some(1));
    let line = format!("{} {}", parsed.method.unwrap(), parsed.path.unwrap());
    let mut all: Vec<(String, Vec<u8>)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    all.sort();
    (line, all, stripped)
}

fn same_both_ways(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    let h = client(pairs);
    let (line, written, by_head) = via_head(&h, Some("x=1&y"));
    assert_eq!(line, "GET /base/a%20b/c?x=1&y");
    let (kept, by_map) = via_map(h);
    assert_eq!(written, kept, "for {pairs:?}");
    assert_eq!(by_head.identity, by_map.identity, "for {pairs:?}");
    assert_eq!(by_head.overrides, by_map.overrides, "for {pairs:?}");
    kept
}

#[test]
fn a_browser_request_goes_up_the_same_either_way() {
    let kept = same_both_ways(&[
        ("host", b"app.test"),
        ("user-agent", b"Mozilla/5.0"),
        ("accept", b"text/html"),
        ("accept-language", b"de, en;q=0.5"),
        ("connection", b"keep-alive"),
        (
            "cookie",
            b"theme=dark; __Host-gatehouse_session=abc; lang=de",
        ),
        ("upgrade-insecure-requests", b"1"),
    ]);
    let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"remote-user") && !names.contains(&"connection"));
    let cookie = kept.iter().find(|(n, _)| n == "cookie").unwrap();
    assert_eq!(cookie.1, b"theme=dark; lang=de");
}

#[test]
fn every_withheld_kind_is_withheld_and_audited_the_same() {
    same_both_ways(&[
        ("host", b"evil.test"),
        ("connection", b"close, X-Listed, keep-alive"),
        ("x-listed", b"1"),
        ("keep-alive", b"timeout=5"),
        ("te", b"trailers"),
        ("http2-settings", b"AAMA"),
        ("proxy-authorization", b"Basic Zm9vOmJhcg=="),
        ("remote-user", b"admin"),
        ("remote_user", b"root"),
        ("remote-user", b"again"),
        ("x-forwarded-user", b"admin"),
        ("x_auth_request_email", b"a@evil"),
        ("x-http-method-override", b"DELETE"),
        ("x_method_override", b"PUT"),
        ("forwarded", b"for=6.6.6.6"),
        ("x-forwarded-for", b"6.6.6.6"),
        ("x-real-ip", b"6.6.6.6"),
        ("x-original-url", b"/admin"),
        ("accept", b"*/*"),
        ("accept", b"text/plain"),
        ("x-app", b"kept"),
    ]);
}

#[test]
fn cookies_split_over_headers_lose_only_the_gateways() {
    for cookies in [
        &[&b"a=1"[..], b"b=2"][..],
        &[b"a=1; __Host-gatehouse_session=x", b"b=2"],
        &[b"__Host-gatehouse_session=x"],
        &[b"__Host-gatehouse_session=x", b"__Host-gatehouse_session=y"],
        &[b"; ;", b"a=1;;b=2"],
        &[b"a=\xe9t\xe9; __Host-gatehouse_session=x"],
    ] {
        let mut pairs: Vec<(&str, &[u8])> = vec![("host", b"app.test")];
        pairs.extend(cookies.iter().map(|c| ("cookie", *c)));
        same_both_ways(&pairs);
    }
}

#[test]
fn a_request_with_no_header_gets_the_gateways_own_only() {
    let kept = same_both_ways(&[]);
    assert_eq!(kept.len(), 9, "{kept:?}");
}

#[test]
fn a_target_a_request_line_cannot_carry_is_refused() {
    for (path, query) in [
        ("/a b", None),
        ("/a\r\nx: y", None),
        ("/a", Some("q=\u{e9}")),
    ] {
        let h = client(&[]);
        let head = Head {
            method: &Method::GET,
            base: "",
            path,
            query,
            client: &h,
            session_cookie: SESSION,
            own: &[],
        };
        assert!(head.write(&mut Vec::new()).is_err(), "{path:?} {query:?}");
    }
}
