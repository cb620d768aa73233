//! Access rules through the proxy: host, path prefix and regex, method, subjects, policies,
//! and the default. Refused requests never reach the upstream.

use crate::harness::*;

async fn status(
    app: &TestApp,
    b: &mut Browser,
    method: reqwest::Method,
    host: &str,
    path: &str,
) -> u16 {
    b.send(app.req(method, host, path).header("accept", "text/html"))
        .await
        .status()
        .as_u16()
}

async fn app_with_users() -> TestApp {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("carol", PW, &[]).await;
    app.add_user("dave", PW, &["admins"]).await;
    app
}

#[tokio::test]
async fn bypass_and_path_prefixes_are_segment_aware() {
    let app = app_with_users().await;
    let mut anon = app.browser();
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "public.gate.localhost",
            "/anything"
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/api/public"
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/api/public/x"
        )
        .await,
        200
    );
    let seen = app.echo.count();
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/api/publicity"
        )
        .await,
        302
    );
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/"
        )
        .await,
        302
    );
    assert_eq!(
        app.echo.count(),
        seen,
        "a request needing login reached the upstream"
    );
}

#[tokio::test]
async fn deny_rules_match_the_canonical_path() {
    let app = app_with_users().await;
    let mut b = app.login("alice", PW).await;
    let before = app.echo.count();
    for path in [
        "/admin",
        "/admin/",
        "/admin/users",
        "/x/../admin",
        "/ADMIN/../admin/x",
    ] {
        let s = status(
            &app,
            &mut b,
            reqwest::Method::GET,
            "app.gate.localhost",
            path,
        )
        .await;
        assert_eq!(s, 403, "{path}");
    }
    assert_eq!(app.echo.count(), before);
    assert_eq!(
        status(
            &app,
            &mut b,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/administrator"
        )
        .await,
        200
    );
    // Rules never see the query string.
    assert_eq!(
        status(
            &app,
            &mut b,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/ok?/admin"
        )
        .await,
        200
    );
}

#[tokio::test]
async fn subjects_pick_users_and_groups() {
    let app = app_with_users().await;
    let mut anon = app.browser();
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "admin.gate.localhost",
            "/"
        )
        .await,
        302
    );
    let mut alice = app.login("alice", PW).await;
    let mut carol = app.login("carol", PW).await;
    let mut dave = app.login("dave", PW).await;
    assert_eq!(
        status(
            &app,
            &mut alice,
            reqwest::Method::GET,
            "admin.gate.localhost",
            "/"
        )
        .await,
        403
    );
    assert_eq!(
        status(
            &app,
            &mut carol,
            reqwest::Method::GET,
            "admin.gate.localhost",
            "/"
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &mut dave,
            reqwest::Method::GET,
            "admin.gate.localhost",
            "/"
        )
        .await,
        200
    );
    assert_eq!(app.echo.last().one("remote-groups"), Some("admins"));
    let page = alice
        .send(app.get("admin.gate.localhost", "/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Access denied"));
}

#[tokio::test]
async fn methods_narrow_a_rule() {
    let app = app_with_users().await;
    let mut alice = app.login("alice", PW).await;
    let mut carol = app.login("carol", PW).await;
    assert_eq!(
        status(
            &app,
            &mut alice,
            reqwest::Method::DELETE,
            "app.gate.localhost",
            "/thing"
        )
        .await,
        403
    );
    assert_eq!(
        status(
            &app,
            &mut alice,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/thing"
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &mut carol,
            reqwest::Method::DELETE,
            "app.gate.localhost",
            "/thing"
        )
        .await,
        200
    );
}

#[tokio::test]
async fn two_factor_rules_never_pass_as_one_factor() {
    let app = app_with_users().await;
    let mut anon = app.browser();
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "secure.gate.localhost",
            "/"
        )
        .await,
        302
    );
    let mut alice = app.login("alice", PW).await;
    let resp = alice.send(app.get("secure.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 403);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Two-factor authentication required")
    );
    assert_eq!(app.echo.count(), 0);
}

