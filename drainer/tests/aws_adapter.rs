//! The SDK adapters over HTTP: ECS and SQS against a local moto server, Auto Scaling against a
//! stub (moto does not implement lifecycle actions). Two container instances with running tasks;
//! the hook fires for one; its tasks stop; the re-check releases it.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_ecs::config::{Credentials, Region};
use chrono::Utc;
use serde_json::json;

use drainer::aws::{AutoScaling, EcsCluster, RecheckQueue};
use drainer::decide::Reason;
use drainer::handler::{Action, Drainer, Outcome};
use drainer::settings::{HookSettings, Settings};
use testkit::autoscaling::AutoScalingStub;
use testkit::moto::Moto;

mod common;
use common::*;

const RECHECK_DELAY: Duration = Duration::from_secs(5);

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

type RealDrainer = Drainer<EcsCluster, AutoScaling, RecheckQueue>;

fn a_minute() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(60)
}

/// The drainer with real SDK clients: ECS and SQS at moto, Auto Scaling at the stub.
async fn drainer(moto: &Moto, stub: &AutoScalingStub, queue_url: &str) -> RealDrainer {
    let aws = sdk_config(moto.endpoint()).await;
    Drainer {
        ecs: EcsCluster::new(aws_sdk_ecs::Client::new(&aws), CLUSTER),
        lifecycle: AutoScaling::new(aws_sdk_autoscaling::Client::new(&sdk_config(&stub.url()).await)),
        recheck: RecheckQueue::new(aws_sdk_sqs::Client::new(&aws), queue_url, None),
        settings: Settings {
            cluster: CLUSTER.into(),
            recheck_queue_url: queue_url.into(),
            dead_letter_queue_url: None,
            drain_budget: Duration::from_secs(300),
            recheck_delay: RECHECK_DELAY,
            retry_delay: Duration::from_secs(1),
            check_timeout: Duration::from_secs(10),
            hook: Some(HookSettings { group: "shop-asg".into(), name: "drain-hook".into() }),
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn drains_one_instance_through_moto_and_completes_its_action_once() {
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let (draining_id, draining_arn) = fleet.instances[0].clone();
    let other_arn = fleet.instances[1].1.clone();

    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;

    // WHEN the hook fires for the first instance
    let message = lifecycle_message(&draining_id);
    drainer.handle_event(sns_event(&message), Utc::now(), a_minute()).await.unwrap();

    // THEN only it is draining, its action is kept alive, and a delayed re-check is queued
    assert_eq!(status(&moto, &draining_arn), "DRAINING");
    assert_eq!(status(&moto, &other_arn), "ACTIVE");
    let actions: Vec<String> = stub.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["RecordLifecycleActionHeartbeat"]);
    // Asked in-process, within the delay: the AWS CLI's start-up alone can outlast it on a busy
    // machine.
    let sqs = aws_sdk_sqs::Client::new(&sdk_config(moto.endpoint()).await);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&fleet.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap();
    let delayed = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed));
    assert_eq!(delayed.map(String::as_str), Some("1"), "{attributes:?}");

    // WHEN its tasks stop and the re-check arrives
    stop_tasks(&moto, &draining_arn);
    tokio::time::sleep(RECHECK_DELAY + Duration::from_millis(500)).await;
    let received =
        moto.aws(&["sqs", "receive-message", "--queue-url", &fleet.queue_url, "--max-number-of-messages", "10"]);
    let messages = received["Messages"].as_array().expect("the re-check is delivered");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["Body"].as_str().unwrap(), message, "the re-check carries the original message");
    let response = drainer.handle_event(sqs_event(&received), Utc::now(), a_minute()).await.unwrap();

    // THEN the lifecycle action is completed exactly once, with CONTINUE and the message's fields
    assert_eq!(response, json!({"batchItemFailures": []}));
    let completions: Vec<_> = stub.calls().into_iter().filter(|c| c.action == "CompleteLifecycleAction").collect();
    assert_eq!(completions.len(), 1, "{completions:?}");
    let params = &completions[0].params;
    assert_eq!(params["LifecycleActionResult"], "CONTINUE");
    assert_eq!(params["LifecycleActionToken"], "token-1");
    assert_eq!(params["LifecycleHookName"], "drain-hook");
    assert_eq!(params["AutoScalingGroupName"], "shop-asg");
    assert_eq!(params["InstanceId"], draining_id);
    assert_eq!(status(&moto, &other_arn), "ACTIVE");

    // AND a duplicate delivery of the same message is harmless
    let again = drainer.handle_message(&message, Utc::now()).await.unwrap();
    assert_eq!(again, Outcome::Completed { reason: Reason::NoTasksLeft, action: Action::Gone });
}

