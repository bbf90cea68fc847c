//! The `ecs-alb` binary as a user runs it: outputs, exit codes, and what bad input does.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::repo_root;

fn ecs_alb(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecs-alb")).args(args).current_dir(dir).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn default_template() -> String {
    fs::read_to_string(repo_root().join("templates/default.json")).unwrap()
}

/// Runs a command that must fail with a configuration error: exit 2, nothing on stdout, no panic.
fn config_error(dir: &Path, args: &[&str]) -> String {
    let out = ecs_alb(dir, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(out.stdout.is_empty(), "nothing on stdout, got {}", stdout(&out));
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn synth_with_no_config_prints_the_default_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecs_alb(dir.path(), &["synth"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), default_template());
}

#[test]
fn synth_reads_ecs_alb_yaml_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ecs-alb.yaml"), "capacity: {max_capacity: 4}\n").unwrap();
    let template: Value = serde_json::from_str(&stdout(&ecs_alb(dir.path(), &["synth"]))).unwrap();
    assert_eq!(template["Resources"]["Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0"]["Properties"]["MaxSize"], "4");
}

#[test]
fn synth_yaml_is_the_same_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecs_alb(dir.path(), &["synth", "--format", "yaml"]);
    assert!(out.status.success());
    let from_yaml: Value = serde_yaml::from_str(&stdout(&out)).unwrap();
    let from_json: Value = serde_json::from_str(&default_template()).unwrap();
    assert_eq!(from_yaml, from_json);
}

#[test]
fn synth_output_writes_the_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecs_alb(dir.path(), &["synth", "-o", "t.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read_to_string(dir.path().join("t.json")).unwrap(), default_template());
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["t.json"], "no temporary file left behind");
}

/// What the template cannot do is said where it is made: a private image through the image
/// parameter, with no repository to grant, is a warning of `synth` too (on stderr, the template
/// unchanged on stdout).
#[test]
fn synth_warns_as_validate_does() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.yaml"), "service: {container: {image_parameter: true}}\n").unwrap();
    let out = ecs_alb(dir.path(), &["synth", "-c", "c.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warning = "warning: c.yaml:1:23: service.container.image_parameter: true: an image from a private ECR repository deployed through ContainerImage cannot be pulled unless service.container.image_repository names that repository";
    assert!(stderr(&out).contains(warning), "{}", stderr(&out));
    let template: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(template["Parameters"].get("ContainerImage").is_some());
    assert!(stderr(&ecs_alb(dir.path(), &["validate", "-c", "c.yaml"])).contains(warning));
}

#[test]
fn a_bad_config_leaves_the_output_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.json"), "previous").unwrap();
    fs::write(dir.path().join("bad.yaml"), "capacity:\n  min_capacity: 5\n").unwrap();
    let err = config_error(dir.path(), &["synth", "-c", "bad.yaml", "-o", "t.json"]);
    assert!(err.contains("bad.yaml:2:3: capacity.min_capacity: 5 must be at most capacity.max_capacity (1)"), "{err}");
    assert_eq!(fs::read_to_string(dir.path().join("t.json")).unwrap(), "previous");
}

#[test]
fn an_unwritable_output_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecs_alb(dir.path(), &["synth", "-o", "missing-dir/t.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing-dir"), "{}", stderr(&out));
    assert!(!dir.path().join("missing-dir").exists());
}

#[test]
fn output_replaces_an_existing_file_keeping_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.json");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    assert!(ecs_alb(dir.path(), &["synth", "-o", "t.json"]).status.success());
    assert_eq!(fs::read_to_string(&target).unwrap(), default_template());
    assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
}

#[test]
fn validate_reports_every_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.yaml"), "vpc:\n  max_azs: 1\nservice:\n  container:\n    port: 0\n").unwrap();
    let err = config_error(dir.path(), &["validate", "-c", "c.yaml"]);
    assert!(err.contains("c.yaml:2:3: vpc.max_azs: 1 must be from 2 to 6"), "{err}");
    assert!(err.contains("c.yaml:5:5: service.container.port: 0 must be from 1 to 65535"), "{err}");
}

#[test]
fn validate_says_ok() {
    let out = ecs_alb(repo_root(), &["validate", "-c", "examples/three-az-large.yaml"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "examples/three-az-large.yaml: OK (68 resources)\n");
}

#[test]
fn a_misspelt_key_gets_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.yaml"), "load_balancer:\n  listner_port: 8080\n").unwrap();
    let err = config_error(dir.path(), &["synth", "-c", "c.yaml"]);
    assert!(err.contains("c.yaml:2:3: load_balancer: unknown field `listner_port`"), "{err}");
    assert!(err.contains("hint: did you mean `listener_port`?"), "{err}");
}

