//! AWS::AutoScaling resources and the Auto Scaling group's update policy.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, List, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    pub capacity_rebalance: Option<bool>,
    pub desired_capacity: Option<Value<String>>,
    /// One of this and `mixed_instances_policy`.
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub max_size: Value<String>,
    pub min_size: Value<String>,
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
    pub new_instances_protected_from_scale_in: Option<bool>,
    pub tags: Vec<PropagatedTag>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: List<String>,
}

impl Resource for AutoScalingGroup {
    const TYPE: &'static str = schema::AUTO_SCALING_AUTO_SCALING_GROUP_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        // Instances the group launches carry its tags too.
        for (key, value) in tags.iter() {
            if !self.tags.iter().any(|t| t.key == *key) {
                self.tags.push(PropagatedTag { key: key.clone(), propagate_at_launch: true, value: value.clone() });
            }
        }
    }
}

impl Handle<AutoScalingGroup> {
    pub fn group_name(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    pub launch_template_id: Value<String>,
    pub version: Value<String>,
}

/// Several instance types, on demand and Spot, from one launch template.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedInstancesPolicy {
    pub instances_distribution: InstancesDistribution,
    pub launch_template: MixedLaunchTemplate,
}

/// How Auto Scaling picks Spot pools ("Allocation strategies for multiple instance types",
/// EC2 Auto Scaling User Guide).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpotAllocationStrategy {
    /// The pools least likely to be interrupted, among the cheapest: what AWS recommends.
    PriceCapacityOptimized,
    CapacityOptimized,
    CapacityOptimizedPrioritized,
    LowestPrice,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstancesDistribution {
    pub on_demand_base_capacity: Value<u32>,
    pub on_demand_percentage_above_base_capacity: Value<u32>,
    pub spot_allocation_strategy: SpotAllocationStrategy,
    pub spot_max_price: Option<Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedLaunchTemplate {
    pub launch_template_specification: LaunchTemplateSpecification,
    pub overrides: Vec<InstanceTypeOverride>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceTypeOverride {
    pub instance_type: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PropagatedTag {
    pub key: String,
    pub propagate_at_launch: bool,
    pub value: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHook {
    pub auto_scaling_group_name: Value<String>,
    pub default_result: LifecycleResult,
    pub heartbeat_timeout: Value<u32>,
    pub lifecycle_transition: LifecycleTransition,
    #[serde(rename = "NotificationTargetARN")]
    pub notification_target_arn: Value<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Value<String>,
}

/// What Auto Scaling does when a lifecycle action times out.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum LifecycleResult {
    #[serde(rename = "CONTINUE")]
    Continue,
    #[serde(rename = "ABANDON")]
    Abandon,
}

/// The transition a lifecycle hook holds instances in.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum LifecycleTransition {
    #[serde(rename = "autoscaling:EC2_INSTANCE_LAUNCHING")]
    Launching,
    #[serde(rename = "autoscaling:EC2_INSTANCE_TERMINATING")]
    Terminating,
}

impl Resource for LifecycleHook {
    const TYPE: &'static str = schema::AUTO_SCALING_LIFECYCLE_HOOK_TYPE;
}

/// The `UpdatePolicy` attribute of an Auto Scaling group: a rolling update, a replacing update,
/// or an instance refresh (which excludes a rolling update).
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePolicy {
    pub auto_scaling_instance_refresh: Option<InstanceRefresh>,
    pub auto_scaling_replacing_update: Option<ReplacingUpdate>,
    pub auto_scaling_rolling_update: Option<RollingUpdate>,
    pub auto_scaling_scheduled_action: ScheduledAction,
}

/// `AutoScalingInstanceRefresh`: CloudFormation starts an instance refresh when the launch
/// template (or the mixed instances policy) changes.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRefresh {
    pub strategy: RefreshStrategy,
    pub preferences: Option<RefreshPreferences>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum RefreshStrategy {
    /// Terminate and launch instances in batches (not `ReplaceRootVolume`, which needs a mixed
    /// instances policy with an image per override).
    Rolling,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefreshPreferences {
    pub alarm_specification: Option<AlarmSpecification>,
    pub bake_time: Option<u32>,
    pub checkpoint_delay: Option<u32>,
    pub checkpoint_percentages: Option<Vec<u32>>,
    pub instance_warmup: Option<u32>,
    pub max_healthy_percentage: u32,
    pub min_healthy_percentage: u32,
    pub scale_in_protected_instances: ProtectedInstances,
    pub skip_matching: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmSpecification {
    pub alarms: Vec<String>,
}

/// What a refresh does with instances protected from scale-in.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum ProtectedInstances {
    /// Replace them too (ECS's managed draining still drains each before it ends).
    Refresh,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplacingUpdate {
    pub will_replace: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RollingUpdate {
    pub max_batch_size: u32,
    pub min_instances_in_service: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduledAction {
    pub ignore_unmodified_group_size_properties: bool,
}

/// An Auto Scaling group policy; here target tracking on a CloudWatch metric.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub auto_scaling_group_name: Value<String>,
    pub policy_type: crate::resources::applicationautoscaling::PolicyType,
    pub target_tracking_configuration: TargetTrackingConfiguration,
}

impl Resource for ScalingPolicy {
    const TYPE: &'static str = schema::AUTO_SCALING_SCALING_POLICY_TYPE;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingConfiguration {
    pub customized_metric_specification: CustomizedMetric,
    pub target_value: Value<u32>,
}

/// CloudWatch's statistics a target-tracking policy can track.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Statistic {
    Average,
    Minimum,
    Maximum,
    SampleCount,
    Sum,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomizedMetric {
    pub dimensions: Vec<MetricDimension>,
    pub metric_name: &'static str,
    pub namespace: &'static str,
    pub statistic: Statistic,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDimension {
    pub name: &'static str,
    pub value: Value<String>,
}
