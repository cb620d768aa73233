//! Presentation shared by portal pages and CLI listings: device labels, and dates (UTC, from
//! Unix seconds, no clock reads; the calendar text lives in `domain::calendar`, which mail
//! uses too).

/// A short label for a device from its user agent (the same one the service stores).
pub use crate::service::devices::describe;

pub use crate::domain::calendar::{date, datetime, rfc3339};
