//! The whole invocation flow over in-memory fakes of ECS, Auto Scaling and SQS.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use drainer::decide::{ContainerInstance, GroupMembership, Reason, TERMINATING_WAIT};
use drainer::handler::{Action, AwsError, Drainer, Ecs, HandleError, Lifecycle, Outcome, Recheck};
use drainer::message::LifecycleMessage;
use drainer::settings::{HookSettings, Settings};

const MESSAGE: &str = include_str!("fixtures/lifecycle-terminating.json");
const INSTANCE_EVENT: &str = include_str!("fixtures/container-instance-draining.json");
const GROUP: &str = "shop-asg";
const TEST_NOTIFICATION: &str = include_str!("fixtures/lifecycle-test-notification.json");

#[derive(Default)]
struct Calls(Mutex<Vec<String>>);

impl Calls {
    fn push(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct FakeEcs<'a> {
    instance: Option<ContainerInstance>,
    /// How long ECS takes to answer: a slow or throttled API.
    latency: Duration,
    calls: &'a Calls,
}

impl Ecs for FakeEcs<'_> {
    async fn container_instance(&self, id: &str) -> Result<Option<ContainerInstance>, AwsError> {
        self.calls.push(format!("ecs.find {id}"));
        tokio::time::sleep(self.latency).await;
        Ok(self.instance.clone())
    }
    async fn set_draining(&self, arn: &str) -> Result<(), AwsError> {
        self.calls.push(format!("ecs.drain {arn}"));
        Ok(())
    }
}

struct FakeLifecycle<'a> {
    complete: Result<Action, AwsError>,
    heartbeat: Action,
    /// What `DescribeAutoScalingInstances` says of the instance.
    membership: Option<GroupMembership>,
    calls: &'a Calls,
}

impl Lifecycle for FakeLifecycle<'_> {
    async fn complete(&self, m: &LifecycleMessage) -> Result<Action, AwsError> {
        self.calls.push(format!("asg.complete {} {}", m.ec2_instance_id, m.lifecycle_action_token));
        self.complete.clone()
    }
    async fn heartbeat(&self, m: &LifecycleMessage) -> Result<Action, AwsError> {
        self.calls.push(format!("asg.heartbeat {}", m.ec2_instance_id));
        Ok(self.heartbeat)
    }
    async fn membership(&self, id: &str) -> Result<Option<GroupMembership>, AwsError> {
        self.calls.push(format!("asg.describe {id}"));
        Ok(self.membership.clone())
    }
    async fn complete_instance(&self, hook: &HookSettings, id: &str) -> Result<Action, AwsError> {
        self.calls.push(format!("asg.complete-instance {} {} {id}", hook.group, hook.name));
        self.complete.clone()
    }
}

struct FakeQueue<'a> {
    /// Whether SQS answers.
    up: bool,
    /// How long `ChangeMessageVisibility` takes to answer.
    visibility_latency: Duration,
    calls: &'a Calls,
}

impl FakeQueue<'_> {
    fn answer(&self) -> Result<(), AwsError> {
        if self.up { Ok(()) } else { Err(AwsError { operation: "SQS", cause: "unreachable".into() }) }
    }
}

impl Recheck for FakeQueue<'_> {
    async fn schedule(&self, message: &str, delay: Duration) -> Result<(), AwsError> {
        assert_eq!(message, MESSAGE, "the original message goes back on the queue");
        self.calls.push(format!("sqs.send delay={}", delay.as_secs()));
        self.answer()
    }
    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<(), AwsError> {
        self.calls.push(format!("sqs.visibility {receipt_handle} {}", delay.as_secs()));
        tokio::time::sleep(self.visibility_latency).await;
        self.answer()
    }
    async fn set_aside(&self, message: &str) -> Result<(), AwsError> {
        self.calls.push(format!("sqs.dead-letter {message}"));
        self.answer()
    }
}

