//! Branding (docs/branding.md): the operator's assets served from memory under the portal
//! with their type, cache and security headers; nothing else of the directory (or beyond it)
//! reachable; the logo, favicon, stylesheet and accent on the pages under a CSP that still has
//! no `unsafe-inline`; and every bad branding key refused by the config check.

use std::path::Path;

use gatehouse::config::{Problem, load_str};
use reqwest::Method;

use crate::harness::*;
use crate::protocol::{raw_get, raw_request};

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.documentElement.setAttribute("data-ran","1")</script><rect width="10" height="10" fill="#8a1c7c"/></svg>"##;

/// An assets directory beside a file that must stay out of reach.
fn assets() -> tempfile::TempDir {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("assets");
    std::fs::create_dir_all(dir.join("fonts")).unwrap();
    std::fs::write(top.path().join("outside.png"), b"outside-secret").unwrap();
    for (name, body) in [
        ("logo.png", &b"png-bytes"[..]),
        ("icon.ico", b"ico-bytes"),
        ("site.css", b":root { --radius: 2px; }"),
        ("badge.svg", SVG.as_bytes()),
        ("photo.JPG", b"jpg-bytes"),
        ("fonts/brand.woff2", b"woff2-bytes"),
        (".hidden.png", b"hidden"),
        ("notes.txt", b"notes"),
        ("page.html", b"<script>alert(1)</script>"),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    std::os::unix::fs::symlink(dir.join("logo.png"), dir.join("alias.png")).unwrap();
    top
}

fn overlay(top: &Path, extra: &str) -> String {
    format!(
        "[portal]\ntitle = \"Acme Login\"\nassets_dir = \"{}\"\n{extra}",
        top.join("assets").display()
    )
}

const KEYS: &str = "logo = \"logo.png\"\nfavicon = \"icon.ico\"\nstylesheet = \"site.css\"\naccent_color = \"#8a1c7c\"\naccent_color_dark = \"#f0a3e6\"\n";

#[tokio::test]
async fn assets_are_served_with_their_type_validators_and_cache_headers() {
    let top = assets();
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay(top.path(), ""))).await;
    for (name, ct, body) in [
        ("logo.png", "image/png", &b"png-bytes"[..]),
        ("alias.png", "image/png", b"png-bytes"),
        ("icon.ico", "image/x-icon", b"ico-bytes"),
        (
            "site.css",
            "text/css; charset=utf-8",
            b":root { --radius: 2px; }",
        ),
        ("badge.svg", "image/svg+xml", SVG.as_bytes()),
        ("photo.JPG", "image/jpeg", b"jpg-bytes"),
        ("fonts/brand.woff2", "font/woff2", b"woff2-bytes"),
    ] {
        let path = format!("/assets/{name}");
        let r = app.get(&app.portal_host, &path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{name}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], ct, "{name}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "public, max-age=3600", "{name}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("sandbox") && csp.starts_with("default-src 'none'"),
            "{csp}"
        );
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(h.get("set-cookie").is_none());
        let etag = h["etag"].to_str().unwrap().to_owned();
        assert_eq!(r.bytes().await.unwrap().as_ref(), body, "{name}");

        // HEAD: the headers, no body; a known ETag: 304; other methods: 405.
        let head = app
            .req(Method::HEAD, &app.portal_host, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-type"], ct);
        assert!(head.bytes().await.unwrap().is_empty());
        let again = app
            .get(&app.portal_host, &path)
            .header("if-none-match", &etag);
        let again = again.send().await.unwrap();
        assert_eq!(again.status(), 304, "{name}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        let post = app
            .req(Method::POST, &app.portal_host, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 405, "{name}");
    }
}

