use std::ops::ControlFlow;

use super::*;

// Tests use the smallest legal cost so that they stay fast; the floor is checked separately.
const FAST: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

#[test]
fn hash_then_verify() {
    let h = hash("correct horse battery staple", &FAST, None).unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    assert_eq!(verify("correct horse battery staple", &h, None), Ok(true));
    assert_eq!(verify("correct horse battery stapl", &h, None), Ok(false));
}

/// Both argon2 versions, with and without a pepper.
const SHAPES: [(Version, Option<&[u8]>); 4] = [
    (Version::V0x13, None),
    (Version::V0x13, Some(b"pepper-key")),
    (Version::V0x10, None),
    (Version::V0x10, Some(b"pepper-key")),
];

/// "pw" hashed by the crate's own PHC path.
fn crates_own(version: Version, pepper: Option<&[u8]>) -> String {
    use argon2::PasswordHasher;
    argon2(&FAST, version, pepper)
        .unwrap()
        .hash_password_with_salt(b"pw", b"sixteen byte salt")
        .unwrap()
        .to_string()
}

/// Hashed in steps (the courier's floor beside a busy runtime), a hash is the same: a
/// stepped verify accepts what the crate hashed and refuses a wrong password, and what a
/// stepped hash stores verifies at once; the pause runs between steps.
#[test]
fn steps_hash_and_verify_as_the_crate_does() {
    let mut ws = Workspace::new();
    let mut pauses = 0;
    let mut pause = || {
        pauses += 1;
        ControlFlow::Continue(())
    };
    for (version, pepper) in SHAPES {
        let theirs = crates_own(version, pepper);
        for (pw, want) in [("pw", true), ("pv", false)] {
            let pace = Pace::Steps {
                blocks: 5,
                pause: &mut pause,
            };
            assert_eq!(verify_in(&mut ws, pace, pw, &theirs, pepper), Ok(want));
        }
    }
    let pace = Pace::Steps {
        blocks: 5,
        pause: &mut pause,
    };
    let ours = hash_in(&mut ws, pace, "pw", &FAST, Some(b"k")).unwrap();
    assert_eq!(verify("pw", &ours, Some(b"k")), Ok(true));
    assert_eq!(verify("pv", &ours, Some(b"k")), Ok(false));
    // 64 blocks in steps of 5: 12 pauses per hash, 9 hashes.
    assert_eq!(pauses, 12 * 9);
}

