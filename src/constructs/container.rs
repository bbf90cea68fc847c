//! One container of a task: the one type the file writes for the service's container and for
//! every sidecar (as the CDK's `ContainerDefinitionOptions` serves every `addContainer`), and its
//! one render to the ECS resource.
//!
//! The configuration embeds this type as it is; the task construct renders it. A field both kinds
//! of container take is written here twice: the field, and the line of the render that uses it.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::aws::ContainerCondition;
use crate::bounds;
use crate::resources::ecs::{
    self, ContainerDefinition, KeyValuePair, LinuxParameters, LogConfiguration, LogDriver, PortMapping,
    TransportProtocol,
};
use crate::resources::logs::LogGroup;
use crate::template::{Handle, Value, pseudo};

/// The service's container when the file leaves its name, image, port or memory out: the
/// reference CDK app's.
pub const MAIN_NAME: &str = "web";
pub const SAMPLE_IMAGE: &str = "amazon/amazon-ecs-sample";
pub const MAIN_PORT: u32 = 80;
pub const MAIN_MEMORY_LIMIT_MIB: u32 = 512;

/// A container of the service's task: the one the load balancer sends requests to
/// (`container`), or another one beside it (`sidecars`: a log router, a proxy, an agent). A
/// sidecar logs to the service's log group under its own name; the load balancer never sends to
/// it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ContainerConfig {
    /// Letters, digits, hyphens and underscores, at most 255; unique in the task.
    ///
    /// Default: - web for the service's container; a sidecar must have one.
    pub name: Option<String>,
    /// The image, as `docker pull` takes it. A private ECR image is pulled by the task's
    /// execution role, which may read exactly its repository.
    ///
    /// Default: - amazon/amazon-ecs-sample for the service's container; a sidecar must have one.
    pub image: Option<String>,
    /// Make the image a template parameter, `ContainerImage`, whose default is `image`: CI then
    /// deploys a new image with `--parameter-overrides ContainerImage=REPO:TAG` (or `ecs-alb deploy
    /// --parameter ContainerImage=REPO:TAG`) without synthesizing again, and later deploys keep the
    /// deployed image unless given another. In `services`, each service's parameter is its name
    /// without hyphens, then `ContainerImage` (`apiContainerImage`). The service's container only.
    ///
    /// Default: false
    pub image_parameter: bool,
    /// With `image_parameter`, the private ECR repository the images deployed through the
    /// parameter come from: its name (in the stack's account and region) or its ARN
    /// (arn:aws:ecr:REGION:ACCOUNT:repository/NAME, for another account's). The task's execution
    /// role may pull from exactly it. Without `image_parameter` the repository is read from
    /// `image` when that is an ECR image. The service's container only.
    ///
    /// Default: - only `image`'s own repository, when it is in ECR.
    pub image_repository: Option<String>,
    /// Whether the task stops when this container stops. A sidecar that runs to its end (an init
    /// step others wait for with COMPLETE or SUCCESS) is not essential; the service's container
    /// always is.
    ///
    /// Default: true
    pub essential: bool,
    /// The port the container listens on. The service's container is published on a dynamic
    /// port of the instance, for the load balancer; the service's container reaches a sidecar's
    /// at `http://NAME:PORT` (the task runs in bridge mode, where ECS links the two).
    ///
    /// Default: - 80 for the service's container; none for a sidecar.
    #[schemars(range(min = bounds::PORT.min, max = bounds::PORT.max))]
    pub port: Option<u32>,
    /// Hard memory limit in MiB (at least 6); the container is killed above it. A sidecar without
    /// one must set `memory_reservation_mib`.
    ///
    /// Default: - 512 for the service's container; none for a sidecar.
    pub memory_limit_mib: Option<u32>,
    /// Memory ECS reserves for the container on the instance, in MiB; at most `memory_limit_mib`.
    ///
    /// Default: - none.
    pub memory_reservation_mib: Option<u32>,
    /// CPU units reserved (1024 = one vCPU), at most 10240.
    ///
    /// Default: - none: the container shares the instance's CPU.
    pub cpu: Option<u32>,
    /// Environment variables: names of letters, digits and underscores, not starting with a digit.
    ///
    /// Default: - none.
    pub environment: IndexMap<String, String>,
    /// Environment variables filled from secrets when the container starts, by the full ARN of an
    /// SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) or a Secrets Manager secret
    /// (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf, optionally followed by
    /// `:JSON_KEY::` for one key of it). The task's execution role may read exactly these.
    ///
    /// Default: - none.
    pub secrets: IndexMap<String, String>,
    /// Seconds the container has to exit after SIGTERM before it is killed: when a deployment, a
    /// scale-in or a drain stops its task. Give a server time to finish its requests; the drain
    /// waits for it (within `capacity.task_drain_time_seconds`).
    ///
    /// Default: - the ECS agent's, 30 seconds.
    #[schemars(range(min = bounds::STOP_TIMEOUT_SECONDS.min, max = bounds::STOP_TIMEOUT_SECONDS.max))]
    pub stop_timeout_seconds: Option<u32>,
    /// The command to run instead of the image's `CMD`.
    ///
    /// Default: - the image's.
    pub command: Vec<String>,
    /// The program to run instead of the image's `ENTRYPOINT`.
    ///
    /// Default: - the image's.
    pub entry_point: Vec<String>,
    /// The directory the command runs in: an absolute path.
    ///
    /// Default: - the image's.
    pub working_directory: Option<String>,
    /// The user the command runs as: `user`, `user:group`, `uid` or `uid:gid`.
    ///
    /// Default: - the image's.
    pub user: Option<String>,
    /// Mount the container's root file system read-only, so that nothing the process runs can
    /// change its image's files; it writes only to the volumes it mounts (`mount_points`, such
    /// as a scratch volume for /tmp).
    ///
    /// Default: false
    pub readonly_root_filesystem: bool,
    /// Docker labels on the container, for agents that read them.
    ///
    /// Default: - none.
    pub docker_labels: IndexMap<String, String>,
    /// Resource limits of the container's processes, such as `{name: nofile, soft: 65536, hard:
    /// 65536}` for a server with many connections.
    ///
    /// Default: - Docker's.
    pub ulimits: Vec<UlimitConfig>,
    /// Docker's health check of the container (for the service's container, besides the load
    /// balancer's).
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

