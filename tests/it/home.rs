//! The portal's home page: who is signed in, the apps their rules let them open (named sites,
//! with an optional icon), and links to account security and, for administrators, the admin
//! area.

use crate::harness::*;
use crate::totp_util::page;

const SITES: &str = r#"
[[sites]]
name = "Wiki"
icon = "https://icons.example.net/wiki.png"
host = "wiki.gate.localhost"
upstream = "http://{echo}"
[[sites]]
name = "Admin panel"
host = "admin.gate.localhost"
upstream = "http://{echo}"
[[sites]]
name = "Vault"
host = "secure.gate.localhost"
upstream = "http://{echo}"
[[sites]]
host = "*.gate.localhost"
upstream = "http://{echo}"
"#;

/// The names of the apps listed on the home page, in order.
fn listed(html: &str) -> Vec<String> {
    let Some(start) = html.find("<ul class=\"apps\" id=\"apps\">") else {
        return Vec::new();
    };
    let list = &html[start..html[start..].find("</ul>").unwrap() + start];
    list.split("<span>")
        .skip(1)
        .map(|s| s.split("</span>").next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_home_page_lists_the_apps_a_user_may_open() {
    let app = TestApp::spawn(Opts::with(Store::Memory, SITES)).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("root", PW, &["admins"]).await;

    let mut alice = app.login("alice", PW).await;
    let resp = alice.send(app.get(&app.portal_host, "/")).await;
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = resp.text().await.unwrap().replace("&#x2f;", "/");
    // Wiki (any signed-in user) and Vault (two-factor: she will be asked to set it up); not
    // the admin panel, whose rule refuses her; the unnamed wildcard site is never listed.
    assert_eq!(listed(&html), ["Wiki", "Vault"], "{html}");
    let wiki = format!("href=\"http://wiki.gate.localhost:{}/\"", app.port);
    assert!(html.contains(&wiki), "{html}");
    assert!(
        html.contains(r#"<img src="https://icons.example.net/wiki.png" alt="""#),
        "{html}"
    );
    assert!(
        html.contains("<span>Vault</span></a> <span class=\"tag\">two-factor</span>"),
        "{html}"
    );
    assert!(html.contains("id=\"account\""), "{html}");
    assert!(!html.contains("id=\"admin\""), "{html}");
    // The icon's origin, and only it, is added to the images the page may load.
    assert!(
        csp.contains("img-src 'self' data: https://icons.example.net;"),
        "{csp}"
    );

    let mut root = app.login("root", PW).await;
    let (_, html) = page(&app, &mut root, "/").await;
    let html = html.replace("&#x2f;", "/");
    assert_eq!(listed(&html), ["Wiki", "Admin panel", "Vault"], "{html}");
    assert!(html.contains("id=\"admin\""), "{html}");

    // A link leads where it says.
    let resp = alice.send(app.get("wiki.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn portal_error_pages_say_who_is_signed_in_and_offer_a_way_on() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut alice = app.login("alice", PW).await;
    let who = "Signed in as alice";

    // 404, 405 and a refused form: each names the account, links home and out.
    let resp = alice.send(app.get(&app.portal_host, "/no/such/page")).await;
    assert_eq!(resp.status(), 404);
    let html = resp.text().await.unwrap().replace("&#x2f;", "/");
    assert!(html.contains(who), "{html}");
    assert!(html.contains(r#"<a href="/">Portal home</a>"#), "{html}");
    assert!(
        html.contains(r#"<a href="/logout">Sign out or switch account</a>"#),
        "{html}"
    );
    let resp = alice
        .send(app.get(&app.portal_host, "/account/sessions/revoke-others"))
        .await;
    assert_eq!(resp.status(), 405);
    assert!(resp.text().await.unwrap().contains(who));
    let resp = alice
        .send(
            app.req(
                reqwest::Method::POST,
                &app.portal_host,
                "/account/devices/forget",
            )
            .form(&[("id", "x"), ("csrf", "forged")]),
        )
        .await;
    assert_eq!(resp.status(), 403);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Form expired") && html.contains(who),
        "{html}"
    );

    // Signed out, the page names nobody.
    let resp = app
        .browser()
        .send(app.get(&app.portal_host, "/no/such/page"))
        .await;
    assert_eq!(resp.status(), 404);
    assert!(!resp.text().await.unwrap().contains("Signed in as"));
}
