//! The handler's traits over the AWS SDK: ECS, Auto Scaling and SQS, each call as thin as it can be.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use aws_sdk_ecs::error::DisplayErrorContext;
use aws_sdk_ecs::types::{ContainerInstanceStatus, DesiredStatus};

use crate::decide::{ContainerInstance, GroupMembership};
use crate::handler::{Action, AwsError, Ecs, Lifecycle, Recheck};
use crate::message::LifecycleMessage;
use crate::settings::HookSettings;

/// ECS's limit on ARNs per Describe call.
const DESCRIBE_CHUNK: usize = 100;
/// Auto Scaling's answer when the action was completed already or has timed out.
const NO_ACTIVE_ACTION: &str = "No active Lifecycle Action found";
const STOPPED: &str = "STOPPED";

fn aws_error<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> AwsError {
    move |e| AwsError { operation, cause: DisplayErrorContext(&e).to_string() }
}

pub struct EcsCluster {
    client: aws_sdk_ecs::Client,
    cluster: String,
}

impl EcsCluster {
    pub fn new(client: aws_sdk_ecs::Client, cluster: impl Into<String>) -> Self {
        EcsCluster { client, cluster: cluster.into() }
    }

    /// Tasks on the instance whose last status is not STOPPED. Tasks being stopped (desired
    /// STOPPED, still running) count too, so both desired statuses are listed.
    async fn unstopped_tasks(&self, container_instance_arn: &str) -> Result<Vec<String>, AwsError> {
        // A set: a task can be in both lists while it stops.
        let mut arns = BTreeSet::new();
        for desired in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let page_items: Result<Vec<String>, _> = self
                .client
                .list_tasks()
                .cluster(&self.cluster)
                .container_instance(container_instance_arn)
                .desired_status(desired)
                .into_paginator()
                .items()
                .send()
                .collect()
                .await;
            arns.extend(page_items.map_err(aws_error("ListTasks"))?);
        }
        let arns: Vec<String> = arns.into_iter().collect();
        let mut unstopped = Vec::new();
        for chunk in arns.chunks(DESCRIBE_CHUNK) {
            let described = self
                .client
                .describe_tasks()
                .cluster(&self.cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(aws_error("DescribeTasks"))?;
            let running = described.tasks().iter().filter(|t| t.last_status() != Some(STOPPED));
            unstopped.extend(running.filter_map(|t| t.task_arn().map(str::to_owned)));
        }
        Ok(unstopped)
    }
}

