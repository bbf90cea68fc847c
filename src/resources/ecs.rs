//! AWS::ECS resources.

use super::schema;
use indexmap::IndexMap;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    pub cluster_name: Option<Value<String>>,
    pub cluster_settings: Option<Vec<ClusterSetting>>,
    pub tags: Option<Tags>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSetting {
    pub name: ClusterSettingName,
    pub value: Value<String>,
}

impl Resource for Cluster {
    const TYPE: &'static str = schema::ECS_CLUSTER_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<Cluster> {
    pub fn cluster_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogDriver {
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

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskDefinition {
    pub container_definitions: Vec<ContainerDefinition>,
    pub execution_role_arn: Option<Value<String>>,
    pub family: Option<Value<String>>,
    pub network_mode: Value<String>,
    pub requires_compatibilities: Vec<LaunchType>,
    pub tags: Option<Tags>,
    pub task_role_arn: Option<Value<String>>,
    pub volumes: Option<Vec<Volume>>,
}

/// A volume of the task: EFS, a path of the instance, or (with neither) a scratch directory.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    #[serde(rename = "EFSVolumeConfiguration")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    pub host: Option<HostVolumeProperties>,
    pub name: Value<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EfsVolumeConfiguration {
    pub authorization_config: Option<EfsAuthorizationConfig>,
    pub filesystem_id: Value<String>,
    pub root_directory: Option<Value<String>>,
    pub transit_encryption: Toggle,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EfsAuthorizationConfig {
    pub access_point_id: Option<Value<String>>,
    #[serde(rename = "IAM")]
    pub iam: Toggle,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostVolumeProperties {
    pub source_path: Value<String>,
}

impl Resource for TaskDefinition {
    const TYPE: &'static str = schema::ECS_TASK_DEFINITION_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<TaskDefinition> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    pub command: Option<Vec<Value<String>>>,
    pub cpu: Option<Value<u32>>,
    pub depends_on: Option<Vec<ContainerDependency>>,
    pub docker_labels: Option<IndexMap<String, Value<String>>>,
    pub entry_point: Option<Vec<Value<String>>>,
    pub environment: Option<Vec<KeyValuePair>>,
    pub essential: Option<Value<bool>>,
    pub health_check: Option<HealthCheck>,
    pub image: Value<String>,
    /// Bridge mode only: the named containers start first and are reachable by name.
    pub links: Option<Vec<Value<String>>>,
    pub linux_parameters: Option<LinuxParameters>,
    pub log_configuration: Option<LogConfiguration>,
    pub memory: Option<Value<u32>>,
    pub memory_reservation: Option<Value<u32>>,
    pub mount_points: Option<Vec<MountPoint>>,
    pub name: Value<String>,
    pub port_mappings: Option<Vec<PortMapping>>,
    pub readonly_root_filesystem: Option<Value<bool>>,
    pub secrets: Option<Vec<Secret>>,
    pub stop_timeout: Option<Value<u32>>,
    pub ulimits: Option<Vec<Ulimit>>,
    pub user: Option<Value<String>>,
    pub working_directory: Option<Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDependency {
    pub condition: DependencyCondition,
    pub container_name: Value<String>,
}

/// The states a container can wait for another to reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DependencyCondition {
    Start,
    Complete,
    Success,
    Healthy,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    pub command: Vec<Value<String>>,
    pub interval: Option<Value<u32>>,
    pub retries: Option<Value<u32>>,
    pub start_period: Option<Value<u32>>,
    pub timeout: Option<Value<u32>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinuxParameters {
    pub init_process_enabled: Value<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    pub container_path: Value<String>,
    pub read_only: Value<bool>,
    pub source_volume: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    pub hard_limit: Value<u32>,
    pub name: Value<String>,
    pub soft_limit: Value<u32>,
}

/// An environment variable ECS fills from SSM Parameter Store or Secrets Manager when the
/// container starts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    pub name: Value<String>,
    pub value_from: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValuePair {
    pub name: Value<String>,
    pub value: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfiguration {
    pub log_driver: LogDriver,
    pub options: IndexMap<&'static str, Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    pub container_port: Value<u32>,
    /// 0 asks ECS for a free port from the instance's ephemeral range (bridge mode).
    pub host_port: Value<u32>,
    pub protocol: TransportProtocol,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    /// One of this and `launch_type`.
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub cluster: Value<String>,
    pub deployment_configuration: DeploymentConfiguration,
    /// Left out when the task count is scaled, so that a deploy does not reset it.
    pub desired_count: Option<Value<u32>>,
    #[serde(rename = "EnableECSManagedTags")]
    pub enable_ecs_managed_tags: Value<bool>,
    pub enable_execute_command: Option<Value<bool>>,
    pub health_check_grace_period_seconds: Option<Value<u32>>,
    pub launch_type: Option<LaunchType>,
    pub load_balancers: Vec<ServiceLoadBalancer>,
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    pub placement_strategies: Option<Vec<PlacementStrategy>>,
    pub propagate_tags: Option<PropagateTags>,
    pub scheduling_strategy: SchedulingStrategy,
    pub service_name: Option<Value<String>>,
    pub tags: Option<Tags>,
    pub task_definition: Value<String>,
}

impl Handle<Service> {
    /// The service's name inside an `Fn::Sub` pattern.
    pub fn name_sub(&self) -> String {
        self.sub_att("Name")
    }
}

impl Resource for Service {
    const TYPE: &'static str = schema::ECS_SERVICE_TYPE;

    /// The service's tags reach its tasks too, which the bill is counted by.
    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
        self.propagate_tags = Some(PropagateTags::Service);
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacementConstraint {
    #[serde(rename = "Type")]
    pub constraint_type: PlacementConstraintType,
    pub expression: Option<Value<String>>,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PlacementConstraintType {
    DistinctInstance,
    MemberOf,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacementStrategy {
    pub field: Option<Value<String>>,
    #[serde(rename = "Type")]
    pub strategy_type: PlacementStrategyType,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacementStrategyType {
    Binpack,
    Random,
    Spread,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentConfiguration {
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    pub maximum_percent: Value<u32>,
    pub minimum_healthy_percent: Value<u32>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentCircuitBreaker {
    pub enable: Value<bool>,
    pub rollback: Value<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLoadBalancer {
    pub container_name: Value<String>,
    pub container_port: Value<u32>,
    pub target_group_arn: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProviderStrategyItem {
    pub capacity_provider: Value<String>,
    pub weight: Value<u32>,
}

/// An Auto Scaling group that ECS scales, protects and drains itself.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProvider {
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
    pub name: Option<Value<String>>,
    pub tags: Option<Tags>,
}

impl Resource for CapacityProvider {
    const TYPE: &'static str = schema::ECS_CAPACITY_PROVIDER_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<CapacityProvider> {
    pub fn name(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroupProvider {
    #[serde(rename = "AutoScalingGroupArn")]
    pub auto_scaling_group: Value<String>,
    pub managed_draining: Toggle,
    pub managed_scaling: ManagedScaling,
    pub managed_termination_protection: Toggle,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedScaling {
    pub status: Toggle,
    pub target_capacity: Value<u32>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterCapacityProviderAssociations {
    pub capacity_providers: Vec<Value<String>>,
    pub cluster: Value<String>,
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
}

impl Resource for ClusterCapacityProviderAssociations {
    const TYPE: &'static str = schema::ECS_CLUSTER_CAPACITY_PROVIDER_ASSOCIATIONS_TYPE;
}