#[tokio::test]
async fn nothing_else_of_the_directory_or_beyond_it_is_reachable() {
    let top = assets();
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay(top.path(), ""))).await;
    // Files are read at start: one removed since is still served, one added since is not.
    let dir = top.path().join("assets");
    std::fs::remove_file(dir.join("logo.png")).unwrap();
    std::fs::write(dir.join("late.png"), b"late").unwrap();
    let logo = app
        .get(&app.portal_host, "/assets/logo.png")
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    for path in [
        "/assets/late.png",
        "/assets/.hidden.png",
        "/assets/notes.txt",
        "/assets/page.html",
        "/assets/missing.png",
        "/assets/fonts",
        "/assets/fonts/",
        "/assets/",
        "/assets/../outside.png",
        "/assets/%2e%2e/outside.png",
        "/assets/..%2foutside.png",
        "/assets/%2e%2e%2foutside.png",
        "/assets/fonts/../../outside.png",
        "/assets/%252e%252e/outside.png",
        "/assets/logo.png%00.txt",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
    ] {
        let r = raw_request(app.port, &raw_get(&app, &app.portal_host, path, &[])).await;
        assert!(
            [400, 404].contains(&r.status()),
            "{path} answered {}",
            r.status_line
        );
        assert!(
            !r.full.contains("outside-secret") && !r.full.contains("alert(1)"),
            "{path}"
        );
    }
    // Only the portal host serves assets: on an app host the path belongs to the app.
    let on_app = app
        .get("app.gate.localhost", "/assets/logo.png")
        .send()
        .await
        .unwrap();
    assert_ne!(
        on_app.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"image/png"[..])
    );
}

