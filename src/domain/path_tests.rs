#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn ok(raw: &str) -> CanonicalPath {
    normalize_path(raw).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"))
}

fn decoded(raw: &str) -> String {
    ok(raw).into_decoded()
}

fn err(raw: &str) -> PathError {
    match normalize_path(raw) {
        Ok(p) => panic!("{raw:?} accepted as {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn plain_paths_are_unchanged() {
    for p in [
        "/",
        "/a",
        "/a/b",
        "/a/b/",
        "/api/v1/users",
        "/~me/x-y_z.txt",
    ] {
        let c = ok(p);
        assert_eq!(c.decoded(), p);
        assert_eq!(c.encoded(), p);
    }
}

#[test]
fn dot_segments_resolve_per_rfc3986() {
    assert_eq!(decoded("/a/./b"), "/a/b");
    assert_eq!(decoded("/a/../b"), "/b");
    assert_eq!(decoded("/a/b/.."), "/a/");
    assert_eq!(decoded("/a/b/."), "/a/b/");
    assert_eq!(decoded("/a/./"), "/a/");
    assert_eq!(decoded("/a/.."), "/");
    assert_eq!(decoded("/a/../"), "/");
    assert_eq!(decoded("/."), "/");
    assert_eq!(decoded("/./a"), "/a");
    assert_eq!(decoded("/a/b/c/./../../g"), "/a/g");
    assert_eq!(decoded("/mid/content=5/../6"), "/mid/6");
}

#[test]
fn dot_dot_above_root_stays_at_root() {
    assert_eq!(decoded("/.."), "/");
    assert_eq!(decoded("/../../etc/passwd"), "/etc/passwd");
    assert_eq!(decoded("/a/../../../admin"), "/admin");
}

#[test]
fn dots_that_are_not_dot_segments_are_names() {
    assert_eq!(decoded("/..."), "/...");
    assert_eq!(decoded("/.well-known/x"), "/.well-known/x");
    assert_eq!(decoded("/a../b"), "/a../b");
    assert_eq!(decoded("/file.tar.gz"), "/file.tar.gz");
}

#[test]
fn trailing_slash_is_preserved() {
    assert_eq!(decoded("/a/b/"), "/a/b/");
    assert_eq!(decoded("/a/b"), "/a/b");
}

#[test]
fn decodes_exactly_once() {
    assert_eq!(decoded("/a%20b"), "/a b");
    assert_eq!(decoded("/%41%62c"), "/Abc");
    assert_eq!(decoded("/caf%C3%A9"), "/café");
    assert_eq!(decoded("/100%25"), "/100%");
    assert_eq!(decoded("/a%25zz"), "/a%zz");
}

#[test]
fn encoded_form_escapes_everything_outside_pchar() {
    assert_eq!(ok("/a%20b").encoded(), "/a%20b");
    assert_eq!(ok("/100%25").encoded(), "/100%25");
    assert_eq!(ok("/q%3Fx").encoded(), "/q%3Fx");
    assert_eq!(ok("/h%23x").encoded(), "/h%23x");
    assert_eq!(ok("/caf%c3%a9").encoded(), "/caf%C3%A9");
    assert_eq!(ok("/café").encoded(), "/caf%C3%A9");
    assert_eq!(ok("/%41").encoded(), "/A");
    assert_eq!(ok("/a\"b<c>").encoded(), "/a%22b%3Cc%3E");
    assert_eq!(ok("/x[1]{2}|^`").encoded(), "/x%5B1%5D%7B2%7D%7C%5E%60");
    let keep = "/AZaz09-._~!$&'()*+,=:@";
    assert_eq!(ok(keep).encoded(), keep);
}

#[test]
fn refuses_encoded_slash_any_case() {
    assert_eq!(err("/a%2Fb"), PathError::EncodedSlash);
    assert_eq!(err("/a%2fb"), PathError::EncodedSlash);
    assert_eq!(err("/admin%2f..%2f"), PathError::EncodedSlash);
}

#[test]
fn refuses_encoded_backslash() {
    assert_eq!(err("/a%5Cb"), PathError::EncodedBackslash);
    assert_eq!(err("/a%5cb"), PathError::EncodedBackslash);
}

#[test]
fn refuses_any_encoded_dot() {
    assert_eq!(err("/%2E%2E/admin"), PathError::EncodedDot);
    assert_eq!(err("/%2e%2e/admin"), PathError::EncodedDot);
    assert_eq!(err("/.%2e/admin"), PathError::EncodedDot);
    assert_eq!(err("/%2e/admin"), PathError::EncodedDot);
    assert_eq!(err("/file%2Etxt"), PathError::EncodedDot);
}

#[test]
fn refuses_nul() {
    assert_eq!(err("/a%00b"), PathError::Nul);
    assert_eq!(err("/a\0b"), PathError::ControlCharacter);
}

#[test]
fn refuses_semicolon_raw_and_encoded() {
    assert_eq!(err("/admin;jsessionid=1"), PathError::Semicolon);
    assert_eq!(err("/public/..;/admin"), PathError::Semicolon);
    assert_eq!(err("/admin%3Bx"), PathError::Semicolon);
    assert_eq!(err("/admin%3bx"), PathError::Semicolon);
}

#[test]
fn refuses_raw_backslash() {
    assert_eq!(err("/a\\b"), PathError::Backslash);
    assert_eq!(err("/..\\admin"), PathError::Backslash);
}

#[test]
fn refuses_double_encoding() {
    assert_eq!(err("/%252F"), PathError::DoubleEncoding);
    assert_eq!(err("/%252e%252e/admin"), PathError::DoubleEncoding);
    assert_eq!(err("/%2541"), PathError::DoubleEncoding);
    assert_eq!(err("/%25%34%31"), PathError::DoubleEncoding);
    assert_eq!(err("/%25a%62"), PathError::DoubleEncoding);
}

#[test]
fn refuses_malformed_escapes() {
    for p in [
        "/%", "/a%", "/a%2", "/%zz", "/%g0", "/%0g", "/%%41", "/a%2/b",
    ] {
        assert_eq!(err(p), PathError::BadPercentEncoding, "{p}");
    }
}

#[test]
fn refuses_non_utf8() {
    assert_eq!(err("/%FF"), PathError::NotUtf8);
    assert_eq!(err("/%C0%AE%C0%AE/admin"), PathError::NotUtf8);
    assert_eq!(err("/%C3"), PathError::NotUtf8);
}

#[test]
fn refuses_control_characters() {
    for p in [
        "/a%0Ab", "/a%0db", "/a%09", "/a%1F", "/a%7F", "/a%C2%85", "/a\nb", "/a\tb",
    ] {
        assert_eq!(err(p), PathError::ControlCharacter, "{p}");
    }
    assert_eq!(err("/a\u{7f}"), PathError::ControlCharacter);
}

#[test]
fn refuses_raw_space_query_and_fragment() {
    assert_eq!(err("/a b"), PathError::InvalidCharacter);
    assert_eq!(err("/a?b"), PathError::InvalidCharacter);
    assert_eq!(err("/a#b"), PathError::InvalidCharacter);
}

#[test]
fn refuses_empty_segments_instead_of_collapsing() {
    for p in ["//", "//a", "/a//b", "/a/b//", "///etc/passwd", "/a/.//b"] {
        assert_eq!(err(p), PathError::EmptySegment, "{p}");
    }
}

#[test]
fn refuses_relative_or_empty() {
    for p in ["", "a", "a/b", "*", "http://x/y", "../a"] {
        assert_eq!(err(p), PathError::NotAbsolute, "{p}");
    }
}

#[test]
fn refuses_too_long() {
    let max = format!("/{}", "a".repeat(MAX_PATH_LEN - 1));
    assert_eq!(ok(&max).decoded().len(), MAX_PATH_LEN);
    let over = format!("/{}", "a".repeat(MAX_PATH_LEN));
    assert_eq!(err(&over), PathError::TooLong);
}

#[test]
fn refused_segments_are_not_laundered_by_dot_dot() {
    assert_eq!(err("/%2e%2e/../a"), PathError::EncodedDot);
    assert_eq!(err("/a;b/../c"), PathError::Semicolon);
    assert_eq!(err("/a%00/../c"), PathError::Nul);
}

/// Checks the contract between the two outputs: the upstream form decodes back to what the
/// rules saw, and normalising is idempotent.
fn assert_round_trip(raw: &str) {
    let Ok(first) = normalize_path(raw) else {
        return;
    };
    let second = normalize_path(first.encoded())
        .unwrap_or_else(|e| panic!("{raw:?} -> {:?} refused: {e}", first.encoded()));
    assert_eq!(second.decoded(), first.decoded(), "{raw:?}");
    assert_eq!(second.encoded(), first.encoded(), "{raw:?}");
    assert!(first.encoded().is_ascii(), "{raw:?}");
}

#[test]
fn encoded_round_trips_on_fixed_inputs() {
    for p in [
        "/",
        "/a/b/",
        "/a%20b",
        "/100%25",
        "/%25zz",
        "/q%3F",
        "/h%23",
        "/caf%C3%A9",
        "/日本/語",
        "/a\"b",
        "/x%5B%5D",
        "/%41/../b",
        "/a/./b/../c/",
        "/%7E~",
        "/%40@:%3A",
        "/%2B+",
        "/a%25",
        "/%25%20",
        "/%25/x",
        "/emoji%F0%9F%98%80",
    ] {
        assert!(normalize_path(p).is_ok(), "{p}");
        assert_round_trip(p);
    }
}

#[test]
fn encoded_round_trips_on_generated_inputs() {
    // Deterministic xorshift so a failure is reproducible without a proptest dependency.
    const PIECES: &[&str] = &[
        "a",
        "Z",
        "0",
        "/",
        ".",
        "..",
        "%20",
        "%25",
        "%41",
        "%2F",
        "%2E",
        "%3F",
        "%23",
        "%C3%A9",
        "é",
        "%",
        "~",
        "!",
        "$",
        "&",
        "'",
        "(",
        "*",
        "+",
        ",",
        "=",
        ":",
        "@",
        "\"",
        "<",
        "[",
        "|",
        "%FF",
        "%3B",
        ";",
        "\\",
        " ",
        "%00",
        "%7f",
        "-",
        "_",
        "%e2%80%8b",
        "%c2%a0",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut raw = String::from("/");
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 12) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            raw.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
        }
        if normalize_path(&raw).is_ok() {
            accepted += 1;
        }
        assert_round_trip(&raw);
    }
    // Guard against a generator that only produces refused paths.
    assert!(
        accepted > 1_000,
        "only {accepted} generated paths were accepted"
    );
}

#[test]
fn the_one_pass_case_agrees_with_the_full_normalisation() {
    // Every byte the quick check may see, and the ones it must hand on.
    const BYTES: &[u8] = b"/aZ09-._~!$&'()*+,=:@%;?# \\x";
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut quick = 0;
    for _ in 0..50_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 10) as usize;
        let mut raw = String::from("/");
        for i in 0..len {
            let pick = (state >> (i * 5)) as usize % BYTES.len();
            raw.push(char::from(BYTES[pick]));
        }
        if let Some(p) = super::already_canonical(&raw) {
            quick += 1;
            assert_eq!(Ok(p), super::normalize_in_full(&raw), "{raw:?}");
        }
        assert_eq!(
            normalize_path(&raw),
            super::normalize_in_full(&raw),
            "{raw:?}"
        );
    }
    for raw in [
        "/", "/a/", "/a/b", "/a/./b", "/a/../b", "/a//b", "/.", "/..", "/a/.",
    ] {
        assert_eq!(
            normalize_path(raw),
            super::normalize_in_full(raw),
            "{raw:?}"
        );
    }
    assert!(
        quick > 5_000,
        "only {quick} generated paths took the one-pass case"
    );
}
