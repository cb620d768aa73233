//! Validation of the portal's branding keys (docs/branding.md): the assets directory is
//! walked once here, so that every file the portal will serve is known, typed and bounded
//! before start, and the logo, favicon, stylesheet and accents are checked against it.
//! Everything wrong is reported together, each with its key.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::config::file::RawPortal;
use crate::config::types::{AssetFile, Branding};
use crate::domain::branding::{
    self as rules, AssetKind, MAX_ASSET_BYTES, MAX_ASSETS_TOTAL_BYTES, MIN_CONTRAST, Rgb,
};

const DIR_KEY: &str = "portal.assets_dir";
/// Subfolder depth searched (`fonts/x.woff2` is depth 1).
const MAX_DEPTH: usize = 4;

pub(super) fn branding(cx: &mut Ctx<'_>, raw: &RawPortal) -> Branding {
    let dir = raw.assets_dir.as_ref().map(|d| cx.path(d));
    let assets = match &dir {
        Some(d) => assets(cx, d),
        None => Vec::new(),
    };
    let dir = dir.as_deref();
    let images = [AssetKind::Image];
    let icons = [AssetKind::Image, AssetKind::Icon];
    Branding {
        logo: named(cx, ("portal.logo", &raw.logo), dir, &assets, &images),
        favicon: named(cx, ("portal.favicon", &raw.favicon), dir, &assets, &icons),
        stylesheet: named(
            cx,
            ("portal.stylesheet", &raw.stylesheet),
            dir,
            &assets,
            &[AssetKind::Style],
        ),
        accent: accent(
            cx,
            "portal.accent_color",
            raw.accent_color.as_deref(),
            false,
        ),
        accent_dark: accent(
            cx,
            "portal.accent_color_dark",
            raw.accent_color_dark.as_deref(),
            true,
        ),
        assets,
    }
}

/// Every servable file under `dir`, or the problems that keep it from being served as is.
fn assets(cx: &mut Ctx<'_>, dir: &Path) -> Vec<AssetFile> {
    let root = match dir.canonicalize() {
        Ok(r) if r.is_dir() => r,
        _ => {
            cx.problem(
                DIR_KEY,
                &format!("{} is not a directory", dir.display()),
                "create it, or remove the key (and logo, favicon, stylesheet) for no assets",
            );
            return Vec::new();
        }
    };
    let mut walk = Walk {
        root,
        found: Vec::new(),
        total: 0,
    };
    walk.dir(cx, &walk.root.clone(), "", 0);
    if walk.total > MAX_ASSETS_TOTAL_BYTES {
        cx.problem(
            DIR_KEY,
            &format!(
                "its files add up to {} bytes, more than {MAX_ASSETS_TOTAL_BYTES}",
                walk.total
            ),
            "assets are held in memory: keep only what the pages use",
        );
    }
    walk.found
}

struct Walk {
    root: PathBuf,
    found: Vec<AssetFile>,
    total: u64,
}

