//! `gatehouse store migrate`: moves the user store from a SQLite file to PostgreSQL (see
//! `store::sql::copy` for what is copied and what is checked).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::config::redacted_url;
use crate::domain::secret::SecretString;
use crate::store::sql::SqlUserStore;
use crate::store::sql::copy::copy;

#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Copy users, 2FA secrets, recovery codes, remembered devices and pending resets from a
    /// SQLite file into PostgreSQL, in one transaction, checking the counts before committing.
    Migrate {
        /// The SQLite store: sqlite:PATH (or a path). Read only (its schema is brought up to
        /// date first, as a start would).
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: postgres://USER:PASSWORD@HOST/DB (migrated first). From
        /// the environment, it stays out of the process list.
        #[arg(long, env = "GATEHOUSE_MIGRATE_TO", hide_env_values = true)]
        to: String,
        /// Copy even when the target already holds rows (a clash still rolls everything back).
        #[arg(long)]
        allow_non_empty: bool,
    },
}

pub async fn run(action: StoreAction) -> anyhow::Result<()> {
    let StoreAction::Migrate {
        from,
        to,
        allow_non_empty,
    } = action;
    let path = PathBuf::from(
        from.strip_prefix("sqlite://")
            .or(from.strip_prefix("sqlite:"))
            .unwrap_or(&from),
    );
    // Never create an empty source by mistyping its name.
    if !path.is_file() {
        bail!("--from: {} is not a file", path.display());
    }
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        bail!("--to: {} is not a postgres:// URL", redacted_url(&to));
    }
    let source = SqlUserStore::open_sqlite(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let shown = redacted_url(&to);
    let target = SqlUserStore::open_postgres(&SecretString::new(to))
        .await
        .with_context(|| format!("opening {shown}"))?;
    let counts = copy(&source, &target, allow_non_empty).await.map_err(|e| {
        let hint = match e {
            crate::store::sql::copy::CopyError::NotEmpty(_) => {
                " (pass --allow-non-empty to add to it)"
            }
            _ => "",
        };
        anyhow::anyhow!("{e}{hint}")
    })?;
    println!("copied {} into {shown}, counts verified:", path.display());
    for (table, n) in counts {
        println!("  {table}: {n}");
    }
    Ok(())
}
