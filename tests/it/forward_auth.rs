//! The forward-auth endpoints called directly, as nginx, Traefik and Caddy call them:
//! answers per dialect, trust, and every malformed input refused (never 200).

use crate::harness::*;

const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";
const IDENTITY: [&str; 4] = [
    "remote-user",
    "remote-groups",
    "remote-email",
    "remote-name",
];

fn nginx(app: &TestApp, url: &str) -> reqwest::RequestBuilder {
    app.client
        .get(app.url("/api/authz/auth-request"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-original-method", "GET")
        .header("x-original-url", url)
        .header("x-forwarded-for", "198.51.100.4")
}

fn traefik(app: &TestApp, method: &str, host: &str, uri: &str) -> reqwest::RequestBuilder {
    app.client
        .get(app.url("/api/authz/forward-auth"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-forwarded-method", method)
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-for", "198.51.100.4")
}

async fn alice(app: &TestApp) -> String {
    app.add_user("alice", PW, &["users"]).await;
    let b = app.login("alice", PW).await;
    b.cookie_header()
}

#[tokio::test]
async fn nginx_dialect_answers_200_401_403() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        let cookie = alice(&app).await;
        let url = format!("http://app.gate.localhost:{}/page?x=1", app.port);
        let anon = nginx(&app, &url).send().await.unwrap();
        assert_eq!(anon.status(), 401, "{store:?}");
        let loc = anon.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            loc.starts_with(&format!(
                "http://auth.gate.localhost:{}/login?rd=",
                app.port
            )),
            "{loc}"
        );
        assert!(loc.contains("app.gate.localhost"), "{loc}");

        let ok = nginx(&app, &url)
            .header("cookie", &cookie)
            .header("remote-user", "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{store:?}");
        assert_eq!(ok.headers()["remote-user"], "alice");
        assert_eq!(ok.headers()["remote-groups"], "users");
        assert_eq!(ok.headers().get_all("remote-user").iter().count(), 1);

        let denied = nginx(&app, &format!("http://admin.gate.localhost:{}/", app.port))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), 403, "{store:?}");
        assert!(denied.headers().get("remote-user").is_none());

        // nginx reads only the head of an auth subrequest: a body keeps it from reusing the
        // connection, so every decision is answered with an empty one.
        for resp in [anon, ok, denied] {
            let status = resp.status();
            assert_eq!(resp.headers()["content-length"], "0", "{status}");
            assert!(resp.bytes().await.unwrap().is_empty(), "{status}");
        }
    }
}

#[tokio::test]
async fn traefik_dialect_redirects_browsers_and_answers_apis() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let cookie = alice(&app).await;
    let browser = traefik(&app, "GET", "app.gate.localhost", "/x")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 302);
    assert!(
        browser.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/login?rd=")
    );
    let post = traefik(&app, "POST", "app.gate.localhost", "/x")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    // Not a navigation: 401 (one rule with proxy mode).
    assert_eq!(post.status(), 401);
    let xhr = traefik(&app, "GET", "app.gate.localhost", "/x")
        .header("accept", "text/html")
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(xhr.status(), 401);
    assert!(xhr.headers().get("location").is_some());
    let api = traefik(&app, "GET", "app.gate.localhost", "/x")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    let ok = traefik(&app, "GET", "app.gate.localhost", "/x")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["remote-user"], "alice");
    // Same decision as proxy mode: the deny rule on /admin, the two-factor host.
    for (host, uri) in [
        ("app.gate.localhost", "/admin/x"),
        ("app.gate.localhost", "/a/../admin"),
        ("secure.gate.localhost", "/"),
    ] {
        let r = traefik(&app, "GET", host, uri)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{host}{uri}");
    }
}

#[tokio::test]
async fn every_200_carries_every_identity_header() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    // Anonymous on a bypass host: allowed, identity headers present and empty, so the proxy
    // overwrites whatever the client sent.
    let r = traefik(&app, "GET", "public.gate.localhost", "/")
        .header("remote-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for h in IDENTITY {
        assert_eq!(r.headers().get_all(h).iter().count(), 1, "{h}");
        assert_eq!(r.headers()[h], "", "{h}");
    }
    // The portal itself is always public, so protecting it cannot loop.
    let r = traefik(&app, "GET", "auth.gate.localhost", "/login")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// An allow answer's headers are written into the call's own header map, emptied (hyper
/// parses the next call on the connection into it): none of what the call sent may be left
/// in it, on the first call of a connection or the next, whichever store answers.
#[tokio::test]
async fn an_allow_answer_carries_none_of_the_calls_headers() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        let cookie = alice(&app).await;
        let url = format!("http://app.gate.localhost:{}/page?x=1", app.port);
        let expected = [
            "content-length",
            "date",
            "remote-email",
            "remote-groups",
            "remote-name",
            "remote-user",
        ];
        // Twice on one kept-alive connection (the client keeps it), signed in and anonymous.
        for _ in 0..2 {
            let signed_in = nginx(&app, &url)
                .header("cookie", &cookie)
                .header("x-probe", "left over?")
                .send()
                .await
                .unwrap();
            let anonymous = traefik(&app, "GET", "public.gate.localhost", "/")
                .header("cookie", &cookie)
                .header("x-probe", "left over?")
                .send()
                .await
                .unwrap();
            for r in [signed_in, anonymous] {
                assert_eq!(r.status(), 200);
                let mut names: Vec<&str> = r.headers().keys().map(|k| k.as_str()).collect();
                names.sort_unstable();
                assert_eq!(names, expected, "{store:?}");
            }
        }
    }
}

