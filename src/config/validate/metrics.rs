//! Validation of `[metrics]`: the address of the separate Prometheus listener, if any.

use std::net::SocketAddr;

use super::Ctx;
use crate::config::file::RawMetrics;
use crate::config::types::MetricsConfig;

pub(super) fn metrics(cx: &mut Ctx<'_>, raw: &RawMetrics, public: &[SocketAddr]) -> MetricsConfig {
    let Some(text) = raw.listen.as_deref() else {
        return MetricsConfig::default();
    };
    let listen = match text.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            cx.problem(
                "metrics.listen",
                &format!("{text:?} is not an address"),
                "write ip:port, e.g. \"127.0.0.1:9464\"; leave the key out to turn metrics off",
            );
            return MetricsConfig::default();
        }
    };
    // The metrics must never be served on a public listener: one port, one purpose.
    if listen.port() != 0
        && public
            .iter()
            .any(|p| p.port() == listen.port() && overlaps(*p, listen))
    {
        cx.problem(
            "metrics.listen",
            &format!("{listen} is also a server.listen address"),
            "give the metrics listener its own port (e.g. 127.0.0.1:9464)",
        );
    }
    MetricsConfig {
        listen: Some(listen),
    }
}

/// Whether two addresses with the same port would collide (an unspecified address binds
/// every interface).
fn overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified()
}
