//! The integration test binary: every test spawns its own gateway in process on a port-0
//! listener with a fresh SQLite file (or its own PostgreSQL database when
//! `GATEHOUSE_TEST_USER_STORE=postgres`, see `tests/common/user_store.rs`), an echo upstream,
//! and (for Redis tests) a unique key prefix on the real `redis-server` that `scripts/test.sh`
//! started. Tests that drive outside
//! programs (the gateway binary, nginx, Caddy, Chromium, the SMTP server, hypercorn) are in the
//! end-to-end target (`tests/e2e/`); the shared helpers are in `tests/common/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/admin_util.rs"]
mod admin_util;
#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/mail_text.rs"]
mod mail_text;
#[path = "../common/oath.rs"]
mod oath;
#[path = "../common/passkey_util.rs"]
mod passkey_util;
#[path = "../common/raw_http.rs"]
mod raw_http;
#[path = "../common/reset_util.rs"]
mod reset_util;
#[path = "../common/session_util.rs"]
mod session_util;
#[path = "../common/sign_in_storm.rs"]
mod sign_in_storm;
#[path = "../common/totp_util.rs"]
mod totp_util;

mod admin;
mod admin_actions;
mod admin_edit;
mod admin_rights;
mod branding;
mod code_guessing;
mod config;
mod connections;
mod credentials;
mod crypto_stack;
mod edge_cookies;
mod edge_forward_auth;
mod edge_rules;
mod edge_upgrade;
mod form_expired;
mod forward_auth;
mod hash_pool;
mod headers;
mod health;
mod home;
mod languages;
mod login;
mod mail;
mod metrics;
mod outage_redis;
mod outage_sql;
mod parking;
mod passkey_policy;
mod passkeys;
mod passwords;
mod protocol;
mod redis_cluster;
mod redis_layout;
mod redis_sentinel;
mod redis_sentinel_config;
mod redis_tls;
mod rules;
mod session_cache;
mod session_list;
mod sessions;
mod shared_throttle;
mod shutdown;
mod sign_out;
mod step_up_resume;
mod store_migrate;
mod throttle;
mod two_factor;
mod two_factor_policy;
mod upstream_framing;
mod user_store;
