//! A moto server on 127.0.0.1 and the AWS CLI pointed at it.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::venv_tool;

const REGION: &str = "us-east-1";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The default template's image parameter (Amazon Linux 2023's) and the public SSM path it names.
pub const IMAGE_PARAMETER: &str = "SsmParameterValueawsserviceecsoptimizedamiamazonlinux2023recommendedimageidC96584B6F00A464EAD1953AFF4B05118Parameter";
pub const IMAGE_SSM_PATH: &str = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
/// Types moto's CloudFormation accepts but does not create ("No Moto CloudFormation support").
pub const MOTO_SKIPS: [&str; 10] = [
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::AutoScaling::LifecycleHook",
    "AWS::AutoScaling::ScalingPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::ECS::CapacityProvider",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
];
pub const CODE_BUCKET: &str = "drainer-code";
/// The largest template body CloudFormation takes inline.
pub const INLINE_TEMPLATE_LIMIT: u64 = 51_200;
pub const CODE_KEY: &str = "bootstrap.zip";

/// A moto server of our own, stopped when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
    logs: tempfile::TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let logs = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(logs.path().join("moto.log")).unwrap();
        let child = Command::new(venv_tool("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // The request recorder writes here, not into the test's working directory, and each
            // server has its own.
            .env("MOTO_RECORDER_FILEPATH", logs.path().join("recording"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("moto_server starts");
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}"), logs };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not listen on {port} within {STARTUP_TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(venv_tool("aws"));
        cmd.args(["--endpoint-url", &self.endpoint, "--region", REGION, "--output", "json"])
            .args(args)
            .stdin(Stdio::null())
            // Commands that make clients of their own (`cloudformation package` uploads to S3) need it too.
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        cmd
    }

    /// Runs an AWS CLI command that must succeed; its JSON output, or `Null` when it prints none.
    pub fn aws(&self, args: &[&str]) -> Value {
        let text = self.run(args);
        if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).expect("aws prints JSON") }
    }

    /// Runs an AWS CLI command that must succeed; what it printed.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("aws runs");
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}\nmoto's log ends with:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An S3 object to stand for the drainer's code: moto's Lambda only needs a zip to exist.
    pub fn upload_placeholder_code(&self) {
        let dir = tempfile::tempdir().unwrap();
        let zip = placeholder_zip(dir.path());
        self.aws(&["s3api", "create-bucket", "--bucket", CODE_BUCKET]);
        self.aws(&["s3api", "put-object", "--bucket", CODE_BUCKET, "--key", CODE_KEY, "--body", zip.to_str().unwrap()]);
    }

    /// `aws cloudformation deploy`, as the README tells users to run it; the stack's status after.
    /// The drainer's code bucket (see `upload_placeholder_code`) also takes large templates.
    /// `aws cloudformation deploy --no-execute-changeset`: the change set an update would
    /// execute, as `describe-change-set` prints it.
    pub fn change_set(&self, stack: &str, template: &Path, extra_parameters: &[String]) -> Value {
        let mut parameters = extra_parameters.to_vec();
        parameters.push("--no-execute-changeset".to_owned());
        self.deploy_command(stack, template, &parameters);
        let sets = self.aws(&["cloudformation", "list-change-sets", "--stack-name", stack]);
        let summaries = sets["Summaries"].as_array().expect("change sets");
        let name = summaries.last().and_then(|s| s["ChangeSetName"].as_str()).expect("a change set").to_owned();
        self.aws(&["cloudformation", "describe-change-set", "--stack-name", stack, "--change-set-name", &name])
    }

    pub fn deploy(&self, stack: &str, template: &Path, extra_parameters: &[String]) -> String {
        self.deploy_command(stack, template, extra_parameters);
        self.aws(&["cloudformation", "describe-stacks", "--stack-name", stack])["Stacks"][0]["StackStatus"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `aws cloudformation deploy` with the drainer's code parameters, `extra` arguments after them
    /// (more parameters, or flags), and the template from S3 when it is too large to send inline.
    fn deploy_command(&self, stack: &str, template: &Path, extra_parameters: &[String]) {
        let mut args: Vec<String> = [
            "cloudformation",
            "deploy",
            "--template-file",
            template.to_str().unwrap(),
            "--stack-name",
            stack,
            "--capabilities",
            "CAPABILITY_IAM",
            "--parameter-overrides",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("DrainerCodeS3Bucket={CODE_BUCKET}"));
        args.push(format!("DrainerCodeS3Key={CODE_KEY}"));
        args.extend(extra_parameters.iter().cloned());
        // CloudFormation takes larger template bodies only from S3, as the README tells users.
        if std::fs::metadata(template).unwrap().len() > INLINE_TEMPLATE_LIMIT {
            args.extend(["--s3-bucket".to_owned(), CODE_BUCKET.to_owned()]);
        }
        let mut cmd = self.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        // moto finds the bucket of a path-style template URL only on a `localhost` address.
        cmd.env("AWS_ENDPOINT_URL_S3", self.endpoint.replace("127.0.0.1", "localhost"));
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "deploy of {stack} failed: {}{}\nmoto's log ends with:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
    }

    /// The physical ID CloudFormation gave a resource of the stack. (moto's DescribeStackResource
    /// fails on some types, so this reads the whole list.)
    pub fn physical_id(&self, stack: &str, logical_id: &str) -> String {
        let resources = self.stack_resources(stack);
        let resource = resources.iter().find(|r| r["LogicalResourceId"] == logical_id);
        let id = resource.and_then(|r| r["PhysicalResourceId"].as_str());
        id.unwrap_or_else(|| panic!("{stack} has no physical resource for {logical_id}")).to_owned()
    }

    pub fn stack_resources(&self, stack: &str) -> Vec<Value> {
        self.aws(&["cloudformation", "describe-stack-resources", "--stack-name", stack])["StackResources"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A zip holding a stand-in `bootstrap`, written into `dir`.
pub fn placeholder_zip(dir: &Path) -> std::path::PathBuf {
    let zip = dir.join(CODE_KEY);
    let script = "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('bootstrap', '#!/bin/sh\\n')";
    let status = Command::new(venv_tool("python")).args(["-c", script]).arg(&zip).status().unwrap();
    assert!(status.success());
    zip
}

/// moto's request recorder, read back as the API actions called, in order: the Query APIs' `Action`
/// parameter, the JSON APIs' `X-Amz-Target` operation.
const RECORDER: &str = r#"
import base64, json, sys, urllib.parse, urllib.request
endpoint, verb = sys.argv[1], sys.argv[2]
if verb == "start":
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/recorder/start-recording", method="POST"))
    sys.exit(0)
for line in urllib.request.urlopen(endpoint + "/moto-api/recorder/download-recording").read().decode().splitlines():
    request = json.loads(line)
    body = request.get("body") or ""
    if request.get("body_encoded"):
        body = base64.b64decode(body).decode(errors="replace")
    headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
    target = headers.get("x-amz-target")
    action = urllib.parse.parse_qs(body).get("Action", [None])[0] or (target.split(".")[-1] if target else None)
    if verb == "requests":
        print(json.dumps({"method": request.get("method"), "url": request.get("url"), "headers": headers, "action": action}))
    elif action:
        print(action)
"#;

impl Moto {
    /// Starts recording the requests moto receives, for `recorded_actions`.
    pub fn start_recording(&self) {
        let status =
            Command::new(venv_tool("python")).args(["-c", RECORDER, &self.endpoint, "start"]).status().unwrap();
        assert!(status.success(), "moto's recorder starts");
    }

    /// The API actions moto received since `start_recording`, in order.
    pub fn recorded_actions(&self) -> Vec<String> {
        let out = Command::new(venv_tool("python")).args(["-c", RECORDER, &self.endpoint, "read"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
    }

    /// The requests moto received since `start_recording`, in order: `method`, `url`, `headers`
    /// (names in lowercase) and `action` (null for REST APIs such as S3's).
    pub fn recorded_requests(&self) -> Vec<Value> {
        let out =
            Command::new(venv_tool("python")).args(["-c", RECORDER, &self.endpoint, "requests"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read(self.logs.path().join("moto.log")).unwrap_or_default();
        let log = String::from_utf8_lossy(&log);
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
