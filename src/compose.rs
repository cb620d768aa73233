//! The composition root: opens the concrete stores the configuration names, loads the master
//! key, builds every use case and the HTTP state. Nothing below this module picks a backend.

use std::path::Path;
use std::sync::Arc;

use crate::i18n::Catalogs;

use anyhow::{Context, bail};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, KeySource, SessionBackend};
use crate::domain::device::DeviceSigner;
use crate::domain::secret::{hmac_sha256, random_token, sha256_hex};
use crate::domain::secretbox::SecretBox;
use crate::http::cookies::Cookies;
use crate::http::csrf::Csrf;
use crate::http::entry::App;
use crate::mail::Mailer;
use crate::metrics::Meter;
use crate::service::credentials::Credentials;
use crate::service::devices::Devices;
use crate::service::hasher::Hasher;
use crate::service::login::Login;
use crate::service::passkeys::{Parties, Passkeys};
use crate::service::passwords::{Passwords, PasswordsParts};
use crate::service::sessions::Sessions;
use crate::service::throttle::Throttle;
use crate::service::two_factor::{TwoFactor, TwoFactorParts};
use crate::service::users::UserAdmin;
use crate::store::memory::{MemorySessionStore, MemoryThrottleStore};
use crate::store::redis::{RedisConn, RedisSessionStore};
use crate::store::redis_pubsub::spawn_listener;
use crate::store::redis_throttle::RedisThrottleStore;
use crate::store::sql::SqlUserStore;
use crate::store::timed::Timed;
use crate::store::{
    DeviceStore, PasskeyStore, ResetStore, SecondFactorStore, SessionStore, StaleSink,
    ThrottleStore, UserStore,
};

mod live;
pub mod reload;

/// The stores the application runs on.
#[derive(Clone)]
pub struct Stores {
    pub sessions: Arc<dyn SessionStore>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub users: Arc<dyn UserStore>,
    pub factors: Arc<dyn SecondFactorStore>,
    pub passkeys: Arc<dyn PasskeyStore>,
    pub devices: Arc<dyn DeviceStore>,
    pub resets: Arc<dyn ResetStore>,
    /// The shared Redis sessions and how long an instance may keep one locally (zero: not
    /// at all); `None` for memory sessions, which need no local cache.
    pub shared_sessions: Option<(RedisConn, std::time::Duration)>,
}

/// The use cases, built over a set of stores (shared by `App` and the CLI).
#[derive(Clone)]
pub struct Services {
    /// The message catalogs (mails here, pages in `App`): loaded once.
    pub catalogs: Arc<Catalogs>,
    pub sessions: Sessions,
    pub login: Login,
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub passkeys: Passkeys,
    pub passwords: Passwords,
    /// Where the use cases and the edge record metrics (off unless `metrics.listen` is set).
    pub meter: Meter,
}

/// AES-256-GCM keys for TOTP secrets: the configured `secrets.totp_key` (id 1) seals when
/// given; the key derived from the master key (id 0) always opens, so moving from the derived
/// key to a configured one keeps existing secrets readable.
fn totp_keys(config: &Config, master: &[u8; 32]) -> Vec<(u8, [u8; 32])> {
    let derived = hmac_sha256(master, b"gatehouse/totp/v1");
    match &config.secrets.totp_key {
        Some(k) => vec![
            (1, hmac_sha256(k.expose().as_bytes(), b"gatehouse/totp/v1")),
            (0, derived),
        ],
        None => vec![(0, derived)],
    }
}

/// The message catalogs of the configured languages (checked when the config was read).
pub fn catalogs(config: &Config) -> anyhow::Result<Arc<Catalogs>> {
    Catalogs::load(
        &config.portal.languages,
        &config.portal.default_language,
        config.portal.templates_dir.as_deref(),
    )
    .map(Arc::new)
    .map_err(|problems| anyhow::anyhow!("message catalogs: {}", problems.join("; ")))
}

