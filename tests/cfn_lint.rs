//! cfn-lint, the linter AWS maintains, on every template we emit: no finding at all, the
//! informational ones included.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{examples, repo_root};
use testkit::venv_tool;

/// Rules we must ignore, each with its reason. None so far; add here, nowhere else.
const IGNORED_RULES: &[(&str, &str)] = &[];

fn cfn_lint(files: &[PathBuf]) -> (i32, String) {
    let mut cmd = Command::new(venv_tool("cfn-lint"));
    cmd.arg("--include-checks").arg("I");
    for (rule, _why) in IGNORED_RULES {
        cmd.arg("--ignore-checks").arg(rule);
    }
    let out = cmd.arg("--").args(files).output().expect("cfn-lint runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn every_template_passes_cfn_lint_with_no_finding() {
    // GIVEN the committed template of every example (another test keeps them fresh), and the
    // default template in YAML
    let mut files: Vec<PathBuf> =
        examples().iter().map(|(name, _)| repo_root().join(format!("templates/{name}.json"))).collect();
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("default.yaml");
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap();
    std::fs::write(&yaml, template.to_yaml().unwrap()).unwrap();
    files.push(yaml);

    // THEN cfn-lint has nothing to say
    let (code, findings) = cfn_lint(&files);
    assert_eq!(code, 0, "cfn-lint findings:\n{findings}");
    assert!(findings.trim().is_empty(), "{findings}");
}

#[test]
fn cfn_lint_finds_the_cdk_templates_ten_known_issues() {
    // The baseline we beat, and proof that this cfn-lint really reports problems.
    let (code, findings) = cfn_lint(&[repo_root().join("tests/fixtures/cdk-add-capacity.template.json")]);
    assert_ne!(code, 0);
    let count = |rule: &str| findings.lines().filter(|l| l.starts_with(rule)).count();
    assert_eq!(
        [count("E3049"), count("W3005"), count("W3697"), count("I1022")],
        [1, 3, 1, 5],
        "cfn-lint output:\n{findings}"
    );
}
