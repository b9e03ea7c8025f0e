//! The browser's download: the release wasm's size, raw and gzipped, and
//! what takes the space (`twiggy top`, when installed: `make bench`
//! installs it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct WasmSize {
    pub raw_kb: f64,
    pub gzip_kb: f64,
    /// `twiggy top`'s table, or why it is missing.
    pub top: String,
}

/// `cargo leptos build --release` writes it here.
pub fn release_wasm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg/dirsync.wasm")
}

pub fn measure(path: &Path) -> Option<WasmSize> {
    let bytes = std::fs::read(path).ok()?;
    let mut gzip = Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = gzip.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let compressed = gzip.wait_with_output().ok()?.stdout;
    writer.join().ok()?.ok()?;
    let top = match Command::new("twiggy")
        .args(["top", "-n", "15"])
        .arg(path)
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => format!("twiggy failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => "twiggy is not installed (make bench installs it)".to_owned(),
    };
    Some(WasmSize {
        raw_kb: std::fs::metadata(path).ok()?.len() as f64 / 1024.0,
        gzip_kb: compressed.len() as f64 / 1024.0,
        top,
    })
}
