//! Validation of `storage.database`: a SQLite file (a path, `sqlite:PATH`, `sqlite://PATH`)
//! or a PostgreSQL URL (`postgres://…`, `postgresql://…`). Any other URL scheme is refused
//! rather than taken as a file name: two instances "sharing" `mysql://db/users` would otherwise
//! each write their own local file of that name.

use std::path::Path;

use super::Ctx;
use crate::config::database::Database;
use crate::domain::secret::SecretString;

pub(super) fn database(cx: &mut Ctx<'_>, raw: &Path) -> Database {
    let text = raw.to_string_lossy();
    if let Some(rest) = text
        .strip_prefix("sqlite://")
        .or(text.strip_prefix("sqlite:"))
    {
        return sqlite(cx, Path::new(rest));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        if text.chars().any(char::is_whitespace) {
            cx.problem(
                "storage.database",
                "the PostgreSQL URL contains white space",
                "percent-encode it (%20), or check the file the URL was read from",
            );
        }
        return Database::Postgres(SecretString::new(text.into_owned()));
    }
    let scheme = text.split_once(':').map(|(s, _)| s).filter(|s| {
        s.len() > 1
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if let Some(scheme) = scheme {
        cx.problem(
            "storage.database",
            &format!("{scheme}: databases are not supported (only SQLite and PostgreSQL)"),
            "give a file path, sqlite:PATH, or postgres://USER@HOST/DATABASE",
        );
    }
    sqlite(cx, raw)
}

fn sqlite(cx: &mut Ctx<'_>, path: &Path) -> Database {
    let path = cx.path(path);
    // An existing user store that other accounts can read hands them every password hash and
    // sealed TOTP secret: refused like a secret file (gatehouse creates it 0600).
    if path.exists()
        && let Err(e) = crate::config::private_file(&path)
    {
        cx.problem(
            "storage.database",
            &e.to_string(),
            crate::config::env::secret_file_hint(&e),
        );
    }
    Database::Sqlite(path)
}
