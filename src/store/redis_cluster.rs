//! A Redis Cluster (docs/security.md#redis-cluster): the `redis` crate's cluster client, which
//! learns the slot map from the seed nodes and follows MOVED, ASK and topology changes itself,
//! and the nodes the invalidation channel may subscribe on.
//!
//! The keys' layout, not this module, keeps every multi-key step in one slot (`redis.rs`,
//! `redis_throttle.rs`). The client retries a command after a dropped connection, so a
//! script may run twice: every script here is idempotent or errs to the strict side (a
//! throttle counting one attempt more). Classic PUBLISH is broadcast to every node of a
//! cluster, so one subscription on any node hears what any instance announces; when that
//! node fails the subscriber moves on to the next seed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;

use super::redis_link::client;
use crate::config::{ClusterTarget, RedisTls};

/// Retries of one command: after a MOVED or ASK, or a dropped connection. The configured
/// timeout bounds the whole command, retries included.
const RETRIES: u32 = 3;

/// The seed nodes, each a client for a subscription of the invalidation channel.
pub(super) struct ClusterSeeds {
    clients: Vec<redis::Client>,
    /// The seed to try next: each failed subscription moves on to the next one.
    next: AtomicUsize,
}

impl ClusterSeeds {
    /// The client of the next seed, in turn.
    pub(super) fn next_client(&self) -> Option<redis::Client> {
        if self.clients.is_empty() {
            return None;
        }
        let at = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        self.clients.get(at).cloned()
    }
}

/// The URL of one node, with the password in it (the cluster client and the subscriber's
/// plain client read it from there).
fn node_url(host: &str, port: u16, target: &ClusterTarget) -> String {
    let scheme = if target.tls { "rediss" } else { "redis" };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    match &target.password {
        Some(pw) => {
            let encoded = percent_encoding::utf8_percent_encode(
                pw.expose(),
                percent_encoding::NON_ALPHANUMERIC,
            );
            format!("{scheme}://:{encoded}@{host}:{port}")
        }
        None => format!("{scheme}://{host}:{port}"),
    }
}

/// Connects to the cluster through its seeds (failing now, rather than at the first request,
/// when none answers), with the seeds for the invalidation channel.
pub(super) async fn connect(
    target: &ClusterTarget,
    tls: &RedisTls,
    limit: Duration,
) -> redis::RedisResult<(ClusterConnection, Arc<ClusterSeeds>)> {
    let urls: Vec<String> = target
        .nodes
        .iter()
        .map(|(host, port)| node_url(host, *port, target))
        .collect();
    let mut builder = ClusterClientBuilder::new(urls.iter().map(String::as_str))
        .connection_timeout(limit)
        .response_timeout(limit)
        .retries(RETRIES)
        .min_retry_wait(10)
        .max_retry_wait(limit.as_millis().try_into().unwrap_or(u64::MAX));
    if target.tls {
        builder = builder.certs(super::redis_link::certificates(tls));
    }
    let conn = builder.build()?.get_async_connection().await?;
    let clients = urls
        .iter()
        .map(|url| client(url, tls))
        .collect::<redis::RedisResult<_>>()?;
    let seeds = ClusterSeeds {
        clients,
        next: AtomicUsize::new(0),
    };
    Ok((conn, Arc::new(seeds)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secret::SecretString;

    #[test]
    fn node_urls_carry_scheme_password_and_bracketed_ipv6() {
        let mut target = ClusterTarget {
            nodes: Vec::new(),
            password: None,
            tls: false,
        };
        assert_eq!(node_url("10.0.0.1", 7000, &target), "redis://10.0.0.1:7000");
        target.tls = true;
        target.password = Some(SecretString::new("p@ss word"));
        assert_eq!(
            node_url("::1", 7001, &target),
            "rediss://:p%40ss%20word@[::1]:7001"
        );
    }
}
