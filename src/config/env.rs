//! Environment overrides: `GATEHOUSE_<SECTION>__<KEY>=value` (`__` nests), and
//! `GATEHOUSE_<SECTION>__<KEY>_FILE=/path` to read a secret from a file (lldap's scheme).
//!
//! Overrides are applied to the parsed TOML table before it is typed, so an unknown variable
//! is reported like an unknown key.

use std::path::Path;

use toml::{Table, Value};

use super::Problem;

const PREFIX: &str = "GATEHOUSE_";

/// Variables with the prefix that are not config overrides (the CLI's config path).
const NOT_OVERRIDES: &[&str] = &["GATEHOUSE_CONFIG"];

/// Keys whose name really ends in `_file` (they hold a path, not a value to read).
const FILE_KEYS: &[&str] = &[
    "secrets.key_file",
    "secrets.pepper_file",
    "secrets.totp_key_file",
    "session.redis.password_file",
    "session.redis.sentinel_password_file",
    "session.redis.ca_file",
    "notifier.smtp.password_file",
    "notifier.smtp.ca_file",
];

/// Applies every `GATEHOUSE_*` variable in `vars` to `table`; problems are pushed to `problems`.
pub fn apply(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
    problems: &mut Vec<Problem>,
) {
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with(PREFIX) && !NOT_OVERRIDES.contains(&k.as_str()))
        .collect();
    vars.sort();
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let mut path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
        if path.iter().any(String::is_empty) || path.len() < 2 {
            problems.push(Problem::new(
                &name,
                "is not of the form GATEHOUSE_<SECTION>__<KEY>",
                "use a double underscore between section and key",
            ));
            continue;
        }
        let dotted = path.join(".");
        let value = if dotted.ends_with("_file") && !FILE_KEYS.contains(&dotted.as_str()) {
            // `<KEY>_FILE`: the value is the content of the file (a mounted secret).
            match read_secret(Path::new(&raw)) {
                Ok(v) => {
                    if let Some(last) = path.last_mut() {
                        last.truncate(last.len() - "_file".len());
                    }
                    Value::String(v)
                }
                Err(e) => {
                    problems.push(Problem::new(
                        &name,
                        &format!("cannot read {raw}: {e}"),
                        secret_file_hint(&e),
                    ));
                    continue;
                }
            }
        } else {
            parse_value(&raw)
        };
        if let Err(msg) = set(table, &path, value) {
            problems.push(Problem::new(
                &name,
                &msg,
                "check the section and key names in config/gatehouse.toml",
            ));
        }
    }
}

/// Checks that only the file's owner may read or write it. A secret another local account
/// can read is a secret shared with that account, so start-up is refused rather than warned
/// about: a warning scrolls past, a refused start is fixed with one `chmod`.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o066 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is readable or writable by group or others (mode {:o}); run `chmod 600` on it",
                    path.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    Ok(())
}

/// The hint for a secret file that could not be used.
pub fn secret_file_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        "make it private to the account gatehouse runs as: chmod 600 (for Docker or Kubernetes secrets, mount them with mode 0400)"
    } else {
        "point it at a readable file"
    }
}

/// Reads a secret file, dropping one trailing newline. Refuses a file others can read
/// ([`private_file`]).
pub fn read_secret(path: &Path) -> std::io::Result<String> {
    private_file(path)?;
    let mut s = std::fs::read_to_string(path)?;
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}

/// Numbers, booleans and arrays are written as TOML; anything else is a plain string.
fn parse_value(raw: &str) -> Value {
    let doc = format!("v = {raw}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        Err(_) => Value::String(raw.to_owned()),
    }
}

fn set(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let mut cur = table;
    for part in parents {
        let entry = cur
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        cur = match entry {
            Value::Table(t) => t,
            _ => return Err(format!("{part} is not a section")),
        };
    }
    cur.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(vars: &[(&str, &str)]) -> (Table, Vec<Problem>) {
        let mut t = Table::new();
        let mut p = Vec::new();
        apply(
            &mut t,
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            &mut p,
        );
        (t, p)
    }

    #[test]
    fn nested_keys_and_types() {
        let (t, p) = run(&[
            ("GATEHOUSE_SESSION__REDIS__URL", "redis://127.0.0.1:6379"),
            ("GATEHOUSE_PASSWORD__MIN_LENGTH", "20"),
            ("GATEHOUSE_SERVER__LISTEN", "[\"0.0.0.0:1\"]"),
            ("OTHER", "x"),
        ]);
        assert!(p.is_empty());
        assert_eq!(
            t["session"]["redis"]["url"].as_str(),
            Some("redis://127.0.0.1:6379")
        );
        assert_eq!(t["password"]["min_length"].as_integer(), Some(20));
        assert!(t["server"]["listen"].is_array());
    }

    #[test]
    fn file_suffix_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("url");
        std::fs::write(&f, "redis://:secret@127.0.0.1/\n").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            // Readable by others: refused with a hint, and nothing is set.
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
            let (t, p) = run(&[("GATEHOUSE_SESSION__REDIS__URL_FILE", f.to_str().unwrap())]);
            assert!(t.get("session").is_none());
            assert!(p.len() == 1 && p[0].hint.contains("chmod 600"), "{p:?}");
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let (t, p) = run(&[("GATEHOUSE_SESSION__REDIS__URL_FILE", f.to_str().unwrap())]);
        assert!(p.is_empty());
        assert_eq!(
            t["session"]["redis"]["url"].as_str(),
            Some("redis://:secret@127.0.0.1/")
        );
        // A key that really is a path is set, not read.
        let (t, _) = run(&[("GATEHOUSE_SECRETS__KEY_FILE", "/run/key")]);
        assert_eq!(t["secrets"]["key_file"].as_str(), Some("/run/key"));
    }

    #[test]
    fn the_config_path_variable_is_not_an_override() {
        let (t, p) = run(&[("GATEHOUSE_CONFIG", "/etc/gatehouse/gatehouse.toml")]);
        assert!(p.is_empty() && t.is_empty());
    }

    #[test]
    fn malformed_names_and_missing_files_are_problems() {
        let (_, p) = run(&[
            ("GATEHOUSE_SESSION", "x"),
            ("GATEHOUSE_SECRETS__PEPPER_X_FILE", "/nonexistent/x"),
        ]);
        assert_eq!(p.len(), 2);
    }
}
