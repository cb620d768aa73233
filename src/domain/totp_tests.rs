#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// The RFC 4226 Appendix D / RFC 6238 Appendix B SHA-1 seed.
const RFC_SEED: &[u8] = b"12345678901234567890";

fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(RFC_SEED).unwrap()
}

/// A moment well inside a step, so that ±1 and ±2 are unambiguous.
const NOW: i64 = 1_111_111_111;

/// totp-rs's base32 encoder, which `TotpSecret::to_base32` uses.
fn base32_encode(bytes: &[u8]) -> String {
    totp_rs::Secret::from(bytes).to_base32()
}

#[test]
fn hotp_matches_rfc4226_appendix_d() {
    // A TOTP step is an HOTP counter (RFC 6238 §4), so the HOTP vectors check `code_at` too.
    let codes = [
        755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489,
    ];
    for (count, &code) in codes.iter().enumerate() {
        let count = count as u64;
        assert_eq!(code_at(&rfc_secret(), count), code, "count {count}");
    }
}

#[test]
fn totp_matches_rfc6238_appendix_b_sha1() {
    // (time, 8-digit TOTP) from the RFC's SHA-1 rows.
    let vectors: [(i64, u32); 6] = [
        (59, 94_287_082),
        (1_111_111_109, 7_081_804),
        (1_111_111_111, 14_050_471),
        (1_234_567_890, 89_005_924),
        (2_000_000_000, 69_279_037),
        (20_000_000_000, 65_353_130),
    ];
    let eight = generator(RFC_SEED, 8);
    for (time, expected) in vectors {
        let step = step_at(time);
        let code: u32 = eight
            .generate(step * STEP_SECONDS)
            .to_string()
            .parse()
            .unwrap();
        assert_eq!(code, expected, "time {time}");
        // Six digits are the last six of the eight (the same truncation, a smaller modulus).
        assert_eq!(code_at(&rfc_secret(), step), expected % 1_000_000);
    }
}

#[test]
fn steps_are_30_seconds_from_the_epoch() {
    assert_eq!(step_at(0), 0);
    assert_eq!(step_at(29), 0);
    assert_eq!(step_at(30), 1);
    assert_eq!(step_at(59), 1);
    assert_eq!(step_at(1_111_111_109), 0x023523EC);
    assert_eq!(step_at(20_000_000_000), 0x27BC86AA);
    assert_eq!(step_at(-1), 0);
}

fn code_string(secret: &TotpSecret, step: u64) -> String {
    format!("{:06}", code_at(secret, step))
}

#[test]
fn current_and_adjacent_steps_are_accepted() {
    let secret = TotpSecret::generate();
    let now = step_at(NOW);
    for step in [now - 1, now, now + 1] {
        assert_eq!(
            verify(&secret, &code_string(&secret, step), NOW, None),
            Ok(step)
        );
    }
}

#[test]
fn two_steps_away_is_refused() {
    let secret = rfc_secret();
    let now = step_at(NOW);
    for step in [now - 2, now + 2, now - 10, now + 10] {
        let code = code_string(&secret, step);
        // Skip the one-in-a-million chance that the far code equals a near one.
        if (now - 1..=now + 1).any(|s| code_string(&secret, s) == code) {
            continue;
        }
        assert_eq!(verify(&secret, &code, NOW, None), Err(TotpError::Invalid));
    }
}

#[test]
fn a_used_step_is_refused_and_looks_like_a_wrong_code() {
    let secret = TotpSecret::generate();
    let now = step_at(NOW);
    let code = code_string(&secret, now);
    let used = verify(&secret, &code, NOW, None).unwrap();
    assert_eq!(used, now);
    // The same code again, in the same step or the next (still within the window).
    assert_eq!(
        verify(&secret, &code, NOW, Some(used)),
        Err(TotpError::Invalid)
    );
    assert_eq!(
        verify(&secret, &code, NOW + 30, Some(used)),
        Err(TotpError::Invalid)
    );
    // An older code, valid by the clock, is also refused once a later step was used.
    let older = code_string(&secret, now - 1);
    assert_eq!(
        verify(&secret, &older, NOW, Some(used)),
        Err(TotpError::Invalid)
    );
    // The next step's code still works, and moves the guard forward.
    let next = code_string(&secret, now + 1);
    assert_eq!(verify(&secret, &next, NOW, Some(used)), Ok(now + 1));
}

#[test]
fn malformed_codes_are_refused() {
    let secret = rfc_secret();
    let real = code_string(&secret, step_at(NOW));
    let cases = [
        String::new(),
        real[..5].to_string(),
        format!("{real}0"),
        format!("0{real}"),
        format!("+{}", &real[1..]),
        format!("-{}", &real[1..]),
        format!("{}a", &real[..5]),
        // Full-width digits are digits to Unicode but not to us.
        real.chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap())
            .collect(),
        format!("{real}{}", " ".repeat(40)),
    ];
    for input in &cases {
        assert_eq!(
            verify(&secret, input, NOW, None),
            Err(TotpError::Invalid),
            "{input:?}"
        );
    }
}

