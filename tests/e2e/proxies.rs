//! Real proxies in front of the forward-auth endpoints, run with the exact example files:
//! nginx with `examples/nginx/gatehouse.conf` (`auth_request`) and Caddy with
//! `examples/caddy/Caddyfile` (`forward_auth`), each on a free loopback port in front of the
//! harness's echo app. Traefik cannot be installed here, so its dialect is checked against the
//! endpoint with the headers Traefik's `forwardAuth` sends.
//!
//! Every request through a proxy also carries spoofed identity headers (in several spellings,
//! sent byte-for-byte over a raw connection so that their case survives); the app must see
//! Gatehouse's values only. Proxies are killed when their guard drops.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::ports::{Waited, free_port, wait_listening};
use crate::harness::*;

const HINT: &str = "run scripts/test.sh, which installs nginx and caddy";
pub(crate) const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";
/// Deadline for a proxy to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The identity headers Gatehouse sets, as the app reads them.
const IDENTITY: [&str; 4] = [
    "remote-user",
    "remote-groups",
    "remote-email",
    "remote-name",
];

/// Identity headers a client tries to smuggle to the app, in several spellings.
const SPOOF: [(&str, &str); 8] = [
    ("Remote-User", "admin"),
    ("remote_user", "admin"),
    ("REMOTE-USER", "admin"),
    ("Remote_Groups", "admins"),
    ("REMOTE-GROUPS", "admins"),
    ("Remote-Email", "mallory@evil.test"),
    ("Remote-Name", "Mallory"),
    ("REMOTE_NAME", "Mallory"),
];

fn example(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Fills the example's placeholder tokens; every token must be used and none may be left.
fn fill(text: &str, tokens: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (token, value) in tokens {
        assert!(out.contains(token), "the example has no {token}");
        out = out.replace(token, value);
    }
    assert!(
        !out.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .any(|l| l.contains("__")),
        "a placeholder was left unfilled:\n{out}"
    );
    out
}

/// Finds a program on PATH (or in the sbin directories, where Debian puts nginx).
pub(crate) fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: {HINT}"))
}

/// A proxy process writing its output into its own directory; killed when dropped.
pub(crate) struct Proxy {
    name: &'static str,
    child: Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl Proxy {
    fn spawn(name: &'static str, mut cmd: Command, port: u16, dir: tempfile::TempDir) -> Self {
        let out = std::fs::File::create(dir.path().join("stdout.log")).unwrap();
        let err = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e} ({HINT})"));
        Self {
            name,
            child,
            port,
            dir,
        }
    }

    /// Every log file the proxy wrote, for failure messages.
    pub(crate) fn logs(&self) -> String {
        let mut out = String::new();
        let mut entries: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        entries.sort();
        for p in entries {
            out.push_str(&format!(
                "--- {} ---\n{}\n",
                p.display(),
                std::fs::read_to_string(&p).unwrap_or_default()
            ));
        }
        out
    }

