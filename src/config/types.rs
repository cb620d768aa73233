//! The validated configuration the rest of the code uses. Every value here has been checked.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use super::database::Database;
use crate::domain::client_ip::TrustedProxies;
use crate::domain::host::HostPattern;
use crate::domain::password::{HashParams, PasswordPolicy};
use crate::domain::redirect::RedirectPolicy;
use crate::domain::rules::AccessRules;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionTimeouts;
use crate::domain::throttle::ThrottlePolicy;

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub portal: PortalConfig,
    pub session: SessionConfig,
    /// Where users and credentials live.
    pub database: Database,
    pub secrets: SecretsConfig,
    pub password: PasswordConfig,
    pub throttle: ThrottleConfig,
    pub access: AccessRules,
    pub sites: Vec<SiteConfig>,
    pub log: LogConfig,
    pub two_factor: TwoFactorConfig,
    pub webauthn: WebauthnConfig,
    pub notifier: NotifierConfig,
    pub admin: AdminConfig,
    pub metrics: MetricsConfig,
}

/// Listeners, TLS, trusted proxies, limits.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: Vec<SocketAddr>,
    pub tls: Option<TlsFiles>,
    pub trusted_proxies: TrustedProxies,
    pub shutdown_grace: Duration,
    pub upstream_connect_timeout: Duration,
    pub upstream_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_form_bytes: usize,
    /// A request body must arrive in full within this time of its head.
    pub body_read_timeout: Duration,
    /// A connection with no request in progress and no traffic is closed after this time.
    pub idle_timeout: Duration,
    /// Open client connections in all, and from one client address (IPv6: per /64; not
    /// applied to trusted proxies).
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// Worker threads, each a single-threaded runtime with its own listener sockets; resolved
    /// from `0` (one per core) at start.
    pub workers: usize,
}

/// PEM files for TLS termination.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The public URL of the portal, split into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `true` for https.
    pub https: bool,
    /// Canonical host name.
    pub host: String,
    /// Port when not the scheme's default.
    pub port: Option<u16>,
    /// Base path without a trailing slash (`""` for the root).
    pub base_path: String,
}

impl PublicUrl {
    /// `https://host[:port]`.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(p) => format!("{scheme}://{}:{p}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }

    /// The absolute URL of a portal path such as `/login`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin(), self.path(path))
    }

    /// The portal-relative path such as `/_gatehouse/login`.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }
}

/// The login portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    pub url: PublicUrl,
    pub title: String,
    /// Where to go after login when no valid `rd` was given.
    pub default_redirect: String,
    pub templates_dir: Option<PathBuf>,
    pub redirect: RedirectPolicy,
    /// The languages pages and mails are offered in (tags), most preferred fallback first.
    pub languages: Vec<String>,
    /// The language for a reader who asks for none of `languages` (one of them).
    pub default_language: String,
    pub branding: Branding,
}

/// The portal's look beyond templates (docs/branding.md): checked files of `assets_dir` and
/// the names and colours the pages use.
#[derive(Debug, Clone, Default)]
pub struct Branding {
    /// The files of `portal.assets_dir` that are served, found once at start.
    pub assets: Vec<AssetFile>,
    /// Asset names (`/`-separated, relative to the directory).
    pub logo: Option<String>,
    pub favicon: Option<String>,
    pub stylesheet: Option<String>,
    /// Accents for the light and dark schemes, contrast-checked.
    pub accent: Option<crate::domain::branding::Rgb>,
    pub accent_dark: Option<crate::domain::branding::Rgb>,
}

/// One servable file of `portal.assets_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// Its URL name under `<portal>/assets/`: `/`-separated, each segment a plain name.
    pub name: String,
    /// Where it is read from (once, at start).
    pub path: PathBuf,
}

/// `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
}

/// One cookie domain for SSO across its subdomains, with the portal that logs in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieDomain {
    /// The `Domain` attribute (a registrable domain or below, never a public suffix).
    pub domain: String,
    /// The portal on that domain.
    pub portal: PublicUrl,
}

/// The session cookie.
#[derive(Debug, Clone)]
pub struct CookieConfig {
    /// Full cookie name, with its `__Host-` or `__Secure-` prefix.
    pub name: String,
    /// Cookie domains for SSO; empty for one host (a `__Host-` cookie on the portal host).
    pub domains: Vec<CookieDomain>,
    pub same_site: SameSite,
}

