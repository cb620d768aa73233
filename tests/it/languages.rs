//! Languages: pages, error pages and mails speak the reader's language, chosen from the
//! picker's cookie, else `Accept-Language`, else `portal.default_language`; a signed-in
//! choice is saved with the account (mails, new browsers). Expected texts are read from the
//! shipped catalogs, never written here, so a translation can change without breaking a test.

use gatehouse::i18n::{Catalogs, Msg};

use crate::admin_util::mail_dir;
use crate::harness::*;
use crate::reset_util::forgot;
use crate::totp_util::*;

const PW: &str = "a long enough password 42";

/// `key` in language `tag`, as the shipped catalogs write it (HTML-escaped as pages show it).
fn text(tag: &str, key: &'static str) -> String {
    let c = Catalogs::shipped().expect("shipped catalogs load");
    let lang = c.by_tag(tag).expect("shipped language");
    c.text(lang, &Msg::new(key))
        .replace('&', "&amp;")
        .replace('\'', "&#x27;")
        .replace('"', "&quot;")
}

async fn page_in(app: &TestApp, b: &mut Browser, path: &str, accept: &str) -> (u16, String) {
    let rb = app
        .get(&app.portal_host, &app.portal(path))
        .header("accept-language", accept);
    let resp = b.send(rb).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn accept_language_chooses_the_page_language_with_its_weights() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut b = app.browser();
    for (accept, tag) in [
        ("de-AT, en;q=0.5", "de"),
        ("ja, fr;q=0.8, es;q=0.9", "es"),
        ("nl;q=0, pt-BR", "pt"),
        ("ja", "en"),
        ("", "en"),
    ] {
        let (status, html) = page_in(&app, &mut b, "/login", accept).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<html lang=\"{tag}\">")),
            "{accept}: {html}"
        );
        assert!(html.contains(&text(tag, "login-title")), "{accept}: {html}");
    }
    assert_ne!(text("de", "login-title"), text("en", "login-title"));
}

#[tokio::test]
async fn the_default_language_and_the_offered_ones_come_from_the_config() {
    let overlay = "[portal]\nlanguages = [\"en\", \"fr\"]\ndefault_language = \"fr\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    let mut b = app.browser();
    // German is not offered: the default answers.
    let (_, html) = page_in(&app, &mut b, "/login", "de").await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains(&text("fr", "login-title")), "{html}");
    // The picker offers exactly the configured languages.
    assert!(html.contains("value=\"en\"") && html.contains("value=\"fr\""));
    assert!(!html.contains("value=\"de\""), "{html}");
}

#[tokio::test]
async fn error_pages_on_app_hosts_speak_the_language_too() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let resp = b
        .send(
            app.get("admin.gate.localhost", "/")
                .header("accept-language", "nl"),
        )
        .await;
    assert_eq!(resp.status(), 403);
    let html = resp.text().await.unwrap();
    assert!(html.contains("<html lang=\"nl\">"), "{html}");
    assert!(html.contains(&text("nl", "error-forbidden")), "{html}");
    let resp = b
        .send(
            app.get("nowhere.example", "/")
                .header("accept-language", "pt"),
        )
        .await;
    let html = resp.text().await.unwrap();
    assert!(html.contains(&text("pt", "error-unknown-host")), "{html}");
}

/// The page for an upstream that does not answer is made after the request went to it, from
/// the `Accept-Language` value kept aside.
#[tokio::test]
async fn the_page_for_an_unreachable_upstream_speaks_the_language_asked_for() {
    let overlay = "[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://127.0.0.1:1\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    for tag in ["nl", "fr"] {
        let resp = b
            .send(
                app.get("app.gate.localhost", "/x")
                    .header("accept-language", tag),
            )
            .await;
        assert_eq!(resp.status(), 502);
        let html = resp.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{html}");
        assert!(html.contains(&text(tag, "error-bad-gateway")), "{html}");
    }
}

