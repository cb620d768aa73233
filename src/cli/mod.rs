//! Command-line interface: `serve`, `check-config`, `reload`, `demo`, `user …`, `store migrate`,
//! `hash-password`.

mod demo;
mod secret_input;
mod store;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config};

/// Gatehouse: an authentication gateway in front of apps that have no login of their own.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct ConfigArg {
    /// Path of the TOML configuration file.
    // `global` so that `gatehouse user add NAME --config FILE` (the documented form) works:
    // without it clap refuses `--config` after the `user` subcommand's own subcommand.
    #[arg(
        long,
        short,
        global = true,
        env = "GATEHOUSE_CONFIG",
        default_value = "/etc/gatehouse/gatehouse.toml"
    )]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway.
    Serve(ConfigArg),
    /// Validate a configuration; exit 0 when valid, 2 listing every problem otherwise.
    CheckConfig(ConfigArg),
    /// Ask a running `gatehouse serve` to re-read its configuration (sends it SIGHUP), after
    /// checking the file here: an invalid one is refused with every problem, and the server
    /// is not disturbed. The server logs the outcome.
    Reload {
        /// The process id of the running server (`systemctl show -p MainPID gatehouse`).
        // Positive only: kill(2) reads 0 and negative ids as whole process groups.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        pid: i32,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Start a throw-away gateway on built-in defaults in front of a demo echo app.
    Demo {
        /// Port to listen on (loopback only).
        #[arg(long, default_value_t = 9091)]
        port: u16,
    },
    /// Manage users in the configured store (works while the server runs).
    User {
        /// The configuration naming the stores.
        #[command(flatten)]
        config: ConfigArg,
        #[command(subcommand)]
        action: user::UserAction,
    },
    /// Move the user store between engines (SQLite to PostgreSQL).
    Store {
        #[command(subcommand)]
        action: store::StoreAction,
    },
    /// Print the argon2id hash of a password read from a prompt or stdin.
    HashPassword {
        /// Read the password from stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Loads a config or prints every problem; `Err` carries the exit code.
pub fn load_config(path: &std::path::Path) -> Result<Config, ExitCode> {
    config::load(path, std::env::vars()).map_err(|problems| {
        eprintln!(
            "{}: {} problem(s) in the configuration:",
            path.display(),
            problems.len()
        );
        for p in &problems {
            eprintln!("  - {p}");
        }
        ExitCode::from(2)
    })
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(c) => match load_config(&c.config) {
            Ok(cfg) => {
                crate::telemetry::init(&cfg.log);
                match crate::compose::build(cfg).await {
                    Ok(app) => {
                        let (running, path) = (app.clone(), c.config.clone());
                        let on_hangup: crate::server::OnHangup = std::sync::Arc::new(move || {
                            crate::compose::reload::reload_logged(&running, &path);
                        });
                        crate::server::serve(app, Some(on_hangup)).await
                    }
                    Err(e) => Err(e),
                }
            }
            Err(code) => return code,
        },
        Command::CheckConfig(c) => {
            let cfg = match load_config(&c.config) {
                Ok(cfg) => cfg,
                Err(code) => return code,
            };
            // Validation does not read `secrets.key_file`, so a missing or too short key file
            // passed the check and then `serve` failed: load it the way `serve` does.
            if let config::KeySource::File(_) = &cfg.secrets.key
                && let Err(e) = crate::compose::load_key(&cfg.secrets.key)
            {
                eprintln!(
                    "{}: 1 problem(s) in the configuration:\n  - secrets.key_file: {e:#} (hint: point it at a readable file holding at least 32 characters, e.g. from `openssl rand -base64 48`)",
                    c.config.display()
                );
                return ExitCode::from(2);
            }
            println!("{}: configuration is valid", c.config.display());
            return ExitCode::SUCCESS;
        }
        Command::Reload { pid, config } => match load_config(&config.config) {
            Ok(_) => signal_reload(pid),
            Err(code) => return code,
        },
        Command::Demo { port } => demo::run(port).await,
        Command::User { config, action } => match load_config(&config.config) {
            Ok(cfg) => user::run(cfg, action).await,
            Err(code) => return code,
        },
        Command::Store { action } => store::run(action).await,
        Command::HashPassword { password_stdin } => hash_password(password_stdin).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", report(&e));
            ExitCode::FAILURE
        }
    }
}

/// Sends SIGHUP to `pid`, which `serve` takes as "re-read the configuration".
fn signal_reload(pid: i32) -> anyhow::Result<()> {
    use rustix::process::{Pid, Signal, kill_process};
    let Some(target) = Pid::from_raw(pid) else {
        anyhow::bail!("--pid {pid} is not a process id");
    };
    kill_process(target, Signal::HUP)
        .map_err(|e| anyhow::anyhow!("sending SIGHUP to process {pid}: {e}"))?;
    println!("asked process {pid} to reload its configuration; its log says how it went");
    Ok(())
}

async fn hash_password(from_stdin: bool) -> anyhow::Result<()> {
    let pw = secret_input::read_password(from_stdin, true)?;
    let hasher = crate::service::hasher::Hasher::new(crate::domain::password::OWASP_MIN, None, 1)?;
    println!("{}", hasher.hash(&pw).await?);
    Ok(())
}

/// An error and its causes on one line. Most messages already end with their cause's text
/// (a store error names the I/O error it keeps as its source): a cause is added only when the
/// line does not already end with it, so the operator reads each part once.
fn report(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::report;
    use crate::store::StoreError;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::other("disk on fire");
        let e = anyhow::Error::new(StoreError::unavailable_at("/db", io));
        assert_eq!(report(&e), "store unavailable: /db: disk on fire");
        let e = e.context("opening the stores");
        assert_eq!(
            report(&e),
            "opening the stores: store unavailable: /db: disk on fire"
        );
    }
}