    /// Starts the proxy that `command` makes for a free port and a fresh directory, and waits
    /// until it listens there. When another process took the port first, it starts again on
    /// another one (three tries).
    pub(crate) async fn start(name: &'static str, command: impl Fn(u16, &Path) -> Command) -> Self {
        let mut taken = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let dir = tempfile::tempdir().unwrap();
            let cmd = command(port, dir.path());
            match Self::spawn(name, cmd, port, dir).listening().await {
                Ok(proxy) => return proxy,
                Err(port) => taken.push(port),
            }
        }
        panic!("{name}: ports {taken:?} were each taken by another process first");
    }

    /// Waits until the proxy itself listens on its port (a connect could reach another
    /// program there: see ports.rs); `Err(port)` when another process holds it, and the
    /// proxy is stopped. Panics with its logs if it exits or hangs.
    async fn listening(mut self) -> Result<Self, u16> {
        match wait_listening(&mut self.child, self.port, START_TIMEOUT).await {
            Waited::Listening => Ok(self),
            Waited::Taken => Err(self.port),
            Waited::Exited(status) => {
                panic!("{} exited with {status}:\n{}", self.name, self.logs())
            }
            Waited::TimedOut => panic!(
                "{} did not listen on {} within {START_TIMEOUT:?}:\n{}",
                self.name,
                self.port,
                self.logs()
            ),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // SIGTERM first: an nginx master killed outright leaves its workers running.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx with the example server block included from a minimal main config.
pub(crate) async fn nginx(app: &TestApp) -> Proxy {
    let bin = tool("nginx");
    let modules = Command::new(&bin).arg("-V").output().unwrap();
    let built = String::from_utf8_lossy(&modules.stderr).into_owned();
    assert!(
        built.contains("http_auth_request_module"),
        "this nginx has no auth_request module ({HINT}):\n{built}"
    );
    // As root, nginx's workers would run as `nobody`, which cannot enter the private temp dir.
    let user = if is_root() { "user root;\n" } else { "" };
    Proxy::start("nginx", |port, dir| {
        let d = dir.display().to_string();
        let server = fill(
            &example("nginx/gatehouse.conf"),
            &[
                ("__LISTEN__", format!("127.0.0.1:{port}")),
                ("__SERVER_NAME__", "*.gate.localhost".to_owned()),
                ("__GATEHOUSE__", format!("127.0.0.1:{}", app.port)),
                ("__APP__", app.echo.addr.to_string()),
            ],
        );
        std::fs::write(dir.join("gatehouse.conf"), server).unwrap();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "{user}worker_processes 1;\nevents {{ worker_connections 64; }}\nhttp {{\n    access_log {d}/access.log;\n    client_body_temp_path {d}/tmp-body;\n    proxy_temp_path {d}/tmp-proxy;\n    fastcgi_temp_path {d}/tmp-fastcgi;\n    uwsgi_temp_path {d}/tmp-uwsgi;\n    scgi_temp_path {d}/tmp-scgi;\n    include {d}/gatehouse.conf;\n}}\n"
            ),
        )
        .unwrap();
        let mut cmd = Command::new(&bin);
        cmd.args(["-p", &format!("{d}/"), "-c", &format!("{d}/nginx.conf")])
            .args(["-e", &format!("{d}/error.log")])
            .args(["-g", &format!("daemon off; pid {d}/nginx.pid;")]);
        cmd
    })
    .await
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Caddy with the example Caddyfile, serving every host on a loopback port over plain http.
pub(crate) async fn caddy(app: &TestApp) -> Proxy {
    let bin = tool("caddy");
    Proxy::start("caddy", |port, dir| {
        let site = fill(
            &example("caddy/Caddyfile"),
            &[
                ("__SITE_ADDRESS__", format!("http://:{port}")),
                ("__GATEHOUSE__", format!("127.0.0.1:{}", app.port)),
                ("__APP__", app.echo.addr.to_string()),
            ],
        );
        let config = dir.join("Caddyfile");
        std::fs::write(
            &config,
            format!("{{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}}\n\n{site}"),
        )
        .unwrap();
        let mut cmd = Command::new(&bin);
        cmd.args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir)
            .env("XDG_CONFIG_HOME", dir);
        cmd
    })
    .await
}

/// A response as the client saw it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request over a fresh connection, header names exactly as given.
pub(crate) async fn raw(
    port: u16,
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(15), exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer within 15 s to {method} {host}{target}"));
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer { status, headers }
}

/// The request's headers plus every spoofed identity header.
fn with_spoof<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = extra.to_vec();
    h.extend_from_slice(&SPOOF);
    h
}

/// Checks what the app received: Gatehouse's identity values, each at most once, in one
/// spelling; `None` means anonymous (absent or empty). No spoofed value in any spelling.
fn assert_identity(seen: &Seen, want: Option<[&str; 4]>, what: &str) {
    for (i, name) in IDENTITY.iter().enumerate() {
        let values: Vec<(&str, &str)> = seen
            .headers
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase().replace('_', "-") == *name)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match want {
            Some(w) => assert_eq!(
                values,
                vec![(*name, w[i])],
                "{what}: the app must get {name} once, from Gatehouse; headers: {:?}",
                seen.headers
            ),
            None => assert!(
                values.iter().all(|(k, v)| *k == *name && v.is_empty()) && values.len() <= 1,
                "{what}: an anonymous request must reach the app without {name}; headers: {:?}",
                seen.headers
            ),
        }
    }
}

