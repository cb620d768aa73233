#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn policy() -> RedirectPolicy {
    RedirectPolicy {
        allowed: vec![
            HostPattern::parse("good.com").unwrap(),
            HostPattern::parse("*.example.com").unwrap(),
        ],
        allow_http: false,
    }
}

fn accepted(target: &str) {
    assert_eq!(
        validate_redirect(target, &policy()).as_deref(),
        Some(target),
        "{target:?} refused: {:?}",
        check_redirect(target, &policy())
    );
}

fn refused(target: &str) {
    assert_eq!(
        validate_redirect(target, &policy()),
        None,
        "{target:?} accepted"
    );
}

fn reason(target: &str) -> RedirectError {
    check_redirect(target, &policy()).unwrap_err()
}

#[test]
fn accepts_relative_paths() {
    for t in [
        "/",
        "/app",
        "/app/page?x=1&y=2#frag",
        "/a/b/",
        "/search?q=https://evil.com",
        "/p?next=//x",
        "/a%20b",
        "/a%2Fb",
        "/~user/file.txt",
        "/.well-known/x",
    ] {
        accepted(t);
    }
}

#[test]
fn accepts_allowed_absolute_urls() {
    for t in [
        "https://good.com",
        "https://good.com/",
        "https://good.com/path?q=1#top",
        "https://GOOD.com/x",
        "HTTPS://good.com/x",
        "https://good.com./x",
        "https://app.example.com/",
        "https://a.b.example.com/deep",
        "https://good.com?x=1",
        "https://good.com#x",
    ] {
        accepted(t);
    }
}

#[test]
fn any_port_is_accepted_on_an_allowed_host() {
    accepted("https://good.com:443/");
    accepted("https://good.com:8443/x");
    accepted("https://app.example.com:9091");
    refused("https://good.com:0/");
    refused("https://good.com:65536/");
    refused("https://good.com:/");
    refused("https://good.com:80x/");
}

#[test]
fn returns_the_target_unchanged() {
    let t = "HTTPS://App.Example.COM.:443/a/../b?x=%41";
    assert_eq!(validate_redirect(t, &policy()).as_deref(), Some(t));
}

#[test]
fn http_only_when_allowed() {
    refused("http://good.com/");
    let mut p = policy();
    p.allow_http = true;
    assert!(validate_redirect("http://good.com/", &p).is_some());
    assert!(validate_redirect("HTTP://good.com:8080/", &p).is_some());
    assert!(validate_redirect("http://evil.com/", &p).is_none());
}

#[test]
fn refuses_empty_and_too_long() {
    assert_eq!(reason(""), RedirectError::Length);
    let max = format!("/{}", "a".repeat(MAX_REDIRECT_LEN - 1));
    accepted(&max);
    let over = format!("/{}", "a".repeat(MAX_REDIRECT_LEN));
    assert_eq!(reason(&over), RedirectError::Length);
}

#[test]
fn refuses_scheme_relative() {
    refused("//evil.com");
    refused("//evil.com/path");
    refused("///evil.com");
}

#[test]
fn refuses_slash_backslash() {
    refused("/\\evil.com");
    refused("/\\/evil.com");
    refused("\\\\evil");
    refused("\\/evil.com");
    refused("/a\\b");
}

#[test]
fn refuses_encoded_separators_after_the_leading_slash() {
    for t in [
        "/%2F/evil.com",
        "/%2fevil.com",
        "/%5C/evil.com",
        "/%5cevil.com",
    ] {
        assert_eq!(reason(t), RedirectError::AmbiguousPath, "{t}");
    }
}

#[test]
fn refuses_dot_segments_and_empty_segments_in_relative_paths() {
    for t in [
        "/./",
        "/.",
        "/..",
        "/a/../b",
        "/..//evil.com",
        "/.//evil.com",
        "/%2e%2e/x",
        "/.%2E/x",
        "/%2e/x",
        "/a//b",
    ] {
        assert_eq!(reason(t), RedirectError::AmbiguousPath, "{t}");
    }
}

#[test]
fn refuses_whitespace_and_control_characters() {
    for t in [
        "/\t/evil.com",
        "/\n/evil.com",
        "/\r/evil.com",
        "/ /evil.com",
        " /app",
        "/app ",
        "/a\0b",
        "https://good.com/\t",
        "https://good.com\n.evil.com",
        "\thttps://good.com",
        "/a\u{7f}",
    ] {
        assert_eq!(reason(t), RedirectError::ForbiddenCharacter, "{t:?}");
    }
}

