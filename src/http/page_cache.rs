//! Rendered pages kept for reuse, so that a page asked for again costs a copy rather than a
//! template run.
//!
//! A portal page is a pure function of its context (templates read no clock and no
//! randomness, and `t(...)` reads the language from the context), except for the values that
//! are unique to one response: the CSRF token and the request id. Those are rendered as
//! placeholders, so what is kept is the page cut at them, and each answer fills the cuts with
//! its own values. The login page, which sign-in storms ask for hundreds of times a second,
//! then costs about an eighth of what its rendering did (bench/storm.md).
//!
//! What keeps this exact:
//! - The key is the whole context but the two unique values (their presence is in it), as
//!   serialized bytes compared in full, never a hash.
//! - The placeholders carry a 128-bit marker drawn at start, so no text a client sends (a
//!   username, a return address) can pass for one.
//! - A page is kept only after the cut page, filled with the real values, was checked equal to
//!   a real render of the same context. A template that transforms a unique value (an
//!   operator's override could print `csrf|upper`) fails that check, and its page is marked
//!   never to keep: it renders every time, as before.
//! - A unique value that an escaper would change (anything beyond `A-Z a-z 0-9 - _`) is never
//!   filled in: that answer renders in full.
//!
//! What bounds it: a context is kept on its second sight only (one seen only once costs a
//! key's bytes), keys longer than [`MAX_KEY`] are not kept, and everything kept is dropped at
//! once when [`BUDGET`] bytes would be exceeded. A client sending endless distinct contexts
//! (return addresses) therefore costs one render each, as without this cache, plus, when it
//! repeats each one exactly once, a second render: at most twice that, and the memory stays
//! bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::secret::fill_random;

/// Bytes of keys and kept pages held at most (about a hundred login pages).
pub(crate) const BUDGET: usize = 1 << 20;
/// A context longer than this (serialized) is rendered every time.
pub(crate) const MAX_KEY: usize = 4096;
/// What an entry costs beyond its key and page bytes (map slot, allocation headers).
const ENTRY_OVERHEAD: usize = 64;

/// The values unique to one answer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Unique<'a> {
    /// The CSRF token of a page holding forms.
    pub csrf: Option<&'a str>,
    /// The request id an error page shows.
    pub request_id: Option<&'a str>,
}

/// Which unique value a cut stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Csrf,
    RequestId,
}

impl Slot {
    /// The letter after the marker in a placeholder.
    const fn tag(self) -> char {
        match self {
            Self::Csrf => 'c',
            Self::RequestId => 'r',
        }
    }

    fn value<'a>(self, unique: &Unique<'a>) -> Option<&'a str> {
        match self {
            Self::Csrf => unique.csrf,
            Self::RequestId => unique.request_id,
        }
    }
}

