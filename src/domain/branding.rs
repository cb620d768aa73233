//! The rules of an operator's branding (docs/branding.md): which asset files the portal serves
//! and as what type, the size bounds, and the accent colour with its WCAG contrast check.
//! Pure: the directory walk and the serving are elsewhere (`config::validate::branding`,
//! `http::portal::assets`).

/// Largest asset file served (bytes): a logo or font, not a download area.
pub const MAX_ASSET_BYTES: u64 = 1024 * 1024;

/// Largest total of all assets, all held in memory from start.
pub const MAX_ASSETS_TOTAL_BYTES: u64 = 8 * 1024 * 1024;

/// Button text on the accent in the light scheme (and the card behind links): white.
pub const LIGHT_TEXT: Rgb = Rgb(0xff, 0xff, 0xff);

/// The dark scheme's card, behind links in the accent; darker than the button text there.
pub const DARK_CARD: Rgb = Rgb(0x1e, 0x21, 0x27);

/// The dark scheme's button text on the accent.
pub const DARK_TEXT: Rgb = Rgb(0x0b, 0x12, 0x20);

/// WCAG 2 AA for normal text (success criterion 1.4.3).
pub const MIN_CONTRAST: f64 = 4.5;

/// What an asset may be used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    /// Usable as the logo and as the favicon.
    Image,
    /// Usable only as the favicon.
    Icon,
    /// A stylesheet.
    Style,
    /// A web font, for an operator's stylesheet.
    Font,
}

/// The `Content-Type` and kind of an asset by its extension (case-insensitive); `None` for a
/// type the portal does not serve. An allow-list: the browser is never left to guess
/// (`nosniff` is on every response).
pub fn asset_type(name: &str) -> Option<(&'static str, AssetKind)> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => ("image/png", AssetKind::Image),
        "jpg" | "jpeg" => ("image/jpeg", AssetKind::Image),
        "gif" => ("image/gif", AssetKind::Image),
        "webp" => ("image/webp", AssetKind::Image),
        // Opened directly, an SVG is a document: the portal's CSP (script-src 'self', no
        // inline script) keeps any script in it from running.
        "svg" => ("image/svg+xml", AssetKind::Image),
        "ico" => ("image/x-icon", AssetKind::Icon),
        "css" => ("text/css; charset=utf-8", AssetKind::Style),
        "woff2" => ("font/woff2", AssetKind::Font),
        "woff" => ("font/woff", AssetKind::Font),
        _ => return None,
    })
}

/// Whether one path segment of an asset name may be served: letters, digits, `-`, `_`, `.`,
/// not starting with a dot (no dotfiles, no `..`), so a name never needs escaping in a URL.
pub fn is_served_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('.')
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rgb` or `#rrggbb`.
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
        let pair = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        match hex.len() {
            3 => Some(Self(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Some(Self(pair(0)?, pair(2)?, pair(4)?)),
            _ => None,
        }
    }

    /// `#rrggbb`, the only form written into the stylesheet.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2 relative luminance.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// WCAG 2 contrast ratio with `other`, from 1 to 21.
    pub fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

/// The lowest contrast an accent has with what is drawn on or around it in the light scheme
/// (white button text, links on the white card).
pub fn light_accent_contrast(accent: Rgb) -> f64 {
    accent.contrast(LIGHT_TEXT)
}

/// The lowest contrast an accent has in the dark scheme: with the dark button text and as
/// link colour on the dark card.
pub fn dark_accent_contrast(accent: Rgb) -> f64 {
    accent.contrast(DARK_TEXT).min(accent.contrast(DARK_CARD))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_in_both_forms_and_nothing_else() {
        assert_eq!(Rgb::parse("#2f6fdf"), Some(Rgb(0x2f, 0x6f, 0xdf)));
        assert_eq!(Rgb::parse("#ABC"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in [
            "2f6fdf", "#2f6fd", "#2f6fdfa", "#ggg", "#+1f", "", "#", "red", "#é1",
        ] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
        assert_eq!(Rgb(0xaa, 0xbb, 0xcc).hex(), "#aabbcc");
    }

    #[test]
    fn contrast_matches_the_wcag_reference_values() {
        let black = Rgb(0, 0, 0);
        assert!((LIGHT_TEXT.contrast(black) - 21.0).abs() < 1e-9);
        assert!((black.contrast(black) - 1.0).abs() < 1e-9);
        // #767676 on white is the well-known 4.54:1 grey.
        let grey = Rgb::parse("#767676").map(|g| g.contrast(LIGHT_TEXT));
        assert!(grey.is_some_and(|c| (c - 4.54).abs() < 0.01), "{grey:?}");
    }

    #[test]
    fn the_built_in_accents_pass_their_own_check() {
        assert!(light_accent_contrast(Rgb(0x2f, 0x6f, 0xdf)) >= MIN_CONTRAST);
        assert!(dark_accent_contrast(Rgb(0x8a, 0xb4, 0xff)) >= MIN_CONTRAST);
        // A light yellow fails under white text; a dark navy fails on the dark card.
        assert!(light_accent_contrast(Rgb(0xff, 0xd7, 0x00)) < MIN_CONTRAST);
        assert!(dark_accent_contrast(Rgb(0x1a, 0x23, 0x7e)) < MIN_CONTRAST);
    }

    #[test]
    fn only_listed_types_and_plain_names_are_served() {
        assert_eq!(
            asset_type("logo.PNG"),
            Some(("image/png", AssetKind::Image))
        );
        assert_eq!(asset_type("a.b.svg").map(|t| t.0), Some("image/svg+xml"));
        assert_eq!(asset_type("site.css").map(|t| t.1), Some(AssetKind::Style));
        for bad in ["page.html", "x.js", "noext", "x.svgz", "x.png.exe"] {
            assert_eq!(asset_type(bad), None, "{bad}");
        }
        assert!(is_served_segment("logo-2_x.png"));
        for bad in [
            "", ".", "..", ".hidden", "a b.png", "a%2e.png", "é.png", "a/b",
        ] {
            assert!(!is_served_segment(bad), "{bad}");
        }
    }
}
