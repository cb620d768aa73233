//! The integration test binary: every test spawns its own gateway on a port-0 listener with a
//! fresh SQLite file, an echo upstream, and (for Redis tests) a unique key prefix on the real
//! `redis-server` that `scripts/test.sh` started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;
mod smtp;
mod totp_util;
mod webdriver;

mod admin;
mod admin_actions;
mod admin_rights;
mod binary;
mod browser;
mod code_guessing;
mod config;
mod connections;
mod credentials;
mod crypto_stack;
mod edge_cookies;
mod edge_files;
mod edge_forward_auth;
mod edge_logs;
mod edge_rules;
mod edge_upgrade;
mod error_sources;
mod forward_auth;
mod hash_pool;
mod headers;
mod login;
mod mail;
mod passwords;
mod protocol;
mod proxies;
mod rules;
mod session_list;
mod sessions;
mod sign_out;
mod throttle;
mod two_factor;
mod two_factor_policy;
mod user_fields;
