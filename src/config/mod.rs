//! Configuration: one TOML file, environment overrides, and validation into a typed `Config`.
//!
//! Loading never stops at the first mistake: every problem is collected with its key and a
//! hint, and a config with any problem is refused whole, so a broken file never starts a
//! half-working gateway (after lldap's configuration loading).

mod database;
mod duration;
mod env;
mod file;
mod redis_target;
pub mod reload;
mod types;
mod validate;

use std::path::Path;

pub use database::redacted_url;
pub use env::{private_file, read_secret, secret_file_hint};
pub use redis_target::{ClusterTarget, RedisTarget, SentinelTarget};
pub use types::*;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key (`session.idle_timeout`) or variable the problem is about.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Problem {
    pub(crate) fn new(key: &str, message: &str, hint: &str) -> Self {
        Self {
            key: key.to_owned(),
            message: message.to_owned(),
            hint: hint.to_owned(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (hint: {})", self.key, self.message, self.hint)
    }
}

/// Loads the file at `path`, applies `GATEHOUSE_*` variables from `vars`, and validates.
pub fn load(
    path: &Path,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem::new(
            &path.display().to_string(),
            &format!("cannot read the config file: {e}"),
            "pass --config with a readable file",
        )]
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &base_dir, vars)
}

/// Like [`load`] for config text; relative paths are resolved against `base_dir`.
pub fn load_str(
    text: &str,
    base_dir: &Path,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, Vec<Problem>> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        vec![Problem::new(
            "(file)",
            &format!("not valid TOML: {}", e.message()),
            &span_hint(text, e.span()),
        )]
    })?;
    let mut problems = Vec::new();
    env::apply(&mut table, vars, &mut problems);
    let raw = validate::deserialize_sections(table, &mut problems);
    let config = validate::validate(raw, base_dir, &mut problems);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!("see line {line}")
        }
        None => "check the TOML syntax".into(),
    }
}
