//! `gatehouse store migrate`: copies a SQLite user store into PostgreSQL in one transaction on
//! the target (users with every column, 2FA secrets, recovery codes, remembered devices,
//! pending resets), checks the counts per table before committing, and refuses a target that
//! already holds rows unless told otherwise. The source is only read (once its schema is brought
//! up to date, as any start would).

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thiserror::Error;

use super::{Pool, SqlUserStore, db_err};
use crate::store::StoreError;

/// A column's type, for reading it from SQLite and binding it for PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bool,
}
use Kind::*;

/// The tables in copy order (parents first), with every column.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("id", Int),
            ("username", Text),
            ("display_name", Text),
            ("email", Text),
            ("groups", Text),
            ("disabled", Bool),
            ("must_change_password", Bool),
            ("password_hash", Text),
            ("session_epoch", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("totp_secret", OptText),
            ("totp_pending", OptText),
            ("totp_last_step", Int),
            ("password_set_at", Int),
            ("language", Text),
            ("passkey_handle", OptText),
        ],
    ),
    (
        "passkeys",
        &[
            ("credential_id", Text),
            ("user_id", Int),
            ("name", Text),
            ("credential", Text),
            ("created_at", Int),
            ("last_used_at", Int),
        ],
    ),
    (
        "recovery_codes",
        &[("user_id", Int), ("code_hash", Text), ("used_at", OptInt)],
    ),
    (
        "remembered_devices",
        &[
            ("id_hash", Text),
            ("user_id", Int),
            ("label", Text),
            ("ip", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
        ],
    ),
    (
        "password_resets",
        &[
            ("token_hash", Text),
            ("user_id", Int),
            ("created_at", Int),
            ("expires_at", Int),
        ],
    ),
];

/// One value on its way from SQLite to PostgreSQL.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

/// Why a copy did not happen (nothing was committed in any case).
#[derive(Debug, Error)]
pub enum CopyError {
    #[error("the source must be a SQLite store and the target a PostgreSQL one")]
    Engines,
    #[error("the target already holds rows ({0}); nothing was copied")]
    NotEmpty(String),
    #[error(
        "{table}: {expected} rows expected in the target after the copy, {found} found; rolled back"
    )]
    Mismatch {
        table: &'static str,
        expected: u64,
        found: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows copied per table, in copy order.
pub type Counts = Vec<(&'static str, u64)>;

/// Copies every row of `from` (SQLite) into `to` (PostgreSQL; already migrated by its opening).
pub async fn copy(
    from: &SqlUserStore,
    to: &SqlUserStore,
    allow_non_empty: bool,
) -> Result<Counts, CopyError> {
    let (Pool::Sqlite(source), Pool::Postgres(target)) = (&from.pool, &to.pool) else {
        return Err(CopyError::Engines);
    };
    // One read transaction: a consistent snapshot even if a server still writes the file.
    let mut src = source.begin().await.map_err(db_err)?;
    let mut tx = target.begin().await.map_err(db_err)?;
    let before = counts_pg(&mut tx).await?;
    let held: Vec<String> = before
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}: {n}"))
        .collect();
    if !held.is_empty() && !allow_non_empty {
        return Err(CopyError::NotEmpty(held.join(", ")));
    }
    let mut copied = Counts::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let rows = sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut *src)
            .await
            .map_err(db_err)?;
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        for row in &rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
            for value in read(row, columns)? {
                q = match value {
                    Value::Int(v) => q.bind(v),
                    Value::Text(v) => q.bind(v),
                    Value::Bool(v) => q.bind(v),
                };
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        copied.push((*table, rows.len() as u64));
    }
    // Ids are never handed out twice: the target's sequence continues after every id the
    // source ever gave (SQLite's AUTOINCREMENT high-water mark, not just the largest left).
    let high: i64 = sqlx::query_scalar(
        "SELECT MAX(n) FROM (SELECT COALESCE(MAX(id), 0) AS n FROM users \
         UNION ALL SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'users')",
    )
    .fetch_one(&mut *src)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('users', 'id'), \
         GREATEST($1, (SELECT COALESCE(MAX(id), 0) FROM users), 1))",
    )
    .bind(high)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let after = counts_pg(&mut tx).await?;
    for ((table, was), (_, n)) in before.iter().zip(&copied) {
        let found = after
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, f)| *f);
        if found != was + n {
            // Dropping `tx` rolls it back.
            return Err(CopyError::Mismatch {
                table,
                expected: was + n,
                found,
            });
        }
    }
    tx.commit().await.map_err(db_err)?;
    Ok(copied)
}

fn read(row: &SqliteRow, columns: &[(&str, Kind)]) -> Result<Vec<Value>, StoreError> {
    columns
        .iter()
        .map(|(name, kind)| {
            let name = *name;
            Ok(match kind {
                Int => Value::Int(Some(row.try_get(name).map_err(StoreError::corrupt)?)),
                OptInt => Value::Int(row.try_get(name).map_err(StoreError::corrupt)?),
                Text => Value::Text(Some(row.try_get(name).map_err(StoreError::corrupt)?)),
                OptText => Value::Text(row.try_get(name).map_err(StoreError::corrupt)?),
                Bool => Value::Bool(row.try_get(name).map_err(StoreError::corrupt)?),
            })
        })
        .collect()
}

async fn counts_pg(tx: &mut sqlx::PgConnection) -> Result<Counts, StoreError> {
    let mut counts = Counts::new();
    for (table, _) in TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        counts.push((*table, u64::try_from(n).unwrap_or(0)));
    }
    Ok(counts)
}
