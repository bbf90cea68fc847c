//! deploy, diff and destroy end to end against a local moto server, through the AWS SDK as a user
//! would run them (AWS_ENDPOINT_URL pointing at moto).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use testkit::moto::{Moto, placeholder_zip};

const ASG: &str = "Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0";

fn cloud(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    cloud_at(moto.endpoint(), dir, args)
}

/// ecs-alb-cloud with its AWS calls sent to `endpoint` (moto, or a stand-in), with test
/// credentials and no configuration of the user's.
fn cloud_at(endpoint: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecs-alb-cloud"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .expect("ecs-alb-cloud runs")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn stack_status(moto: &Moto, stack: &str) -> String {
    moto.aws(&["cloudformation", "describe-stacks", "--stack-name", stack])["Stacks"][0]["StackStatus"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn deploy_creates_updates_and_knows_when_nothing_changed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = placeholder_zip(dir.path());
    let zip = zip.to_str().unwrap();

    // WHEN the default stack is deployed
    moto.start_recording();
    let out = cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", zip]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let resources = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap().resources().count();
    assert!(stdout.contains(&format!("{resources} to add, 0 to modify, 0 to replace, 0 to remove")), "{stdout}");
    assert!(stdout.contains("Bonjour: CREATE_COMPLETE"), "{stdout}");
    assert_eq!(stack_status(&moto, "Bonjour"), "CREATE_COMPLETE");

    // THEN the asset bucket is versioned, encrypted and closed to the public, and holds the package
    let bucket = "ecs-alb-assets-123456789012-us-east-1";
    assert!(stderr.contains(&format!("created asset bucket {bucket}")), "{stderr}");
    assert_eq!(moto.aws(&["s3api", "get-bucket-versioning", "--bucket", bucket])["Status"], "Enabled");
    let encryption = moto.aws(&["s3api", "get-bucket-encryption", "--bucket", bucket]);
    assert_eq!(
        encryption["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    let block = moto.aws(&["s3api", "get-public-access-block", "--bucket", bucket]);
    assert_eq!(block["PublicAccessBlockConfiguration"]["BlockPublicPolicy"], true);
    let objects = moto.aws(&["s3api", "list-objects-v2", "--bucket", bucket]);
    let key = objects["Contents"][0]["Key"].as_str().unwrap();
    assert!(key.starts_with("drainer/") && key.ends_with(".zip"), "{key}");

    // AND every call to the asset bucket names the account that must own it, so S3 refuses a
    // bucket of the same name that someone else created first (moto does not check; AWS does)
    let to_bucket: Vec<_> = moto
        .recorded_requests()
        .into_iter()
        .filter(|r| r["headers"]["user-agent"].as_str().is_some_and(|ua| ua.starts_with("aws-sdk-rust")))
        .filter(|r| r["action"].is_null() && r["url"].as_str().is_some_and(|u| u.contains(bucket)))
        .collect();
    // (CreateBucket takes no owner: it fails by itself, BucketAlreadyExists, for a taken name.)
    let create =
        |r: &&serde_json::Value| r["method"] == "PUT" && r["url"].as_str().unwrap().ends_with(&format!("/{bucket}/"));
    assert_eq!(to_bucket.iter().filter(create).count(), 1, "{to_bucket:?}");
    let owned_calls: Vec<_> = to_bucket.iter().filter(|r| !create(r)).collect();
    assert!(owned_calls.len() >= 5, "head, block, encrypt, version, upload: {owned_calls:?}");
    for request in owned_calls {
        assert_eq!(request["headers"]["x-amz-expected-bucket-owner"], "123456789012", "{request}");
    }

    // WHEN it is deployed again unchanged
    let out = cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", zip]);
    assert!(out.status.success());
    assert_eq!(text(&out).0, "Bonjour: no changes\n");

    // WHEN a bigger group is deployed over it
    std::fs::write(dir.path().join("ecs-alb.yaml"), "capacity: {max_capacity: 3}\n").unwrap();
    let out = cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", zip]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("[~] modify  {ASG} AWS::AutoScaling::AutoScalingGroup")), "{stdout}");
    assert!(stdout.contains("0 to add, 1 to modify, 0 to replace, 0 to remove"), "{stdout}");
    assert_eq!(stack_status(&moto, "Bonjour"), "UPDATE_COMPLETE");
    let groups = moto.aws(&["autoscaling", "describe-auto-scaling-groups"]);
    assert_eq!(groups["AutoScalingGroups"][0]["MaxSize"], 3);
}

#[test]
fn diff_against_the_deployed_stack_marks_replacements() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = placeholder_zip(dir.path());
    assert!(cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", zip.to_str().unwrap()]).status.success());

    let out = cloud(&moto, dir.path(), &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(text(&out).0, "There were no differences\n");

    std::fs::write(dir.path().join("ecs-alb.yaml"), "vpc: {cidr: 10.1.0.0/16}\n").unwrap();
    let out = cloud(&moto, dir.path(), &["diff"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[~] AWS::EC2::VPC MyVpcF9F0CA6F (replacement)"), "{stdout}");
    assert!(stdout.contains("[forces replacement]"), "{stdout}");

    // The change set of such a deploy shows the replacements, and --no-execute leaves the stack be.
    let out = cloud(&moto, dir.path(), &["deploy", "--no-execute", "--drainer-zip", zip.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("[!] replace MyVpcF9F0CA6F AWS::EC2::VPC"), "{stdout}");
    assert!(stdout.contains("to replace") && stdout.contains("not executed (--no-execute)"), "{stdout}");
    assert_eq!(stack_status(&moto, "Bonjour"), "CREATE_COMPLETE");

    let out = cloud(&moto, dir.path(), &["diff", "--stack-name", "no-such-stack"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn destroy_removes_a_stack_and_surfaces_a_failure() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let template = r#"{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}"#;
    let path = dir.path().join("small.json");
    std::fs::write(&path, template).unwrap();
    moto.aws(&[
        "cloudformation",
        "create-stack",
        "--stack-name",
        "small",
        "--template-body",
        &format!("file://{}", path.display()),
    ]);

    let out = cloud(&moto, dir.path(), &["destroy", "--stack-name", "small", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("small: DELETE_COMPLETE"), "{stdout}");
    let listed = moto.aws(&["cloudformation", "list-stacks"]);
    let small: Vec<&Value> =
        listed["StackSummaries"].as_array().unwrap().iter().filter(|s| s["StackName"] == "small").collect();
    assert!(small.iter().all(|s| s["StackStatus"] == "DELETE_COMPLETE"), "{small:?}");

    // moto cannot delete a VPC with dependencies; the reason must reach the user.
    let zip = placeholder_zip(dir.path());
    assert!(cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", zip.to_str().unwrap()]).status.success());
    let out = cloud(&moto, dir.path(), &["destroy", "--yes"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("DependencyViolation"), "{stderr}");

    let out = cloud(&moto, dir.path(), &["destroy", "--stack-name", "never-was", "--yes"]);
    assert!(text(&out).1.contains("there is no stack never-was"));
}

#[test]
fn a_failing_deploy_says_why_and_exits_non_zero() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = placeholder_zip(dir.path());
    let out = cloud(
        &moto,
        dir.path(),
        &["deploy", "--yes", "--stack-name", "bad_name!", "--drainer-zip", zip.to_str().unwrap()],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("error: ") && stderr.contains("alphanumeric"), "{stderr}");

    let out = cloud(&moto, dir.path(), &["deploy", "--yes", "--drainer-zip", "missing.zip"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("missing.zip is missing: build it with scripts/build-drainer"));

    // Without a terminal and without --yes it does not guess.
    let out = cloud(&moto, dir.path(), &["deploy", "--drainer-zip", zip.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("pass --yes"), "{:?}", text(&out));
}

fn deployed_image(moto: &Moto, stack: &str) -> String {
    let resources = moto.aws(&["cloudformation", "describe-stack-resources", "--stack-name", stack]);
    let arn = resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ResourceType"] == "AWS::ECS::TaskDefinition")
        .expect("a task definition")["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let td = moto.aws(&["ecs", "describe-task-definition", "--task-definition", &arn]);
    td["taskDefinition"]["containerDefinitions"][0]["image"].as_str().unwrap().to_owned()
}

/// The value the stack holds for a parameter.
fn stack_parameter(moto: &Moto, stack: &str, key: &str) -> String {
    let stacks = moto.aws(&["cloudformation", "describe-stacks", "--stack-name", stack]);
    let parameters = stacks["Stacks"][0]["Parameters"].as_array().unwrap().clone();
    let found = parameters.iter().find(|p| p["ParameterKey"] == key).expect("the parameter");
    found["ParameterValue"].as_str().unwrap().to_owned()
}

#[test]
fn an_image_parameter_is_set_on_deploy_and_kept_by_later_deploys() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = placeholder_zip(dir.path());
    let zip = zip.to_str().unwrap();
    let config = "stack_name: Images\ncapacity: {task_drain_time_seconds: 0}\n";
    std::fs::write(
        dir.path().join("ecs-alb.yaml"),
        format!("{config}service: {{container: {{image_parameter: true}}}}\n"),
    )
    .unwrap();
    let deploy = |extra: &[&str]| {
        let mut args = vec!["deploy", "--yes", "--drainer-zip", zip];
        args.extend_from_slice(extra);
        let out = cloud(&moto, dir.path(), &args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        // A private image through the parameter needs its repository named: deploy says so.
        assert!(
            stderr.contains("warning: ecs-alb.yaml:3:")
                && stderr.contains("service.container.image_parameter: true: an image from a private ECR repository"),
            "{stderr}"
        );
    };

    // WHEN the stack is created without a value, THEN the configured image is the default
    deploy(&[]);
    assert_eq!(deployed_image(&moto, "Images"), "amazon/amazon-ecs-sample");

    let with_desired_count = |count: u32| {
        let text = format!("{config}service: {{desired_count: {count}, container: {{image_parameter: true}}}}\n");
        std::fs::write(dir.path().join("ecs-alb.yaml"), text).unwrap();
    };
    // WHEN a new image is deployed by parameter (moto's change sets see template changes only,
    // never a parameter's, so this one comes with a template change)
    with_desired_count(2);
    deploy(&["--parameter", "ContainerImage=public.ecr.aws/nginx/nginx:1.27"]);
    // (moto registers the updated task definition without its containers, so the stack's
    // parameter, which the container's image refers to, is what can be checked)
    assert_eq!(stack_parameter(&moto, "Images", "ContainerImage"), "public.ecr.aws/nginx/nginx:1.27");

    // WHEN someone then deploys an infrastructure change without naming the image
    with_desired_count(3);
    deploy(&[]);
    // THEN the image deployed by parameter stays
    assert_eq!(stack_status(&moto, "Images"), "UPDATE_COMPLETE");
    assert_eq!(stack_parameter(&moto, "Images", "ContainerImage"), "public.ecr.aws/nginx/nginx:1.27");

    // WHEN a parameter the template does not have is given, THEN deploy refuses and names the ones it has
    let out = cloud(&moto, dir.path(), &["deploy", "--yes", "--parameter", "Imaeg=x"]);
    assert!(!out.status.success());
    let (_, stderr) = text(&out);
    assert!(stderr.contains("--parameter Imaeg: the template has no such parameter"), "{stderr}");
    assert!(stderr.contains("ContainerImage"), "{stderr}");
}

#[test]
fn a_template_too_large_to_send_inline_goes_through_the_asset_bucket() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    // GIVEN a stack whose template, minified, is over CloudFormation's 51,200-byte inline limit
    let tags: String = (0..20).map(|i| format!("tag-number-{i}: value-{i}, ")).collect();
    let config =
        format!("stack_name: Large\nvpc: {{max_azs: 6}}\ncapacity: {{task_drain_time_seconds: 0}}\ntags: {{{tags}}}\n");
    std::fs::write(dir.path().join("ecs-alb.yaml"), &config).unwrap();
    let valid = ecs_alb::config::load_str(&config, None).unwrap();
    let body = ecs_alb::pattern::synthesize(&valid, Default::default()).unwrap().to_json_minified().unwrap();
    assert!(body.len() > 51_200, "only {} bytes", body.len());

    // WHEN it is deployed
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    let (stdout, stderr) = text(&out);

    // THEN the template is uploaded under its content hash and the stack is created from there
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr
            .contains("more than CloudFormation takes inline): s3://ecs-alb-assets-123456789012-us-east-1/templates/"),
        "{stderr}"
    );
    assert_eq!(stack_status(&moto, "Large"), "CREATE_COMPLETE");
    let objects = moto.aws(&["s3api", "list-objects-v2", "--bucket", "ecs-alb-assets-123456789012-us-east-1"]);
    let key = objects["Contents"][0]["Key"].as_str().unwrap();
    assert!(key.starts_with("templates/") && key.ends_with(".json"), "{key}");
}

/// With managed draining, the group protects its instances from scale-in, and a deletion would
/// wait for them for ever: destroy lifts the protection (the group's setting and each instance's)
/// before deleting.
#[test]
fn destroy_lifts_scale_in_protection_first() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ecs-alb.yaml"),
        "stack_name: Managed\ncapacity: {draining: managed, max_capacity: 3}\n",
    )
    .unwrap();
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let group = moto.physical_id("Managed", ASG);
    let describe = || {
        moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &group])
            ["AutoScalingGroups"][0]
            .clone()
    };
    let before = describe();
    assert_eq!(before["NewInstancesProtectedFromScaleIn"], true, "{before}");
    assert!(before["Instances"].as_array().unwrap().iter().all(|i| i["ProtectedFromScaleIn"] == true), "{before}");

    // WHEN it is destroyed (moto deletes the group, then fails on the VPC's dependencies: README)
    moto.start_recording();
    let out = cloud(&moto, dir.path(), &["destroy", "--yes"]);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("lifted scale-in protection from 1 instance(s) of"), "{stderr}");

    // THEN the group stopped protecting new instances and the instance lost its protection before
    // the stack's deletion began
    let actions = moto.recorded_actions();
    let at =
        |action: &str| actions.iter().position(|a| a == action).unwrap_or_else(|| panic!("no {action}: {actions:?}"));
    assert!(at("UpdateAutoScalingGroup") < at("DeleteStack"), "{actions:?}");
    assert!(at("SetInstanceProtection") < at("DeleteStack"), "{actions:?}");
}

/// A stack whose first creation failed is in ROLLBACK_COMPLETE, where CloudFormation takes no
/// update: deploy says so, and deletes and recreates it only when told to (moto cannot produce
/// that state, hence a stand-in for CloudFormation).
#[test]
fn deploy_offers_to_recreate_a_stack_whose_creation_failed() {
    use testkit::cloudformation::{END_OF_STUB, FailedStackStub};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ecs-alb.yaml"), "stack_name: Broken\ncapacity: {task_drain_time_seconds: 0}\n")
        .unwrap();
    let deploy = |stub: &FailedStackStub, args: &[&str]| cloud_at(&stub.url(), dir.path(), args);
    let actions = |stub: &FailedStackStub| -> Vec<String> {
        stub.calls().into_iter().map(|c| c.get("Action").cloned().unwrap_or_default()).collect()
    };

    // Without --yes (and no terminal to ask at) it explains and leaves the stack alone.
    let stub = FailedStackStub::start("Broken");
    let out = deploy(&stub, &["deploy"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("stack Broken is ROLLBACK_COMPLETE: its first creation failed"), "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert!(!actions(&stub).contains(&"DeleteStack".to_owned()), "{:?}", actions(&stub));

    // With --yes it deletes the stack, follows the deletion, and creates it again.
    let stub = FailedStackStub::start("Broken");
    let out = deploy(&stub, &["deploy", "--yes"]);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("Broken: deleted; creating it again"), "{stderr}");
    assert!(stderr.contains(END_OF_STUB), "{stderr}");
    let calls = stub.calls();
    let create = calls.iter().find(|c| c["Action"] == "CreateChangeSet").expect("a change set after the deletion");
    assert_eq!(create["ChangeSetType"], "CREATE");
    let order = actions(&stub);
    let position = |a: &str| order.iter().position(|x| x == a).unwrap();
    assert!(position("DeleteStack") < position("CreateChangeSet"), "{order:?}");
}

/// Without credentials, or with AWS out of reach, the error is a line or two that says what was
/// being done and what to do, not the SDK's debug output; --verbose adds that output.
#[test]
fn aws_failures_are_told_in_a_line_or_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ecs-alb.yaml"), "capacity: {task_drain_time_seconds: 0}\n").unwrap();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ecs-alb-cloud"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("HOME", dir.path())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("ecs-alb-cloud runs");
        assert_eq!(out.status.code(), Some(1));
        text(&out).1
    };

    let stderr = run(&[], &["deploy", "--yes"]);
    assert!(stderr.lines().count() <= 2, "{stderr}");
    assert!(stderr.starts_with("error: cannot describe stack Bonjour: no AWS credentials found"), "{stderr}");
    for fix in ["AWS_PROFILE", "aws sso login", "AWS_ACCESS_KEY_ID"] {
        assert!(stderr.contains(fix), "{fix}: {stderr}");
    }
    assert!(!stderr.contains("DispatchFailure"), "{stderr}");

    // Port 9 (discard) refuses connections on loopback.
    let unreachable = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ];
    let stderr = run(&unreachable, &["destroy", "--yes", "--stack-name", "shop"]);
    assert!(stderr.lines().count() <= 2, "{stderr}");
    assert!(stderr.contains("cannot reach http://127.0.0.1:9"), "{stderr}");

    let verbose = run(&unreachable, &["destroy", "--yes", "--stack-name", "shop", "--verbose"]);
    assert!(verbose.contains("the AWS SDK's error: dispatch failure"), "{verbose}");
    // A profile of `aws login` is read (the SDK's credentials-login feature), as the AWS CLI reads it.
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/me\nregion = us-east-1\n")
        .unwrap();
    let profile = [("AWS_PROFILE", "dev"), ("AWS_CONFIG_FILE", config.to_str().unwrap())];
    let stderr = run(&profile, &["deploy", "--yes"]);
    assert!(stderr.contains("`aws login` session is not signed in or has expired: run `aws login`"), "{stderr}");
}

/// DescribeChangeSet answers 100 changes a page: the summary counts every page.
#[test]
fn a_change_set_of_more_than_a_page_is_read_to_the_end() {
    use testkit::cloudformation::PagedChangeSetStub;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ecs-alb.yaml"), "stack_name: Paged\ncapacity: {task_drain_time_seconds: 0}\n")
        .unwrap();
    let stub = PagedChangeSetStub::start(250);
    let out = cloud_at(&stub.url(), dir.path(), &["deploy", "--no-execute"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("250 to add, 0 to modify, 0 to replace, 0 to remove"), "{stdout}");
    assert!(stdout.contains("[+] add     R249 AWS::SQS::Queue"), "{stdout}");
    let pages = stub.calls().iter().filter(|c| c["Action"] == "DescribeChangeSet").count();
    assert_eq!(pages, 3, "{:?}", stub.calls());
}

/// A rule moved onto a priority another rule holds would fail the update midway
/// (`PriorityInUse`) and roll it back: deploy stops before it makes a change set.
#[test]
fn deploy_refuses_a_listener_rule_moved_onto_a_priority_held_now() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ecs-alb.yaml");
    let write = |services: &str| {
        std::fs::write(
            &config,
            format!("stack_name: Rules\ncapacity: {{task_drain_time_seconds: 0}}\nservices:\n  web: {{}}\n{services}"),
        )
        .unwrap()
    };
    write(
        "  api: {routing: {path_patterns: [/api/*], priority: 20}, container: {name: api}}\n  admin: {routing: {host_headers: [admin.example.com], priority: 30}, container: {name: admin}}\n",
    );
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    assert!(out.status.success(), "{:?}", text(&out));
    // The removal of api as priorities by place made it: admin from 30 onto api's 20.
    write("  admin: {routing: {host_headers: [admin.example.com], priority: 20}, container: {name: admin}}\n");
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Rules: this update cannot be deployed as it is"), "{stderr}");
    assert!(
        stderr.contains("moves listener rule adminListenerRule") && stderr.contains("from priority 30 to 20"),
        "{stderr}"
    );
    let change_sets = moto.aws(&["cloudformation", "list-change-sets", "--stack-name", "Rules"]);
    assert_eq!(change_sets["Summaries"].as_array().map(Vec::len), Some(1), "only the creation's: {change_sets}");
    // Keeping the priority it holds deploys.
    write("  admin: {routing: {host_headers: [admin.example.com], priority: 30}, container: {name: admin}}\n");
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    assert!(out.status.success(), "{:?}", text(&out));
}

/// A managed-draining stack deployed before capacity providers were named: deploy keeps the name
/// CloudFormation gave it, since a new one would replace the provider and ECS refuses a second
/// provider for the same group (moto does not model capacity providers; the template it keeps
/// shows what CloudFormation was asked to do).
#[test]
fn an_upgrade_keeps_the_deployed_capacity_providers_name() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let root = testkit::workspace_root();
    let old = root.join("tests/fixtures/managed-draining-before-named-provider.json");
    assert!(moto.deploy("Managed", &old, &[]).contains("CREATE_COMPLETE"));
    std::fs::copy(root.join("examples/managed-draining.yaml"), dir.path().join("ecs-alb.yaml")).unwrap();
    let out = cloud(&moto, dir.path(), &["deploy", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("Managed: keeping capacity provider Ec2ClusterAsgCapacityProviderCCDF43AE's deployed name"),
        "{stderr}"
    );
    assert!(stdout.contains("0 to replace"), "{stdout}");
    let body = &moto.aws(&["cloudformation", "get-template", "--stack-name", "Managed"])["TemplateBody"];
    let template: Value = match body {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    };
    let provider = &template["Resources"]["Ec2ClusterAsgCapacityProviderCCDF43AE"]["Properties"];
    assert!(provider.get("Name").is_none(), "{provider}");
    assert!(provider.get("AutoScalingGroupProvider").is_some());
}

/// A first creation that fails with managed draining rolls back by deleting a group whose
/// instances are protected from scale-in, which on AWS waits until CloudFormation gives up.
/// deploy lifts the protection as the rollback starts deleting the group, so the rollback ends
/// and deploy reports the first failure (a stand-in, since moto does not roll back).
#[test]
fn a_failed_create_with_managed_draining_rolls_back_to_the_end() {
    use testkit::cloudformation::{ROLLBACK_GROUP, RollingBackCreateStub};
    let dir = tempfile::tempdir().unwrap();
    let root = testkit::workspace_root();
    std::fs::copy(root.join("examples/managed-draining.yaml"), dir.path().join("ecs-alb.yaml")).unwrap();
    let stub = RollingBackCreateStub::start("Managed");
    let out = cloud_at(&stub.url(), dir.path(), &["deploy", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("the deployment ended in ROLLBACK_COMPLETE; the first failure: Service: Resource handler returned message: the service did not stabilize"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "lifted scale-in protection from 1 instance(s) of {ROLLBACK_GROUP}, so the operation can end them"
        )),
        "{stderr}"
    );
    let calls = stub.calls();
    let protection = calls.iter().find(|c| c["Action"] == "SetInstanceProtection").expect("the protection lifted");
    assert_eq!(
        (protection["AutoScalingGroupName"].as_str(), protection["ProtectedFromScaleIn"].as_str()),
        (ROLLBACK_GROUP, "false")
    );
    let group = calls.iter().find(|c| c["Action"] == "UpdateAutoScalingGroup").expect("new instances unprotected");
    assert_eq!(group["NewInstancesProtectedFromScaleIn"], "false");
}