/// The login URL Gatehouse sends a browser to for `original`.
fn login_url(app: &TestApp, original: &str) -> String {
    let rd: String = form_urlencoded::byte_serialize(original.as_bytes()).collect();
    format!("http://auth.gate.localhost:{}/login?rd={rd}", app.port)
}

/// Where the two proxies answer differently, and why.
struct Expect {
    /// A script (no HTML wanted) without a session: nginx turns every 401 into a redirect
    /// (`error_page 401 =302`), Caddy passes Gatehouse's 401 on.
    script: u16,
    /// A form POST without a session: nginx 302 again; Caddy passes Gatehouse's 303.
    post: u16,
    /// A client's own X-Original-URL: nginx never passes it (302, as without it); Caddy does,
    /// and Gatehouse refuses the call because it disagrees with X-Forwarded-Host/-Uri (400).
    x_original_url: u16,
    /// A raw `%2F` in the path: Gatehouse answers 400; nginx turns any answer other than
    /// 2xx/401/403 into 500, Caddy passes the 400 on.
    encoded_slash: u16,
}

/// The whole browser story through a proxy.
async fn scenario(app: &TestApp, proxy: &Proxy, expect: Expect) {
    let name = proxy.name;
    let port = proxy.port;
    let on = |sub: &str| format!("{sub}.gate.localhost:{port}");
    let html = ("Accept", "text/html");
    let logs = || proxy.logs();

    // Anonymous: redirected to the login page with the original URL; the app sees nothing.
    let r = raw(
        port,
        "GET",
        &on("app"),
        "/some/page?x=1",
        &with_spoof(&[html]),
    )
    .await;
    assert_eq!(r.status, 302, "{name}: anonymous browser {r:?}\n{}", logs());
    assert_eq!(
        r.header("location"),
        Some(login_url(app, &format!("http://{}/some/page?x=1", on("app"))).as_str()),
        "{name}"
    );
    let r = raw(
        port,
        "GET",
        &on("app"),
        "/",
        &with_spoof(&[("Accept", "application/json")]),
    )
    .await;
    assert_eq!(r.status, expect.script, "{name}: anonymous script {r:?}");
    assert!(r.header("location").is_some(), "{name}: {r:?}");
    let r = raw(port, "POST", &on("app"), "/form", &with_spoof(&[html])).await;
    assert_eq!(r.status, expect.post, "{name}: anonymous POST {r:?}");
    assert!(r.header("location").is_some(), "{name}: {r:?}");
    // Forwarded headers from the client do not change which request is judged.
    let r = raw(
        port,
        "GET",
        &on("app"),
        "/",
        &with_spoof(&[
            html,
            ("X-Forwarded-Host", "public.gate.localhost"),
            ("X-Forwarded-Uri", "/api/public"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Method", "GET"),
        ]),
    )
    .await;
    assert_eq!(r.status, 302, "{name}: spoofed X-Forwarded-* {r:?}");
    let r = raw(
        port,
        "GET",
        &on("app"),
        "/",
        &with_spoof(&[
            html,
            ("X-Original-URL", "http://public.gate.localhost/"),
            ("X-Original-Method", "GET"),
        ]),
    )
    .await;
    assert_eq!(
        r.status, expect.x_original_url,
        "{name}: spoofed X-Original-URL {r:?}"
    );
    assert_eq!(
        app.echo.count(),
        0,
        "{name}: an anonymous request reached the app: {:?}",
        app.echo.last()
    );

    // A bypassed host: through, anonymous, and without the client's identity headers.
    let r = raw(port, "GET", &on("public"), "/status", &with_spoof(&[html])).await;
    assert_eq!(r.status, 200, "{name}: bypass host {r:?}\n{}", logs());
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/status", "{name}");
    assert_identity(&seen, None, &format!("{name}: bypass host"));

    // Logged in (directly at Gatehouse: the cookie's domain is gate.localhost).
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let cookie = format!(
        "{}={}",
        app.app.state().cookies.session_name(),
        b.session(app).unwrap()
    );
    let with_cookie = |extra: &[(&'static str, &'static str)]| {
        let mut h: Vec<(String, String)> = vec![("Cookie".into(), cookie.clone())];
        h.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        h.extend(
            SPOOF
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        h
    };
    let send = |method: &'static str,
                host: String,
                target: &'static str,
                h: Vec<(String, String)>| async move {
        let refs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        raw(port, method, &host, target, &refs).await
    };
    let before = app.echo.count();
    let r = send("GET", on("app"), "/hello?q=2", with_cookie(&[html])).await;
    assert_eq!(r.status, 200, "{name}: signed in {r:?}\n{}", logs());
    assert_eq!(app.echo.count(), before + 1, "{name}");
    let seen = app.echo.last();
    assert_eq!(seen.uri, "/hello?q=2", "{name}");
    assert_eq!(seen.one("host"), Some(on("app").as_str()), "{name}");
    assert_identity(
        &seen,
        Some(["alice", "users", "alice@example.test", "alice"]),
        &format!("{name}: signed in"),
    );
    let r = send("POST", on("app"), "/form", with_cookie(&[html])).await;
    assert_eq!(r.status, 200, "{name}: signed-in POST {r:?}");
    assert_eq!(app.echo.last().method, "POST", "{name}");

    // Not allowed: alice is not an admin. The app never sees the request.
    let before = app.echo.count();
    let r = send("GET", on("admin"), "/", with_cookie(&[html])).await;
    assert_eq!(r.status, 403, "{name}: admin host {r:?}");
    // A rule on the path, judged on the canonical path.
    let r = send("GET", on("app"), "/x/../admin/", with_cookie(&[html])).await;
    assert_eq!(r.status, 403, "{name}: /x/../admin/ {r:?}");
    let r = send("GET", on("app"), "/%2Fadmin", with_cookie(&[html])).await;
    assert_eq!(r.status, expect.encoded_slash, "{name}: /%2Fadmin {r:?}");
    assert_eq!(
        app.echo.count(),
        before,
        "{name}: a refused request reached the app: {:?}",
        app.echo.last()
    );

    // Logout at the portal ends access through the proxy too.
    let home = b.send(app.get(&app.portal_host, "/")).await;
    assert_eq!(home.status(), 200);
    let csrf = extract_csrf(&home.text().await.unwrap());
    let out = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/logout")
                .form(&[("csrf", csrf.as_str())]),
        )
        .await;
    assert_eq!(out.status(), 200, "logout");
    let r = send("GET", on("app"), "/hello", with_cookie(&[html])).await;
    assert_eq!(r.status, 302, "{name}: after logout {r:?}");
    assert_eq!(
        app.echo.count(),
        before,
        "{name}: reached the app after logout"
    );
}

#[tokio::test]
async fn nginx_auth_request_with_the_example_config() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let proxy = nginx(&app).await;
    scenario(
        &app,
        &proxy,
        Expect {
            script: 302,
            post: 302,
            x_original_url: 302,
            encoded_slash: 500,
        },
    )
    .await;
    // The subrequest location is internal: a client cannot call it through nginx.
    let before = app.echo.count();
    let r = raw(
        proxy.port,
        "GET",
        &format!("app.gate.localhost:{}", proxy.port),
        "/internal/gatehouse-authz",
        &[],
    )
    .await;
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(app.echo.count(), before);
}

