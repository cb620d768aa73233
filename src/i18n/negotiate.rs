//! Choosing a language from what the reader asked for: an `Accept-Language` header read with
//! its weights (RFC 9110 §12.5.4), matched against the configured tags exactly first, then by
//! the primary language ("de-AT" is served "de", "pt" is served "pt-BR" when only that exists).

/// At most this many entries of a header are read: a long header costs nothing more.
const MAX_ENTRIES: usize = 16;

/// The tags of an `Accept-Language` value, most wanted first; entries with `q=0` (not
/// acceptable), `*`, and malformed entries are left out.
pub fn preferred(header: &str) -> Vec<&str> {
    let mut entries: Vec<(&str, u16, usize)> = header
        .split(',')
        .take(MAX_ENTRIES)
        .enumerate()
        .filter_map(|(i, entry)| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), quality)?;
            let plausible = !tag.is_empty()
                && tag.len() <= 35
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            (plausible && q > 0).then_some((tag, q, i))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    entries.into_iter().map(|(t, _, _)| t).collect()
}

/// A weight in thousandths, or `None` when it is not one.
fn quality(q: &str) -> Option<u16> {
    let v: f32 = q.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&v)
        .then(|| (v * 1000.0).round() as u16)
}

/// The index in `available` of the best match for `wanted` (most wanted first).
pub fn best<'a>(available: &[&str], wanted: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    for w in wanted {
        if let Some(i) = available.iter().position(|a| a.eq_ignore_ascii_case(w)) {
            return Some(i);
        }
        let wanted_primary = primary(w);
        if let Some(i) = available
            .iter()
            .position(|a| primary(a).eq_ignore_ascii_case(wanted_primary))
        {
            return Some(i);
        }
    }
    None
}

fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_order_the_tags_and_zero_means_no() {
        assert_eq!(
            preferred("fr;q=0.5, de-AT, en;q=0, nl;q=0.8, *;q=0.1"),
            ["de-AT", "nl", "fr"]
        );
        assert_eq!(preferred("de, fr"), ["de", "fr"]);
        assert!(preferred("").is_empty());
        assert!(preferred("<script>, x;q=abc").is_empty());
    }

    #[test]
    fn exact_tags_win_then_primary_languages() {
        let available = ["en", "de", "pt-BR"];
        assert_eq!(best(&available, ["de-AT"]), Some(1));
        assert_eq!(best(&available, ["pt"]), Some(2));
        assert_eq!(best(&available, ["ja", "PT-br"]), Some(2));
        assert_eq!(best(&available, ["ja"]), None);
    }
}
