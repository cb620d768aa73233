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

#[cfg(test)]
mod tests {
    use super::{date, datetime, rfc3339};

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
