//! AWS::ApplicationAutoScaling resources: scaling of an ECS service's task count.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Value};

/// What Application Auto Scaling may scale, between two bounds. Without a role ARN it uses its
/// service-linked role for ECS, which it creates on first use.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub max_capacity: Value<u32>,
    pub min_capacity: Value<u32>,
    pub resource_id: Value<String>,
    pub scalable_dimension: ScalableDimension,
    pub service_namespace: ServiceNamespace,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum ScalableDimension {
    #[serde(rename = "ecs:service:DesiredCount")]
    EcsServiceDesiredCount,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceNamespace {
    Ecs,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum PolicyType {
    TargetTrackingScaling,
    StepScaling,
}

/// The metrics target tracking can follow for an ECS service without a custom metric.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum PredefinedMetricType {
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    EcsServiceAverageCpuUtilization,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    EcsServiceAverageMemoryUtilization,
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

impl Resource for ScalableTarget {
    const TYPE: &'static str = schema::APPLICATION_AUTO_SCALING_SCALABLE_TARGET_TYPE;
}

impl Handle<ScalableTarget> {
    pub fn target_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: Value<String>,
    pub policy_type: PolicyType,
    pub scaling_target_id: Value<String>,
    pub target_tracking_scaling_policy_configuration: TargetTrackingConfiguration,
}

impl Resource for ScalingPolicy {
    const TYPE: &'static str = schema::APPLICATION_AUTO_SCALING_SCALING_POLICY_TYPE;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingConfiguration {
    pub predefined_metric_specification: PredefinedMetric,
    pub target_value: Value<u32>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub predefined_metric_type: PredefinedMetricType,
    /// Which load balancer and target group, for the request-count metric.
    pub resource_label: Option<Value<String>>,
}
