//! Where the Redis that holds the sessions is: one URL, a master found through Redis
//! Sentinel (docs/security.md#redis-sentinel), or a Redis Cluster (docs/security.md#redis-cluster).

use crate::domain::secret::SecretString;

/// The Redis server the stores talk to.
#[derive(Debug, Clone)]
pub enum RedisTarget {
    /// One server, `session.redis.url` (with the password of `session.redis.password` in it).
    Url(SecretString),
    /// The current master of a Sentinel-monitored group.
    Sentinel(Box<SentinelTarget>),
    /// A Redis Cluster, found from some of its nodes.
    Cluster(Box<ClusterTarget>),
}

/// `session.redis.cluster`: seed nodes of a Redis Cluster. The client learns the whole
/// topology from whichever answers, and follows it as slots move.
#[derive(Debug, Clone)]
pub struct ClusterTarget {
    /// `host:port` of each seed node.
    pub nodes: Vec<(String, u16)>,
    /// The nodes' password (`session.redis.password`).
    pub password: Option<SecretString>,
    /// TLS to every node (`session.redis.tls`), with the certificates of
    /// `session.redis.ca_file`, `client_cert` and `client_key`.
    pub tls: bool,
}

/// `session.redis.sentinels` and `master_name`: the gateway asks the sentinels for the current
/// master, and asks again whenever the master fails or refuses a write.
#[derive(Debug, Clone)]
pub struct SentinelTarget {
    /// `host:port` of each sentinel, asked in this order.
    pub sentinels: Vec<(String, u16)>,
    /// The name the sentinels monitor the group under.
    pub master_name: String,
    /// The data nodes' password (`session.redis.password`).
    pub password: Option<SecretString>,
    /// The sentinels' own password (`session.redis.sentinel_password`).
    pub sentinel_password: Option<SecretString>,
    /// TLS to the sentinels and to the data nodes (`session.redis.tls`), with the certificates
    /// of `session.redis.ca_file`, `client_cert` and `client_key`.
    pub tls: bool,
}

impl RedisTarget {
    /// The key an operator fixes when the target cannot be reached.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Url(_) => "session.redis.url",
            Self::Sentinel(_) => "session.redis.sentinels",
            Self::Cluster(_) => "session.redis.cluster",
        }
    }
}
