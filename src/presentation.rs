//! Presentation shared by portal pages and CLI listings: device labels, and dates (UTC, from
//! Unix seconds, no clock reads; the calendar text lives in `domain::calendar`, which mail
//! uses too).

/// A short label for a device from its user agent: in English ([`describe`], the one the
/// service stores and the CLI lists), or as a catalog message for pages ([`label`], and
/// [`stored_label`] for a label stored earlier).
pub use crate::service::devices::{describe, label, stored_label};

pub use crate::domain::calendar::{date, datetime, rfc3339};