/// The page's CSP and its HTML (minijinja escapes `/` in attribute values as `&#x2f;`).
async fn page_parts(resp: reqwest::Response) -> (String, String) {
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (csp, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

#[tokio::test]
async fn pages_show_the_logo_favicon_stylesheet_and_accent_under_a_csp_without_unsafe_inline() {
    use base64::Engine;
    use sha2::Digest;
    let top = assets();
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay(top.path(), KEYS))).await;
    app.add_user("alice", PW, &["users"]).await;
    let origin = format!("http://auth.gate.localhost:{}", app.port);
    let mut alice = app.login("alice", PW).await;
    // The login page on the portal, and a 403 page on an app host: both link the portal.
    let login = app.get(&app.portal_host, "/login").send().await.unwrap();
    let denied = alice.send(app.get("app.gate.localhost", "/admin")).await;
    for resp in [login, denied] {
        let (csp, html) = page_parts(resp).await;
        let logo = format!(r#"<img class="brand logo" src="{origin}/assets/logo.png?v="#);
        assert!(html.contains(&logo), "{html}");
        assert!(html.contains(r#"alt="Acme Login">"#), "{html}");
        let icon = format!(r#"<link rel="icon" href="{origin}/assets/icon.ico?v="#);
        assert!(html.contains(&icon), "{html}");
        let sheet = html
            .find(&format!(
                r#"<link rel="stylesheet" href="{origin}/assets/site.css?v="#
            ))
            .expect("no extra stylesheet link");
        // The built-in stylesheet: inline on the app host's error page, linked on the portal's
        // form (the same text, checked in tests/it/rules.rs).
        let (builtin_end, style) = match html.find("<style>") {
            Some(start) => {
                let end = html.find("</style>").unwrap();
                (end, html[start + "<style>".len()..end].to_owned())
            }
            None => {
                let link = r#"<link rel="stylesheet" href="/static/gatehouse.css?v="#;
                let at = html.find(link).expect("no built-in stylesheet");
                let href = html[at + r#"<link rel="stylesheet" href=""#.len()..]
                    .split('"')
                    .next()
                    .unwrap();
                let css = app.get(&app.portal_host, href).send().await.unwrap();
                (at, css.text().await.unwrap())
            }
        };
        assert!(
            sheet > builtin_end,
            "the extra stylesheet must come after the built-in one"
        );
        assert!(style.contains(":root { --accent: #8a1c7c; }"), "{style}");
        assert!(
            style.contains("@media (prefers-color-scheme: dark) { :root { --accent: #f0a3e6; } }")
        );
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&style));
        assert!(
            csp.contains(&format!("style-src 'self' {origin} 'sha256-{hash}'")),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("img-src 'self' data: {origin}")),
            "{csp}"
        );
        assert!(csp.contains(&format!("font-src 'self' {origin}")), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
    // The unversioned stylesheet route serves the same final CSS.
    let css = app
        .get(&app.portal_host, "/static/gatehouse.css")
        .send()
        .await
        .unwrap();
    assert!(
        css.text()
            .await
            .unwrap()
            .ends_with("{ :root { --accent: #f0a3e6; } }\n")
    );
}

#[tokio::test]
async fn without_branding_pages_ask_for_no_favicon_and_the_csp_is_unchanged() {
    let app = TestApp::spawn(Opts::default()).await;
    let (csp, html) = page_parts(app.get(&app.portal_host, "/login").send().await.unwrap()).await;
    assert!(
        html.contains(r#"<link rel="icon" href="data:,">"#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="brand">Gatehouse</span>"#));
    assert!(!html.contains("<img class=\"brand") && !html.contains("/assets/"));
    // The one stylesheet is the built-in one.
    assert_eq!(html.matches("rel=\"stylesheet\"").count(), 1, "{html}");
    assert!(html.contains(r#"<link rel="stylesheet" href="/static/gatehouse.css?v="#));
    assert!(
        !csp.contains("font-src") && csp.contains("img-src 'self' data:;"),
        "{csp}"
    );
    let r = app
        .get(&app.portal_host, "/assets/logo.png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

fn refused(dir: &Path, portal: &str) -> Vec<Problem> {
    let text = format!(
        "[portal]\nurl = \"https://auth.example.com\"\n{portal}\n[session]\ndomain = \"example.com\"\n[[sites]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:8080\"\n"
    );
    load_str(&text, dir, std::iter::empty()).expect_err("the config should be refused")
}

/// The problems about `key`, with their messages (every one carries a hint).
fn about<'a>(problems: &'a [Problem], key: &str) -> Vec<&'a str> {
    problems
        .iter()
        .filter(|p| p.key == key)
        .inspect(|p| assert!(!p.hint.is_empty()))
        .map(|p| p.message.as_str())
        .collect()
}

#[test]
fn every_bad_branding_key_is_refused_with_its_key_all_together() {
    let top = assets();
    let dir = top.path().join("assets");
    let p = refused(
        top.path(),
        "assets_dir = \"assets\"\nlogo = \"../outside.png\"\nfavicon = \"page.html\"\nstylesheet = \"missing.css\"\naccent_color = \"#ffd700\"\naccent_color_dark = \"blue\"",
    );
    assert!(
        about(&p, "portal.logo")[0].contains("not a file name inside"),
        "{p:#?}"
    );
    assert!(
        about(&p, "portal.favicon")[0].contains("not of a type"),
        "{p:#?}"
    );
    assert!(about(&p, "portal.stylesheet")[0].contains("not a file the portal serves"));
    assert!(
        about(&p, "portal.accent_color")[0].contains("WCAG AA needs 4.5:1"),
        "{p:#?}"
    );
    assert!(about(&p, "portal.accent_color_dark")[0].contains("not a colour"));
    assert_eq!(p.len(), 5, "{p:#?}");

    // Each kind on its own, so one cannot hide behind another.
    let logo_css = refused(top.path(), "assets_dir = \"assets\"\nlogo = \"site.css\"");
    assert_eq!(about(&logo_css, "portal.logo").len(), 1);
    let dark_navy = refused(
        top.path(),
        "assets_dir = \"assets\"\naccent_color_dark = \"#1a237e\"",
    );
    assert!(about(&dark_navy, "portal.accent_color_dark")[0].contains("contrast"));
    let hidden = refused(
        top.path(),
        "assets_dir = \"assets\"\nlogo = \".hidden.png\"",
    );
    assert_eq!(about(&hidden, "portal.logo").len(), 1);
    let no_dir = refused(top.path(), "logo = \"logo.png\"");
    assert_eq!(about(&no_dir, "portal.logo"), ["needs portal.assets_dir"]);
    let missing = refused(top.path(), "assets_dir = \"nowhere\"");
    assert!(about(&missing, "portal.assets_dir")[0].contains("is not a directory"));

    // A link leading out of the directory, and a file too large to hold in memory.
    std::os::unix::fs::symlink(top.path().join("outside.png"), dir.join("out.png")).unwrap();
    let out = refused(top.path(), "assets_dir = \"assets\"");
    assert!(
        about(&out, "portal.assets_dir")[0].contains("out.png is a link"),
        "{out:#?}"
    );
    std::fs::remove_file(dir.join("out.png")).unwrap();
    std::fs::write(dir.join("huge.png"), vec![0u8; 1024 * 1024 + 1]).unwrap();
    let huge = refused(top.path(), "assets_dir = \"assets\"");
    assert!(about(&huge, "portal.assets_dir")[0].contains("huge.png has 1048577 bytes"));
}
