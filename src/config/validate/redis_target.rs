//! `session.redis.url`, `sentinels` and `master_name`, or `cluster`: which Redis holds the
//! sessions. The three ways are exclusive, and every mistake in any is listed
//! (docs/security.md#redis-sentinel, #redis-cluster).

use super::Ctx;
use crate::config::file::RawRedis;
use crate::config::redis_target::{ClusterTarget, RedisTarget, SentinelTarget};
use crate::domain::secret::SecretString;

/// The target of `raw` and whether it is reached over TLS; `password` is the data nodes'.
pub(super) fn redis_target(
    cx: &mut Ctx<'_>,
    raw: &RawRedis,
    password: Option<SecretString>,
) -> (RedisTarget, bool) {
    match (&raw.sentinels, &raw.cluster) {
        (Some(list), cluster) => {
            if cluster.is_some() {
                cx.problem(
                    "session.redis.cluster",
                    "cannot be combined with session.redis.sentinels",
                    "a Sentinel group and a Redis Cluster are two ways to run Redis: keep the one you run",
                );
            }
            sentinel(cx, raw, list, password)
        }
        (None, Some(list)) => cluster(cx, raw, list, password),
        (None, None) => {
            for (key, set) in [
                ("session.redis.master_name", raw.master_name.is_some()),
                (
                    "session.redis.sentinel_password",
                    raw.sentinel_password.is_some() || raw.sentinel_password_file.is_some(),
                ),
                ("session.redis.tls", raw.tls.is_some()),
            ] {
                if set {
                    let (used, hint) = if key == "session.redis.tls" {
                        (
                            "is only used with session.redis.sentinels or session.redis.cluster",
                            "with url, TLS is a rediss:// URL: remove the key",
                        )
                    } else {
                        (
                            "is only used with session.redis.sentinels",
                            "list the sentinels, or remove the key",
                        )
                    };
                    cx.problem(key, used, hint);
                }
            }
            url(cx, raw, password)
        }
    }
}

fn url(cx: &mut Ctx<'_>, raw: &RawRedis, password: Option<SecretString>) -> (RedisTarget, bool) {
    let mut url = raw.url.clone();
    let tls = url.starts_with("rediss://");
    if !(tls
        || url.starts_with("redis://")
        || url.starts_with("redis+unix://")
        || url.starts_with("unix://"))
    {
        cx.problem(
            "session.redis.url",
            "is not a redis://, rediss:// or unix:// URL",
            "e.g. \"redis://127.0.0.1:6379/0\", or \"rediss://redis.example.net:6380\" over TLS; or list session.redis.sentinels or session.redis.cluster",
        );
    }
    if let Some(pw) = password {
        let encoded: String =
            percent_encoding::utf8_percent_encode(pw.expose(), percent_encoding::NON_ALPHANUMERIC)
                .collect();
        url = url.replacen("://", &format!("://:{encoded}@"), 1);
    }
    (RedisTarget::Url(SecretString::new(url)), tls)
}

fn sentinel(
    cx: &mut Ctx<'_>,
    raw: &RawRedis,
    list: &[String],
    password: Option<SecretString>,
) -> (RedisTarget, bool) {
    if !raw.url.is_empty() {
        cx.problem(
            "session.redis.url",
            "cannot be combined with session.redis.sentinels: the sentinels name the master",
            "remove url (the password, tls and certificate keys apply to the master found)",
        );
    }
    let sentinels = node_list(cx, "session.redis.sentinels", list, "the sentinels", 26379);
    let master_name = raw.master_name.clone().unwrap_or_default();
    if master_name.is_empty()
        || master_name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        cx.problem(
            "session.redis.master_name",
            if master_name.is_empty() {
                "is missing: session.redis.sentinels needs the name of the monitored master"
            } else {
                "contains white space"
            },
            "the name of the `sentinel monitor <name> ...` line, e.g. \"mymaster\"",
        );
    }
    let sentinel_password = cx.secret(
        "session.redis.sentinel_password",
        raw.sentinel_password.as_ref(),
        raw.sentinel_password_file.as_ref(),
    );
    let tls = raw.tls.unwrap_or(false);
    let target = SentinelTarget {
        sentinels,
        master_name,
        password,
        sentinel_password,
        tls,
    };
    (RedisTarget::Sentinel(Box::new(target)), tls)
}

