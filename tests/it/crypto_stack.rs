//! The crypto dependencies (docs/architecture.md): one RustCrypto generation in the lock file,
//! TOTP from `totp-rs`, and secrets that are wiped when dropped.
//!
//! These read the real `Cargo.lock` the binary was built from, so a dependency change that brings
//! a second generation of a hash or MAC crate back fails here rather than going unnoticed.

use std::collections::BTreeMap;

/// One `[[package]]` of the lock file: version and the dependency entries it lists.
struct Package {
    version: String,
    deps: Vec<String>,
}

fn lock() -> BTreeMap<String, Vec<Package>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock");
    let text = std::fs::read_to_string(path).expect("Cargo.lock is readable");
    let mut out: BTreeMap<String, Vec<Package>> = BTreeMap::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_owned())
        };
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            continue;
        };
        let deps = block
            .split_once("dependencies = [")
            .map(|(_, rest)| {
                rest.split(']')
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with('"'))
                    .map(|l| l.trim_matches(|c| c == '"' || c == ',').to_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.entry(name).or_default().push(Package { version, deps });
    }
    out
}

/// Packages whose dependency list names `name` at `version` (the lock file spells a dependency
/// `"name version"` when several versions exist).
fn dependents(lock: &BTreeMap<String, Vec<Package>>, name: &str, version: &str) -> Vec<String> {
    let spelled = format!("{name} {version}");
    lock.iter()
        .flat_map(|(n, ps)| ps.iter().map(move |p| (n, p)))
        .filter(|(_, p)| {
            p.deps
                .iter()
                .any(|d| d == &spelled || d.starts_with(&format!("{spelled} ")))
        })
        .map(|(n, p)| format!("{n} {}", p.version))
        .collect()
}

#[test]
fn one_rustcrypto_generation_of_hmac_sha1_sha2_digest() {
    let lock = lock();
    let ours = &lock["gatehouse"][0].deps;
    assert!(
        ours.iter()
            .any(|d| d == "totp-rs" || d.starts_with("totp-rs ")),
        "TOTP comes from totp-rs: {ours:?}"
    );
    for name in ["hmac", "sha1"] {
        let versions: Vec<&str> = lock[name].iter().map(|p| p.version.as_str()).collect();
        assert_eq!(
            versions.len(),
            1,
            "{name} in several generations: {versions:?}"
        );
    }
    // sha2 and digest: the one older generation still allowed is the one sqlx's migrator
    // checksums with (sqlx-core's `migrate` feature, and the lock's sqlx-macros-core, pin sha2
    // 0.10), and blake2 under the passkey library's argon2 (below); nothing else may pull it.
    for name in ["sha2", "digest"] {
        let mut versions: Vec<&Package> = lock[name].iter().collect();
        versions.sort_by_key(|p| {
            p.version
                .split('.')
                .map(|n| n.parse::<u64>().unwrap_or(0))
                .collect::<Vec<_>>()
        });
        for old in &versions[..versions.len() - 1] {
            let users = dependents(&lock, name, &old.version);
            let only_by = |dep: &str, prefix: &str| {
                let (n, v) = dep.split_once(' ').unwrap_or((dep, ""));
                dependents(&lock, n, v)
                    .iter()
                    .all(|s| s.starts_with(prefix))
            };
            let allowed = |u: &String| {
                u.starts_with("sqlx-")
                    || (name == "digest" && u.starts_with("sha2 ") && only_by(u, "sqlx-"))
                    // The passkey library's facade (kanidm's crypto-glue) depends on argon2
                    // 0.5 unconditionally, and that on blake2 of the older generation; nothing
                    // of ours hashes through it (passwords use argon2 0.6).
                    || (name == "digest"
                        && u.starts_with("blake2 ")
                        && dependents(&lock, "blake2", u.trim_start_matches("blake2 "))
                            .iter()
                            .all(|a| a.starts_with("argon2 0.5") && only_by(a, "crypto-glue ")))
            };
            assert!(
                users.iter().all(allowed),
                "{name} {} is pulled by {users:?}, not only by sqlx's migrator",
                old.version
            );
        }
    }
}

/// Compiles only for types that overwrite their secret when dropped.
fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}

#[test]
fn secrets_and_opened_key_material_are_wiped_on_drop() {
    use gatehouse::domain::{secret::SecretString, secretbox::SecretBox, totp::TotpSecret};

    let password = SecretString::new("correct horse battery staple");
    wiped_on_drop(&password);
    let secret = TotpSecret::generate();
    wiped_on_drop(&secret);

    // What the box opens is the TOTP secret in the clear: it comes back in a buffer that is
    // zeroed when dropped, and it still opens to the very bytes that were sealed.
    let sealer = SecretBox::new(&[(1, [0x5a; 32])]).unwrap();
    let sealed = sealer
        .seal(secret.as_bytes(), gatehouse::domain::user::UserId(7))
        .unwrap();
    let opened: zeroize::Zeroizing<Vec<u8>> = sealer
        .open(&sealed, gatehouse::domain::user::UserId(7))
        .unwrap();
    assert_eq!(opened.as_slice(), secret.as_bytes());
    let back = TotpSecret::from_bytes(&opened).unwrap();
    assert_eq!(back.to_base32(), secret.to_base32());
    // Redaction stays: neither secret shows in Debug.
    assert!(!format!("{password:?}{secret:?}").contains("horse"));
    assert!(!format!("{secret:?}").contains(&secret.to_base32()));
}

/// Codes from `TotpSecret` are totp-rs's own for the same secret, step by step, and a code from
/// totp-rs verifies with our window.
#[test]
fn totp_codes_are_totp_rs_codes() {
    use gatehouse::domain::totp::{self, TotpSecret};

    let secret = TotpSecret::generate();
    let reference = totp_rs::Builder::new()
        .with_secret(secret.as_bytes())
        .with_skew(0)
        .build()
        .unwrap();
    let now: i64 = 1_767_225_600;
    for step in (now as u64 / 30 - 3)..=(now as u64 / 30 + 3) {
        assert_eq!(
            format!("{:06}", totp::code_at(&secret, step)),
            reference.generate(step * 30).to_string(),
            "step {step}"
        );
    }
    let code = reference.generate(now as u64).to_string();
    assert_eq!(totp::verify(&secret, &code, now, None), Ok(now as u64 / 30));
    // The replay guard is ours: the same step again is refused.
    assert!(totp::verify(&secret, &code, now, Some(now as u64 / 30)).is_err());
}

#[test]
fn recovery_codes_device_keys_and_normalised_passwords_are_wiped_on_drop() {
    use gatehouse::domain::{device::DeviceSigner, password, recovery};

    for code in recovery::generate() {
        wiped_on_drop(&code);
    }
    wiped_on_drop(&DeviceSigner::new([7; 32]));
    let normalised: zeroize::Zeroizing<String> = password::normalize("ﬁne password");
    assert_eq!(normalised.as_str(), "fine password");
}
