//! The Redis master of a Sentinel group: asks the sentinels where it is, keeps one connection
//! to it, and asks again whenever that connection fails or the node refuses a write.
//!
//! The `redis` crate's own Sentinel client hands out a client for the master of the moment,
//! but its reconnecting `ConnectionManager` keeps going back to that one address, which after
//! a failover is a replica: reads there still answer (with whatever replication carried) and
//! every write fails with READONLY. So the address is ours to follow. Every command that fails
//! or is refused by the node, for whatever reason, drops the connection, so the next command asks the sentinels again and
//! checks with ROLE that the node named really is a master; the failed command itself is an
//! error, which callers turn into a refusal (docs/security.md#redis-sentinel). Nothing here
//! retries a command: a script that ended a session may have run before the link broke.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{
    AsyncConnectionConfig, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, ServerErrorKind,
    Value,
};
use tokio::time::timeout;

use crate::config::{RedisTls, SentinelTarget};
use crate::domain::secret::SecretString;

/// A node's address as the sentinels name it.
pub(super) type Addr = (String, u16);

/// The master of one Sentinel group and this instance's connection to it.
pub(super) struct SentinelLink {
    target: SentinelTarget,
    tls: RedisTls,
    timeout: Duration,
    current: Mutex<Option<(Addr, MultiplexedConnection)>>,
    /// One reconnect at a time: a burst of requests after a failover asks the sentinels once.
    connecting: tokio::sync::Mutex<()>,
    /// Reconnects started, so that requests that waited for a failed one fail with it.
    attempts: AtomicU64,
    /// The connection to the sentinel that answered last, asked first next time.
    sentinel: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    /// The master the sentinels named when last asked; `None` when they could not be asked.
    named: Mutex<Option<Addr>>,
}

/// How often the sentinels are asked where the master is. A forced failover leaves the old
/// master writable for several seconds before the sentinels demote it (and only then close
/// its connections): an instance that waited for its connection to fail would keep reading
/// and writing there, while the others already use the new master.
const WATCH: Duration = Duration::from_millis(500);

