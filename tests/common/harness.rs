//! Test harness: `TestApp::spawn`, the echo upstream, a cookie-keeping `Browser`. Shared by
//! the integration and end-to-end targets.
#![allow(dead_code)] // each target uses its own subset

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gatehouse::clock::{Clock, ManualClock};
use gatehouse::domain::secret::SecretString;
use gatehouse::http::entry::App;
use gatehouse::server::Running;
use gatehouse::service::users::AddUser;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[path = "ports.rs"]
pub mod ports;
#[path = "private_postgres.rs"]
pub mod private_postgres;
#[path = "private_redis.rs"]
pub mod private_redis;
#[path = "user_store.rs"]
pub mod user_store;

#[allow(unused_imports)] // the end-to-end target stops no Redis of its own
pub use private_redis::PrivateRedis;

/// The Redis server started by scripts/test.sh. Tests never skip: without it they fail.
pub fn redis_url() -> String {
    std::env::var("GATEHOUSE_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("GATEHOUSE_TEST_REDIS_URL is not set: run the suite with scripts/test.sh, which installs and starts redis-server")
    })
}

/// A connection for a test's own look at Redis. The crate's defaults (1 s to connect, 500 ms
/// for an answer) suit a gateway that fails closed; a test on a busy two-core machine is not
/// measuring deadlines, and a slow answer must not fail it.
pub async fn redis_conn(url: &str) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let patient = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(std::time::Duration::from_secs(10)))
        .set_response_timeout(Some(std::time::Duration::from_secs(10)));
    redis::Client::open(url)?
        .get_multiplexed_async_connection_with_config(&patient)
        .await
}

/// Which session store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Memory,
    Redis,
}

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The gateway's end of the upstream connection the request came on.
    pub peer: SocketAddr,
}

impl Seen {
    /// All values of a header (case-insensitive name).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// The single value of a header.
    pub fn one(&self, name: &str) -> Option<&str> {
        let all = self.all(name);
        assert!(
            all.len() <= 1,
            "header {name} appears {} times: {all:?}",
            all.len()
        );
        all.first().copied()
    }
}

/// An upstream that records every request and answers 200 with a small body.
#[derive(Clone)]
pub struct Echo {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Echo {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: http::Request<Incoming>| {
                        let log = log.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            let headers = parts
                                .headers
                                .iter()
                                .map(|(k, v)| {
                                    (
                                        k.as_str().to_owned(),
                                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                    )
                                })
                                .collect();
                            let len = body.len();
                            log.lock().unwrap().push(Seen {
                                method: parts.method.to_string(),
                                uri: parts.uri.to_string(),
                                headers,
                                body,
                                peer,
                            });
                            if parts.uri.path() == "/slow" {
                                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                            }
                            let mut resp = http::Response::new(http_body_util::Full::new(
                                bytes::Bytes::from(format!("echo ok, {len} bytes")),
                            ));
                            resp.headers_mut()
                                .insert("x-upstream", http::HeaderValue::from_static("echo"));
                            resp.headers_mut()
                                .insert("keep-alive", http::HeaderValue::from_static("timeout=5"));
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { addr, seen }
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the upstream saw no request")
    }
}

/// How to build a test gateway.
#[derive(Clone)]
pub struct Opts {
    pub store: Store,
    /// TOML merged over the base config (tables merge, other values replace).
    pub overlay: String,
    /// Use one host (`__Host-` cookie, portal under /_gatehouse) instead of SSO subdomains.
    pub single_host: bool,
    /// The app reads the time from this clock (the test advances it) instead of the system's.
    pub clock: Option<ManualClock>,
}

impl Default for Opts {
    fn default() -> Self {
        Self {
            store: Store::Memory,
            overlay: String::new(),
            single_host: false,
            clock: None,
        }
    }
}

impl Opts {
    pub fn redis() -> Self {
        Self {
            store: Store::Redis,
            ..Self::default()
        }
    }
    /// These options with the app on a `ManualClock` stopped at the current time: the test
    /// advances it (`TestApp::manual`) instead of waiting.
    pub fn manual_clock(self) -> Self {
        Self {
            clock: Some(ManualClock::starting_now()),
            ..self
        }
    }