#[test]
fn refuses_encoded_control_characters() {
    for t in [
        "/%09/evil.com",
        "/%0a/evil.com",
        "/%0D/evil.com",
        "/%00",
        "/a%1f",
        "/a%7F",
        "https://good.com/%0a",
    ] {
        assert_eq!(reason(t), RedirectError::EncodedControl, "{t}");
    }
}

#[test]
fn refuses_schemes_other_than_https() {
    for t in [
        "javascript:alert(1)",
        "JavaScript://good.com/%0aalert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "ftp://good.com/",
        "file:///etc/passwd",
        "https:evil.com",
        "https:/evil.com",
        "https:good.com",
        "https:/good.com",
        "evil.com",
        "good.com",
        "app",
        "?x=1",
        "#frag",
        "http://good.com/",
        "httpss://good.com/",
        "xhttps://good.com/",
    ] {
        assert!(
            matches!(
                reason(t),
                RedirectError::Scheme | RedirectError::EncodedControl
            ),
            "{t}: {:?}",
            reason(t)
        );
    }
}

#[test]
fn refuses_hosts_not_on_the_allowlist() {
    for t in [
        "https://evil.com",
        "https://good.com.evil.com",
        "https://good.com.evil.com/",
        "https://evilgood.com/",
        "https://example.com/",
        "https://badexample.com/",
        "https://app.example.com.evil.com/",
        "https://evil.com#@good.com",
        "https://evil.com?x=.good.com",
        "https://evil.com/good.com",
        "https://evil.com#.example.com",
        "https://[::1]/",
        "https://127.0.0.1/",
    ] {
        assert_eq!(reason(t), RedirectError::HostNotAllowed, "{t}");
    }
}

#[test]
fn refuses_userinfo() {
    for t in [
        "https://good.com@evil.com",
        "https://good.com@evil.com/",
        "https://user:pass@good.com/",
        "https://@good.com/",
        "https://good.com:443@evil.com/",
    ] {
        assert_eq!(reason(t), RedirectError::Host(HostError::Userinfo), "{t}");
    }
}

#[test]
fn refuses_backslash_userinfo_confusion() {
    assert_eq!(
        reason("https://evil.com\\@good.com"),
        RedirectError::ForbiddenCharacter
    );
    assert_eq!(
        reason("https://good.com\\.evil.com"),
        RedirectError::ForbiddenCharacter
    );
}

#[test]
fn refuses_malformed_authorities() {
    for t in [
        "https://",
        "https:///evil.com",
        "https://good.com%2eevil.com/",
        "https://good%2ecom/",
        "https://good..com/",
        "https://::1/",
        "https://[::1/",
        "https://2130706433/",
        "https://0x7f.1/",
    ] {
        assert!(
            matches!(reason(t), RedirectError::Host(_)),
            "{t}: {:?}",
            reason(t)
        );
    }
}

#[test]
fn refuses_unicode_look_alikes() {
    for t in [
        "https://gооd.com/",
        "https://good.com。evil.com/",
        "https://ｇood.com/",
        "/é",
        "https://good.com/é",
        "/\u{2028}evil.com",
        "/\u{a0}/evil.com",
    ] {
        assert_eq!(reason(t), RedirectError::ForbiddenCharacter, "{t}");
    }
}

#[test]
fn ip_literals_only_when_allowed() {
    let p = RedirectPolicy {
        allowed: vec![HostPattern::parse("[::1]").unwrap()],
        allow_http: false,
    };
    assert!(validate_redirect("https://[::1]/x", &p).is_some());
    assert!(validate_redirect("https://[::1]:9091/x", &p).is_some());
    assert!(validate_redirect("https://[::2]/x", &p).is_none());
}

#[test]
fn empty_allowlist_accepts_only_relative_paths() {
    let p = RedirectPolicy {
        allowed: Vec::new(),
        allow_http: true,
    };
    assert!(validate_redirect("/app", &p).is_some());
    assert!(validate_redirect("https://good.com/", &p).is_none());
    assert!(validate_redirect("http://good.com/", &p).is_none());
}
