//! One invocation: classify each message, look at the instance, decide, act, and log the decision.
//!
//! AWS is reached only through the three small traits below, so the whole flow runs in tests with
//! in-memory fakes; `aws.rs` implements them over the SDK.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::decide::{ACTIVE, ContainerInstance, Decision, GroupMembership, Reason, decide, held_by_hook};
use crate::message::{InstanceEvent, LifecycleMessage, MalformedMessage, Notification};
use crate::settings::{HookSettings, Settings};

/// An AWS call that failed, with the SDK's full cause (its plain Display says only "service error").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {cause}")]
pub struct AwsError {
    pub operation: &'static str,
    pub cause: String,
}

pub trait Ecs {
    /// The container instance on EC2 instance `ec2_instance_id`, with its unstopped and pending tasks.
    fn container_instance(
        &self,
        ec2_instance_id: &str,
    ) -> impl Future<Output = Result<Option<ContainerInstance>, AwsError>> + Send;
    fn set_draining(&self, container_instance_arn: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Whether the lifecycle action was still waiting when we acted on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Open,
    /// Already completed (by a duplicate delivery) or timed out: nothing left to do.
    Gone,
}

pub trait Lifecycle {
    fn complete(&self, message: &LifecycleMessage) -> impl Future<Output = Result<Action, AwsError>> + Send;
    fn heartbeat(&self, message: &LifecycleMessage) -> impl Future<Output = Result<Action, AwsError>> + Send;
    /// Which group holds the instance, and in what lifecycle state; `None` when in none.
    fn membership(
        &self,
        ec2_instance_id: &str,
    ) -> impl Future<Output = Result<Option<GroupMembership>, AwsError>> + Send;
    /// Completes the instance's action without its token (`CompleteLifecycleAction` takes the
    /// instance ID instead).
    fn complete_instance(
        &self,
        hook: &HookSettings,
        ec2_instance_id: &str,
    ) -> impl Future<Output = Result<Action, AwsError>> + Send;
}

pub trait Recheck {
    /// Delivers `message` to this function again after `delay`.
    fn schedule(&self, message: &str, delay: Duration) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Makes a received re-check that failed visible again after `delay`, instead of when the
    /// queue's visibility timeout runs out.
    fn retry_after(&self, receipt_handle: &str, delay: Duration) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Puts a message no retry can help (a malformed one) in the dead-letter queue, for a person.
    fn set_aside(&self, message: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ignored(String),
    Completed {
        reason: Reason,
        action: Action,
    },
    RecheckScheduled {
        tasks: usize,
    },
    /// The action went away while tasks were still draining; someone else finished it.
    ActionGone {
        tasks: usize,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Malformed(#[from] MalformedMessage),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("unexpected event: neither SNS nor SQS records ({0})")]
    UnknownEvent(String),
    #[error("the check took longer than {0:?}; abandoned, to be retried")]
    TimedOut(Duration),
    #[error("not started: the invocation's time is nearly spent")]
    NoTimeLeft,
}

/// The longest one AWS call takes, the SDK's retries included (its operation timeout, set in
/// `main`): the contract's, which the template's clocks count on.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(drain_contract::CALL_SECONDS as u64);
/// What a batch keeps in hand before the invocation's deadline, to return its answer.
const CALL_MARGIN: Duration = Duration::from_millis(500);

pub struct Drainer<E, L, Q> {
    pub ecs: E,
    pub lifecycle: L,
    pub recheck: Q,
    pub settings: Settings,
}

impl<E: Ecs, L: Lifecycle, Q: Recheck> Drainer<E, L, Q> {
    /// Handles an SNS notification (the hook firing) or an SQS batch (re-checks), finishing before
    /// `deadline` (the invocation's). Each check is bounded by the check timeout; a check that
    /// fails, times out or finds no time left to start comes back after the retry delay, well
    /// within the lifecycle action's heartbeat (the timings are worked out in the library's
    /// `constructs::drain_timing`).
    pub async fn handle_event(
        &self,
        event: Value,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Value, HandleError> {
        if let Some(parsed) = InstanceEvent::parse(&event) {
            // An event is a shortcut: whatever goes wrong, the hook's re-checks still come, so it
            // is logged, never retried or set aside.
            let result = match parsed {
                Ok(instance_event) => self.check_instance_event(&instance_event, deadline).await,
                Err(malformed) => Err(malformed.into()),
            };
            if let Err(err) = result {
                tracing::warn!(error = %err, "container instance event not acted on; the re-checks will");
            }
            return Ok(Value::Null);
        }
        let source = event["Records"][0]["eventSource"].as_str().or(event["Records"][0]["EventSource"].as_str());
        match source {
            Some("aws:sqs") => {
                let batch: SqsEvent =
                    serde_json::from_value(event).map_err(|e| HandleError::UnknownEvent(e.to_string()))?;
                let mut response = SqsBatchResponse::default();
                for record in batch.records {
                    if !self.handle_recheck(&record, now, deadline).await {
                        let mut failure = BatchItemFailure::default();
                        failure.item_identifier = record.message_id.unwrap_or_default();
                        response.batch_item_failures.push(failure);
                    }
                }
                Ok(serde_json::to_value(response).unwrap_or(Value::Null))
            }
            Some("aws:sns") => {
                let notification: SnsEvent =
                    serde_json::from_value(event).map_err(|e| HandleError::UnknownEvent(e.to_string()))?;
                for record in notification.records {
                    let text = &record.sns.message;
                    match self.check(text, now, deadline).await {
                        Ok(_) => {}
                        // Lambda retries the invocation, then sends it to the dead-letter queue.
                        Err(err @ HandleError::Malformed(_)) => return Err(err),
                        // Lambda's own retry would come a minute later at the earliest, after a
                        // short heartbeat has expired: the queue brings it back sooner.
                        Err(err) => {
                            tracing::warn!(error = %err, "check failed; retrying it through the re-check queue");
                            if let Err(queue_err) = self.recheck.schedule(text, self.settings.retry_delay).await {
                                tracing::error!(error = %queue_err, "cannot queue the retry either");
                                return Err(err);
                            }
                        }
                    }
                }
                Ok(Value::Null)
            }
            other => Err(HandleError::UnknownEvent(format!("event source {}", other.unwrap_or("missing")))),
        }
    }

    /// One re-check of a batch; says whether it is done with (`false`: report it as failed, so
    /// it comes back).
    async fn handle_recheck(&self, record: &SqsMessage, now: DateTime<Utc>, deadline: Instant) -> bool {
        let message_id = record.message_id.as_deref();
        let result = match &record.body {
            Some(body) => self.check(body, now, deadline).await,
            None => Err(MalformedMessage::empty().into()),
        };
        match result {
            Ok(_) => true,
            Err(err @ HandleError::Malformed(_)) => {
                // No retry can mend it: straight to the dead-letter queue.
                let body = record.body.as_deref().unwrap_or_default();
                match self.recheck.set_aside(body).await {
                    Ok(()) => {
                        tracing::error!(message_id, error = %err, "malformed re-check set aside in the dead-letter queue");
                        true
                    }
                    Err(queue_err) => {
                        tracing::error!(message_id, error = %err, queue_error = %queue_err, "malformed re-check; cannot set it aside, SQS will redeliver it");
                        false
                    }
                }
            }
            Err(err) => {
                let delay = self.settings.retry_delay;
                // The whole batch ends before the invocation's deadline: shortening the wait is
                // one more call, made only while a whole one still fits. Otherwise the message
                // comes back when the queue's visibility timeout runs out.
                let left = deadline.saturating_duration_since(Instant::now());
                match record.receipt_handle.as_deref() {
                    Some(handle) if left > CALL_TIMEOUT + CALL_MARGIN => {
                        let call = self.recheck.retry_after(handle, delay);
                        match tokio::time::timeout(left - CALL_MARGIN, call).await {
                            Ok(Ok(())) => {}
                            Ok(Err(queue_err)) => {
                                tracing::warn!(message_id, error = %queue_err, "cannot shorten the failed re-check's wait")
                            }
                            Err(_) => tracing::warn!(message_id, "shortening the failed re-check's wait took too long"),
                        }
                    }
                    Some(_) => tracing::warn!(message_id, "no time left to shorten the failed re-check's wait"),
                    None => {}
                }
                tracing::error!(message_id, error = %err, retry_seconds = delay.as_secs(), "re-check failed; it comes back shortly");
                false
            }
        }
    }

    /// `handle_message`, bounded.
    async fn check(&self, text: &str, now: DateTime<Utc>, deadline: Instant) -> Result<Outcome, HandleError> {
        self.bounded(self.handle_message(text, now), deadline).await
    }

    /// `handle_instance_event`, bounded.
    async fn check_instance_event(&self, event: &InstanceEvent, deadline: Instant) -> Result<Outcome, HandleError> {
        self.bounded(self.handle_instance_event(event), deadline).await
    }

    /// `check` bounded by the check timeout, started only while a whole check fits before
    /// `deadline`: the same bounds for a lifecycle message and for ECS's event.
    async fn bounded(
        &self,
        check: impl Future<Output = Result<Outcome, HandleError>>,
        deadline: Instant,
    ) -> Result<Outcome, HandleError> {
        let limit = self.settings.check_timeout;
        if deadline.saturating_duration_since(Instant::now()) <= limit {
            return Err(HandleError::NoTimeLeft);
        }
        tokio::time::timeout(limit, check).await.map_err(|_| HandleError::TimedOut(limit))?
    }

    /// Handles ECS's event that a draining instance changed (a task stopped on it): when our hook
    /// holds the instance and no task is left, completes its action at once, instead of at the
    /// next re-check. Asks Auto Scaling first (one call), and ECS only about an instance the hook
    /// holds; changes nothing otherwise.
    pub async fn handle_instance_event(&self, event: &InstanceEvent) -> Result<Outcome, HandleError> {
        let Some(hook) = &self.settings.hook else {
            return Ok(self.ignore("container instance event, but no hook is named in the settings"));
        };
        let membership = self.lifecycle.membership(&event.ec2_instance_id).await?;
        if !held_by_hook(membership.as_ref(), &hook.group) {
            return Ok(self.ignore("container instance event for an instance the hook does not hold"));
        }
        let instance = self.ecs.container_instance(&event.ec2_instance_id).await?;
        // Set back to ACTIVE since the event (by hand, say): ECS may place tasks on it again, so
        // it is not ours to let go. The next re-check sets it DRAINING and waits for them. The
        // moment left between this look and the completion below is the one every check has; a
        // task placed on the instance in it would be placed on an instance already terminating,
        // which Auto Scaling ends at the hook's timeout anyway, whoever completes the action.
        if instance.as_ref().is_some_and(|i| i.status == ACTIVE) {
            return Ok(
                self.ignore("container instance event, but the instance is ACTIVE again: the re-checks drain it first")
            );
        }
        // The drain budget is the re-checks' to enforce: the event has no lifecycle message time.
        match decide(instance.as_ref(), Duration::ZERO, self.settings.drain_budget) {
            Decision::Complete { reason, .. } => {
                let action = self.lifecycle.complete_instance(hook, &event.ec2_instance_id).await?;
                tracing::info!(
                    instance = %event.ec2_instance_id,
                    cluster = %self.settings.cluster,
                    group = %hook.group,
                    tasks = 0,
                    action = reason.as_str(),
                    trigger = "event",
                    lifecycle_action = %action,
                    "decision"
                );
                Ok(Outcome::Completed { reason, action })
            }
            Decision::Wait { tasks, .. } => Ok(self.ignore(&format!("container instance event: {tasks} tasks left"))),
        }
    }

    /// Handles one lifecycle message, from the hook or from a re-check.
    pub async fn handle_message(&self, text: &str, now: DateTime<Utc>) -> Result<Outcome, HandleError> {
        let message = match Notification::parse(text)? {
            Notification::Test => return Ok(self.ignore("test notification")),
            Notification::OtherTransition(t) => return Ok(self.ignore(&format!("transition {t}"))),
            Notification::Terminating(message) => message,
        };
        let instance = self.ecs.container_instance(&message.ec2_instance_id).await?;
        let elapsed = (now - message.time).to_std().unwrap_or(Duration::ZERO);
        let decision = decide(instance.as_ref(), elapsed, self.settings.drain_budget);
        let log = DecisionLog { message: &message, cluster: &self.settings.cluster, elapsed };

        let drain_first = match decision {
            Decision::Complete { drain_first, .. } | Decision::Wait { drain_first, .. } => drain_first,
        };
        if let (true, Some(instance)) = (drain_first, &instance) {
            self.ecs.set_draining(&instance.arn).await?;
        }
        match decision {
            Decision::Complete { reason, .. } => {
                let action = self.lifecycle.complete(&message).await?;
                log.emit(reason.as_str(), tasks_of(reason), drain_first, Some(action));
                if let Reason::BudgetExhausted { tasks } = reason {
                    let still_running = instance.as_ref().map(|i| i.unstopped_task_arns.join(",")).unwrap_or_default();
                    tracing::warn!(
                        instance = %message.ec2_instance_id,
                        tasks,
                        still_running,
                        budget_seconds = self.settings.drain_budget.as_secs(),
                        "drain time spent with tasks still running; letting the instance go"
                    );
                }
                Ok(Outcome::Completed { reason, action })
            }
            Decision::Wait { tasks, .. } => {
                if self.lifecycle.heartbeat(&message).await? == Action::Gone {
                    log.emit("action-gone", tasks, drain_first, Some(Action::Gone));
                    return Ok(Outcome::ActionGone { tasks });
                }
                self.recheck.schedule(text, self.settings.recheck_delay).await?;
                log.emit("wait", tasks, drain_first, None);
                Ok(Outcome::RecheckScheduled { tasks })
            }
        }
    }

    fn ignore(&self, what: &str) -> Outcome {
        tracing::info!(cluster = %self.settings.cluster, action = "ignore", reason = what, "nothing to drain");
        Outcome::Ignored(what.to_owned())
    }
}

fn tasks_of(reason: Reason) -> usize {
    match reason {
        Reason::BudgetExhausted { tasks } => tasks,
        Reason::NotInCluster | Reason::NoTasksLeft => 0,
    }
}

/// The one JSON log line per decision.
struct DecisionLog<'a> {
    message: &'a LifecycleMessage,
    cluster: &'a str,
    elapsed: Duration,
}

impl DecisionLog<'_> {
    fn emit(&self, action: &str, tasks: usize, drained_now: bool, lifecycle_action: Option<Action>) {
        tracing::info!(
            instance = %self.message.ec2_instance_id,
            cluster = %self.cluster,
            group = %self.message.auto_scaling_group_name,
            tasks,
            action,
            drained_now,
            elapsed_seconds = self.elapsed.as_secs(),
            lifecycle_action = lifecycle_action.map(|a| a.to_string()),
            "decision"
        );
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Open => "completed",
            Action::Gone => "already-gone",
        })
    }
}
