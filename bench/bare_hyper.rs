//! The floor under Gatehouse's memory per idle keep-alive connection: a bare hyper server with
//! Gatehouse's connection settings (hyper-util's auto HTTP/1 + HTTP/2 builder with a timer and
//! without hyper's head deadline, which Gatehouse keeps in its own watchdog; a task per
//! connection on a single-threaded tokio runtime) that answers every request
//! `200 ok`. `bench/storm.sh` holds the same idle connections against it as against Gatehouse;
//! what Gatehouse uses above this is its own. A measurement, never a test:
//! `cargo run --release --example bare_hyper -- PORT`.

use std::convert::Infallible;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = service_fn(|_req: Request<Incoming>| async {
                Ok::<_, Infallible>(Response::new(axum::body::Body::from("ok")))
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(None)
                .max_buf_size(16 * 1024);
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
}
