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

/// Asks AWS's resource schemas (as cfn-lint ships them) about resource types: `script` gets `m`,
/// the schema manager, and `sys.argv[1:]`, and prints `TYPE WORD...` lines, read back here.
fn ask_schemas(script: &str, args: &[&str]) -> Vec<(String, Vec<String>)> {
    let script = format!("import json, sys\nfrom cfnlint.schema import PROVIDER_SCHEMA_MANAGER as m\n{script}");
    let out = Command::new(venv_tool("python")).arg("-c").arg(script).args(args).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace().map(str::to_owned);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

/// For each resource type of a template, the tag properties its schema gives it.
fn tag_properties_by_type(template: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let script = "t = json.load(open(sys.argv[1]))\n\
        for ty in sorted({r['Type'] for r in t['Resources'].values()}):\n\
        \x20   props = m.get_resource_schema('us-east-1', ty).schema['properties']\n\
        \x20   print(ty, *[p for p in ('Tags', 'TagSpecifications') if p in props])\n";
    ask_schemas(script, &[template.to_str().unwrap()])
}

#[test]
fn every_resource_aws_lets_us_tag_carries_the_configured_tags() {
    // GIVEN an HTTPS stack with every optional resource, and tags
    let config = "load_balancer: {protocol: HTTPS, certificate_arn: 'arn:aws:acm:us-east-1:123456789012:certificate/x',\
                  domain_name: app.example.com, hosted_zone_id: Z0123}\n\
                  tags: {team: payments, cost-center: '4711'}\n";
    let config = ecs_alb::config::load_str(config, None).unwrap();
    let template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap().to_value().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tagged.json");
    std::fs::write(&path, template.to_string()).unwrap();

    // THEN each resource whose type takes tags (by AWS's schema) has both, its tag specifications
    // too, and the tasks inherit the service's
    let taggable = tag_properties_by_type(&path);
    assert!(taggable.iter().filter(|(_, props)| !props.is_empty()).count() >= 15, "{taggable:?}");
    for (id, resource) in template["Resources"].as_object().unwrap() {
        let (_, props) = taggable.iter().find(|(ty, _)| resource["Type"] == *ty).unwrap();
        for prop in props {
            let lists: Vec<&serde_json::Value> = match prop.as_str() {
                "TagSpecifications" => resource["Properties"][prop]
                    .as_array()
                    .unwrap_or_else(|| panic!("{id}: no {prop}"))
                    .iter()
                    .map(|s| &s["Tags"])
                    .collect(),
                _ => vec![&resource["Properties"][prop]],
            };
            for tags in lists {
                let text = tags.to_string();
                assert!(
                    text.contains(r#""Key":"team""#) && text.contains(r#""Value":"4711""#),
                    "{id} ({}) lacks the tags: {text}",
                    resource["Type"]
                );
            }
        }
    }
    let service =
        template["Resources"].as_object().unwrap().values().find(|r| r["Type"] == "AWS::ECS::Service").unwrap();
    assert_eq!(service["Properties"]["PropagateTags"], "SERVICE");
}

/// The createOnlyProperties of each type (the properties whose change replaces a resource), as
/// dotted paths.
fn create_only_properties(types: &[&str]) -> Vec<(String, Vec<String>)> {
    let script = "for ty in sys.argv[1:]:\n\
        \x20   schema = m.get_resource_schema('us-east-1', ty).schema\n\
        \x20   props = ['.'.join(p.split('/')[2:]) for p in schema.get('createOnlyProperties', [])]\n\
        \x20   print(ty, *sorted(set(props)))\n";
    ask_schemas(script, types)
}

/// What the diff reads about each type (`resources::schema`) and the typed resources
/// (`resources::generated`) are what the schemas of the installed cfn-lint make: the generator,
/// run again, writes the same files.
#[test]
fn the_generated_resource_code_is_current() {
    let out = Command::new(repo_root().join("scripts/generate-resources"))
        .arg("--check")
        .current_dir(repo_root())
        .output()
        .expect("the generator runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_replacement_table_agrees_with_aws_schemas() {
    let types: Vec<&str> = ecs_alb::diff::known_types().collect();
    assert!(types.len() >= 40, "{types:?}");
    let mut disagreements = Vec::new();
    for (ty, create_only) in create_only_properties(&types) {
        for property in &create_only {
            if !ecs_alb::diff::forces_replacement(&ty, property) {
                disagreements.push(format!("{ty}.{property} replaces the resource, the table says not"));
            }
        }
        for property in ecs_alb::diff::replacing_properties(&ty) {
            if !create_only.contains(&property.to_string()) {
                disagreements.push(format!("{ty}.{property} is in the table, not in AWS's createOnlyProperties"));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
