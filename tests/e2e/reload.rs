//! Hot reload of the configuration on the real binary: `SIGHUP` (and `gatehouse reload`)
//! re-read the file; new rules, sites, texts, templates and branding apply at once, while
//! kept-alive connections, a request in flight and sessions carry on. An invalid file is
//! refused whole, each problem logged, and the old configuration keeps serving; restart-only
//! keys are named and keep their running values.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::binary::{Gate, gatehouse, run};
use crate::harness::*;
use crate::raw_http::{read_response, status_of};

const RELOADED: &str = "configuration reloaded";
const REFUSED: &str = "configuration reload refused: the running configuration keeps serving";
const ACCENT: &str = "#8a1c7c";

/// One GET on a kept-alive raw connection; returns the status. Asserts that the gateway did
/// not announce a close.
async fn get_on(stream: &mut TcpStream, port: u16, host: &str, path: &str) -> u16 {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\nConnection: keep-alive\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let resp = read_response(stream).await;
    assert!(
        !resp.to_ascii_lowercase().contains("connection: close"),
        "the gateway closes the kept-alive connection: {resp}"
    );
    status_of(&resp)
}

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// The login page's HTML.
async fn login_page(gate: &Gate) -> String {
    let resp = gate
        .get("auth.gate.localhost", "/login")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// The login page's link to the built-in stylesheet (versioned) and the stylesheet it fetches.
async fn linked_style(gate: &Gate) -> (String, String) {
    let page = login_page(gate).await;
    let start = r#"<link rel="stylesheet" href=""#;
    let href = page
        .split(start)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the login page links no stylesheet: {page}"))
        .to_owned();
    let resp = gate.get("auth.gate.localhost", &href).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{href}");
    (href.clone(), resp.text().await.unwrap())
}

/// Prepends `rule` to the access rules (the first matching rule decides).
fn prepend_rule(t: &mut toml::Table, rule: &str) {
    let rules = t["access_control"]["rules"].as_array().unwrap().clone();
    let mut all = vec![toml::Value::Table(table(rule))];
    all.extend(rules);
    t["access_control"]
        .as_table_mut()
        .unwrap()
        .insert("rules".into(), toml::Value::Array(all));
}

#[tokio::test]
async fn sighup_applies_rules_sites_and_pages_and_keeps_connections_and_sessions() {
    // The echo holds /slow for 10 s: the upstream timeout must outlast it.
    let mut gate = Gate::new(Opts::default(), |t| {
        merge(
            t,
            table("[server]\nupstream_timeout = \"20s\"\n[portal]\ntemplates_dir = \"tpl\""),
        );
    })
    .await;
    let tpl = gate.dir.path().join("tpl");
    std::fs::create_dir_all(tpl.join("locales")).unwrap();
    let fresh = Echo::start().await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;
    let mut b = gate.login("alice", PW).await;

    // Before: /reports is open to alice, fresh.gate.localhost goes to the first upstream.
    let before = gate.echo.count();
    let r = b.send(gate.get("app.gate.localhost", "/reports")).await;
    assert_eq!(r.status(), 200);
    let r = b.send(gate.get("fresh.gate.localhost", "/")).await;
    assert_eq!(r.status(), 200);
    assert_eq!((gate.echo.count(), fresh.count()), (before + 2, 0));
    let page = login_page(&gate).await;
    assert!(!page.contains("Welcome aboard") && !page.contains("reloaded-template"));
    let (old_href, style) = linked_style(&gate).await;
    assert!(!style.contains(ACCENT));

    // A kept-alive connection, and a request in flight.
    let mut conn = TcpStream::connect(("127.0.0.1", gate.port)).await.unwrap();
    assert_eq!(
        get_on(&mut conn, gate.port, "app.gate.localhost", "/reports").await,
        302
    );
    let seen = gate.echo.count();
    let mut slow_b = b.clone();
    let slow_req = gate.get("app.gate.localhost", "/slow");
    let slow = tokio::spawn(async move { slow_b.send(slow_req).await.status() });
    let deadline = Instant::now() + Duration::from_secs(10);
    while gate.echo.count() == seen {
        assert!(
            Instant::now() < deadline,
            "/slow never reached the upstream"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The new file: /reports denied, a new site, a text, a template and an accent.
    std::fs::write(tpl.join("locales/en.ftl"), "login-title = Welcome aboard\n").unwrap();
    let login =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/login.html"))
            .unwrap()
            .replacen(
                "{% block content %}",
                "{% block content %}<p>reloaded-template</p>",
                1,
            );
    std::fs::write(tpl.join("login.html"), login).unwrap();
    let fresh_addr = fresh.addr;
    gate.rewrite_config(|t| {
        prepend_rule(
            t,
            "hosts = [\"app.gate.localhost\"]\npaths = [\"/reports\"]\npolicy = \"deny\"",
        );
        merge(t, table(&format!("[portal]\naccent_color = \"{ACCENT}\"")));
        let site = table(&format!(
            "host = \"fresh.gate.localhost\"\nupstream = \"http://{fresh_addr}\""
        ));
        t["sites"]
            .as_array_mut()
            .unwrap()
            .push(toml::Value::Table(site));
    });
    let log = gate.signal_until("HUP", RELOADED).await;
    assert!(!log.contains("need a restart"), "{log}");

    // The new rule, on the old connection and with the old session.
    assert_eq!(
        get_on(&mut conn, gate.port, "app.gate.localhost", "/reports").await,
        403
    );
    let seen = gate.echo.count();
    let r = b.send(gate.get("app.gate.localhost", "/reports")).await;
    assert_eq!(r.status(), 403, "the new deny rule does not apply");
    assert_eq!(gate.echo.count(), seen, "the upstream saw a denied request");
    let r = b.send(gate.get("app.gate.localhost", "/other")).await;
    assert_eq!(r.status(), 200, "the session did not survive the reload");
    // The new site.
    let r = b.send(gate.get("fresh.gate.localhost", "/")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(fresh.count(), 1, "the new site's upstream saw nothing");
    // The text, the template and the branding.
    let page = login_page(&gate).await;
    assert!(page.contains("Welcome aboard"), "{page}");
    assert!(page.contains("reloaded-template"), "{page}");
    let (new_href, style) = linked_style(&gate).await;
    assert!(style.contains(ACCENT), "{style}");
    assert_ne!(old_href, new_href, "browsers would keep the old stylesheet");
    // The request in flight finished on the state it started with.
    assert_eq!(slow.await.unwrap(), 200, "the request in flight was cut");
    gate.stop().await;
}

#[tokio::test]
async fn an_invalid_file_is_refused_whole_and_restart_only_keys_are_named() {
    let mut gate = Gate::new(Opts::default(), |_| {}).await;
    gate.add_user("alice", PW, &["users"]).await;
    gate.serve().await;
    let mut b = gate.login("alice", PW).await;
    let good = std::fs::read_to_string(gate.dir.path().join("gatehouse.toml")).unwrap();

    // Three mistakes at once, one of them a template that does not compile; the deny rule
    // in the same file must not be applied either.
    let tpl = gate.dir.path().join("broken");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(tpl.join("login.html"), "{% block content %}never closed").unwrap();
    gate.rewrite_config(|t| {
        prepend_rule(t, "hosts = [\"app.gate.localhost\"]\npolicy = \"deny\"");
        merge(
            t,
            table("[access_control]\ndefault_policy = \"maybe\"\n[portal]\nlogo = \"logo.png\"\ntemplates_dir = \"broken\""),
        );
        t["sites"][0]
            .as_table_mut()
            .unwrap()
            .insert("upstream".into(), "ftp://nowhere".into());
    });

    // The CLI checks the file first and leaves the server alone.
    let pid = gate.pid().to_string();
    let out = run(
        gatehouse(&["reload", "--pid", &pid, "--config", gate.cfg()]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", out.show());
    for key in [
        "access_control.default_policy",
        "portal.logo",
        "sites[0].upstream",
    ] {
        assert!(
            out.stderr.contains(key),
            "{key} not reported: {}",
            out.show()
        );
    }
    assert!(
        !gate.server_log().contains("SIGHUP"),
        "the CLI signalled an invalid file"
    );

    // SIGHUP: refused whole, every problem in the log, the old rules still apply.
    let log = gate.signal_until("HUP", REFUSED).await;
    for key in [
        "access_control.default_policy",
        "portal.logo",
        "sites[0].upstream",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains("reload refused") && l.contains(key)),
            "{key} not logged: {log}"
        );
    }
    let r = b.send(gate.get("app.gate.localhost", "/private")).await;
    assert_eq!(r.status(), 200, "the refused file was half applied");
    let r = b.send(gate.get("app.gate.localhost", "/admin")).await;
    assert_eq!(r.status(), 403, "the old rules are gone");

    // A file whose only problem is a broken template is refused too.
    std::fs::write(gate.dir.path().join("gatehouse.toml"), &good).unwrap();
    gate.rewrite_config(|t| {
        prepend_rule(t, "hosts = [\"app.gate.localhost\"]\npolicy = \"deny\"");
        merge(t, table("[portal]\ntemplates_dir = \"broken\""));
    });
    let log = gate.signal_until("HUP", REFUSED).await;
    assert!(
        log.lines()
            .any(|l| l.contains("reload refused") && l.contains("login.html")),
        "the template problem is not logged: {log}"
    );
    let r = b.send(gate.get("app.gate.localhost", "/private")).await;
    assert_eq!(
        r.status(),
        200,
        "a state with a broken template was applied"
    );

    // A valid file that also moves the listener: the rule applies, the listener stays, and
    // the log names the key that needs a restart. Sent through the CLI this time.
    std::fs::write(gate.dir.path().join("gatehouse.toml"), &good).unwrap();
    gate.rewrite_config(|t| {
        prepend_rule(
            t,
            "hosts = [\"app.gate.localhost\"]\npaths = [\"/private\"]\npolicy = \"deny\"",
        );
        merge(t, table("[server]\nlisten = [\"127.0.0.1:1\"]"));
    });
    let before = gate.server_log().matches(RELOADED).count();
    let out = run(
        gatehouse(&["reload", "--pid", &pid, "--config", gate.cfg()]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", out.show());
    let log = gate.await_log(RELOADED, before + 1).await;
    assert!(
        log.lines()
            .any(|l| l.contains("need a restart") && l.contains("server.listen")),
        "server.listen not named: {log}"
    );
    let r = b.send(gate.get("app.gate.localhost", "/private")).await;
    assert_eq!(r.status(), 403, "the valid part was not applied");
    let r = b.send(gate.get("app.gate.localhost", "/other")).await;
    assert_eq!(r.status(), 200, "the session did not survive the reload");
    gate.stop().await;
}
