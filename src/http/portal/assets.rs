//! The operator's branding at run time (docs/branding.md): the files of `portal.assets_dir`,
//! read once at start into memory and served at `<portal>/assets/<name>`, the links the page
//! frame shows (logo, favicon, extra stylesheet), and the built-in stylesheet with the
//! configured accents.
//!
//! A request never touches the disk: a name is looked up in the map built at start, so `..`,
//! encoded separators, dotfiles and links outside the directory have nothing to reach (the
//! walk in `config::validate::branding` admitted only plain, typed, bounded files). A changed
//! file is served after a restart.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::errors::{PageError, WebError};
use crate::config::Config;
use crate::domain::branding::{MAX_ASSET_BYTES, asset_type};
use crate::domain::secret::{hex, sha256};
use crate::http::headers::PublicAsset;
use crate::http::state::AppState;

/// One file held in memory.
struct Asset {
    body: Bytes,
    content_type: &'static str,
    /// A strong validator: the start of the content's SHA-256.
    etag: HeaderValue,
    /// The same hash, put in links as `?v=` so a changed file is fetched after a restart.
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
}

/// The built-in stylesheet with the accents appended, so they override its defaults (a
/// generated rule in the one hashed style block: no inline `style=` attribute, no
/// `unsafe-inline`).
fn css(
    light: Option<crate::domain::branding::Rgb>,
    dark: Option<crate::domain::branding::Rgb>,
) -> String {
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

/// `GET`/`HEAD <portal>/assets/<name>`: the file, or the 404 page for any other name.
pub(super) async fn asset(
    State(app): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let asset = app
        .branding
        .files
        .get(&name)
        .ok_or(PageError::NotFound)?;
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    let mut resp = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(asset.body.clone()));
        let ct = HeaderValue::from_static(asset.content_type);
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
        r
    };
    resp.headers_mut().insert(header::ETAG, asset.etag.clone());
    resp.extensions_mut().insert(PublicAsset);
    Ok(resp)
}
