//! The enrolment QR code, rendered here as inline SVG: the secret never leaves the gateway
//! for a third-party QR service, and inline SVG needs no CSP exception.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code for `data`, or `None` if it does not fit (it always does for an
/// `otpauth://` URI of a bounded account name).
pub fn svg(data: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Drop the XML declaration: the SVG is inlined into an HTML page.
    svg.find("<svg").map(|i| svg[i..].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_an_svg() {
        let s = super::svg("otpauth://totp/Gatehouse:alice?secret=ABC").unwrap_or_default();
        assert!(s.contains("<svg") && s.contains("</svg>"));
    }
}
