//! The accessibility checker the page walk (`accessibility.rs`) runs on every portal page:
//! axe-core (from the npm registry; `scripts/test.sh` fetches a pinned, hash-checked release and
//! names its `axe.min.js` in `GATEHOUSE_TEST_AXE`) injected through WebDriver, plus layout
//! checks axe does not make, in light and dark colour schemes (`prefers-color-scheme` emulated
//! over chromedriver's CDP passthrough) at a desktop and a phone size. Every problem is
//! collected with its page, scheme and size, so one failure lists them all; a full-page
//! screenshot of each page, scheme and size is kept under
//! `target/browser-artifacts/accessibility/`.

use std::path::{Path, PathBuf};

use base64::Engine;
use http::Method;
use serde_json::{Value, json};

use crate::webdriver::WebDriver;

/// The axe rule tags checked: WCAG 2.0, 2.1 and 2.2, levels A and AA.
/// (axe has no `wcag22a` tag: the new level-A criteria of 2.2 are under `wcag22aa`'s rules or
/// none.)
const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The sizes each page is checked at: (name, width, height, mobile).
const SIZES: [(&str, u32, u32, bool); 2] =
    [("desktop", 1280, 800, false), ("phone", 390, 844, true)];

/// Runs axe and keeps its serious and critical violations: `[{id, impact, help, targets}]`.
const RUN_AXE: &str = r#"
return axe.run(document, {
  runOnly: { type: 'tag', values: arguments[0] },
  resultTypes: ['violations'],
}).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({ id: v.id, impact: v.impact, help: v.help,
               targets: v.nodes.map(n => n.target.join(' ')) })));
"#;

/// The layout checks axe does not make; returns a list of problems as text.
const LAYOUT: &str = r#"
const problems = [];
const phone = arguments[0];
// The emulated width: a mobile viewport grows to fit wide content, so innerWidth cannot tell.
const width = arguments[1];
const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
const where = e => e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : '');
// The lines a piece of text occupies: the distinct tops of its line boxes.
const lines = e => {
  const r = document.createRange();
  r.selectNodeContents(e);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size;
};
const scroller = document.scrollingElement;
if (phone && scroller.scrollWidth > width) {
  problems.push(`horizontal overflow: the page is ${scroller.scrollWidth}px wide on a ${width}px screen`);
}
// The card keeps a margin to the page's edges, on a page longer than the window too.
const card = document.querySelector('main');
if (card) {
  const r = card.getBoundingClientRect();
  const top = r.top + window.scrollY, below = scroller.scrollHeight - (r.bottom + window.scrollY);
  if (top < 8 || below < 8 || r.left < 8) problems.push(`the card touches the page's edge (${Math.round(top)}px above, ${Math.round(below)}px below, ${Math.round(r.left)}px left)`);
}
// Nor sideways scrolling inside the page on a phone (a wide table in a scrolling box).
if (phone) {
  for (const e of document.body.querySelectorAll('*')) {
    const x = getComputedStyle(e).overflowX;
    if ((x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1) {
      problems.push(`${where(e)} scrolls sideways: ${e.scrollWidth}px of content in ${e.clientWidth}px`);
    }
  }
}
for (const b of document.querySelectorAll('button, input[type=submit]')) {
  if (visible(b) && lines(b) > 1) problems.push(`the button "${b.textContent.trim()}" (${where(b)}) wraps onto ${lines(b)} lines`);
}
for (const t of document.querySelectorAll('time, .date')) {
  if (visible(t) && lines(t) > 1) problems.push(`the date "${t.textContent.trim()}" (${where(t)}) is split over ${lines(t)} lines`);
}
// A per-row button names what it acts on ("Sign out Firefox on Linux"), not just its verb.
const names = new Map();
for (const b of document.querySelectorAll('.row button, tr button, li button')) {
  if (!visible(b)) continue;
  const name = (b.getAttribute('aria-label') || b.textContent).trim();
  if (!b.getAttribute('aria-label') && !b.getAttribute('aria-labelledby')) {
    problems.push(`the per-row button "${name}" (${where(b)}) does not name its row (no aria-label)`);
  }
  if (names.has(name)) problems.push(`two per-row buttons share the accessible name "${name}"`);
  names.set(name, true);
}
return problems;
"#;

/// Whether the field `arguments[0]` is marked as the one in error: `aria-invalid`, described
/// by a visible error placed after it (besides the summary at the top); the problem, or null.
const FIELD_ERROR: &str = r#"
const f = document.querySelector(arguments[0]);
if (!f) return `no field ${arguments[0]}`;
if (f.getAttribute('aria-invalid') !== 'true') return `${arguments[0]} is not aria-invalid`;
const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
const err = ids.map(id => document.getElementById(id)).find(e => e && e.classList.contains('error'));
if (!err) return `${arguments[0]} is not described by an error (aria-describedby="${ids.join(' ')}")`;
if (!err.textContent.trim() || err.getClientRects().length === 0) return `the error of ${arguments[0]} is empty or hidden`;
if (!(f.compareDocumentPosition(err) & Node.DOCUMENT_POSITION_FOLLOWING)) return `the error of ${arguments[0]} is not beside it`;
if (!document.querySelector('[role=alert]')) return 'no error summary (role=alert)';
return null;
"#;

/// The axe script, from the path `scripts/test.sh` exports.
pub fn axe_source() -> String {
    let path = std::env::var_os("GATEHOUSE_TEST_AXE").unwrap_or_else(|| {
        panic!(
            "GATEHOUSE_TEST_AXE is not set: run this test through scripts/test.sh, which fetches \
             axe-core (npm registry, pinned and hash-checked) into target/ and names its axe.min.js"
        )
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "GATEHOUSE_TEST_AXE names {}, which cannot be read ({e}): run scripts/test.sh, which \
             fetches axe-core",
            Path::new(&path).display()
        )
    })
}