#[tokio::test]
async fn caddy_forward_auth_with_the_example_caddyfile() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let proxy = caddy(&app).await;
    scenario(
        &app,
        &proxy,
        Expect {
            script: 401,
            // Not a navigation (one rule for both modes): 401, never a redirect.
            post: 401,
            x_original_url: 400,
            encoded_slash: 400,
        },
    )
    .await;
}

/// One forwardAuth call as Traefik makes it for a client request (`dynamic.yml`: entry point
/// defaults, `trustForwardHeader: true`, `authRequestHeaders` Accept/Cookie/User-Agent/
/// X-Requested-With): a GET to the middleware's address, the X-Forwarded-* set by the entry
/// point passed on, and the allowed client headers copied.
fn traefik(
    app: &TestApp,
    method: &str,
    proto: &str,
    host: &str,
    uri: &str,
    client: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let port = if proto == "https" { "443" } else { "80" };
    let mut rb = app
        .client
        .get(app.url("/api/authz/forward-auth"))
        .header("host", "gatehouse:9091")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-method", method)
        .header("x-forwarded-proto", proto)
        .header("x-forwarded-port", port)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("accept-encoding", "gzip");
    for (k, v) in client {
        rb = rb.header(*k, *v);
    }
    rb
}

#[tokio::test]
async fn traefik_dialect_with_traefiks_own_headers() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let html = ("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
    let login = |original: &str| login_url(&app, original);

    // No session, a browser: Traefik returns the 302 and its Location to the client as is.
    let r = traefik(
        &app,
        "GET",
        "https",
        "app.gate.localhost",
        "/docs/a?b=1&c",
        &[html],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        login("https://app.gate.localhost/docs/a?b=1&c").as_str()
    );
    // A non-default port is part of the return URL.
    let r = traefik(
        &app,
        "GET",
        "https",
        "app.gate.localhost:8443",
        "/",
        &[html],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        login("https://app.gate.localhost:8443/").as_str()
    );
    // A form post is not a navigation: 401 (a redirect would lose the body).
    let r = traefik(
        &app,
        "POST",
        "https",
        "app.gate.localhost",
        "/save",
        &[html],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("location"));
    // Scripts get 401 (with the login URL): Traefik passes it on instead of redirecting.
    for client in [
        &[("accept", "application/json")][..],
        &[html, ("x-requested-with", "XMLHttpRequest")][..],
    ] {
        let r = traefik(&app, "GET", "https", "app.gate.localhost", "/api/x", client)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{client:?}");
        assert!(r.headers().contains_key("location"), "{client:?}");
    }

    // A bypassed host: 200 with all four headers, empty; Traefik deletes the client's values
    // and copies these.
    let r = traefik(&app, "GET", "https", "public.gate.localhost", "/", &[html])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for h in IDENTITY {
        let all: Vec<_> = r.headers().get_all(h).iter().collect();
        assert_eq!(all, [""], "{h}");
    }

    // Signed in: 200 with alice's identity, each header once, whatever the client sent.
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    let cookie = format!(
        "{}={}; theme=dark",
        app.app.state().cookies.session_name(),
        b.session(&app).unwrap()
    );
    let signed_in = [html, ("cookie", cookie.as_str())];
    let r = traefik(
        &app,
        "GET",
        "https",
        "app.gate.localhost",
        "/docs",
        &signed_in,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    for (h, want) in IDENTITY
        .iter()
        .zip(["alice", "users", "alice@example.test", "alice"])
    {
        let all: Vec<_> = r.headers().get_all(*h).iter().collect();
        assert_eq!(all, [want], "{h}");
    }
    // The same with a POST and a script's Accept: allowed is allowed.
    let r = traefik(
        &app,
        "POST",
        "https",
        "app.gate.localhost",
        "/api/x",
        &[("accept", "application/json"), ("cookie", cookie.as_str())],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["remote-user"], "alice");

    // Not allowed: 403, returned to the client; no identity headers in it.
    let r = traefik(
        &app,
        "GET",
        "https",
        "admin.gate.localhost",
        "/",
        &signed_in,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("remote-user").is_none());

    // Without authRequestHeaders Traefik copies every client header: a client's own
    // X-Original-URL that disagrees with the entry point's X-Forwarded-* is refused, never
    // believed.
    let r = traefik(
        &app,
        "GET",
        "https",
        "app.gate.localhost",
        "/",
        &[html, ("x-original-url", "https://public.gate.localhost/")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
}

/// `examples/docker/gatehouse.toml` (the compose example's config) is a valid configuration
/// for forward-auth mode: no sites, the apps allowed as return URLs, Traefik alone trusted.
#[test]
fn the_docker_example_config_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let c = gatehouse::config::load_str(
        &example("docker/gatehouse.toml"),
        dir.path(),
        std::iter::empty(),
    )
    .unwrap_or_else(|p| panic!("examples/docker/gatehouse.toml: {p:#?}"));
    assert!(c.sites.is_empty());
    let rd = gatehouse::domain::redirect::validate_redirect(
        "http://whoami.gatehouse.localhost/",
        &c.portal.redirect,
    );
    assert!(rd.is_some(), "the compose app is not an allowed return URL");
    assert!(
        c.server
            .trusted_proxies
            .contains("172.30.0.10".parse().unwrap())
    );
    assert!(
        !c.server
            .trusted_proxies
            .contains("172.30.0.11".parse().unwrap())
    );
}
