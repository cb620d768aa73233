//! The service tier: the real use cases (`compose::services`) over the in-memory session and
//! throttle stores and a fresh SQLite user database, on a `ManualClock`. No HTTP, no Redis, no
//! sleeping: time moves only when a test advances the clock, so every time-dependent rule is
//! checked on both sides of its boundary, to the second. The whole target runs in seconds.
//!
//! The HTTP edge that reads the clock and maps these results to pages is tested in `tests/it/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mail_text.rs"]
mod mail_text;
#[path = "../common/oath.rs"]
mod oath;

mod kit;

mod resets;
mod sessions;
mod step_up;
mod temporary;
mod throttle;
mod totp;
mod writes;
