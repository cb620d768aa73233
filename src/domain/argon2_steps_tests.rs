use argon2::{Algorithm, Argon2, Params, Version};

use super::*;

/// The tag of `inputs` computed here, `budget` blocks per step.
fn stepped(inputs: &Inputs<'_>, budget: usize) -> Vec<u8> {
    let mut memory = vec![Block::default(); Steps::blocks(inputs)];
    let mut steps = Steps::start(inputs, &mut memory).expect("supported");
    let mut n = 0;
    while !steps.step(budget) {
        n += 1;
        assert!(n < 10_000_000, "never done");
    }
    let mut tag = vec![0u8; inputs.tag_len];
    steps.tag(&mut tag).expect("the asked length");
    tag
}

/// The same tag from the `argon2` crate.
fn crate_tag(inputs: &Inputs<'_>) -> Vec<u8> {
    let params = Params::new(
        inputs.memory_kib,
        inputs.passes,
        inputs.lanes,
        Some(inputs.tag_len),
    )
    .expect("params");
    let version = if inputs.version == 0x10 {
        Version::V0x10
    } else {
        Version::V0x13
    };
    let argon2 = if inputs.secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, version, params)
    } else {
        Argon2::new_with_secret(inputs.secret, Algorithm::Argon2id, version, params)
            .expect("secret")
    };
    let mut tag = vec![0u8; inputs.tag_len];
    argon2
        .hash_password_into(inputs.password, inputs.salt, &mut tag)
        .expect("hash");
    tag
}

#[test]
fn rfc_9106_argon2id_test_vector() {
    let inputs = Inputs {
        password: &[1; 32],
        salt: &[2; 16],
        secret: &[3; 8],
        data: &[4; 12],
        memory_kib: 32,
        passes: 3,
        lanes: 4,
        version: 0x13,
        tag_len: 32,
    };
    let expected = [
        0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53,
        0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01,
        0xe6, 0x59,
    ];
    for budget in [1, 7, 1000] {
        assert_eq!(stepped(&inputs, budget), expected, "budget {budget}");
    }
}

#[test]
fn the_same_tag_as_the_crate_for_every_shape() {
    let long_password = "correct horse battery staple ".repeat(20);
    // memory KiB, passes, lanes, version, tag length, password, secret
    type Case<'a> = (u32, u32, u32, u32, usize, &'a [u8], &'a [u8]);
    let cases: &[Case<'_>] = &[
        (8, 1, 1, 0x13, 32, b"p", b""),
        (64, 2, 1, 0x13, 32, b"password", b""),
        (64, 2, 1, 0x10, 32, b"password", b""),
        (100, 3, 2, 0x13, 64, b"password", b"pepper-pepper"),
        (257, 1, 3, 0x13, 32, long_password.as_bytes(), b""),
        (
            1024,
            2,
            1,
            0x13,
            32,
            b"\xf0\x9f\x94\x91 key",
            b"0123456789abcdef0123456789abcdef",
        ),
        (512, 4, 4, 0x10, 64, b"", b"s"),
    ];
    for &(memory_kib, passes, lanes, version, tag_len, password, secret) in cases {
        let inputs = Inputs {
            password,
            salt: b"0123456789abcdef",
            secret,
            data: &[],
            memory_kib,
            passes,
            lanes,
            version,
            tag_len,
        };
        let want = crate_tag(&inputs);
        for budget in [1, 33, 128, usize::MAX] {
            assert_eq!(
                stepped(&inputs, budget),
                want,
                "m={memory_kib} t={passes} p={lanes} v={version:#x} len={tag_len} budget {budget}"
            );
        }
    }
}

#[test]
fn the_default_cost_matches_the_crate() {
    // The cost every Gatehouse hash uses (m=19 MiB, t=2, p=1), in steps the floor takes.
    let inputs = Inputs {
        password: b"a password of some length",
        salt: b"saltsaltsaltsalt",
        secret: &[],
        data: &[],
        memory_kib: 19_456,
        passes: 2,
        lanes: 1,
        version: 0x13,
        tag_len: 32,
    };
    assert_eq!(stepped(&inputs, 64), crate_tag(&inputs));
}

#[test]
fn shapes_it_does_not_hash_are_refused() {
    let mut memory = vec![Block::default(); 64];
    let base = Inputs {
        password: b"p",
        salt: b"saltsaltsaltsalt",
        secret: &[],
        data: &[],
        memory_kib: 64,
        passes: 1,
        lanes: 1,
        version: 0x13,
        tag_len: 32,
    };
    let mut steps = Steps::start(&base, &mut memory).expect("supported");
    while !steps.step(1000) {}
    // Only the length asked for: a shorter BLAKE2b is not a truncated one.
    assert_eq!(steps.tag(&mut [0u8; 16]), Err(Unsupported));
    assert_eq!(steps.tag(&mut [0u8; 32]), Ok(()));
    for bad in [
        Inputs {
            version: 0x12,
            ..base
        },
        Inputs {
            tag_len: 16,
            ..base
        },
        Inputs { passes: 0, ..base },
        Inputs {
            memory_kib: 128,
            ..base
        },
    ] {
        assert_eq!(Steps::start(&bad, &mut memory).err(), Some(Unsupported));
    }
}