fn settings() -> Settings {
    Settings {
        cluster: "shop".into(),
        recheck_queue_url: "https://sqs/q".into(),
        dead_letter_queue_url: Some("https://sqs/dlq".into()),
        drain_budget: Duration::from_secs(300),
        recheck_delay: Duration::from_secs(30),
        retry_delay: Duration::from_secs(5),
        check_timeout: Duration::from_secs(4),
        hook: Some(HookSettings { group: GROUP.into(), name: "drain-hook".into() }),
    }
}

/// An invocation with a minute to go.
fn plenty() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn instance(status: &str, tasks: usize) -> Option<ContainerInstance> {
    let unstopped_task_arns = (0..tasks).map(|i| format!("arn:task/{i}")).collect();
    Some(ContainerInstance { arn: "arn:ci/1".into(), status: status.into(), tasks, unstopped_task_arns })
}

fn drainer<'a>(
    instance: Option<ContainerInstance>,
    complete: Result<Action, AwsError>,
    heartbeat: Action,
    calls: &'a Calls,
) -> Drainer<FakeEcs<'a>, FakeLifecycle<'a>, FakeQueue<'a>> {
    Drainer {
        ecs: FakeEcs { instance, latency: Duration::ZERO, calls },
        lifecycle: FakeLifecycle { complete, heartbeat, membership: None, calls },
        recheck: FakeQueue { up: true, visibility_latency: Duration::ZERO, calls },
        settings: settings(),
    }
}

/// Shortly after the message's time: well within the budget.
fn soon() -> DateTime<Utc> {
    "2026-11-25T18:00:30Z".parse().unwrap()
}

fn sns_event(message: &str) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:t:1",
        "Sns": {
            "Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
            "Subject": null, "Message": message, "Timestamp": "2026-11-25T18:00:00.200Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://x", "UnsubscribeUrl": "https://x",
            "MessageAttributes": {}
        }
    }]})
}

fn sqs_event(bodies: &[(&str, &str)]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": format!("receipt-{id}"), "body": body, "attributes": {}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({"Records": records})
}

#[tokio::test]
async fn the_test_notification_is_ignored_without_calling_aws() {
    let calls = Calls::default();
    let d = drainer(None, Ok(Action::Open), Action::Open, &calls);
    assert_eq!(
        d.handle_message(TEST_NOTIFICATION, soon()).await.unwrap(),
        Outcome::Ignored("test notification".into())
    );
    assert!(calls.take().is_empty());
}

#[tokio::test]
async fn an_instance_that_never_joined_is_released_at_once() {
    let calls = Calls::default();
    let d = drainer(None, Ok(Action::Open), Action::Open, &calls);
    let outcome = d.handle_message(MESSAGE, soon()).await.unwrap();
    assert_eq!(outcome, Outcome::Completed { reason: Reason::NotInCluster, action: Action::Open });
    assert_eq!(
        calls.take(),
        ["ecs.find i-0123456789abcdef0", "asg.complete i-0123456789abcdef0 71514b9d-6a40-4b26-8523-05e7ee35fa40"]
    );
}

#[tokio::test]
async fn a_busy_instance_is_drained_kept_alive_and_checked_again_later() {
    let calls = Calls::default();
    let d = drainer(instance("ACTIVE", 3), Ok(Action::Open), Action::Open, &calls);
    let out = d.handle_event(sns_event(MESSAGE), soon(), plenty()).await.unwrap();
    assert_eq!(out, Value::Null);
    assert_eq!(
        calls.take(),
        [
            "ecs.find i-0123456789abcdef0",
            "ecs.drain arn:ci/1",
            "asg.heartbeat i-0123456789abcdef0",
            "sqs.send delay=30"
        ]
    );
}

#[tokio::test]
async fn a_recheck_of_a_draining_instance_only_waits_again() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 2), Ok(Action::Open), Action::Open, &calls);
    assert_eq!(d.handle_message(MESSAGE, soon()).await.unwrap(), Outcome::RecheckScheduled { tasks: 2 });
    assert_eq!(
        calls.take(),
        ["ecs.find i-0123456789abcdef0", "asg.heartbeat i-0123456789abcdef0", "sqs.send delay=30"]
    );
}

