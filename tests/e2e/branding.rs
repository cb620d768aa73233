//! Branding in a real browser (docs/branding.md): with a configured logo (a PNG made here in
//! a colour found nowhere else on the page) and accent colours, Chromium draws the logo and
//! paints the button in the accent, in the light and the dark scheme, under the portal's CSP.
//! Proven from the DOM and from the screenshots' own pixels, kept under
//! `target/browser-artifacts/branding/`. An SVG asset opened directly runs no script.

use std::path::Path;

use http::Method;
use serde_json::json;

use crate::browser::artifacts;
use crate::harness::*;
use crate::webdriver::WebDriver;

const LOGO_RGB: [u8; 3] = [0x13, 0xe0, 0x9a];
const ACCENT: &str = "#8a1c7c";
const ACCENT_RGB: [u8; 3] = [0x8a, 0x1c, 0x7c];
const ACCENT_DARK: &str = "#f0a3e6";
const ACCENT_DARK_RGB: [u8; 3] = [0xf0, 0xa3, 0xe6];
const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>document.documentElement.setAttribute("data-ran", "yes")</script></svg>"#;

/// Writes a `w`×`h` PNG of one colour.
fn write_png(path: &Path, (w, h): (u32, u32), rgb: [u8; 3]) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let data: Vec<u8> = (0..w * h).flat_map(|_| rgb).collect();
    enc.write_header().unwrap().write_image_data(&data).unwrap();
}

/// How many pixels of the PNG at `path` are exactly `rgb`.
fn pixels_of(path: &Path, rgb: [u8; 3]) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected screenshot colour type {other:?}"),
    };
    buf[..info.buffer_size()]
        .chunks_exact(step)
        .filter(|p| p[..3] == rgb)
        .count()
}

/// The computed background of the sign-in button and the logo's natural width.
async fn dom_facts(wd: &WebDriver) -> (String, u64) {
    let facts = wd
        .execute(
            "const img = document.querySelector('img.brand.logo');
             const button = document.querySelector('form:has(input[name=password]) button[type=submit]');
             return [getComputedStyle(button).backgroundColor, img ? img.naturalWidth : -1, img ? img.alt : ''];",
            vec![],
        )
        .await;
    assert_eq!(
        facts[2], "Acme Login",
        "the logo's text alternative is the site title"
    );
    (
        facts[0].as_str().unwrap().to_owned(),
        facts[1].as_u64().unwrap_or(0),
    )
}

#[tokio::test]
async fn a_configured_logo_and_accent_show_in_chromium_screenshots() {
    let art = artifacts("branding");
    let assets = tempfile::tempdir().unwrap();
    write_png(&assets.path().join("logo.png"), (64, 32), LOGO_RGB);
    write_png(&assets.path().join("icon.png"), (16, 16), LOGO_RGB);
    std::fs::write(assets.path().join("badge.svg"), SVG).unwrap();
    let overlay = format!(
        "[portal]\ntitle = \"Acme Login\"\nassets_dir = \"{}\"\nlogo = \"logo.png\"\nfavicon = \"icon.png\"\naccent_color = \"{ACCENT}\"\naccent_color_dark = \"{ACCENT_DARK}\"\n",
        assets.path().display()
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);

    wd.goto(&format!("{portal}/login")).await;
    let (background, logo_width) = dom_facts(&wd).await;
    assert_eq!(logo_width, 64, "the logo did not load (CSP or route)");
    assert_eq!(background, "rgb(138, 28, 124)");
    let light = art.join("login-light.png");
    wd.screenshot(&light).await;
    let (logo_px, accent_px) = (pixels_of(&light, LOGO_RGB), pixels_of(&light, ACCENT_RGB));
    // The logo is 64×32 at one device pixel per CSS pixel; the button is card-wide.
    assert!(
        logo_px >= 64 * 32 * 9 / 10,
        "{logo_px} logo pixels in {}",
        light.display()
    );
    assert!(
        accent_px >= 2000,
        "{accent_px} accent pixels in {}",
        light.display()
    );

    // The dark scheme takes its own accent; the logo stays.
    wd.command(
        Method::POST,
        "goog/cdp/execute",
        Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}})),
    )
    .await;
    wd.goto(&format!("{portal}/login")).await;
    let (background, _) = dom_facts(&wd).await;
    assert_eq!(background, "rgb(240, 163, 230)");
    let dark = art.join("login-dark.png");
    wd.screenshot(&dark).await;
    assert!(
        pixels_of(&dark, ACCENT_DARK_RGB) >= 2000,
        "{}",
        dark.display()
    );
    assert!(
        pixels_of(&dark, LOGO_RGB) >= 64 * 32 * 9 / 10,
        "{}",
        dark.display()
    );
    assert_eq!(
        pixels_of(&dark, ACCENT_RGB),
        0,
        "the light accent leaked into dark mode"
    );

    // Opened directly, an SVG asset is an inert document: its script never runs.
    wd.goto(&format!("{portal}/assets/badge.svg")).await;
    let ran = wd
        .execute(
            "return document.documentElement.getAttribute('data-ran');",
            vec![],
        )
        .await;
    assert_eq!(ran, serde_json::Value::Null, "the SVG's script ran");
}
