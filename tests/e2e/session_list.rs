//! `gatehouse user sessions`, the real binary against a running server (shared SQLite and
//! Redis; docs/security.md#session-list): it lists and revokes what the sessions page does.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::harness::*;
use crate::session_util::*;

/// Runs `gatehouse ARGS --config FILE` with extra environment variables.
async fn cli(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    let mut cmd = crate::binary::gatehouse(&all);
    cmd.envs(env.iter().copied()).stdin(Stdio::null());
    tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || cmd.output().unwrap()),
    )
    .await
    .expect("the CLI did not finish within 60 s")
    .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Writes the config the app runs with next to its database, for the CLI.
fn config_file(app: &TestApp, opts: &Opts) -> std::path::PathBuf {
    let text = TestApp::config_text(opts, app.port, &app.echo, &app.dir, &app.prefix);
    let path = app.dir.path().join("gatehouse.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn cli_user_sessions_lists_and_revokes_all_while_the_server_runs() {
    let opts = || Opts::with(Store::Redis, TRUSTED);
    let app = TestApp::spawn(opts()).await;
    let config = config_file(&app, &opts());
    app.add_user("alice", PW, &["users"]).await;
    let browsers = [
        login_from(&app, "alice", DEVICES[0]).await,
        login_from(&app, "alice", DEVICES[2]).await,
    ];
    for b in &browsers {
        assert_works(&app, b, "before the CLI").await;
    }

    let out = cli(&config, &["user", "sessions", "alice"], &[]).await;
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", show(&out));
    let today = gatehouse::presentation::date(unix_now());
    for (b, device) in browsers.iter().zip([DEVICES[0], DEVICES[2]]) {
        let key = key_of(&app, b);
        let line = lines
            .iter()
            .find(|l| l.starts_with(&key[..12]))
            .unwrap_or_else(|| panic!("{} not listed: {stdout}", &key[..12]));
        assert!(!line.contains(&key), "the full key is printed: {line}");
        assert!(!line.contains(&b.session(&app).unwrap()), "{line}");
        let (_, label, ip) = device;
        assert!(line.contains(label) && line.contains(ip), "{line}");
        assert!(
            line.contains("created ") && line.contains("last active ") && line.contains(&today),
            "{line}"
        );
    }

    let out = cli(
        &config,
        &["user", "sessions", "alice", "--revoke-all"],
        &[
            ("GATEHOUSE_LOG__LEVEL", "info"),
            ("GATEHOUSE_LOG__FORMAT", "json"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        stdout.contains("2 session(s) of alice ended"),
        "{}",
        show(&out)
    );
    let audited = String::from_utf8(out.stderr.clone())
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .any(|v| {
            v["target"] == "audit"
                && v["event"] == "session.revoked_all"
                && v["actor"].as_str().map(|a| a.trim_matches('"')) == Some("cli")
                && v["user"].as_str().map(|u| u.trim_matches('"')) == Some("alice")
        });
    assert!(
        audited,
        "no session.revoked_all audit event: {}",
        show(&out)
    );
    for b in &browsers {
        assert_ended(&app, b, "after user sessions --revoke-all").await;
    }

    let out = cli(&config, &["user", "sessions", "alice"], &[]).await;
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("alice has no active sessions"),
        "{}",
        show(&out)
    );
    let out = cli(&config, &["user", "sessions", "nosuch"], &[]).await;
    assert!(!out.status.success(), "{}", show(&out));
}

/// With in-process sessions the CLI cannot see the server's sessions: it says so instead of
/// listing nothing.
#[tokio::test]
async fn cli_user_sessions_refuses_the_memory_store() {
    let app = TestApp::spawn(Opts::default()).await;
    let config = config_file(&app, &Opts::default());
    app.add_user("alice", PW, &["users"]).await;
    let _b = app.login("alice", PW).await;
    for args in [
        &["user", "sessions", "alice"][..],
        &["user", "sessions", "alice", "--revoke-all"],
    ] {
        let out = cli(&config, args, &[]).await;
        assert!(!out.status.success(), "{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("session.store") && stderr.contains("redis"),
            "{}",
            show(&out)
        );
    }
}
