//! The config file as written: serde structs with defaults. Unknown keys are not ignored:
//! `validate` deserialises through `serde_ignored` and reports every one of them.
//!
//! Nothing here is trusted yet; `config::validate` turns it into the typed `Config` the rest
//! of the code uses (after River's external vs internal config).

use std::path::PathBuf;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    pub server: RawServer,
    pub portal: RawPortal,
    pub session: RawSession,
    pub storage: RawStorage,
    pub secrets: RawSecrets,
    pub password: RawPassword,
    pub throttle: RawThrottle,
    pub access_control: RawAccess,
    pub sites: Vec<RawSite>,
    pub log: RawLog,
    pub two_factor: RawTwoFactor,
    pub webauthn: RawWebauthn,
    pub notifier: RawNotifier,
    pub admin: RawAdmin,
    pub metrics: RawMetrics,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawServer {
    pub listen: Vec<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub trusted_proxies: Vec<String>,
    pub shutdown_grace: String,
    pub upstream_connect_timeout: String,
    pub upstream_timeout: String,
    pub max_header_bytes: usize,
    pub max_form_bytes: usize,
    pub body_read_timeout: String,
    pub idle_timeout: String,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub workers: usize,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: vec!["127.0.0.1:9091".into()],
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            shutdown_grace: "10s".into(),
            upstream_connect_timeout: "5s".into(),
            upstream_timeout: "60s".into(),
            max_header_bytes: 16 * 1024,
            max_form_bytes: 16 * 1024,
            body_read_timeout: "60s".into(),
            idle_timeout: "60s".into(),
            max_connections: 8192,
            max_connections_per_client: 256,
            workers: 0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawPortal {
    pub url: String,
    pub title: String,
    pub default_redirect: Option<String>,
    pub templates_dir: Option<PathBuf>,
    pub redirect_domains: Vec<String>,
    pub languages: Option<Vec<String>>,
    pub default_language: String,
    pub assets_dir: Option<PathBuf>,
    pub logo: Option<String>,
    pub favicon: Option<String>,
    pub stylesheet: Option<String>,
    pub accent_color: Option<String>,
    pub accent_color_dark: Option<String>,
}

impl Default for RawPortal {
    fn default() -> Self {
        Self {
            url: String::new(),
            title: "Gatehouse".into(),
            default_redirect: None,
            templates_dir: None,
            redirect_domains: Vec::new(),
            languages: None,
            default_language: "en".into(),
            assets_dir: None,
            logo: None,
            favicon: None,
            stylesheet: None,
            accent_color: None,
            accent_color_dark: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawSession {
    pub cookie_name: String,
    pub domain: Option<String>,
    pub cookie_domains: Vec<RawCookieDomain>,
    pub same_site: String,
    pub idle_timeout: String,
    pub absolute_timeout: String,
    pub remember_me: String,
    pub max_per_user: usize,
    pub user_refresh: String,
    pub store: String,
    pub memory_capacity: usize,
    pub redis: Option<RawRedis>,
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            cookie_name: "gatehouse_session".into(),
            domain: None,
            cookie_domains: Vec::new(),
            same_site: "lax".into(),
            idle_timeout: "30m".into(),
            absolute_timeout: "12h".into(),
            remember_me: "0".into(),
            max_per_user: 10,
            user_refresh: "1s".into(),
            store: "memory".into(),
            memory_capacity: 100_000,
            redis: None,
        }
    }
}

/// A further cookie domain with its own portal (multi-domain SSO).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawCookieDomain {
    pub domain: String,
    pub portal_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawRedis {
    pub url: String,
    pub sentinels: Option<Vec<String>>,
    pub cluster: Option<Vec<String>>,
    pub master_name: Option<String>,
    pub sentinel_password: Option<String>,
    pub sentinel_password_file: Option<PathBuf>,
    pub tls: Option<bool>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub prefix: String,
    pub timeout: String,
    pub local_cache: String,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl Default for RawRedis {
    fn default() -> Self {
        Self {
            url: String::new(),
            sentinels: None,
            cluster: None,
            master_name: None,
            sentinel_password: None,
            sentinel_password_file: None,
            tls: None,
            password: None,
            password_file: None,
            prefix: "gatehouse:".into(),
            timeout: "2s".into(),
            local_cache: "2s".into(),
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawStorage {
    pub database: PathBuf,
}

impl Default for RawStorage {
    fn default() -> Self {
        Self {
            database: PathBuf::from("gatehouse.db"),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawSecrets {
    pub key: Option<String>,
    pub key_file: Option<PathBuf>,
    pub pepper: Option<String>,
    pub pepper_file: Option<PathBuf>,
    pub totp_key: Option<String>,
    pub totp_key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawPassword {
    pub min_length: usize,
    pub min_length_two_factor: usize,
    pub forgot_password_enabled: bool,
    pub reset_token_ttl: String,
    pub invitation_ttl: String,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub max_concurrent_hashes: usize,
}

impl Default for RawPassword {
    fn default() -> Self {
        Self {
            min_length: 15,
            min_length_two_factor: 8,
            forgot_password_enabled: false,
            reset_token_ttl: "15m".into(),
            invitation_ttl: "72h".into(),
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_concurrent_hashes: 0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawThrottle {
    pub account_failures: u32,
    pub account_ban: String,
    pub account_max_ban: String,
    pub max_consecutive_failures: u32,
    pub forget_after: String,
    pub ip_failures: u32,
    pub ip_ban: String,
    pub ip_max_ban: String,
    pub ipv6_prefix: u8,
    pub ipv6_wide_prefix: u8,
    pub ipv6_wide_failures: u32,
    pub capacity: usize,
}

impl Default for RawThrottle {
    fn default() -> Self {
        Self {
            account_failures: 5,
            account_ban: "30s".into(),
            account_max_ban: "1h".into(),
            max_consecutive_failures: 100,
            forget_after: "24h".into(),
            ip_failures: 20,
            ip_ban: "1m".into(),
            ip_max_ban: "1h".into(),
            ipv6_prefix: 64,
            ipv6_wide_prefix: 48,
            ipv6_wide_failures: 100,
            capacity: 100_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawAccess {
    pub default_policy: String,
    pub rules: Vec<RawRule>,
}

impl Default for RawAccess {
    fn default() -> Self {
        Self {
            default_policy: "deny".into(),
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawRule {
    pub hosts: Vec<String>,
    pub paths: Vec<String>,
    pub path_regex: Vec<String>,
    pub methods: Vec<String>,
    pub networks: Vec<String>,
    pub subjects: Vec<String>,
    pub policy: String,
    pub case_insensitive_paths: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawSite {
    /// The app's name on the portal's home page (only sites with a name are listed there).
    pub name: Option<String>,
    /// An http(s) URL of the app's icon for the home page.
    pub icon: Option<String>,
    pub host: String,
    pub path_prefix: String,
    pub upstream: String,
    pub preserve_host: bool,
    pub default: bool,
    pub ca_file: Option<PathBuf>,
    pub case_insensitive_paths: bool,
}

impl Default for RawSite {
    fn default() -> Self {
        Self {
            name: None,
            icon: None,
            host: String::new(),
            path_prefix: "/".into(),
            upstream: String::new(),
            preserve_host: true,
            default: false,
            ca_file: None,
            case_insensitive_paths: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawTwoFactor {
    pub issuer: Option<String>,
    pub step_up_window: String,
    pub remember_device_days: u32,
    pub require_enrollment: bool,
    pub methods: Vec<String>,
}

impl Default for RawTwoFactor {
    fn default() -> Self {
        Self {
            issuer: None,
            step_up_window: "10m".into(),
            remember_device_days: 30,
            require_enrollment: false,
            methods: vec!["totp".into(), "passkey".into()],
        }
    }
}

/// `[webauthn]`: passkeys (docs/passkeys.md).
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawWebauthn {
    /// `None`: on wherever a portal has a domain name to be a relying party for.
    pub enabled: Option<bool>,
    pub passwordless: bool,
    pub user_verification: String,
    pub attestation: String,
    /// With `attestation = "direct"`: the vendors' attestation root certificates (PEM files)
    /// and the authenticator models (AAGUIDs) allowed under them.
    pub attestation_ca: Vec<PathBuf>,
    pub aaguids: Vec<String>,
    /// The primary portal's RP ID, when it should be a parent domain of the portal host.
    pub rp_id: Option<String>,
    pub rp_name: Option<String>,
}

impl Default for RawWebauthn {
    fn default() -> Self {
        Self {
            enabled: None,
            passwordless: true,
            user_verification: "required".into(),
            attestation: "none".into(),
            attestation_ca: Vec::new(),
            aaguids: Vec::new(),
            rp_id: None,
            rp_name: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawNotifier {
    pub from: String,
    pub file_dir: Option<PathBuf>,
    pub smtp: Option<RawSmtp>,
}

impl Default for RawNotifier {
    fn default() -> Self {
        Self {
            from: "Gatehouse <gatehouse@localhost>".into(),
            file_dir: None,
            smtp: None,
        }
    }
}

/// `[notifier.smtp]`: the relay that carries notices.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawSmtp {
    pub host: String,
    /// Default: 587 for starttls, 465 for tls, 25 for none.
    pub port: Option<u16>,
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub timeout: String,
    pub helo_name: Option<String>,
}

impl Default for RawSmtp {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: None,
            security: "starttls".into(),
            username: None,
            password: None,
            password_file: None,
            ca_file: None,
            timeout: "10s".into(),
            helo_name: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawAdmin {
    pub group: String,
}

impl Default for RawAdmin {
    fn default() -> Self {
        Self {
            group: "admins".into(),
        }
    }
}

/// `[metrics]`: the Prometheus listener, off unless `listen` is set.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawMetrics {
    pub listen: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RawLog {
    pub format: String,
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            level: "info".into(),
        }
    }
}
