//! End-to-end tests of the real `gatehouse` binary run as a subprocess: `check-config`,
//! `serve` driven over HTTP, `user …` while the server runs (same SQLite file), passwords
//! never from argv, `hash-password`, JSON audit logs without secrets, SIGTERM, `demo`, and the
//! modes of the files the binary creates.
//!
//! Every child is killed when its guard drops, its output is drained by threads (pipes never
//! fill), and every wait has a deadline.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::harness::ports::free_port;
use crate::harness::*;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");
/// Deadline for one CLI command (argon2 at the OWASP cost, SQLite migrations).
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// Deadline for a server to start listening or to print an expected line.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline for a graceful shutdown after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A `gatehouse` command with a clean environment: no inherited `GATEHOUSE_*` variable (the
/// runner's `GATEHOUSE_TEST_REDIS_URL` would be an unknown config key) and no `RUST_LOG`.
pub(crate) fn gatehouse(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    clean_env(&mut cmd);
    cmd
}

/// Removes the runner's `GATEHOUSE_*` variables and `RUST_LOG` from what `cmd` inherits (also
/// for a script that starts `gatehouse`).
pub(crate) fn clean_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("GATEHOUSE_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
}

type Buf = Arc<Mutex<Vec<u8>>>;

fn drain(mut r: impl Read + Send + 'static, buf: Buf) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
    })
}

/// A child process whose output is captured; killed and reaped when dropped.
struct Proc {
    child: Child,
    out: Buf,
    err: Buf,
    readers: Vec<JoinHandle<()>>,
    name: String,
}

