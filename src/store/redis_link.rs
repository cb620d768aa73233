//! How the Redis stores reach Redis: one server through a reconnecting `ConnectionManager`,
//! the master of a Sentinel group (`redis_sentinel.rs`), or a Redis Cluster
//! (`redis_cluster.rs`). Each is one [`Link`] to the stores, and one [`Subscriber`] source to
//! the invalidation channel (`redis_pubsub.rs`).

use std::sync::Arc;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::redis_cluster::ClusterSeeds;
use super::redis_sentinel::{Addr, SentinelConnection, SentinelLink};
use crate::config::RedisTls;

/// A client for `url`, with the certificates of `tls` for `rediss://`: its CA instead of the
/// system roots, and a client certificate (docs/security.md#redis-tls).
pub(super) fn client(url: &str, tls: &RedisTls) -> redis::RedisResult<redis::Client> {
    if url.starts_with("rediss://") {
        redis::Client::build_with_tls(url, certificates(tls))
    } else {
        redis::Client::open(url)
    }
}

/// What an operator should check when the TLS handshake with Redis failed: rustls names the
/// cause only in its text.
pub(super) fn tls_hint(e: &redis::RedisError) -> Option<&'static str> {
    let text = e.to_string();
    if text.contains("CertificateRequired") {
        Some(
            "the Redis server requires a client certificate: set session.redis.client_cert and client_key",
        )
    } else if text.contains("invalid peer certificate") {
        Some(
            "the Redis server's certificate is not trusted or not for this host: check session.redis.ca_file and the host name (the URL's, or the address the sentinels announce)",
        )
    } else if text.contains("alert") && text.contains("ertificate") {
        Some("the Redis server refused the client certificate: check session.redis.client_cert")
    } else {
        None
    }
}

/// The stores' command connection; clones share it.
#[derive(Clone)]
pub(super) enum Link {
    Server(ConnectionManager),
    Sentinel(SentinelConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(c) => c.req_packed_command(cmd),
            Self::Sentinel(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Sentinel(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(c) => c.get_db(),
            Self::Sentinel(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// Where the invalidation channel subscribes.
#[derive(Clone)]
pub(super) enum Subscriber {
    Server(Box<redis::Client>),
    Sentinel(Arc<SentinelLink>),
    Cluster(Arc<ClusterSeeds>),
}

impl Subscriber {
    /// A client for the node to subscribe on, and for a Sentinel group that node's address.
    /// In a cluster any node hears every PUBLISH: each call takes the next seed, so a
    /// subscription that failed is made again on another node.
    pub(super) async fn client(&self) -> redis::RedisResult<(redis::Client, Option<Addr>)> {
        match self {
            Self::Server(c) => Ok((c.as_ref().clone(), None)),
            Self::Sentinel(link) => {
                let (addr, client) = link.master_client().await?;
                Ok((client, Some(addr)))
            }
            Self::Cluster(seeds) => match seeds.next_client() {
                Some(client) => Ok((client, None)),
                None => Err(redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "no cluster node is configured",
                ))),
            },
        }
    }

    /// Whether the node at `at` is still the master, as the sentinels named it when last
    /// asked; not knowing counts as no (the subscription may be on a node that lost its role).
    pub(super) fn still_master(&self, at: Option<&Addr>) -> bool {
        match (self, at) {
            (Self::Sentinel(link), Some(at)) => link.named().is_some_and(|now| now == *at),
            _ => true,
        }
    }
}

/// The CA and client certificate of `tls`, as the redis crate takes them for one server or a
/// cluster's nodes.
pub(super) fn certificates(tls: &RedisTls) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: tls
            .client
            .as_ref()
            .map(|(cert, key)| redis::ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.expose().as_bytes().to_vec(),
            }),
        root_cert: tls.ca.clone(),
    }
}
