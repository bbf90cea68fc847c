//! Test support shared by the workspace's crates.

pub mod autoscaling;
pub mod cloudformation;
pub mod http;
pub mod lambda_runtime;
pub mod moto;

use std::path::{Path, PathBuf};

/// The workspace's root directory.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("testkit sits in the workspace root")
}

/// A tool installed in the test venv (made by `scripts/test`, or named by `ECS_ALB_VENV`).
pub fn venv_tool(name: &str) -> PathBuf {
    let venv = std::env::var_os("ECS_ALB_VENV").map_or_else(|| workspace_root().join(".venv"), PathBuf::from);
    let tool = venv.join("bin").join(name);
    assert!(
        tool.exists(),
        "{} is missing: run scripts/test, which makes the venv from requirements-test.txt",
        tool.display()
    );
    tool
}
