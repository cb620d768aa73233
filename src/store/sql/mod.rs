//! The user store over sqlx: SQLite (one file, the default) or PostgreSQL (one database that
//! several instances share).
//!
//! Both run the same SQL text (`$N` placeholders, no engine-only syntax): [`with_pool!`]
//! expands each query once per driver, so the two cannot drift apart. Each engine has its own
//! embedded migration set under `migrations/`, with the same version numbers and the same
//! schema in its own types, run at start. A migration that shipped is never edited (sqlx
//! refuses a database whose applied migration no longer matches its checksum): change the
//! schema with a new version in both sets. The SQLite file is created with mode 0600
//! (docs/security.md#file-permissions).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row, SqlSafeStr};

use super::{StoreError, StoreResult};
use crate::config::Database;
use crate::domain::secret::SecretString;
use crate::domain::user::{User, UserId};

/// Runs `$body` with `$pool` bound to the store's pool, whichever engine it is: one SQL text,
/// compiled once per driver.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::sql::Pool::Sqlite($pool) => $body,
            $crate::store::sql::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs each statement, binding `$id` as `$1`, inside the transaction `$tx`.
macro_rules! exec_each {
    ($tx:expr, $id:expr, [$($sql:expr),+ $(,)?]) => {
        async {
            $(
                sqlx::query($sql)
                    .bind($id)
                    .execute(&mut *$tx)
                    .await
                    .map_err($crate::store::sql::db_err)?;
            )+
            Ok::<(), $crate::store::StoreError>(())
        }
    };
}

pub mod copy;
mod devices;
mod passkeys;
mod resets;
mod two_factor;
mod users;

/// The pool of whichever engine the configuration names.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Users, second factors, remembered devices and reset tokens in SQL.
#[derive(Clone)]
pub struct SqlUserStore {
    pub(crate) pool: Pool,
}

/// One migration: version, name, SQL.
type Step = (i64, &'static str, &'static str);

macro_rules! migrations {
    ($dir:literal) => {
        [
            (
                1,
                "users",
                include_str!(concat!("migrations/", $dir, "/0001_users.sql")),
            ),
            (
                2,
                "two_factor",
                include_str!(concat!("migrations/", $dir, "/0002_two_factor.sql")),
            ),
            (
                3,
                "devices",
                include_str!(concat!("migrations/", $dir, "/0003_devices.sql")),
            ),
            (
                4,
                "password_resets",
                include_str!(concat!("migrations/", $dir, "/0004_password_resets.sql")),
            ),
            (
                5,
                "password_set_at",
                include_str!(concat!("migrations/", $dir, "/0005_password_set_at.sql")),
            ),
            (
                6,
                "language",
                include_str!(concat!("migrations/", $dir, "/0006_language.sql")),
            ),
            (
                7,
                "passkeys",
                include_str!(concat!("migrations/", $dir, "/0007_passkeys.sql")),
            ),
        ]
    };
}

const SQLITE_MIGRATIONS: &[Step] = &migrations!("sqlite");
const POSTGRES_MIGRATIONS: &[Step] = &migrations!("postgres");

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::unavailable(e),
    }
}

impl SqlUserStore {
    /// Opens the database the configuration names and runs its migrations.
    pub async fn open(database: &Database) -> StoreResult<Self> {
        match database {
            Database::Sqlite(path) => Self::open_sqlite(path).await,
            Database::Postgres(url) => Self::open_postgres(url).await,
        }
    }

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
            // A connection to a file cannot be dropped by a server or a network, so testing
            // it on every acquire (sqlx's default, a round trip to its thread) buys nothing.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(db_err)?;
        let store = Self {
            pool: Pool::Sqlite(pool),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to PostgreSQL at `url` and runs migrations (under sqlx's advisory lock, so
    /// instances starting together do not race). Fails when the server cannot be reached.
    pub async fn open_postgres(url: &SecretString) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|e| StoreError::unavailable_at("the PostgreSQL URL", e))?
            .application_name("gatehouse");
        // One direct connection first: its error says why (refused, authentication, no such
        // database) where the pool's would only say that it timed out.
        let probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::unavailable_at("cannot connect to PostgreSQL", e))?;
        probe.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            // A request waits this long for a connection before failing with 503, rather
            // than hanging while the database is away.
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        let store = Self {
            pool: Pool::Postgres(pool),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Which engine: "sqlite" or "postgres".
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    async fn migrate(&self) -> StoreResult<()> {
        let steps = match self.pool {
            Pool::Sqlite(_) => SQLITE_MIGRATIONS,
            Pool::Postgres(_) => POSTGRES_MIGRATIONS,
        };
        let migrations = steps
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
        let migrator = Migrator::with_migrations(migrations);
        with_pool!(self, |pool| migrator.run(pool).await)
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

const COLUMNS: &str = "id, username, display_name, email, groups, disabled, must_change_password, password_hash, session_epoch, created_at, updated_at, password_set_at, language, totp_secret IS NOT NULL AS totp_enabled, EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id) AS has_passkeys";

/// A user from a row of either engine.
fn row_to_user<R: Row>(row: &R) -> StoreResult<User>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
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
        has_passkeys: row.try_get("has_passkeys").map_err(get)?,
        password_set_at: row.try_get("password_set_at").map_err(get)?,
        language: row.try_get("language").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        updated_at: row.try_get("updated_at").map_err(get)?,
    })
}
