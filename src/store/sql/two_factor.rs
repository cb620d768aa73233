//! `SecondFactorStore` over SQL (both engines). Every check-and-set is a single conditional statement (or
//! one transaction), so concurrent requests and several instances sharing the database cannot
//! both pass (a TOTP step or a recovery code works once).

use crate::domain::user::UserId;
use async_trait::async_trait;
use sqlx::Row;

use super::{SqlUserStore, db_err};
use crate::store::{SecondFactorStore, StoreResult, TotpRecord};

/// Replaces the user's recovery codes inside the transaction `$tx` (returns early on error).
macro_rules! replace_codes {
    ($tx:ident, $user_id:expr, $code_hashes:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind($user_id.0)
            .execute(&mut *$tx)
            .await
            .map_err(db_err)?;
        for hash in $code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind($user_id.0)
                .bind(hash)
                .execute(&mut *$tx)
                .await
                .map_err(db_err)?;
        }
    };
}

#[async_trait]
impl SecondFactorStore for SqlUserStore {
    async fn totp(&self, user_id: UserId) -> StoreResult<TotpRecord> {
        with_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1",
            )
            .bind(user_id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            Ok(match row {
                Some(r) => TotpRecord {
                    secret: r.try_get("totp_secret").map_err(db_err)?,
                    pending: r.try_get("totp_pending").map_err(db_err)?,
                    last_step: r.try_get("totp_last_step").map_err(db_err)?,
                },
                None => TotpRecord::default(),
            })
        })
    }

    async fn set_totp_pending(&self, user_id: UserId, sealed: Option<&str>) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE users SET totp_pending = $1 WHERE id = $2"
        )
        .bind(sealed)
        .bind(user_id.0)
        .execute(pool)
        .await
        .map_err(db_err)
        .map(|_| ()))
    }

    async fn activate_totp(&self, user_id: UserId, code_hashes: &[String]) -> StoreResult<bool> {
        // One transaction: the secret never becomes active without its recovery codes.
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let moved = sqlx::query(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = 0 \
                 WHERE id = $1 AND totp_pending IS NOT NULL",
            )
            .bind(user_id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if moved.rows_affected() != 1 {
                return Ok(false);
            }
            replace_codes!(tx, user_id, code_hashes);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn disable_totp(&self, user_id: UserId) -> StoreResult<u64> {
        self.drop_factors(user_id, false).await
    }

    async fn reset_factors(&self, user_id: UserId) -> StoreResult<u64> {
        self.drop_factors(user_id, true).await
    }

    async fn claim_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(user_id.0)
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected());
        Ok(done == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: UserId,
        code_hashes: &[String],
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            replace_codes!(tx, user_id, code_hashes);
            tx.commit().await.map_err(db_err)
        })
    }

    async fn use_recovery_code(
        &self,
        user_id: UserId,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user_id.0)
            .bind(code_hash)
            .execute(pool)
            .await
            .map_err(db_err)?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn recovery_codes_left(&self, user_id: UserId) -> StoreResult<u64> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id.0)
        .fetch_one(pool)
        .await
        .map_err(db_err)?);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
#[path = "two_factor_tests.rs"]
mod tests;

impl SqlUserStore {
    /// TOTP off, recovery codes and remembered devices gone, the session epoch moved on, and
    /// with `passkeys` every passkey removed too (without it, the codes of a user who keeps
    /// passkeys stay): one transaction. Returns how many devices were forgotten.
    async fn drop_factors(&self, user_id: UserId, passkeys: bool) -> StoreResult<u64> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, session_epoch = session_epoch + 1 WHERE id = $1")
                .bind(user_id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            // The codes go, unless passkeys stay: then they are the fallback when one is lost.
            let codes = if passkeys {
                "DELETE FROM recovery_codes WHERE user_id = $1"
            } else {
                "DELETE FROM recovery_codes WHERE user_id = $1 AND NOT EXISTS (SELECT 1 FROM passkeys WHERE passkeys.user_id = $1)"
            };
            sqlx::query(codes)
                .bind(user_id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            let devices = sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1")
                .bind(user_id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
            if passkeys {
                sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
                    .bind(user_id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(devices)
        })
    }
}
