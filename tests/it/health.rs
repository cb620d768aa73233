//! Health probes: liveness asks no store, readiness reports each store with its latency and
//! answers 503 when one is down; `/api/health` keeps its original answer.

use crate::harness::*;

async fn probe(app: &TestApp, host: &str, path: &str) -> (u16, serde_json::Value) {
    let resp = app.get(host, path).send().await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["cache-control"], "no-store", "{path}");
    let body = resp.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, json)
}

#[tokio::test]
async fn live_and_ready_answer_with_both_stores_up() {
    for opts in [Opts::default(), Opts::redis()] {
        let app = TestApp::spawn(opts).await;
        // On the portal and by address (a load balancer's probe), the same answers.
        for host in [app.portal_host.clone(), "127.0.0.1".to_owned()] {
            let (status, live) = probe(&app, &host, "/api/health/live").await;
            assert_eq!(
                (status, live["status"].as_str()),
                (200, Some("ok")),
                "{live}"
            );
            assert!(
                live.get("session_store").is_none(),
                "liveness asked a store: {live}"
            );
            let (status, ready) = probe(&app, &host, "/api/health/ready").await;
            assert_eq!(status, 200, "{ready}");
            assert_eq!(ready["status"], "ok");
            for store in ["session_store", "user_store"] {
                assert_eq!(ready[store]["status"], "ok", "{ready}");
                let ms = ready[store]["latency_ms"].as_f64().unwrap();
                assert!(ms >= 0.0, "{ready}");
            }
            let (status, old) = probe(&app, &host, "/api/health").await;
            assert_eq!(status, 200);
            assert_eq!(
                old,
                serde_json::json!({"status": "ok", "session_store": "ok", "user_store": "ok"})
            );
        }
    }
}

#[tokio::test]
async fn readiness_fails_when_redis_is_gone_while_liveness_stays_up() {
    let mut redis = PrivateRedis::start().await;
    let overlay = format!(
        "[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\ntimeout = \"1s\"\n",
        redis.url
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let (status, _) = probe(&app, "127.0.0.1", "/api/health/ready").await;
    assert_eq!(status, 200);
    redis.stop();
    for host in [app.portal_host.clone(), "127.0.0.1".to_owned()] {
        let (status, ready) = probe(&app, &host, "/api/health/ready").await;
        assert_eq!(status, 503, "{ready}");
        assert_eq!(ready["status"], "unavailable");
        assert_eq!(ready["session_store"]["status"], "unavailable", "{ready}");
        assert_eq!(ready["user_store"]["status"], "ok", "{ready}");
        let (status, live) = probe(&app, &host, "/api/health/live").await;
        assert_eq!((status, live["status"].as_str()), (200, Some("ok")));
        let (status, old) = probe(&app, &host, "/api/health").await;
        assert_eq!(status, 503);
        assert_eq!(old["session_store"], "unavailable");
    }
}
