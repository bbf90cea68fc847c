//! The task's settings beyond its one load-balanced container: the task role, more containers
//! (sidecars), their health checks, start order and storage, and where ECS places the tasks.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bounds;

/// The task role: what the application may do in AWS. Its credentials reach every container of
/// the task through the ECS agent (never the instance's role).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TaskRoleConfig {
    /// Managed policies to attach, by ARN: AWS's (arn:aws:iam::aws:policy/NAME) or the account's
    /// own (arn:aws:iam::ACCOUNT:policy/NAME). IAM attaches 10 to a role unless the quota is
    /// raised, 20 at most.
    ///
    /// Default: - none.
    pub managed_policy_arns: Vec<String>,
    /// Statements of the role's own policy, as IAM writes them.
    ///
    /// Default: - none.
    pub statements: Vec<PolicyStatementConfig>,
}

/// One statement of the task role's policy.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyStatementConfig {
    /// Whether the statement allows or denies.
    ///
    /// Default: Allow
    pub effect: StatementEffect,
    /// Actions as `service:Action`, such as `s3:GetObject`; `*` and `?` wildcards allowed.
    ///
    /// Default: - none; at least one is required.
    pub actions: Vec<String>,
    /// Resources by ARN (wildcards allowed), or `*` for actions that take no resource.
    ///
    /// Default: - none; at least one is required.
    pub resources: Vec<String>,
    /// IAM conditions: operator (`StringEquals`, `ArnLike`, `Bool`, ... with `ForAnyValue:`,
    /// `ForAllValues:` or `IfExists` as IAM allows) to condition key to one value or a list.
    ///
    /// Default: - none.
    pub conditions: IndexMap<String, IndexMap<String, ConditionValues>>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum StatementEffect {
    #[default]
    Allow,
    Deny,
}

/// One value of a condition key, or several (any of which matches).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum ConditionValues {
    One(String),
    Many(Vec<String>),
}

impl ConditionValues {
    pub fn values(&self) -> &[String] {
        match self {
            ConditionValues::One(value) => std::slice::from_ref(value),
            ConditionValues::Many(values) => values,
        }
    }
}

/// A command Docker runs in the container to tell whether it is healthy. ECS replaces a task whose
/// essential container turns unhealthy; other containers may wait for it (`depends_on` HEALTHY).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ContainerHealthCheckConfig {
    /// `CMD` then the program and its arguments, or `CMD-SHELL` then one shell command line, such
    /// as `[CMD-SHELL, "curl -f http://localhost/ || exit 1"]`. The image must have the program.
    ///
    /// Default: - none; required.
    pub command: Vec<String>,
    /// Seconds between checks.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::CONTAINER_CHECK_INTERVAL_SECONDS.min, max = bounds::CONTAINER_CHECK_INTERVAL_SECONDS.max))]
    pub interval_seconds: u32,
    /// Seconds a check may take before it counts as failed.
    ///
    /// Default: 5
    #[schemars(range(min = bounds::CONTAINER_CHECK_TIMEOUT_SECONDS.min, max = bounds::CONTAINER_CHECK_TIMEOUT_SECONDS.max))]
    pub timeout_seconds: u32,
    /// Consecutive failures that make the container unhealthy.
    ///
    /// Default: 3
    #[schemars(range(min = bounds::CONTAINER_CHECK_RETRIES.min, max = bounds::CONTAINER_CHECK_RETRIES.max))]
    pub retries: u32,
    /// Seconds after the container starts during which failures do not count.
    ///
    /// Default: 0
    #[schemars(range(min = bounds::CONTAINER_CHECK_START_PERIOD_SECONDS.min, max = bounds::CONTAINER_CHECK_START_PERIOD_SECONDS.max))]
    pub start_period_seconds: u32,
}

impl Default for ContainerHealthCheckConfig {
    fn default() -> Self {
        ContainerHealthCheckConfig {
            command: Vec::new(),
            interval_seconds: 30,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 0,
        }
    }
}

/// A resource limit of the container's processes (`ulimit`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UlimitConfig {
    /// Which limit.
    ///
    /// Default: - none; required.
    pub name: UlimitName,
    /// The limit processes start with.
    ///
    /// Default: - none; required.
    pub soft: u32,
    /// The most a process may raise its soft limit to; at least `soft`.
    ///
    /// Default: - none; required.
    pub hard: u32,
}

/// The limits Docker (and ECS) can set.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UlimitName {
    Core,
    Cpu,
    Data,
    Fsize,
    Locks,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Rttime,
    Sigpending,
    Stack,
}

