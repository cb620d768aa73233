//! What a newcomer meets first: the README's set-up commands and its configuration example
//! (checked as written, with only the paths moved into a temporary directory), and the CLI's
//! help, errors and output.

use std::process::Command;

use crate::binary::{gatehouse, run};

const README: &str = include_str!("../../README.md");

/// The README's example configuration: the TOML block that starts with its file name.
fn readme_config() -> String {
    let start = README
        .find("```toml\n# /etc/gatehouse/gatehouse.toml\n")
        .expect("the README has no example configuration block");
    let body = &README[start + "```toml\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

#[test]
fn the_readme_holds_the_two_set_up_commands_and_ci_runs_the_second() {
    assert!(README.contains("\ncargo run --release -- demo\n"));
    assert!(README.contains("\nscripts/test.sh\n"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "exec scripts/test.sh"),
        "{ci}"
    );
}

#[tokio::test]
async fn the_readme_configuration_is_valid_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = readme_config().replace("/var/lib/gatehouse", dir.path().to_str().unwrap());
    assert!(
        text.contains("trusted_proxies"),
        "the proxy note is in the example"
    );
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(&path, &text).unwrap();
    let out = run(
        gatehouse(&["check-config", "--config", path.to_str().unwrap()]),
        None,
    )
    .await;
    assert!(out.status.success(), "{}\n{text}", out.show());
    // And the first administrator can be created on it, as step 2 says.
    let out = run(
        gatehouse(&[
            "user",
            "add",
            "admin",
            "--group",
            "admins",
            "--email",
            "admin@example.com",
            "--password-stdin",
            "--config",
            path.to_str().unwrap(),
        ]),
        Some("a first administrator's long password\n"),
    )
    .await;
    assert!(out.status.success(), "{}", out.show());
}

#[tokio::test]
async fn every_cli_argument_has_help_and_no_empty_default() {
    let commands: &[&[&str]] = &[
        &["serve"],
        &["check-config"],
        &["demo"],
        &["hash-password"],
        &["user", "add"],
        &["user", "passwd"],
        &["user", "disable"],
        &["user", "enable"],
        &["user", "unlock"],
        &["user", "delete"],
        &["user", "groups"],
        &["user", "reset-2fa"],
        &["user", "sessions"],
    ];
    for args in commands {
        let mut all = args.to_vec();
        all.push("--help");
        let out = run(gatehouse(&all), None).await;
        assert!(out.status.success(), "{}", out.show());
        assert!(
            !out.stdout.contains("[default: ]"),
            "{args:?}: {}",
            out.stdout
        );
        // Every argument and option line carries a description after its name.
        for line in out.stdout.lines().filter(|l| l.starts_with("  ")) {
            let words: Vec<&str> = line.split("  ").filter(|w| !w.trim().is_empty()).collect();
            assert!(words.len() >= 2, "{args:?}: no help for {line:?}");
        }
    }
}

#[tokio::test]
async fn demo_on_a_busy_port_fails_before_its_banner() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = run(gatehouse(&["demo", "--port", &port]), None).await;
    assert_eq!(out.status.code(), Some(1), "{}", out.show());
    assert!(
        !out.stdout.contains("Gatehouse demo is running"),
        "{}",
        out.show()
    );
    assert!(
        out.stderr
            .contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{}",
        out.show()
    );
    assert_eq!(
        out.stderr.matches("error:").count(),
        1,
        "said once: {}",
        out.show()
    );
}

#[tokio::test]
async fn a_user_command_at_a_terminal_prints_its_answer_without_audit_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = readme_config().replace("/var/lib/gatehouse", dir.path().to_str().unwrap());
    let cfg = dir.path().join("gatehouse.toml");
    std::fs::write(&cfg, &text).unwrap();
    let cfg = cfg.to_str().unwrap();
    let add = |stdin| async move {
        let args = ["user", "add", "bob", "--password-stdin", "--config", cfg];
        run(gatehouse(&args), Some(stdin)).await
    };
    assert!(add("bob's long enough password\n").await.status.success());

    // Piped (a script, a unit): the audit event goes to stderr for whatever collects it.
    let out = run(
        gatehouse(&["user", "disable", "bob", "--config", cfg]),
        None,
    )
    .await;
    assert!(out.stderr.contains("user.disabled"), "{}", out.show());

    // At a terminal (`script` gives the command a pty): only the answer.
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("{bin} user enable bob --config {cfg}"),
        "/dev/null",
    ]);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GATEHOUSE_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    let out = run(cmd, None).await;
    assert!(
        out.status.success(),
        "`script` (util-linux) is needed: {}",
        out.show()
    );
    assert!(out.stdout.contains("enabled bob"), "{}", out.show());
    assert!(
        !out.stdout.contains("audit"),
        "audit lines at a terminal: {}",
        out.show()
    );

    // A refused password is said once, not "reason: reason".
    let out = add("short\n").await;
    assert_eq!(out.status.code(), Some(1), "{}", out.show());
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert_eq!(line.matches("15 characters").count(), 1, "{}", out.show());
}
