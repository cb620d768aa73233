//! Durations in the config: `90`, `30s`, `10m`, `12h`, `7d`.

/// Parses a duration into seconds; `None` when it is not one of the documented forms.
pub fn parse_secs(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::parse_secs;

    #[test]
    fn forms() {
        assert_eq!(parse_secs("90"), Some(90));
        assert_eq!(parse_secs("30s"), Some(30));
        assert_eq!(parse_secs("10m"), Some(600));
        assert_eq!(parse_secs("12h"), Some(43_200));
        assert_eq!(parse_secs("7d"), Some(604_800));
        for bad in ["", "m", "1x", "-1s", "1.5h", "10 m"] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }
}