#[tokio::test]
async fn the_default_policy_applies_when_no_rule_matches() {
    let overlay = "[access_control]\ndefault_policy = \"deny\"\n[[access_control.rules]]\nhosts = [\"app.gate.localhost\"]\npolicy = \"one_factor\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    assert_eq!(
        status(
            &app,
            &mut b,
            reqwest::Method::GET,
            "app.gate.localhost",
            "/"
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &mut b,
            reqwest::Method::GET,
            "other.gate.localhost",
            "/"
        )
        .await,
        403
    );
    let mut anon = app.browser();
    assert_eq!(
        status(
            &app,
            &mut anon,
            reqwest::Method::GET,
            "other.gate.localhost",
            "/"
        )
        .await,
        403
    );
}

#[tokio::test]
async fn a_user_who_must_change_the_password_reaches_nothing() {
    let app = app_with_users().await;
    app.app
        .state()
        .admin
        .set_password(
            "alice",
            &gatehouse::domain::secret::SecretString::new(PW),
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    let mut b = app.login("alice", PW).await;
    // Every request goes to the change page instead of the app.
    for path in ["/", "/api/public"] {
        let resp = b.send(app.get("app.gate.localhost", path)).await;
        assert_eq!(resp.status(), 302, "{path}");
        let loc = resp.headers()["location"].to_str().unwrap();
        assert!(loc.contains("/account/password?rd="), "{loc}");
    }
    assert_eq!(app.echo.count(), 0);
}

#[tokio::test]
async fn a_default_site_serves_unknown_hosts_but_not_health_checks_by_address() {
    let overlay = "[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{echo}\"\ndefault = true\n[access_control]\ndefault_policy = \"bypass\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let resp = app.get("unknown.example", "/x").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.echo.last().uri, "/x");
    let health = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.text().await.unwrap().contains("\"status\":\"ok\""));
    assert_eq!(
        app.echo.count(),
        1,
        "the health check went to the default site"
    );
    // An IPv6 literal is an address too; a name that begins with a digit is still a name.
    let v6 = app.get("[::1]", "/api/health").send().await.unwrap();
    assert_eq!(v6.status(), 200);
    assert!(v6.text().await.unwrap().contains("\"status\":\"ok\""));
    assert_eq!(
        app.echo.count(),
        1,
        "the IPv6 health check went to the site"
    );
    let named = app.get("1.example", "/api/health").send().await;
    assert_eq!(named.unwrap().status(), 200);
    assert_eq!(
        app.echo.count(),
        2,
        "a named host's path went to the gateway"
    );
}

/// Error pages may be shown on app hosts, where a portal path would reach the app: they carry
/// the stylesheet inline, allowed by its hash. Pages with forms are always on the portal: they
/// link it by version, and browsers keep it instead of receiving it with every page.
#[tokio::test]
async fn app_host_pages_carry_the_hashed_style_and_portal_forms_link_the_cached_one() {
    use base64::Engine;
    use sha2::Digest;
    let app = app_with_users().await;
    let mut alice = app.login("alice", PW).await;
    let denied = alice.send(app.get("app.gate.localhost", "/admin")).await;
    let csp = denied.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = denied.text().await.unwrap();
    assert!(
        !html.contains("<link rel=\"stylesheet\""),
        "a relative stylesheet would be fetched from the app host"
    );
    let start = html.find("<style>").expect("no inline style") + "<style>".len();
    let end = html[start..].find("</style>").unwrap() + start;
    let inline = &html[start..end];
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline.as_bytes()));
    assert!(
        csp.contains(&format!("'sha256-{hash}'")),
        "the CSP does not allow the page's style block: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(app.echo.count(), 0);

    let login = app.get(&app.portal_host, "/login").send().await.unwrap();
    let page = login.text().await.unwrap().replace("&#x2f;", "/");
    assert!(
        !page.contains("<style>"),
        "the login page inlines its style"
    );
    let href = page
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the login page links no stylesheet");
    let version = href
        .strip_prefix("/static/gatehouse.css?v=")
        .unwrap_or_else(|| panic!("not the versioned stylesheet: {href}"));
    let sheet = app.get(&app.portal_host, href).send().await.unwrap();
    assert_eq!(sheet.status(), 200);
    let h = sheet.headers().clone();
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=3600");
    assert_eq!(h["etag"], format!("\"{version}\"").as_str());
    assert!(h.get("set-cookie").is_none());
    assert_eq!(
        sheet.text().await.unwrap(),
        inline,
        "one stylesheet, two ways"
    );
    let again = app
        .get(&app.portal_host, href)
        .header("if-none-match", format!("\"{version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}