impl Default for ContainerConfig {
    /// A sidecar's defaults: nothing but what every container has.
    fn default() -> Self {
        ContainerConfig {
            name: None,
            image: None,
            image_parameter: false,
            image_repository: None,
            essential: true,
            port: None,
            memory_limit_mib: None,
            memory_reservation_mib: None,
            cpu: None,
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            stop_timeout_seconds: None,
            command: Vec::new(),
            entry_point: Vec::new(),
            working_directory: None,
            user: None,
            readonly_root_filesystem: false,
            docker_labels: IndexMap::new(),
            ulimits: Vec::new(),
            health_check: None,
            depends_on: Vec::new(),
            mount_points: Vec::new(),
        }
    }
}

impl ContainerConfig {
    /// The service's container with every field the file leaves out: the reference CDK app's.
    pub fn main() -> Self {
        ContainerConfig::default().with_main_defaults()
    }

    /// What the file left out of the service's container, taken from the reference CDK app.
    fn with_main_defaults(mut self) -> Self {
        self.name.get_or_insert_with(|| MAIN_NAME.to_owned());
        self.image.get_or_insert_with(|| SAMPLE_IMAGE.to_owned());
        self.port.get_or_insert(MAIN_PORT);
        self.memory_limit_mib.get_or_insert(MAIN_MEMORY_LIMIT_MIB);
        self
    }

    /// Reads the service's container: what the file leaves out is the reference app's.
    pub fn deserialize_main<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ContainerConfig::deserialize(deserializer).map(ContainerConfig::with_main_defaults)
    }

    /// Its name; empty for a sidecar without one (which the checks refuse).
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// Its image; empty for a sidecar without one (which the checks refuse).
    pub fn image(&self) -> &str {
        self.image.as_deref().unwrap_or_default()
    }

    /// The memory ECS reserves for it on an instance: the reservation, else the limit.
    pub fn reserved_memory_mib(&self) -> u32 {
        self.memory_reservation_mib.or(self.memory_limit_mib).unwrap_or(0)
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

/// The limits Docker (and ECS) can set, named as Docker names them.
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
    /// The other container's name: the service's container's or a sidecar's.
    ///
    /// Default: - none; required.
    pub container: String,
    /// The state to wait for.
    ///
    /// Default: - none; required.
    pub condition: ContainerCondition,
}

/// A volume of the task, mounted into a container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MountPointConfig {
    /// The name of one of the service's `volumes`.
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

