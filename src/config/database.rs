//! `storage.database`: where users and credentials live, and how to name it in a log line.
//!
//! Owns the one rule for showing a database location: a URL's password (in its user part or
//! in a `password=` parameter) never reaches a message, a log line or `Debug` output.

use std::path::{Path, PathBuf};

use crate::domain::secret::SecretString;

/// Where users and credentials live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (the default: one instance, nothing to run beside it).
    Sqlite(PathBuf),
    /// A PostgreSQL server that several instances share; the URL may hold a password, hence
    /// the redacting type.
    Postgres(SecretString),
}

impl Database {
    /// The SQLite file, when the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }

    /// The location fit for messages and logs: a file path, or the URL without its password
    /// and without its query (where `password=` may sit).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redacted_url(url.expose()),
        }
    }
}

/// `scheme://user:***@host/db`: the password and the query string are left out. Everything
/// before the last `@` counts as the user part, so a password with an unencoded `/` or `@`
/// is hidden too.
pub fn redacted_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a database URL)".to_owned();
    };
    match rest.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{scheme}://{name}:***@{host}"),
            None => format!("{scheme}://{user}@{host}"),
        },
        None => format!("{scheme}://{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            (
                "postgres://gate:s3cret@db.internal:5432/users",
                "postgres://gate:***@db.internal:5432/users",
            ),
            (
                "postgresql://gate:p%40ss@db/users?sslmode=require&password=s3cret",
                "postgresql://gate:***@db/users",
            ),
            ("postgres://gate@db/users", "postgres://gate@db/users"),
            (
                "postgres://gate:a/s3cret@x@db/users",
                "postgres://gate:***@db/users",
            ),
            ("postgres://db", "postgres://db"),
            (
                "postgres:///users?host=/run/postgresql",
                "postgres:///users",
            ),
            ("s3cret", "(a database URL)"),
        ] {
            assert_eq!(redacted_url(url), shown);
            let db = Database::Postgres(SecretString::new(url));
            assert!(!db.describe().contains("s3cret"), "{url}");
            assert!(!format!("{db:?}").contains("s3cret"), "{url}");
        }
    }
}
