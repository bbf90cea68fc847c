//! Scale-in protection, lifted before a stack is deleted.
//!
//! With `draining: managed` the group protects new instances from scale-in and the capacity
//! provider's managed termination protection keeps instances with tasks protected. Deleting the
//! stack sets the group to zero and waits for its instances, which never go while protected: the
//! deletion hangs until CloudFormation gives up ("Capacity provider managed termination
//! protection", ECS Developer Guide; a known trap for the CDK's users). So `destroy` takes the
//! protection off the group and each of its instances first, and again while the deletion runs,
//! since ECS protects instances anew as long as its capacity provider exists.

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
