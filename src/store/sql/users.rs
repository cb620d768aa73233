//! `UserStore` over SQL, the same statements on both engines.

use async_trait::async_trait;

use super::{COLUMNS, SqlUserStore, db_err, row_to_user};
use crate::domain::user::{User, UserId};
use crate::store::{NewUser, Profile, StoreError, StoreResult, UserStore};

/// What every credential change voids, inside the caller's transaction: outstanding reset
/// links and remembered devices (a device stood in for a factor of the old credential).
const FORGET_CREDENTIALS: [&str; 2] = [
    "DELETE FROM password_resets WHERE user_id = $1",
    "DELETE FROM remembered_devices WHERE user_id = $1",
];

#[async_trait]
impl UserStore for SqlUserStore {
    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
        with_pool!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| row_to_user(&row))
            .transpose())
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        // Only when exactly one account has the address: a shared address names no one.
        let sql =
            format!("SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1) AND email <> ''");
        with_pool!(self, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .fetch_all(pool)
                .await
                .map_err(db_err)?;
            match rows.as_slice() {
                [row] => row_to_user(row).map(Some),
                _ => Ok(None),
            }
        })
    }

    async fn get(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        with_pool!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| row_to_user(&row))
            .transpose())
    }

    async fn create(&self, user: &NewUser, now: i64) -> StoreResult<User> {
        with_pool!(self, |pool| {
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
        .execute(pool)
        .await
        .map_err(db_err)
        .map(|_| ())
        })?;
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
        // One transaction: the new hash, the epoch that ends older sessions and the voided
        // links and devices land together or not at all (docs/security.md#credential-changes).
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3, password_set_at = $3, session_epoch = session_epoch + 1 WHERE id = $4")
                .bind(hash)
                .bind(must_change)
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            exec_each!(tx, id.0, [FORGET_CREDENTIALS[0], FORGET_CREDENTIALS[1]]).await?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn rehash_password(&self, id: UserId, old: &str, new: &str, now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND password_hash = $4")
            .bind(new)
            .bind(now)
            .bind(id.0)
            .bind(old)
            .execute(pool)
            .await
            .map_err(db_err)
            .map(|_| ())
        })
    }

    async fn set_disabled(&self, id: UserId, disabled: bool, now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2, session_epoch = session_epoch + 1 WHERE id = $3")
            .bind(disabled)
            .bind(now)
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(db_err)
            .map(|_| ())
        })
    }

    async fn set_groups(&self, id: UserId, groups: &[String], now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE users SET groups = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(groups.join(","))
        .bind(now)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db_err)
        .map(|_| ()))
    }

    async fn set_language(&self, id: UserId, tag: &str) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE users SET language = $1 WHERE id = $2"
        )
        .bind(tag)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db_err)
        .map(|_| ()))
    }

    async fn set_profile(&self, id: UserId, profile: &Profile, now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
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
        })
    }

    async fn delete(&self, id: UserId) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(db_err)?
            .rows_affected());
        Ok(done > 0)
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
        with_pool!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(row_to_user)
            .collect())
    }

    async fn count(&self) -> StoreResult<u64> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(pool)
        .await
        .map_err(db_err)?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn ping(&self) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(db_err))
    }
}
