//! AWS::ApplicationAutoScaling resources (generated): scaling of an ECS service's task count.
//! Without a role ARN a scalable target uses Application Auto Scaling's service-linked role for
//! ECS, which it creates on first use.

use serde::Serialize;

use crate::template::{Handle, Intrinsic};

pub use super::generated::applicationautoscaling::scalable_target::ScalableTarget;
pub use super::generated::applicationautoscaling::scaling_policy::{
    PredefinedMetricSpecification, ScalingPolicy, TargetTrackingScalingPolicyConfiguration,
};

impl Handle<ScalableTarget> {
    pub fn target_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum ScalableDimension {
    #[serde(rename = "ecs:service:DesiredCount")]
    #[default]
    EcsServiceDesiredCount,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceNamespace {
    #[default]
    Ecs,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum PolicyType {
    #[default]
    TargetTrackingScaling,
    StepScaling,
}

/// The metrics target tracking can follow for an ECS service without a custom metric.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum PredefinedMetricType {
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    #[default]
    EcsServiceAverageCpuUtilization,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    EcsServiceAverageMemoryUtilization,
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}