/// A container that must reach a state before this one starts.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DependencyConfig {
    /// The other container's name: the main container's or a sidecar's.
    ///
    /// Default: - none; required.
    pub container: String,
    /// The state to wait for.
    ///
    /// Default: - none; required.
    pub condition: ContainerCondition,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum ContainerCondition {
    /// It has started.
    Start,
    /// It has run to its end (a non-essential container only), whatever its exit code.
    Complete,
    /// It has run to its end with exit code 0 (a non-essential container only).
    Success,
    /// Its health check passes (it must have one).
    Healthy,
}

/// A volume of the task, mounted into a container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MountPointConfig {
    /// The name of one of `service.volumes`.
    ///
    /// Default: - none; required.
    pub volume: String,
    /// Where the container sees it: an absolute path.
    ///
    /// Default: - none; required.
    pub container_path: String,
    /// Mounted read-only.
    ///
    /// Default: false
    #[serde(default)]
    pub read_only: bool,
}

/// Another container in the service's task: a log router, a proxy, an agent. It logs to the
/// service's log group under its own name; the load balancer never sends to it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SidecarConfig {
    /// Letters, digits, hyphens and underscores, at most 255; unique in the task.
    ///
    /// Default: - none; required.
    pub name: String,
    /// The image, as `docker pull` takes it. A private ECR image is pulled by the task's
    /// execution role, which may read exactly its repository.
    ///
    /// Default: - none; required.
    pub image: String,
    /// Whether the task stops when this container stops. A container that runs to its end (an
    /// init step others wait for with COMPLETE or SUCCESS) is not essential.
    ///
    /// Default: true
    pub essential: bool,
    /// Hard memory limit in MiB (at least 6).
    ///
    /// Default: - none: `memory_reservation_mib` must be set then.
    pub memory_limit_mib: Option<u32>,
    /// Memory ECS reserves for the container on the instance, in MiB; at most `memory_limit_mib`.
    ///
    /// Default: - none.
    pub memory_reservation_mib: Option<u32>,
    /// CPU units reserved (1024 = one vCPU), at most 10240.
    ///
    /// Default: - none.
    pub cpu: Option<u32>,
    /// A port the container listens on. The main container reaches it at `http://NAME:PORT` (the
    /// task runs in bridge mode, where ECS links the two); the load balancer does not.
    ///
    /// Default: - none.
    #[schemars(range(min = bounds::PORT.min, max = bounds::PORT.max))]
    pub port: Option<u32>,
    /// Environment variables, as for the main container.
    ///
    /// Default: - none.
    pub environment: IndexMap<String, String>,
    /// Variables filled from secrets, as for the main container.
    ///
    /// Default: - none.
    pub secrets: IndexMap<String, String>,
    /// The command to run instead of the image's `CMD`.
    ///
    /// Default: - the image's.
    pub command: Vec<String>,
    /// Docker's health check of the container.
    ///
    /// Default: - none.
    pub health_check: Option<ContainerHealthCheckConfig>,
    /// Containers that must reach a state before this one starts.
    ///
    /// Default: - none.
    pub depends_on: Vec<DependencyConfig>,
    /// Volumes mounted into the container.
    ///
    /// Default: - none.
    pub mount_points: Vec<MountPointConfig>,
}

impl Default for SidecarConfig {
    fn default() -> Self {
        SidecarConfig {
            name: String::new(),
            image: String::new(),
            essential: true,
            memory_limit_mib: None,
            memory_reservation_mib: None,
            cpu: None,
            port: None,
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            command: Vec::new(),
            health_check: None,
            depends_on: Vec::new(),
            mount_points: Vec::new(),
        }
    }
}

/// Storage the task's containers can mount: an EFS file system, a directory of the instance, or
/// (with neither) a scratch directory the task's containers share while it runs.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeConfig {
    /// Letters, digits, hyphens and underscores, at most 255; unique in the task.
    ///
    /// Default: - none; required.
    pub name: String,
    /// An Amazon EFS file system: shared by every task, kept when tasks and instances go.
    ///
    /// Default: - none.
    pub efs: Option<EfsVolumeConfig>,
    /// An absolute path on the instance: kept while the instance lives.
    ///
    /// Default: - none.
    pub host_path: Option<String>,
}

/// An EFS file system of the existing VPC (`vpc.existing`), with a mount target in every zone of
/// the instances' subnets. The stack lets the instances reach the mount targets on NFS.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EfsVolumeConfig {
    /// The file system's ID, such as fs-0123456789abcdef0.
    ///
    /// Default: - none; required.
    pub file_system_id: String,
    /// The security group of the file system's mount targets, such as sg-0123456789abcdef0. The
    /// stack adds a rule to it that admits NFS (TCP 2049) from the instances' security group, and
    /// the services start once it is there; deleting the stack removes the rule, and replacing
    /// the instances' group moves it.
    ///
    /// Default: - none; required.
    pub security_group_id: String,
    /// An access point's ID, such as fsap-0123456789abcdef0: it fixes the directory and the
    /// user the task sees.
    ///
    /// Default: - none.
    pub access_point_id: Option<String>,
    /// The directory of the file system to mount, without an access point.
    ///
    /// Default: - the file system's root.
    pub root_directory: Option<String>,
    /// Encrypt the traffic to EFS (TLS). Required by an access point and by IAM authorization.
    ///
    /// Default: true
    pub transit_encryption: bool,
    /// Mount with the task role's identity, so the file system's policy can tell tasks apart;
    /// the task role may then mount (and write, unless every mount is read-only) this file
    /// system, through the access point when one is given.
    ///
    /// Default: true
    pub iam_authorization: bool,
}