/// A pause that answers `Break` stops the hash there: no verdict, no stored hash.
#[test]
fn a_hash_in_steps_stops_when_its_pause_gives_it_up() {
    let mut ws = Workspace::new();
    let mut pauses = 0;
    let mut pause = || {
        pauses += 1;
        if pauses == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let theirs = crates_own(SHAPES[0].0, SHAPES[0].1);
    let pace = Pace::Steps {
        blocks: 5,
        pause: &mut pause,
    };
    let verdict = verify_in(&mut ws, pace, "pw", &theirs, SHAPES[0].1);
    assert_eq!(verdict, Err(HashError::Abandoned));
    assert_eq!(pauses, 3, "stopped at the pause that gave it up");
    let pace = Pace::Steps {
        blocks: 5,
        pause: &mut || ControlFlow::Break(()),
    };
    let stored = hash_in(&mut ws, pace, "pw", &FAST, None);
    assert_eq!(stored.err(), Some(HashError::Abandoned));
}

/// Hashing and verifying in our own working memory agrees with argon2's own PHC path, both
/// ways, for both argon2 versions, with and without a pepper, and in a reused workspace.
#[test]
fn agrees_with_the_crates_own_phc_path() {
    use argon2::PasswordVerifier;
    let mut ws = Workspace::new();
    for (version, pepper) in SHAPES {
        let theirs = crates_own(version, pepper);
        assert_eq!(
            verify_in(&mut ws, Pace::AtOnce, "pw", &theirs, pepper),
            Ok(true),
            "{theirs}"
        );
        assert_eq!(
            verify_in(&mut ws, Pace::AtOnce, "pv", &theirs, pepper),
            Ok(false),
            "{theirs}"
        );
    }
    let ours = hash_in(&mut ws, Pace::AtOnce, "pw", &FAST, Some(b"k")).unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    let check = argon2(&FAST, Version::V0x13, Some(b"k")).unwrap();
    assert!(check.verify_password(b"pw", &parsed).is_ok());
    assert!(check.verify_password(b"pv", &parsed).is_err());
    // A string without its hash or salt is unreadable, not a wrong password.
    let bare = ours.rsplit_once('$').unwrap().0;
    assert_eq!(
        verify("pw", bare, Some(b"k")),
        Err(HashError::BadStoredHash)
    );
}

#[test]
fn equal_passwords_get_different_hashes() {
    assert_ne!(
        hash("same", &FAST, None).unwrap(),
        hash("same", &FAST, None).unwrap()
    );
}

#[test]
fn pepper_is_required_to_verify() {
    let h = hash("pw", &FAST, Some(b"pepper-key")).unwrap();
    assert_eq!(verify("pw", &h, Some(b"pepper-key")), Ok(true));
    assert_eq!(verify("pw", &h, None), Ok(false));
    assert_eq!(verify("pw", &h, Some(b"other")), Ok(false));
}

#[test]
fn long_passwords_are_not_truncated() {
    let long: String = "x".repeat(80);
    let h = hash(&long, &FAST, None).unwrap();
    assert_eq!(verify(&long[..72], &h, None), Ok(false));
    assert_eq!(verify(&long, &h, None), Ok(true));
}

#[test]
fn unicode_forms_are_one_password() {
    let precomposed = normalize("caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e");
    let decomposed = normalize("cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e");
    assert_eq!(precomposed, decomposed);
}

#[test]
fn weaker_hashes_need_rehash() {
    let weak = hash("pw", &FAST, None).unwrap();
    assert!(needs_rehash(&weak, &OWASP_MIN));
    assert!(!needs_rehash(&weak, &FAST));
    assert!(needs_rehash("not a phc string", &FAST));
}

#[test]
fn owasp_floor() {
    assert!(OWASP_MIN.meets_owasp_floor());
    assert!(
        HashParams {
            memory_kib: 7_168,
            iterations: 5,
            parallelism: 1
        }
        .meets_owasp_floor()
    );
    assert!(
        !HashParams {
            memory_kib: 19_455,
            iterations: 2,
            parallelism: 1
        }
        .meets_owasp_floor()
    );
    assert!(!FAST.meets_owasp_floor());
}

#[test]
fn policy_length_and_context() {
    let p = PasswordPolicy {
        min_chars: 15,
        min_chars_two_factor: 8,
    };
    assert_eq!(
        p.check("fourteen chars", &[], false),
        Err(PolicyError::TooShort(15))
    );
    assert_eq!(p.check("fourteen chars", &[], true), Ok(()));
    assert_eq!(p.check("seven c", &[], true), Err(PolicyError::TooShort(8)));
    assert_eq!(p.check("fifteen chars!!", &[], false), Ok(()));
    assert_eq!(
        p.check("correct horse battery staple", &["alice"], false),
        Ok(())
    );
    assert_eq!(
        p.check("alicealicealice", &["alice"], false),
        Err(PolicyError::ContextWord)
    );
    assert_eq!(
        p.check("Gatehouse2024!!!", &["gatehouse"], false),
        Err(PolicyError::ContextWord)
    );
    assert_eq!(p.check("déjà vu, encore une fois", &[], false), Ok(()));
    assert_eq!(
        p.check(&"x".repeat(1025), &[], false),
        Err(PolicyError::TooLong(1024))
    );
    assert_eq!(
        p.check("tab\tinside the password", &[], false),
        Err(PolicyError::ControlCharacter)
    );
}

#[test]
fn common_passwords_and_their_padded_forms_are_refused() {
    let p = PasswordPolicy {
        min_chars: 15,
        min_chars_two_factor: 8,
    };
    for bad in [
        "password1234567",
        "123456789012345",
        "!!!dragon2024!!!",
        "Trustno1Trustno1",
        "ééééééééééééééé",
        "abababababababab",
    ] {
        assert!(is_common(bad) || p.check(bad, &[], false).is_err(), "{bad}");
        assert_eq!(p.check(bad, &[], false), Err(PolicyError::Common), "{bad}");
    }
    assert!(is_common("password") && is_common("PASSWORD1"));
    assert!(!is_common("correct horse battery staple"));
}