/// `stores` with the session and user stores timed into `meter` when it records.
fn metered(stores: &Stores, meter: &Meter) -> Stores {
    if !meter.is_on() {
        return stores.clone();
    }
    Stores {
        sessions: Timed::sessions(stores.sessions.clone(), meter.clone()),
        users: Timed::users(stores.users.clone(), meter.clone()),
        ..stores.clone()
    }
}

/// Builds every use case over `stores`; `master` is the 32-byte master key.
pub fn services(config: &Config, stores: &Stores, master: &[u8; 32]) -> anyhow::Result<Services> {
    let meter = match config.metrics.listen {
        Some(_) => Meter::on().context("registering the metrics")?,
        None => Meter::off(),
    };
    let stores = &metered(stores, &meter);
    let mut sessions = Sessions::new(
        stores.sessions.clone(),
        stores.users.clone(),
        config.session.timeouts,
        config.session.max_per_user,
        config.session.user_refresh,
    );
    if let Some((redis, ttl)) = &stores.shared_sessions {
        let (with_cache, local) = sessions.with_local_cache(*ttl);
        sessions = with_cache;
        if let Some(local) = local {
            let sink: std::sync::Weak<dyn StaleSink> = Arc::downgrade(&local) as _;
            spawn_listener(redis, sink);
        }
    }
    let hasher = Hasher::new(
        config.password.hash,
        config.secrets.pepper.as_ref(),
        config.password.max_concurrent_hashes,
    )?;
    let devices = Devices::new(
        stores.devices.clone(),
        DeviceSigner::new(hmac_sha256(master, b"gatehouse/device/v1")),
        config.two_factor.remember_device_days,
    );
    let throttle =
        Throttle::new(stores.throttle.clone(), config.throttle.clone()).metered(meter.clone());
    let credentials = Credentials::new(
        stores.users.clone(),
        sessions.clone(),
        hasher.clone(),
        throttle.clone(),
        config.password.policy.clone(),
        &config.portal.title,
    );
    let admin = UserAdmin::new(
        stores.users.clone(),
        sessions.clone(),
        credentials,
        throttle.clone(),
        config.admin.group.clone(),
    );
    let sealer = SecretBox::new(&totp_keys(config, master))
        .map_err(|e| anyhow::anyhow!("TOTP encryption key: {e}"))?;
    let account_url = config.portal.url.url("/account");
    let catalogs = catalogs(config)?;
    let mailer = Mailer::new(
        &config.notifier,
        (&config.portal.title, &account_url),
        config.portal.templates_dir.as_deref(),
        catalogs.clone(),
    )?;
    let parties = Parties::new(&config.webauthn).map_err(|e| anyhow::anyhow!(e))?;
    let passkeys = Passkeys::new(
        stores.passkeys.clone(),
        Arc::new(parties),
        sessions.clone(),
        throttle.clone(),
        mailer.clone(),
        config.webauthn.passwordless,
    );
    let two_factor = TwoFactor::new(TwoFactorParts {
        passkeys: passkeys.clone(),
        factors: stores.factors.clone(),
        sealer: Arc::new(sealer),
        sessions: sessions.clone(),
        devices: devices.clone(),
        hasher: hasher.clone(),
        throttle: throttle.clone(),
        mailer: mailer.clone(),
        issuer: config.two_factor.issuer.clone(),
        totp: config.two_factor.methods.totp,
    })
    .metered(meter.clone());
    let passwords = Passwords::new(PasswordsParts {
        users: stores.users.clone(),
        resets: stores.resets.clone(),
        sessions: sessions.clone(),
        throttle: throttle.clone(),
        admin: admin.clone(),
        two_factor: two_factor.clone(),
        mailer,
        reset_ttl: config.password.reset_token_ttl,
        invitation_ttl: config.password.invitation_ttl,
        reset_url: config.portal.url.url("/reset"),
    });
    let login = Login::new(
        stores.users.clone(),
        throttle,
        hasher,
        sessions.clone(),
        devices,
    )
    .metered(meter.clone());
    Ok(Services {
        catalogs,
        sessions,
        login,
        admin,
        two_factor,
        passkeys,
        passwords,
        meter,
    })
}