/// An action completed elsewhere (by hand, or by a duplicate delivery) while tasks still drain:
/// the heartbeat finds it gone over HTTP ("No active Lifecycle Action found"), and no re-check is
/// queued after it.
#[tokio::test(flavor = "multi_thread")]
async fn an_action_completed_elsewhere_stops_the_rechecks() {
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let (id, _) = fleet.instances[0].clone();
    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;
    stub.complete_elsewhere("token-1");
    let outcome = drainer.handle_message(&lifecycle_message(&id), Utc::now()).await.unwrap();
    assert!(matches!(outcome, Outcome::ActionGone { tasks } if tasks > 0), "{outcome:?}");
    let actions: Vec<String> = stub.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["RecordLifecycleActionHeartbeat"]);
    let queued =
        moto.aws(&["sqs", "get-queue-attributes", "--queue-url", &fleet.queue_url, "--attribute-names", "All"]);
    let count = |name: &str| queued["Attributes"][name].as_str().unwrap().parse::<u32>().unwrap();
    assert_eq!(count("ApproximateNumberOfMessagesDelayed") + count("ApproximateNumberOfMessages"), 0, "{queued}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_outside_the_cluster_is_released_at_once() {
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;
    let outcome = drainer.handle_message(&lifecycle_message("i-00000000000000000"), Utc::now()).await.unwrap();
    assert_eq!(outcome, Outcome::Completed { reason: Reason::NotInCluster, action: Action::Open });
    for (_, arn) in &fleet.instances {
        assert_eq!(status(&moto, arn), "ACTIVE", "moto ignores the ec2InstanceId filter; the adapter must not");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_tasks_beyond_one_page_and_one_describe_call() {
    use drainer::handler::Ecs;
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let (instance_id, container_instance) = fleet.instances[0].clone();
    // The fleet put 2 tasks there; 12 more calls of 10 (ECS's most per call) make 122.
    let ten: Vec<&str> = std::iter::repeat_n(container_instance.as_str(), 10).collect();
    for _ in 0..12 {
        let mut args =
            vec!["ecs", "start-task", "--cluster", CLUSTER, "--task-definition", "web", "--container-instances"];
        args.extend(ten.iter().copied());
        moto.aws(&args);
    }
    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;
    let found = drainer.ecs.container_instance(&instance_id).await.unwrap().expect("the instance is in the cluster");
    assert_eq!(found.tasks, 122);
    let distinct: std::collections::BTreeSet<_> = found.unstopped_task_arns.iter().collect();
    assert_eq!(distinct.len(), 122);
}

/// A failed re-check is made visible again after the retry delay through SQS's
/// ChangeMessageVisibility, not after the queue's visibility timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_recheck_is_visible_again_after_the_retry_delay() {
    use drainer::handler::Recheck;
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;
    moto.aws(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &fleet.queue_url,
        "--attributes",
        "VisibilityTimeout=600",
    ]);
    let receive = || {
        moto.aws(&["sqs", "receive-message", "--queue-url", &fleet.queue_url, "--wait-time-seconds", "0"])["Messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    drainer.recheck.schedule("{}", Duration::ZERO).await.unwrap();
    let received = receive();
    let handle = received[0]["ReceiptHandle"].as_str().expect("a received message").to_owned();
    assert!(receive().is_empty(), "hidden for the queue's visibility timeout");
    drainer.recheck.retry_after(&handle, Duration::from_secs(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receive().len(), 1, "back after the retry delay");
}

/// ECS's event for a drained instance, over HTTP: one `DescribeAutoScalingInstances`, the count
/// of its tasks from moto, and `CompleteLifecycleAction` by instance ID, without a token; a later
/// event for the same instance, no longer held, costs one call and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_completes_a_drained_instance_by_its_id() {
    let moto = Moto::start();
    let stub = AutoScalingStub::start();
    let fleet = fleet(&moto);
    let (id, arn) = fleet.instances[0].clone();
    // ECS sends the event for a DRAINING instance (the hook's first check set it so).
    set_draining(&moto, &arn);
    stop_tasks(&moto, &arn);
    stub.hold(&id, "shop-asg");
    let drainer = drainer(&moto, &stub, &fleet.queue_url).await;
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/container-instance-draining.json")).unwrap();
    event["detail"]["ec2InstanceId"] = id.clone().into();

    drainer.handle_event(event.clone(), Utc::now(), a_minute()).await.unwrap();
    let calls = stub.calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["DescribeAutoScalingInstances", "CompleteLifecycleAction"]);
    assert_eq!(calls[0].params["InstanceIds.member.1"], id);
    let complete = &calls[1].params;
    assert_eq!(
        (&complete["InstanceId"], &complete["AutoScalingGroupName"], &complete["LifecycleHookName"]),
        (&id, &"shop-asg".to_owned(), &"drain-hook".to_owned())
    );
    assert_eq!(complete["LifecycleActionResult"], "CONTINUE");
    assert!(!complete.contains_key("LifecycleActionToken"), "the event carries no token");

    drainer.handle_event(event, Utc::now(), a_minute()).await.unwrap();
    let later: Vec<String> = stub.calls().into_iter().skip(2).map(|c| c.action).collect();
    assert_eq!(later, ["DescribeAutoScalingInstances"], "no longer held: nothing more");
}