#[test]
fn spaces_in_a_code_are_ignored() {
    let secret = rfc_secret();
    let now = step_at(NOW);
    let real = code_string(&secret, now);
    for input in [
        format!("{} {}", &real[..3], &real[3..]),
        format!(" {real}\n"),
        format!("{}\t{}", &real[..2], &real[2..]),
    ] {
        assert_eq!(verify(&secret, &input, NOW, None), Ok(now), "{input:?}");
    }
}

#[test]
fn verify_near_the_epoch_does_not_underflow() {
    let secret = rfc_secret();
    assert_eq!(verify(&secret, &code_string(&secret, 0), 0, None), Ok(0));
    assert_eq!(verify(&secret, &code_string(&secret, 1), -5, None), Ok(1));
}

#[test]
fn otpauth_uri_follows_the_key_uri_format() {
    let uri = otpauth_uri(&rfc_secret(), "Gatehouse Example", "alice@example.com").unwrap();
    assert_eq!(
        uri,
        "otpauth://totp/Gatehouse%20Example:alice%40example.com\
         ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse%20Example\
         &algorithm=SHA1&digits=6&period=30"
    );
    let uri = otpauth_uri(&rfc_secret(), "Café & Co?", "bob").unwrap();
    assert!(uri.starts_with("otpauth://totp/Caf%C3%A9%20%26%20Co%3F:bob?"));
    assert!(uri.contains("&issuer=Caf%C3%A9%20%26%20Co%3F&"));
}

#[test]
fn otpauth_uri_refuses_unusable_labels() {
    let s = rfc_secret();
    for (issuer, account) in [
        ("Gate:house", "alice"),
        ("Gatehouse", "al:ice"),
        ("", "alice"),
        ("Gatehouse", " "),
        ("Gate\nhouse", "alice"),
    ] {
        assert_eq!(
            otpauth_uri(&s, issuer, account),
            Err(TotpError::BadLabel),
            "{issuer:?} {account:?}"
        );
    }
}

#[test]
fn generated_secrets_are_160_bits_and_distinct() {
    let a = TotpSecret::generate();
    let b = TotpSecret::generate();
    assert_eq!(a.as_bytes().len(), 20);
    assert_ne!(a.as_bytes(), b.as_bytes());
    // docs/security.md#totp-secrets's grey-box check: at least 32 base32 characters in the URI.
    assert_eq!(a.to_base32().len(), 32);
}

#[test]
fn secret_lengths_are_checked() {
    assert_eq!(
        TotpSecret::from_bytes(&[0; 19]).err(),
        Some(TotpError::BadSecret)
    );
    assert!(TotpSecret::from_bytes(&[0; 20]).is_ok());
    assert!(TotpSecret::from_bytes(&[0; 64]).is_ok());
    assert_eq!(
        TotpSecret::from_bytes(&[0; 65]).err(),
        Some(TotpError::BadSecret)
    );
    // 16 bytes (the RFC 4226 minimum) is still below our floor.
    assert_eq!(
        TotpSecret::from_base32(&base32_encode(&[7; 16])).err(),
        Some(TotpError::BadSecret)
    );
}

#[test]
fn debug_never_shows_the_secret() {
    let s = rfc_secret();
    let shown = format!("{s:?}");
    assert_eq!(shown, "TotpSecret([redacted])");
    assert!(!shown.contains(&s.to_base32()));
}

#[test]
fn base32_matches_rfc4648_vectors() {
    let vectors = [
        ("", ""),
        ("f", "MY"),
        ("fo", "MZXQ"),
        ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ];
    for (plain, encoded) in vectors {
        assert_eq!(base32_encode(plain.as_bytes()), encoded);
        assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        assert_eq!(
            base32_decode(&encoded.to_lowercase()).unwrap(),
            plain.as_bytes()
        );
    }
}

#[test]
fn base32_round_trips_and_refuses_invalid_text() {
    let secret = TotpSecret::generate();
    let back = TotpSecret::from_base32(&secret.to_base32()).unwrap();
    assert_eq!(back.as_bytes(), secret.as_bytes());
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(base32_decode(&base32_encode(&all)).unwrap(), all);

    for bad in [
        "MZXW6YTBO1", // '1' is not in the alphabet
        "MZXW6YTBO8",
        "MY======", // no padding
        "MZXW 6YTB",
        "M",   // a dangling character
        "MZX", // 15 bits: one byte and 7 stray bits
        "MZ",  // non-zero trailing bits: not the canonical "MY"
        "MZXWé",
    ] {
        assert_eq!(base32_decode(bad), None, "{bad:?}");
    }
}