impl SentinelLink {
    /// Finds the master and connects to it, so that a wrong name or unreachable sentinels stop
    /// the start rather than the first request.
    pub(super) async fn connect(
        target: &SentinelTarget,
        tls: &RedisTls,
        limit: Duration,
    ) -> redis::RedisResult<Arc<Self>> {
        let link = Arc::new(Self {
            target: target.clone(),
            tls: tls.clone(),
            timeout: limit,
            current: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            attempts: AtomicU64::new(0),
            sentinel: tokio::sync::Mutex::new(None),
            named: Mutex::new(None),
        });
        link.connection().await?;
        let watched = Arc::downgrade(&link);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(WATCH).await;
                // Ends once the stores are gone.
                let Some(link) = watched.upgrade() else {
                    return;
                };
                link.follow().await;
            }
        });
        Ok(link)
    }

    /// The master the sentinels named when last asked, if they could be asked.
    pub(super) fn named(&self) -> Option<Addr> {
        self.named
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The master's address, as the first sentinel that answers names it.
    pub(super) async fn ask_sentinels(&self) -> redis::RedisResult<Addr> {
        let mut cached = self.sentinel.lock().await;
        if let Some(conn) = cached.as_mut() {
            if let Ok(Ok(Some(addr))) = timeout(self.timeout, self.ask(conn)).await {
                return Ok(addr);
            }
            *cached = None;
        }
        let mut last = None;
        for (host, port) in &self.target.sentinels {
            let asked = async {
                let client = self.client(host, *port, self.target.sentinel_password.as_ref())?;
                let mut conn = client
                    .get_multiplexed_async_connection_with_config(&self.config())
                    .await?;
                let addr = self.ask(&mut conn).await?;
                Ok::<_, RedisError>((conn, addr))
            };
            match timeout(self.timeout, asked).await {
                Ok(Ok((conn, Some(addr)))) => {
                    *cached = Some(conn);
                    return Ok(addr);
                }
                Ok(Ok((_, None))) => {
                    last = Some(failure(format!(
                        "sentinel {host}:{port} monitors no master named {:?}",
                        self.target.master_name
                    )));
                }
                Ok(Err(e)) => last = Some(e),
                Err(_) => last = Some(failure(format!("sentinel {host}:{port} did not answer"))),
            }
        }
        Err(last.unwrap_or_else(|| failure("no sentinel is configured".into())))
    }

    async fn ask(&self, conn: &mut MultiplexedConnection) -> redis::RedisResult<Option<Addr>> {
        redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.target.master_name)
            .query_async(conn)
            .await
    }

    /// A client for the master the sentinels name now, for the invalidation channel's own
    /// connection, with that master's address.
    pub(super) async fn master_client(&self) -> redis::RedisResult<(Addr, redis::Client)> {
        let addr = self.ask_sentinels().await?;
        let client = self.client(&addr.0, addr.1, self.target.password.as_ref())?;
        Ok((addr, client))
    }

    /// Asks the sentinels where the master is now, and drops the command connection if it is
    /// elsewhere.
    async fn follow(&self) {
        let named = self.ask_sentinels().await.ok();
        if let Some(addr) = &named {
            let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
            if current.as_ref().is_some_and(|(at, _)| at != addr) {
                tracing::warn!(
                    master = %format!("{}:{}", addr.0, addr.1),
                    "the sentinels name a new Redis master; moving to it"
                );
                *current = None;
            }
        }
        *self.named.lock().unwrap_or_else(PoisonError::into_inner) = named;
    }

    /// The live connection, or a new one to the master the sentinels name.
    async fn connection(&self) -> redis::RedisResult<(Addr, MultiplexedConnection)> {
        if let Some(live) = self.live() {
            return Ok(live);
        }
        let before = self.attempts.load(Ordering::Acquire);
        let _one = self.connecting.lock().await;
        if let Some(live) = self.live() {
            return Ok(live);
        }
        // Another request tried while this one waited, and failed: fail at once rather than
        // queue one more attempt (each may take the timeout) behind every waiting request.
        if self.attempts.load(Ordering::Acquire) != before {
            return Err(failure(
                "the Redis master could not be reached just now".into(),
            ));
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
        let addr = self.ask_sentinels().await?;
        *self.named.lock().unwrap_or_else(PoisonError::into_inner) = Some(addr.clone());
        let client = self.client(&addr.0, addr.1, self.target.password.as_ref())?;
        let mut conn = timeout(
            self.timeout,
            client.get_multiplexed_async_connection_with_config(&self.config()),
        )
        .await
        .map_err(|_| failure(format!("master {}:{} did not answer", addr.0, addr.1)))??;
        // A sentinel may still name a master that has just been demoted.
        let role: Vec<Value> = redis::cmd("ROLE").query_async(&mut conn).await?;
        if !matches!(role.first(), Some(Value::BulkString(r)) if r == b"master") {
            return Err(failure(format!(
                "{}:{} is not a master (yet); the sentinels are still switching",
                addr.0, addr.1
            )));
        }
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((addr.clone(), conn.clone()));
        Ok((addr, conn))
    }

    fn live(&self) -> Option<(Addr, MultiplexedConnection)> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drops the connection to `addr` after a command on it failed or was refused.
    fn forget<T>(&self, addr: &Addr, out: &redis::RedisResult<T>, refused: impl Fn(&T) -> bool) {
        let why = match out {
            // NOSCRIPT is the script cache, not the node: `Script` loads it and runs it again.
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => return,
            Err(e) => e.to_string(),
            Ok(v) if refused(v) => "the node refused a command (e.g. READONLY)".to_owned(),
            Ok(_) => return,
        };
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(at, _)| at == addr) {
            tracing::warn!(
                master = %format!("{}:{}", addr.0, addr.1),
                error = %why,
                "Redis master connection failed; asking the sentinels again"
            );
            *current = None;
        }
    }

    fn config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
    }

    fn client(
        &self,
        host: &str,
        port: u16,
        password: Option<&SecretString>,
    ) -> redis::RedisResult<redis::Client> {
        let scheme = if self.target.tls { "rediss" } else { "redis" };
        let auth = password.map_or_else(String::new, |pw| {
            let pw = percent_encoding::utf8_percent_encode(
                pw.expose(),
                percent_encoding::NON_ALPHANUMERIC,
            );
            format!(":{pw}@")
        });
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        super::redis_link::client(&format!("{scheme}://{auth}{host}:{port}"), &self.tls)
    }
}

/// Whether a reply carries a server error other than NOSCRIPT: the connection answers, but a
/// demoted master answers writes with READONLY, a replica that lost its master with
/// MASTERDOWN. Errors come inside replies (a pipeline's, MULTI's EXEC), not as `Err`.
fn refused(value: &Value) -> bool {
    match value {
        Value::ServerError(e) => e.kind() != Some(ServerErrorKind::NoScript),
        Value::Array(items) => items.iter().any(refused),
        _ => false,
    }
}

fn failure(what: String) -> RedisError {
    RedisError::from((ErrorKind::Io, "Redis Sentinel", what))
}

/// The command connection of a [`SentinelLink`], cheap to clone like a `ConnectionManager`.
#[derive(Clone)]
pub(super) struct SentinelConnection(pub(super) Arc<SentinelLink>);

impl ConnectionLike for SentinelConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let (addr, mut conn) = self.0.connection().await?;
            let out = conn.req_packed_command(cmd).await;
            self.0.forget(&addr, &out, refused);
            out
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let (addr, mut conn) = self.0.connection().await?;
            let out = conn.req_packed_commands(pipeline, offset, count).await;
            self.0
                .forget(&addr, &out, |values| values.iter().any(refused));
            out
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}