#[test]
fn unreadable_configs_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("empty.yaml"), "").unwrap();
    fs::write(d.join("binary.yaml"), [0xff, 0xfe, 0x00, 0x81]).unwrap();
    fs::write(d.join("big.yaml"), "#".repeat(10 * 1024 * 1024)).unwrap();
    fs::write(d.join("syntax.yaml"), "vpc: [\n").unwrap();
    fs::write(d.join("list.yaml"), "- a\n- b\n").unwrap();
    fs::create_dir(d.join("dir.yaml")).unwrap();
    let cases = [
        ("missing.yaml", "cannot read the file"),
        ("empty.yaml", "the configuration is empty"),
        ("binary.yaml", "is not UTF-8 text"),
        ("big.yaml", "at most 1 MiB"),
        ("syntax.yaml", "syntax.yaml:"),
        ("list.yaml", "list.yaml: invalid type: sequence, expected a mapping"),
        ("dir.yaml", "is a directory"),
    ];
    for (file, expected) in cases {
        let err = config_error(d, &["synth", "-c", file]);
        assert!(err.contains(expected), "{file}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = ecs_alb(repo_root(), &["synth", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(ecs_alb(repo_root(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn ls_prints_the_stack_its_services_and_its_resources() {
    let out = ecs_alb(repo_root(), &["ls", "-c", "examples/no-drain-hook.yaml"]);
    assert_eq!(stdout(&out), "NoDrain\n  service: the default route\n");
    let out = ecs_alb(repo_root(), &["ls", "-c", "examples/platform.yaml"]);
    assert_eq!(
        stdout(&out),
        "Platform\n  web: the default route\n  api: paths /api/* (priority 34942)\n  admin: hosts admin.example.com (priority 19961)\n"
    );
    let out = stdout(&ecs_alb(repo_root(), &["ls", "--resources", "-c", "examples/no-drain-hook.yaml"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0..2], ["NoDrain", "  service: the default route"]);
    assert_eq!(lines.len(), 2 + 43);
    assert!(lines.iter().any(|l| { l.split_whitespace().eq(["Ec2ClusterEE43E89D", "AWS::ECS::Cluster"]) }));
}

#[test]
fn schema_describes_every_field_with_its_default() {
    let out = ecs_alb(repo_root(), &["schema"]);
    let schema: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["$defs"]["CapacityConfig"]["properties"]["task_drain_time_seconds"]["default"], 300);
    // The service's container takes the reference app's image; a sidecar has to name one.
    let main_container = &schema["$defs"]["ServiceConfig"]["properties"]["container"]["default"];
    assert_eq!(main_container["image"], "amazon/amazon-ecs-sample");
    assert_eq!(schema["$defs"]["ContainerConfig"]["properties"]["image"]["default"], Value::Null);
}

#[test]
fn drainer_zip_points_the_function_at_a_local_path() {
    let out = ecs_alb(repo_root(), &["synth", "--drainer-zip", "drainer/bootstrap.zip"]);
    let template: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let function = &template["Resources"]["Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionE0DEFB31"];
    assert_eq!(function["Properties"]["Code"], "drainer/bootstrap.zip");
    assert!(template["Parameters"].get("DrainerCodeS3Bucket").is_none());
}

/// Every file in tests/bad-configs/ names, in `# expect:` lines, what its errors must say.
#[test]
fn the_bad_config_corpus_is_refused_clearly() {
    let corpus = repo_root().join("tests/bad-configs");
    let mut files: Vec<_> = fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.json"), "previous").unwrap();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let expected: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expected.is_empty(), "{} names no expectation", file.display());
        let config = file.to_str().unwrap();
        let err = config_error(dir.path(), &["synth", "-c", config, "-o", "t.json"]);
        for fragment in &expected {
            assert!(err.contains(fragment), "{}: {fragment:?} not in\n{err}", file.display());
        }
        // Exactly the errors expected, in the file's order: one `error:` line each.
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
        let expected_errors: Vec<&&str> = expected.iter().filter(|e| !e.starts_with("hint: ")).collect();
        assert_eq!(errors.len(), expected_errors.len(), "{}: {err}", file.display());
        for (error, fragment) in errors.iter().zip(expected_errors) {
            assert!(error.contains(*fragment), "{}: {fragment:?} out of order in\n{err}", file.display());
        }
        assert_eq!(fs::read_to_string(dir.path().join("t.json")).unwrap(), "previous", "{}", file.display());
        // Each error names a field the configuration has (or the document, with no field).
        if let Err(error) = ecs_alb::config::load(&file) {
            for d in &error.diagnostics {
                assert!(ecs_alb::config::schema_has_field(&d.field), "{}: no field {:?}", file.display(), d.field);
            }
        }
        assert_eq!(config_error(dir.path(), &["validate", "-c", config]), err);
    }
}
