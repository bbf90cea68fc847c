//! Scaling of the service's task count by target tracking, and of the instances after the tasks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::resources::applicationautoscaling::{
    PolicyType, PredefinedMetricSpecification, PredefinedMetricType, ScalableDimension, ScalableTarget, ScalingPolicy,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use crate::resources::autoscaling::{
    self, AutoScalingGroup, CustomizedMetricSpecification, MetricDimension, Statistic,
};
use crate::resources::ecs::{Cluster, Service};
use crate::resources::elbv2::{LoadBalancer, TargetGroup};
use crate::template::{Handle, Intrinsic, Scope, Template, TemplateError};

/// Room left on the instances: memory reserved beyond this share adds an instance, so tasks
/// scaled out find a place before they are pending.
const INSTANCE_MEMORY_RESERVATION_TARGET: u32 = 75;

/// Application Auto Scaling of the service's task count.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AutoScalingConfig {
    /// The fewest tasks, at least 1.
    ///
    /// Default: 1
    pub min: u32,
    /// The most tasks, at least `min`, at most 5000.
    ///
    /// Default: 4
    pub max: u32,
    /// Keep the service's average CPU use near this percentage.
    ///
    /// Default: - 70 unless `target_requests_per_target` is set.
    #[schemars(range(min = bounds::TARGET_CPU_PERCENT.min, max = bounds::TARGET_CPU_PERCENT.max))]
    pub target_cpu_percent: Option<u32>,
    /// Keep the load balancer's requests per task per minute near this.
    ///
    /// Default: - none.
    #[schemars(range(min = bounds::TARGET_REQUESTS.min, max = bounds::TARGET_REQUESTS.max))]
    pub target_requests_per_target: Option<u32>,
}

impl Default for AutoScalingConfig {
    fn default() -> Self {
        AutoScalingConfig { min: 1, max: 4, target_cpu_percent: None, target_requests_per_target: None }
    }
}

impl AutoScalingConfig {
    /// The CPU target in force: the one set, else 70 when no other target is.
    pub fn cpu_target(&self) -> Option<u32> {
        self.target_cpu_percent.or(self.target_requests_per_target.is_none().then_some(DEFAULT_CPU_TARGET))
    }
}

/// A busy service's CPU with room to absorb a spike while new tasks start.
pub const DEFAULT_CPU_TARGET: u32 = 70;

pub struct ServiceScalingProps<'a> {
    pub cluster: &'a Handle<Cluster>,
    pub service: &'a Handle<Service>,
    pub load_balancer: &'a Handle<LoadBalancer>,
    pub target_group: &'a Handle<TargetGroup>,
}

/// Adds the scaling when `scaling` asks for it. `scope` is the service's `TaskCount`, as the CDK's
/// `autoScaleTaskCount` names it.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    props: ServiceScalingProps<'_>,
    scaling: Option<&AutoScalingConfig>,
) -> Result<(), TemplateError> {
    let Some(scaling) = scaling else { return Ok(()) };
    let target_scope = scope.child("Target");
    let target = t.add(
        &target_scope.child("Resource"),
        ScalableTarget {
            max_capacity: scaling.max.into(),
            min_capacity: scaling.min.into(),
            resource_id: Intrinsic::Sub(format!("service/{}/{}", props.cluster.sub_ref(), props.service.name_sub()))
                .into(),
            scalable_dimension: ScalableDimension::EcsServiceDesiredCount,
            service_namespace: ServiceNamespace::Ecs,
            ..ScalableTarget::default()
        },
    )?;
    let mut track = |name: &str, metric: PredefinedMetricSpecification, value: u32| {
        let policy_scope = target_scope.child(name);
        t.add(
            &policy_scope.child("Resource"),
            ScalingPolicy {
                policy_name: policy_scope.unique_id().into(),
                policy_type: PolicyType::TargetTrackingScaling,
                scaling_target_id: Some(target.target_id().into()),
                target_tracking_scaling_policy_configuration: Some(TargetTrackingScalingPolicyConfiguration {
                    predefined_metric_specification: Some(metric),
                    target_value: value.into(),
                    ..TargetTrackingScalingPolicyConfiguration::default()
                }),
                ..ScalingPolicy::default()
            },
        )
    };
    if let Some(cpu) = scaling.cpu_target() {
        let metric = PredefinedMetricSpecification {
            predefined_metric_type: PredefinedMetricType::EcsServiceAverageCpuUtilization,
            resource_label: None,
        };
        track("ScaleOnCpu", metric, cpu)?;
    }
    if let Some(requests) = scaling.target_requests_per_target {
        let label = format!("{}/{}", props.load_balancer.full_name_sub(), props.target_group.full_name_sub());
        let metric = PredefinedMetricSpecification {
            predefined_metric_type: PredefinedMetricType::AlbRequestCountPerTarget,
            resource_label: Some(Intrinsic::Sub(label).into()),
        };
        track("ScaleOnRequests", metric, requests)?;
    }

    Ok(())
}

/// Lets the instances follow the tasks: the group tracks the cluster's memory reservation, so
/// tasks scaled out find room before they are pending. One for the cluster, however many
/// services scale; `group_scope` is the group's, where the CDK puts it.
pub fn scale_instances(
    t: &mut Template,
    group_scope: &Scope,
    cluster: &Handle<Cluster>,
    auto_scaling_group: &Handle<AutoScalingGroup>,
) -> Result<(), TemplateError> {
    t.add(
        &group_scope.child("ScaleOnMemoryReservation").child("Resource"),
        autoscaling::ScalingPolicy {
            auto_scaling_group_name: auto_scaling_group.group_name().into(),
            policy_type: Some(PolicyType::TargetTrackingScaling),
            target_tracking_configuration: Some(autoscaling::TargetTrackingConfiguration {
                customized_metric_specification: Some(CustomizedMetricSpecification {
                    dimensions: Some(vec![MetricDimension {
                        name: "ClusterName".into(),
                        value: cluster.cluster_name().into(),
                    }]),
                    metric_name: Some("MemoryReservation".into()),
                    namespace: Some("AWS/ECS".into()),
                    statistic: Some(Statistic::Average),
                    ..CustomizedMetricSpecification::default()
                }),
                target_value: INSTANCE_MEMORY_RESERVATION_TARGET.into(),
                ..autoscaling::TargetTrackingConfiguration::default()
            }),
            ..autoscaling::ScalingPolicy::default()
        },
    )?;
    Ok(())
}
