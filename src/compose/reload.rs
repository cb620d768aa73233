//! Hot reload of the configuration: the file is read and validated whole, the new state is
//! built off to the side over the kept use cases, and it is swapped in only when every part
//! built. Requests in progress finish on the state they started with; connections, sessions,
//! throttle counts and caches are untouched (docs/architecture.md#reloading-the-configuration).

use std::path::Path;
use std::sync::Arc;

use super::live::{self, Kept};
use crate::config::reload::for_reload;
use crate::http::entry::App;

/// A reload that was applied.
#[derive(Debug)]
pub struct Reloaded {
    /// The changed keys that only a restart applies (their running values were kept).
    pub needs_restart: Vec<&'static str>,
}

/// Re-reads the configuration at `path` with the `GATEHOUSE_*` overrides of `vars` and serves
/// it from the next request on. `Err` lists every problem, and then nothing changed.
pub fn reload(
    app: &App,
    path: &Path,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Reloaded, Vec<String>> {
    let new = crate::config::load(path, vars)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let running = app.state();
    let (config, needs_restart) = for_reload(&running.config, new);
    let catalogs = super::catalogs(&config).map_err(|e| vec![format!("{e:#}")])?;
    let state = live::state(config, Kept::of(&running), catalogs)?;
    app.replace(Arc::new(state));
    Ok(Reloaded { needs_restart })
}

/// [`reload`] with the process environment, its outcome logged: what an operator reads after
/// `SIGHUP` or `gatehouse reload`.
pub fn reload_logged(app: &App, path: &Path) {
    let file = path.display();
    match reload(app, path, std::env::vars()) {
        Ok(r) if r.needs_restart.is_empty() => {
            tracing::info!(config = %file, "configuration reloaded");
        }
        Ok(r) => tracing::warn!(
            config = %file,
            needs_restart = %r.needs_restart.join(", "),
            "configuration reloaded, but changes to some keys need a restart: their running values were kept"
        ),
        Err(problems) => {
            for problem in &problems {
                tracing::error!(config = %file, %problem, "configuration reload refused");
            }
            tracing::error!(
                config = %file,
                problems = problems.len(),
                "configuration reload refused: the running configuration keeps serving"
            );
        }
    }
}
