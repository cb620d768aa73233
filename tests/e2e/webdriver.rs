//! The browser tests' WebDriver helper over `fantoccini`: starts Debian's `chromedriver` on a
//! free loopback port per test, opens one headless Chromium session with a fresh profile, and
//! wraps the commands the tests use so that every failure panics with the WebDriver error and
//! the page the browser was on.
//!
//! Artifacts, all in the test's directory (`target/browser-artifacts/<test>/`): a numbered
//! screenshot after every navigation and click (`NN-goto.png`, `NN-click.png`), the tests' own
//! named screenshots, and `failure.png` / `failure.html` when a command fails or the test
//! panics while the browser is open.
//!
//! Scripts (`execute`) and raw WebDriver commands (`command`: W3C extension endpoints such as
//! WebAuthn virtual authenticators) go through the same session.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::harness::ports::{Waited, free_port, wait_listening};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long `find` waits for an element to appear, and `wait_for_url` for a page.
const WAIT: Duration = Duration::from_secs(10);

/// One chromedriver process with one Chromium session; both end on drop.
pub struct WebDriver {
    client: Client,
    port: u16,
    session_id: String,
    driver: Child,
    /// Chromium's fresh profile and chromedriver's log, removed on drop.
    _scratch: tempfile::TempDir,
    /// The test's artifact directory.
    artifacts: PathBuf,
    /// Steps screenshotted so far (numbers the step screenshots).
    steps: AtomicUsize,
}

/// A raw command on the current session: `path` is relative to `/session/{id}/`.
#[derive(Debug)]
struct Raw {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let path = self.path.trim_start_matches('/');
        match session {
            Some(id) => base.join(&format!("session/{id}/{path}")),
            // Only reachable before a session exists, which `WebDriver` never exposes.
            None => Err(url::ParseError::EmptyHost),
        }
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

fn capabilities(profile: &Path) -> Capabilities {
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1024,768".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        // The test gateway listens on 127.0.0.1; its sites are *.gate.localhost.
        "--host-resolver-rules=MAP *.localhost 127.0.0.1".to_owned(),
    ];
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "implicit": WAIT.as_millis() as u64, "pageLoad": 30_000, "script": 10_000 },
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

