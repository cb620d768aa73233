//! Message catalogs: every text a person reads on a page or in a mail comes from a Fluent
//! catalog (`locales/<tag>.ftl`), never from a Rust string. The shipped catalogs are embedded;
//! an operator overrides single messages, or adds a language, with
//! `<portal.templates_dir>/locales/<tag>.ftl` (read at start, like templates; pages read them
//! again on a configuration reload, mails keep what they read at start).
//!
//! Code names a text by its key, as a [`Msg`] (key plus arguments), and the page or mail that
//! shows it renders the key in the reader's language. A key missing from a language falls back
//! to the default language, then to English, so an operator's partial catalog never shows an
//! empty line; the shipped catalogs are complete (a test compares every key against English
//! and against the keys the templates and the code use).

mod msg;
mod negotiate;
mod template;

use std::path::Path;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use msg::{Arg, Msg};
pub use negotiate::preferred;
pub use template::install;

/// The languages shipped in the binary, each complete.
pub const SHIPPED: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.ftl")),
    ("de", include_str!("../../locales/de.ftl")),
    ("fr", include_str!("../../locales/fr.ftl")),
    ("es", include_str!("../../locales/es.ftl")),
    ("nl", include_str!("../../locales/nl.ftl")),
    ("pt", include_str!("../../locales/pt.ftl")),
];

/// The reference catalog: every key exists here.
const REFERENCE: &str = "en";

/// One of the configured languages (an index into [`Catalogs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(usize);

struct Language {
    tag: String,
    bundle: FluentBundle<FluentResource>,
}

/// The configured languages' catalogs, loaded once at start.
pub struct Catalogs {
    languages: Vec<Language>,
    default: Lang,
    /// English, the last fallback (always loaded, configured or not).
    reference: Language,
    /// The picker's entries (tag, the language's own name), written once at load.
    choices: Vec<(String, String)>,
}

impl std::fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tags: Vec<&str> = self.languages.iter().map(|l| l.tag.as_str()).collect();
        f.debug_struct("Catalogs")
            .field("languages", &tags)
            .finish()
    }
}

impl Catalogs {
    /// Loads `languages` (tags; the first match of `default` is the default), each from its
    /// shipped catalog overlaid with `<override_dir>/locales/<tag>.ftl` when that file exists.
    /// Every problem is returned, not only the first.
    pub fn load(
        languages: &[String],
        default: &str,
        override_dir: Option<&Path>,
    ) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut loaded = Vec::new();
        for tag in languages {
            match language(tag, override_dir) {
                Ok(l) => loaded.push(l),
                Err(mut e) => problems.append(&mut e),
            }
        }
        let default_at = loaded.iter().position(|l| l.tag == default);
        if default_at.is_none() && problems.is_empty() {
            problems.push(format!(
                "the default language {default:?} (portal.default_language) is not one of them"
            ));
        }
        let reference = language(REFERENCE, override_dir);
        match (default_at, reference) {
            (Some(d), Ok(reference)) if problems.is_empty() => {
                let mut catalogs = Self {
                    languages: loaded,
                    default: Lang(d),
                    reference,
                    choices: Vec::new(),
                };
                catalogs.choices = (0..catalogs.languages.len())
                    .map(|i| {
                        let name = catalogs.text(Lang(i), &Msg::new("language-name"));
                        (catalogs.languages[i].tag.clone(), name)
                    })
                    .collect();
                Ok(catalogs)
            }
            (_, Err(mut e)) => {
                problems.append(&mut e);
                problems.dedup();
                Err(problems)
            }
            _ => Err(problems),
        }
    }

    /// Every shipped language, English the default (tests and tools).
    pub fn shipped() -> Result<Self, Vec<String>> {
        let tags: Vec<String> = SHIPPED.iter().map(|(t, _)| (*t).to_owned()).collect();
        Self::load(&tags, REFERENCE, None)
    }

    /// The default language.
    pub fn default_lang(&self) -> Lang {
        self.default
    }

    /// The language for a reader who named `wanted` (tags, most wanted first), else the
    /// default.
    pub fn choose<'a>(&self, wanted: impl IntoIterator<Item = &'a str>) -> Lang {
        let tags: Vec<&str> = self.languages.iter().map(|l| l.tag.as_str()).collect();
        negotiate::best(&tags, wanted).map_or(self.default, Lang)
    }

    /// The language whose tag is exactly `tag`, if configured.
    pub fn by_tag(&self, tag: &str) -> Option<Lang> {
        self.languages.iter().position(|l| l.tag == tag).map(Lang)
    }

    /// The language's tag (for `<html lang>` and the picker).
    pub fn tag(&self, lang: Lang) -> &str {
        &self.languages[lang.0].tag
    }

    /// Every configured language: its tag and its own name for itself ("Deutsch").
    pub fn choices(&self) -> &[(String, String)] {
        &self.choices
    }

    /// `msg` in `lang`; a key the language lacks comes from the default language, then from
    /// English, then shows as the key itself (an operator's typo stays visible, never empty).
    pub fn text(&self, lang: Lang, msg: &Msg) -> String {
        let chain = [
            &self.languages[lang.0],
            &self.languages[self.default.0],
            &self.reference,
        ];
        for l in chain {
            if let Some(text) = self.format(lang, &l.bundle, msg) {
                return text;
            }
        }
        tracing::warn!(key = msg.key(), "message missing from every catalog");
        msg.key().to_owned()
    }

    /// The text of `key` in the language `tag` alone, without fallback (tests).
    #[cfg(test)]
    fn text_in(&self, tag: &str, key: &str) -> Option<String> {
        let l = self.languages.iter().find(|l| l.tag == tag)?;
        let msg = Msg::named(key.to_owned());
        self.format(self.default, &l.bundle, &msg)
    }

    fn format(
        &self,
        lang: Lang,
        bundle: &FluentBundle<FluentResource>,
        msg: &Msg,
    ) -> Option<String> {
        let pattern = bundle.get_message(msg.key())?.value()?;
        let mut args = FluentArgs::new();
        for (name, value) in msg.args() {
            let value = match value {
                Arg::Text(s) => FluentValue::from(s.clone()),
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Msg(inner) => FluentValue::from(self.text(lang, inner)),
            };
            args.set(name.clone(), value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key = msg.key(), errors = ?errors, "message formatted with errors");
        }
        Some(text.into_owned())
    }
}

