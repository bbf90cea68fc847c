//! checkov, on every template we emit and on the CDK's in the same run: we fail no check the CDK
//! template passes, fewer checks overall, and each check we still fail is justified here (and in
//! the README, one line each).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use common::{examples, repo_root};
use testkit::venv_tool;

/// Checks our templates fail, and why that is right (or what would fix it). Nowhere else.
const JUSTIFIED: &[(&str, &str)] = &[
    ("CKV_AWS_2", "HTTPS needs a certificate the user owns: HTTP by default, HTTPS with load_balancer.protocol"),
    ("CKV_AWS_103", "TLS policy: as CKV_AWS_2; with HTTPS the default policy allows TLS 1.2 and 1.3 only"),
    (
        "CKV_AWS_260",
        "a public web service takes port 80 from anywhere (with HTTPS, only to be redirected); the instances take only the ALB's",
    ),
    (
        "CKV_AWS_91",
        "ALB access logs cost storage and need a bucket: an option (observability.access_logs), off by default",
    ),
    ("CKV_AWS_18", "the access-log bucket's own accesses would need yet another bucket to log to; ELB alone writes it"),
    (
        "CKV_AWS_21",
        "the access-log bucket is append-only (ELB writes unique keys) and expires by rule; versions would keep nothing",
    ),
    ("CKV_AWS_27", "the queues use SQS-managed encryption (SqsManagedSseEnabled), which checkov does not recognise"),
    ("CKV_AWS_158", "CloudWatch Logs encrypts at rest already; a customer key adds cost and a key policy"),
    (
        "CKV_AWS_115",
        "reserving concurrency fails in accounts at the minimum concurrency quota; the drainer's load is tiny",
    ),
    ("CKV_AWS_117", "the drainer calls only AWS APIs; in a VPC it would need NAT or endpoints to reach them"),
    ("CKV_AWS_173", "the drainer's environment holds a cluster name, a queue URL and a number: nothing secret"),
];

/// What checkov made of the files: the failed check IDs of each file it scanned (a file it could
/// not parse, or skipped, has no entry at all, not an empty one).
fn checkov(files: &[std::path::PathBuf]) -> BTreeMap<String, BTreeSet<String>> {
    let mut cmd = Command::new(venv_tool("checkov"));
    // Not --quiet: the passed checks are what shows a file was scanned.
    cmd.args(["--framework", "cloudformation", "--skip-download", "--compact", "-o", "json"]);
    for file in files {
        cmd.arg("-f").arg(file);
    }
    let out = cmd.output().expect("checkov runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("checkov printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let reports = match report {
        Value::Array(reports) => reports,
        single => vec![single],
    };
    let mut scanned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for report in reports {
        assert_eq!(report["summary"]["parsing_errors"], 0, "checkov could not parse a template: {}", report["summary"]);
        for (kind, check) in ["passed_checks", "failed_checks"]
            .into_iter()
            .flat_map(|kind| report["results"][kind].as_array().into_iter().flatten().map(move |c| (kind, c)))
        {
            let file = check["file_path"].as_str().unwrap_or_default().trim_start_matches('/').to_owned();
            let failed = scanned.entry(file).or_default();
            if kind == "failed_checks" {
                failed.insert(check["check_id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    scanned
}

/// The README's figures (failed checks per template), pinned so they cannot drift.
const README_FIGURES: &[(&str, usize, &str)] = &[
    ("default", 9, "**checkov**: 9 failed checks for the default template against the CDK template's 14"),
    ("https", 7, "7 for the HTTPS example"),
];

#[test]
fn we_fail_fewer_checkov_checks_than_the_cdk_and_only_justified_ones() {
    let cdk_file = "tests/fixtures/cdk-add-capacity.template.json";
    let mut files: Vec<_> =
        examples().iter().map(|(name, _)| repo_root().join(format!("templates/{name}.json"))).collect();
    files.push(repo_root().join(cdk_file));
    let failed = checkov(&files);
    let cdk = failed
        .iter()
        .find(|(file, _)| file.ends_with(cdk_file))
        .map(|(_, c)| c.clone())
        .expect("checkov scanned the CDK template");
    assert_eq!(cdk.len(), 14, "the CDK baseline checkov reports: {cdk:?}");

    let justified: BTreeSet<&str> = JUSTIFIED.iter().map(|(id, _)| *id).collect();
    let mut ours_anywhere = BTreeSet::new();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for (name, _) in examples() {
        let ours = failed
            .iter()
            .find(|(file, _)| file.ends_with(&format!("templates/{name}.json")))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("checkov did not scan templates/{name}.json: {:?}", failed.keys()));
        if let Some((_, figure, sentence)) = README_FIGURES.iter().find(|(n, _, _)| *n == name) {
            assert_eq!(ours.len(), *figure, "{name}: the README's figure is stale: {ours:?}");
            assert!(
                readme.replace('\n', " ").replace("  ", " ").contains(sentence),
                "the README no longer says {sentence:?}"
            );
        }
        assert!(ours.len() < cdk.len(), "{name}: {} failed checks, the CDK's {}: {ours:?}", ours.len(), cdk.len());
        let unjustified: Vec<_> = ours.iter().filter(|id| !justified.contains(id.as_str())).collect();
        assert!(unjustified.is_empty(), "{name} fails checks nobody justified: {unjustified:?}");
        if name == "https" {
            for fixed_by_https in ["CKV_AWS_2", "CKV_AWS_103"] {
                assert!(!ours.contains(fixed_by_https), "the HTTPS example still fails {fixed_by_https}");
            }
        }
        ours_anywhere.extend(ours);
    }
    let stale: Vec<_> = justified.iter().filter(|id| !ours_anywhere.contains(**id)).collect();
    assert!(
        stale.is_empty(),
        "justified checks no template fails any more (remove them here and in the README): {stale:?}"
    );
}
