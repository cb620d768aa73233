//! Languages in a real browser: the picker at the foot of the login page switches Chromium's
//! pages to German, the page's scripts speak it too (the password "Show" button), and the
//! choice follows the signed-in user. Expected words come from the shipped catalogs.
//! Screenshots land in `target/browser-artifacts/languages/`.

use gatehouse::i18n::{Catalogs, Msg};

use crate::browser::artifacts;
use crate::harness::*;
use crate::webdriver::WebDriver;

fn german(key: &'static str) -> String {
    let c = Catalogs::shipped().expect("shipped catalogs load");
    c.text(c.by_tag("de").expect("de"), &Msg::new(key))
}

#[tokio::test]
async fn the_picker_switches_the_pages_and_their_scripts_to_german() {
    let art = artifacts("languages");
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);

    wd.goto(&format!("{portal}/login")).await;
    assert_eq!(
        wd.execute("return document.documentElement.lang;", vec![])
            .await,
        "en"
    );
    wd.screenshot(art.join("login-en.png")).await;
    wd.execute(
        "document.getElementById('language-choice').value = 'de';",
        vec![],
    )
    .await;
    wd.click("form.language button[type=submit]").await;
    wd.wait_for_url("back on the login page", |u| u.ends_with("/login"))
        .await;
    assert_eq!(
        wd.execute("return document.documentElement.lang;", vec![])
            .await,
        "de"
    );
    assert_eq!(wd.text("h1").await, german("login-title"));
    assert_eq!(
        wd.text("input#password + button.reveal").await,
        german("frame-show")
    );
    wd.screenshot(art.join("login-de.png")).await;

    // Signed in, the account page is German too.
    wd.fill("input[name=username]", "alice").await;
    wd.fill("input[name=password]", PW).await;
    wd.click("form:has(input[name=password]) button[type=submit]")
        .await;
    wd.wait_for_url("signed in", |u| !u.contains("/login"))
        .await;
    wd.goto(&format!("{portal}/account")).await;
    assert_eq!(wd.text("h1").await, german("account-title"));
    wd.screenshot(art.join("account-de.png")).await;
}
