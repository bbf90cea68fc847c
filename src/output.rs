//! Writing results so that a failure never leaves a partial or stale file behind.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `text` to `path` through a temporary file in the same directory, renamed into place
/// only once complete.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".ecs-alb-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    file.write_all(text.as_bytes()).and_then(|()| file.as_file().sync_all()).context("cannot write the template")?;
    keep_permissions(file.path(), path)?;
    file.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A temporary file is private (0600); the template takes the mode of the file it replaces, or
/// the usual 0644 for a new one.
#[cfg(unix)]
fn keep_permissions(temp: &Path, target: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(target).map_or(0o644, |m| m.permissions().mode());
    fs::set_permissions(temp, fs::Permissions::from_mode(mode)).context("cannot set the template's permissions")
}

#[cfg(not(unix))]
fn keep_permissions(_temp: &Path, _target: &Path) -> Result<()> {
    Ok(())
}

/// Writes all of `text` to standard output at once.
pub fn print(text: &str) -> Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("cannot write to standard output")
}
