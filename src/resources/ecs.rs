//! AWS::ECS resources (generated), with the attributes each offers and the values the schemas
//! leave as strings.

use serde::Serialize;

use crate::template::{Handle, Intrinsic, Tags};

pub use super::generated::ecs::capacity_provider::{AutoScalingGroupProvider, CapacityProvider, ManagedScaling};
pub use super::generated::ecs::cluster::{Cluster, ClusterSettings};
pub use super::generated::ecs::cluster_capacity_provider_associations::{
    CapacityProviderStrategy, ClusterCapacityProviderAssociations,
};
pub use super::generated::ecs::service::{
    AdvancedConfiguration, CanaryConfiguration, CapacityProviderStrategyItem, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentLifecycleHook, HookTimeoutConfig, LinearConfiguration,
    LoadBalancer as ServiceLoadBalancer, PlacementConstraint, PlacementStrategy, Service,
};
pub use super::generated::ecs::task_definition::{
    AuthorizationConfig, ContainerDefinition, ContainerDependency, EFSVolumeConfiguration, HealthCheck,
    HostVolumeProperties, KeyValuePair, LinuxParameters, LogConfiguration, MountPoint, PortMapping, Secret,
    TaskDefinition, Ulimit, Volume,
};

/// The service's tags reach its tasks too, which the bill is counted by.
pub fn tag_service(service: &mut Service, tags: &Tags) {
    Tags::add_missing_to(&mut service.tags, tags);
    service.propagate_tags = Some(PropagateTags::Service);
}

impl Handle<Cluster> {
    pub fn cluster_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

impl Handle<TaskDefinition> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<Service> {
    /// The service's name inside an `Fn::Sub` pattern.
    pub fn name_sub(&self) -> String {
        self.sub_att("Name")
    }
}

impl Handle<CapacityProvider> {
    pub fn name(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogDriver {
    #[default]
    Awslogs,
    Awsfirelens,
    Splunk,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportProtocol {
    Tcp,
    Udp,
}

/// Where tasks run (a task definition's compatibilities, a service's launch type).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LaunchType {
    Ec2,
    Fargate,
    External,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchedulingStrategy {
    Replica,
    Daemon,
}

/// Where a service's tasks take their tags from.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PropagateTags {
    Service,
    TaskDefinition,
}

/// The cluster settings ECS has (one, today).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ClusterSettingName {
    ContainerInsights,
}

/// ECS's ENABLED / DISABLED switches.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Toggle {
    Enabled,
    Disabled,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PlacementConstraintType {
    #[default]
    DistinctInstance,
    MemberOf,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacementStrategyType {
    #[default]
    Binpack,
    Random,
    Spread,
}
