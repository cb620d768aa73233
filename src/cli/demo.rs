//! `gatehouse demo`: the gateway on its embedded defaults (SQLite in a temporary directory,
//! in-process sessions) in front of a built-in echo app that shows the identity headers it
//! received. Creates a demo user with a random password and prints how to sign in.

use std::convert::Infallible;
use std::net::SocketAddr;

use anyhow::Context;
use axum::body::Body;
use http::{Request, Response, header};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::clock::{Clock, SystemClock};
use crate::compose::services;
use crate::domain::secret::{SecretString, random_token};
use crate::service::users::AddUser;

/// Starts the echo app on a free loopback port; returns its address.
pub async fn start_echo() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    Ok::<_, Infallible>(echo(&req))
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn echo<B>(req: &Request<B>) -> Response<Body> {
    let get = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_owned()
    };
    let mut rows = String::new();
    for (name, value) in req.headers() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name.as_str()),
            escape(&String::from_utf8_lossy(value.as_bytes()))
        ));
    }
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>Demo app</title><h1>Hello, {}</h1>\
         <p>This page is the demo app behind Gatehouse. It has no login of its own: it trusts the identity headers the gateway sets.</p>\
         <ul><li>Remote-User: {}</li><li>Remote-Groups: {}</li><li>Remote-Email: {}</li><li>Remote-Name: {}</li></ul>\
         <p>Sign out at <a href=\"/_gatehouse/\">/_gatehouse/</a>.</p><h2>{} {}</h2><table>{rows}</table>",
        escape(&get("remote-name")),
        escape(&get("remote-user")),
        escape(&get("remote-groups")),
        escape(&get("remote-email")),
        escape(&get("remote-name")),
        escape(req.method().as_str()),
        escape(&req.uri().to_string()),
    );
    let mut resp = Response::new(Body::from(html));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

pub(super) async fn run(port: u16) -> anyhow::Result<()> {
    // Bound first: a busy port is the whole answer, before any banner or temporary files.
    let bound = crate::server::workers::bind(
        &[format!("127.0.0.1:{port}")],
        crate::server::workers::count(0),
    )
    .with_context(|| format!("cannot listen on 127.0.0.1:{port}; choose another with --port"))?;
    let dir = std::env::temp_dir().join(format!("gatehouse-demo-{}", random_token(6)));
    std::fs::create_dir_all(&dir)?;
    let echo = start_echo().await?;
    let text = format!(
        r#"
[server]
listen = ["127.0.0.1:{port}"]
[portal]
url = "http://localhost:{port}/_gatehouse"
title = "Gatehouse demo"
[storage]
database = "{db}"
[access_control]
default_policy = "one_factor"
[[sites]]
host = "localhost"
upstream = "http://{echo}"
"#,
        db = dir.join("gatehouse.db").display()
    );
    let config = crate::config::load_str(&text, &dir, std::iter::empty())
        .map_err(|p| anyhow::anyhow!("demo config invalid: {p:?}"))?;
    crate::telemetry::init(&config.log);
    let stores = crate::compose::open_stores(&config).await?;
    let key = crate::compose::load_key(&config.secrets.key)?;
    let admin = services(&config, &stores, &key)?.admin;
    let password = random_token(18);
    admin
        .add(
            AddUser {
                username: "demo",
                display_name: Some("Demo User"),
                email: "demo@example.test",
                groups: &["users".to_owned()],
                password: SecretString::new(password.clone()),
                must_change_password: false,
            },
            &crate::service::users::Actor::Operator,
            SystemClock.now(),
        )
        .await?;
    let app = crate::http::entry::App::new(
        config.clone(),
        stores,
        crate::compose::load_key(&config.secrets.key)?,
    )?;
    println!(
        "\nGatehouse demo is running.\n\n  Open:      http://localhost:{port}/\n  Username:  demo\n  Password:  {password}\n\n  Data:      {} (temporary)\n  Stop with Ctrl-C.\n",
        dir.display()
    );
    let result = crate::server::serve_on(app, bound, None).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