impl WebDriver {
    /// Starts chromedriver and a headless Chromium. `artifacts` is the test's screenshot
    /// directory (created here).
    pub async fn start(artifacts: &Path) -> Self {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: run the suite with scripts/test.sh, which installs the Debian package {package}"
            );
        }
        std::fs::create_dir_all(artifacts).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let driver_log =
            || std::fs::read_to_string(scratch.path().join("chromedriver.log")).unwrap_or_default();
        // Ready once it listens itself: another test's server may have taken the port first
        // (see ports.rs), and then it starts again on another (three tries). A driver that
        // exits otherwise says why in its log.
        let mut taken = Vec::new();
        let (driver, port) = 'started: {
            for _ in 0..3 {
                let port = free_port();
                let log = std::fs::File::create(scratch.path().join("chromedriver.log")).unwrap();
                let mut driver = Command::new(CHROMEDRIVER)
                    .arg(format!("--port={port}"))
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn()
                    .unwrap_or_else(|e| panic!("could not start {CHROMEDRIVER}: {e}"));
                match wait_listening(&mut driver, port, Duration::from_secs(20)).await {
                    Waited::Listening => break 'started (driver, port),
                    Waited::Taken => {}
                    Waited::Exited(status) => {
                        panic!("chromedriver exited ({status}):\n{}", driver_log())
                    }
                    Waited::TimedOut => panic!(
                        "chromedriver did not listen on port {port} within 20s:\n{}",
                        driver_log()
                    ),
                }
                let _ = driver.kill();
                let _ = driver.wait();
                taken.push(port);
            }
            panic!("chromedriver: ports {taken:?} were each taken by another process first");
        };
        // On a machine loaded by parallel builds Chromium can miss chromedriver's start-up
        // deadline: one more try with a fresh profile, then a failure with both errors.
        let mut errors = Vec::new();
        let mut client = None;
        for attempt in 1..=2 {
            let profile = scratch.path().join(format!("profile-{attempt}"));
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities(&profile))
                .connect(&format!("http://127.0.0.1:{port}/"))
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => errors.push(format!("attempt {attempt}: {e}")),
            }
        }
        let Some(client) = client else {
            panic!(
                "chromedriver could not start Chromium:\n{}\n{}",
                errors.join("\n"),
                driver_log()
            );
        };
        let session_id = match client.session_id().await {
            Ok(Some(id)) => id,
            other => panic!("chromedriver gave no session id: {other:?}"),
        };
        Self {
            client,
            port,
            session_id,
            driver,
            _scratch: scratch,
            artifacts: artifacts.to_owned(),
            steps: AtomicUsize::new(0),
        }
    }

    /// The fantoccini client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Unwraps a command's result, failing the test (with artifacts) on an error.
    async fn ok<T>(&self, what: &str, r: Result<T, CmdError>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => self.fail(&format!("{what}: {e}")).await,
        }
    }

    /// Panics with `what` and the current URL, leaving the page's screenshot and source.
    pub async fn fail(&self, what: &str) -> ! {
        let url = match self.client.current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("<unknown: {e}>"),
        };
        let mut left = String::new();
        if let Ok(png) = self.client.screenshot().await {
            let path = self.artifacts.join("failure.png");
            if std::fs::write(&path, png).is_ok() {
                left.push_str(&format!("\nscreenshot: {}", path.display()));
            }
        }
        if let Ok(html) = self.client.source().await {
            let path = self.artifacts.join("failure.html");
            if std::fs::write(&path, html).is_ok() {
                left.push_str(&format!("\npage source: {}", path.display()));
            }
        }
        panic!("WebDriver: {what}\ncurrent page: {url}{left}");
    }

    /// Saves the next numbered step screenshot, `NN-<what>.png`.
    async fn step(&self, what: &str) {
        let n = self.steps.fetch_add(1, Ordering::Relaxed) + 1;
        self.screenshot(self.artifacts.join(format!("{n:02}-{what}.png")))
            .await;
    }

    pub async fn goto(&self, url: &str) {
        let r = self.client.goto(url).await;
        self.ok(&format!("goto {url}"), r).await;
        self.step("goto").await;
    }

    pub async fn current_url(&self) -> String {
        let r = self.client.current_url().await;
        self.ok("current url", r).await.to_string()
    }

    /// Waits (up to 10 s) until the browser's URL satisfies `ok`; returns it.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.current_url().await;
            if ok(&url) {
                return url;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 10 s) until the page holds `needle` (after a form submit, the old page may
    /// still be the current one for a moment); returns the page.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let page = self.page_source().await;
            if page.contains(needle) {
                return page;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for the text {needle:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn page_source(&self) -> String {
        let r = self.client.source().await;
        self.ok("page source", r).await
    }

    /// The first element matching `css` (the session's implicit wait gives it 10 s to appear).
    pub async fn find(&self, css: &str) -> Element {
        let r = self.client.find(Locator::Css(css)).await;
        self.ok(&format!("find {css:?}"), r).await
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let r = self.find(css).await.text().await;
        self.ok(&format!("text of {css:?}"), r).await
    }

    /// A DOM property (e.g. `value`) of the element matching `css`, as a string.
    pub async fn property(&self, css: &str, name: &str) -> String {
        let r = self.find(css).await.prop(name).await;
        self.ok(&format!("property {name} of {css:?}"), r)
            .await
            .unwrap_or_default()
    }

    /// An HTML attribute of the element matching `css`, if present.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let r = self.find(css).await.attr(name).await;
        self.ok(&format!("attribute {name} of {css:?}"), r).await
    }

    /// Clears the field matching `css` and types `value` into it.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        let r = field.clear().await;
        self.ok(&format!("clear {css:?}"), r).await;
        let r = field.send_keys(value).await;
        self.ok(&format!("type into {css:?}"), r).await;
    }

    /// Clicks the element matching `css` (chromedriver waits for a navigation it starts).
    pub async fn click(&self, css: &str) {
        let r = self.find(css).await.click().await;
        self.ok(&format!("click {css:?}"), r).await;
        self.step("click").await;
    }

    /// Saves a PNG of the viewport to `path` (its directory must exist).
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let r = self.client.screenshot().await;
        let png = self.ok("screenshot", r).await;
        std::fs::write(path.as_ref(), png)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.as_ref().display()));
    }

    /// The cookies the browser would send to the current page (HttpOnly ones included).
    pub async fn cookies(&self) -> Vec<Cookie<'static>> {
        let r = self.client.get_all_cookies().await;
        self.ok("get cookies", r).await
    }

    /// Runs `script` as the body of a function in the page (`arguments` are `args`) and
    /// returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        let r = self.client.execute(script, args).await;
        self.ok("execute script", r).await
    }

    /// Sends a raw command on this session, `path` relative to `/session/{id}/` (e.g.
    /// `webauthn/authenticator`); returns its `value`, or the WebDriver error.
    pub async fn try_command(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, CmdError> {
        let path = path.to_owned();
        self.client.issue_cmd(Raw { method, path, body }).await
    }

    /// `try_command`, failing the test on an error.
    pub async fn command(&self, method: http::Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        let r = self.try_command(method, path, body).await;
        self.ok(&what, r).await
    }

    /// One request to chromedriver over a bare HTTP/1.1 socket: Drop can't await, and must
    /// work while a failed test unwinds its runtime. Returns the JSON `value`. chromedriver
    /// answers HTTP/1.0 with nothing and keeps the socket open despite `Connection: close`,
    /// so the body is read up to its `Content-Length`.
    fn blocking(&self, method: &str, path: &str) -> Option<Value> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        write!(
            stream,
            "{method} /session/{}{path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_id, self.port
        )
        .ok()?;
        let mut resp = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            if let Some(start) = resp
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| p + 4)
            {
                let head = String::from_utf8_lossy(&resp[..start]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))?
                    .trim()
                    .parse()
                    .ok()?;
                if resp.len() >= start + len {
                    let v: Value = serde_json::from_slice(&resp[start..start + len]).ok()?;
                    return Some(v["value"].clone());
                }
            }
            match stream.read(&mut chunk).ok()? {
                0 => return None,
                n => resp.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// After a panic anywhere in the test (an assertion, not just a WebDriver error), leaves
    /// the page as it was: `failure.png` unless `fail` already wrote one.
    fn leave_failure_artifacts(&self) {
        let png = self.artifacts.join("failure.png");
        if png.exists() {
            return;
        }
        if let Some(Value::String(b64)) = self.blocking("GET", "/screenshot")
            && let Ok(bytes) =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)
        {
            let _ = std::fs::write(&png, bytes);
        }
        if let Some(Value::String(html)) = self.blocking("GET", "/source") {
            let _ = std::fs::write(self.artifacts.join("failure.html"), html);
        }
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.leave_failure_artifacts();
        }
        // Chromium closes cleanly only when its session is deleted; killing chromedriver
        // alone would leave it running.
        self.blocking("DELETE", "");
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
