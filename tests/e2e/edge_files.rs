//! Files that hold secrets, checked on the real binary: mails written by `notifier.file_dir`
//! (they carry live reset links) are private, and the gateway refuses to start on a key file,
//! a `*_file` secret or a user database that other accounts can read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::binary::{Gate, gatehouse, mode, run};
use crate::harness::*;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn mail_files_are_written_private() {
    let gate = Gate::new(Opts::default(), |t| {
        merge(
            t,
            "[notifier]\nfile_dir = \"mail\"\nfrom = \"Gatehouse <gatehouse@example.test>\"\n"
                .parse()
                .unwrap(),
        );
    })
    .await;
    gate.cli_ok(
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.test",
            "--password-stdin",
        ],
        Some(&format!("{PW}\n")),
    )
    .await;
    // Sent synchronously by the CLI: the file exists when the command returns.
    gate.cli_ok(&["user", "reset-2fa", "alice"], None).await;
    let dir = gate.dir.path().join("mail");
    let mails: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no mail directory {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert!(!mails.is_empty(), "no mail written to {}", dir.display());
    for m in &mails {
        assert_eq!(mode(m), 0o600, "{}", m.display());
    }
    assert_eq!(mode(&dir) & 0o077, 0, "{} is open to others", dir.display());
}

/// `check-config` must list `key` with a hint and `serve` must refuse to start.
async fn refused(gate: &Gate, key: &str, why: &str) {
    let out = run(gatehouse(&["check-config", "--config", gate.cfg()]), None).await;
    assert_ne!(out.status.code(), Some(0), "{why}: check-config passed");
    let text = out.show();
    assert!(
        text.lines()
            .any(|l| l.contains(key) && l.contains("hint:") && l.contains("others")),
        "{why}: no problem naming {key} in:\n{text}"
    );
    let serve = run(gate.command(&["serve"], &[]), None).await;
    assert_ne!(serve.status.code(), Some(0), "{why}: serve started");
    assert!(
        !serve.stdout.contains("listening") && !serve.show().contains("\"listening\""),
        "{why}: serve listened:\n{}",
        serve.show()
    );
}

#[tokio::test]
async fn secrets_and_the_database_readable_by_others_are_refused() {
    // secrets.key_file and secrets.pepper_file: group- or world-readable files are refused.
    for (key, file_mode) in [("key_file", 0o644), ("pepper_file", 0o640)] {
        let gate = Gate::new(Opts::default(), |_| {}).await;
        let path = gate.dir.path().join(format!("{key}.secret"));
        std::fs::write(&path, "an-operator-chosen-secret-0123456789abcdefghij\n").unwrap();
        chmod(&path, file_mode);
        let text = std::fs::read_to_string(gate.cfg()).unwrap();
        let mut table: toml::Table = text.parse().unwrap();
        let secrets = table["secrets"].as_table_mut().unwrap();
        if key == "key_file" {
            secrets.remove("key");
        }
        secrets.insert(key.into(), path.to_str().unwrap().into());
        std::fs::write(gate.cfg(), toml::to_string(&table).unwrap()).unwrap();
        refused(
            &gate,
            &format!("secrets.{key}"),
            &format!("{key} {file_mode:o}"),
        )
        .await;
        chmod(&path, 0o600);
        let out = run(gatehouse(&["check-config", "--config", gate.cfg()]), None).await;
        assert_eq!(out.status.code(), Some(0), "{key} 600: {}", out.show());
    }

    // The TLS private key is a secret file too (the certificate may be world-readable).
    let gate = Gate::new(Opts::default(), |_| {}).await;
    let ck = rcgen::generate_simple_self_signed(vec!["auth.gate.localhost".to_owned()]).unwrap();
    let (cert, key) = (
        gate.dir.path().join("cert.pem"),
        gate.dir.path().join("key.pem"),
    );
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    chmod(&cert, 0o644);
    chmod(&key, 0o644);
    let text = std::fs::read_to_string(gate.cfg()).unwrap();
    let mut table: toml::Table = text.parse().unwrap();
    let server = table["server"].as_table_mut().unwrap();
    server.insert("tls_cert".into(), cert.to_str().unwrap().into());
    server.insert("tls_key".into(), key.to_str().unwrap().into());
    std::fs::write(gate.cfg(), toml::to_string(&table).unwrap()).unwrap();
    refused(&gate, "server.tls_key", "a world-readable TLS key").await;
    chmod(&key, 0o600);
    let out = run(gatehouse(&["check-config", "--config", gate.cfg()]), None).await;
    assert_eq!(out.status.code(), Some(0), "TLS key 600: {}", out.show());

    // The generated key and the user database, once they exist, must stay private too.
    let mut gate = Gate::new(Opts::default(), |t| {
        t.remove("secrets");
    })
    .await;
    gate.serve().await;
    gate.stop().await;
    let key = gate.dir.path().join("gatehouse.key");
    chmod(&key, 0o644);
    refused(&gate, "secrets.key", "a world-readable generated key").await;
    chmod(&key, 0o600);
    chmod(&gate.db(), 0o644);
    refused(&gate, "storage.database", "a world-readable database").await;
    chmod(&gate.db(), 0o600);
    gate.serve().await;
    gate.stop().await;
}
