//! `DeviceStore` over SQL. Expired rows are never honoured and are swept when a device is added.

use crate::domain::user::UserId;
use async_trait::async_trait;
use sqlx::Row;

use super::{SqlUserStore, db_err};
use crate::store::{DeviceStore, RememberedDevice, StoreResult};

#[async_trait]
impl DeviceStore for SqlUserStore {
    async fn add_device(&self, d: &RememberedDevice) -> StoreResult<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(db_err)?;
            sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1 AND expires_at <= $2")
                .bind(d.user_id.0)
                .bind(d.created_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO remembered_devices (id_hash, user_id, label, ip, created_at, expires_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $5)",
            )
            .bind(&d.id)
            .bind(d.user_id.0)
            .bind(&d.label)
            .bind(&d.ip)
            .bind(d.created_at)
            .bind(d.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn use_device(&self, user_id: UserId, id: &str, now: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "UPDATE remembered_devices SET last_used_at = $1 \
             WHERE id_hash = $2 AND user_id = $3 AND expires_at > $1",
        )
        .bind(now)
        .bind(id)
        .bind(user_id.0)
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected());
        Ok(done == 1)
    }

    async fn devices(&self, user_id: UserId, now: i64) -> StoreResult<Vec<RememberedDevice>> {
        with_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT id_hash, label, ip, created_at, expires_at, last_used_at FROM remembered_devices \
                 WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC",
            )
            .bind(user_id.0)
            .bind(now)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            rows.iter()
                .map(|r| {
                    Ok(RememberedDevice {
                        id: r.try_get("id_hash").map_err(db_err)?,
                        user_id,
                        label: r.try_get("label").map_err(db_err)?,
                        ip: r.try_get("ip").map_err(db_err)?,
                        created_at: r.try_get("created_at").map_err(db_err)?,
                        expires_at: r.try_get("expires_at").map_err(db_err)?,
                        last_used_at: r.try_get("last_used_at").map_err(db_err)?,
                    })
                })
                .collect()
        })
    }

    async fn remove_device(&self, user_id: UserId, id: &str) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "DELETE FROM remembered_devices WHERE user_id = $1 AND id_hash = $2"
        )
        .bind(user_id.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected());
        Ok(done == 1)
    }

    async fn remove_all_devices(&self, user_id: UserId) -> StoreResult<u64> {
        Ok(with_pool!(self, |pool| sqlx::query(
            "DELETE FROM remembered_devices WHERE user_id = $1"
        )
        .bind(user_id.0)
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected()))
    }
}