/// Checks pages as the walk reaches them and keeps every problem found.
pub struct Checker<'a> {
    wd: &'a WebDriver,
    axe: String,
    shots: PathBuf,
    /// Every problem so far, one line each, naming page, scheme and size.
    pub problems: Vec<String>,
    /// The pages checked, in order.
    pub pages: Vec<String>,
}

impl<'a> Checker<'a> {
    pub fn new(wd: &'a WebDriver, shots: &Path) -> Self {
        std::fs::create_dir_all(shots).unwrap();
        Self {
            wd,
            axe: axe_source(),
            shots: shots.to_owned(),
            problems: Vec::new(),
            pages: Vec::new(),
        }
    }

    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.wd
            .command(
                Method::POST,
                "goog/cdp/execute",
                Some(json!({ "cmd": cmd, "params": params })),
            )
            .await
    }

    /// Checks the page the browser is on as `page`, in both schemes at both sizes.
    pub async fn check(&mut self, page: &str) {
        assert!(
            !self.pages.iter().any(|p| p == page),
            "the page name {page} is used twice"
        );
        self.pages.push(page.to_owned());
        self.wd.execute(&self.axe, vec![]).await;
        let loaded = self.wd.execute("return typeof axe;", vec![]).await;
        assert_eq!(loaded, "object", "axe did not load on {page}");
        for scheme in ["light", "dark"] {
            let media =
                json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
            self.cdp("Emulation.setEmulatedMedia", media).await;
            for (size, width, height, mobile) in SIZES {
                let metrics = json!({
                    "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
                });
                self.cdp("Emulation.setDeviceMetricsOverride", metrics)
                    .await;
                let at = format!("{page} ({scheme}, {size})");
                self.screenshot(&format!("{page}-{scheme}-{size}.png"))
                    .await;
                self.axe_once(&at).await;
                self.layout(&at, mobile, width).await;
            }
        }
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        self.cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
            .await;
    }

    async fn axe_once(&mut self, at: &str) {
        let found = self.wd.execute(RUN_AXE, vec![json!(TAGS)]).await;
        let Some(found) = found.as_array() else {
            self.problems
                .push(format!("{at}: axe gave no result: {found}"));
            return;
        };
        for v in found {
            let targets: Vec<&str> = v["targets"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            self.problems.push(format!(
                "{at}: {} [{}] {} at {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                targets.join(" | ")
            ));
        }
    }

    async fn layout(&mut self, at: &str, phone: bool, width: u32) {
        let found = self
            .wd
            .execute(LAYOUT, vec![json!(phone), json!(width)])
            .await;
        for p in found.as_array().into_iter().flatten() {
            self.problems
                .push(format!("{at}: {}", p.as_str().unwrap_or_default()));
        }
    }

    /// A PNG of the whole page, beyond the window, at the emulated size.
    async fn screenshot(&self, name: &str) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let (w, h) = (size["width"].as_f64(), size["height"].as_f64());
        let (Some(w), Some(h)) = (w, h) else {
            self.wd
                .fail(&format!("no page size for {name}: {metrics}"))
                .await
        };
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": w, "height": h, "scale": 1 },
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "screenshot {name} is no PNG");
        std::fs::write(self.shots.join(name), png).unwrap();
    }

    /// Checks that the field matching `css` on the current page is marked as the one in error.
    pub async fn field_error(&mut self, page: &str, css: &str) {
        let found = self.wd.execute(FIELD_ERROR, vec![json!(css)]).await;
        if let Some(problem) = found.as_str() {
            self.problems.push(format!("{page}: {problem}"));
        }
    }

    /// Fails once, listing every problem found on every page.
    pub fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "{} accessibility problem(s) on {} pages (screenshots in {}):\n{}",
            self.problems.len(),
            self.pages.len(),
            self.shots.display(),
            self.problems.join("\n")
        );
    }
}
