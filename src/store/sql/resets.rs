//! `ResetStore` over SQL: issuing replaces the user's older tokens, consuming is one
//! transaction, so a token works once even under concurrent submissions.

use crate::domain::user::UserId;
use async_trait::async_trait;

use super::{SqlUserStore, db_err};
use crate::store::{ResetStore, StoreResult};

#[async_trait]
impl ResetStore for SqlUserStore {
    async fn issue_reset(
        &self,
        user_id: UserId,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            // A newer request voids older links; expired rows of anyone go too.
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1 OR expires_at <= $2")
                .bind(user_id.0)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user_id.0)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn reset_user(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserId>> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT user_id FROM password_resets WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
        .map(|id: Option<i64>| id.map(UserId))
        .map_err(db_err))
    }

    async fn consume_reset(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserId>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let user: Option<i64> = sqlx::query_scalar(
                "SELECT user_id FROM password_resets WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let Some(user_id) = user else {
                return Ok(None);
            };
            // Every token of the user goes: this one is spent, older ones are void.
            let gone = sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            if gone.rows_affected() == 0 {
                return Ok(None);
            }
            tx.commit().await.map_err(db_err)?;
            Ok(Some(UserId(user_id)))
        })
    }

    async fn void_resets(&self, user_id: UserId) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "DELETE FROM password_resets WHERE user_id = $1"
        )
        .bind(user_id.0)
        .execute(pool)
        .await
        .map_err(db_err)
        .map(|_| ()))
    }
}
