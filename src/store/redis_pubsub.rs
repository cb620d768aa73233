//! The invalidation channel's subscriber: one dedicated pub/sub connection per instance that
//! tells a [`StaleSink`] what any instance ended or changed, and whether it can be believed.
//!
//! It owns only the connection's life: connect, SUBSCRIBE (the sink hears `live` only once
//! Redis acknowledged it), a PING heartbeat so that a silently dead connection is noticed
//! within `HEARTBEAT` plus the timeout, and a reconnect with backoff. With Sentinel, the
//! heartbeat also checks that the subscribed node is still the master the sentinels name
//! (`redis_sentinel.rs` asks them), and moves to the new one when it is not. What is cached and when
//! it may be used is the sink's rule (docs/security.md#session-cache). The task ends by
//! itself once the sink is gone (the application was dropped).

use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::timeout;

use super::redis::RedisConn;
use super::redis_link::Subscriber;
use super::{Stale, StaleSink};
use crate::domain::session::SessionKey;
use crate::domain::user::UserId;

/// How often the live connection is checked with a PING.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// First wait before a reconnect; doubles up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Starts the subscriber for `redis`'s invalidation channel, reporting to `sink`.
pub fn spawn_listener(redis: &RedisConn, sink: Weak<dyn StaleSink>) -> tokio::task::JoinHandle<()> {
    let source = redis.subscriber.clone();
    let channel = redis.channel();
    let limit = redis.timeout;
    tokio::spawn(async move {
        let mut backoff = MIN_BACKOFF;
        loop {
            let Some(was_live) = subscribed(&source, &channel, limit, &sink).await else {
                return;
            };
            let Some(s) = sink.upgrade() else { return };
            s.lost();
            drop(s);
            if was_live {
                tracing::warn!(
                    channel,
                    "session invalidation channel lost; local session cache bypassed until it is back"
                );
                backoff = MIN_BACKOFF;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

/// One subscription, until it fails. `None` when the sink is gone; otherwise whether the
/// subscription had been confirmed.
async fn subscribed(
    source: &Subscriber,
    channel: &str,
    limit: Duration,
    sink: &Weak<dyn StaleSink>,
) -> Option<bool> {
    let Ok(Ok((client, at))) = timeout(limit, source.client()).await else {
        return Some(false);
    };
    let Ok(Ok(pubsub)) = timeout(limit, client.get_async_pubsub()).await else {
        return Some(false);
    };
    let (mut conn, mut messages) = pubsub.split();
    if !matches!(timeout(limit, conn.subscribe(channel)).await, Ok(Ok(()))) {
        return Some(false);
    }
    // Acknowledged: from here on no message is missed while the connection lives.
    sink.upgrade()?.live();
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    loop {
        tokio::select! {
            msg = messages.next() => {
                let Some(msg) = msg else { return Some(true) };
                let s = sink.upgrade()?;
                match msg.get_payload::<String>().ok().as_deref().and_then(parse) {
                    Some(what) => s.stale(what),
                    // Not ours to read: forget everything rather than guess.
                    None => {
                        s.lost();
                        s.live();
                    }
                }
            }
            _ = beat.tick() => {
                if sink.strong_count() == 0 {
                    return None;
                }
                if !matches!(timeout(limit, conn.ping::<redis::Value>()).await, Ok(Ok(_))) {
                    return Some(true);
                }
                // After a failover the old master may live on as a replica and keep this
                // subscription open, while the others publish on the new master.
                if !source.still_master(at.as_ref()) {
                    return Some(true);
                }
            }
        }
    }
}

/// Reads `s:<session key>` or `u:<user id>`.
fn parse(payload: &str) -> Option<Stale> {
    if let Some(key) = payload.strip_prefix("s:") {
        let hex = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        return hex.then(|| Stale::Session(SessionKey::from_text(key)));
    }
    let id = payload.strip_prefix("u:")?.parse().ok()?;
    Some(Stale::User(UserId(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_scripts_publish() {
        let key = "ab".repeat(32);
        assert_eq!(
            parse(&format!("s:{key}")),
            Some(Stale::Session(SessionKey::from_text(key)))
        );
        assert_eq!(parse("u:42"), Some(Stale::User(UserId(42))));
        assert_eq!(parse("u:x"), None);
        assert_eq!(parse("s:short"), None);
        assert_eq!(parse("other"), None);
    }
}
