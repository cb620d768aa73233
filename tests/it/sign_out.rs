//! The sign-out URL an app's "Sign out" link can open: same-site navigations sign out at once
//! and go to an allowed `rd`; anything else is asked first; signed out already, it is a
//! harmless page.

use crate::harness::*;
use crate::totp_util::between;

async fn proxied(app: &TestApp, b: &mut Browser) -> u16 {
    b.send(app.get("app.gate.localhost", "/"))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_logout_link_asks_foreign_pages_and_signs_out_same_site_navigations() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let bye = format!("http://app.gate.localhost:{}/bye", app.port);
    let link = format!("/logout?rd={bye}");

    // From a foreign page (or a client that does not say): a confirmation, nothing ends.
    for site in [None, Some("cross-site")] {
        let mut rb = app.get(&app.portal_host, &link);
        if let Some(site) = site {
            rb = rb.header("sec-fetch-site", site);
        }
        let resp = b.send(rb).await;
        assert_eq!(resp.status(), 200, "{site:?}");
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("Sign out?") && html.contains("action=\""),
            "{html}"
        );
        // The return target rides along in the form (HTML-escaped).
        assert!(html.contains("name=\"rd\" value=\"http:"), "{html}");
        assert_eq!(proxied(&app, &mut b).await, 200, "signed out by {site:?}");
    }

    // The confirmation's button (a CSRF-checked POST) signs out and follows rd.
    let html = b
        .send(app.get(&app.portal_host, &link))
        .await
        .text()
        .await
        .unwrap();
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/logout")
                .form(&[("csrf", extract_csrf(&html).as_str()), ("rd", &bye)]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], bye.as_str());
    assert_eq!(proxied(&app, &mut b).await, 302);

    // A same-site navigation signs out at once and goes to rd.
    let mut b = app.login("alice", PW).await;
    let resp = b
        .send(
            app.get(&app.portal_host, &link)
                .header("sec-fetch-site", "same-site"),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], bye.as_str());
    assert_eq!(proxied(&app, &mut b).await, 302);

    // Signed out already, the link (or a reload of the signed-out page) is harmless; a
    // foreign rd is never followed.
    let resp = b.send(app.get(&app.portal_host, "/logout")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("You are signed out"));
    let resp = b
        .send(app.get(&app.portal_host, "/logout?rd=https://evil.example/"))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("location").is_none());
}

#[tokio::test]
async fn a_refusal_says_who_is_signed_in_and_offers_another_account() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("root", PW, &["admins"]).await;
    let mut b = app.login("alice", PW).await;
    let resp = b.send(app.get("admin.gate.localhost", "/panel")).await;
    assert_eq!(resp.status(), 403);
    let html = resp.text().await.unwrap();
    assert!(html.contains("You are signed in as alice,"), "{html}");
    let switch = between(&html, "<p><a href=\"", "\"")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    assert!(
        switch.starts_with(&format!("{portal}/logout?rd=")),
        "{switch}"
    );
    assert!(html.contains("Sign in as someone else"), "{html}");

    // Following it from the app's page (same site) signs out and lands on the login page,
    // which brings the other account back to the page that was refused.
    let path = switch.strip_prefix(&portal).unwrap();
    let resp = b
        .send(
            app.get(&app.portal_host, path)
                .header("sec-fetch-site", "same-site"),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(b.session(&app).is_none());
    let login = resp.headers()["location"].to_str().unwrap().to_owned();
    let back = format!("http://admin.gate.localhost:{}/panel", app.port);
    let rd: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    assert_eq!(login, format!("{portal}/login?rd={rd}"));
    let resp = app.post_login(&mut b, "root", PW, &back).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], back.as_str());
    let resp = b.send(app.get("admin.gate.localhost", "/panel")).await;
    assert_eq!(resp.status(), 200);
}