fn cluster(
    cx: &mut Ctx<'_>,
    raw: &RawRedis,
    list: &[String],
    password: Option<SecretString>,
) -> (RedisTarget, bool) {
    if !raw.url.is_empty() {
        cx.problem(
            "session.redis.url",
            "cannot be combined with session.redis.cluster: the cluster's nodes are listed there",
            "remove url (the password, tls and certificate keys apply to every node)",
        );
    }
    for (key, set) in [
        ("session.redis.master_name", raw.master_name.is_some()),
        (
            "session.redis.sentinel_password",
            raw.sentinel_password.is_some() || raw.sentinel_password_file.is_some(),
        ),
    ] {
        if set {
            cx.problem(
                key,
                "is only used with session.redis.sentinels, not with session.redis.cluster",
                "remove the key",
            );
        }
    }
    let nodes = node_list(
        cx,
        "session.redis.cluster",
        list,
        "some of the cluster's nodes",
        6379,
    );
    // The keys' hash tags decide which slot holds what (docs/security.md#redis-cluster): a
    // brace in the prefix would take that choice over.
    if raw.prefix.contains(['{', '}']) {
        cx.problem(
            "session.redis.prefix",
            "contains a brace: in a Redis Cluster it would decide the hash slot of every key",
            "use a prefix without { or }, e.g. \"gatehouse:\"",
        );
    }
    let tls = raw.tls.unwrap_or(false);
    let target = ClusterTarget {
        nodes,
        password,
        tls,
    };
    (RedisTarget::Cluster(Box::new(target)), tls)
}

/// The `host:port` entries of `key`, each one that is not listed as a problem; an empty list
/// is a problem too. `what` and `port` shape the examples of the hints.
fn node_list(
    cx: &mut Ctx<'_>,
    key: &str,
    list: &[String],
    what: &str,
    port: u16,
) -> Vec<(String, u16)> {
    if list.is_empty() {
        cx.problem(
            key,
            "is empty",
            &format!(
                "list {what} as \"host:port\", e.g. [\"10.0.0.1:{port}\", \"10.0.0.2:{port}\", \"10.0.0.3:{port}\"]"
            ),
        );
    }
    let mut nodes = Vec::new();
    for entry in list {
        match host_port(entry) {
            Some(addr) => nodes.push(addr),
            None => cx.problem(
                key,
                &format!("{entry:?} is not host:port"),
                &format!("e.g. \"10.0.0.1:{port}\" or \"[::1]:{port}\""),
            ),
        }
    }
    nodes
}

/// `host:port` with a port above zero; an IPv6 host in brackets.
fn host_port(entry: &str) -> Option<(String, u16)> {
    let (host, port) = entry.rsplit_once(':')?;
    let port = port.parse::<u16>().ok().filter(|p| *p > 0)?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.strip_suffix(']').filter(|h| h.contains(':'))?,
        None if host.contains(':') => return None,
        None => host,
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_');
    (!host.is_empty() && host.chars().all(plain)).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn reads_sentinel_addresses() {
        assert_eq!(
            host_port("10.0.0.1:26379"),
            Some(("10.0.0.1".into(), 26379))
        );
        assert_eq!(host_port("sentinel-a:1"), Some(("sentinel-a".into(), 1)));
        assert_eq!(host_port("[::1]:26379"), Some(("::1".into(), 26379)));
        for bad in [
            "10.0.0.1",
            "h:0",
            "h:70000",
            ":26379",
            "::1:26379",
            "[h]:1",
            "a b:1",
            "redis://h:1",
        ] {
            assert_eq!(host_port(bad), None, "{bad}");
        }
    }
}
