//! Prometheus metrics (docs/architecture.md#metrics): a fixed set of counters and histograms
//! built once at start, recorded through a [`Meter`] that every layer may hold.
//!
//! The request path records with a few relaxed atomic adds on handles resolved here, never
//! by label lookup: no allocation, no lock, no formatting, no hashing per request. With
//! metrics off a `Meter` is `None` and recording is one branch. This module knows nothing of
//! HTTP, stores or services; they name what happened with the enums below.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Which kind of request the gateway answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    Proxy = 0,
    ForwardAuth = 1,
    Portal = 2,
}

/// What the gateway made of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let through (proxy, forward-auth) or served (portal).
    Allow = 0,
    /// Sent to a portal page first: sign in, the code step, enrolment, a password change.
    Login = 1,
    /// Refused by the rules, or a client error.
    Deny = 2,
    /// The gateway failed: a store or an upstream did not answer.
    Error = 3,
}

/// Why an upstream gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamFailure {
    Timeout = 0,
    Unreachable = 1,
}

/// How a password step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in with the password alone (or a remembered device).
    Success = 0,
    /// The password was right; the second factor is still due.
    SecondFactor = 1,
    /// Wrong password, unknown or disabled account.
    Failed = 2,
    /// Refused by a ban or a full hashing pool, unchecked.
    Refused = 3,
    /// A store or the hashing failed.
    Error = 4,
}

/// How a second-factor attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactor {
    Success = 0,
    Failed = 1,
    /// Refused by a ban, unchecked.
    Refused = 2,
    /// A store or the sealed secret failed.
    Error = 3,
}

/// Which store a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sessions = 0,
    Users = 1,
}

const CLASSES: [&str; 3] = ["proxy", "forward_auth", "portal"];
const DECISIONS: [&str; 4] = ["allow", "login", "deny", "error"];
const UPSTREAM: [&str; 2] = ["timeout", "unreachable"];
const SIGN_INS: [&str; 5] = ["success", "second_factor", "failed", "refused", "error"];
const TWO_FACTOR: [&str; 4] = ["success", "failed", "refused", "error"];
const STORES: [&str; 2] = ["sessions", "users"];

/// Request latency buckets in seconds: a decision takes tens of microseconds, a proxied
/// request with its upstream up to the upstream timeout, a sign-in tens of milliseconds.
const REQUEST_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
/// Store call buckets: an in-process map answers in microseconds, Redis and SQL in fractions
/// of a millisecond to a few milliseconds.
const STORE_BUCKETS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0,
];

/// Every metric, resolved to its handle.
pub struct Metrics {
    registry: Registry,
    requests: [[IntCounter; 4]; 3],
    latency: [Histogram; 3],
    rejected: IntCounter,
    upstream: [IntCounter; 2],
    sign_ins: [IntCounter; 5],
    two_factor: [IntCounter; 4],
    bans: IntCounter,
    store_latency: [Histogram; 2],
    store_errors: [IntCounter; 2],
    active_sessions: IntGauge,
    hash_queue: IntGauge,
    connections_open: IntGauge,
    connections_parked: IntGauge,
}

/// Values read at scrape time rather than recorded as they change.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Sessions the session store holds, when it can count them cheaply.
    pub active_sessions: Option<u64>,
    /// Password-hashing jobs waiting for a permit.
    pub hash_queue: usize,
    /// Client connections open, and how many of them are parked (kept open with no HTTP
    /// state until their client sends again).
    pub connections_open: usize,
    pub connections_parked: usize,
}

fn counters<const N: usize>(
    registry: &Registry,
    name: &str,
    help: &str,
    label: &str,
    values: [&str; N],
) -> prometheus::Result<[IntCounter; N]> {
    let vec = IntCounterVec::new(Opts::new(name, help), &[label])?;
    registry.register(Box::new(vec.clone()))?;
    // Every label value exists from the start, so a scrape shows zeros rather than nothing.
    Ok(values.map(|v| vec.with_label_values(&[v])))
}

fn histograms<const N: usize>(
    registry: &Registry,
    name: &str,
    help: &str,
    label: &str,
    values: [&str; N],
    buckets: &[f64],
) -> prometheus::Result<[Histogram; N]> {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    let vec = prometheus::HistogramVec::new(opts, &[label])?;
    registry.register(Box::new(vec.clone()))?;
    Ok(values.map(|v| vec.with_label_values(&[v])))
}

