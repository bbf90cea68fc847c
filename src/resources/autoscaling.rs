//! AWS::AutoScaling resources (generated), with the attributes each offers, the values the
//! schemas leave as strings, and the Auto Scaling group's update policy (a resource attribute,
//! not in its schema).

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Tags, Value};

pub use super::generated::autoscaling::auto_scaling_group::{
    AutoScalingGroup, InstancesDistribution, LaunchTemplate as MixedLaunchTemplate, LaunchTemplateOverrides,
    LaunchTemplateSpecification, MixedInstancesPolicy, TagProperty,
};
pub use super::generated::autoscaling::lifecycle_hook::LifecycleHook;
pub use super::generated::autoscaling::scaling_policy::{
    CustomizedMetricSpecification, MetricDimension, ScalingPolicy, TargetTrackingConfiguration,
};

/// A group's tags reach the instances it launches too (`PropagateAtLaunch`); a key it already has
/// keeps its value.
pub fn propagate_tags(group: &mut AutoScalingGroup, tags: &Tags) {
    let own = group.tags.get_or_insert_with(Vec::new);
    for (key, value) in tags.iter() {
        let key = Value::Literal(key.clone());
        if !own.iter().any(|t| t.key == key) {
            own.push(TagProperty { key, propagate_at_launch: true.into(), value: value.clone() });
        }
    }
}

impl Handle<AutoScalingGroup> {
    pub fn group_name(&self) -> Intrinsic {
        self.reference()
    }
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

/// What Auto Scaling does when a lifecycle action times out.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum LifecycleResult {
    #[serde(rename = "CONTINUE")]
    Continue,
    #[serde(rename = "ABANDON")]
    Abandon,
}

/// The transition a lifecycle hook holds instances in.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum LifecycleTransition {
    #[serde(rename = "autoscaling:EC2_INSTANCE_LAUNCHING")]
    #[default]
    Launching,
    #[serde(rename = "autoscaling:EC2_INSTANCE_TERMINATING")]
    Terminating,
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

/// CloudWatch's statistics a target-tracking policy can track.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Statistic {
    Average,
    Minimum,
    Maximum,
    SampleCount,
    Sum,
}
