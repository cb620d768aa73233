//! Two real `gatehouse serve` processes on one Redis and one PostgreSQL database behind a real
//! nginx that balances them round-robin: the harness of `instances.rs`.
//!
//! Both instances read the same config file; only `server.listen` differs, given by the
//! environment (`GATEHOUSE_SERVER__LISTEN`), as two hosts of one deployment would run it. Each
//! cluster has its own PostgreSQL database and its own Redis key prefix, so tests stay
//! independent. Processes are killed when their guards drop; every wait has a deadline.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{gatehouse, run};
use crate::harness::ports::free_port;
use crate::harness::user_store::fresh_postgres_database;
use crate::harness::*;
use crate::proxies::{Proxy, is_root, tool};

/// Deadline for an instance to answer its health check after start.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline for an instance to exit after SIGTERM (the config's grace is 1 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const APP: &str = "app.gate.localhost";
pub(crate) const PORTAL: &str = "auth.gate.localhost";

/// One `gatehouse serve` process on its own port; restartable on the same port.
pub(crate) struct Instance {
    pub(crate) name: &'static str,
    pub(crate) port: u16,
    config: PathBuf,
    logs: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl Instance {
    fn log_path(&self, n: u32) -> PathBuf {
        self.logs.join(format!("{}-{n}.log", self.name))
    }

    /// Every log this instance wrote (one file per start), for failure messages.
    pub(crate) fn logs(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                let text = std::fs::read_to_string(self.log_path(n)).unwrap_or_default();
                format!("--- {} start {n} ---\n{text}", self.name)
            })
            .collect()
    }

    /// Starts the process and waits until it answers `/api/health` with 200.
    pub(crate) async fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        self.starts += 1;
        let log = std::fs::File::create(self.log_path(self.starts)).unwrap();
        let listen = format!("[\"127.0.0.1:{}\"]", self.port);
        let mut cmd = gatehouse(&["serve", "--config", self.config.to_str().unwrap()]);
        cmd.env("GATEHOUSE_SERVER__LISTEN", listen)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("cannot start gatehouse serve"));
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{}/api/health", self.port);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status() == 200
            {
                return;
            }
            let child = self.child.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{} exited with {status}:\n{}", self.name, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "{} not healthy within {START_TIMEOUT:?}:\n{}",
                self.name,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then waits for a clean exit (status 0).
    pub(crate) async fn stop(&mut self) {
        let mut child = self.child.take().expect("not running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM:\n{}",
                self.name,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(
            status.success(),
            "{} exited with {status} after SIGTERM:\n{}",
            self.name,
            self.logs()
        );
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// nginx balancing the two instances. `max_fails=0`: an instance is never marked down, so
/// each request goes to the next instance in turn and, when that one refuses the connection
/// or drops it before answering, to the other (`proxy_next_upstream error timeout`). With
/// nginx's default (`max_fails=1 fail_timeout=10s`) a restarted instance is skipped for up to
/// 10 s, and stopping the other one meanwhile leaves "no live upstreams".
fn nginx_conf(d: &str, port: u16, a: u16, b: u16) -> String {
    let user = if is_root() { "user root;\n" } else { "" };
    format!(
        "{user}worker_processes 1;
events {{ worker_connections 256; }}
http {{
    log_format upstreams '$status $upstream_addr $upstream_status';
    access_log {d}/access.log upstreams;
    client_body_temp_path {d}/tmp-body;
    proxy_temp_path {d}/tmp-proxy;
    fastcgi_temp_path {d}/tmp-fastcgi;
    uwsgi_temp_path {d}/tmp-uwsgi;
    scgi_temp_path {d}/tmp-scgi;
    upstream gatehouse {{
        server 127.0.0.1:{a} max_fails=0;
        server 127.0.0.1:{b} max_fails=0;
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gatehouse;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"
    )
}

/// Two instances (A and B) and nginx in front of them, sharing one echo upstream.
pub(crate) struct Cluster {
    pub(crate) a: Instance,
    pub(crate) b: Instance,
    pub(crate) nginx: Proxy,
    pub(crate) echo: Echo,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Writes the shared config (the harness's, with `overlay` merged), creates `users`
    /// (name, groups) with the password `PW` through the CLI, then starts A, B and nginx.
    /// nginx starts first, on a port that is confirmed its own (started again on another one
    /// when another process took it): that port is the portal's address in the config.
    pub(crate) async fn start(overlay: &str, users: &[(&str, &[&str])]) -> Self {
        install_crypto();
        let echo = Echo::start().await;
        let dir = tempfile::tempdir().unwrap();
        let (pa, pb) = (free_port(), free_port());
        let nginx = Proxy::start("nginx", |entry, ndir| {
            let d = ndir.display().to_string();
            std::fs::write(ndir.join("nginx.conf"), nginx_conf(&d, entry, pa, pb)).unwrap();
            let mut cmd = Command::new(tool("nginx"));
            cmd.args(["-p", &format!("{d}/"), "-c", &format!("{d}/nginx.conf")])
                .args(["-e", &format!("{d}/error.log")])
                .args(["-g", &format!("daemon off; pid {d}/nginx.pid;")]);
            cmd
        })
        .await;
        let entry = nginx.port;
        let tag = gatehouse::domain::secret::random_token(9);
        let database = fresh_postgres_database(&format!(
            "inst_{}",
            tag.to_ascii_lowercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        let prefix = format!("inst:{tag}:");
        let shared = format!(
            "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n[storage]\ndatabase = \"{database}\"\n[log]\nformat = \"json\"\nlevel = \"info\"\n"
        );
        let opts = Opts::with(Store::Redis, &format!("{shared}{overlay}"));
        // The portal is addressed through nginx (its port); the listen address comes from
        // each instance's environment.
        let text = TestApp::config_text(&opts, entry, &echo, &dir, &prefix);
        let config = dir.path().join("gatehouse.toml");
        std::fs::write(&config, text).unwrap();
        let logs = dir.path().to_path_buf();
        let instance = |name, port| Instance {
            name,
            port,
            config: config.clone(),
            logs: logs.clone(),
            child: None,
            starts: 0,
        };
        let (mut a, mut b) = (instance("a", pa), instance("b", pb));
        for (name, groups) in users {
            add_user(&config, name, groups).await;
        }
        a.start().await;
        b.start().await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .tls_certs_only([])
            .build()
            .unwrap();
        Self {
            a,
            b,
            nginx,
            echo,
            client,
            _dir: dir,
        }
    }

    /// Every log of both instances and nginx, for failure messages.
    pub(crate) fn logs(&self) -> String {
        format!("{}{}{}", self.a.logs(), self.b.logs(), self.nginx.logs())
    }

    /// A request to `port` (an instance's or nginx's) for `host` at `path`; the Host header
    /// names nginx's port, as a browser that reached the deployment through it would.
    pub(crate) fn req(
        &self,
        port: u16,
        method: reqwest::Method,
        host: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("http://127.0.0.1:{port}{path}"))
            .header("host", format!("{host}:{}", self.nginx.port))
            .header("accept", "text/html")
    }

    /// GET a portal page with the browser's cookies: status and body.
    pub(crate) async fn page(&self, port: u16, b: &mut Browser, path: &str) -> (u16, String) {
        let resp = b
            .send(self.req(port, reqwest::Method::GET, PORTAL, path))
            .await;
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// POST a portal form with the CSRF token of `token_page` (fetched first, same port).
    pub(crate) async fn act(
        &self,
        port: u16,
        b: &mut Browser,
        token_page: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let (status, html) = self.page(port, b, token_page).await;
        assert_eq!(status, 200, "GET {token_page} on {port}: {html}");
        let csrf = extract_csrf(&html);
        let mut form = form.to_vec();
        form.push(("csrf", &csrf));
        b.send(
            self.req(port, reqwest::Method::POST, PORTAL, path)
                .form(&form),
        )
        .await
    }

    /// The password step on `port`: the login POST's response.
    pub(crate) async fn post_login(
        &self,
        port: u16,
        b: &mut Browser,
        user: &str,
        password: &str,
    ) -> reqwest::Response {
        let form = [("username", user), ("password", password), ("rd", "")];
        self.act(port, b, "/login", "/login", &form).await
    }

    /// Signs `user` in on `port`; asserts the redirect and a session cookie.
    pub(crate) async fn login(&self, port: u16, user: &str) -> Browser {
        let mut b = Browser {
            cookies: Default::default(),
        };
        let resp = self.post_login(port, &mut b, user, PW).await;
        let status = resp.status();
        assert_eq!(
            status,
            303,
            "login of {user} on {port}: {}",
            resp.text().await.unwrap_or_default()
        );
        assert!(session(&b).is_some(), "no session cookie after login");
        b
    }

    /// The status of a proxied GET on the app host through `port` with the browser's cookies;
    /// a 200 must have reached the echo app as `user`, anything else must not have reached it.
    pub(crate) async fn app_status(&self, port: u16, b: &Browser, user: &str) -> u16 {
        let before = self.echo.count();
        let resp = b
            .clone()
            .send(self.req(port, reqwest::Method::GET, APP, "/private"))
            .await;
        let status = resp.status().as_u16();
        if status == 200 {
            assert_eq!(self.echo.count(), before + 1, "the app saw no request");
            assert_eq!(self.echo.last().one("remote-user"), Some(user));
        } else {
            assert_eq!(status, 302, "neither served nor sent to the login");
            let location = resp.headers()["location"].to_str().unwrap();
            assert!(
                location.starts_with(&format!("http://{PORTAL}:{}/login", self.nginx.port)),
                "{location}"
            );
        }
        status
    }
}

/// `gatehouse user add NAME --group … --password-stdin` on the shared config.
async fn add_user(config: &std::path::Path, name: &str, groups: &[&str]) {
    let mut args = vec!["user", "add", name];
    for g in groups {
        args.extend(["--group", g]);
    }
    args.extend(["--password-stdin", "--config", config.to_str().unwrap()]);
    let out = run(gatehouse(&args), Some(&format!("{PW}\n"))).await;
    assert!(out.status.success(), "user add {name}: {}", out.show());
}

/// The session cookie's value (`__Secure-` or `__Host-` + `gatehouse_session`).
pub(crate) fn session(b: &Browser) -> Option<String> {
    b.cookies
        .iter()
        .find(|(k, _)| k.ends_with("gatehouse_session"))
        .map(|(_, v)| v.clone())
}
