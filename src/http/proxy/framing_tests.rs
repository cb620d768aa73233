use super::*;

/// `parse_head` over a buffer holding `raw`.
fn parse(raw: &[u8], head: bool) -> Result<Parsed, String> {
    parse_head(&mut BytesMut::from(raw), head)
}

fn complete(raw: &str, head: bool) -> Head {
    complete_with_rest(raw, head).0
}

/// The head at the front of `raw`, and what the buffer holds after it.
fn complete_with_rest(raw: &str, head: bool) -> (Head, BytesMut) {
    let mut buf = BytesMut::from(raw);
    match parse_head(&mut buf, head) {
        Ok(Parsed::Complete(h)) => (h, buf),
        other => panic!("{raw:?}: expected a complete head, got {other:?}"),
    }
}

fn refused(raw: &str) -> String {
    match parse(raw.as_bytes(), false) {
        Err(e) => e,
        other => panic!("{raw:?}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_length_frames_the_body_and_the_connection_is_kept() {
    let raw = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-A: b\r\n\r\nhello world!";
    let (h, rest) = complete_with_rest(raw, false);
    assert_eq!(h.framing, Framing::Length(12));
    assert!(h.reusable);
    assert_eq!(&rest[..], b"hello world!");
    assert_eq!(h.response.status(), 200);
    assert_eq!(h.response.headers()["x-a"], "b");
    assert_eq!(h.response.headers()["content-length"], "12");
}

#[test]
fn a_whole_head_is_taken_off_the_buffer_and_what_follows_it_stays() {
    let raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: b\r\nServer: up\r\nContent-Length: 12\r\n\r\nhello world!";
    let mut buf = BytesMut::from(raw);
    assert!(matches!(parse_head(&mut buf, false), Ok(Parsed::Interim)));
    assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let Ok(Parsed::Complete(h)) = parse_head(&mut buf, false) else {
        panic!("expected a complete head");
    };
    assert_eq!(&buf[..], b"hello world!");
    let headers = h.response.headers();
    assert_eq!(headers["x-a"], "b");
    assert_eq!(headers["server"], "up");
    assert_eq!(headers["content-length"], "12");
    assert_eq!(headers.len(), 3);
    // The values outlive the buffer they were read from, whatever it holds next.
    drop(buf);
    assert_eq!(headers["x-a"], "b");
    // A partial head is left where it is.
    let mut partial = BytesMut::from("HTTP/1.1 200 OK\r\nX-A");
    assert!(matches!(
        parse_head(&mut partial, false),
        Ok(Parsed::Partial)
    ));
    assert_eq!(&partial[..], b"HTTP/1.1 200 OK\r\nX-A");
}

#[test]
fn a_partial_head_waits_and_an_endless_one_is_refused() {
    assert!(matches!(
        parse(b"HTTP/1.1 200 OK\r\nContent-Le", false),
        Ok(Parsed::Partial)
    ));
    let mut endless = b"HTTP/1.1 200 OK\r\n".to_vec();
    while endless.len() < MAX_HEAD {
        endless.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert!(parse(&endless, false).is_err());
}

#[test]
fn bodiless_answers_have_no_body_whatever_their_headers_say() {
    for (raw, head) in [
        ("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true),
        (
            "HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n",
            false,
        ),
        (
            "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
            false,
        ),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
    ] {
        let h = complete(raw, head);
        assert_eq!(h.framing, Framing::Empty, "{raw:?}");
    }
    // A HEAD answer keeps the length of what a GET would get.
    let h = complete("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true);
    assert_eq!(h.response.headers()["content-length"], "50");
    assert!(h.reusable);
}

#[test]
fn chunked_is_framing_only_as_the_last_coding() {
    let h = complete(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked \r\n\r\n",
        false,
    );
    assert_eq!(h.framing, Framing::Chunked);
    assert!(h.reusable);
    assert!(h.response.headers().get("transfer-encoding").is_none());
    let h = complete(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        false,
    );
    assert_eq!(h.framing, Framing::UntilClose);
    assert!(!h.reusable);
}

#[test]
fn a_coding_beside_a_length_wins_and_the_connection_is_not_kept() {
    let h = complete(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        false,
    );
    assert_eq!(h.framing, Framing::Chunked);
    assert!(!h.reusable);
    assert!(h.response.headers().get("content-length").is_none());
    // Without a body, the length a GET would get is passed on.
    let h = complete(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        true,
    );
    assert_eq!(h.framing, Framing::Empty);
    assert_eq!(h.response.headers()["content-length"], "5");
}

#[test]
fn lengths_must_be_digits_and_agree() {
    let h = complete(
        "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n",
        false,
    );
    assert_eq!(h.framing, Framing::Length(3));
    for bad in [
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
    ] {
        refused(bad);
    }
}

#[test]
fn without_framing_the_body_runs_to_the_close() {
    let h = complete("HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n", false);
    assert_eq!(h.framing, Framing::UntilClose);
    assert!(!h.reusable);
}

#[test]
fn close_and_http_1_0_end_the_connection_after_the_body() {
    let h = complete(
        "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 1\r\n\r\n",
        false,
    );
    assert_eq!(h.framing, Framing::Length(1));
    assert!(!h.reusable);
    let h = complete(
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
        false,
    );
    assert!(!h.reusable);
}

#[test]
fn interim_answers_are_skipped_and_an_unasked_switch_is_refused() {
    let raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n";
    let mut buf = BytesMut::from(raw);
    match parse_head(&mut buf, false) {
        Ok(Parsed::Interim) => assert_eq!(&buf[..], b"HTTP/1.1 200 OK\r\n"),
        other => panic!("expected an interim answer, got {other:?}"),
    }
    refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
}

#[test]
fn malformed_heads_are_refused() {
    for bad in [
        "HTTP/1.1 200 OK\r\nX-A b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "garbage\r\n\r\n",
    ] {
        refused(bad);
    }
}

/// Decodes `wire` fed in pieces of `step` bytes; the body and what was left after its end.
fn decode(wire: &[u8], step: usize) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut decoder = Chunked::default();
    let (mut buf, mut body) = (BytesMut::new(), Vec::new());
    let mut fed = 0;
    loop {
        match decoder.next(&mut buf)? {
            Decoded::Data(d) => body.extend_from_slice(&d),
            Decoded::End => return Ok((body, buf.to_vec())),
            Decoded::More if fed < wire.len() => {
                let end = (fed + step).min(wire.len());
                buf.extend_from_slice(&wire[fed..end]);
                fed = end;
            }
            Decoded::More => return Err("the wire ended within the body".to_owned()),
        }
    }
}

#[test]
fn chunked_bodies_decode_whole_however_they_arrive() {
    let wire = b"5\r\nhello\r\n1;name=\"va;l\" \r\n \r\nA \t;x\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\nNEXT";
    for step in 1..=wire.len() {
        let (body, rest) = decode(wire, step).unwrap();
        assert_eq!(body, b"hello 0123456789", "step {step}");
        // What follows the body is left where it was, never taken as body.
        assert!(b"NEXT".starts_with(&rest), "step {step}: {rest:?}");
    }
    assert_eq!(decode(b"0\r\n\r\n", 3).unwrap().0, b"");
    assert_eq!(
        decode(b"00000000000000000000000003\r\nabc\r\n0\r\n\r\n", 4).unwrap_err(),
        "a malformed chunked body: a chunk size too large"
    );
}

#[test]
fn malformed_chunked_bodies_are_refused() {
    for bad in [
        &b"x\r\n"[..],
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\n0\r\n\r\n",
        b"5\r\nhelloX\r\n0\r\n\r\n",
        b"-5\r\nhello\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"5 5\r\nhello\r\n0\r\n\r\n",
        b"11111111111111111\r\n",
        b"0\r\nTrailer: t\n\r\n",
        b"0\r\n\n",
        b"1;a\nb\r\nx\r\n0\r\n\r\n",
    ] {
        assert!(
            decode(bad, 1).is_err(),
            "{:?} was taken",
            String::from_utf8_lossy(bad)
        );
    }
    let long_line = [b"1;".to_vec(), vec![b'x'; MAX_CHUNK_LINE], b"\r\n".to_vec()].concat();
    assert!(decode(&long_line, 512).is_err());
    let long_trailers = [
        b"0\r\n".to_vec(),
        b"T: x\r\n".repeat(MAX_TRAILERS / 4),
        b"\r\n".to_vec(),
    ]
    .concat();
    assert!(decode(&long_trailers, 512).is_err());
}

#[test]
fn the_upstreams_hop_by_hop_headers_and_those_it_lists_are_left_out() {
    let raw = "HTTP/1.1 200 OK\r\nX-Before: 1\r\nKEEP-ALIVE: timeout=5\r\nConnection: Keep-Alive, X-Before, x-after\r\nContent-Length: 0\r\nProxy-Connection: keep-alive\r\nX-After: 2\r\nUpgrade: h2c\r\nX-App: kept\r\n\r\n";
    let h = complete(raw, false);
    let names: Vec<&str> = h.response.headers().keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["content-length", "x-app"]);
    assert!(h.reusable, "keep-alive listed is not close");
    // Names longer than any hop-by-hop one, listed in another case, and a coding's
    // `Transfer-Encoding` written in capitals.
    let raw = "HTTP/1.1 200 OK\r\nX-A-Rather-Long-Header-Name: 1\r\nCONNECTION: x-a-rather-long-HEADER-name\r\nTRANSFER-ENCODING: chunked\r\nX-Another-Rather-Long-Name: kept\r\n\r\n";
    let h = complete(raw, false);
    let names: Vec<&str> = h.response.headers().keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["x-another-rather-long-name"]);
    assert_eq!(h.framing, Framing::Chunked);
}

#[test]
fn a_common_name_matched_as_sent_is_the_name_parsing_gives() {
    let spellings: [&[u8]; 29] = [
        b"Content-Type",
        b"content-type",
        b"Content-Length",
        b"content-length",
        b"Date",
        b"date",
        b"Server",
        b"server",
        b"Cache-Control",
        b"cache-control",
        b"Last-Modified",
        b"last-modified",
        b"ETag",
        b"Etag",
        b"etag",
        b"Set-Cookie",
        b"set-cookie",
        b"Vary",
        b"vary",
        b"Location",
        b"location",
        b"Expires",
        b"expires",
        b"Accept-Ranges",
        b"accept-ranges",
        b"Content-Encoding",
        b"content-encoding",
        // Other spellings and names take the parser's way.
        b"CONTENT-TYPE",
        b"X-Powered-By",
    ];
    for raw in spellings {
        assert_eq!(
            header_name(raw).unwrap(),
            HeaderName::from_bytes(raw).unwrap(),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    for bad in [&b"Bad Name"[..], b"", b"a:b"] {
        assert!(header_name(bad).is_err());
    }
}
