//! The catalogs are complete: every shipped language has exactly the keys of English, uses
//! only the arguments English gives it, and every key the templates and the code name exists
//! (and every English key is used somewhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::parser;

use super::{Catalogs, Lang, Msg, SHIPPED, negotiate};

/// The prefixes every catalog key starts with: a string literal in the code that starts with
/// one of them and has the shape of a key is a key, and must be in the catalog.
const PREFIXES: &[&str] = &[
    "language-",
    "passkey-",
    "frame-",
    "common-",
    "span-",
    "login-",
    "code-",
    "home-",
    "logout-",
    "signed-out-",
    "account-",
    "reauth-",
    "enroll-",
    "codes-",
    "password-",
    "forgot-",
    "reset-",
    "sessions-",
    "admin-",
    "error-",
    "bad-request-",
    "rule-",
    "mail-",
];

/// Each message's variables (`$name`), by key.
fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = parser::parse(source).unwrap_or_else(|(_, errors)| panic!("{errors:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        if let Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_vars(p, &mut vars);
            }
            out.insert(m.id.name.to_owned(), vars);
        }
    }
    out
}

fn pattern_vars(p: &Pattern<&str>, vars: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
        Expression::Inline(i) => inline_vars(i, vars),
    }
}

fn inline_vars(i: &InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

fn english() -> BTreeMap<String, BTreeSet<String>> {
    messages(SHIPPED[0].1)
}

#[test]
fn every_shipped_catalog_has_exactly_the_english_keys_and_arguments() {
    let en = english();
    let shipped = Catalogs::shipped().expect("shipped catalogs load");
    let mut problems = Vec::new();
    for (tag, source) in &SHIPPED[1..] {
        let other = messages(source);
        for (key, vars) in &en {
            match other.get(key) {
                None => problems.push(format!("{tag}: missing {key}")),
                Some(v) if !v.is_subset(vars) => {
                    problems.push(format!("{tag}: {key} uses {v:?}, English gives {vars:?}"))
                }
                _ => {}
            }
        }
        for key in other.keys().filter(|k| !en.contains_key(*k)) {
            problems.push(format!("{tag}: {key} is not an English key"));
        }
        // A catalog left in English is not a translation.
        let same = en
            .keys()
            .filter(|k| shipped.text_in(tag, k) == shipped.text_in("en", k))
            .count();
        if same * 4 > en.len() {
            problems.push(format!(
                "{tag}: {same} of {} messages read as in English",
                en.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `t("key")` of the templates, and every key-shaped literal in the code.
fn used_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    let t_call = regex::Regex::new(r#"\bt\("([a-z0-9-]+)""#).expect("regex");
    let literal = regex::Regex::new(r#""([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#).expect("regex");
    let mut files = Vec::new();
    collect(&root.join("templates"), &mut files);
    // The CLI speaks English and names its commands like keys ("reset-2fa"): not scanned.
    collect(&root.join("src"), &mut files);
    files.retain(|f| !f.starts_with(root.join("src/cli")));
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let is_code = file.extension().is_some_and(|e| e == "rs");
        let re = if is_code { &literal } else { &t_call };
        for c in re.captures_iter(&text) {
            let key = &c[1];
            if !is_code || PREFIXES.iter().any(|p| key.starts_with(p)) {
                used.insert(key.to_owned());
            }
        }
    }
    used
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "html" || e == "txt")
        {
            // This file names keys only as examples.
            if !path.ends_with("i18n/tests.rs") {
                out.push(path);
            }
        }
    }
}

#[test]
fn every_key_the_templates_and_code_use_exists_and_every_english_key_is_used() {
    let en = english();
    let used = used_keys();
    let missing: Vec<&String> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys used but not in locales/en.ftl: {missing:?}"
    );
    let unused: Vec<&String> = en.keys().filter(|k| !used.contains(*k)).collect();
    assert!(
        unused.is_empty(),
        "keys in locales/en.ftl that nothing uses: {unused:?}"
    );
}

#[test]
fn arguments_and_plurals_render() {
    let c = Catalogs::shipped().expect("shipped catalogs load");
    let en = c.by_tag("en").expect("en");
    let m = Msg::new("account-codes-unused").with("left", 1u64);
    assert_eq!(c.text(en, &m), "unused recovery code.");
    let m = Msg::new("admin-delete-warning")
        .with("username", "bob")
        .with("sessions", 0u64);
    assert!(
        c.text(en, &m).contains("any session of theirs ends"),
        "{}",
        c.text(en, &m)
    );
    let m = Msg::new("common-too-many-attempts").with("wait", super::wait(600));
    assert_eq!(
        c.text(en, &m),
        "Too many failed attempts. Try again in 10 minutes."
    );
    for (secs, words) in [
        (900, "15 minutes"),
        (61, "2 minutes"),
        (30, "1 minute"),
        (3600, "1 hour"),
        (86_400, "24 hours"),
        (5400, "90 minutes"),
        (3 * 86_400, "3 days"),
        (36 * 3600, "36 hours"),
    ] {
        assert_eq!(c.text(en, &super::span(secs)), words, "{secs}");
    }
    assert_eq!(c.text(en, &super::wait(45)), "45 seconds");
    assert_eq!(c.text(en, &super::wait(7200)), "2 hours");
    // Unknown keys show as themselves, never as nothing.
    assert_eq!(c.text(en, &Msg::new("no-such-key")), "no-such-key");
}

#[test]
fn a_language_is_chosen_by_tag_then_primary_language_else_the_default() {
    let c = Catalogs::shipped().expect("shipped catalogs load");
    let tag = |l: Lang| c.tag(l).to_owned();
    assert_eq!(tag(c.choose(negotiate::preferred("de-CH, fr;q=0.5"))), "de");
    assert_eq!(tag(c.choose(negotiate::preferred("ja, pt-BR;q=0.9"))), "pt");
    assert_eq!(tag(c.choose(negotiate::preferred("ja"))), "en");
}

#[test]
fn an_operator_catalog_overrides_one_message_and_a_broken_one_is_refused() {
    let dir = std::env::temp_dir().join(format!("gh-i18n-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("locales")).expect("dir");
    std::fs::write(dir.join("locales/de.ftl"), "login-title = Willkommen\n").expect("write");
    let langs = ["en".to_owned(), "de".to_owned()];
    let c = Catalogs::load(&langs, "en", Some(&dir)).expect("loads");
    let de = c.by_tag("de").expect("de");
    assert_eq!(c.text(de, &Msg::new("login-title")), "Willkommen");
    // Everything else still comes from the shipped German catalog.
    assert_eq!(c.text(de, &Msg::new("language-name")), "Deutsch");
    std::fs::write(dir.join("locales/de.ftl"), "login-title = { $\n").expect("write");
    let problems = Catalogs::load(&langs, "en", Some(&dir)).expect_err("refused");
    assert!(
        problems.iter().any(|p| p.contains("de.ftl")),
        "{problems:?}"
    );
    let problems = Catalogs::load(&["xx".to_owned()], "xx", None).expect_err("refused");
    assert!(problems[0].contains("no catalog"), "{problems:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
