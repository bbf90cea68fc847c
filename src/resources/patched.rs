//! The Rust types `patch.toml` gives the properties AWS's schemas type loosely.

pub use super::Attribute;
pub use super::applicationautoscaling::{PolicyType, PredefinedMetricType, ScalableDimension, ServiceNamespace};
pub use super::autoscaling::{LifecycleResult, LifecycleTransition, SpotAllocationStrategy, Statistic, propagate_tags};
pub use super::cloudwatch::{ComparisonOperator, TreatMissingData};
pub use super::ec2::{TaggedResource, tag_launch_template};
pub use super::ecs::{
    ClusterSettingName, LaunchType, LogDriver, PlacementConstraintType, PlacementStrategyType, PropagateTags,
    SchedulingStrategy, Toggle, TransportProtocol, tag_service,
};
pub use super::elbv2::{ActionType, LoadBalancerType, RedirectStatus, RuleField, Scheme, TargetType};
pub use super::events::RuleState;
pub use super::iam::PolicyDocument;
pub use super::lambda::{Code, FunctionResponseType, LogFormat, RecursiveLoop};
pub use super::route53::RecordType;
pub use super::s3::{ObjectOwnership, RuleStatus, SseAlgorithm};
pub use super::sns::SubscriptionProtocol;
pub use super::sqs::RedrivePolicy;
pub use crate::aws::{Architecture, ContainerCondition, ListenerProtocol};
