//! The user store a test app runs on: a SQLite file in the app's temp dir (the default), or,
//! with `GATEHOUSE_TEST_USER_STORE=postgres`, a database of its own on the PostgreSQL cluster
//! `scripts/test.sh` started (`GATEHOUSE_TEST_POSTGRES_URL`), so the same suite runs on both.
//! Tests never skip: asked for PostgreSQL without a cluster, they fail naming what is missing.

use std::path::Path;

use gatehouse::config::Database;
use sqlx::Connection;

/// The PostgreSQL cluster's admin URL (a database tests may create databases through).
pub fn postgres_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("GATEHOUSE_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which installs PostgreSQL and starts a private cluster")
    })
}

/// Whether test apps keep their users in PostgreSQL (`GATEHOUSE_TEST_USER_STORE`).
pub fn on_postgres() -> bool {
    match std::env::var("GATEHOUSE_TEST_USER_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("GATEHOUSE_TEST_USER_STORE={other:?}: use sqlite or postgres"),
    }
}

/// `storage.database` for an app whose files live in `dir`: its SQLite file, or a PostgreSQL
/// database named after `dir` (created on first use, so every call for one app names the
/// same database).
pub fn database_for(dir: &Path) -> String {
    if !on_postgres() {
        return dir.join("users.db").display().to_string();
    }
    let tag: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    fresh_postgres_database(&format!("t_{tag}"))
}

/// Creates the database `name` (if it is not there yet) and returns its URL.
pub fn fresh_postgres_database(name: &str) -> String {
    let admin = postgres_url();
    let (base, _) = admin
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("GATEHOUSE_TEST_POSTGRES_URL {admin:?} has no database part"));
    let url = format!("{base}/{name}");
    let sql = format!("CREATE DATABASE \"{name}\"");
    // Its own thread and runtime: callers may be sync or inside a runtime already.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin}: {e}"));
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
            {
                Ok(_) => {}
                // 42P04 duplicate_database: a second call for the same app.
                Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P04") => {}
                Err(e) => panic!("creating the test database: {e}"),
            }
            conn.close().await.ok();
        });
    })
    .join()
    .unwrap();
    url
}

/// Runs one statement on the app's user database, behind the app's back (as another instance
/// or an operator would).
pub async fn execute(database: &Database, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match database {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url.expose()).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
}

/// One text value from the app's user database.
pub async fn text(database: &Database, sql: &str) -> String {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match database {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url.expose()).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
    }
}