impl Walk {
    fn dir(&mut self, cx: &mut Ctx<'_>, dir: &Path, prefix: &str, depth: usize) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                let msg = format!("cannot read {}: {e}", dir.display());
                cx.problem(DIR_KEY, &msg, "let gatehouse's user read it");
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            // Dotfiles and dot-directories (.git, .DS_Store) are never served.
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            self.entry(cx, &entry.path(), &format!("{prefix}{name}"), depth);
        }
    }

    fn entry(&mut self, cx: &mut Ctx<'_>, path: &Path, name: &str, depth: usize) {
        let shown = path.display();
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return;
        };
        if meta.file_type().is_symlink() {
            // A link is served only if it stays inside the directory: otherwise a link
            // would publish any file gatehouse can read.
            match path.canonicalize() {
                Ok(target) if target.starts_with(&self.root) && target.is_file() => {}
                _ => {
                    cx.problem(
                        DIR_KEY,
                        &format!("{shown} is a link to a directory or to outside the directory"),
                        "copy the file into the directory instead of linking it",
                    );
                    return;
                }
            }
        } else if meta.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                let msg = format!("{shown} is nested deeper than {MAX_DEPTH} levels");
                cx.problem(DIR_KEY, &msg, "flatten the directory");
            } else if rules::is_served_segment(name.rsplit('/').next().unwrap_or(name)) {
                self.dir(cx, path, &format!("{name}/"), depth + 1);
            }
            return;
        } else if !meta.is_file() {
            return;
        }
        // Files of other types (a README, a source .xcf) stay unserved.
        if rules::asset_type(name).is_none() {
            return;
        }
        if !name.split('/').all(rules::is_served_segment) {
            cx.problem(
                DIR_KEY,
                &format!("{shown}: its name needs escaping in a URL"),
                "rename it to letters, digits, '-', '_' and '.'",
            );
            return;
        }
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len > MAX_ASSET_BYTES {
            cx.problem(
                DIR_KEY,
                &format!("{shown} has {len} bytes, more than {MAX_ASSET_BYTES}"),
                "compress or resize it",
            );
            return;
        }
        self.total += len;
        self.found.push(AssetFile {
            name: name.to_owned(),
            path: path.to_path_buf(),
        });
    }
}

/// A key naming an asset: inside the directory, of an allowed kind, and found there.
fn named(
    cx: &mut Ctx<'_>,
    (key, value): (&str, &Option<String>),
    dir: Option<&Path>,
    assets: &[AssetFile],
    kinds: &[AssetKind],
) -> Option<String> {
    let value = value.as_deref()?;
    let Some(dir) = dir else {
        cx.problem(
            key,
            "needs portal.assets_dir",
            "set portal.assets_dir to the directory holding the file",
        );
        return None;
    };
    if value.starts_with(['/', '\\']) || value.split(['/', '\\']).any(|s| s == "..") {
        cx.problem(
            key,
            &format!("{value:?} is not a file name inside portal.assets_dir"),
            "write the name relative to the directory, e.g. \"logo.png\"",
        );
        return None;
    }
    match rules::asset_type(value) {
        Some((_, kind)) if kinds.contains(&kind) => {}
        _ => {
            let allowed = match kinds {
                [AssetKind::Style] => ".css",
                [AssetKind::Image] => ".png, .jpg, .jpeg, .gif, .webp or .svg",
                _ => ".png, .jpg, .jpeg, .gif, .webp, .svg or .ico",
            };
            cx.problem(
                key,
                &format!("{value:?} is not of a type it can be"),
                &format!("use a {allowed} file"),
            );
            return None;
        }
    }
    if assets.iter().any(|a| a.name == value) {
        Some(value.to_owned())
    } else {
        cx.problem(
            key,
            &format!(
                "{} is not a file the portal serves",
                dir.join(value).display()
            ),
            "put the file in portal.assets_dir (a plain file, not hidden, not a link outside)",
        );
        None
    }
}

/// An accent colour with enough contrast for its scheme (WCAG AA, 4.5:1).
fn accent(cx: &mut Ctx<'_>, key: &str, raw: Option<&str>, dark: bool) -> Option<Rgb> {
    let raw = raw?;
    let Some(rgb) = Rgb::parse(raw) else {
        cx.problem(
            key,
            &format!("{raw:?} is not a colour"),
            "write #rgb or #rrggbb, e.g. \"#2f6fdf\"",
        );
        return None;
    };
    let (ratio, against, hint) = if dark {
        (
            rules::dark_accent_contrast(rgb),
            "the dark scheme's button text (#0b1220) and card (#1e2127)",
            "choose a lighter colour (the built-in #8ab4ff has 7.7:1)",
        )
    } else {
        (
            rules::light_accent_contrast(rgb),
            "the white button text and the white card its links are on",
            "choose a darker colour (the built-in #2f6fdf has 4.7:1)",
        )
    };
    if ratio < MIN_CONTRAST {
        cx.problem(
            key,
            &format!("has a contrast of {ratio:.2}:1 with {against}; WCAG AA needs 4.5:1"),
            hint,
        );
        return None;
    }
    Some(rgb)
}
