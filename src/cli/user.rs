//! `gatehouse user …`: user management on the configured stores. Uses the same services as
//! the server, so sessions end and audit events are written exactly as from the admin area.

use clap::Subcommand;

use super::secret_input::read_password;
use crate::clock::{Clock, SystemClock};
use crate::compose::services;
use crate::config::Config;
use crate::presentation::datetime;
use crate::presentation::describe;
use crate::service::users::{Actor, AddUser};

/// Whoever runs the binary on the server: trusted with every change.
const ACTOR: &Actor = &Actor::Operator;

#[derive(Debug, Subcommand)]
pub(super) enum UserAction {
    /// Create a user (password from a prompt or stdin).
    Add {
        /// The username (letters, digits, `.`, `_`, `-`; stored in lower case).
        name: String,
        /// The name shown to people and sent to apps as `Remote-Name` (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// The address password-reset links and notices go to, sent to apps as `Remote-Email`.
        #[arg(long)]
        email: Option<String>,
        /// A group (repeat for several), sent to apps in `Remote-Groups`.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Force a password change at first login.
        #[arg(long)]
        must_change: bool,
        /// Read the password from stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password and end their sessions.
    Passwd {
        /// The user.
        name: String,
        /// Force a password change at the next login (for a temporary password).
        #[arg(long)]
        must_change: bool,
        /// Read the password from stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user and end their sessions at once.
    Disable {
        /// The user.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// The user.
        name: String,
    },
    /// Lift a user's sign-in bans (wrong passwords and wrong codes), e.g. after someone else's
    /// guessing locked the account. Needs the Redis throttle store; with the in-process one,
    /// use the admin area's Unlock button.
    Unlock {
        /// The user.
        name: String,
    },
    /// Delete a user and end their sessions.
    Delete {
        /// The user.
        name: String,
    },
    /// List users.
    List,
    /// Show a user's groups, or replace them with the ones given.
    Groups {
        /// The user.
        name: String,
        /// The new groups (none given: show the current ones).
        groups: Vec<String>,
    },
    /// Turn a user's two-factor authentication off (lost phone and recovery codes): the
    /// secret, recovery codes and remembered devices go, and every session ends.
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        /// The user.
        name: String,
    },
    /// List a user's sessions (handle, device, IP, created, last active), or end them all
    /// with --revoke-all. Needs the Redis session store.
    Sessions {
        /// The user.
        name: String,
        /// End every session of the user and print how many.
        #[arg(long)]
        revoke_all: bool,
    },
}

/// The master key for `user` commands. They never seal or sign anything (only the server
/// does), so a generated key file that does not exist yet is not created here: a one-off
/// stand-in key is used, and the server creates the real one at its first start.
fn cli_key(config: &Config) -> anyhow::Result<[u8; 32]> {
    match &config.secrets.key {
        crate::config::KeySource::Generate(path) if !path.exists() => {
            let mut key = [0u8; 32];
            crate::domain::secret::fill_random(&mut key);
            Ok(key)
        }
        source => crate::compose::load_key(source),
    }
}

pub(super) async fn run(config: Config, action: UserAction) -> anyhow::Result<()> {
    crate::telemetry::init_command(&config.log);
    let stores = crate::compose::open_stores(&config).await?;
    let key = cli_key(&config)?;
    let services = services(&config, &stores, &key)?;
    let admin = &services.admin;
    match action {
        UserAction::Add {
            name,
            display_name,
            email,
            groups,
            must_change,
            password_stdin,
        } => {
            let password = read_password(password_stdin, true)?;
            let user = admin
                .add(
                    AddUser {
                        username: &name,
                        display_name: display_name.as_deref(),
                        email: email.as_deref().unwrap_or(""),
                        groups: &groups,
                        password,
                        must_change_password: must_change,
                    },
                    ACTOR,
                    SystemClock.now(),
                )
                .await?;
            println!(
                "created user {} (groups: {})",
                user.username,
                user.groups.join(",")
            );
        }
        UserAction::Passwd {
            name,
            must_change,
            password_stdin,
        } => {
            let password = read_password(password_stdin, true)?;
            let ended = admin
                .set_password(&name, &password, must_change, ACTOR, SystemClock.now())
                .await?;
            println!("password set for {name}; {ended} session(s) ended");
        }
        UserAction::Disable { name } => {
            let ended = admin
                .set_disabled(&name, true, ACTOR, SystemClock.now())
                .await?;
            println!("disabled {name}; {ended} session(s) ended");
        }
        UserAction::Enable { name } => {
            admin
                .set_disabled(&name, false, ACTOR, SystemClock.now())
                .await?;
            println!("enabled {name}");
        }
        UserAction::Unlock { name } => {
            if let crate::config::SessionBackend::Memory { .. } = config.session.backend {
                anyhow::bail!(
                    "session.store is \"memory\": sign-in bans live inside the running server, out of this command's reach (hint: use the Unlock button on the user's page in the admin area, `user passwd` to set a new password, which also lifts them, or session.store = \"redis\")"
                );
            }
            let name = admin.unlock(&name, ACTOR).await?;
            println!("unlocked {name}: its sign-in bans are lifted");
        }
        UserAction::Delete { name } => {
            let ended = admin.delete(&name, ACTOR).await?;
            println!("deleted {name}; {ended} session(s) ended");
        }
        UserAction::List => {
            for u in admin.list().await? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}",
                    u.username,
                    state,
                    u.groups.join(","),
                    u.email
                );
            }
        }
        UserAction::Groups { name, groups } => {
            let now = if groups.is_empty() {
                admin.find(&name).await?.groups
            } else {
                admin
                    .set_groups(&name, &groups, ACTOR, SystemClock.now())
                    .await?
            };
            println!("{name}: {}", now.join(","));
        }
        UserAction::ResetTwoFactor { name } => {
            let user = admin.find(&name).await?;
            let ended = services
                .two_factor
                .reset(&user, &ACTOR.audit_name(), SystemClock.now())
                .await?;
            println!("two-factor authentication reset for {name}; {ended} session(s) ended");
        }
        UserAction::Sessions { name, revoke_all } => {
            if let crate::config::SessionBackend::Memory { .. } = config.session.backend {
                anyhow::bail!(
                    "session.store is \"memory\": sessions live inside the running server, out of this command's reach (hint: use session.store = \"redis\", or `user passwd`/`user disable` to end sessions through the database)"
                );
            }
            let user = admin.find(&name).await?;
            if revoke_all {
                let ended = services
                    .sessions
                    .revoke_all(&user, &ACTOR.audit_name())
                    .await?;
                println!("{ended} session(s) of {} ended", user.username);
            } else {
                let sessions = services
                    .sessions
                    .list_active(&user, SystemClock.now())
                    .await?;
                if sessions.is_empty() {
                    println!("{} has no active sessions", user.username);
                }
                for (key, s) in &sessions {
                    println!(
                        "{}\t{}\t{}\tcreated {}\tlast active {}",
                        key.short(),
                        describe(&s.user_agent),
                        s.ip,
                        datetime(s.created_at),
                        datetime(s.last_seen)
                    );
                }
            }
        }
    }
    Ok(())
}
