//! Page rendering with minijinja: templates are embedded at build time, and any of them can
//! be replaced by a file of the same name in the operator's `portal.templates_dir`, so a
//! login page can be themed without rebuilding. Auto-escaping is on for every `.html` file.

use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;

use crate::http::page_cache::PageCache;
use crate::i18n::Catalogs;

use crate::templates::template_source;
use serde::Serialize;

/// Templates shipped in the binary.
const EMBEDDED: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("message.html", include_str!("../../templates/message.html")),
    ("code.html", include_str!("../../templates/code.html")),
    (
        "passkey_add.html",
        include_str!("../../templates/passkey_add.html"),
    ),
    ("reauth.html", include_str!("../../templates/reauth.html")),
    ("enroll.html", include_str!("../../templates/enroll.html")),
    (
        "recovery_codes.html",
        include_str!("../../templates/recovery_codes.html"),
    ),
    ("account.html", include_str!("../../templates/account.html")),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    ("forgot.html", include_str!("../../templates/forgot.html")),
    ("reset.html", include_str!("../../templates/reset.html")),
    (
        "sessions.html",
        include_str!("../../templates/sessions.html"),
    ),
    ("admin.html", include_str!("../../templates/admin.html")),
    (
        "admin_user.html",
        include_str!("../../templates/admin_user.html"),
    ),
    (
        "admin_new.html",
        include_str!("../../templates/admin_new.html"),
    ),
    (
        "admin_delete.html",
        include_str!("../../templates/admin_delete.html"),
    ),
    (
        "admin_password.html",
        include_str!("../../templates/admin_password.html"),
    ),
];

/// The copy-button script, served at `<portal>/static/copy.js`.
pub const COPY_JS: &str = include_str!("../../templates/static/copy.js");

/// The portal pages' script: password "Show" buttons and local times (pages work without it).
pub const UI_JS: &str = include_str!("../../templates/static/ui.js");
/// The browser half of the passkey ceremonies (docs/passkeys.md).
pub const PASSKEY_JS: &str = include_str!("../../templates/static/passkey.js");

/// The stylesheet, served at `<portal>/static/gatehouse.css`.
pub const CSS: &str = include_str!("../../templates/static/gatehouse.css");

/// Renders pages.
pub struct Pages {
    env: Environment<'static>,
    catalogs: Arc<Catalogs>,
    kept: PageCache,
}

impl Pages {
    /// Loads every template, preferring `override_dir/<name>` when it exists; their texts
    /// come from `catalogs` (`t(...)`).
    pub fn load(override_dir: Option<&Path>, catalogs: Arc<Catalogs>) -> Result<Self, String> {
        let mut env = Environment::new();
        crate::i18n::install(&mut env, catalogs.clone());
        // Strict in debug builds, so every test that renders a page checks that its typed
        // context has every field the template reads (see `http::portal::view`).
        if cfg!(debug_assertions) {
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        }
        for (name, builtin) in EMBEDDED {
            let source = template_source(override_dir, name, builtin)?;
            env.add_template_owned(*name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(Self {
            env,
            catalogs,
            kept: PageCache::new(),
        })
    }

    /// The catalogs the pages' texts come from.
    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    /// The rendered pages kept for reuse: they belong to these templates, so a reload (a new
    /// `Pages`) starts with none.
    pub(crate) fn kept(&self) -> &PageCache {
        &self.kept
    }

    /// Renders `name` with `ctx`.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, minijinja::Error> {
        self.env
            .get_template(name)?
            .render(minijinja::Value::from(minijinja::value::Serde(ctx)))
    }
}