    pub fn with(store: Store, overlay: &str) -> Self {
        Self {
            store,
            overlay: overlay.to_owned(),
            ..Self::default()
        }
    }
}

/// Base config: SSO over `*.gate.localhost` with a set of rules the tests rely on.
const BASE: &str = r#"
[server]
upstream_timeout = "2s"
upstream_connect_timeout = "2s"
shutdown_grace = "1s"
[session]
domain = "gate.localhost"
user_refresh = "0"
[secrets]
key = "integration-test-key-not-secret-0123456789abcdef"
[log]
level = "warn"
[access_control]
default_policy = "deny"
[[access_control.rules]]
hosts = ["public.gate.localhost"]
policy = "bypass"
[[access_control.rules]]
hosts = ["admin.gate.localhost"]
subjects = ["group:admins", "user:carol"]
policy = "one_factor"
[[access_control.rules]]
hosts = ["admin.gate.localhost"]
policy = "deny"
[[access_control.rules]]
hosts = ["secure.gate.localhost"]
policy = "two_factor"
[[access_control.rules]]
hosts = ["app.gate.localhost"]
paths = ["/api/public"]
policy = "bypass"
[[access_control.rules]]
hosts = ["app.gate.localhost"]
path_regex = ["^/admin(/|$)"]
policy = "deny"
[[access_control.rules]]
hosts = ["app.gate.localhost"]
methods = ["DELETE"]
subjects = ["group:users"]
policy = "deny"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
policy = "one_factor"
"#;

/// Deep-merges `overlay` into `base`.
pub fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// A gateway under test.
pub struct TestApp {
    pub port: u16,
    pub echo: Echo,
    pub app: App,
    /// Holds the database and key files for the app's lifetime.
    #[allow(dead_code)]
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub prefix: String,
    pub portal_host: String,
    pub base: String,
    /// The clock the app reads (the system's unless `Opts::clock` named one).
    pub clock: Arc<dyn Clock>,
    /// The same clock when it is a `ManualClock` the test may advance.
    pub manual: Option<ManualClock>,
    /// Where the app keeps its users (`storage.database`, validated).
    pub database: gatehouse::config::Database,
    /// The server; dropped (and so stopped with the runtime) at the end of the test.
    #[allow(dead_code)]
    running: Option<Running>,
}

impl TestApp {
    pub async fn spawn(opts: Opts) -> Self {
        install_crypto();
        let echo = Echo::start().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("test:{}:", gatehouse::domain::secret::random_token(9));
        let config_text = Self::config_text(&opts, port, &echo, &dir, &prefix);
        let config = gatehouse::config::load_str(&config_text, dir.path(), std::iter::empty())
            .unwrap_or_else(|p| panic!("test config invalid: {p:#?}"));
        let database = config.database.clone();
        let clock: Arc<dyn Clock> = match &opts.clock {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(gatehouse::clock::SystemClock),
        };
        let app = gatehouse::compose::build_with_clock(config, clock.clone())
            .await
            .unwrap();
        let running = gatehouse::server::start_on(app.clone(), vec![listener]).unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            // Plain http to 127.0.0.1 only: no root store to load (the system's took ~30 ms
            // per client, for every test app).
            .tls_certs_only([])
            .build()
            .unwrap();
        let (portal_host, base) = if opts.single_host {
            ("localhost".to_owned(), "/_gatehouse".to_owned())
        } else {
            ("auth.gate.localhost".to_owned(), String::new())
        };
        Self {
            port,
            echo,
            app,
            dir,
            client,
            prefix,
            portal_host,
            base,
            clock,
            manual: opts.clock.clone(),
            database,
            running: Some(running),
        }
    }

