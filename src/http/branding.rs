//! The operator's branding at run time (docs/branding.md): the files of `portal.assets_dir`,
//! read into memory at start and on each configuration reload (served by `portal::assets`),
//! the links the page frame shows (logo, favicon, extra stylesheet), and the built-in
//! stylesheet with the configured accents. Requests never read the disk: a changed file is
//! served after a reload or a restart.

use std::collections::HashMap;

use axum::body::Bytes;
use http::HeaderValue;

use crate::config::Config;
use crate::domain::branding::{MAX_ASSET_BYTES, Rgb, asset_type};
use crate::domain::secret::{hex, sha256};

/// One file held in memory.
pub struct Asset {
    pub body: Bytes,
    pub content_type: &'static str,
    /// A strong validator: the start of the content's SHA-256.
    pub etag: HeaderValue,
    /// The same hash, put in links as `?v=` so a changed file is fetched after a reload.
    version: String,
}

/// What the portal shows of the operator's branding.
pub struct Branding {
    /// The built-in stylesheet followed by the configured accents: inlined in every page and
    /// hashed into the CSP once, at start.
    pub css: String,
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
            let version = hex(&sha256(&body)[..8]);
            let etag = HeaderValue::from_str(&format!("\"{version}\""))
                .map_err(|e| format!("asset {}: {e}", file.name))?;
            let body = Bytes::from(body);
            let asset = Asset {
                body,
                content_type,
                etag,
                version,
            };
            files.insert(file.name.clone(), asset);
        }
        let link = |name: &Option<String>| {
            let name = name.as_deref()?;
            let asset = files.get(name)?;
            let path = format!("/assets/{name}?v={}", asset.version);
            Some(config.portal.url.url(&path))
        };
        Ok(Self {
            css: css(b.accent, b.accent_dark),
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
