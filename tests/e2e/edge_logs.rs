//! Logs you can trust, checked on the real binary (so the real subscriber is used): user
//! input cannot forge fields in either format and is capped, concurrent requests' audit lines
//! carry their own request id, `RUST_LOG` cannot turn the audit stream off.

use std::collections::{HashMap, HashSet};

use crate::binary::{Gate, audit_events, field};
use crate::harness::*;

/// Parses the fields of a pretty audit line (`... audit: k="v" k=v`), honouring quotes and
/// backslash escapes. Returns every (key, value) in order, duplicates included.
fn pretty_fields(line: &str) -> Vec<(String, String)> {
    let Some((_, rest)) = line.split_once(" audit: ") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key, value));
    }
}

async fn gate(format: &str, extra: &str) -> Gate {
    let overlay = format!(
        "[log]\nformat = \"{format}\"\nlevel = \"info\"\n[throttle]\nip_failures = 1000\naccount_failures = 1000\n{extra}"
    );
    Gate::new(Opts::default(), move |t| {
        merge(t, overlay.parse().unwrap());
    })
    .await
}

const FORGED: &str = "mallory event=\"login.success\" ip=10.9.9.9";

#[tokio::test]
async fn usernames_cannot_forge_audit_fields_and_are_capped_in_both_formats() {
    let long = "L".repeat(3000);
    for format in ["pretty", "json"] {
        let mut gate = gate(format, "").await;
        gate.serve().await;
        gate.login_fails(FORGED, "wrong password, long enough")
            .await;
        gate.login_fails(&long, "wrong password, long enough").await;
        gate.stop().await;
        let log = gate.server_log();
        // (user as logged, event, ip) for every login.failure record.
        let records: Vec<(String, String, String)> = if format == "json" {
            audit_events(&log, "login.failure")
                .iter()
                .map(|v| (field(v, "user"), field(v, "event"), field(v, "ip")))
                .collect()
        } else {
            let mut records = Vec::new();
            for line in log.lines().filter(|l| l.contains(" audit: ")) {
                let fields = pretty_fields(line);
                let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                let unique: HashSet<&str> = keys.iter().copied().collect();
                assert_eq!(
                    unique.len(),
                    keys.len(),
                    "{format}: a field repeats in {line}"
                );
                let get = |k: &str| {
                    fields
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                if get("event") == "login.failure" {
                    records.push((get("user"), get("event"), get("ip")));
                }
            }
            records
        };
        assert_eq!(
            records.len(),
            2,
            "{format}: login.failure records in:\n{log}"
        );
        let forged = records
            .iter()
            .find(|(user, _, _)| user.starts_with("mallory"))
            .unwrap_or_else(|| panic!("{format}: no record for mallory in:\n{log}"));
        assert_eq!(forged.0, FORGED, "{format}: the username is not one value");
        assert_eq!(forged.2, "127.0.0.1", "{format}: the ip was forged");
        let capped = records
            .iter()
            .find(|(user, _, _)| user.starts_with('L'))
            .unwrap_or_else(|| panic!("{format}: no record for the long name in:\n{log}"));
        assert!(
            capped.0.len() < 300,
            "{format}: a {}-character username was logged whole",
            capped.0.len()
        );
        assert!(
            !log.lines().any(|l| l.len() > 2000 && l.contains("LLLL")),
            "{format}: a log line holds the whole long username"
        );
        assert!(
            audit_events(&log, "login.success").is_empty()
                && !log.contains("event=\"login.success\""),
            "{format}: a login.success record appeared:\n{log}"
        );
    }
}

#[tokio::test]
async fn concurrent_requests_audit_lines_carry_their_own_request_id() {
    // Enough to interleave requests on every worker; few enough that the hashing queue's wait
    // bound (3 s, then 503 busy) is not what a slow, shared CI machine ends up testing.
    const N: usize = 12;
    // Each request comes from its own client address (through a trusted proxy), so the fair
    // hashing pool serves them all rather than refusing one address's flood as busy.
    let mut gate = gate("json", "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n").await;
    gate.serve().await;
    // Each browser gets its own login form (and CSRF token) first; the POSTs then race.
    let mut forms = Vec::new();
    for _ in 0..N {
        let mut b = Browser {
            cookies: Default::default(),
        };
        let page = b.send(gate.get("auth.gate.localhost", "/login")).await;
        assert_eq!(page.status(), 200);
        let csrf = extract_csrf(&page.text().await.unwrap());
        forms.push((b, csrf));
    }
    let posts: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (mut b, csrf))| {
            let rb = gate
                .req(reqwest::Method::POST, "auth.gate.localhost", "/login")
                .form(&[
                    ("username", format!("user{i}")),
                    ("password", "wrong password, long enough".to_owned()),
                    ("csrf", csrf),
                    ("rd", String::new()),
                ])
                .header("x-forwarded-for", format!("192.0.2.{}", i + 1));
            tokio::spawn(async move { b.send(rb).await.status() })
        })
        .collect();
    for post in posts {
        let status = post.await.unwrap();
        assert!(status.is_client_error(), "a wrong login got {status}");
    }
    gate.stop().await;
    let log = gate.server_log();
    let failures = audit_events(&log, "login.failure");
    assert_eq!(failures.len(), N, "login.failure records in:\n{log}");
    // Every request has its own id; a line carrying another request's id would make two
    // users share one id.
    let mut users_by_id: HashMap<String, Vec<String>> = HashMap::new();
    for v in &failures {
        let id = v["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("an audit line without a request id: {v}"))
            .to_owned();
        users_by_id.entry(id).or_default().push(field(v, "user"));
    }
    for (id, users) in &users_by_id {
        assert_eq!(
            users.len(),
            1,
            "request {id} carries the lines of {users:?}"
        );
    }
    assert_eq!(users_by_id.len(), N);
}