impl App {
    /// Builds the application over `stores`; `key` is the 32-byte master key.
    pub fn new(config: Config, stores: Stores, key: [u8; 32]) -> anyhow::Result<Self> {
        Self::with_clock(config, stores, key, Arc::new(SystemClock))
    }

    /// Builds the application reading the time from `clock`: binaries always pass the
    /// system clock (through `new`); tests pass a `ManualClock` they can advance.
    pub fn with_clock(
        config: Config,
        stores: Stores,
        key: [u8; 32],
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let Services {
            catalogs,
            sessions,
            login,
            admin,
            two_factor,
            passkeys,
            passwords,
            meter,
        } = services(&config, &stores, &key)?;
        let kept = live::Kept {
            csrf: Csrf::new(hmac_sha256(&key, b"gatehouse/csrf/v1")),
            cookies: Cookies::new(
                config.session.cookie.clone(),
                config.session.timeouts.absolute,
            ),
            users: metered(&stores, &meter).users,
            sessions,
            login,
            admin,
            two_factor,
            passkeys,
            passwords,
            meter,
            clock,
        };
        let state = live::state(config, kept, catalogs)
            .map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
        Ok(Self::from_state(Arc::new(state)))
    }
}

/// Opens the stores the configuration names.
pub async fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    let users = SqlUserStore::open(&config.database)
        .await
        .with_context(|| {
            format!(
                "opening the user database {} (storage.database)",
                config.database.describe()
            )
        })?;
    let (sessions, throttle, shared_sessions): (
        Arc<dyn crate::store::SessionStore>,
        Arc<dyn crate::store::ThrottleStore>,
        _,
    ) = match &config.session.backend {
        SessionBackend::Memory { capacity } => (
            Arc::new(MemorySessionStore::new(*capacity)),
            Arc::new(MemoryThrottleStore::new(config.throttle.capacity)),
            None,
        ),
        SessionBackend::Redis {
            target,
            prefix,
            timeout,
            local_cache,
            tls,
        } => {
            let conn = RedisConn::open(target, prefix, *timeout, tls)
                .await
                .with_context(|| format!("connecting to Redis ({})", target.key()))?;
            let lifetime = u64::try_from(config.session.timeouts.absolute).unwrap_or(u64::MAX);
            (
                Arc::new(RedisSessionStore::new(conn.clone(), lifetime)),
                Arc::new(RedisThrottleStore::new(conn.clone())),
                Some((conn, *local_cache)),
            )
        }
    };
    // One database serves users, second factors and remembered devices.
    let users = Arc::new(users);
    Ok(Stores {
        sessions,
        throttle,
        users: users.clone(),
        factors: users.clone(),
        passkeys: users.clone(),
        devices: users.clone(),
        resets: users,
        shared_sessions,
    })
}

/// Loads (or on first start creates) the 32-byte master key.
pub fn load_key(source: &KeySource) -> anyhow::Result<[u8; 32]> {
    let material = match source {
        KeySource::Value(v) => v.expose().to_owned(),
        KeySource::File(path) => crate::config::read_secret(path)
            .with_context(|| format!("reading secrets.key_file {}", path.display()))?,
        KeySource::Generate(path) => read_or_create_key(path)?,
    };
    if material.len() < 32 {
        bail!("the secret key must be at least 32 characters");
    }
    // Hash whatever form the operator chose (hex, base64, passphrase) into a uniform key.
    let digest = sha256_hex(format!("gatehouse-master-key:{material}").as_bytes());
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    Ok(key)
}

fn read_or_create_key(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return crate::config::read_secret(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    let key = random_token(48);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the key file {}", path.display()))?;
    writeln!(f, "{key}")?;
    tracing::info!(path = %path.display(), "generated a new secret key (keep it: sessions and CSRF tokens depend on it)");
    Ok(key)
}

/// Builds the application from a configuration (stores, key, services).
pub async fn build(config: Config) -> anyhow::Result<App> {
    build_with_clock(config, Arc::new(SystemClock)).await
}

/// `build` with the time read from `clock` (tests pass a `ManualClock`).
pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    let stores = open_stores(&config).await?;
    let key = load_key(&config.secrets.key)?;
    App::with_clock(config, stores, key, clock)
}
