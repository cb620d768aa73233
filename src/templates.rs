//! Where a template's text comes from: the operator's template directory when it holds a file
//! of that name (pages and mail are themed without rebuilding), else the built-in copy.

use std::path::Path;

/// The operator's `override_dir/<name>` when it exists, else the built-in text.
pub fn template_source(
    override_dir: Option<&Path>,
    name: &str,
    builtin: &str,
) -> Result<String, String> {
    match override_dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
        Some(path) => {
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => Ok(builtin.to_owned()),
    }
}
