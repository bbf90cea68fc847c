//! The built Lambda package, run as Lambda runs it: the `bootstrap` from `bootstrap.zip`, started
//! with the environment the synthesized template gives the function, polling a local Runtime API,
//! with ECS and SQS at moto and Auto Scaling at the stub. Also its size, glibc needs, cold start and
//! memory, printed for the record (`cargo test -p drainer --test bootstrap -- --nocapture`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use testkit::autoscaling::AutoScalingStub;
use testkit::lambda_runtime::{Reply, RuntimeApi};
use testkit::moto::Moto;
use testkit::{venv_tool, workspace_root};

mod common;
use common::*;

/// Lambda's provided.al2023 runtime has glibc 2.34.
const MAX_GLIBC: (u32, u32) = (2, 34);
const MAX_ZIP_BYTES: u64 = 8 * 1024 * 1024;
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
const FUNCTION_ID: &str = "Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionE0DEFB31";

/// The package `scripts/build-drainer` makes (`scripts/test` builds it first), or `DRAINER_ZIP`.
fn package() -> PathBuf {
    let zip = std::env::var_os("DRAINER_ZIP")
        .map_or_else(|| workspace_root().join("target/lambda/drainer/bootstrap.zip"), PathBuf::from);
    assert!(zip.exists(), "{} is missing: run scripts/build-drainer (scripts/test does)", zip.display());
    zip
}

fn unpack(zip: &Path, into: &Path) -> PathBuf {
    let script = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])";
    let status = Command::new(venv_tool("python")).args(["-c", script]).arg(zip).arg(into).status().unwrap();
    assert!(status.success());
    let bootstrap = into.join("bootstrap");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    bootstrap
}

/// The function's environment from the default template, its `Ref`s resolved the way
/// CloudFormation would resolve them here.
fn template_environment(cluster: &str, queue_url: &str, dead_letter_url: &str) -> Vec<(String, String)> {
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap().to_value().unwrap();
    let variables =
        template["Resources"][FUNCTION_ID]["Properties"]["Environment"]["Variables"].as_object().unwrap().clone();
    variables
        .into_iter()
        .map(|(name, value)| {
            let resolved = match &value {
                Value::String(s) => s.clone(),
                v if v["Ref"].as_str().is_some_and(|r| r.starts_with("Ec2Cluster") && r.ends_with("EE43E89D")) => {
                    cluster.into()
                }
                v if v["Ref"].as_str().is_some_and(|r| r.contains("RecheckQueue")) => queue_url.into(),
                v if v["Ref"].as_str().is_some_and(|r| r.contains("DeadLetterQueue")) => dead_letter_url.into(),
                // The group and hook the lifecycle messages name (tests/common).
                v if v["Ref"].as_str().is_some_and(|r| r.ends_with("ASGC5A6D4C0")) => "shop-asg".into(),
                v if v["Ref"].as_str().is_some_and(|r| r.contains("LifecycleHookDrainHook")) => "drain-hook".into(),
                other => panic!("the test cannot resolve {name} = {other}: teach it"),
            };
            (name, resolved)
        })
        .collect()
}

