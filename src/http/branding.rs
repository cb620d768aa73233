//! The operator's branding at run time (docs/branding.md): the files of `portal.assets_dir`,
//! read into memory at start and on each configuration reload (served by `portal::assets`),
//! the links the page frame shows (logo, favicon, extra stylesheet), the built-in
//! stylesheet with the configured accents, and Gatehouse's own static files with their
//! versioned links. Requests never read the disk: a changed file is served after a reload or
//! a restart.

use std::collections::HashMap;

use axum::body::Bytes;
use http::HeaderValue;
use serde::Serialize;

use crate::config::Config;
use crate::domain::branding::{MAX_ASSET_BYTES, Rgb, asset_type};
use crate::domain::secret::{hex, sha256};
use crate::http::pages::{COPY_JS, PASSKEY_JS, UI_JS};

/// One file held in memory.
pub struct Asset {
    pub body: Bytes,
    pub content_type: &'static str,
    /// A strong validator: the start of the content's SHA-256.
    pub etag: HeaderValue,
    /// The same hash, put in links as `?v=` so a changed file is fetched after a reload.
    version: String,
}

impl Asset {
    fn new(body: Bytes, content_type: &'static str) -> Result<Self, String> {
        let version = hex(&sha256(&body)[..8]);
        let etag = HeaderValue::from_str(&format!("\"{version}\""))
            .map_err(|e| format!("asset version {version}: {e}"))?;
        Ok(Self {
            body,
            content_type,
            etag,
            version,
        })
    }
}

/// Gatehouse's own static files, served at `<portal>/static/…` with the same cache headers and
/// validators as the operator's assets: pages link them by version, so a browser fetches each
/// once and keeps it until it changes.
pub struct Builtins {
    /// The built-in stylesheet with the accents, the same text as [`Branding::css`].
    pub css: Asset,
    pub ui_js: Asset,
    pub copy_js: Asset,
    pub passkey_js: Asset,
}

/// The versions of [`Builtins`], which pages put in their links as `?v=`: borrowed, read per
/// page from the files themselves.
#[derive(Serialize)]
pub struct BuiltinVersions<'a> {
    pub css: &'a str,
    pub ui: &'a str,
    pub copy: &'a str,
    pub passkey: &'a str,
}

impl Builtins {
    fn load(css: &str) -> Result<Self, String> {
        let script = |body: &'static str| Asset::new(Bytes::from_static(body.as_bytes()), JS);
        Ok(Self {
            css: Asset::new(Bytes::from(css.to_owned()), CSS_TYPE)?,
            ui_js: script(UI_JS)?,
            copy_js: script(COPY_JS)?,
            passkey_js: script(PASSKEY_JS)?,
        })
    }

    /// The file served at `<portal>/static/<name>`.
    pub fn get(&self, name: &str) -> Option<&Asset> {
        match name {
            "gatehouse.css" => Some(&self.css),
            "ui.js" => Some(&self.ui_js),
            "copy.js" => Some(&self.copy_js),
            "passkey.js" => Some(&self.passkey_js),
            _ => None,
        }
    }

    pub fn versions(&self) -> BuiltinVersions<'_> {
        BuiltinVersions {
            css: &self.css.version,
            ui: &self.ui_js.version,
            copy: &self.copy_js.version,
            passkey: &self.passkey_js.version,
        }
    }
}

const CSS_TYPE: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// What the portal shows of the operator's branding.
pub struct Branding {
    /// The built-in stylesheet followed by the configured accents: inlined in the pages that
    /// may be shown on app hosts (errors), where a portal path would reach the app, and
    /// hashed into the CSP once, at start. Pages with forms, always on the portal, link it.
    pub css: String,
    /// Gatehouse's static files.
    pub builtin: Builtins,
    /// Absolute links (the portal origin), so that error pages on app hosts show them too.
    pub logo: Option<String>,
    pub favicon: Option<String>,
    pub stylesheet: Option<String>,
    files: HashMap<String, Asset>,
}

impl Branding {
    /// Reads every asset the configuration admitted and builds the stylesheet.
    pub fn load(config: &Config) -> Result<Self, String> {
        let b = &config.portal.branding;
        let mut files = HashMap::new();
        for file in &b.assets {
            let body = std::fs::read(&file.path)
                .map_err(|e| format!("reading asset {}: {e}", file.path.display()))?;
            // Checked at validation; checked again in case the file grew since.
            if body.len() as u64 > MAX_ASSET_BYTES {
                return Err(format!("asset {} is too large", file.path.display()));
            }
            let Some((content_type, _)) = asset_type(&file.name) else {
                continue;
            };
            let asset = Asset::new(Bytes::from(body), content_type)
                .map_err(|e| format!("asset {}: {e}", file.name))?;
            files.insert(file.name.clone(), asset);
        }
        let link = |name: &Option<String>| {
            let name = name.as_deref()?;
            let asset = files.get(name)?;
            let path = format!("/assets/{name}?v={}", asset.version);
            Some(config.portal.url.url(&path))
        };
        let css = css(b.accent, b.accent_dark);
        let builtin = Builtins::load(&css)?;
        Ok(Self {
            builtin,
            css,
            logo: link(&b.logo),
            favicon: link(&b.favicon),
            stylesheet: link(&b.stylesheet),
            files,
        })
    }

    /// Whether any asset is served (the CSP then names the portal origin).
    pub fn serves_assets(&self) -> bool {
        !self.files.is_empty()
    }

    /// The asset named exactly `name` (no normalisation: a name is a key, not a path).
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }
}

/// The built-in stylesheet with the accents appended, so they override its defaults (a
/// generated rule in the one hashed style block: no inline `style=` attribute, no
/// `unsafe-inline`).
fn css(light: Option<Rgb>, dark: Option<Rgb>) -> String {
    let mut css = crate::http::pages::CSS.to_owned();
    if let Some(c) = light {
        css.push_str(&format!(":root {{ --accent: {}; }}\n", c.hex()));
    }
    if let Some(c) = dark {
        css.push_str(&format!(
            "@media (prefers-color-scheme: dark) {{ :root {{ --accent: {}; }} }}\n",
            c.hex()
        ));
    }
    css
}
