//! The fleet the drainer's HTTP tests work on, and the events Lambda would hand it.
#![allow(dead_code)]

use chrono::Utc;
use serde_json::{Value, json};

use testkit::moto::Moto;

pub const CLUSTER: &str = "drain-test";

pub struct Fleet {
    /// (EC2 instance ID, container instance ARN)
    pub instances: Vec<(String, String)>,
    pub queue_url: String,
}

/// A cluster with two registered instances: two tasks on the first, one on the second.
pub fn fleet(moto: &Moto) -> Fleet {
    moto.aws(&["ecs", "create-cluster", "--cluster-name", CLUSTER]);
    let run = moto.aws(&["ec2", "run-instances", "--image-id", "ami-12c6146b", "--count", "2"]);
    let mut instances = Vec::new();
    for instance in run["Instances"].as_array().unwrap() {
        let id = instance["InstanceId"].as_str().unwrap().to_owned();
        let document = json!({"instanceId": id}).to_string();
        let registered = moto.aws(&[
            "ecs",
            "register-container-instance",
            "--cluster",
            CLUSTER,
            "--instance-identity-document",
            &document,
        ]);
        instances.push((id, registered["containerInstance"]["containerInstanceArn"].as_str().unwrap().to_owned()));
    }
    moto.aws(&[
        "ecs",
        "register-task-definition",
        "--family",
        "web",
        "--container-definitions",
        r#"[{"name":"web","image":"nginx","memory":128}]"#,
    ]);
    for (arn, count) in [(&instances[0].1, 2), (&instances[1].1, 1)] {
        let targets: Vec<&str> = std::iter::repeat_n(arn.as_str(), count).collect();
        let mut args =
            vec!["ecs", "start-task", "--cluster", CLUSTER, "--task-definition", "web", "--container-instances"];
        args.extend(targets);
        moto.aws(&args);
    }
    let queue_url =
        moto.aws(&["sqs", "create-queue", "--queue-name", "rechecks"])["QueueUrl"].as_str().unwrap().to_owned();
    Fleet { instances, queue_url }
}

pub fn status(moto: &Moto, container_instance: &str) -> String {
    let out = moto.aws(&[
        "ecs",
        "describe-container-instances",
        "--cluster",
        CLUSTER,
        "--container-instances",
        container_instance,
    ]);
    out["containerInstances"][0]["status"].as_str().unwrap().to_owned()
}

pub fn lifecycle_message(instance_id: &str) -> String {
    json!({
        "Origin": "AutoScalingGroup", "Destination": "EC2", "AccountId": "123456789012", "RequestId": "r-1",
        "Service": "AWS Auto Scaling", "LifecycleHookName": "drain-hook", "AutoScalingGroupName": "shop-asg",
        "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING", "EC2InstanceId": instance_id,
        "LifecycleActionToken": "token-1", "Time": Utc::now().to_rfc3339()
    })
    .to_string()
}

pub fn sns_event(message: &str) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:s",
        "Sns": {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:t", "Message": message,
                "Timestamp": "2026-11-25T18:00:00.000Z", "SignatureVersion": "1", "Signature": "x",
                "SigningCertUrl": "https://x", "UnsubscribeUrl": "https://x", "MessageAttributes": {}}}]})
}

/// The SQS event that delivers messages received from a queue.
pub fn sqs_event(received: &Value) -> Value {
    let records: Vec<Value> = received["Messages"]
        .as_array()
        .expect("messages were received")
        .iter()
        .map(|m| {
            json!({
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rechecks", "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({"Records": records})
}

/// Stops every task on the container instance.
pub fn stop_tasks(moto: &Moto, container_instance: &str) {
    let tasks = moto.aws(&["ecs", "list-tasks", "--cluster", CLUSTER, "--container-instance", container_instance]);
    for task in tasks["taskArns"].as_array().unwrap() {
        moto.aws(&["ecs", "stop-task", "--cluster", CLUSTER, "--task", task.as_str().unwrap()]);
    }
}

/// Sets a container instance DRAINING, as the hook's first check does.
pub fn set_draining(moto: &Moto, container_instance: &str) {
    moto.aws(&[
        "ecs",
        "update-container-instances-state",
        "--cluster",
        CLUSTER,
        "--container-instances",
        container_instance,
        "--status",
        "DRAINING",
    ]);
}
