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
                rest.split(']').next().unwrap_or_default().lines().map(str::trim)
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
        .filter(|(_, p)| p.deps.iter().any(|d| d == &spelled || d.starts_with(&format!("{spelled} "))))
        .map(|(n, p)| format!("{n} {}", p.version))
        .collect()
}

#[test]
fn one_rustcrypto_generation_of_hmac_sha1_sha2_digest() {
    let lock = lock();
    let ours = &lock["gatehouse"][0].deps;
    assert!(
        ours.iter().any(|d| d == "totp-rs" || d.starts_with("totp-rs ")),
        "TOTP comes from totp-rs: {ours:?}"
    );
    for name in ["hmac", "sha1"] {
        let versions: Vec<&str> = lock[name].iter().map(|p| p.version.as_str()).collect();
        assert_eq!(versions.len(), 1, "{name} in several generations: {versions:?}");
    }
    // sha2 and digest: the one older generation still allowed is the one sqlx's migrator
    // checksums with (sqlx-core's `migrate` feature pins sha2 0.10); nothing else may pull it.
    for name in ["sha2", "digest"] {
        let mut versions: Vec<&Package> = lock[name].iter().collect();
        versions.sort_by_key(|p| {
            p.version.split('.').map(|n| n.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>()
        });
        for old in &versions[..versions.len() - 1] {
            let users = dependents(&lock, name, &old.version);
            let allowed = |u: &String| {
                u.starts_with("sqlx-core ")
                    || (name == "digest" && u.starts_with("sha2 ") && dependents(&lock, "sha2", u.trim_start_matches("sha2 ")).iter().all(|s| s.starts_with("sqlx-core ")))
            };
            assert!(
                users.iter().all(allowed),
                "{name} {} is pulled by {users:?}, not only by sqlx's migrator",
                old.version
            );
        }
    }
}
