use proptest::prelude::*;

use super::*;

fn session() -> Session {
    Session {
        user_id: UserId(1042),
        username: "alice".into(),
        level: AuthLevel::TwoFactor,
        epoch: 3,
        created_at: 1_764_000_000,
        last_seen: 1_764_000_125,
        authenticated_at: 1_764_000_000,
        expires_at: 1_764_043_200,
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into(),
        cookie_scope: Some("example.com".into()),
        remember: true,
    }
}

#[test]
fn a_typical_record_round_trips_in_few_bytes() {
    let s = session();
    let raw = encode(&s);
    assert_eq!(decode(&raw).unwrap(), s);
    // The 111-character user agent takes 15 bytes; the JSON record took 376.
    assert!(raw.len() <= 56, "{} bytes", raw.len());
}

#[test]
fn every_field_form_round_trips() {
    let mut s = session();
    for (ip, ua, scope, level) in [
        ("2001:db8::1", "curl/8.5.0", None, AuthLevel::Pending),
        (
            "::ffff:1.2.3.4",
            "tab\there",
            Some(String::new()),
            AuthLevel::OneFactor,
        ),
        (
            "not an ip",
            "Mozilla/5.0 (über \u{1f600}) .0.0.0",
            None,
            AuthLevel::TwoFactor,
        ),
        ("", "", None, AuthLevel::OneFactor),
    ] {
        s.ip = ip.into();
        s.user_agent = ua.into();
        s.cookie_scope = scope;
        s.level = level;
        s.remember = !s.remember;
        s.created_at = -5;
        s.expires_at = i64::MAX;
        s.epoch = i64::MIN;
        assert_eq!(decode(&encode(&s)).unwrap(), s, "{ip:?} {ua:?}");
    }
}

#[test]
fn keys_are_the_digest_bytes_and_back() {
    let key = SessionKey::from_text("00ff".repeat(16));
    let d = digest(&key).unwrap();
    assert_eq!(d[..2], [0x00, 0xff]);
    assert_eq!(key_of(&d), Some(key));
    assert_eq!(digest(&SessionKey::from_text("zz".repeat(32))), None);
    assert_eq!(digest(&SessionKey::from_text("ab")), None);
    assert_eq!(key_of(&[1, 2, 3]), None);
}

#[test]
fn malformed_records_are_corrupt() {
    let raw = encode(&session());
    assert!(decode(&raw[..raw.len() - 1]).is_err(), "truncated");
    let mut long = raw.clone();
    long.push(0);
    assert!(decode(&long).is_err(), "trailing bytes");
    let mut other = raw.clone();
    other[0] = 2;
    assert!(decode(&other).is_err(), "unknown version");
    assert!(
        decode(b"{\"user_id\":1}").is_err(),
        "the JSON of older versions"
    );
    assert!(decode(&[]).is_err());
}

proptest! {
    #[test]
    fn any_session_round_trips(
        user_id in any::<i64>(), epoch in any::<i64>(), created in any::<i64>(),
        seen in any::<i64>(), auth in any::<i64>(), expires in any::<i64>(),
        ip in any::<String>(), username in any::<String>(), ua in any::<String>(),
        scope in proptest::option::of(any::<String>()), remember in any::<bool>(),
        level in 0u8..3,
    ) {
        let s = Session {
            user_id: UserId(user_id), username, epoch, created_at: created, last_seen: seen,
            authenticated_at: auth, expires_at: expires, ip, user_agent: ua,
            cookie_scope: scope, remember,
            level: [AuthLevel::Pending, AuthLevel::OneFactor, AuthLevel::TwoFactor][usize::from(level)],
        };
        prop_assert_eq!(decode(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn any_bytes_decode_without_panicking(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&raw);
    }
}