#[tokio::test]
async fn a_drained_instance_is_released() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 0), Ok(Action::Open), Action::Open, &calls);
    let outcome = d.handle_message(MESSAGE, soon()).await.unwrap();
    assert_eq!(outcome, Outcome::Completed { reason: Reason::NoTasksLeft, action: Action::Open });
}

#[tokio::test]
async fn the_budget_runs_out_and_the_instance_goes_anyway() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 4), Ok(Action::Open), Action::Open, &calls);
    let late: DateTime<Utc> = "2026-11-25T18:05:01Z".parse().unwrap();
    let outcome = d.handle_message(MESSAGE, late).await.unwrap();
    assert_eq!(outcome, Outcome::Completed { reason: Reason::BudgetExhausted { tasks: 4 }, action: Action::Open });
    assert!(!calls.take().iter().any(|c| c.starts_with("sqs")));
}

#[tokio::test]
async fn a_duplicate_delivery_finds_the_action_already_completed() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 0), Ok(Action::Gone), Action::Open, &calls);
    let outcome = d.handle_message(MESSAGE, soon()).await.unwrap();
    assert_eq!(outcome, Outcome::Completed { reason: Reason::NoTasksLeft, action: Action::Gone });
}

#[tokio::test]
async fn an_action_gone_while_draining_stops_the_rechecks() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 1), Ok(Action::Open), Action::Gone, &calls);
    assert_eq!(d.handle_message(MESSAGE, soon()).await.unwrap(), Outcome::ActionGone { tasks: 1 });
    assert!(!calls.take().iter().any(|c| c.starts_with("sqs")));
}

#[tokio::test]
async fn a_malformed_message_is_a_clear_error() {
    let calls = Calls::default();
    let d = drainer(None, Ok(Action::Open), Action::Open, &calls);
    let err = d.handle_event(sns_event("{\"LifecycleTransition\": 7}"), soon(), plenty()).await.unwrap_err();
    assert!(matches!(err, HandleError::Malformed(_)), "{err}");
    assert!(calls.take().is_empty());
}

/// Lambda retries a failed asynchronous invocation a minute later at the earliest, after a 30 s
/// heartbeat has expired: the drainer retries through its queue, after the retry delay.
#[tokio::test]
async fn an_aws_failure_of_the_first_check_is_retried_through_the_queue() {
    let calls = Calls::default();
    let failure = AwsError { operation: "CompleteLifecycleAction", cause: "throttled".into() };
    let d = drainer(None, Err(failure.clone()), Action::Open, &calls);
    assert_eq!(d.handle_event(sns_event(MESSAGE), soon(), plenty()).await.unwrap(), Value::Null);
    assert_eq!(calls.take().last().unwrap(), "sqs.send delay=5");
}

#[tokio::test]
async fn the_first_check_fails_the_invocation_when_the_queue_is_down_too() {
    let calls = Calls::default();
    let failure = AwsError { operation: "CompleteLifecycleAction", cause: "throttled".into() };
    let mut d = drainer(None, Err(failure.clone()), Action::Open, &calls);
    d.recheck.up = false;
    let err = d.handle_event(sns_event(MESSAGE), soon(), plenty()).await.unwrap_err();
    assert_eq!(err.to_string(), "CompleteLifecycleAction failed: throttled");
}

/// A failed re-check comes back after the retry delay, not the queue's visibility timeout; a
/// malformed one goes to the dead-letter queue at once, since no retry can mend it.
#[tokio::test]
async fn only_the_failed_messages_of_an_sqs_batch_come_back_and_soon() {
    let calls = Calls::default();
    let failure = AwsError { operation: "CompleteLifecycleAction", cause: "throttled".into() };
    let d = drainer(instance("DRAINING", 0), Err(failure), Action::Open, &calls);
    let out = d.handle_event(sqs_event(&[("failing", MESSAGE), ("bad", "garbage")]), soon(), plenty()).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "failing"}]}));
    let calls = calls.take();
    assert!(calls.contains(&"sqs.visibility receipt-failing 5".to_owned()), "{calls:?}");
    assert!(calls.contains(&"sqs.dead-letter garbage".to_owned()), "{calls:?}");
}

