use std::cell::Cell;

use super::*;

/// A stand-in template: prints both unique values, `shout` upper-cases the token (as an
/// operator's override might).
fn page(unique: &Unique<'_>, shout: bool) -> String {
    let csrf = unique.csrf.unwrap_or("-");
    let csrf = if shout {
        csrf.to_uppercase()
    } else {
        csrf.to_owned()
    };
    format!(
        "<form><input name=csrf value=\"{csrf}\"></form><p>{}</p><p>{csrf}</p>",
        unique.request_id.unwrap_or("-")
    )
}

fn ask(cache: &PageCache, key: &[u8], unique: &Unique<'_>, shout: bool) -> (String, usize) {
    let renders = Cell::new(0);
    let out = cache
        .page(key, unique, |u| {
            renders.set(renders.get() + 1);
            Ok::<_, ()>(page(u, shout))
        })
        .expect("renders");
    (out, renders.get())
}

fn token(n: u32) -> String {
    format!("tok-{n}_AbZ")
}

/// A page holding a form with token `t`, and no request id.
fn form_with(t: &str) -> Unique<'_> {
    Unique {
        csrf: Some(t),
        request_id: None,
    }
}

/// Asks for the page of `key` four times, each with a fresh token (and `request_id`): every
/// answer must be the page with its own values. Returns the renders each answer took.
fn four_answers(
    cache: &PageCache,
    key: &[u8],
    shout: bool,
    request_id: Option<&str>,
) -> Vec<usize> {
    (0..4)
        .map(|n| {
            let t = token(n);
            let unique = Unique {
                csrf: Some(&t),
                request_id,
            };
            let (out, r) = ask(cache, key, &unique, shout);
            assert_eq!(
                out,
                page(&unique, shout),
                "answer {n} is the page with its own token"
            );
            r
        })
        .collect()
}

#[test]
fn a_page_asked_for_again_is_filled_without_a_render_and_equals_a_fresh_render() {
    let cache = PageCache::new();
    let renders = four_answers(&cache, b"login|en|/", false, Some("req42"));
    // First sight renders once, the second twice (the check), then none.
    assert_eq!(renders, [1, 2, 0, 0]);
    assert_eq!(cache.kept().0, 1);
}

#[test]
fn another_context_is_another_page() {
    let cache = PageCache::new();
    let t = token(1);
    let unique = form_with(&t);
    for _ in 0..3 {
        ask(&cache, b"login|en|/", &unique, false);
    }
    let (_, r) = ask(&cache, b"login|de|/", &unique, false);
    assert_eq!(r, 1, "a key never seen renders");
}

#[test]
fn a_template_that_changes_a_unique_value_is_never_kept() {
    let cache = PageCache::new();
    let renders = four_answers(&cache, b"shouting", true, None);
    assert_eq!(renders, [1, 2, 1, 1]);
    assert_eq!(cache.kept().0, 0);
}

#[test]
fn a_value_an_escaper_would_change_is_rendered_in_full() {
    let cache = PageCache::new();
    for _ in 0..3 {
        let unique = Unique {
            csrf: Some("a\"><script>"),
            request_id: None,
        };
        let (out, r) = ask(&cache, b"odd", &unique, false);
        assert_eq!(out, page(&unique, false));
        assert_eq!(r, 1);
    }
    assert_eq!(cache.kept(), (0, 0), "nothing is kept for it");
}

#[test]
fn placeholders_carry_a_marker_drawn_per_cache() {
    let (a, b) = (PageCache::new(), PageCache::new());
    let unique = Unique {
        csrf: Some("x"),
        request_id: Some("y"),
    };
    let (pa, pb) = (a.placeholders(&unique), b.placeholders(&unique));
    assert_ne!(pa.csrf, pb.csrf);
    assert!(pa.csrf.is_some_and(|p| p.len() > 32 && plain(p)));
    // A page holding the other cache's placeholder (text a client sent) is not cut there.
    let foreign = pb.csrf.unwrap_or_default();
    let cut = Cut::new(&format!("<p>{foreign}</p>"), &a.marker).expect("cuts");
    assert!(cut.cuts.is_empty());
    // Absent values get no placeholder.
    assert_eq!(a.placeholders(&Unique::default()).csrf, None);
}

#[test]
fn what_is_kept_stays_within_the_budget_and_long_keys_are_not_kept() {
    let cache = PageCache::new();
    let big = "x".repeat(40_000);
    for n in 0..200u32 {
        let key = format!("page-{n}");
        for _ in 0..3 {
            cache
                .page(key.as_bytes(), &Unique::default(), |_| {
                    Ok::<_, ()>(big.clone())
                })
                .expect("renders");
        }
        assert!(
            cache.kept().1 <= BUDGET,
            "after page {n}: {:?}",
            cache.kept()
        );
    }
    assert!(cache.kept().0 > 0);
    let long = vec![b'k'; MAX_KEY + 1];
    for _ in 0..3 {
        let renders = Cell::new(0);
        cache
            .page(&long, &Unique::default(), |_| {
                renders.set(renders.get() + 1);
                Ok::<_, ()>(String::new())
            })
            .expect("renders");
        assert_eq!(renders.get(), 1);
    }
}
