//! The Import Users page's time to interactive in headless Chromium (the
//! machine's, through end2end's Playwright): from navigation to hydrated,
//! a fresh browser context each time. Needs the release site
//! (`make build`) served by the server, and `end2end/node_modules`
//! (`make setup`); without them, says what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where the release site is (`cargo leptos build --release`), for the
/// server process to serve.
pub fn site_root() -> PathBuf {
    workspace().join("target/site")
}

/// Milliseconds to interactive, one sample per run, of `base`'s Import
/// page for the session `cookie` (`name=value`).
pub fn time_to_interactive(base: &str, cookie: &str, runs: usize) -> Result<Vec<f64>, String> {
    let end2end = workspace().join("end2end");
    if !end2end.join("node_modules/@playwright/test").exists() {
        return Err("end2end/node_modules is not installed (`make setup`)".into());
    }
    if !site_root().join("pkg/dirsync.wasm").exists() {
        return Err("the release site is not built (`make build`)".into());
    }
    let out = Command::new("node")
        .arg("time-to-interactive.mjs")
        .args([base, cookie, &runs.to_string()])
        .current_dir(&end2end)
        .output()
        .map_err(|e| format!("could not run node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the browser run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let parsed: serde_json::Value =
        serde_json::from_str(last).map_err(|e| format!("unreadable samples ({e}): {last}"))?;
    parsed["samples_ms"]
        .as_array()
        .map(|samples| {
            samples
                .iter()
                .filter_map(serde_json::Value::as_f64)
                .collect()
        })
        .ok_or_else(|| format!("no samples: {last}"))
}