/// One language: the shipped catalog (when there is one) overlaid with the operator's file.
/// A length of time in words of the catalog, rounded up to whole minutes; whole hours and
/// (from two days) whole days are said so: "15 minutes", "1 hour", "36 hours", "3 days".
pub fn span(secs: i64) -> Msg {
    let minutes = (secs.max(1) + 59) / 60;
    let (key, n) = match minutes {
        m if m < 60 || m % 60 != 0 => ("span-minutes", m),
        m if m >= 2 * 1440 && m % 1440 == 0 => ("span-days", m / 1440),
        m => ("span-hours", m / 60),
    };
    Msg::new(key).with("n", n)
}

/// A wait in words ("Try again in …"): seconds under 90, minutes under 90, else hours, each
/// rounded up.
pub fn wait(secs: i64) -> Msg {
    match secs.max(1) {
        s if s < 90 => Msg::new("span-seconds").with("n", s),
        s if s < 5400 => Msg::new("span-minutes").with("n", (s + 59) / 60),
        s => Msg::new("span-hours").with("n", (s + 3599) / 3600),
    }
}

fn language(tag: &str, override_dir: Option<&Path>) -> Result<Language, Vec<String>> {
    let id: LanguageIdentifier = tag.parse().map_err(|_| {
        vec![format!(
            "{tag:?} is not a language tag (like \"de\" or \"pt-BR\")"
        )]
    })?;
    let shipped = SHIPPED.iter().find(|(t, _)| *t == tag).map(|(_, s)| *s);
    let own = override_dir
        .map(|d| d.join("locales").join(format!("{tag}.ftl")))
        .filter(|p| p.is_file());
    if shipped.is_none() && own.is_none() {
        return Err(vec![format!(
            "no catalog for {tag:?}: add one as <portal.templates_dir>/locales/{tag}.ftl (shipped: {})",
            SHIPPED
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", ")
        )]);
    }
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Pages and mails are left-to-right; the isolation marks Fluent puts around arguments by
    // default would show up as stray characters in mail subjects and plain text.
    bundle.set_use_isolating(false);
    let mut problems = Vec::new();
    if let Some(source) = shipped {
        add(
            &mut bundle,
            source.to_owned(),
            &format!("locales/{tag}.ftl"),
            false,
            &mut problems,
        );
    }
    if let Some(path) = own {
        match std::fs::read_to_string(&path) {
            Ok(source) => add(
                &mut bundle,
                source,
                &path.display().to_string(),
                true,
                &mut problems,
            ),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    if problems.is_empty() {
        Ok(Language {
            tag: tag.to_owned(),
            bundle,
        })
    } else {
        Err(problems)
    }
}

fn add(
    bundle: &mut FluentBundle<FluentResource>,
    source: String,
    name: &str,
    overriding: bool,
    problems: &mut Vec<String>,
) {
    let resource = match FluentResource::try_new(source) {
        Ok(r) => r,
        Err((_, errors)) => {
            for e in errors {
                problems.push(format!("{name}: {e}"));
            }
            return;
        }
    };
    if overriding {
        bundle.add_resource_overriding(resource);
    } else if let Err(errors) = bundle.add_resource(resource) {
        for e in errors {
            problems.push(format!("{name}: {e}"));
        }
    }
}

#[cfg(test)]
mod tests;