/// Whether `host` is `domain` or one of its subdomains.
pub fn within_domain(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

impl CookieConfig {
    /// The (most specific) cookie domain covering `host`, if any.
    pub fn domain_for(&self, host: &str) -> Option<&CookieDomain> {
        self.domains
            .iter()
            .filter(|d| within_domain(host, &d.domain))
            .max_by_key(|d| d.domain.len())
    }
}

impl Config {
    /// The portal that logs in for `host`: its cookie domain's portal, else the primary one.
    pub fn portal_for(&self, host: &str) -> &PublicUrl {
        self.session
            .cookie
            .domain_for(host)
            .map_or(&self.portal.url, |d| &d.portal)
    }

    /// The portal served on `host`, if `host` is a portal host.
    pub fn portal_at(&self, host: &str) -> Option<&PublicUrl> {
        if self.portal.url.host == host {
            return Some(&self.portal.url);
        }
        self.session
            .cookie
            .domains
            .iter()
            .map(|d| &d.portal)
            .find(|p| p.host == host)
    }
}

/// Passkeys (docs/passkeys.md): one relying party per RP ID.
#[derive(Debug, Clone)]
pub struct WebauthnConfig {
    /// Offered at all (false when configured off or when no portal can be a relying party).
    pub enabled: bool,
    /// "Sign in with a passkey" without a password (`webauthn.passwordless`).
    pub passwordless: bool,
    /// The name authenticators show beside the account.
    pub rp_name: String,
    pub parties: Vec<RelyingParty>,
    /// `attestation = "direct"`: only these authenticator models may be registered.
    pub attestation: Option<AttestationPolicy>,
    /// `user_verification = "required"`: every ceremony verifies the person; `false`
    /// ("preferred") lets a key without a PIN register and be the step after the password.
    /// A sign-in without password verifies the person either way.
    pub verify_user: bool,
}

/// The authenticators a team allows (`webauthn.attestation = "direct"`): a new passkey must
/// prove, by a certificate chain to one of `roots`, that it is one of the `aaguids` models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationPolicy {
    /// The vendors' root certificates (DER).
    pub roots: Vec<Vec<u8>>,
    /// The allowed models' AAGUIDs.
    pub aaguids: Vec<webauthn_rs::prelude::Uuid>,
}

/// One RP ID and the portals whose pages may use its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID: a portal host or a parent domain of it (a cookie domain for SSO).
    pub id: String,
    /// The origins of those portals (`https://host[:port]`).
    pub origins: Vec<String>,
    /// Their hosts, to pick the party of a request.
    pub hosts: Vec<String>,
}

impl WebauthnConfig {
    /// The relying party for a portal served on `host`.
    pub fn party_for(&self, host: &str) -> Option<&RelyingParty> {
        self.parties
            .iter()
            .find(|p| p.hosts.iter().any(|h| h == host))
    }
}

/// Where sessions live.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Memory {
        capacity: usize,
    },
    Redis {
        /// One server or a Sentinel group.
        target: super::RedisTarget,
        prefix: String,
        timeout: Duration,
        /// How long an instance keeps a resolved session locally (zero: off); see
        /// docs/security.md#session-cache.
        local_cache: Duration,
        /// Certificates for `rediss://` or a Sentinel group over TLS (empty: the system roots,
        /// no client certificate).
        tls: RedisTls,
    },
}

/// TLS material for `rediss://` (or `tls = true` with sentinels), read and checked when the config is loaded
/// (docs/security.md#redis-tls).
#[derive(Clone, Default)]
pub struct RedisTls {
    /// PEM certificates trusted instead of the system roots (`session.redis.ca_file`).
    pub ca: Option<Vec<u8>>,
    /// PEM client certificate chain and its key (`session.redis.client_cert`, `client_key`).
    pub client: Option<(Vec<u8>, SecretString)>,
}

impl std::fmt::Debug for RedisTls {
    // The key is a secret; the certificates are simply noise in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTls")
            .field("ca", &self.ca.is_some())
            .field("client", &self.client.is_some())
            .finish()
    }
}

/// Sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub cookie: CookieConfig,
    pub timeouts: SessionTimeouts,
    pub max_per_user: usize,
    /// How long user details (groups, disabled) are cached before being read again.
    pub user_refresh: Duration,
    pub backend: SessionBackend,
}

/// Where the 32-byte master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Given in the config or environment.
    Value(SecretString),
    /// Read from this file.
    File(PathBuf),
    /// Read from this file, creating it (mode 0600) with a random key when missing.
    Generate(PathBuf),
}

/// Secrets.
#[derive(Debug, Clone)]
pub struct SecretsConfig {
    pub key: KeySource,
    pub pepper: Option<SecretString>,
    /// Key for TOTP secrets at rest; when absent one is derived from the master key.
    pub totp_key: Option<SecretString>,
}

/// Which second factors `two_factor.methods` allows. A factor left out is neither offered
/// nor accepted; recovery codes stay the fallback of every user who has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorMethods {
    /// Codes from an authenticator app.
    pub totp: bool,
    /// Passkeys, as a second step and (per `webauthn.passwordless`) on their own.
    pub passkey: bool,
}