#[tokio::test]
async fn rust_log_cannot_turn_the_audit_stream_off() {
    // `gatehouse::server=info` keeps the "listening" line the harness waits for.
    for rust_log in [
        "warn,gatehouse::server=info",
        "off,gatehouse::server=info",
        "audit=off,gatehouse::server=info",
    ] {
        let mut gate = gate("json", "").await;
        gate.serve_with(&[("RUST_LOG", rust_log)]).await;
        gate.login_fails("alice", "wrong password, long enough")
            .await;
        gate.stop().await;
        let log = gate.server_log();
        let found = audit_events(&log, "login.failure");
        assert_eq!(
            found.len(),
            1,
            "RUST_LOG={rust_log}: no audit record in:\n{log}"
        );
        assert!(
            found[0]["request_id"].is_string(),
            "RUST_LOG={rust_log}: the audit record lost its request id: {}",
            found[0]
        );
    }
}

/// Proxied requests carry no tracing span (it cost too much per request), yet their audit
/// events still name their own request: the id comes from a task-local that follows each
/// request's future.
#[tokio::test]
async fn proxied_requests_audit_lines_carry_their_own_request_id() {
    let mut gate = gate("json", "").await;
    gate.serve().await;
    let sends: Vec<_> = (0..4)
        .map(|i| {
            let rb = gate
                .get("public.gate.localhost", "/")
                .header("remote-user", format!("mallory{i}"));
            tokio::spawn(async move { rb.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    for send in sends {
        assert_eq!(
            send.await.unwrap().unwrap(),
            200,
            "the public page was not proxied"
        );
    }
    gate.stop().await;
    let log = gate.server_log();
    let spoofed = audit_events(&log, "header.spoofed");
    assert_eq!(spoofed.len(), 4, "header.spoofed records in:\n{log}");
    let ids: HashSet<String> = spoofed
        .iter()
        .map(|v| {
            v["request_id"]
                .as_str()
                .unwrap_or_else(|| panic!("a proxied request's audit line without its id: {v}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 4, "requests share an id: {ids:?}");
}

/// A forward-auth call is answered by a future of its own, outside the routing one, with its
/// checks made before anything waits; the audit events of both parts still carry the call's
/// own request id.
#[tokio::test]
async fn forward_auth_audit_lines_carry_their_own_request_id() {
    let mut gate = gate("json", "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n").await;
    gate.add_user("alice", "alice's long password", &[]).await;
    gate.serve().await;
    let mut b = gate.login("alice", "alice's long password").await;
    let admin = format!("http://admin.gate.localhost:{}/", gate.port);
    for _ in 0..3 {
        // No X-Original-URL: refused by the checks made before the session lookup.
        let call = gate.get("127.0.0.1", "/api/authz/auth-request");
        assert_eq!(b.send(call).await.status(), 400);
        // Signed in, on a host alice may not use: refused by the decision after it.
        let call = gate
            .get("127.0.0.1", "/api/authz/auth-request")
            .header("x-original-method", "GET")
            .header("x-original-url", &admin);
        assert_eq!(b.send(call).await.status(), 403);
    }
    gate.stop().await;
    let log = gate.server_log();
    for event in ["request.rejected", "access.denied"] {
        let found = audit_events(&log, event);
        assert_eq!(found.len(), 3, "{event} records in:\n{log}");
        let ids: HashSet<&str> = found
            .iter()
            .map(|v| {
                v["request_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a forward-auth audit line without its id: {v}"))
            })
            .collect();
        assert_eq!(ids.len(), 3, "{event}: calls share an id: {ids:?}");
    }
}
