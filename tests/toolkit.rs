//! The verbs that need no AWS: diff against a file, docs, graph, completions and the man page.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

use common::{examples, repo_root, synth_file};

fn ecs_alb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecs-alb")).args(args).current_dir(repo_root()).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn diff_against_an_equal_template_exits_0() {
    let out = ecs_alb(&["diff", "--against", "templates/default.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "There were no differences\n");
}

#[test]
fn diff_marks_the_changes_that_replace_and_exits_1() {
    // The VPC's range replaces the VPC and every subnet; the ASG's size does not.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.yaml");
    std::fs::write(&config, "vpc: {cidr: 10.1.0.0/16}\ncapacity: {max_capacity: 3}\n").unwrap();
    let out = ecs_alb(&["diff", "-c", config.to_str().unwrap(), "--against", "templates/default.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("[~] AWS::EC2::VPC MyVpcF9F0CA6F (replacement)"), "{text}");
    assert!(text.contains("~ Properties.CidrBlock: \"10.0.0.0/16\" → \"10.1.0.0/16\"  [forces replacement]"), "{text}");
    assert!(text.contains("[~] AWS::AutoScaling::AutoScalingGroup Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0\n    ~ Properties.MaxSize: \"2\" → \"3\"\n"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
    snapshot("diff-cidr-and-capacity", &text);
}

/// A change with every kind of difference: the VPC's range (replaces the VPC and its subnets,
/// disruptive), the listener's port (in place), access logs (added), no drain hook (removed), the
/// image as a parameter (a new parameter), and so new and changed outputs.
fn every_kind_of_change(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("changed.yaml");
    std::fs::write(
        &config,
        "vpc: {cidr: 10.1.0.0/16}\nload_balancer: {listener_port: 8080}\nobservability: {access_logs: true}\n\
         capacity: {task_drain_time_seconds: 0}\nservice: {container: {image_parameter: true}}\n",
    )
    .unwrap();
    let template = dir.join("changed.json");
    let out = ecs_alb(&["synth", "-c", config.to_str().unwrap(), "-o", template.to_str().unwrap()]);
    assert!(out.status.success());
    template
}

/// Two committed templates compared without a configuration, as a pull request's CI does it; the
/// Markdown and JSON a reviewer and a tool read are snapshotted, and the JSON matches its schema.
#[test]
fn diff_of_two_templates_in_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let head = every_kind_of_change(dir.path());
    let head = head.to_str().unwrap();
    let markdown = ecs_alb(&["diff", "--against", "templates/default.json", head, "--format", "markdown"]);
    assert_eq!(markdown.status.code(), Some(1));
    let text = stdout(&markdown);
    assert!(text.contains("> **Warning: replaces resources that interrupt the service or lose state:**"), "{text}");
    assert!(text.contains("<details>") && !text.contains('\u{1b}'), "{text}");
    snapshot("diff-markdown", &text);

    let json = ecs_alb(&["diff", "--against", "templates/default.json", head, "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["format_version"], 1);
    let summary = &report["summary"];
    assert!(summary["added"].as_u64().unwrap() > 0 && summary["removed"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["disruptive_replacements"].as_array().unwrap().contains(&"MyVpcF9F0CA6F".into()), "{summary}");
    let vpc = report["resources"].as_array().unwrap().iter().find(|r| r["logical_id"] == "MyVpcF9F0CA6F").unwrap();
    assert_eq!(vpc["replaced_because"], serde_json::json!(["CidrBlock"]));
    let parameter = |id: &str| report["parameters"].as_array().unwrap().iter().find(|p| p["logical_id"] == id).cloned();
    assert_eq!(parameter("ContainerImage").unwrap()["change"], "added");
    assert_eq!(parameter("DrainerCodeS3Bucket").unwrap()["change"], "removed");
    snapshot("diff-json", &stdout(&json));

    // The JSON is what its schema says, checked by check-jsonschema from the test venv.
    let schema_path = dir.path().join("diff.schema.json");
    std::fs::write(&schema_path, stdout(&ecs_alb(&["schema", "--diff"]))).unwrap();
    let report_path = dir.path().join("report.json");
    std::fs::write(&report_path, stdout(&json)).unwrap();
    let check = Command::new(testkit::venv_tool("check-jsonschema"))
        .arg("--schemafile")
        .arg(&schema_path)
        .arg(&report_path)
        .output()
        .expect("check-jsonschema runs");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// `--fail-on` decides what blocks a merge: any change (the default), only a replacement, nothing.
#[test]
fn the_gate_fails_on_what_it_is_told_to() {
    let dir = tempfile::tempdir().unwrap();
    let replacing = every_kind_of_change(dir.path());
    let in_place = dir.path().join("in-place.json");
    let config = dir.path().join("in-place.yaml");
    std::fs::write(&config, "capacity: {max_capacity: 3}\n").unwrap();
    assert!(ecs_alb(&["synth", "-c", config.to_str().unwrap(), "-o", in_place.to_str().unwrap()]).status.success());
    let code = |head: &std::path::Path, fail_on: &str| {
        ecs_alb(&["diff", "--against", "templates/default.json", head.to_str().unwrap(), "--fail-on", fail_on])
            .status
            .code()
    };
    assert_eq!(
        (code(&replacing, "change"), code(&replacing, "replacement"), code(&replacing, "never")),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(
        (code(&in_place, "change"), code(&in_place, "replacement"), code(&in_place, "never")),
        (Some(1), Some(0), Some(0))
    );
    let same = repo_root().join("templates/default.json");
    assert_eq!(code(&same, "change"), Some(0));
    // A template file needs the template to compare with.
    assert_eq!(ecs_alb(&["diff", "templates/default.json"]).status.code(), Some(2));
}

/// The place-derived priorities of before: removing `api` moved `admin` from 30 onto 20, which
/// `api`'s rule holds until CloudFormation's cleanup. `diff` refuses it whatever the gate says.
#[test]
fn diff_refuses_a_rule_moved_onto_a_priority_another_holds_now() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, services: &str| {
        let config = dir.path().join(format!("{name}.yaml"));
        let template = dir.path().join(format!("{name}.json"));
        std::fs::write(&config, format!("stack_name: Platform\nservices:\n  web: {{}}\n{services}")).unwrap();
        let out = ecs_alb(&["synth", "-c", config.to_str().unwrap(), "-o", template.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        template
    };
    let api = "  api: {routing: {path_patterns: [/api/*], priority: 20}, container: {name: api}}\n";
    let before = write(
        "before",
        &format!(
            "{api}  admin: {{routing: {{host_headers: [admin.example.com], priority: 30}}, container: {{name: admin}}}}\n"
        ),
    );
    let after = write(
        "after",
        "  admin: {routing: {host_headers: [admin.example.com], priority: 20}, container: {name: admin}}\n",
    );
    for format in ["text", "markdown", "json"] {
        let out = ecs_alb(&[
            "diff",
            "--against",
            before.to_str().unwrap(),
            after.to_str().unwrap(),
            "--fail-on",
            "never",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        let text = stdout(&out);
        if format == "json" {
            let report: Value = serde_json::from_str(&text).unwrap();
            let conflict = &report["priority_conflicts"][0];
            assert_eq!((conflict["priority"].as_u64(), conflict["from"].as_u64()), (Some(20), Some(30)), "{text}");
            assert!(conflict["held_by"].as_str().unwrap().starts_with("apiListenerRule"), "{text}");
        } else {
            assert!(text.contains("moves listener rule adminListenerRule"), "{format}: {text}");
            assert!(text.contains("from priority 30 to 20, which apiListenerRule"), "{format}: {text}");
        }
    }
    // The priorities derived from the names: the same removal moves nothing.
    let before = write(
        "derived-before",
        "  api: {routing: {path_patterns: [/api/*]}, container: {name: api}}\n  admin: {routing: {host_headers: [admin.example.com]}, container: {name: admin}}\n",
    );
    let after =
        write("derived-after", "  admin: {routing: {host_headers: [admin.example.com]}, container: {name: admin}}\n");
    let out = ecs_alb(&["diff", "--against", before.to_str().unwrap(), after.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// A managed-draining stack made before capacity providers were named (templates/ at b5dc348~1):
/// today's template would replace its provider for the name alone, which ECS refuses for the
/// same group. `diff` says so; `deploy` keeps the deployed name (cloud/tests/verbs.rs).
#[test]
fn diff_refuses_a_capacity_provider_renamed_for_the_same_group() {
    let old = "tests/fixtures/managed-draining-before-named-provider.json";
    let out = ecs_alb(&["diff", "-c", "examples/managed-draining.yaml", "--against", old, "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.starts_with("cannot deploy: renames capacity provider Ec2ClusterAsgCapacityProviderCCDF43AE of the same Auto Scaling group"),
        "{text}"
    );
    // With the deployed name kept, the provider is not replaced and nothing blocks the update.
    let mut new = ecs_alb::diff::read_template(&repo_root().join("templates/managed-draining.json")).unwrap();
    let deployed = ecs_alb::diff::read_template(&repo_root().join(old)).unwrap();
    let renames = ecs_alb::diff::diff(&deployed, &new).provider_renames;
    ecs_alb::diff::keep_deployed_names(&mut new, &renames);
    let changes = ecs_alb::diff::diff(&deployed, &new);
    assert!(changes.blockers().is_empty(), "{:?}", changes.blockers());
    assert!(!changes.resources.iter().any(|r| r.resource_type == "AWS::ECS::CapacityProvider"));
}

/// A change to the instances' launch template replaces every running instance: diff says so,
/// and by which of the group's update policies.
#[test]
fn diff_says_when_and_how_the_instances_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let diff = |config: &str, format: &str| {
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, config).unwrap();
        stdout(&ecs_alb(&[
            "diff",
            "-c",
            path.to_str().unwrap(),
            "--against",
            "templates/default.json",
            "--format",
            format,
        ]))
    };
    let rolling = diff("capacity: {instance_type: t3.small}\n", "text");
    assert!(
        rolling.contains("instances: replaces every instance of Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0 by its rolling update, one instance at a time, each drained first (because of LaunchTemplateData.InstanceType)"),
        "{rolling}"
    );
    let refresh = diff("capacity: {instance_type: t3.small, update_policy: refresh}\n", "markdown");
    assert!(refresh.contains("> **Instances:** replaces every instance of Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0 by an instance refresh"), "{refresh}");
    let json: Value = serde_json::from_str(&diff("capacity: {machine_image: bottlerocket}\n", "json")).unwrap();
    let replacement = &json["instance_replacements"][0];
    assert_eq!(replacement["policy"], "rolling");
    assert!(
        replacement["because"].as_array().unwrap().iter().any(|b| b.as_str().unwrap().contains("ImageId")),
        "{json}"
    );
    // A change that leaves the launch template alone replaces nothing.
    let sized = diff("capacity: {max_capacity: 3}\n", "text");
    assert!(!sized.contains("instances:"), "{sized}");
}

#[test]
fn diff_of_a_missing_or_bad_file_exits_2() {
    assert_eq!(ecs_alb(&["diff", "--against", "no-such-file.json"]).status.code(), Some(2));
    let out = ecs_alb(&["diff", "--against", "README.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("README.md is not a template"));
}

#[test]
fn diff_against_a_yaml_template() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("t.yaml");
    let out = ecs_alb(&["synth", "--format", "yaml", "-o", yaml.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(ecs_alb(&["diff", "--against", yaml.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn the_replacement_table_knows_every_type_we_emit() {
    let known: BTreeSet<&str> = ecs_alb::diff::known_types().collect();
    for (name, path) in examples() {
        let t: Value = serde_json::from_str(&synth_file(&path)).unwrap();
        for resource in t["Resources"].as_object().unwrap().values() {
            let resource_type = resource["Type"].as_str().unwrap();
            assert!(known.contains(resource_type), "{name}: {resource_type} is missing from the replacement table");
        }
    }
}

#[test]
fn docs_list_every_field_with_type_and_default() {
    let out = ecs_alb(&["docs"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in [
        "## capacity",
        "## service.container",
        "| `task_drain_time_seconds` | integer | 300 (5 minutes, the CDK's) |",
        "| `desired_capacity` | integer (optional) | left to Auto Scaling, which starts at `min_capacity` |",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let schema: Value = serde_json::from_str(&stdout(&ecs_alb(&["schema"]))).unwrap();
    let defs = schema["$defs"].as_object().unwrap();
    let is_section = |p: &Value| {
        let optional = p["anyOf"].as_array().and_then(|vs| vs.iter().find_map(|v| v["$ref"].as_str()));
        p["$ref"]
            .as_str()
            .or(optional)
            .and_then(|r| defs.get(r.trim_start_matches("#/$defs/")))
            .is_some_and(|d| d.get("properties").is_some())
    };
    for def in defs.values().chain([&schema]) {
        for (field, property) in def["properties"].as_object().into_iter().flatten() {
            if !is_section(property) {
                assert!(text.contains(&format!("| `{field}` |")), "no row for {field}");
            }
        }
    }
    snapshot("docs", &text);
}

#[test]
fn the_graph_has_every_resource_and_reference() {
    for (format, node, edge) in [
        ("mermaid", "  {id}[\"{id}<br/>", "  {from} --> {to}\n"),
        ("dot", "  \"{id}\" [label=", "  \"{from}\" -> \"{to}\";\n"),
    ] {
        let out = ecs_alb(&["graph", "--detail", "resources", "--format", format]);
        assert!(out.status.success());
        let text = stdout(&out);
        let template: Value = serde_json::from_str(&synth_file(&repo_root().join("examples/default.yaml"))).unwrap();
        let resources = template["Resources"].as_object().unwrap();
        for id in resources.keys() {
            assert!(text.contains(&node.replace("{id}", id)), "{format}: node {id}");
        }
        // Every Ref and GetAtt between resources is an edge.
        let mut references = Vec::new();
        for (from, resource) in resources {
            collect_references(&resource["Properties"], &mut references, from);
        }
        let references: BTreeSet<_> = references.into_iter().filter(|(_, to)| resources.contains_key(to)).collect();
        assert!(references.len() > 60, "{}", references.len());
        for (from, to) in references {
            assert!(text.contains(&edge.replace("{from}", &from).replace("{to}", &to)), "{format}: {from} -> {to}");
        }
    }
}

/// The picture people read: every resource of every example in exactly one part, drawn with
/// what it is; requests and events apart from plain references.
#[test]
fn the_architecture_puts_every_resource_in_exactly_one_part() {
    for (name, path) in examples() {
        let config = ecs_alb::config::load(&path).unwrap();
        let typed = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap();
        let picture = ecs_alb::architecture::architecture(config.model(), &typed).unwrap();
        let template = typed.to_value().unwrap();
        for id in template["Resources"].as_object().unwrap().keys() {
            let parts = picture.part_of(id);
            assert_eq!(parts.len(), 1, "{name}: {id} is in {parts:?}");
            assert_ne!(parts[0], &ecs_alb::architecture::Part::Service("unknown".into()), "{name}: {id} has no part");
        }
    }
    let text = stdout(&ecs_alb(&["graph"]));
    for expected in [
        "subgraph network[\"Network\"]",
        "[\"ALB :80\"]",
        "[\"service web ×1\"]",
        "[\"t2.micro 1–1\"]",
        "[\"drainer (Rust, provided.al2023)\"]",
        "Internet ==>|HTTP :80| Ec2ServiceLB381329CE",
        "-->|instance terminating|",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
}

/// The README's pictures, rendered here by Graphviz (`dot`, from Debian's package) from what
/// `ecs-alb graph --format dot` prints now, so they cannot go stale. `INSTA_UPDATE=always`
/// rewrites them.
#[test]
fn the_readmes_pictures_are_the_stacks_own() {
    for (example, picture) in [("default", "architecture-default.svg"), ("platform", "architecture-platform.svg")] {
        let config = format!("examples/{example}.yaml");
        let dot_source = stdout(&ecs_alb(&["graph", "--format", "dot", "-c", &config]));
        let mut render = Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("Graphviz's dot is installed (scripts/setup-debian, which scripts/test runs)");
        use std::io::Write as _;
        render.stdin.take().unwrap().write_all(dot_source.as_bytes()).unwrap();
        let svg = String::from_utf8(render.wait_with_output().unwrap().stdout).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        let path = repo_root().join("snapshots").join(picture);
        if std::env::var("INSTA_UPDATE").as_deref() == Ok("always") {
            std::fs::write(&path, &svg).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == svg, "snapshots/{picture} is stale: run INSTA_UPDATE=always cargo test --test toolkit");
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = ecs_alb(&["completions", shell]);
        assert!(out.status.success() && stdout(&out).contains("synth"), "{shell}");
    }
    let man = stdout(&ecs_alb(&["man"]));
    assert!(man.starts_with(".ie") || man.contains(".TH ecs-alb"), "{}", &man[..200.min(man.len())]);
}

#[test]
fn cloud_verbs_without_the_cloud_binary_say_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let lonely = dir.path().join("ecs-alb");
    std::fs::copy(env!("CARGO_BIN_EXE_ecs-alb"), &lonely).unwrap();
    let out = output_of_fresh_executable(Command::new(&lonely).args(["deploy", "--yes"]).env("PATH", dir.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs ecs-alb-cloud"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cloud_verbs_run_the_cloud_binary_with_the_same_arguments() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("ecs-alb");
    std::fs::copy(env!("CARGO_BIN_EXE_ecs-alb"), &main).unwrap();
    let fake = dir.path().join("ecs-alb-cloud");
    std::fs::write(&fake, "#!/bin/sh\necho \"cloud got: $*\"\nexit 3\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out =
        output_of_fresh_executable(Command::new(&main).args(["-c", "x.yaml", "deploy", "--yes", "--stack-name", "s"]));
    assert_eq!(stdout(&out), "cloud got: -c x.yaml deploy --yes --stack-name s\n");
    assert_eq!(out.status.code(), Some(3), "its exit code is ours");
}

#[test]
fn docs_open_writes_html_even_without_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecs-alb"))
        .args(["docs", "--open"])
        .env("PATH", dir.path())
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no browser could be opened"), "{stderr}");
    let html = std::fs::read_to_string(dir.path().join("ecs-alb-configuration.html")).unwrap();
    assert!(html.contains("<code>task_drain_time_seconds</code>"));
}

/// (from, to) for every `Ref` and `Fn::GetAtt` in a value.
fn collect_references(value: &Value, out: &mut Vec<(String, String)>, from: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(to)) = map.get("Ref") {
                out.push((from.to_owned(), to.clone()));
            }
            if let Some(to) = map.get("Fn::GetAtt").and_then(|v| v[0].as_str()) {
                out.push((from.to_owned(), to.to_owned()));
            }
            map.values().for_each(|v| collect_references(v, out, from));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out, from)),
        _ => {}
    }
}

/// Runs a file written moments ago. Another test thread may be forking meanwhile, and its child
/// holds the file open until it execs ("Text file busy"), so that one error is waited out.
fn output_of_fresh_executable(command: &mut Command) -> Output {
    const ETXTBSY: i32 = 26;
    for _ in 0..100 {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) => std::thread::sleep(std::time::Duration::from_millis(10)),
            result => return result.expect("runs"),
        }
    }
    panic!("the file stayed busy")
}

/// The README's canary timeline is what `diff` draws from `templates/canary.json`.
#[test]
fn the_readmes_canary_timeline_is_the_templates_own() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block = readme.split("<!-- canary-timeline -->\n```text\n").nth(1).expect("the README's canary timeline");
    let written: Vec<&str> = block.split("\n```").next().unwrap().lines().collect();
    let template = ecs_alb::diff::read_template(&repo_root().join("templates/canary.json")).unwrap();
    let (_, service) =
        template["Resources"].as_object().unwrap().iter().find(|(_, r)| r["Type"] == "AWS::ECS::Service").unwrap();
    let drawn = ecs_alb::diff::timeline(
        &service["Properties"]["DeploymentConfiguration"],
        &service["Properties"]["LoadBalancers"],
    );
    assert_eq!(written, drawn);
}
