//! Case-insensitive path rules: apps that route without regard to case (Express by default,
//! ASP.NET, IIS) serve `/ADMIN/users` as `/admin/users`, so a rule written for `/admin` must
//! match it there. `case_insensitive_paths` on a site is the default for the rules judging its
//! requests; a rule's own `case_insensitive_paths` wins. Proxy mode and forward-auth agree.

use crate::harness::*;

const OVERLAY: &str = r#"
[server]
trusted_proxies = ["127.0.0.1/32"]
[access_control]
default_policy = "deny"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
paths = ["/admin"]
policy = "deny"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
path_regex = ["^/internal(/|$)"]
policy = "deny"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
paths = ["/Reports"]
case_insensitive_paths = false
policy = "deny"
[[access_control.rules]]
hosts = ["legacy.gate.localhost"]
paths = ["/private"]
case_insensitive_paths = true
policy = "deny"
[[access_control.rules]]
hosts = ["*.gate.localhost"]
policy = "one_factor"
[[sites]]
host = "iis.gate.localhost"
upstream = "http://{echo}"
case_insensitive_paths = true
[[sites]]
host = "*.gate.localhost"
upstream = "http://{echo}"
"#;

#[tokio::test]
async fn case_insensitive_sites_and_rules_match_paths_in_any_letter_case() {
    let app = TestApp::spawn(Opts::with(Store::Memory, OVERLAY)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let cookie = b.cookie_header();

    for (host, path, want) in [
        // A case-insensitive site: every rule without its own setting folds case.
        ("iis.gate.localhost", "/admin/users", 403),
        ("iis.gate.localhost", "/ADMIN/users", 403),
        ("iis.gate.localhost", "/Admin", 403),
        ("iis.gate.localhost", "/INTERNAL/x", 403),
        ("iis.gate.localhost", "/adminx", 200),
        ("iis.gate.localhost", "/page", 200),
        // A rule that says case matters keeps matching exactly, even there.
        ("iis.gate.localhost", "/Reports", 403),
        ("iis.gate.localhost", "/REPORTS", 200),
        // A case-sensitive site: the rules match case as written (the documented default).
        ("app.gate.localhost", "/admin", 403),
        ("app.gate.localhost", "/ADMIN", 200),
        // A rule of its own that folds case, on a site that does not.
        ("legacy.gate.localhost", "/PRIVATE/x", 403),
        ("legacy.gate.localhost", "/private", 403),
        ("legacy.gate.localhost", "/ADMIN", 200),
    ] {
        let status = b.send(app.get(host, path)).await.status().as_u16();
        assert_eq!(status, want, "proxy {host}{path}");

        // Forward-auth judges the same request the same way.
        let fa = app
            .client
            .get(app.url("/api/authz/forward-auth"))
            .header("host", format!("127.0.0.1:{}", app.port))
            .header("x-forwarded-method", "GET")
            .header("x-forwarded-proto", "http")
            .header("x-forwarded-host", host)
            .header("x-forwarded-uri", path)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(fa, want, "forward-auth {host}{path}");
    }
}