/// How the file writes a value of one of its enumerations (`nofile`, `HEALTHY`, `spread-az`):
/// serde's name, the one the schema lists, for messages and for what AWS is told.
pub(crate) fn written_name(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Where a container of the task sits: what the task decides about it beyond its own settings.
pub struct ContainerWiring<'a> {
    /// The image as the template writes it: the configured one, or the image parameter.
    pub image: Value<String>,
    /// Publish `port` on a dynamic port of the instance, for the load balancer.
    pub published: bool,
    /// Containers it reaches by name (bridge mode's links); they start first.
    pub links: Vec<String>,
    pub log_group: &'a Handle<LogGroup>,
    /// Prefix of its log streams in the task's log group.
    pub log_stream_prefix: &'a str,
    /// Run an init process (ECS Exec).
    pub init_process: bool,
}

/// A list left out of the template when empty.
fn some_list<T, U>(items: &[T], each: impl FnMut(&T) -> U) -> Option<Vec<U>> {
    (!items.is_empty()).then(|| items.iter().map(each).collect())
}

impl ContainerConfig {
    /// The container as ECS's task definition takes it.
    pub fn definition(&self, at: ContainerWiring<'_>) -> ContainerDefinition {
        let strings = |items: &[String]| some_list(items, |s| Value::from(s.clone()));
        ContainerDefinition {
            command: strings(&self.command),
            cpu: self.cpu.map(Into::into),
            depends_on: some_list(&self.depends_on, |d| ecs::ContainerDependency {
                condition: Some(d.condition),
                container_name: Some(d.container.clone().into()),
            }),
            docker_labels: (!self.docker_labels.is_empty())
                .then(|| self.docker_labels.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect()),
            entry_point: strings(&self.entry_point),
            environment: (!self.environment.is_empty()).then(|| {
                self.environment
                    .iter()
                    .map(|(name, value)| KeyValuePair {
                        name: Some(name.clone().into()),
                        value: Some(value.clone().into()),
                    })
                    .collect()
            }),
            essential: Some(self.essential.into()),
            health_check: self.health_check.as_ref().map(|hc| ecs::HealthCheck {
                command: Some(hc.command.iter().map(|s| s.clone().into()).collect()),
                interval: Some(hc.interval_seconds.into()),
                retries: Some(hc.retries.into()),
                start_period: (hc.start_period_seconds > 0).then(|| hc.start_period_seconds.into()),
                timeout: Some(hc.timeout_seconds.into()),
            }),
            image: at.image,
            links: strings(&at.links),
            // An init process reaps what an exec session leaves behind ("Using Amazon ECS Exec").
            linux_parameters: at
                .init_process
                .then(|| LinuxParameters { init_process_enabled: Some(true.into()), ..LinuxParameters::default() }),
            log_configuration: Some(LogConfiguration {
                log_driver: LogDriver::Awslogs,
                options: Some(IndexMap::from([
                    ("awslogs-group".to_owned(), at.log_group.log_group_name().into()),
                    ("awslogs-stream-prefix".to_owned(), at.log_stream_prefix.to_owned().into()),
                    ("awslogs-region".to_owned(), pseudo::region().into()),
                ])),
                ..LogConfiguration::default()
            }),
            memory: self.memory_limit_mib.map(Into::into),
            memory_reservation: self.memory_reservation_mib.map(Into::into),
            mount_points: some_list(&self.mount_points, |m| ecs::MountPoint {
                container_path: Some(m.container_path.clone().into()),
                read_only: Some(m.read_only.into()),
                source_volume: Some(m.volume.clone().into()),
            }),
            name: self.name().to_owned().into(),
            // Written only when set, so that templates without it stay as they were.
            readonly_root_filesystem: self.readonly_root_filesystem.then(|| true.into()),
            port_mappings: self.port.filter(|_| at.published).map(|port| {
                vec![PortMapping {
                    container_port: Some(port.into()),
                    host_port: Some(0.into()),
                    protocol: Some(TransportProtocol::Tcp),
                    ..PortMapping::default()
                }]
            }),
            secrets: (!self.secrets.is_empty()).then(|| {
                self.secrets
                    .iter()
                    .map(|(name, arn)| ecs::Secret { name: name.clone().into(), value_from: arn.clone().into() })
                    .collect()
            }),
            stop_timeout: self.stop_timeout_seconds.map(Into::into),
            // Docker's limit names are the ones the file writes.
            ulimits: some_list(&self.ulimits, |u| ecs::Ulimit {
                hard_limit: u.hard.into(),
                name: written_name(u.name).into(),
                soft_limit: u.soft.into(),
            }),
            user: self.user.clone().map(Into::into),
            working_directory: self.working_directory.clone().map(Into::into),
            ..ContainerDefinition::default()
        }
    }
}