/// Whether `value` reads the same through any escaper, so it can fill a cut as is.
fn plain(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A page cut at its unique values.
#[derive(Debug)]
struct Cut {
    text: String,
    /// The page is `text[..at0] value0 text[at0..at1] value1 …`.
    cuts: Vec<(usize, Slot)>,
}

impl Cut {
    /// Cuts `page` (rendered with placeholders) at every placeholder; `None` if a marker is
    /// followed by no known slot (then the page is not kept).
    fn new(page: &str, marker: &str) -> Option<Self> {
        let mut text = String::with_capacity(page.len());
        let mut cuts = Vec::new();
        let mut rest = page;
        while let Some(i) = rest.find(marker) {
            text.push_str(&rest[..i]);
            let after = &rest[i + marker.len()..];
            let slot = [Slot::Csrf, Slot::RequestId]
                .into_iter()
                .find(|slot| after.starts_with(slot.tag()))?;
            cuts.push((text.len(), slot));
            rest = &after[1..];
        }
        text.push_str(rest);
        Some(Self { text, cuts })
    }

    /// The page with `unique`'s values in its cuts; `None` when a cut's value is missing.
    fn fill(&self, unique: &Unique<'_>) -> Option<String> {
        let mut extra = 0;
        for &(_, slot) in &self.cuts {
            extra += slot.value(unique)?.len();
        }
        let mut out = String::with_capacity(self.text.len() + extra);
        let mut from = 0;
        for &(at, slot) in &self.cuts {
            out.push_str(&self.text[from..at]);
            out.push_str(slot.value(unique)?);
            from = at;
        }
        out.push_str(&self.text[from..]);
        Some(out)
    }

    fn bytes(&self) -> usize {
        self.text.len() + self.cuts.len() * std::mem::size_of::<(usize, Slot)>()
    }
}

enum Entry {
    /// Asked for once: kept on the next sight.
    Seen,
    Page(Arc<Cut>),
    /// Its template changed a unique value: rendered every time.
    Never,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Box<[u8]>, Entry>,
    bytes: usize,
}

impl Inner {
    fn put(&mut self, key: &[u8], entry: Entry) {
        let cost = key.len()
            + ENTRY_OVERHEAD
            + match &entry {
                Entry::Page(cut) => cut.bytes(),
                Entry::Seen | Entry::Never => 0,
            };
        let old = self.entries.get(key).map(|e| match e {
            Entry::Page(cut) => key.len() + ENTRY_OVERHEAD + cut.bytes(),
            Entry::Seen | Entry::Never => key.len() + ENTRY_OVERHEAD,
        });
        self.bytes -= old.unwrap_or(0);
        if self.bytes + cost > BUDGET {
            self.entries.clear();
            self.bytes = 0;
        }
        self.bytes += cost;
        self.entries.insert(key.into(), entry);
    }
}

/// The kept pages of one set of templates (see the module doc).
pub(crate) struct PageCache {
    /// `ghcut` and 32 random hex digits: letters and digits, which every escaper leaves as is.
    marker: String,
    csrf: String,
    request_id: String,
    inner: Mutex<Inner>,
}

impl PageCache {
    /// An empty cache with a fresh marker.
    pub(crate) fn new() -> Self {
        let mut random = [0u8; 16];
        fill_random(&mut random);
        let marker: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let marker = format!("ghcut{marker}");
        Self {
            csrf: format!("{marker}{}", Slot::Csrf.tag()),
            request_id: format!("{marker}{}", Slot::RequestId.tag()),
            marker,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The placeholders, in the shape of the values they stand for.
    pub(crate) fn placeholders(&self, unique: &Unique<'_>) -> Unique<'_> {
        Unique {
            csrf: unique.csrf.map(|_| self.csrf.as_str()),
            request_id: unique.request_id.map(|_| self.request_id.as_str()),
        }
    }

    /// The page for `key` (the context but its unique values, see [`Self::placeholders`])
    /// filled with `unique`; `render` renders the context with the unique values it is given.
    pub(crate) fn page<E>(
        &self,
        key: &[u8],
        unique: &Unique<'_>,
        render: impl Fn(&Unique<'_>) -> Result<String, E>,
    ) -> Result<String, E> {
        let plain_values = [unique.csrf, unique.request_id]
            .into_iter()
            .flatten()
            .all(plain);
        if key.len() > MAX_KEY || !plain_values {
            return render(unique);
        }
        let found = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            match inner.entries.get(key) {
                Some(Entry::Page(cut)) => Some(Some(cut.clone())),
                Some(Entry::Seen) => Some(None),
                Some(Entry::Never) => None,
                None => {
                    inner.put(key, Entry::Seen);
                    None
                }
            }
        };
        match found {
            Some(Some(cut)) => match cut.fill(unique) {
                Some(page) => Ok(page),
                None => render(unique),
            },
            // First sight, or never kept.
            None => render(unique),
            // Second sight: cut a page, and keep it if it fills to the real render.
            Some(None) => {
                let real = render(unique)?;
                let entry = match render(&self.placeholders(unique))
                    .ok()
                    .and_then(|page| Cut::new(&page, &self.marker))
                {
                    Some(cut) if cut.fill(unique).as_deref() == Some(real.as_str()) => {
                        Entry::Page(Arc::new(cut))
                    }
                    _ => Entry::Never,
                };
                self.inner
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .put(key, entry);
                Ok(real)
            }
        }
    }

    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let pages = inner
            .entries
            .values()
            .filter(|e| matches!(e, Entry::Page(_)))
            .count();
        (pages, inner.bytes)
    }
}

#[cfg(test)]
#[path = "page_cache_tests.rs"]
mod tests;
