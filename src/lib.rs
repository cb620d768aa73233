//! Gatehouse: a reverse-proxy authentication gateway.
//!
//! Layers (docs/architecture.md): `domain` (pure rules) ← `store` (traits + backends) ← `service`
//! (use cases) ← `web` / `proxy` / `gateway` (HTTP) ← `app` / `server` (composition) ← `cli`.

pub mod app;
pub mod audit;
pub mod authz;
pub mod cli;
pub mod config;
pub mod conn_limits;
pub mod domain;
pub mod forward_auth;
pub mod gateway;
pub mod mail;
pub mod proxy;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod web;
