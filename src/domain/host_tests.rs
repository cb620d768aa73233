#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn auth(raw: &str, default_port: u16) -> (String, Option<u16>) {
    let a = parse_authority(raw, default_port).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"));
    (a.host, a.port)
}

fn err(raw: &str) -> HostError {
    match parse_authority(raw, 443) {
        Ok(a) => panic!("{raw:?} accepted as {a:?}"),
        Err(e) => e,
    }
}

fn pat(s: &str) -> HostPattern {
    HostPattern::parse(s).unwrap_or_else(|e| panic!("{s:?} refused: {e}"))
}

#[test]
fn lower_cases_and_drops_one_trailing_dot_and_default_port() {
    assert_eq!(auth("Example.COM.:443", 443), ("example.com".into(), None));
    assert_eq!(
        auth("app.example.com:8080", 443),
        ("app.example.com".into(), Some(8080))
    );
    assert_eq!(
        auth("app.example.com:80", 80),
        ("app.example.com".into(), None)
    );
    assert_eq!(
        auth("app.example.com:443", 80),
        ("app.example.com".into(), Some(443))
    );
    assert_eq!(
        auth("APP.example.com", 443),
        ("app.example.com".into(), None)
    );
    assert_eq!(auth("localhost", 443), ("localhost".into(), None));
    assert_eq!(auth("my_nas.lan", 443), ("my_nas.lan".into(), None));
    assert_eq!(
        auth("xn--bcher-kva.example", 443),
        ("xn--bcher-kva.example".into(), None)
    );
}

#[test]
fn ip_literals() {
    assert_eq!(auth("127.0.0.1", 443), ("127.0.0.1".into(), None));
    assert_eq!(auth("10.0.0.1:9091", 443), ("10.0.0.1".into(), Some(9091)));
    assert_eq!(auth("[::1]:9091", 443), ("[::1]".into(), Some(9091)));
    assert_eq!(auth("[::1]", 443), ("[::1]".into(), None));
    assert_eq!(auth("[0:0::1]:443", 443), ("[::1]".into(), None));
    assert_eq!(auth("[2001:DB8::A]", 443), ("[2001:db8::a]".into(), None));
}

#[test]
fn refuses_empty_and_dots_only() {
    assert_eq!(err(""), HostError::Empty);
    assert_eq!(err("."), HostError::Empty);
    assert_eq!(err(":443"), HostError::Empty);
    assert_eq!(err("example.com.."), HostError::TrailingDots);
}

#[test]
fn refuses_userinfo() {
    assert_eq!(err("user@example.com"), HostError::Userinfo);
    assert_eq!(err("good.com:443@evil.com"), HostError::Userinfo);
    assert_eq!(err("@evil.com"), HostError::Userinfo);
}

#[test]
fn refuses_whitespace_and_controls() {
    for raw in [
        " example.com",
        "example.com ",
        "exa mple.com",
        "a\tb",
        "a\r\nb",
        "a\0",
        "a\u{85}",
    ] {
        assert_eq!(err(raw), HostError::ControlOrWhitespace, "{raw:?}");
    }
}

#[test]
fn refuses_path_query_fragment_characters() {
    for raw in [
        "example.com/",
        "example.com?x",
        "example.com#x",
        "example.com\\x",
        "a/b:1",
    ] {
        assert_eq!(err(raw), HostError::PathCharacter, "{raw:?}");
    }
}

#[test]
fn refuses_empty_labels() {
    assert_eq!(err("a..b"), HostError::EmptyLabel);
    assert_eq!(err(".example.com"), HostError::EmptyLabel);
}

#[test]
fn label_and_name_length_limits() {
    let label63 = "a".repeat(63);
    assert!(parse_authority(&format!("{label63}.com"), 443).is_ok());
    assert_eq!(
        err(&format!("{}.com", "a".repeat(64))),
        HostError::LabelTooLong
    );
    let name253 = [label63.as_str(); 4].join(".")[..253].to_string();
    assert_eq!(auth(&name253, 443).0.len(), 253);
    assert_eq!(auth(&format!("{name253}."), 443).0.len(), 253);
    let name254 = format!("{name253}a");
    assert_eq!(err(&name254), HostError::TooLong);
}

