//! Pure logic of the gateway: no I/O, no HTTP types, no storage, no clock reads.
//!
//! Every function that depends on time takes `now` (Unix seconds) as an argument so that
//! rules, expiry and lockout are testable with fixed times.

pub mod argon2_job;
pub mod argon2_memory;
pub mod argon2_steps;
pub mod branding;
pub mod calendar;
pub mod client_ip;
pub mod client_prefix;
pub mod device;
pub mod email;
pub mod host;
pub mod navigation;
pub mod passkey;
pub mod password;
pub mod path;
pub mod pending;
pub mod recovery;
pub mod redirect;
pub mod rules;
pub mod secret;
pub mod secretbox;
pub mod session;
pub mod session_key;
pub mod throttle;
pub mod throttle_key;
pub mod totp;
pub mod user;