#[tokio::test]
async fn a_malformed_recheck_comes_back_when_the_dead_letter_queue_is_down() {
    let calls = Calls::default();
    let mut d = drainer(instance("DRAINING", 0), Ok(Action::Open), Action::Open, &calls);
    d.recheck.up = false;
    let out = d.handle_event(sqs_event(&[("bad", "garbage")]), soon(), plenty()).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "bad"}]}));
}

/// A slow or throttled ECS holds a check no longer than the check timeout: it is abandoned and
/// retried soon, and the batch ends within the invocation's time.
#[tokio::test(start_paused = true)]
async fn a_slow_check_is_abandoned_and_retried() {
    let calls = Calls::default();
    let mut d = drainer(instance("DRAINING", 1), Ok(Action::Open), Action::Open, &calls);
    d.ecs.latency = Duration::from_secs(3600);
    let started = tokio::time::Instant::now();
    let out = d.handle_event(sqs_event(&[("slow", MESSAGE)]), soon(), plenty()).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "slow"}]}));
    assert_eq!(started.elapsed(), Duration::from_secs(4), "the check timeout");
    assert!(calls.take().contains(&"sqs.visibility receipt-slow 5".to_owned()));
}

/// A check starts only while a whole one fits in the invocation; the rest of the batch is
/// handed back at once, to come back after the retry delay.
#[tokio::test]
async fn checks_that_cannot_finish_in_time_are_not_started() {
    let calls = Calls::default();
    let d = drainer(instance("DRAINING", 0), Ok(Action::Open), Action::Open, &calls);
    let nearly_over = Instant::now() + Duration::from_secs(3);
    let out = d.handle_event(sqs_event(&[("a", MESSAGE), ("b", MESSAGE)]), soon(), nearly_over).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}));
    assert_eq!(calls.take(), ["sqs.visibility receipt-a 5", "sqs.visibility receipt-b 5"]);
}

/// The whole batch ends before the invocation's deadline, however slowly SQS answers: a failed
/// re-check's wait is shortened only while a whole call still fits, and that call is bounded too;
/// the others come back when the queue's visibility timeout runs out.
/// (Real time: the deadline is a `std::time::Instant`, which tokio's paused clock does not move.)
#[tokio::test]
async fn a_batch_out_of_time_ends_before_its_deadline_however_slow_sqs_is() {
    let calls = Calls::default();
    let mut d = drainer(instance("DRAINING", 0), Ok(Action::Open), Action::Open, &calls);
    d.recheck.visibility_latency = Duration::from_secs(2);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(3);
    let batch: Vec<(String, &str)> = (0..10).map(|i| (format!("m{i}"), MESSAGE)).collect();
    let batch: Vec<(&str, &str)> = batch.iter().map(|(id, m)| (id.as_str(), *m)).collect();
    let out = d.handle_event(sqs_event(&batch), soon(), deadline).await.unwrap();
    assert_eq!(out["batchItemFailures"].as_array().unwrap().len(), 10, "every one comes back");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}: within the deadline", started.elapsed());
    assert_eq!(calls.take(), ["sqs.visibility receipt-m0 5"], "one call fitted; the rest were not made");
}

#[tokio::test]
async fn an_unknown_event_is_refused() {
    let calls = Calls::default();
    let d = drainer(None, Ok(Action::Open), Action::Open, &calls);
    let err = d.handle_event(json!({"detail-type": "Scheduled Event"}), soon(), plenty()).await.unwrap_err();
    assert!(matches!(err, HandleError::UnknownEvent(_)), "{err}");
}

