//! `PasskeyStore` over SQL (both engines). The credential id is the primary key, so one
//! credential can never belong to two users; a sign-in's counter update is a conditional write.

use async_trait::async_trait;
use sqlx::Row;

use super::{SqlUserStore, db_err};
use crate::domain::user::UserId;
use crate::store::{PasskeyStore, StoreError, StoreResult, StoredPasskey};

/// The condition, on user `$1`, that no second factor is left: no passkey and no app.
macro_rules! no_factor_left {
    () => {
        "NOT EXISTS (SELECT 1 FROM passkeys WHERE passkeys.user_id = $1) \
         AND EXISTS (SELECT 1 FROM users WHERE users.id = $1 AND users.totp_secret IS NULL)"
    };
}

#[async_trait]
impl PasskeyStore for SqlUserStore {
    async fn ensure_passkey_handle(&self, user_id: UserId, fresh: &str) -> StoreResult<String> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE users SET passkey_handle = $1 WHERE id = $2 AND passkey_handle IS NULL",
            )
            .bind(fresh)
            .bind(user_id.0)
            .execute(pool)
            .await
            .map_err(db_err)?;
            let handle: Option<Option<String>> =
                sqlx::query_scalar("SELECT passkey_handle FROM users WHERE id = $1")
                    .bind(user_id.0)
                    .fetch_optional(pool)
                    .await
                    .map_err(db_err)?;
            handle
                .flatten()
                .ok_or_else(|| StoreError::inconsistent("the user is gone"))
        })
    }

    async fn user_by_passkey_handle(&self, handle: &str) -> StoreResult<Option<UserId>> {
        with_pool!(self, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT id FROM users WHERE passkey_handle = $1"
        )
        .bind(handle)
        .fetch_optional(pool)
        .await
        .map(|id| id.map(UserId))
        .map_err(db_err))
    }

    async fn passkeys(&self, user_id: UserId) -> StoreResult<Vec<StoredPasskey>> {
        with_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT credential_id, name, credential, created_at, last_used_at FROM passkeys \
                 WHERE user_id = $1 ORDER BY created_at, credential_id",
            )
            .bind(user_id.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            rows.iter()
                .map(|r| {
                    Ok(StoredPasskey {
                        credential_id: r.try_get("credential_id").map_err(db_err)?,
                        user_id,
                        name: r.try_get("name").map_err(db_err)?,
                        credential: r.try_get("credential").map_err(db_err)?,
                        created_at: r.try_get("created_at").map_err(db_err)?,
                        last_used_at: r.try_get("last_used_at").map_err(db_err)?,
                    })
                })
                .collect()
        })
    }

    async fn add_passkey(&self, p: &StoredPasskey) -> StoreResult<bool> {
        let added = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, 0)"
        )
        .bind(&p.credential_id)
        .bind(p.user_id.0)
        .bind(&p.name)
        .bind(&p.credential)
        .bind(p.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(db_err)
        });
        match added {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn record_passkey_use(
        &self,
        user_id: UserId,
        credential_id: &str,
        expected: &str,
        updated: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "UPDATE passkeys SET credential = $1, last_used_at = $2 \
             WHERE user_id = $3 AND credential_id = $4 AND credential = $5"
        )
        .bind(updated)
        .bind(now)
        .bind(user_id.0)
        .bind(credential_id)
        .bind(expected)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(db_err))?;
        Ok(done == 1)
    }

    async fn rename_passkey(
        &self,
        user_id: UserId,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "UPDATE passkeys SET name = $1 WHERE user_id = $2 AND credential_id = $3"
        )
        .bind(name)
        .bind(user_id.0)
        .bind(credential_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(db_err))?;
        Ok(done == 1)
    }

    async fn remove_passkey(&self, user_id: UserId, credential_id: &str) -> StoreResult<bool> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let removed =
                sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
                    .bind(user_id.0)
                    .bind(credential_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
            // The last second factor gone: its recovery codes and remembered devices go with
            // it, as when an app is turned off without passkeys. Kept, they would come back
            // with a passkey added later, which would then not count as a first factor (no
            // fresh codes, the session left one-factor) while old devices skipped it.
            exec_each!(
                tx,
                user_id.0,
                [
                    concat!(
                        "DELETE FROM recovery_codes WHERE user_id = $1 AND ",
                        no_factor_left!()
                    ),
                    concat!(
                        "DELETE FROM remembered_devices WHERE user_id = $1 AND ",
                        no_factor_left!()
                    ),
                ]
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
            Ok(removed == 1)
        })
    }
}
