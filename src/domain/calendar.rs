//! Calendar text of Unix times (UTC; no clock reads, the calendar is the `time` crate's), for
//! pages, CLI listings and mail alike.

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The instant of a Unix time; times outside what a calendar can show (past year 9999) show
/// as the epoch rather than failing a page.
fn at(ts: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn show(ts: i64, format: &[BorrowedFormatItem<'_>]) -> String {
    at(ts).format(format).unwrap_or_default()
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn date(ts: i64) -> String {
    show(ts, format_description!("[year]-[month]-[day]"))
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix time.
pub fn datetime(ts: i64) -> String {
    show(
        ts,
        format_description!("[year]-[month]-[day] [hour]:[minute] UTC"),
    )
}

/// RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`) of a Unix time, for `<time datetime>`.
pub fn rfc3339(ts: i64) -> String {
    show(
        ts,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
}

/// A length of time in words, rounded up to whole minutes or hours: "15 minutes", "1 hour",
/// "24 hours".
pub fn span(secs: i64) -> String {
    let minutes = (secs.max(1) + 59) / 60;
    match minutes {
        1 => "1 minute".to_owned(),
        m if m < 60 || m % 60 != 0 => format!("{m} minutes"),
        60 => "1 hour".to_owned(),
        m if m >= 2 * 1440 && m % 1440 == 0 => format!("{} days", m / 1440),
        m => format!("{} hours", m / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::{date, datetime, rfc3339, span};

    #[test]
    fn spans() {
        assert_eq!(span(900), "15 minutes");
        assert_eq!(span(61), "2 minutes");
        assert_eq!(span(30), "1 minute");
        assert_eq!(span(3600), "1 hour");
        assert_eq!(span(86_400), "24 hours");
        assert_eq!(span(5400), "90 minutes");
        assert_eq!(span(3 * 86_400), "3 days");
        assert_eq!(span(36 * 3600), "36 hours");
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_796_083_200), "2026-12-01");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn datetimes() {
        assert_eq!(datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            datetime(951_782_400 + 13 * 3600 + 7 * 60 + 59),
            "2000-02-29 13:07 UTC"
        );
        assert_eq!(datetime(-60), "1969-12-31 23:59 UTC");
        assert_eq!(rfc3339(951_782_400 + 3599), "2000-02-29T00:59:59Z");
    }
}
