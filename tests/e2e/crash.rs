//! Crash atomicity of credential changes (docs/architecture.md#postgresql), on both user
//! stores: the real binary is killed with SIGKILL at varying moments while a password change
//! (`gatehouse user passwd`, also killed) and a two-factor enrolment (through the portal of a
//! `gatehouse serve`) are in flight. After each crash the database holds the old state or the
//! new one, never a mix: the epoch moved exactly when the password did (and the new password is
//! the one that signs in), a reset link or remembered device from before a committed change is
//! gone, and a TOTP secret never exists without its recovery codes or codes without a secret.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use gatehouse::config::Database;

use crate::binary::Gate;
use crate::harness::user_store::{execute, fresh_postgres_database, text};
use crate::harness::*;

const ROUNDS: u64 = 10;

fn password(i: u64) -> String {
    format!("crash test password number {i:02}")
}

/// `SELECT expr rest` as a number, read the same way on both engines.
async fn number(db: &Database, expr: &str, rest: &str) -> i64 {
    text(db, &format!("SELECT CAST({expr} AS TEXT) {rest}"))
        .await
        .parse()
        .unwrap()
}

fn between(html: &str, start: &str, end: &str) -> String {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in {html}"))
        + start.len();
    html[i..].split(end).next().unwrap().to_owned()
}

async fn rounds(database: String) {
    let db_value = toml::Value::String(database.clone());
    let mut gate = Gate::new(Opts::default(), |t| {
        merge(t, toml::toml! { [storage] database = db_value });
    })
    .await;
    let db = gatehouse::config::load(Path::new(gate.cfg()), std::iter::empty())
        .unwrap()
        .database;
    gate.add_user("alice", &password(0), &[]).await;
    let alice = "(SELECT id FROM users WHERE username = 'alice')";
    let mut current = password(0);
    // How long a whole password change takes here: the kill moments spread from 0 to a little
    // past it, so that rounds die before, during and after the commit (not an assertion).
    let started = std::time::Instant::now();
    gate.cli_ok(
        &["user", "passwd", "alice", "--password-stdin"],
        Some(&format!("{current}\n")),
    )
    .await;
    let whole = started.elapsed();
    for i in 1..=ROUNDS {
        // Before: a live reset link and a remembered device, both voided by a password change.
        let now = number(
            &db,
            "password_set_at",
            "FROM users WHERE username = 'alice'",
        )
        .await;
        execute(&db, &format!("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ('r{i}', {alice}, {now}, {now} + 900)")).await;
        execute(&db, &format!("INSERT INTO remembered_devices (id_hash, user_id, label, ip, created_at, expires_at, last_used_at) VALUES ('d{i}', {alice}, 'x', '127.0.0.1', {now}, {now} + 900, {now})")).await;
        let epoch = number(&db, "session_epoch", "FROM users WHERE username = 'alice'").await;
        gate.serve().await;
        let mut b = gate.login("alice", &current).await;
        let page = b
            .send(gate.get("auth.gate.localhost", "/account/2fa/enable"))
            .await;
        let html = page.text().await.unwrap();
        let secret: String = between(&html, "id=\"totp-secret\">", "<")
            .split_whitespace()
            .collect();
        let csrf = extract_csrf(&html);
        let code = crate::oath::oathtool_at(&secret, crate::totp_util::unix_now());

        // Both changes start together; both processes die `delay` later.
        let next = password(i);
        let mut passwd = gate.command(&["user", "passwd", "alice", "--password-stdin"], &[]);
        passwd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut passwd = passwd.spawn().unwrap();
        writeln!(passwd.stdin.take().unwrap(), "{next}").unwrap();
        let enable = gate
            .req(
                reqwest::Method::POST,
                "auth.gate.localhost",
                "/account/2fa/enable",
            )
            .header("cookie", b.cookie_header())
            .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
            .send();
        let enable = tokio::spawn(enable);
        let delay = whole.mul_f64(1.2 * (i - 1) as f64 / (ROUNDS - 1) as f64);
        tokio::time::sleep(delay).await;
        passwd.kill().ok();
        passwd.wait().unwrap();
        gate.kill().await;
        let _ = enable.await;

        // After: old or new, never a mix.
        let moved =
            number(&db, "session_epoch", "FROM users WHERE username = 'alice'").await - epoch;
        let resets = number(
            &db,
            "COUNT(*)",
            &format!("FROM password_resets WHERE token_hash = 'r{i}'"),
        )
        .await;
        let devices = number(
            &db,
            "COUNT(*)",
            &format!("FROM remembered_devices WHERE id_hash = 'd{i}'"),
        )
        .await;
        match moved {
            1 => {
                assert_eq!(
                    (resets, devices),
                    (0, 0),
                    "round {i}: a link or device outlived the password change"
                );
                current = next;
            }
            0 => assert_eq!(
                (resets, devices),
                (1, 1),
                "round {i}: voided without a password change"
            ),
            _ => panic!("round {i}: the epoch moved by {moved}"),
        }
        let secret_set = number(
            &db,
            "COUNT(*)",
            "FROM users WHERE username = 'alice' AND totp_secret IS NOT NULL",
        )
        .await;
        let codes = number(
            &db,
            "COUNT(*)",
            &format!("FROM recovery_codes WHERE user_id = {alice}"),
        )
        .await;
        assert!(
            (secret_set, codes) == (0, 0) || (secret_set, codes) == (1, 10),
            "round {i} ({delay:?}): secret {secret_set}, {codes} recovery codes"
        );
        eprintln!(
            "{database}: round {i}, killed after {delay:?}: password changed {moved}, 2FA enabled {secret_set}"
        );
        if secret_set == 1 {
            gate.cli_ok(&["user", "reset-2fa", "alice"], None).await;
        }
        // The password the epoch says is in force is the one that signs in.
        gate.serve().await;
        gate.login("alice", &current).await;
        gate.stop().await;
    }
}

#[tokio::test]
async fn a_killed_credential_change_leaves_the_old_state_or_the_new_one_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    rounds(dir.path().join("users.db").display().to_string()).await;
}

#[tokio::test]
async fn a_killed_credential_change_leaves_the_old_state_or_the_new_one_on_postgres() {
    let name = format!(
        "t_crash_{}",
        gatehouse::domain::secret::random_token(6)
            .to_ascii_lowercase()
            .replace('-', "_")
    );
    rounds(fresh_postgres_database(&name)).await;
}
