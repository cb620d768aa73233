//! Reading passwords for the CLI: from a no-echo prompt (asked twice) or one line of stdin;
//! never from argv, where shell history and `ps` would keep them (docs/security.md#cli-secrets).

use std::io::{BufRead, IsTerminal};

use anyhow::bail;

use crate::domain::secret::SecretString;

/// Reads a password: stdin when asked or when stdin is not a terminal, else a prompt.
pub fn read_password(from_stdin: bool, confirm: bool) -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\n', '\r']).to_owned();
        if pw.is_empty() {
            bail!("no password on stdin");
        }
        return Ok(SecretString::new(pw));
    }
    let pw = rpassword::prompt_password("Password: ")?;
    if confirm && rpassword::prompt_password("Repeat password: ")? != pw {
        bail!("the passwords differ");
    }
    Ok(SecretString::new(pw))
}