#[test]
fn refuses_characters_outside_the_name_alphabet() {
    for raw in [
        "exa%6dple.com",
        "ex*ample.com",
        "exämple.com",
        "еxample.com",
        "a+b.com",
        "a,b",
    ] {
        assert_eq!(err(raw), HostError::InvalidCharacter, "{raw:?}");
    }
    assert_eq!(err("[::1"), HostError::BadIpLiteral);
    assert_eq!(err("a]b"), HostError::InvalidCharacter);
}

#[test]
fn refuses_bad_ports() {
    for raw in [
        "a.com:",
        "a.com:0",
        "a.com:65536",
        "a.com:99999",
        "a.com:123456",
        "a.com:+80",
        "a.com:-1",
        "a.com:80abc",
        "a.com:8 0",
        "[::1]:",
        "[::1]x",
        "[::1]:0",
    ] {
        let e = parse_authority(raw, 443).unwrap_err();
        assert!(
            matches!(e, HostError::BadPort | HostError::ControlOrWhitespace),
            "{raw:?}: {e:?}"
        );
    }
    assert_eq!(auth("a.com:65535", 443).1, Some(65535));
    assert_eq!(auth("a.com:1", 443).1, Some(1));
}

#[test]
fn refuses_unbracketed_ipv6_and_bad_literals() {
    assert_eq!(err("::1"), HostError::UnbracketedIpv6);
    assert_eq!(err("2001:db8::1"), HostError::UnbracketedIpv6);
    assert_eq!(err("a.com:80:80"), HostError::UnbracketedIpv6);
    assert_eq!(err("[fe80::1%25eth0]"), HostError::BadIpLiteral);
    assert_eq!(err("[1.2.3.4]"), HostError::BadIpLiteral);
    assert_eq!(err("[example.com]"), HostError::BadIpLiteral);
}

#[test]
fn refuses_numeric_names_a_browser_would_read_as_ipv4() {
    for raw in [
        "127.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "1.2.3.4.5",
        "01.2.3.4",
        "a.0x",
    ] {
        assert_eq!(err(raw), HostError::AmbiguousNumericHost, "{raw:?}");
    }
    assert!(parse_authority("1password.com", 443).is_ok());
    assert!(parse_authority("a1.b2", 443).is_ok());
}

#[test]
fn pattern_parse() {
    assert_eq!(
        pat("App.Example.com."),
        HostPattern::Exact("app.example.com".into())
    );
    assert_eq!(
        pat("*.Example.com"),
        HostPattern::Suffix("example.com".into())
    );
    assert_eq!(pat("*.co.uk"), HostPattern::Suffix("co.uk".into()));
    assert_eq!(pat("localhost"), HostPattern::Exact("localhost".into()));
    assert_eq!(pat("127.0.0.1"), HostPattern::Exact("127.0.0.1".into()));
    assert_eq!(pat("[::1]"), HostPattern::Exact("[::1]".into()));
}

#[test]
fn pattern_refusals() {
    let cases = [
        ("*", HostError::WildcardTooBroad),
        ("*.com", HostError::WildcardTooBroad),
        ("*.lan.", HostError::WildcardTooBroad),
        ("a.*.com", HostError::BadWildcard),
        ("**.x.com", HostError::BadWildcard),
        ("*.*.x.com", HostError::BadWildcard),
        ("*x.com", HostError::BadWildcard),
        ("x.com*", HostError::BadWildcard),
        ("*.0.0.1", HostError::AmbiguousNumericHost),
        ("*.1.2.3.4", HostError::BadWildcard),
        ("*.[::1]", HostError::BadWildcard),
        ("example.com:443", HostError::PortInPattern),
        ("*.example.com:443", HostError::PortInPattern),
        ("", HostError::Empty),
        ("*.", HostError::Empty),
        ("user@x.com", HostError::Userinfo),
    ];
    for (s, want) in cases {
        assert_eq!(HostPattern::parse(s), Err(want), "{s:?}");
    }
}

#[test]
fn too_broad_error_says_so() {
    let msg = HostPattern::parse("*.com").unwrap_err().to_string();
    assert!(msg.contains("too broad"), "{msg}");
}

#[test]
fn exact_matching() {
    let p = pat("app.example.com");
    assert!(p.matches("app.example.com"));
    assert!(p.matches("APP.example.com"));
    assert!(!p.matches("example.com"));
    assert!(!p.matches("x.app.example.com"));
    assert!(!p.matches("app.example.com.evil.com"));
    assert!(!p.matches("app.example.co"));
}