/// Two-factor settings.
#[derive(Debug, Clone)]
pub struct TwoFactorConfig {
    /// Issuer shown in authenticator apps.
    pub issuer: String,
    /// Seconds a password re-entry stays good for security changes (step-up).
    pub step_up_window: i64,
    /// Days a remembered device skips the code step; 0 disables the option.
    pub remember_device_days: u32,
    /// Send users without 2FA to enrolment when a `two_factor` rule matches.
    pub require_enrollment: bool,
    /// The second factors users may set up and sign in with (recovery codes always work).
    pub methods: FactorMethods,
}

/// Where notices (mail) go.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    /// `From:` of every message (validated as a mailbox).
    pub from: String,
    /// Write each message as an `.eml` file here (development). At most one of `file_dir` and
    /// `smtp` is set; with neither, notices are only logged.
    pub file_dir: Option<PathBuf>,
    /// Send through this SMTP relay.
    pub smtp: Option<SmtpConfig>,
}

/// How the SMTP connection is secured (docs/security.md#smtp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required: a server that does not
    /// offer it gets nothing (never opportunistic).
    StartTls,
    /// TLS from the first byte (SMTPS, "implicit TLS", usually port 465).
    Tls,
    /// No TLS at all: accepted by the config check only for a loopback relay.
    None,
}

/// A validated SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Host name (checked against the certificate) or IP address.
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Login, when the relay wants one.
    pub credentials: Option<SmtpCredentials>,
    /// Extra PEM CA certificates to trust besides the system roots.
    pub ca_file: Option<PathBuf>,
    /// Connect and per-command timeout.
    pub timeout: Duration,
    /// Name sent in EHLO; `None`: lettre's default (an address literal).
    pub helo_name: Option<String>,
}

/// SMTP login; `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct SmtpCredentials {
    pub username: String,
    pub password: SecretString,
}

/// The admin area.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// Members of this group may open `<portal>/admin` (a validated, case-folded group name).
    pub group: String,
}

/// Password policy and hashing cost.
#[derive(Debug, Clone)]
pub struct PasswordConfig {
    pub policy: PasswordPolicy,
    pub hash: HashParams,
    pub max_concurrent_hashes: usize,
    /// "Forgot password?" by email is offered.
    pub forgot_password_enabled: bool,
    /// Seconds a reset link stays valid.
    pub reset_token_ttl: i64,
    /// Seconds an invitation link (an administrator's new user choosing a first password)
    /// stays valid.
    pub invitation_ttl: i64,
}

/// Login throttling.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Wrong passwords per account, and wrong codes per account (each its own counter).
    pub account: ThrottlePolicy,
    /// Failures per client network.
    pub ip: ThrottlePolicy,
    /// IPv6 clients are counted per this prefix length.
    pub ipv6_prefix: u8,
    /// A wider IPv6 network counted with `ipv6_wide`; 0 turns it off.
    pub ipv6_wide_prefix: u8,
    /// Failures per wider IPv6 network.
    pub ipv6_wide: ThrottlePolicy,
    pub capacity: usize,
}

/// An upstream origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub https: bool,
    /// `host:port` to connect to.
    pub authority: String,
    /// Host name for TLS verification.
    pub host: String,
    /// Path prepended to every forwarded path (no trailing slash).
    pub base_path: String,
}

/// A proxied site.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Shown on the portal's home page to users the rules let in; unnamed sites are not listed.
    pub name: Option<String>,
    /// The icon's URL (http or https) and its origin, which the CSP's `img-src` allows.
    pub icon: Option<SiteIcon>,
    pub host: HostPattern,
    pub path_prefix: String,
    pub upstream: Upstream,
    pub preserve_host: bool,
    pub default: bool,
    pub ca_file: Option<PathBuf>,
    /// Default for the access rules judging this site's requests: the app routes paths
    /// without regard to letter case, so rules must match them that way too.
    pub case_insensitive_paths: bool,
}

/// A site's icon on the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteIcon {
    pub url: String,
    pub origin: String,
}

/// Logging.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub json: bool,
    pub level: String,
}

impl NotifierConfig {
    /// Whether messages go anywhere (rather than only to the log).
    pub fn configured(&self) -> bool {
        self.file_dir.is_some() || self.smtp.is_some()
    }
}

/// The Prometheus endpoint (docs/architecture.md#metrics).
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// Where the separate plain-HTTP listener serving only `/metrics` binds; `None`: no
    /// listener and nothing recorded.
    pub listen: Option<SocketAddr>,
}

impl AttestationPolicy {
    /// The list the WebAuthn library checks a new credential's attestation against: every
    /// allowed model under every root.
    pub fn ca_list(&self) -> Result<webauthn_rs::prelude::AttestationCaList, String> {
        let mut list = webauthn_rs::prelude::AttestationCaListBuilder::new();
        for root in &self.roots {
            for id in &self.aaguids {
                list.insert_device_der(root, *id, id.to_string(), Default::default())
                    .map_err(|e| format!("a root certificate is unusable: {e:?}"))?;
            }
        }
        Ok(list.build())
    }
}
