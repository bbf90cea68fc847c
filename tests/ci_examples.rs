//! The CI examples (`examples/ci/`): linted by the real linters, and every ecs-alb command they
//! run, run here as written.

mod common;

use std::path::Path;
use std::process::Command;

use common::repo_root;

const GITHUB: &str = "examples/ci/github-actions.yml";
const GITLAB: &str = "examples/ci/gitlab-ci.yml";

fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(testkit::venv_tool(tool)).args(args).current_dir(repo_root()).output().expect("runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_github_workflow_passes_actionlint() {
    let (ok, output) = run("actionlint", &["-no-color", GITHUB]);
    assert!(ok, "{output}");
}

#[test]
fn the_gitlab_job_passes_gitlabs_own_schema() {
    let (ok, output) = run("check-jsonschema", &["--builtin-schema", "vendor.gitlab-ci", GITLAB]);
    assert!(ok, "{output}");
}

/// The `ecs-alb synth` and `ecs-alb diff` lines of both examples, run in a repository like the
/// one they describe: they parse, and do what the comments say.
#[test]
fn the_examples_ecs_alb_commands_run_as_written() {
    for example in [GITHUB, GITLAB] {
        let text = std::fs::read_to_string(repo_root().join(example)).unwrap();
        let commands: Vec<&str> = text
            .lines()
            .map(|line| line.trim().trim_start_matches("- ").trim_start_matches("run: "))
            .filter(|line| line.starts_with("ecs-alb synth") || line.starts_with("ecs-alb diff"))
            .collect();
        assert!(commands.len() >= 3, "{example}: {commands:?}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("ecs-alb.yaml"), "{}\n").unwrap();
        for command in commands {
            let line = command.split(" > ").next().unwrap();
            let args: Vec<&str> = line.split_whitespace().skip(1).collect();
            let out = Command::new(env!("CARGO_BIN_EXE_ecs-alb")).args(&args).current_dir(dir.path()).output().unwrap();
            assert!(out.status.success(), "{example}: `{line}` failed: {}", String::from_utf8_lossy(&out.stderr));
            if line.starts_with("ecs-alb synth") {
                // The base branch's template, for the diff lines: the same one here.
                std::fs::copy(dir.path().join("templates/stack.json"), dir.path().join("base.json")).unwrap();
            }
        }
        assert!(Path::new(&dir.path().join("templates/stack.json")).exists());
    }
}
