//! The user store over sqlx: SQLite (one file, the default).
//!
//! SQL is kept portable (no SQLite-only syntax) so that PostgreSQL can share it. Migrations
//! are embedded and run at start. The database file is created with mode 0600 (docs/security.md#file-permissions).

use crate::domain::user::UserId;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, SqlSafeStr};

use super::{NewUser, Profile, StoreError, StoreResult, UserStore};

mod devices;
mod resets;
mod two_factor;
use crate::domain::user::User;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "users", include_str!("migrations/0001_users.sql")),
    (
        2,
        "two_factor",
        include_str!("migrations/0002_two_factor.sql"),
    ),
    (3, "devices", include_str!("migrations/0003_devices.sql")),
    (
        4,
        "password_resets",
        include_str!("migrations/0004_password_resets.sql"),
    ),
    (
        5,
        "password_set_at",
        include_str!("migrations/0005_password_set_at.sql"),
    ),
    (6, "language", include_str!("migrations/0006_language.sql")),
];

fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::unavailable(e),
    }
}

/// Users in SQLite.
#[derive(Clone)]
pub struct SqlUserStore {
    pool: SqlitePool,
}

const COLUMNS: &str = "id, username, display_name, email, groups, disabled, must_change_password, password_hash, session_epoch, created_at, updated_at, password_set_at, language, totp_secret IS NOT NULL AS totp_enabled";

impl SqlUserStore {
    /// Opens (creating if needed) the SQLite file at `path` and runs migrations.
    pub async fn open_sqlite(path: &Path) -> StoreResult<Self> {
        ensure_private_file(path)?;
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(db_err)?
            .create_if_missing(true)
            // WAL lets the CLI change users while the server reads them.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db_err)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    (*name).into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::unavailable_at("migration failed", e))
    }
}

/// Creates the database file with mode 0600 before SQLite opens it, so it is never
/// world-readable, even for a moment.
fn ensure_private_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::unavailable_at(dir.display(), e))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .map_err(|e| StoreError::unavailable_at(path.display(), e))
}

fn row_to_user(row: &SqliteRow) -> StoreResult<User> {
    let get = StoreError::corrupt;
    let groups: String = row.try_get("groups").map_err(get)?;
    Ok(User {
        id: UserId(row.try_get("id").map_err(get)?),
        username: row.try_get("username").map_err(get)?,
        display_name: row.try_get("display_name").map_err(get)?,
        email: row.try_get("email").map_err(get)?,
        groups: groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
        disabled: row.try_get("disabled").map_err(get)?,
        must_change_password: row.try_get("must_change_password").map_err(get)?,
        password_hash: row.try_get("password_hash").map_err(get)?,
        session_epoch: row.try_get("session_epoch").map_err(get)?,
        totp_enabled: row.try_get("totp_enabled").map_err(get)?,
        password_set_at: row.try_get("password_set_at").map_err(get)?,
        language: row.try_get("language").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        updated_at: row.try_get("updated_at").map_err(get)?,
    })
}

#[async_trait]
impl UserStore for SqlUserStore {
    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|row| row_to_user(&row))
            .transpose()
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        // Only when exactly one account has the address: a shared address names no one.
        let sql =
            format!("SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1) AND email <> ''");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        match rows.as_slice() {
            [row] => row_to_user(row).map(Some),
            _ => Ok(None),
        }
    }

    async fn get(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|row| row_to_user(&row))
            .transpose()
    }

    async fn create(&self, user: &NewUser, now: i64) -> StoreResult<User> {
        sqlx::query(
            "INSERT INTO users (username, display_name, email, groups, disabled, must_change_password, password_hash, created_at, updated_at, password_set_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, $7, $7)",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.email)
        .bind(user.groups.join(","))
        .bind(user.must_change_password)
        .bind(&user.password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        self.find_by_username(&user.username)
            .await?
            .ok_or_else(|| StoreError::inconsistent("user vanished after insert"))
    }

    async fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3, password_set_at = $3, session_epoch = session_epoch + 1 WHERE id = $4")
            .bind(hash)
            .bind(must_change)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        forget_credentials(&mut tx, id).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn rehash_password(&self, id: UserId, old: &str, new: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND password_hash = $4")
            .bind(new)
            .bind(now)
            .bind(id.0)
            .bind(old)
            .execute(&self.pool)
            .await
            .map_err(db_err)
            .map(|_| ())
    }

    async fn set_disabled(&self, id: UserId, disabled: bool, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET disabled = $1, updated_at = $2, session_epoch = session_epoch + 1 WHERE id = $3")
            .bind(disabled)
            .bind(now)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)
            .map(|_| ())
    }

    async fn set_groups(&self, id: UserId, groups: &[String], now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET groups = $1, updated_at = $2 WHERE id = $3")
            .bind(groups.join(","))
            .bind(now)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)
            .map(|_| ())
    }

    async fn set_language(&self, id: UserId, tag: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(tag)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_profile(&self, id: UserId, profile: &Profile, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Before the update, while the old address is still there to compare with.
        sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND EXISTS (SELECT 1 FROM users WHERE id = $1 AND email <> $2)")
            .bind(id.0)
            .bind(&profile.email)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE users SET display_name = $1, email = $2, groups = $3, updated_at = $4 WHERE id = $5")
            .bind(&profile.display_name)
            .bind(&profile.email)
            .bind(profile.groups.join(","))
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete(&self, id: UserId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(row_to_user)
            .collect()
    }

    async fn count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_err)
    }
}

/// What every credential change voids, inside the caller's transaction: outstanding reset
/// links and remembered devices (a device stood in for a factor of the old credential).
pub(super) async fn forget_credentials(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user_id: UserId,
) -> StoreResult<()> {
    for sql in [
        "DELETE FROM password_resets WHERE user_id = $1",
        "DELETE FROM remembered_devices WHERE user_id = $1",
    ] {
        sqlx::query(sql)
            .bind(user_id.0)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}