impl Ecs for EcsCluster {
    async fn container_instance(&self, ec2_instance_id: &str) -> Result<Option<ContainerInstance>, AwsError> {
        let arns: Vec<String> = self
            .client
            .list_container_instances()
            .cluster(&self.cluster)
            .filter(format!("ec2InstanceId == {ec2_instance_id}"))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(aws_error("ListContainerInstances"))?;
        for chunk in arns.chunks(DESCRIBE_CHUNK) {
            let described = self
                .client
                .describe_container_instances()
                .cluster(&self.cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(aws_error("DescribeContainerInstances"))?;
            // The filter is checked again: a wrong match would drain someone else's instance.
            let found = described.container_instances().iter().find(|ci| ci.ec2_instance_id() == Some(ec2_instance_id));
            if let Some(ci) = found {
                let arn = ci.container_instance_arn().unwrap_or_default().to_owned();
                // Pending tasks are among the unstopped ones (ListTasks lists them, their last
                // status PENDING): ECS's pendingTasksCount would count them twice.
                let unstopped_task_arns = self.unstopped_tasks(&arn).await?;
                let tasks = unstopped_task_arns.len();
                let status = ci.status().unwrap_or_default().to_owned();
                return Ok(Some(ContainerInstance { arn, status, tasks, unstopped_task_arns }));
            }
        }
        Ok(None)
    }

    async fn set_draining(&self, container_instance_arn: &str) -> Result<(), AwsError> {
        let out = self
            .client
            .update_container_instances_state()
            .cluster(&self.cluster)
            .container_instances(container_instance_arn)
            .status(ContainerInstanceStatus::Draining)
            .send()
            .await
            .map_err(aws_error("UpdateContainerInstancesState"))?;
        match out.failures().first() {
            None => Ok(()),
            Some(failure) => Err(AwsError {
                operation: "UpdateContainerInstancesState",
                cause: format!("{}: {}", failure.arn().unwrap_or_default(), failure.reason().unwrap_or_default()),
            }),
        }
    }
}

pub struct AutoScaling {
    client: aws_sdk_autoscaling::Client,
}

impl AutoScaling {
    pub fn new(client: aws_sdk_autoscaling::Client) -> Self {
        AutoScaling { client }
    }
}

/// An action that is no longer waiting is not an error: a duplicate delivery finished it.
fn action_state<T, E>(operation: &'static str, result: Result<T, E>) -> Result<Action, AwsError>
where
    E: std::error::Error + ProvideErrorMetadata,
{
    match result {
        Ok(_) => Ok(Action::Open),
        Err(e) if e.message().is_some_and(|m| m.contains(NO_ACTIVE_ACTION)) => Ok(Action::Gone),
        Err(e) => Err(aws_error(operation)(e)),
    }
}

impl Lifecycle for AutoScaling {
    async fn complete(&self, m: &LifecycleMessage) -> Result<Action, AwsError> {
        let result = self
            .client
            .complete_lifecycle_action()
            .auto_scaling_group_name(&m.auto_scaling_group_name)
            .lifecycle_hook_name(&m.lifecycle_hook_name)
            .lifecycle_action_token(&m.lifecycle_action_token)
            .instance_id(&m.ec2_instance_id)
            .lifecycle_action_result("CONTINUE")
            .send()
            .await;
        action_state("CompleteLifecycleAction", result)
    }

    async fn membership(&self, ec2_instance_id: &str) -> Result<Option<GroupMembership>, AwsError> {
        let described = self
            .client
            .describe_auto_scaling_instances()
            .instance_ids(ec2_instance_id)
            .send()
            .await
            .map_err(aws_error("DescribeAutoScalingInstances"))?;
        let found = described.auto_scaling_instances().iter().find(|i| i.instance_id() == Some(ec2_instance_id));
        Ok(found.map(|i| GroupMembership {
            group: i.auto_scaling_group_name().unwrap_or_default().to_owned(),
            lifecycle_state: i.lifecycle_state().unwrap_or_default().to_owned(),
        }))
    }

    async fn complete_instance(&self, hook: &HookSettings, ec2_instance_id: &str) -> Result<Action, AwsError> {
        let result = self
            .client
            .complete_lifecycle_action()
            .auto_scaling_group_name(&hook.group)
            .lifecycle_hook_name(&hook.name)
            .instance_id(ec2_instance_id)
            .lifecycle_action_result("CONTINUE")
            .send()
            .await;
        action_state("CompleteLifecycleAction", result)
    }

    async fn heartbeat(&self, m: &LifecycleMessage) -> Result<Action, AwsError> {
        let result = self
            .client
            .record_lifecycle_action_heartbeat()
            .auto_scaling_group_name(&m.auto_scaling_group_name)
            .lifecycle_hook_name(&m.lifecycle_hook_name)
            .lifecycle_action_token(&m.lifecycle_action_token)
            .instance_id(&m.ec2_instance_id)
            .send()
            .await;
        action_state("RecordLifecycleActionHeartbeat", result)
    }
}

pub struct RecheckQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    dead_letter_queue_url: Option<String>,
}

impl RecheckQueue {
    pub fn new(
        client: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        dead_letter_queue_url: Option<String>,
    ) -> Self {
        RecheckQueue { client, queue_url: queue_url.into(), dead_letter_queue_url }
    }
}

fn whole_seconds(delay: Duration) -> i32 {
    i32::try_from(delay.as_secs()).unwrap_or(i32::MAX)
}

impl RecheckQueue {
    /// Sends `message` to the queue at `url`, delivered after `delay`.
    async fn send(&self, url: &str, message: &str, delay: Duration) -> Result<(), AwsError> {
        self.client
            .send_message()
            .queue_url(url)
            .message_body(message)
            .delay_seconds(whole_seconds(delay))
            .send()
            .await
            .map(|_| ())
            .map_err(aws_error("SendMessage"))
    }
}

impl Recheck for RecheckQueue {
    async fn schedule(&self, message: &str, delay: Duration) -> Result<(), AwsError> {
        self.send(&self.queue_url, message, delay).await
    }

    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<(), AwsError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(whole_seconds(delay))
            .send()
            .await
            .map(|_| ())
            .map_err(aws_error("ChangeMessageVisibility"))
    }

    async fn set_aside(&self, message: &str) -> Result<(), AwsError> {
        let Some(url) = &self.dead_letter_queue_url else {
            return Err(AwsError { operation: "SendMessage", cause: "no dead-letter queue configured".into() });
        };
        self.send(url, message, Duration::ZERO).await
    }
}