impl Default for EfsVolumeConfig {
    fn default() -> Self {
        EfsVolumeConfig {
            file_system_id: String::new(),
            security_group_id: String::new(),
            access_point_id: None,
            root_directory: None,
            transit_encryption: true,
            iam_authorization: true,
        }
    }
}

/// Where ECS places the service's tasks among the instances.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PlacementConfig {
    /// Strategies, applied in order, at most 5.
    ///
    /// Default: - none in the template, as the CDK writes it: ECS then spreads a service's tasks
    /// across zones ("Use strategies to define Amazon ECS task placement"), as `spread-az` would.
    pub strategy: Vec<PlacementStrategyName>,
    /// Constraints every placement must meet, at most 10: `distinct-instance` (one task per
    /// instance), or a cluster query language expression such as
    /// `attribute:ecs.instance-type =~ t3.*` (a memberOf constraint).
    ///
    /// Default: - none.
    pub constraints: Vec<String>,
}

/// How the file writes a value of one of its enumerations (`nofile`, `HEALTHY`, `spread-az`):
/// serde's name, the one the schema lists, for messages and for what AWS is told.
pub(crate) fn written_name(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The placement constraint that is a word, not an expression.
pub(crate) const DISTINCT_INSTANCE: &str = "distinct-instance";

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementStrategyName {
    /// Evenly across availability zones.
    SpreadAz,
    /// Evenly across instances.
    SpreadInstance,
    /// Onto the instances with the least memory left, to use fewer instances.
    BinpackMemory,
    /// Onto the instances with the least CPU left.
    BinpackCpu,
    /// Anywhere that fits.
    Random,
}

/// What the main container and a sidecar have in common, as the checks and the resolution read
/// it: one place for both, so a sidecar is checked and built as the main container is.
pub(crate) struct ContainerView<'a> {
    /// Where it is in the file: `service.container` or `service.sidecars[N]`.
    pub field: String,
    pub name: &'a str,
    pub image: &'a str,
    pub essential: bool,
    pub port: Option<u32>,
    pub memory_limit_mib: Option<u32>,
    pub memory_reservation_mib: Option<u32>,
    pub cpu: Option<u32>,
    pub environment: &'a IndexMap<String, String>,
    pub secrets: &'a IndexMap<String, String>,
    pub command: &'a [String],
    pub health_check: Option<&'a ContainerHealthCheckConfig>,
    pub depends_on: &'a [DependencyConfig],
    pub mount_points: &'a [MountPointConfig],
}

impl ContainerView<'_> {
    /// The memory ECS reserves for it on an instance: the reservation, else the limit.
    pub fn reserved_memory_mib(&self) -> u32 {
        self.memory_reservation_mib.or(self.memory_limit_mib).unwrap_or(0)
    }
}

impl super::ServiceConfig {
    /// The task's containers: the main one first, then the sidecars in order.
    pub(crate) fn containers(&self) -> Vec<ContainerView<'_>> {
        let main = &self.container;
        let first = ContainerView {
            field: "service.container".into(),
            name: &main.name,
            image: &main.image,
            essential: true,
            port: Some(main.port),
            memory_limit_mib: main.memory_limit_mib,
            memory_reservation_mib: main.memory_reservation_mib,
            cpu: main.cpu,
            environment: &main.environment,
            secrets: &main.secrets,
            command: &main.command,
            health_check: main.health_check.as_ref(),
            depends_on: &main.depends_on,
            mount_points: &main.mount_points,
        };
        let sidecars = self.sidecars.iter().enumerate().map(|(i, s)| ContainerView {
            field: format!("service.sidecars[{i}]"),
            name: &s.name,
            image: &s.image,
            essential: s.essential,
            port: s.port,
            memory_limit_mib: s.memory_limit_mib,
            memory_reservation_mib: s.memory_reservation_mib,
            cpu: s.cpu,
            environment: &s.environment,
            secrets: &s.secrets,
            command: &s.command,
            health_check: s.health_check.as_ref(),
            depends_on: &s.depends_on,
            mount_points: &s.mount_points,
        });
        std::iter::once(first).chain(sidecars).collect()
    }
}
