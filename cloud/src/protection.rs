//! Scale-in protection, lifted before a stack is deleted.
//!
//! With `draining: managed` the group protects new instances from scale-in and the capacity
//! provider's managed termination protection keeps instances with tasks protected. Deleting the
//! stack sets the group to zero and waits for its instances, which never go while protected: the
//! deletion hangs until CloudFormation gives up ("Capacity provider managed termination
//! protection", ECS Developer Guide; a known trap for the CDK's users). So `destroy` takes the
//! protection off the group and each of its instances first, and again while the deletion runs,
//! since ECS protects instances anew as long as its capacity provider exists.
//!
//! The same trap catches any operation that deletes such a group: the rollback of a failed
//! creation, the rollback of an update that made a new group, or the cleanup of an update that
//! replaced one. So `deploy` lifts the protection from each group as CloudFormation starts
//! deleting it (its `DELETE_IN_PROGRESS` event), and again while the operation runs.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_sdk_autoscaling::Client;
use aws_sdk_cloudformation::types::StackResourceSummary;

use crate::sdk;

/// SetInstanceProtection takes at most 50 instances per call.
const INSTANCES_PER_CALL: usize = 50;
const GROUP_TYPE: &str = "AWS::AutoScaling::AutoScalingGroup";

/// The physical names of the stack's Auto Scaling groups.
pub async fn groups_of(cf: &aws_sdk_cloudformation::Client, stack: &str) -> Result<Vec<String>> {
    let mut groups = Vec::new();
    let mut pages = cf.list_stack_resources().stack_name(stack).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk).with_context(|| format!("cannot list the resources of stack {stack}"))?;
        groups.extend(
            page.stack_resource_summaries()
                .iter()
                .filter(|r| r.resource_type() == Some(GROUP_TYPE))
                .filter_map(StackResourceSummary::physical_resource_id)
                .map(str::to_owned),
        );
    }
    Ok(groups)
}

/// Lifts scale-in protection from `group` and every instance in it; returns how many instances
/// were protected. A group that is gone already counts as done.
pub async fn lift(autoscaling: &Client, group: &str) -> Result<usize> {
    let described = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .map_err(sdk)
        .with_context(|| format!("cannot describe Auto Scaling group {group}"))?;
    let Some(found) = described.auto_scaling_groups().first() else { return Ok(0) };
    if found.new_instances_protected_from_scale_in() == Some(true) {
        autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(group)
            .new_instances_protected_from_scale_in(false)
            .send()
            .await
            .map_err(sdk)
            .with_context(|| format!("cannot stop Auto Scaling group {group} protecting new instances"))?;
    }
    let protected: Vec<String> = found
        .instances()
        .iter()
        .filter(|i| i.protected_from_scale_in() == Some(true))
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    for chunk in protected.chunks(INSTANCES_PER_CALL) {
        autoscaling
            .set_instance_protection()
            .auto_scaling_group_name(group)
            .set_instance_ids(Some(chunk.to_vec()))
            .protected_from_scale_in(false)
            .send()
            .await
            .map_err(sdk)
            .with_context(|| format!("cannot lift the scale-in protection of instances in {group}"))?;
    }
    Ok(protected.len())
}

/// How often the protection is lifted again while an operation deletes the groups.
pub const RECHECK: Duration = Duration::from_secs(10);

/// The groups an operation deletes, whose protection is lifted at once and again every
/// `RECHECK` until it ends.
pub struct Lifting {
    autoscaling: Client,
    groups: Vec<String>,
    /// What the lifting lets happen, for the message: "the deletion", "the rollback".
    so_that: &'static str,
    last: Option<Instant>,
}

impl Lifting {
    pub fn new(autoscaling: Client, so_that: &'static str) -> Self {
        Lifting { autoscaling, groups: Vec::new(), so_that, last: None }
    }

    /// Starts lifting `group`'s protection (once per group), now.
    pub async fn add(&mut self, group: &str) -> Result<()> {
        if self.groups.iter().any(|g| g == group) {
            return Ok(());
        }
        self.groups.push(group.to_owned());
        self.lift_one(group).await
    }

    /// Lifts every group's protection again once `RECHECK` has passed; a failure is a warning,
    /// since the next round tries again.
    pub async fn tick(&mut self) {
        if self.last.is_some_and(|last| last.elapsed() < RECHECK) || self.groups.is_empty() {
            return;
        }
        for group in self.groups.clone() {
            if let Err(err) = self.lift_one(&group).await {
                eprintln!("warning: {err:#}");
            }
        }
    }

    async fn lift_one(&mut self, group: &str) -> Result<()> {
        self.last = Some(Instant::now());
        let lifted = lift(&self.autoscaling, group).await?;
        if lifted > 0 {
            eprintln!(
                "lifted scale-in protection from {lifted} instance(s) of {group}, so {} can end them",
                self.so_that
            );
        }
        Ok(())
    }
}