    /// Waits until the app has noticed that Redis is gone: its local session cache answers
    /// until the lost invalidation channel is noticed (a closed connection: a few ms), and is
    /// bypassed from then on (docs/security.md#session-cache).
    pub async fn channel_lost(&self) {
        let state = self.app.state();
        let cache = state.sessions.local_cache().expect("a local session cache");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while cache.is_live() {
            assert!(
                std::time::Instant::now() < until,
                "the lost channel went unnoticed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// Moves the app's `ManualClock` forward by `secs` (the test asked for one in `Opts`).
    pub fn advance(&self, secs: i64) {
        self.manual
            .as_ref()
            .expect("advance needs Opts::manual_clock()")
            .advance(secs);
    }

    /// The app's time (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The config text a test app runs with (exposed for tests that start the binary).
    pub fn config_text(
        opts: &Opts,
        port: u16,
        echo: &Echo,
        dir: &tempfile::TempDir,
        prefix: &str,
    ) -> String {
        let mut table: toml::Table = BASE.parse().unwrap();
        let portal = if opts.single_host {
            format!("http://localhost:{port}/_gatehouse")
        } else {
            format!("http://auth.gate.localhost:{port}")
        };
        let site_host = if opts.single_host {
            "localhost"
        } else {
            "*.gate.localhost"
        };
        let mut generated = format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\n[portal]\nurl = \"{portal}\"\n[storage]\ndatabase = \"{}\"\n[[sites]]\nhost = \"{site_host}\"\nupstream = \"http://{}\"\n",
            user_store::database_for(dir.path()),
            echo.addr
        );
        if opts.store == Store::Redis {
            generated.push_str(&format!("[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\nprefix = \"{prefix}\"\n", redis_url()));
        }
        if opts.single_host {
            generated.push_str("[session]\ndomain = \"\"\n");
        }
        merge(&mut table, generated.parse().unwrap());
        if opts.single_host {
            // One host: no cookie domain.
            table
                .get_mut("session")
                .and_then(|s| s.as_table_mut())
                .unwrap()
                .remove("domain");
        }
        if !opts.overlay.is_empty() {
            // `{echo}` in an overlay stands for this app's echo upstream address.
            let overlay = opts.overlay.replace("{echo}", &echo.addr.to_string());
            merge(
                &mut table,
                overlay.parse().unwrap_or_else(|e| panic!("overlay: {e}")),
            );
        }
        toml::to_string(&table).unwrap()
    }

    /// Stops the server (graceful shutdown).
    #[allow(dead_code)]
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// Where the Prometheus listener is bound, when the config turned it on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.running.as_ref().and_then(|r| r.metrics_addr)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A request to `host` (sent as the Host header with our port) at `path`.
    pub fn req(&self, method: reqwest::Method, host: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("host", format!("{host}:{}", self.port))
    }

    pub fn get(&self, host: &str, path: &str) -> reqwest::RequestBuilder {
        self.req(reqwest::Method::GET, host, path)
            .header("accept", "text/html")
    }

    /// A portal page path (`/login` → `/_gatehouse/login` on one host).
    pub fn portal(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a user through the same service the CLI uses.
    pub async fn add_user(&self, name: &str, password: &str, groups: &[&str]) {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        self.app
            .state()
            .admin
            .add(
                AddUser {
                    username: name,
                    display_name: None,
                    email: &format!("{name}@example.test"),
                    groups: &groups,
                    password: SecretString::new(password),
                    must_change_password: false,
                },
                &gatehouse::service::users::Actor::Operator,
                self.now(),
            )
            .await
            .unwrap();
    }

    /// The user `name` as the gateway's user store holds it now.
    pub async fn user(&self, name: &str) -> gatehouse::domain::user::User {
        let found = self.app.state().users.find_by_username(name).await;
        found.unwrap().unwrap_or_else(|| panic!("no user {name}"))
    }

    pub fn browser(&self) -> Browser {
        Browser {
            cookies: BTreeMap::new(),
        }
    }

    /// Fetches the login form: returns (status, csrf token) and keeps the CSRF cookie.
    pub async fn login_form(&self, b: &mut Browser) -> String {
        let resp = b
            .send(self.get(&self.portal_host, &self.portal("/login")))
            .await;
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.unwrap();
        extract_csrf(&html)
    }

    /// Posts the login form; returns the raw response.
    pub async fn post_login(
        &self,
        b: &mut Browser,
        user: &str,
        password: &str,
        rd: &str,
    ) -> reqwest::Response {
        let token = self.login_form(b).await;
        b.send(self.login_request(user, password, &token, rd)).await
    }

    /// The login form's POST with `token` (from a login page fetched before).
    pub fn login_request(
        &self,
        user: &str,
        password: &str,
        token: &str,
        rd: &str,
    ) -> reqwest::RequestBuilder {
        self.req(
            reqwest::Method::POST,
            &self.portal_host,
            &self.portal("/login"),
        )
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", token),
            ("rd", rd),
        ])
    }

    /// Logs in and asserts success.
    pub async fn login(&self, user: &str, password: &str) -> Browser {
        let mut b = self.browser();
        let resp = self.post_login(&mut b, user, password, "").await;
        assert_eq!(
            resp.status(),
            303,
            "login of {user} failed: {}",
            resp.text().await.unwrap_or_default()
        );
        assert!(b.session(self).is_some(), "no session cookie after login");
        b
    }
}

/// reqwest is built without a default provider; the gateway uses ring, so tests do too.
/// Makes a secret file private to its owner: the gateway refuses secret files others can read.
pub fn private(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The hidden CSRF field of a page.
pub fn extract_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in page: {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A cookie jar that ignores Secure/Domain (tests talk plain http to 127.0.0.1).
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub async fn send(&mut self, rb: reqwest::RequestBuilder) -> reqwest::Response {
        let rb = if self.cookies.is_empty() {
            rb
        } else {
            rb.header("cookie", self.cookie_header())
        };
        let resp = rb.send().await.unwrap();
        for v in resp.headers().get_all("set-cookie") {
            let s = v.to_str().unwrap();
            let (pair, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        resp
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The session cookie's value, if any.
    pub fn session(&self, app: &TestApp) -> Option<String> {
        let name = app.app.state().cookies.session_name().to_owned();
        self.cookies.get(&name).cloned()
    }
}

/// A password that passes the policy.
pub const PW: &str = "correct horse battery staple";

/// The gateway's cookies besides the session, as a browser could hold them.
pub const OTHER_OWN: &str = "__Host-gatehouse_device=device-token; __Host-gatehouse_pending=pending; \
                             __Host-gatehouse_csrf=csrf-token";