#[tokio::test]
async fn the_picker_sets_a_cookie_and_goes_back_to_the_page_only_on_this_portal() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut b = app.browser();
    let (_, html) = page_in(&app, &mut b, "/login", "en").await;
    let csrf = extract_csrf(&html);
    let pick = |lang: &'static str, rd: &'static str| {
        post(&app, "/language").form(&[("lang", lang), ("rd", rd), ("csrf", &csrf)])
    };
    let resp = b.send(pick("fr", "/login?rd=x")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login?rd=x");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-gatehouse_lang=fr;"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // The choice beats Accept-Language from now on.
    let (_, html) = page_in(&app, &mut b, "/login", "de").await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains(&text("fr", "login-title")), "{html}");
    // Never a way to another host, and a language not offered changes nothing.
    for rd in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let resp = b
            .send(post(&app, "/language").form(&[("lang", "de"), ("rd", rd), ("csrf", &csrf)]))
            .await;
        assert_eq!(resp.headers()["location"], "/", "{rd}");
    }
    let resp = b.send(pick("xx", "/login")).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("set-cookie").is_none());
    // A forged form sets nothing either.
    let resp = b
        .send(post(&app, "/language").form(&[("lang", "es"), ("rd", "/"), ("csrf", "forged")]))
        .await;
    assert!(resp.headers().get("set-cookie").is_none());
    // The language cookie is Gatehouse's own: it never reaches an app.
    let _ = b.send(app.get("public.gate.localhost", "/")).await;
    let seen = app.echo.last();
    assert!(
        seen.all("cookie")
            .iter()
            .all(|c| !c.contains("gatehouse_lang")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_signed_in_choice_is_saved_for_mails_and_for_the_next_browser() {
    let app = TestApp::spawn(Opts::with(Store::Memory, &forgot(""))).await;
    app.add_user("alice", PW, &["users"]).await;
    app.app
        .state()
        .admin
        .update_profile(
            "alice",
            gatehouse::service::users::EditProfile {
                display_name: "Alice",
                email: "alice@example.test",
                groups: &["users".to_owned()],
            },
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    let mut b = app.login("alice", PW).await;
    let (_, html) = page(&app, &mut b, "/account").await;
    let csrf = extract_csrf(&html);
    let resp = b
        .send(post(&app, "/language").form(&[("lang", "nl"), ("rd", "/account"), ("csrf", &csrf)]))
        .await;
    assert_eq!(resp.status(), 303);
    let stored = app.app.state().admin.find("alice").await.unwrap();
    assert_eq!(stored.language, "nl");

    // A mail to her is written in it, whoever asked for it.
    let _ = crate::reset_util::request_reset(&app, "alice", &[("accept-language", "de")]).await;
    let mail = mail_containing(&mail_dir(&app), "token=").await;
    assert!(
        mail.contains("lang=3D\"nl\"") || mail.contains("lang=\"nl\""),
        "{mail}"
    );

    // A new browser gets her language at sign-in, whatever it asks for.
    let mut other = app.browser();
    let resp = app.post_login(&mut other, "alice", PW, "").await;
    assert!(
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("__Host-gatehouse_lang=nl;")),
        "{:?}",
        resp.headers()
    );
    let (_, html) = page_in(&app, &mut other, "/account", "de").await;
    assert!(html.contains("<html lang=\"nl\">"), "{html}");
}

#[test]
fn a_language_without_a_catalog_or_a_default_outside_the_list_is_refused() {
    let text = r#"
[portal]
url = "https://auth.example.com"
languages = ["en", "xx", "not a tag"]
[session]
domain = "example.com"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
"#;
    let problems =
        gatehouse::config::load_str(text, std::path::Path::new("/tmp"), std::iter::empty())
            .expect_err("refused");
    let about: Vec<&str> = problems
        .iter()
        .filter(|p| p.key == "portal.languages")
        .map(|p| p.message.as_str())
        .collect();
    assert!(
        about.iter().any(|m| m.contains("no catalog for \"xx\"")),
        "{problems:?}"
    );
    assert!(
        about.iter().any(|m| m.contains("not a language tag")),
        "{problems:?}"
    );
    let text = text.replace(r#"["en", "xx", "not a tag"]"#, r#"["en", "de"]"#) + "";
    let text = text.replace("[session]", "default_language = \"fr\"\n[session]");
    let problems =
        gatehouse::config::load_str(&text, std::path::Path::new("/tmp"), std::iter::empty())
            .expect_err("refused");
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("default language \"fr\"")),
        "{problems:?}"
    );
}
