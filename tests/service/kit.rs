//! What every service test starts from: a validated configuration (the defaults, plus the
//! settings a test names, given as the `GATEHOUSE_…` overrides an operator would use), the
//! stores `compose` opens for it (memory sessions and throttle counters, SQLite users in a
//! temporary directory), the services built over them, and the clock the test moves.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;

use gatehouse::clock::{Clock, ManualClock};
use gatehouse::compose::Services;
use gatehouse::config::Config;
use gatehouse::domain::password::HashParams;
use gatehouse::domain::secret::SecretString;
use gatehouse::domain::session::SessionId;
use gatehouse::domain::user::User;
use gatehouse::service::AuthError;
use gatehouse::service::login::{LoginRequest, LoginSuccess};
use gatehouse::service::sessions::{Opening, Resolved};
use gatehouse::service::two_factor::Origin;
use gatehouse::service::users::{Actor, AddUser};
use gatehouse::store::SessionStore;

/// A password that passes the policy.
pub const PW: &str = "correct horse battery staple";

/// Where the tests' clocks start: 2023-11-14T22:13:30Z, the first second of a TOTP step.
pub const START: i64 = 1_700_000_010;

/// The cookie scope sessions are bound to (the configured cookie domain).
pub const SCOPE: &str = "gate.localhost";

/// The client every request of a test comes from, unless it names another.
pub const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));

const BASE: &str = r#"
[portal]
url = "http://auth.gate.localhost"
[session]
domain = "gate.localhost"
user_refresh = "0"
[storage]
database = "users.db"
[secrets]
key = "service-tier-test-key-not-secret-0123456789abcdef"
[notifier]
file_dir = "mail"
from = "Gatehouse <gatehouse@example.test>"
[[sites]]
host = "*.gate.localhost"
upstream = "http://127.0.0.1:9"
"#;

/// The services of one test, their configuration and clock.
pub struct Kit {
    pub services: Services,
    pub config: Config,
    pub clock: ManualClock,
    dir: tempfile::TempDir,
}

impl Kit {
    /// A kit whose configuration is the defaults plus `settings` (dotted keys, as
    /// `GATEHOUSE_SECTION__KEY` overrides: `("throttle.account_failures", "3")`).
    pub async fn new(settings: &[(&str, &str)]) -> Self {
        Self::with_session_store(settings, |s| s).await
    }

    /// Like [`Kit::new`], with the session store passed through `wrap` (to observe it).
    pub async fn with_session_store(
        settings: &[(&str, &str)],
        wrap: impl FnOnce(Arc<dyn SessionStore>) -> Arc<dyn SessionStore>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env = settings.iter().map(|(key, value)| {
            (
                format!("GATEHOUSE_{}", key.to_uppercase().replace('.', "__")),
                (*value).to_owned(),
            )
        });
        let mut config = gatehouse::config::load_str(BASE, dir.path(), env)
            .unwrap_or_else(|p| panic!("test config invalid: {p:#?}"));
        // These tests are about time, not about the cost of argon2id: hash cheaply. The
        // configuration refuses costs under the OWASP floor (tests/it/config.rs), and the
        // HTTP tests hash at the real cost.
        config.password.hash = HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let mut stores = gatehouse::compose::open_stores(&config).await.unwrap();
        stores.sessions = wrap(stores.sessions);
        let key = gatehouse::compose::load_key(&config.secrets.key).unwrap();
        let services = gatehouse::compose::services(&config, &stores, &key).unwrap();
        Self {
            services,
            config,
            clock: ManualClock::at(START),
            dir,
        }
    }

    /// The time (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(secs);
    }

    /// Where the file notifier writes.
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Creates `name` with [`PW`], as the operator does.
    pub async fn user(&self, name: &str) -> User {
        self.services
            .admin
            .add(
                AddUser {
                    username: name,
                    display_name: None,
                    email: &format!("{name}@example.test"),
                    groups: &[],
                    password: SecretString::new(PW),
                    must_change_password: false,
                },
                &Actor::Operator,
                self.now(),
            )
            .await
            .unwrap()
    }

    /// The user as the store has it now.
    pub async fn reload(&self, user: &User) -> User {
        self.services.admin.find(&user.username).await.unwrap()
    }

    /// The password step of login from `ip`, now.
    pub async fn login_from(
        &self,
        name: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<LoginSuccess, AuthError> {
        self.services
            .login
            .login(LoginRequest {
                username: name,
                password: SecretString::new(password),
                ip,
                user_agent: "service-tier",
                device: None,
                remember: false,
                scope: SCOPE,
                now: self.now(),
            })
            .await
    }

    /// The password step of login from [`IP`], now.
    pub async fn login(&self, name: &str, password: &str) -> Result<LoginSuccess, AuthError> {
        self.login_from(name, password, IP).await
    }

    /// A signed-in session of `user` started now, its cookie issued for [`SCOPE`].
    pub async fn session(&self, user: &User) -> SessionId {
        let (id, _) = self
            .services
            .sessions
            .start(
                user,
                gatehouse::domain::session::AuthLevel::OneFactor,
                Opening {
                    ip: "192.0.2.10",
                    user_agent: "service-tier",
                    remember: false,
                    scope: Some(SCOPE),
                },
                self.now(),
            )
            .await
            .unwrap();
        id
    }

    /// Issues `id`'s cookie for [`SCOPE`], as the edge does before the `Set-Cookie` leaves.
    pub async fn bind(&self, id: &SessionId) {
        self.services
            .sessions
            .bind_scope(id, SCOPE, self.now())
            .await
            .unwrap();
    }

    /// The session a browser presenting `id` has now, if any.
    pub async fn resolve(&self, id: &SessionId) -> Option<Resolved> {
        self.services
            .sessions
            .resolve(id.expose(), SCOPE, self.now())
            .await
            .unwrap()
    }
}

/// Where a code or re-entered password comes from.
pub fn origin() -> Origin<'static> {
    Origin {
        ip: IP,
        user_agent: "service-tier",
    }
}
