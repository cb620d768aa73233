//! A minimal W3C WebDriver client for the browser tests: starts Debian's `chromedriver` on a
//! free loopback port, opens one headless Chromium session and drives it over plain JSON.
//! Every failure panics with the WebDriver error and the page the browser was on; the page's
//! screenshot and source are saved next to the test's other screenshots as `failure.*`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long `find` waits for an element to appear, and `wait_for_url` for a page.
const WAIT: Duration = Duration::from_secs(10);

/// One chromedriver process with one Chromium session; both end on drop.
pub struct WebDriver {
    http: reqwest::Client,
    port: u16,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    session_id: String,
    driver: Child,
    /// Chromium's fresh profile and chromedriver's log.
    scratch: tempfile::TempDir,
    /// Where `failure.png` / `failure.html` go when a command fails.
    artifacts: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl WebDriver {
    /// Starts chromedriver and a headless Chromium. `artifacts` is the test's screenshot
    /// directory (created here), where a failing command leaves `failure.png`.
    pub async fn start(artifacts: &Path) -> Self {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: run the suite with scripts/test.sh, which installs the Debian package {package}"
            );
        }
        std::fs::create_dir_all(artifacts).unwrap();
        crate::harness::install_crypto();
        let scratch = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(scratch.path().join("chromedriver.log")).unwrap();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {CHROMEDRIVER}: {e}"));
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut wd = Self {
            http,
            port,
            session: String::new(),
            session_id: String::new(),
            driver,
            scratch,
            artifacts: artifacts.to_owned(),
        };
        wd.wait_until_ready().await;
        wd.new_session().await;
        wd
    }

    fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn driver_log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("chromedriver.log")).unwrap_or_default()
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(resp) = self
                .http
                .get(format!("{}/status", self.root()))
                .send()
                .await
                && let Ok(v) = resp.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited ({status}):\n{}", self.driver_log());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver was not ready on port {} within 20s:\n{}",
                self.port,
                self.driver_log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn new_session(&mut self) {
        let profile = self.scratch.path().join("profile");
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
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "implicit": WAIT.as_millis() as u64, "pageLoad": 30_000, "script": 10_000 },
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        }}});
        let resp = self
            .http
            .post(format!("{}/session", self.root()))
            .json(&caps)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /session: {e}\n{}", self.driver_log()));
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        let Some(id) = v["value"]["sessionId"].as_str() else {
            panic!(
                "chromedriver could not start Chromium ({status}): {}\n{}",
                v["value"]["message"],
                self.driver_log()
            );
        };
        self.session_id = id.to_owned();
        self.session = format!("{}/session/{id}", self.root());
    }

    /// One command; `Err` carries the WebDriver error (or the transport error).
    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status();
        let v: Value = resp
            .json()
            .await
            .map_err(|e| format!("{method} {path}: {status}, body not JSON: {e}"))?;
        if status.is_success() {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: {status} {}: {}",
                v["value"]["error"].as_str().unwrap_or("?"),
                v["value"]["message"].as_str().unwrap_or("?")
            ))
        }
    }

    /// One command, panicking on failure with the error and the current page.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_call(method, path, body).await {
            Ok(v) => v,
            Err(e) => self.fail(&e).await,
        }
    }

    /// Panics with `what`, the current URL, and leaves the page's screenshot and source.
    pub async fn fail(&self, what: &str) -> ! {
        let url = self
            .try_call(reqwest::Method::GET, "/url", None)
            .await
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|e| format!("<unknown: {e}>"));
        let mut left = String::new();
        if let Ok(v) = self
            .try_call(reqwest::Method::GET, "/screenshot", None)
            .await
            && let Some(png) = v
                .as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        {
            let path = self.artifacts.join("failure.png");
            if std::fs::write(&path, png).is_ok() {
                left.push_str(&format!("\nscreenshot: {}", path.display()));
            }
        }
        if let Ok(Value::String(html)) = self.try_call(reqwest::Method::GET, "/source", None).await
        {
            let path = self.artifacts.join("failure.html");
            if std::fs::write(&path, html).is_ok() {
                left.push_str(&format!("\npage source: {}", path.display()));
            }
        }
        panic!("WebDriver: {what}\ncurrent page: {url}{left}");
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn current_url(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
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
        let v = self.call(reqwest::Method::GET, "/source", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css` (waits up to 10 s for it): its WebDriver id.
    pub async fn find(&self, css: &str) -> String {
        let body = json!({ "using": "css selector", "value": css });
        match self
            .try_call(reqwest::Method::POST, "/element", Some(body))
            .await
        {
            Ok(v) => match v.get(ELEMENT).and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => self.fail(&format!("find {css:?}: no element in {v}")).await,
            },
            Err(e) => self.fail(&format!("find {css:?}: {e}")).await,
        }
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        let v = self
            .call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// A DOM property (e.g. `value`) of the element matching `css`, as a string.
    pub async fn property(&self, css: &str, name: &str) -> String {
        let id = self.find(css).await;
        match self
            .call(
                reqwest::Method::GET,
                &format!("/element/{id}/property/{name}"),
                None,
            )
            .await
        {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// An HTML attribute of the element matching `css`, if present.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    /// Clears the field matching `css` and types `value` into it.
    pub async fn fill(&self, css: &str, value: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": value })),
        )
        .await;
    }

    /// Clicks the element matching `css` (chromedriver waits for a navigation it starts).
    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Saves a PNG of the viewport to `path` (its directory must exist).
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot is not base64: {e}"));
        std::fs::write(path.as_ref(), png)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.as_ref().display()));
    }

    /// The cookies the browser would send to the current page (HttpOnly ones included).
    pub async fn cookies(&self) -> Vec<Value> {
        match self.call(reqwest::Method::GET, "/cookie", None).await {
            Value::Array(cookies) => cookies,
            other => {
                self.fail(&format!("GET /cookie: not a list: {other}"))
                    .await
            }
        }
    }

    /// Ends the session the blocking way (Drop can't await, and must work while a failed
    /// test unwinds): a bare HTTP/1.1 `DELETE /session/ID` closes Chromium cleanly.
    fn delete_session_blocking(&self) {
        if self.session_id.is_empty() {
            return;
        }
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = write!(
            stream,
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_id, self.port
        );
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        self.delete_session_blocking();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