/// ECS's event that a task stopped on a draining instance: the action is completed by instance ID
/// when our hook holds the instance and no task is left; anything else costs only the calls
/// needed to learn it, changes nothing, and never fails the invocation.
#[tokio::test]
async fn a_container_instance_event_completes_a_drained_instance_at_once() {
    let member =
        |group: &str, state: &str| Some(GroupMembership { group: group.into(), lifecycle_state: state.into() });
    let event: Value = serde_json::from_str(INSTANCE_EVENT).unwrap();
    let id = "i-0123456789abcdef0";
    for (name, membership, observed, expected_calls) in [
        (
            "held, empty: completed",
            member(GROUP, TERMINATING_WAIT),
            instance("DRAINING", 0),
            vec![
                format!("asg.describe {id}"),
                format!("ecs.find {id}"),
                format!("asg.complete-instance {GROUP} drain-hook {id}"),
            ],
        ),
        (
            "held, empty, but set ACTIVE again since: not completed, the re-checks drain it first",
            member(GROUP, TERMINATING_WAIT),
            instance("ACTIVE", 0),
            vec![format!("asg.describe {id}"), format!("ecs.find {id}")],
        ),
        (
            "held, tasks left: the re-checks go on",
            member(GROUP, TERMINATING_WAIT),
            instance("DRAINING", 2),
            vec![format!("asg.describe {id}"), format!("ecs.find {id}")],
        ),
        (
            "in service (drained by hand): nothing",
            member(GROUP, "InService"),
            instance("DRAINING", 0),
            vec![format!("asg.describe {id}")],
        ),
        (
            "another group's: nothing",
            member("other-asg", TERMINATING_WAIT),
            instance("DRAINING", 0),
            vec![format!("asg.describe {id}")],
        ),
        ("in no group: nothing", None, instance("DRAINING", 0), vec![format!("asg.describe {id}")]),
    ] {
        let calls = Calls::default();
        let mut d = drainer(observed, Ok(Action::Open), Action::Open, &calls);
        d.lifecycle.membership = membership;
        assert_eq!(d.handle_event(event.clone(), soon(), plenty()).await.unwrap(), Value::Null, "{name}");
        assert_eq!(calls.take(), expected_calls, "{name}");
    }

    // Already completed (a re-check got there first): still success.
    let calls = Calls::default();
    let mut d = drainer(instance("DRAINING", 0), Ok(Action::Gone), Action::Open, &calls);
    d.lifecycle.membership = member(GROUP, TERMINATING_WAIT);
    let event = drainer::message::InstanceEvent::parse(&event).unwrap().unwrap();
    assert_eq!(
        d.handle_instance_event(&event).await.unwrap(),
        Outcome::Completed { reason: Reason::NoTasksLeft, action: Action::Gone }
    );

    // A template from before events names no hook: the event is ignored without a call.
    let calls = Calls::default();
    let mut d = drainer(instance("DRAINING", 0), Ok(Action::Open), Action::Open, &calls);
    d.settings.hook = None;
    assert!(matches!(d.handle_instance_event(&event).await.unwrap(), Outcome::Ignored(_)));
    assert!(calls.take().is_empty());
}

/// An AWS failure while handling an event is logged, not raised: Lambda would otherwise retry it
/// and then set it aside for a person, though the re-checks cover it anyway.
#[tokio::test]
async fn a_failing_event_does_not_fail_the_invocation() {
    let calls = Calls::default();
    let mut d = drainer(
        instance("DRAINING", 0),
        Err(AwsError { operation: "CompleteLifecycleAction", cause: "throttled".into() }),
        Action::Open,
        &calls,
    );
    d.lifecycle.membership = Some(GroupMembership { group: GROUP.into(), lifecycle_state: TERMINATING_WAIT.into() });
    let event: Value = serde_json::from_str(INSTANCE_EVENT).unwrap();
    assert_eq!(d.handle_event(event, soon(), plenty()).await.unwrap(), Value::Null);
    assert_eq!(calls.take().len(), 3, "it was tried");
}