impl Proc {
    fn spawn(mut cmd: Command, stdin: Option<&str>) -> Self {
        let name = std::iter::once("gatehouse".to_owned())
            .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{name}`: {e}"));
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // A child that exits without reading gives EPIPE; its exit status tells the story.
            let _ = pipe.write_all(text.as_bytes());
            drop(pipe);
        }
        let (out, err): (Buf, Buf) = (Arc::default(), Arc::default());
        let readers = vec![
            drain(child.stdout.take().unwrap(), out.clone()),
            drain(child.stderr.take().unwrap(), err.clone()),
        ];
        Self {
            child,
            out,
            err,
            readers,
            name,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    fn describe(&self) -> String {
        format!(
            "`{}`\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.name,
            self.stdout(),
            self.stderr()
        )
    }

    /// Waits until stdout (or stderr) contains `needle`; panics on exit or timeout.
    async fn wait_for(&mut self, on_stdout: bool, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let read = |p: &Self| if on_stdout { p.stdout() } else { p.stderr() };
        loop {
            let text = read(self);
            if text.contains(needle) {
                return text;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                self.join_readers().await;
                let text = read(self);
                if text.contains(needle) {
                    return text;
                }
                panic!(
                    "exited ({status}) before printing {needle:?}: {}",
                    self.describe()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} within {timeout:?}: {}",
                self.describe()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the process to exit (and its output to be read); panics on timeout.
    async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.join_readers().await;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit within {timeout:?}: {}",
                self.describe()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn join_readers(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sends a signal with kill(1).
    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{sig} failed");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished command.
pub(crate) struct Out {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
    pub(crate) fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

pub(crate) async fn run(cmd: Command, stdin: Option<&str>) -> Out {
    let mut p = Proc::spawn(cmd, stdin);
    let status = p.wait_exit(CLI_TIMEOUT).await;
    Out {
        status,
        stdout: p.stdout(),
        stderr: p.stderr(),
    }
}

pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The value of the session cookie (`__Secure-` or `__Host-` + `gatehouse_session`).
fn session_cookie(b: &Browser) -> Option<String> {
    b.cookies
        .iter()
        .find(|(k, _)| k.ends_with("gatehouse_session"))
        .map(|(_, v)| v.clone())
}

/// The JSON log lines of a stream (other lines are skipped).
pub(crate) fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect()
}

/// The audit records with the given event name.
pub(crate) fn audit_events(text: &str, event: &str) -> Vec<serde_json::Value> {
    json_lines(text)
        .into_iter()
        .filter(|v| v["target"] == "audit" && v["event"] == event)
        .collect()
}

/// A user field as logged (Debug-quoted: `"alice"`), without the quotes.
pub(crate) fn field(v: &serde_json::Value, name: &str) -> String {
    v[name]
        .as_str()
        .map(|s| s.trim_matches('"').to_owned())
        .unwrap_or_default()
}

/// A config file for the binary (the harness config, JSON logs at info) and, once started,
/// the `gatehouse serve` process using it.
pub(crate) struct Gate {
    pub(crate) port: u16,
    pub(crate) echo: Echo,
    pub(crate) dir: tempfile::TempDir,
    config: PathBuf,
    client: reqwest::Client,
    server: Option<Proc>,
}

impl Gate {
    pub(crate) async fn new(opts: Opts, edit: impl FnOnce(&mut toml::Table)) -> Self {
        install_crypto();
        let echo = Echo::start().await;
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("test:bin:{}:", gatehouse::domain::secret::random_token(9));
        let text = TestApp::config_text(&opts, port, &echo, &dir, &prefix);
        let mut table: toml::Table = text.parse().unwrap();
        merge(
            &mut table,
            "[log]\nformat = \"json\"\nlevel = \"info\"\n"
                .parse()
                .unwrap(),
        );
        edit(&mut table);
        let config = dir.path().join("gatehouse.toml");
        std::fs::write(&config, toml::to_string(&table).unwrap()).unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        Self {
            port,
            echo,
            dir,
            config,
            client,
            server: None,
        }
    }

    pub(crate) fn cfg(&self) -> &str {
        self.config.to_str().unwrap()
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("users.db")
    }

    /// `gatehouse ARGS --config FILE` with extra environment variables.
    pub(crate) fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut all = args.to_vec();
        all.extend(["--config", self.cfg()]);
        let mut cmd = gatehouse(&all);
        cmd.envs(env.iter().copied());
        cmd
    }

    async fn cli(&self, args: &[&str], stdin: Option<&str>) -> Out {
        run(self.command(args, &[]), stdin).await
    }

    /// `user add NAME --group …` with the password on stdin; asserts success.
    pub(crate) async fn add_user(&self, name: &str, password: &str, groups: &[&str]) -> Out {
        let mut args = vec!["user", "add", name];
        for g in groups {
            args.extend(["--group", g]);
        }
        args.push("--password-stdin");
        let out = self.cli(&args, Some(&format!("{password}\n"))).await;
        assert_eq!(out.code(), Some(0), "user add {name}: {}", out.show());
        out
    }

    /// Runs a CLI command that must succeed.
    pub(crate) async fn cli_ok(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let out = self.cli(args, stdin).await;
        assert_eq!(out.code(), Some(0), "{args:?}: {}", out.show());
        out
    }

    /// Starts `gatehouse serve` and waits until it listens.
    pub(crate) async fn serve_with(&mut self, env: &[(&str, &str)]) {
        let mut p = Proc::spawn(self.command(&["serve"], env), None);
        p.wait_for(false, "listening", START_TIMEOUT).await;
        self.server = Some(p);
    }

    pub(crate) async fn serve(&mut self) {
        self.serve_with(&[]).await;
    }

    fn server(&mut self) -> &mut Proc {
        self.server.as_mut().expect("the server is not running")
    }

    pub(crate) fn server_log(&self) -> String {
        self.server.as_ref().map(Proc::stderr).unwrap_or_default()
    }

    /// The running server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.server
            .as_ref()
            .expect("the server is not running")
            .child
            .id()
    }

    /// Edits the config file in place (the running server reads it again on SIGHUP).
    pub(crate) fn rewrite_config(&self, edit: impl FnOnce(&mut toml::Table)) {
        let mut table: toml::Table = std::fs::read_to_string(&self.config)
            .unwrap()
            .parse()
            .unwrap();
        edit(&mut table);
        std::fs::write(&self.config, toml::to_string(&table).unwrap()).unwrap();
    }

    /// Sends `sig` and waits until the server's log holds one more line containing `outcome`
    /// than before; returns the log. Panics if the server exits or says nothing in time.
    pub(crate) async fn signal_until(&mut self, sig: &str, outcome: &str) -> String {
        let before = self.server_log().matches(outcome).count();
        self.server().signal(sig);
        self.await_log(outcome, before + 1).await
    }

    /// Waits until the server's log holds `count` lines containing `needle`.
    pub(crate) async fn await_log(&mut self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        let p = self.server();
        loop {
            let log = p.stderr();
            if log.matches(needle).count() >= count {
                return log;
            }
            if let Some(status) = p.child.try_wait().unwrap() {
                p.join_readers().await;
                panic!(
                    "the server exited ({status}) waiting for {needle:?}: {}",
                    p.describe()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} within {START_TIMEOUT:?}: {}",
                p.describe()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, as a crash or an OOM kill would: no shutdown code runs.
    pub(crate) async fn kill(&mut self) {
        if let Some(mut p) = self.server.take() {
            p.signal("KILL");
            p.wait_exit(STOP_TIMEOUT).await;
        }
    }

    /// SIGTERM; asserts a clean exit (status 0) within a few seconds.
    pub(crate) async fn stop(&mut self) {
        let p = self.server();
        p.signal("TERM");
        let status = p.wait_exit(STOP_TIMEOUT).await;
        assert!(
            status.success(),
            "serve exited with {status} after SIGTERM: {}",
            p.describe()
        );
    }

    pub(crate) fn req(
        &self,
        method: reqwest::Method,
        host: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("http://127.0.0.1:{}{path}", self.port))
            .header("host", format!("{host}:{}", self.port))
            .header("accept", "text/html")
    }

    pub(crate) fn get(&self, host: &str, path: &str) -> reqwest::RequestBuilder {
        self.req(reqwest::Method::GET, host, path)
    }

    /// GET the login form, then POST the credentials; returns the POST's response.
    pub(crate) async fn post_login(
        &self,
        b: &mut Browser,
        user: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = b.send(self.get("auth.gate.localhost", "/login")).await;
        assert_eq!(page.status(), 200, "GET /login");
        let csrf = extract_csrf(&page.text().await.unwrap());
        b.send(
            self.req(reqwest::Method::POST, "auth.gate.localhost", "/login")
                .form(&[
                    ("username", user),
                    ("password", password),
                    ("csrf", &csrf),
                    ("rd", ""),
                ]),
        )
        .await
    }

    /// Logs in and asserts 303 plus a session cookie.
    pub(crate) async fn login(&self, user: &str, password: &str) -> Browser {
        let mut b = Browser {
            cookies: Default::default(),
        };
        let resp = self.post_login(&mut b, user, password).await;
        let status = resp.status();
        assert_eq!(
            status,
            303,
            "login of {user} failed: {}\nserver log:\n{}",
            resp.text().await.unwrap_or_default(),
            self.server_log()
        );
        assert!(
            session_cookie(&b).is_some(),
            "no session cookie after login"
        );
        b
    }

    /// Asserts that a login fails: no redirect and no session cookie.
    pub(crate) async fn login_fails(&self, user: &str, password: &str) {
        let mut b = Browser {
            cookies: Default::default(),
        };
        let resp = self.post_login(&mut b, user, password).await;
        let status = resp.status();
        assert_ne!(status, 303, "login of {user}/{password} succeeded");
        assert!(
            status.is_client_error(),
            "login of {user}: unexpected {status}"
        );
        assert!(
            session_cookie(&b).is_none(),
            "login of {user}/{password} set a session cookie"
        );
    }

    /// A proxied GET with the browser's cookies; asserts 200 and returns what the upstream saw.
    async fn app_ok(&self, b: &Browser, path: &str) -> Seen {
        let mut b = b.clone();
        let before = self.echo.count();
        let resp = b.send(self.get("app.gate.localhost", path)).await;
        assert_eq!(resp.status(), 200, "GET app {path}");
        assert_eq!(self.echo.count(), before + 1, "the upstream saw no request");
        self.echo.last()
    }

    /// Asserts that the browser's session is refused at once: 302 to the login (or 401), and
    /// the upstream never sees the request.
    async fn assert_refused(&self, b: &Browser, why: &str) {
        let mut b = b.clone();
        let before = self.echo.count();
        let resp = b.send(self.get("app.gate.localhost", "/private")).await;
        let status = resp.status().as_u16();
        assert!(
            status == 302 || status == 401,
            "{why}: the old cookie got {status}"
        );
        if status == 302 {
            let location = resp.headers()["location"].to_str().unwrap().to_owned();
            assert!(
                location.contains("auth.gate.localhost") && location.contains("/login"),
                "{why}: redirected to {location}"
            );
        }
        assert_eq!(
            self.echo.count(),
            before,
            "{why}: the upstream saw the request"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 1. check-config
// ---------------------------------------------------------------------------------------

/// Asserts that some line of `stderr` names `key` and carries a hint.
fn assert_problem(stderr: &str, key: &str) {
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(key) && l.contains("hint:")),
        "no problem line with a hint for {key:?} in:\n{stderr}"
    );
}

#[tokio::test]
async fn check_config_accepts_a_valid_file() {
    let gate = Gate::new(Opts::default(), |_| {}).await;
    let out = run(gatehouse(&["check-config", "--config", gate.cfg()]), None).await;
    assert_eq!(out.code(), Some(0), "{}", out.show());
    assert!(
        out.stdout.contains("configuration is valid"),
        "{}",
        out.show()
    );
}

#[tokio::test]
async fn check_config_lists_every_problem_with_key_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        r#"
[server]
lisen = ["127.0.0.1:9091"]
trusted_proxies = ["10.0.0.0/33"]
[portal]
title = "Broken"
[session]
idle_timeout = "soon"
[password]
min_length = 8
[access_control]
default_policy = "deny"
[[access_control.rules]]
hosts = ["app.example.com"]
policy = "sometimes"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
[frobnicate]
enabled = true
"#,
    )
    .unwrap();
    let out = run(
        gatehouse(&["check-config", "--config", path.to_str().unwrap()]),
        None,
    )
    .await;
    assert_eq!(out.code(), Some(2), "{}", out.show());
    for key in [
        "server.lisen",
        "server.trusted_proxies",
        "portal.url",
        "session.idle_timeout",
        "password.min_length",
        "access_control.rules[0].policy",
        "frobnicate",
    ] {
        assert_problem(&out.stderr, key);
    }
    let count: usize = out
        .stderr
        .split(" problem(s)")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no problem count in:\n{}", out.stderr));
    assert!(count >= 7, "only {count} problems counted:\n{}", out.stderr);
}

#[tokio::test]
async fn check_config_applies_environment_overrides() {
    let mut gate = Gate::new(Opts::default(), |t| {
        t.remove("secrets");
    })
    .await;
    let check_config = |env: Vec<(String, String)>| {
        let mut cmd = gatehouse(&["check-config", "--config", gate.cfg()]);
        cmd.envs(env);
        run(cmd, None)
    };

    // The file alone is valid.
    let out = check_config(vec![]).await;
    assert_eq!(out.code(), Some(0), "{}", out.show());

    // A bad value from the environment makes it invalid, naming the key.
    let out = check_config(vec![(
        "GATEHOUSE_SESSION__IDLE_TIMEOUT".into(),
        "bogus".into(),
    )])
    .await;
    assert_eq!(out.code(), Some(2), "{}", out.show());
    assert_problem(&out.stderr, "session.idle_timeout");
    assert!(out.stderr.contains("bogus"), "{}", out.show());

    // An unknown variable is reported like an unknown key.
    let out = check_config(vec![("GATEHOUSE_SERVER__NOPE".into(), "1".into())]).await;
    assert_eq!(out.code(), Some(2), "{}", out.show());
    assert!(
        out.stderr.lines().any(|l| (l.contains("server.nope")
            || l.contains("GATEHOUSE_SERVER__NOPE"))
            && l.contains("hint:")),
        "unknown variable not reported: {}",
        out.show()
    );

    // A key file `serve` could not use (missing, too short) is a problem for check-config too.
    let short = gate.dir.path().join("short.key");
    std::fs::write(&short, "too-short\n").unwrap();
    private(&short);
    for bad in [gate.dir.path().join("missing.key"), short] {
        let out = check_config(vec![(
            "GATEHOUSE_SECRETS__KEY_FILE".into(),
            bad.to_str().unwrap().into(),
        )])
        .await;
        assert_eq!(out.code(), Some(2), "{}: {}", bad.display(), out.show());
        assert_problem(&out.stderr, "secrets.key_file");
    }

    // secrets.key_file from the environment: valid, and the server really uses that key (it
    // starts, logins work, and no key is generated next to the database).
    let key_file = gate.dir.path().join("master.key");
    std::fs::write(&key_file, "an-operator-chosen-key-0123456789abcdefghij\n").unwrap();
    private(&key_file);
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key_env = ("GATEHOUSE_SECRETS__KEY_FILE", key_file.to_str().unwrap());
    let out = check_config(vec![(key_env.0.into(), key_env.1.into())]).await;
    assert_eq!(out.code(), Some(0), "{}", out.show());
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve_with(&[key_env]).await;
    let b = gate.login("alice", PW).await;
    assert_eq!(gate.app_ok(&b, "/").await.one("remote-user"), Some("alice"));
    assert!(
        !gate.dir.path().join("gatehouse.key").exists(),
        "a key was generated although secrets.key_file is set"
    );
    gate.stop().await;
}

// ---------------------------------------------------------------------------------------
// 2. serve: no default account, first user from the CLI, a real login
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn serve_has_no_default_account_and_the_cli_creates_the_first_user() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    gate.serve().await;
    let log = gate
        .server()
        .wait_for(false, "gatehouse user add", START_TIMEOUT)
        .await;
    assert!(
        log.contains("--group admins"),
        "no hint on how to create the first admin:\n{log}"
    );
    // docs/security.md#no-default-accounts: nothing to log in with on a fresh install.
    for (user, pw) in [("admin", "admin"), ("root", "root"), ("admin", PW)] {
        gate.login_fails(user, pw).await;
    }

    let out = gate.add_user("alice", PW, &["users"]).await;
    assert!(out.stdout.contains("created user alice"), "{}", out.show());

    let b = gate.login("alice", PW).await;
    let seen = gate.app_ok(&b, "/hello?x=1").await;
    assert_eq!(seen.uri, "/hello?x=1");
    assert_eq!(seen.one("remote-user"), Some("alice"));
    assert_eq!(seen.one("remote-groups"), Some("users"));
    gate.stop().await;
}

// ---------------------------------------------------------------------------------------
// 3. the CLI while the server runs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cli_user_changes_reach_the_running_server() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;

    let out = gate.cli_ok(&["user", "list"], None).await;
    assert!(
        out.stdout.lines().any(|l| l.starts_with("alice\tactive")),
        "{}",
        out.show()
    );

    // Groups: the next proxied request carries the new ones.
    let b = gate.login("alice", PW).await;
    assert_eq!(
        gate.app_ok(&b, "/").await.one("remote-groups"),
        Some("users")
    );
    let out = gate
        .cli_ok(&["user", "groups", "alice", "admins", "users"], None)
        .await;
    assert!(out.stdout.contains("alice: admins,users"), "{}", out.show());
    assert_eq!(
        gate.app_ok(&b, "/").await.one("remote-groups"),
        Some("admins,users")
    );

    // Disable: the existing cookie is refused at once; enable: she can log in again.
    gate.cli_ok(&["user", "disable", "alice"], None).await;
    gate.assert_refused(&b, "after user disable").await;
    gate.login_fails("alice", PW).await;
    gate.cli_ok(&["user", "enable", "alice"], None).await;
    let b = gate.login("alice", PW).await;
    assert_eq!(gate.app_ok(&b, "/").await.one("remote-user"), Some("alice"));

    // Passwd: the old cookie and the old password stop working; the new password works.
    let new_pw = "a brand new passphrase for alice";
    let out = gate
        .cli_ok(
            &["user", "passwd", "alice", "--password-stdin"],
            Some(&format!("{new_pw}\n")),
        )
        .await;
    assert!(!out.stdout.contains(new_pw) && !out.stderr.contains(new_pw));
    gate.assert_refused(&b, "after user passwd").await;
    gate.login_fails("alice", PW).await;
    let b = gate.login("alice", new_pw).await;
    assert_eq!(gate.app_ok(&b, "/").await.one("remote-user"), Some("alice"));

    // Delete: the cookie is refused and the login fails.
    gate.cli_ok(&["user", "delete", "alice"], None).await;
    gate.assert_refused(&b, "after user delete").await;
    gate.login_fails("alice", new_pw).await;
    let out = gate.cli_ok(&["user", "list"], None).await;
    assert!(!out.stdout.contains("alice"), "{}", out.show());
    gate.stop().await;
}

#[tokio::test]
async fn cli_disable_ends_sessions_at_once_with_redis_sessions() {
    let mut gate = Gate::new(Opts::redis(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;
    let b = gate.login("alice", PW).await;
    assert_eq!(gate.app_ok(&b, "/").await.one("remote-user"), Some("alice"));
    let out = gate.cli_ok(&["user", "disable", "alice"], None).await;
    assert!(
        out.stdout.contains("disabled alice; 1 session(s) ended"),
        "the CLI did not end the Redis session: {}",
        out.show()
    );
    gate.assert_refused(&b, "after user disable (redis)").await;
    gate.login_fails("alice", PW).await;
    gate.stop().await;
}

/// A deleted user's session must never pass to a user created later, even if the database
/// reuses the row id (SQLite reuses the highest `INTEGER PRIMARY KEY` after a delete), and even
/// when no request came in between (memory sessions: the CLI cannot reach the server's store).
#[tokio::test]
async fn a_deleted_users_cookie_never_becomes_another_users_session() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;
    let b = gate.login("alice", PW).await;
    assert_eq!(gate.app_ok(&b, "/").await.one("remote-user"), Some("alice"));
    gate.cli_ok(&["user", "delete", "alice"], None).await;
    gate.add_user("mallory", "mallory's own long passphrase", &["admins"])
        .await;
    let mut probe = b.clone();
    let before = gate.echo.count();
    let resp = probe.send(gate.get("app.gate.localhost", "/private")).await;
    let status = resp.status().as_u16();
    let leaked = (gate.echo.count() > before).then(|| gate.echo.last());
    assert!(
        leaked.is_none() && (status == 302 || status == 401),
        "alice's old cookie got {status} after her deletion; upstream saw remote-user {:?}",
        leaked
            .as_ref()
            .and_then(|s| s.one("remote-user").map(str::to_owned))
    );
    gate.stop().await;
}

// ---------------------------------------------------------------------------------------
// 4, 5. secrets on the command line, hash-password
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn passwords_are_never_taken_from_argv() {
    let gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;

    let out = gate
        .cli(&["user", "add", "bob", "hunter2-hunter2-hunter2"], None)
        .await;
    assert!(
        !out.status.success(),
        "a password in argv was accepted: {}",
        out.show()
    );
    let out = gate
        .cli(
            &["user", "passwd", "alice", "hunter2-hunter2-hunter2"],
            None,
        )
        .await;
    assert!(
        !out.status.success(),
        "a password in argv was accepted: {}",
        out.show()
    );

    let out = gate.cli_ok(&["user", "list"], None).await;
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("bob")),
        "bob exists: {}",
        out.show()
    );
    assert!(
        out.stdout.lines().any(|l| l.starts_with("alice\tactive")),
        "{}",
        out.show()
    );
}

#[tokio::test]
async fn hash_password_reads_stdin_and_prints_an_owasp_argon2id_hash() {
    let pw = "correct horse battery staple for hashing";
    let out = run(
        gatehouse(&["hash-password", "--password-stdin"]),
        Some(&format!("{pw}\n")),
    )
    .await;
    assert_eq!(out.code(), Some(0), "{}", out.show());
    let hash = out.stdout.trim();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "not an OWASP argon2id PHC string: {hash:?}"
    );
    assert_eq!(hash.split('$').count(), 6, "{hash:?}");
    assert!(!out.stdout.contains(pw) && !out.stderr.contains(pw));
}

// ---------------------------------------------------------------------------------------
// 6. audit log and secrets in logs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn audit_events_are_json_and_no_log_holds_a_secret() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    let wrong = "not alices password at all";
    let mut cli_logs = Vec::new();
    let out = gate.add_user("alice", PW, &["users"]).await;
    cli_logs.push(out.stdout + &out.stderr);
    gate.serve().await;

    gate.login_fails("alice", wrong).await;
    let mut b = gate.login("alice", PW).await;
    let cookie = session_cookie(&b).unwrap();
    gate.app_ok(&b, "/").await;

    // Logout: the portal home carries the CSRF token for the POST.
    let home = b.send(gate.get("auth.gate.localhost", "/")).await;
    assert_eq!(home.status(), 200);
    let csrf = extract_csrf(&home.text().await.unwrap());
    let resp = b
        .send(
            gate.req(reqwest::Method::POST, "auth.gate.localhost", "/logout")
                .form(&[("csrf", csrf.as_str())]),
        )
        .await;
    assert_eq!(resp.status(), 200, "logout");

    let b = gate.login("alice", PW).await;
    let cookie2 = session_cookie(&b).unwrap();
    let out = gate.cli_ok(&["user", "disable", "alice"], None).await;
    let cli_err = out.stderr.clone();
    cli_logs.push(out.stdout + &out.stderr);
    gate.assert_refused(&b, "after disable").await;
    gate.stop().await;
    let server = gate.server_log();

    for (event, log) in [
        ("login.failure", &server),
        ("login.success", &server),
        ("logout", &server),
        ("user.disabled", &cli_err),
    ] {
        let found = audit_events(log, event);
        assert!(
            found.iter().any(|v| field(v, "user") == "alice"),
            "no audit {event} for alice in:\n{log}"
        );
        for v in &found {
            let ts = v["timestamp"].as_str().unwrap_or_default();
            assert!(ts.ends_with('Z'), "{event}: timestamp not UTC: {v}");
        }
    }
    let failure = &audit_events(&server, "login.failure")[0];
    assert_eq!(field(failure, "ip"), "127.0.0.1", "{failure}");
    assert_eq!(
        field(&audit_events(&cli_err, "user.disabled")[0], "actor"),
        "cli"
    );

    for (name, secret) in [
        ("the password", PW),
        ("the wrong password", wrong),
        ("the session cookie", cookie.as_str()),
        ("the second session cookie", cookie2.as_str()),
    ] {
        for line in server
            .lines()
            .chain(cli_logs.iter().flat_map(|l| l.lines()))
        {
            assert!(!line.contains(secret), "{name} is in a log line: {line}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 7. graceful shutdown
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sigterm_shuts_down_cleanly_even_with_a_request_in_flight() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;
    let b = gate.login("alice", PW).await;

    // The echo upstream holds /slow for 10 s; the server's shutdown grace is 1 s.
    let before = gate.echo.count();
    let mut slow_b = b.clone();
    let slow_req = gate.get("app.gate.localhost", "/slow");
    let slow = tokio::spawn(async move { slow_b.send(slow_req).await.status() });
    let deadline = Instant::now() + Duration::from_secs(10);
    while gate.echo.count() == before {
        assert!(
            Instant::now() < deadline,
            "/slow never reached the upstream"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = Instant::now();
    gate.stop().await;
    assert!(started.elapsed() < STOP_TIMEOUT);
    assert!(
        gate.server_log().contains("shutting down"),
        "{}",
        gate.server_log()
    );
    // The port is free again.
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", gate.port))
            .await
            .is_err(),
        "still accepting connections after exit"
    );
    slow.abort();
}

// ---------------------------------------------------------------------------------------
// 8. demo
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn demo_prints_credentials_and_serves_the_echo_app() {
    install_crypto();
    let port = free_port();
    let mut demo = Proc::spawn(gatehouse(&["demo", "--port", &port.to_string()]), None);
    let text = demo.wait_for(true, "Password:", START_TIMEOUT).await;
    // The line may still be arriving: wait for its end.
    let text = if text
        .split("Password:")
        .nth(1)
        .is_some_and(|r| r.contains('\n'))
    {
        text
    } else {
        demo.wait_for(true, "Data:", START_TIMEOUT).await
    };
    let value = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {label} line in:\n{text}"))
    };
    assert_eq!(value("Username:"), "demo");
    let password = value("Password:");
    assert!(password.chars().count() >= 15, "{password:?}");
    let data_dir = value("Data:");
    let data_dir = PathBuf::from(data_dir.trim_end_matches("(temporary)").trim());
    assert!(data_dir.is_dir(), "{}", data_dir.display());
    // The demo logs to stderr once it listens; give it that moment.
    demo.wait_for(false, "listening", START_TIMEOUT).await;

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let req = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("http://127.0.0.1:{port}{path}"))
            .header("host", format!("localhost:{port}"))
            .header("accept", "text/html")
    };
    let mut b = Browser {
        cookies: Default::default(),
    };
    // Not signed in: the site sends us to the portal.
    let resp = b.send(req(reqwest::Method::GET, "/")).await;
    assert_eq!(resp.status(), 302);

    let page = b.send(req(reqwest::Method::GET, "/_gatehouse/login")).await;
    assert_eq!(page.status(), 200);
    let csrf = extract_csrf(&page.text().await.unwrap());
    let resp = b
        .send(req(reqwest::Method::POST, "/_gatehouse/login").form(&[
            ("username", "demo"),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
            ("rd", ""),
        ]))
        .await;
    assert_eq!(
        resp.status(),
        303,
        "demo login: {}",
        resp.text().await.unwrap_or_default()
    );
    assert!(session_cookie(&b).is_some(), "{:?}", b.cookies);

    let resp = b.send(req(reqwest::Method::GET, "/")).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Remote-User: demo"), "{html}");

    demo.signal("TERM");
    let status = demo.wait_exit(STOP_TIMEOUT).await;
    assert!(status.success(), "demo exited with {status}");
    assert!(
        !data_dir.exists(),
        "the demo's temporary data {} is left behind",
        data_dir.display()
    );
    assert!(
        !demo.stderr().contains(&password),
        "the demo logged its password"
    );
}

// ---------------------------------------------------------------------------------------
// 9. file modes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn database_and_generated_key_are_created_private() {
    // serve creates both the database and (no [secrets] configured) the key next to it.
    let mut gate = Gate::new(Opts::default(), |t| {
        t.remove("secrets");
    })
    .await;
    gate.serve().await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.login("alice", PW).await;
    let key = gate.dir.path().join("gatehouse.key");
    assert!(key.is_file(), "no generated key at {}", key.display());
    assert_eq!(mode(&key), 0o600, "{}", key.display());
    let db = gate.db();
    assert_eq!(mode(&db), 0o600, "{}", db.display());
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
    gate.stop().await;
    // The key survives a restart (sessions depend on it) and keeps its mode.
    let first = std::fs::read_to_string(&key).unwrap();
    gate.serve().await;
    assert_eq!(std::fs::read_to_string(&key).unwrap(), first);
    assert_eq!(mode(&key), 0o600);
    gate.stop().await;

    // The CLI alone creates the database private too.
    let other = Gate::new(Opts::default(), |_| {}).await;
    other.cli_ok(&["user", "list"], None).await;
    assert_eq!(mode(&other.db()), 0o600, "{}", other.db().display());
}

#[tokio::test]
async fn user_unlock_and_passwd_lift_an_account_ban() {
    let overlay = "[throttle]\naccount_failures = 3\naccount_ban = \"1h\"\n";
    let mut gate = Gate::new(Opts::with(Store::Redis, overlay), |_| {}).await;
    gate.add_user("alice", PW, &[]).await;
    gate.serve().await;
    for _ in 0..3 {
        gate.login_fails("alice", "wrong wrong wrong wrong").await;
    }
    let mut b = Browser {
        cookies: Default::default(),
    };
    assert_eq!(gate.post_login(&mut b, "alice", PW).await.status(), 429);

    // The operator lifts the ban; the next login is evaluated and works.
    let out = gate.cli_ok(&["user", "unlock", "Alice"], None).await;
    assert!(out.stdout.contains("unlocked alice"), "{}", out.show());
    gate.login("alice", PW).await;
    let out = gate.cli(&["user", "unlock", "nosuch"], None).await;
    assert_ne!(
        out.code(),
        Some(0),
        "unlocking an unknown user: {}",
        out.show()
    );

    // Banned again; an operator's new password also clears the ban.
    for _ in 0..3 {
        gate.login_fails("alice", "wrong wrong wrong wrong").await;
    }
    assert_eq!(gate.post_login(&mut b, "alice", PW).await.status(), 429);
    let new = "an entirely new passphrase for alice";
    gate.cli_ok(
        &["user", "passwd", "alice", "--password-stdin"],
        Some(&format!("{new}\n")),
    )
    .await;
    gate.login("alice", new).await;
    gate.stop().await;
}

#[tokio::test]
async fn user_unlock_explains_a_memory_throttle() {
    let gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &[]).await;
    let out = gate.cli(&["user", "unlock", "alice"], None).await;
    assert_ne!(out.code(), Some(0), "{}", out.show());
    assert!(out.stderr.contains("admin area"), "{}", out.show());
}