/// A 2xx decision is read only by the proxy (it copies the identity headers and sends the
/// original request on), so it carries no browser headers and no body; every answer a proxy
/// may hand to a browser (401, 302, 403) carries the security headers.
#[tokio::test]
async fn only_answers_a_browser_may_see_carry_security_headers() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let cookie = alice(&app).await;
    let url = format!("http://app.gate.localhost:{}/", app.port);
    let ok = nginx(&app, &url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-length"], "0");
    for h in [
        "content-security-policy",
        "strict-transport-security",
        "x-frame-options",
    ] {
        assert!(ok.headers().get(h).is_none(), "a 200 decision carries {h}");
    }
    let refusals = [
        nginx(&app, &url).send().await.unwrap(),
        traefik(&app, "GET", "app.gate.localhost", "/")
            .header("accept", "text/html")
            .send()
            .await
            .unwrap(),
    ];
    for r in refusals {
        assert!(
            r.status().is_client_error() || r.status().is_redirection(),
            "{}",
            r.status()
        );
        for h in [
            "content-security-policy",
            "x-frame-options",
            "cache-control",
        ] {
            assert!(
                r.headers().get(h).is_some(),
                "a {} decision lacks {h}",
                r.status()
            );
        }
    }
}

#[tokio::test]
async fn calls_from_untrusted_peers_are_refused() {
    let app = TestApp::spawn(Opts::default()).await;
    let cookie = alice(&app).await;
    let url = format!("http://app.gate.localhost:{}/", app.port);
    let r = nginx(&app, &url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = traefik(&app, "GET", "app.gate.localhost", "/")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("remote-user").is_none());
}

#[tokio::test]
async fn malformed_missing_or_conflicting_input_is_never_200() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    let cookie = alice(&app).await;
    let p = app.port;
    let good = format!("http://app.gate.localhost:{p}/ok");
    let long = format!("http://app.gate.localhost:{p}/{}", "a".repeat(9000));
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "no url",
            app.client
                .get(app.url("/api/authz/auth-request"))
                .header("x-original-method", "GET")
                .header("cookie", &cookie),
        ),
        (
            "no method",
            app.client
                .get(app.url("/api/authz/auth-request"))
                .header("x-original-url", &good)
                .header("cookie", &cookie),
        ),
        (
            "bad percent",
            nginx(&app, &format!("http://app.gate.localhost:{p}/%zz")).header("cookie", &cookie),
        ),
        (
            "encoded slash",
            nginx(&app, &format!("http://app.gate.localhost:{p}/%2Fadmin"))
                .header("cookie", &cookie),
        ),
        (
            "double encoding",
            nginx(
                &app,
                &format!("http://app.gate.localhost:{p}/%252e%252e/admin"),
            )
            .header("cookie", &cookie),
        ),
        (
            "backslash",
            nginx(&app, &format!("http://app.gate.localhost:{p}/a\\..\\admin"))
                .header("cookie", &cookie),
        ),
        (
            "userinfo",
            nginx(&app, &format!("http://evil@app.gate.localhost:{p}/")).header("cookie", &cookie),
        ),
        (
            "not a url",
            nginx(&app, "app.gate.localhost/ok").header("cookie", &cookie),
        ),
        ("oversized", nginx(&app, &long).header("cookie", &cookie)),
        (
            "two urls",
            nginx(&app, &good)
                .header(
                    "x-original-url",
                    format!("http://admin.gate.localhost:{p}/"),
                )
                .header("cookie", &cookie),
        ),
        (
            "url vs uri",
            nginx(&app, &good)
                .header("x-forwarded-host", format!("app.gate.localhost:{p}"))
                .header("x-forwarded-proto", "http")
                .header("x-forwarded-uri", "/admin")
                .header("cookie", &cookie),
        ),
        (
            "two hosts",
            traefik(&app, "GET", "app.gate.localhost", "/ok")
                .header("x-forwarded-host", "admin.gate.localhost")
                .header("cookie", &cookie),
        ),
        (
            "bad host",
            traefik(&app, "GET", "app..gate.localhost", "/ok").header("cookie", &cookie),
        ),
        (
            "bad proto",
            traefik(&app, "GET", "app.gate.localhost", "/ok")
                .header("x-forwarded-proto", "gopher")
                .header("cookie", &cookie),
        ),
        (
            "relative uri",
            traefik(&app, "GET", "app.gate.localhost", "ok").header("cookie", &cookie),
        ),
        (
            "lower-case method",
            traefik(&app, "get", "app.gate.localhost", "/ok").header("cookie", &cookie),
        ),
        (
            "forward-auth without uri",
            app.client
                .get(app.url("/api/authz/forward-auth"))
                .header("x-forwarded-method", "GET")
                .header("x-forwarded-proto", "http")
                .header("x-forwarded-host", "app.gate.localhost")
                .header("cookie", &cookie),
        ),
        (
            "garbage cookie",
            traefik(&app, "GET", "app.gate.localhost", "/ok")
                .header("cookie", "__Secure-gatehouse_session=%00garbage"),
        ),
    ];
    for (what, rb) in cases {
        let r = rb.send().await.unwrap();
        let s = r.status().as_u16();
        assert!(matches!(s, 400 | 401 | 403), "{what}: got {s}");
    }
    // The well-formed control request passes.
    assert_eq!(
        nginx(&app, &good)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_redis_outage_is_never_200() {
    let mut redis = PrivateRedis::start().await;
    let overlay = format!(
        "{TRUSTED}[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\ntimeout = \"1s\"\n",
        redis.url
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let cookie = alice(&app).await;
    let url = format!("http://app.gate.localhost:{}/", app.port);
    assert_eq!(
        nginx(&app, &url)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    redis.stop();
    app.channel_lost().await;
    let r = nginx(&app, &url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("remote-user").is_none());
}
