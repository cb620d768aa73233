//! The end-to-end test binary: tests that drive programs outside the test process — the real
//! `gatehouse` binary (`serve` and the CLI), nginx and Caddy with the shipped examples,
//! headless Chromium through chromedriver, a real SMTP server (aiosmtpd) and an h2c upstream
//! (hypercorn). `scripts/test.sh` installs them and starts Redis. The in-process tests are in
//! `tests/it/`; the helpers both use are in `tests/common/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/admin_util.rs"]
mod admin_util;
#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/mail_text.rs"]
mod mail_text;
#[path = "../common/oath.rs"]
mod oath;
#[path = "../common/raw_http.rs"]
mod raw_http;
#[path = "../common/reset_util.rs"]
mod reset_util;
#[path = "../common/session_util.rs"]
mod session_util;
#[path = "../common/totp_util.rs"]
mod totp_util;

mod axe;
mod cluster;
mod smtp;
mod webdriver;

mod accessibility;
mod binary;
mod branding;
mod browser;
mod connections;
mod crash;
mod credentials;
mod edge_cookies;
mod edge_files;
mod edge_logs;
mod edge_upgrade;
mod error_sources;
mod instances;
mod languages;
mod mail;
mod newcomer;
mod passkeys_browser;
mod passwords;
mod proxies;
mod release_build;
mod reload;
mod session_list;
mod step_up_mail;
mod two_factor_policy;
mod user_fields;