fn start(
    bootstrap: &Path,
    runtime: &RuntimeApi,
    environment: &[(String, String)],
    moto: &Moto,
    stub: &AutoScalingStub,
) -> Child {
    Command::new(bootstrap)
        .env_clear()
        .envs(environment.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", runtime.authority())
        .env("AWS_LAMBDA_FUNCTION_NAME", "drainer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ENDPOINT_URL_AUTO_SCALING", stub.url())
        // Not in the template (the drainer's default is 30 s); shortened so the test need not wait.
        .env("RECHECK_DELAY_SECONDS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("bootstrap starts")
}

/// The function's process, stopped when the test ends, passed or failed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of a running process, in KiB.
fn peak_rss_kib(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn invoke(runtime: &RuntimeApi, event: &Value) -> (String, Duration) {
    let started = Instant::now();
    match runtime.invoke(&event.to_string(), INVOKE_TIMEOUT) {
        Some(Reply::Response(body)) => (body, started.elapsed()),
        Some(Reply::Error(body)) => panic!("the function failed: {body}"),
        None => panic!("no reply within {INVOKE_TIMEOUT:?}"),
    }
}

#[test]
fn the_package_is_small_and_needs_no_glibc_newer_than_lambdas() {
    let zip = package();
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = unpack(&zip, dir.path());
    let zip_size = std::fs::metadata(&zip).unwrap().len();
    let binary_size = std::fs::metadata(&bootstrap).unwrap().len();
    println!("drainer package: bootstrap.zip {zip_size} bytes, bootstrap {binary_size} bytes");
    assert!(zip_size < MAX_ZIP_BYTES, "bootstrap.zip is {zip_size} bytes");

    let out = Command::new("objdump").arg("-T").arg(&bootstrap).output().expect("objdump runs");
    let symbols = String::from_utf8_lossy(&out.stdout);
    let newest = symbols
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max()
        .expect("the binary links glibc");
    println!("drainer bootstrap needs GLIBC {}.{}", newest.0, newest.1);
    assert!(newest <= MAX_GLIBC, "needs GLIBC {newest:?}, Lambda has {MAX_GLIBC:?}");
}

#[test]
fn outside_lambda_it_says_so_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = unpack(&package(), dir.path());
    let out = Command::new(&bootstrap).env_clear().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: environment variable AWS_LAMBDA_RUNTIME_API is not set"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_bootstrap_drains_an_instance_as_lambda_runs_it() {
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let runtime = RuntimeApi::start();
    let fleet = fleet(&moto);
    let (instance_id, container_instance) = fleet.instances[0].clone();
    let dead_letters =
        moto.aws(&["sqs", "create-queue", "--queue-name", "dead-letters"])["QueueUrl"].as_str().unwrap().to_owned();
    let environment = template_environment(CLUSTER, &fleet.queue_url, &dead_letters);
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = unpack(&package(), dir.path());

    let spawned = Instant::now();
    let child = Running(start(&bootstrap, &runtime, &environment, &moto, &stub));
    let first_poll = runtime.wait_for_first_poll(Duration::from_secs(10)).expect("the function polls for events");
    let cold_start = first_poll.duration_since(spawned);

    // The hook fires: the instance drains and a re-check is queued.
    let (reply, first_duration) = invoke(&runtime, &sns_event(&lifecycle_message(&instance_id)));
    assert_eq!(reply, "null");
    assert_eq!(status(&moto, &container_instance), "DRAINING");
    let queued =
        moto.aws(&["sqs", "get-queue-attributes", "--queue-url", &fleet.queue_url, "--attribute-names", "All"]);
    // Delayed, or visible already if the AWS CLI started slower than the delay on a busy machine.
    let count = |name: &str| queued["Attributes"][name].as_str().unwrap().parse::<u32>().unwrap();
    assert_eq!(count("ApproximateNumberOfMessagesDelayed") + count("ApproximateNumberOfMessages"), 1, "{queued}");

    // Its tasks stop; the re-check (delivered here at once) completes the action.
    stop_tasks(&moto, &container_instance);
    // The re-check is delayed by RECHECK_DELAY_SECONDS (2 here): three long polls are ample.
    let received = (0..3)
        .map(|_| moto.aws(&["sqs", "receive-message", "--queue-url", &fleet.queue_url, "--wait-time-seconds", "20"]))
        .find(|received| received.get("Messages").is_some())
        .expect("the re-check arrives within a minute");
    let (reply, second_duration) = invoke(&runtime, &sqs_event(&received));
    assert_eq!(reply, r#"{"batchItemFailures":[]}"#);
    let actions: Vec<String> = stub.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["RecordLifecycleActionHeartbeat", "CompleteLifecycleAction"]);
    assert!(runtime.init_error().is_none());

    // The second instance, draining (as the hook's first check leaves it): its last task stops,
    // and ECS's event (the rule's pattern passes only this kind) completes the action at once, by
    // instance ID.
    let (second_id, second_arn) = fleet.instances[1].clone();
    set_draining(&moto, &second_arn);
    stop_tasks(&moto, &second_arn);
    stub.hold(&second_id, "shop-asg");
    let mut event: Value = serde_json::from_str(include_str!("fixtures/container-instance-draining.json")).unwrap();
    event["detail"]["ec2InstanceId"] = second_id.clone().into();
    let invoked = Instant::now();
    let (reply, event_duration) = invoke(&runtime, &event);
    assert_eq!(reply, "null");
    let completion = stub
        .calls()
        .into_iter()
        .rfind(|c| c.action == "CompleteLifecycleAction")
        .filter(|c| c.params.get("InstanceId") == Some(&second_id) && !c.params.contains_key("LifecycleActionToken"))
        .expect("the event completed the action by instance ID");
    let to_completion = completion.at.duration_since(invoked);

    let rss = peak_rss_kib(&child.0);
    drop(child);
    println!(
        "drainer bootstrap: cold start {} ms (spawn to first poll), first invocation {} ms, re-check {} ms, peak RSS {} KiB",
        cold_start.as_millis(),
        first_duration.as_millis(),
        second_duration.as_millis(),
        rss
    );
    println!(
        "drainer bootstrap: last task's event to CompleteLifecycleAction {} ms (loopback), event invocation {} ms",
        to_completion.as_millis(),
        event_duration.as_millis()
    );
}
