//! Scaling of the service's task count by target tracking, and of the instances after the tasks.

use crate::resources::applicationautoscaling::{
    PolicyType, PredefinedMetric, PredefinedMetricType, ScalableDimension, ScalableTarget, ScalingPolicy,
    ServiceNamespace, TargetTrackingConfiguration,
};
use crate::resources::autoscaling::{self, AutoScalingGroup, CustomizedMetric, MetricDimension, Statistic};
use crate::resources::ecs::{Cluster, Service};
use crate::resources::elbv2::{LoadBalancer, TargetGroup};
use crate::template::{Handle, Intrinsic, Scope, Template, TemplateError};

/// Room left on the instances: memory reserved beyond this share adds an instance, so tasks
/// scaled out find a place before they are pending.
const INSTANCE_MEMORY_RESERVATION_TARGET: u32 = 75;

/// The task count's bounds and targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskScaling {
    pub min: u32,
    pub max: u32,
    /// Average CPU use, in percent of what the tasks reserve.
    pub cpu_percent: Option<u32>,
    /// Requests per task per minute.
    pub requests_per_target: Option<u32>,
}

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
    scaling: Option<TaskScaling>,
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
        },
    )?;
    let mut track = |name: &str, metric: PredefinedMetric, value: u32| {
        let policy_scope = target_scope.child(name);
        t.add(
            &policy_scope.child("Resource"),
            ScalingPolicy {
                policy_name: policy_scope.unique_id().into(),
                policy_type: PolicyType::TargetTrackingScaling,
                scaling_target_id: target.target_id().into(),
                target_tracking_scaling_policy_configuration: TargetTrackingConfiguration {
                    predefined_metric_specification: metric,
                    target_value: value.into(),
                },
            },
        )
    };
    if let Some(cpu) = scaling.cpu_percent {
        let metric = PredefinedMetric {
            predefined_metric_type: PredefinedMetricType::EcsServiceAverageCpuUtilization,
            resource_label: None,
        };
        track("ScaleOnCpu", metric, cpu)?;
    }
    if let Some(requests) = scaling.requests_per_target {
        let label = format!("{}/{}", props.load_balancer.full_name_sub(), props.target_group.full_name_sub());
        let metric = PredefinedMetric {
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
            policy_type: PolicyType::TargetTrackingScaling,
            target_tracking_configuration: autoscaling::TargetTrackingConfiguration {
                customized_metric_specification: CustomizedMetric {
                    dimensions: vec![MetricDimension { name: "ClusterName", value: cluster.cluster_name().into() }],
                    metric_name: "MemoryReservation",
                    namespace: "AWS/ECS",
                    statistic: Statistic::Average,
                },
                target_value: INSTANCE_MEMORY_RESERVATION_TARGET.into(),
            },
        },
    )?;
    Ok(())
}
