//! Helpers for the forgot/reset-by-mail flow through the real pages, shared by the
//! integration and end-to-end targets.
#![allow(dead_code)] // each target uses its own subset

use crate::harness::*;
pub use crate::mail_text::link_in;
use crate::totp_util::*;

/// Forwarded headers are believed from the test client (each request may name its IP).
const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// Overlay: the file notifier, trusted forwarded headers and forgot-password on, plus `extra`
/// under `[password]`.
pub fn forgot(extra: &str) -> String {
    format!("{MAIL}{TRUSTED}[password]\nforgot_password_enabled = true\n{extra}")
}

pub async fn request_reset(
    app: &TestApp,
    who: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut b = app.browser();
    let (status, html) = page(app, &mut b, "/forgot").await;
    assert_eq!(status, 200);
    let mut rb = post(app, "/forgot").form(&[("who", who), ("csrf", &extract_csrf(&html))]);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    b.send(rb).await
}
