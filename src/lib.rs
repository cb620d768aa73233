//! Gatehouse: a reverse-proxy authentication gateway.
//!
//! Layers (docs/architecture.md), top to bottom; a module imports only modules below it
//! (scripts/check-layers.py): `cli` → `compose` (composition root) → `server` (accept loop,
//! TLS, `conn_limits`) → `http` (the edge) → `presentation` → `service` (use cases) → `mail` →
//! `store` (traits + backends) → `config` → `domain` (pure rules); `audit`, `templates`,
//! `metrics` and `telemetry` are leaf utilities.

pub mod audit;
pub mod cli;
pub mod clock;
pub mod compose;
pub mod config;
pub mod conn_limits;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod log_throttle;
pub mod mail;
pub mod metrics;
pub mod presentation;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod templates;
