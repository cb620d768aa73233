use std::sync::Arc;

use super::*;
use crate::store::{NewUser, UserStore};

async fn store_with_user() -> (
    tempfile::TempDir,
    Arc<SqlUserStore>,
    crate::domain::user::UserId,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = test_store(dir.path()).await;
    let user = store
        .create(
            &NewUser {
                username: "alice".into(),
                display_name: "Alice".into(),
                email: String::new(),
                groups: vec![],
                password_hash: "$argon2id$x".into(),
                must_change_password: false,
            },
            0,
        )
        .await
        .unwrap();
    (dir, Arc::new(store), user.id)
}

/// A fresh store: a SQLite file in `dir`, or, with `GATEHOUSE_TEST_USER_STORE=postgres`
/// (scripts/test.sh's second pass), a new database on its PostgreSQL cluster.
async fn test_store(dir: &std::path::Path) -> SqlUserStore {
    use sqlx::Connection;
    if std::env::var("GATEHOUSE_TEST_USER_STORE").as_deref() != Ok("postgres") {
        return SqlUserStore::open_sqlite(&dir.join("t.db")).await.unwrap();
    }
    let admin = std::env::var("GATEHOUSE_TEST_POSTGRES_URL").expect(
        "GATEHOUSE_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL",
    );
    let name = format!(
        "u_{}",
        crate::domain::secret::random_token(9)
            .to_ascii_lowercase()
            .replace('-', "_")
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let store = SqlUserStore::open_postgres(&crate::domain::secret::SecretString::new(format!(
        "{base}/{name}"
    )))
    .await
    .unwrap();
    assert_eq!(store.engine(), "postgres");
    store
}

fn hashes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{i:064x}")).collect()
}

#[tokio::test]
async fn enrolment_activates_only_a_pending_secret() {
    let (_dir, s, id) = store_with_user().await;
    assert_eq!(s.totp(id).await.unwrap(), TotpRecord::default());
    assert!(
        !s.activate_totp(id, &hashes(10)).await.unwrap(),
        "nothing pending"
    );
    s.set_totp_pending(id, Some("sealed-secret")).await.unwrap();
    assert!(s.activate_totp(id, &hashes(10)).await.unwrap());
    let t = s.totp(id).await.unwrap();
    assert_eq!(
        (t.secret.as_deref(), t.pending.as_deref()),
        (Some("sealed-secret"), None)
    );
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 10);
    assert!(!format!("{t:?}").contains("sealed-secret"));
    s.disable_totp(id).await.unwrap();
    assert_eq!(s.totp(id).await.unwrap().secret, None);
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 0);
}

#[tokio::test]
async fn a_step_is_claimed_once_even_under_a_race() {
    let (_dir, s, id) = store_with_user().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim_totp_step(id, 59_000_000).await.unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    assert!(
        !s.claim_totp_step(id, 58_999_999).await.unwrap(),
        "an older step"
    );
    assert!(s.claim_totp_step(id, 59_000_001).await.unwrap());
}

#[tokio::test]
async fn recovery_codes_work_once_and_regeneration_voids_the_old_set() {
    let (_dir, s, id) = store_with_user().await;
    let old = hashes(10);
    s.replace_recovery_codes(id, &old).await.unwrap();
    assert!(s.use_recovery_code(id, &old[3], 1).await.unwrap());
    assert!(!s.use_recovery_code(id, &old[3], 2).await.unwrap(), "reuse");
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 9);
    let new: Vec<String> = (100..110).map(|i| format!("{i:064x}")).collect();
    s.replace_recovery_codes(id, &new).await.unwrap();
    assert!(
        !s.use_recovery_code(id, &old[4], 3).await.unwrap(),
        "an old code after regeneration"
    );
    assert!(s.use_recovery_code(id, &new[0], 3).await.unwrap());
    // Deleting the user deletes the codes.
    s.delete(id).await.unwrap();
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 0);
}
