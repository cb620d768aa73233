//! `gatehouse store migrate`: a SQLite store filled through the real flows moves to
//! PostgreSQL with every table, and the PostgreSQL instance signs the same people in with the
//! same second factor; a target that holds rows is refused and left as it was.

use gatehouse::domain::user::UserId;
use gatehouse::store::sql::SqlUserStore;
use gatehouse::store::{ResetStore, UserStore};

use crate::harness::user_store::{fresh_postgres_database, text};
use crate::harness::*;
use crate::totp_util::{code_step, enroll, password_step};

/// Runs `gatehouse store migrate ARGS…`; returns (success, stdout, stderr).
async fn migrate(args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(["store", "migrate"]).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn users_in(url: &str) -> String {
    let db =
        gatehouse::config::Database::Postgres(gatehouse::domain::secret::SecretString::new(url));
    text(&db, "SELECT COUNT(*)::TEXT FROM users").await
}

#[tokio::test]
async fn a_sqlite_store_moves_to_postgres_whole_and_once() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = src_dir.path().join("users.db");
    let sqlite = format!("[storage]\ndatabase = \"{}\"\n", src.display());
    // One clock for both instances, advanced by the test: codes need no waiting.
    let clock = gatehouse::clock::ManualClock::starting_now();
    let opts = |overlay: &str| Opts {
        clock: Some(clock.clone()),
        ..Opts::with(Store::Memory, overlay)
    };
    let mut a = TestApp::spawn(opts(&sqlite)).await;
    a.add_user("alice", PW, &["users"]).await;
    a.add_user("bob", PW, &["users"]).await;
    // Alice turns two-factor on and has this browser remembered, through the pages.
    let mut e = enroll(&a, "alice").await;
    let mut b = a.browser();
    password_step(&a, &mut b, "alice", "").await;
    let code = e.next_code().await;
    let resp = code_step(&a, &mut b, &code, true, "").await;
    assert_eq!(resp.status(), 303);
    // Bob has a reset link outstanding.
    let store = SqlUserStore::open_sqlite(&src).await.unwrap();
    let bob = store.find_by_username("bob").await.unwrap().unwrap();
    let now = a.now();
    store
        .issue_reset(bob.id, "ab".repeat(32).as_str(), now, now + 900)
        .await
        .unwrap();
    a.stop().await;

    let url = fresh_postgres_database(&format!(
        "t_migrate_{}",
        gatehouse::domain::secret::random_token(6)
            .to_ascii_lowercase()
            .replace('-', "_")
    ));
    let from = format!("sqlite:{}", src.display());
    let (ok, out, err) = migrate(&["--from", &from, "--to", &url]).await;
    assert!(ok, "{out}{err}");
    for line in [
        "users: 2",
        "recovery_codes: 10",
        "remembered_devices: 1",
        "password_resets: 1",
    ] {
        assert!(out.contains(line), "{line} missing from: {out}");
    }

    // An instance on PostgreSQL: alice signs in with her password and a code from the same
    // secret; bob's link still names bob; a new user gets an id never handed out before.
    let pg = format!("[storage]\ndatabase = \"{url}\"\n");
    let app = TestApp::spawn(opts(&pg)).await;
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let code = e.next_code().await;
    let resp = code_step(&app, &mut b, &code, false, "").await;
    assert_eq!(resp.status(), 303);
    assert!(
        b.session(&app).is_some(),
        "alice has no session on PostgreSQL"
    );
    let target =
        SqlUserStore::open_postgres(&gatehouse::domain::secret::SecretString::new(url.as_str()))
            .await
            .unwrap();
    assert_eq!(
        target.reset_user(&"ab".repeat(32), now + 1).await.unwrap(),
        Some(bob.id)
    );
    app.add_user("carol", PW, &[]).await;
    let carol = target.find_by_username("carol").await.unwrap().unwrap();
    assert_eq!(carol.id, UserId(3));

    // Again: refused, with the way to insist, and nothing changed.
    let (ok, out, err) = migrate(&["--from", &from, "--to", &url]).await;
    assert!(!ok, "{out}");
    assert!(
        err.contains("already holds rows") && err.contains("--allow-non-empty"),
        "{err}"
    );
    assert_eq!(users_in(&url).await, "3");
    // Insisting copies into it, and the clashing rows roll the whole copy back.
    let (ok, _, err) = migrate(&["--from", &from, "--to", &url, "--allow-non-empty"]).await;
    assert!(!ok);
    assert!(
        err.contains("already exists") || err.contains("duplicate"),
        "{err}"
    );
    assert_eq!(users_in(&url).await, "3");
}

#[tokio::test]
async fn a_missing_source_is_refused_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("typo.db");
    let url = crate::harness::user_store::postgres_url();
    let (ok, _, err) =
        migrate(&["--from", &format!("sqlite:{}", src.display()), "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("is not a file"), "{err}");
    assert!(!src.exists());
}