impl Metrics {
    /// Registers every metric (once, at start).
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new_custom(Some("gatehouse".into()), None)?;
        let r = &registry;
        let by_class = IntCounterVec::new(
            Opts::new("requests_total", "Requests by route class and decision."),
            &["class", "decision"],
        )?;
        registry.register(Box::new(by_class.clone()))?;
        let requests = [0, 1, 2]
            .map(|c| [0, 1, 2, 3].map(|d| by_class.with_label_values(&[CLASSES[c], DECISIONS[d]])));
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let g = IntGauge::new(name, help)?;
            r.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let rejected = IntCounter::new(
            "requests_rejected_total",
            "Malformed requests refused before classification.",
        )?;
        registry.register(Box::new(rejected.clone()))?;
        let bans = IntCounter::new(
            "bans_total",
            "Bans started by the throttle (account or client address).",
        )?;
        registry.register(Box::new(bans.clone()))?;
        Ok(Self {
            requests,
            latency: histograms(
                r,
                "request_duration_seconds",
                "Time to the response head, by route class.",
                "class",
                CLASSES,
                REQUEST_BUCKETS,
            )?,
            rejected,
            upstream: counters(
                r,
                "upstream_errors_total",
                "Proxied requests whose upstream gave no answer.",
                "kind",
                UPSTREAM,
            )?,
            sign_ins: counters(
                r,
                "sign_ins_total",
                "Password steps by outcome.",
                "outcome",
                SIGN_INS,
            )?,
            two_factor: counters(
                r,
                "two_factor_total",
                "Second-factor attempts (TOTP or recovery code) by outcome.",
                "outcome",
                TWO_FACTOR,
            )?,
            bans,
            store_latency: histograms(
                r,
                "store_duration_seconds",
                "Store call latency, by store.",
                "store",
                STORES,
                STORE_BUCKETS,
            )?,
            store_errors: counters(
                r,
                "store_errors_total",
                "Store calls that failed, by store.",
                "store",
                STORES,
            )?,
            active_sessions: gauge(
                "active_sessions",
                "Sessions held by the session store (memory store only).",
            )?,
            hash_queue: gauge(
                "hash_queue_depth",
                "Password-hashing jobs waiting for a permit.",
            )?,
            connections_open: gauge("connections_open", "Client connections open.")?,
            connections_parked: gauge(
                "connections_parked",
                "Client connections at rest, held with no HTTP state until their client sends again.",
            )?,
            registry,
        })
    }

    /// The text exposition of every metric, with the scrape-time gauges set first.
    pub fn render(&self, gauges: Gauges) -> String {
        let set = |g: &IntGauge, n: usize| g.set(i64::try_from(n).unwrap_or(i64::MAX));
        set(&self.hash_queue, gauges.hash_queue);
        set(&self.connections_open, gauges.connections_open);
        set(&self.connections_parked, gauges.connections_parked);
        let mut families = self.registry.gather();
        match gauges.active_sessions {
            Some(n) => self
                .active_sessions
                .set(i64::try_from(n).unwrap_or(i64::MAX)),
            // A store that cannot count cheaply exports no number rather than a wrong one.
            None => families.retain(|f| f.name() != "gatehouse_active_sessions"),
        }
        let mut out = Vec::new();
        // Encoding our own well-formed families into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&families, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The handle every layer records through; cheap to clone, a no-op when metrics are off.
#[derive(Clone, Default)]
pub struct Meter(Option<Arc<Metrics>>);

impl Meter {
    /// Recording switched off: every call is one branch.
    pub fn off() -> Self {
        Self(None)
    }

    /// Recording into a fresh set of metrics.
    pub fn on() -> prometheus::Result<Self> {
        Metrics::new().map(|m| Self(Some(Arc::new(m))))
    }

    /// The metrics, when on.
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.0.as_ref()
    }

    /// Whether anything is recorded (callers skip reading the time when not).
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub fn request(&self, class: RouteClass, decision: Decision, took: Duration) {
        if let Some(m) = &self.0 {
            m.requests[class as usize][decision as usize].inc();
            m.latency[class as usize].observe(took.as_secs_f64());
        }
    }

    pub fn rejected(&self) {
        if let Some(m) = &self.0 {
            m.rejected.inc();
        }
    }

    pub fn upstream_failed(&self, kind: UpstreamFailure) {
        if let Some(m) = &self.0 {
            m.upstream[kind as usize].inc();
        }
    }

    pub fn sign_in(&self, outcome: SignIn) {
        if let Some(m) = &self.0 {
            m.sign_ins[outcome as usize].inc();
        }
    }

    pub fn two_factor(&self, outcome: TwoFactor) {
        if let Some(m) = &self.0 {
            m.two_factor[outcome as usize].inc();
        }
    }

    pub fn ban(&self) {
        if let Some(m) = &self.0 {
            m.bans.inc();
        }
    }

    pub fn store_call(&self, store: StoreKind, took: Duration, ok: bool) {
        if let Some(m) = &self.0 {
            m.store_latency[store as usize].observe(took.as_secs_f64());
            if !ok {
                m.store_errors[store as usize].inc();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_request_shows_in_the_text_with_its_labels() {
        let meter = Meter::on().unwrap();
        meter.request(
            RouteClass::ForwardAuth,
            Decision::Login,
            Duration::from_micros(30),
        );
        let text = meter.metrics().unwrap().render(Gauges::default());
        assert!(
            text.contains(
                "gatehouse_requests_total{class=\"forward_auth\",decision=\"login\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("gatehouse_requests_total{class=\"proxy\",decision=\"allow\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("gatehouse_request_duration_seconds_count{class=\"forward_auth\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("gatehouse_active_sessions"), "{text}");
    }

    #[test]
    fn an_off_meter_records_nothing_and_has_no_metrics() {
        let meter = Meter::off();
        meter.ban();
        assert!(meter.metrics().is_none());
    }
}
