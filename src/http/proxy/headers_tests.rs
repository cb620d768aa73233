//! Header hygiene rules, one by one.

use super::*;

#[test]
fn addresses_are_written_as_the_standard_library_writes_them() {
    for a in 0..=255u8 {
        for b in [0u8, 7, 10, 99, 100, 255] {
            let ip = IpAddr::from([a, b, 255 - a, a / 3]);
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(ip_text(v6), "2001:db8::1");
}

#[test]
fn address_values_are_the_addresses_however_slots_are_shared() {
    // 10.0.0.1, 10.0.1.1, … share a slot; each must still give its own text.
    let ips: Vec<IpAddr> = (0..40u8)
        .map(|i| IpAddr::from([10, 0, i, 1]))
        .chain([
            "2001:db8::1".parse().unwrap(),
            "::ffff:10.0.0.1".parse().unwrap(),
        ])
        .collect();
    for _ in 0..2 {
        for ip in &ips {
            assert_eq!(ip_value(*ip), ip.to_string().as_str());
        }
    }
}

#[test]
fn the_forwarded_host_is_the_sent_host_only_when_that_is_canonical() {
    let sent = |h: &str| {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        m
    };
    let cases: [(&str, Option<u16>, &str); 7] = [
        ("app.test", None, "app.test"),
        ("App.TEST", None, "app.test"),
        ("app.test:8443", Some(8443), "app.test:8443"),
        ("app.test:08443", Some(8443), "app.test:8443"),
        ("app.test:8443", None, "app.test"),
        ("app.test", Some(8443), "app.test:8443"),
        ("app.testx", None, "app.test"),
    ];
    for (host_header, port, want) in cases {
        let got = forwarded_host(&sent(host_header), "app.test", port);
        assert_eq!(got, want, "Host: {host_header}");
    }
    assert_eq!(
        forwarded_host(&HeaderMap::new(), "app.test", Some(81)),
        "app.test:81"
    );
}

#[test]
fn identity_variants_are_recognised() {
    for n in [
        "Remote-User",
        "remote_user",
        "REMOTE_GROUPS",
        "Remote-Anything",
        "X-Forwarded-User",
        "x_forwarded_email",
        "X-Auth-Request-User",
        "x-remote-user",
    ] {
        assert!(is_identity_header(n), "{n}");
    }
    for n in ["remotely", "x-forwarded-for", "user-agent", "authorization"] {
        assert!(!is_identity_header(n), "{n}");
    }
}

#[test]
fn strip_then_set_gives_one_value() {
    let mut h = HeaderMap::new();
    h.append("remote-user", HeaderValue::from_static("admin"));
    h.append("remote_user", HeaderValue::from_static("admin"));
    h.append("remote-user", HeaderValue::from_static("root"));
    let gone = strip_request(&mut h).identity;
    assert_eq!(gone.len(), 2);
    set_identity(
        &mut h,
        &IdentityValues::new("alice", &["a".into(), "b".into()], "a@x", "Alice"),
    );
    assert_eq!(h.get_all("remote-user").iter().count(), 1);
    assert_eq!(h["remote-user"], "alice");
    assert_eq!(h["remote-groups"], "a,b");
}

#[test]
fn hop_by_hop_and_connection_listed() {
    let mut h = HeaderMap::new();
    h.insert(
        "connection",
        HeaderValue::from_static("keep-alive, x-secret"),
    );
    h.insert("x-secret", HeaderValue::from_static("1"));
    h.insert("te", HeaderValue::from_static("trailers"));
    h.insert("accept", HeaderValue::from_static("*/*"));
    h.insert("http2-settings", HeaderValue::from_static("AAMA"));
    strip_hop_by_hop(&mut h);
    assert_eq!(h.len(), 1);
}

#[test]
fn every_hop_by_hop_name_at_once_and_listed_names_in_any_case() {
    // More names than the inline four, and listed tokens that are hop-by-hop names
    // themselves (skipped as already gone) beside ones that are not (removed).
    let mut h = HeaderMap::new();
    h.insert(
        "connection",
        HeaderValue::from_static("Keep-Alive, X-Secret,TE , , UPGRADE, x-other"),
    );
    for n in [
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "http2-settings",
        "x-secret",
        "x-other",
        "accept",
    ] {
        h.insert(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_static("1"),
        );
    }
    strip_hop_by_hop(&mut h);
    let left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
    assert_eq!(left, ["accept"]);
}

#[test]
fn a_listed_token_longer_than_any_hop_by_hop_name_is_still_removed() {
    let name = "x-a-rather-long-connection-specific-header";
    let mut h = HeaderMap::new();
    h.insert(
        "connection",
        HeaderValue::from_static("X-A-Rather-Long-Connection-Specific-Header"),
    );
    h.insert(HeaderName::from_static(name), HeaderValue::from_static("1"));
    strip_request(&mut h);
    assert!(h.is_empty(), "{h:?}");
}

#[test]
fn method_overrides_are_removed_in_every_spelling() {
    let mut h = HeaderMap::new();
    for n in [
        "x-http-method-override",
        "X_HTTP_METHOD",
        "x-method-override",
    ] {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_static("DELETE"),
        );
    }
    h.insert("x-http-methods", HeaderValue::from_static("keep"));
    assert_eq!(strip_request(&mut h).overrides.len(), 3);
    assert_eq!(h.len(), 1);
}

#[test]
fn one_pass_removes_every_kind_and_keeps_the_rest() {
    let mut h = HeaderMap::new();
    for (n, v) in [
        ("connection", "close, x-listed"),
        ("x-listed", "1"),
        ("te", "trailers"),
        ("remote_user", "admin"),
        ("x-http-method", "DELETE"),
        ("x_forwarded_for", "6.6.6.6"),
        ("forwarded", "for=6.6.6.6"),
        ("x-real-ip", "6.6.6.6"),
        ("accept", "*/*"),
        ("x-app", "kept"),
    ] {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_static(v),
        );
    }
    let stripped = strip_request(&mut h);
    assert_eq!(stripped.identity, ["remote_user"]);
    assert_eq!(stripped.overrides, ["x-http-method"]);
    let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
    left.sort_unstable();
    assert_eq!(left, ["accept", "x-app"]);
}

#[test]
fn every_listed_name_is_withheld_in_every_spelling_past_the_first_letter_test() {
    let listed = IDENTITY_PREFIXES
        .iter()
        .chain(&IDENTITY_NAMES)
        .chain(METHOD_OVERRIDE)
        .chain(FORWARDED_FAMILY);
    for name in listed {
        // An identity prefix stands for the names it begins.
        let name = if name.ends_with('-') {
            format!("{name}anything")
        } else {
            (*name).to_owned()
        };
        for spelling in [name.clone(), name.replace('-', "_"), name.to_uppercase()] {
            assert!(may_be_listed(&spelling), "{spelling}");
            assert!(withheld(&spelling).is_some(), "{spelling}");
        }
    }
    // What browsers send passes untouched.
    for name in [
        "accept",
        "cookie",
        "host",
        "user-agent",
        "sec-fetch-mode",
        "referer",
    ] {
        assert_eq!(withheld(name), None, "{name}");
    }
}