#[test]
fn suffix_matching_at_label_boundary_only() {
    let p = pat("*.example.com");
    assert!(p.matches("app.example.com"));
    assert!(p.matches("a.b.c.example.com"));
    assert!(p.matches("App.Example.COM"));
    assert!(!p.matches("example.com"));
    assert!(!p.matches("badexample.com"));
    assert!(!p.matches(".example.com"));
    assert!(!p.matches("a..example.com"));
    assert!(!p.matches("example.com.evil.com"));
    assert!(!p.matches("app.example.com.evil.com"));
    assert!(!p.matches("app-example.com"));
    assert!(!p.matches(""));
    assert!(!p.matches("é.example.com.x"));
    assert!(!p.matches("ééééééééééé"));
}

#[test]
fn display_round_trips() {
    for s in ["app.example.com", "*.example.com", "[::1]", "10.0.0.1"] {
        let p = pat(s);
        assert_eq!(p.to_string(), s);
        assert_eq!(pat(&p.to_string()), p);
    }
}

/// The byte-wise reading that runs on every request against the plain reading it replaced:
/// every character judged as a `char`, the name split on `.` after lower-casing. Both must
/// accept the same authorities and refuse the rest with the same error.
#[test]
fn the_byte_reading_agrees_with_the_char_reading() {
    fn by_chars(raw: &str) -> Result<(String, Option<u16>), HostError> {
        if raw.is_empty() {
            return Err(HostError::Empty);
        }
        for c in raw.chars() {
            if c.is_whitespace() || c.is_control() {
                return Err(HostError::ControlOrWhitespace);
            }
            match c {
                '@' => return Err(HostError::Userinfo),
                '/' | '?' | '#' | '\\' => return Err(HostError::PathCharacter),
                _ => {}
            }
        }
        if raw.starts_with('[') {
            let a = parse_authority(raw, 443)?;
            return Ok((a.host, a.port));
        }
        let (name, port) = match raw.split_once(':') {
            None => (raw, None),
            Some((_, after)) if after.contains(':') => return Err(HostError::UnbracketedIpv6),
            Some((name, after)) => (name, Some(parse_port(after)?)),
        };
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() {
            return Err(HostError::Empty);
        }
        if name.ends_with('.') {
            return Err(HostError::TrailingDots);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(HostError::TooLong);
        }
        let name = name.to_ascii_lowercase();
        let mut last = "";
        for label in name.split('.') {
            if label.is_empty() {
                return Err(HostError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(HostError::LabelTooLong);
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(HostError::InvalidCharacter);
            }
            last = label;
        }
        let numeric = match last.strip_prefix("0x") {
            Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
            None => last.bytes().all(|b| b.is_ascii_digit()),
        };
        if numeric && name.parse::<Ipv4Addr>().is_err() {
            return Err(HostError::AmbiguousNumericHost);
        }
        Ok((name, port.filter(|p| *p != 443)))
    }

    const PIECES: &[&str] = &[
        "a", "Z", "0", "7", "x", "X", "-", "_", ".", ":", "@", "/", "?", "#", "\\", " ", "\t",
        "\u{7f}", "\u{a0}", "\u{85}", "\u{2028}", "é", "[", "]", "0x", "443", "::1",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut accepted = 0;
    for _ in 0..50_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let raw: String = (0..(state % 9) as usize)
            .map(|i| PIECES[(state >> (i * 6)) as usize % PIECES.len()])
            .collect();
        let now = parse_authority(&raw, 443).map(|a| (a.host, a.port));
        accepted += usize::from(now.is_ok());
        assert_eq!(now, by_chars(&raw), "{raw:?}");
    }
    let long = "a".repeat(64);
    for raw in [
        "Example.COM.",
        "127.0.0.1",
        "0X7F.1",
        "a..b",
        &long,
        "a.b_c!.d",
    ] {
        assert_eq!(
            parse_authority(raw, 443).map(|a| (a.host, a.port)),
            by_chars(raw),
            "{raw:?}"
        );
    }
    assert!(
        accepted > 1_000,
        "only {accepted} generated authorities were accepted"
    );
}
