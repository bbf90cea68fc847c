//! The user's configuration: every field optional, every default the reference CDK app's value.
//!
//! The defaults live in the `Default` impls below and nowhere else; the JSON Schema takes them from
//! there, and a test checks that each doc comment's `Default:` line agrees.

mod field_path;
mod load;
mod resolve;
mod shape;
mod source_map;
mod task;
mod validate;

use crate::bounds;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::constructs::capacity::{RefreshConfig, SpotConfig};
pub use crate::constructs::container::{
    ContainerCondition, ContainerConfig, ContainerHealthCheckConfig, DependencyConfig, MountPointConfig, UlimitConfig,
    UlimitName,
};
pub use crate::constructs::load_balancer::HealthCheckConfig;
pub use crate::constructs::service::{CircuitBreakerConfig, PlacementStrategyName};
pub use crate::constructs::service_scaling::{AutoScalingConfig, DEFAULT_CPU_TARGET};
pub use crate::constructs::task::{ConditionValues, PolicyStatementConfig, StatementEffect, TaskRoleConfig};
pub use field_path::FieldPath;
pub use load::{ConfigError, Diagnostic, load, load_str};
pub use task::{EfsVolumeConfig, PlacementConfig, VolumeConfig};
pub use validate::{ValidConfig, secret_source};

// AWS facts the configuration's checks use; re-exported for the library's users.
pub use crate::aws::{Architecture, DEFAULT_SSL_POLICY, SecretSource};
/// The file's names for two of AWS's plain values.
pub use crate::aws::{ImageFamily as MachineImage, ListenerProtocol as Protocol};

/// The stack: a VPC, an ECS cluster on an Auto Scaling group, and a service behind an ALB.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The CloudFormation stack's name: a letter, then letters, digits and hyphens, at most 128.
    /// It appears in resource names and tags the way the CDK's stack name does.
    ///
    /// Default: Bonjour (the reference CDK app's stack).
    pub stack_name: String,
    pub vpc: VpcConfig,
    pub capacity: CapacityConfig,
    pub load_balancer: LoadBalancerConfig,
    pub service: ServiceConfig,
    /// Several services on the one cluster and load balancer, by name (lowercase letters, digits
    /// and hyphens), each with the settings `service` takes plus its `routing`. Instead of
    /// `service`: the logical IDs of a service's resources derive from its name, so adding,
    /// removing or reordering services leaves the others' resources alone.
    ///
    /// Default: - none: the one `service`.
    pub services: IndexMap<String, ServiceConfig>,
    pub observability: ObservabilityConfig,
    /// Tags for every resource that takes tags, the instances, their volumes and the service's
    /// tasks included (for cost allocation and ownership). A resource's own `Name` tag stays.
    /// Keys of 1 to 128 characters not starting with `aws:`, values up to 256; at most 45.
    ///
    /// Default: - none.
    pub tags: IndexMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stack_name: "Bonjour".into(),
            vpc: VpcConfig::default(),
            capacity: CapacityConfig::default(),
            load_balancer: LoadBalancerConfig::default(),
            service: ServiceConfig::default(),
            services: IndexMap::new(),
            observability: ObservabilityConfig::default(),
            tags: IndexMap::new(),
        }
    }
}

/// What the stack records about itself beyond the container's logs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ObservabilityConfig {
    /// CloudWatch Container Insights on the cluster: per-task CPU, memory and network metrics, what
    /// one looks at first when a service misbehaves (billed as custom metrics).
    ///
    /// Default: enabled
    pub container_insights: ContainerInsights,
    /// The load balancer's access logs (one line per request: client, path, status, latencies)
    /// in an S3 bucket of their own, encrypted, private, kept `service.log_retention_days`.
    ///
    /// Default: false
    pub access_logs: bool,
}

impl Default for ObservabilityConfig {
    fn default() -> Self {
        ObservabilityConfig { container_insights: ContainerInsights::Enabled, access_logs: false }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContainerInsights {
    /// Cluster, service and task metrics.
    Enabled,
    /// Also per-container metrics and curated dashboards (enhanced observability).
    Enhanced,
    /// None: set explicitly, so an account-wide default does not decide.
    Disabled,
}

impl ContainerInsights {
    /// The cluster setting's value.
    pub fn setting(self) -> &'static str {
        match self {
            ContainerInsights::Enabled => "enabled",
            ContainerInsights::Enhanced => "enhanced",
            ContainerInsights::Disabled => "disabled",
        }
    }
}

/// The VPC: one public and one private subnet in each availability zone.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VpcConfig {
    /// How many availability zones to span. An ALB needs subnets in at least two; the
    /// region must have this many.
    ///
    /// Default: 2
    #[schemars(range(min = bounds::MAX_AZS.min, max = bounds::MAX_AZS.max), extend("x-range-reason" = bounds::MAX_AZS.reason))]
    pub max_azs: u32,
    /// The VPC's IPv4 range, /16 to /28, split evenly into the subnets.
    ///
    /// Default: 10.0.0.0/16
    pub cidr: String,
    /// NAT gateways, 0 to `max_azs`; private subnets without one in their zone use the first.
    /// With 0 there are no private subnets: the instances run in the public subnets, still reachable
    /// only from the ALB.
    ///
    /// Default: - one per availability zone (`max_azs`).
    pub nat_gateways: Option<u32>,
    /// Use a VPC that exists instead of creating one; then `max_azs`, `cidr` and `nat_gateways`
    /// have no use and must be left out.
    ///
    /// Default: - none: ecs-alb creates the VPC.
    pub existing: Option<ExistingVpcConfig>,
}

impl Default for VpcConfig {
    fn default() -> Self {
        VpcConfig { max_azs: 2, cidr: "10.0.0.0/16".into(), nat_gateways: None, existing: None }
    }
}

/// A VPC made elsewhere, by its IDs. Subnets should lie in different availability zones, and
/// private ones need a route out (NAT) for the instances to reach ECS.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExistingVpcConfig {
    /// Such as vpc-0123456789abcdef0.
    ///
    /// Default: - none: required.
    pub vpc_id: String,
    /// Subnets with a route to an internet gateway: where a public load balancer goes (two at
    /// least, in different zones).
    ///
    /// Default: - none.
    pub public_subnet_ids: Vec<String>,
    /// Where the instances (and an internal load balancer) go; without any, the public subnets.
    ///
    /// Default: - none.
    pub private_subnet_ids: Vec<String>,
}

/// The EC2 instances of the cluster, in an Auto Scaling group.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityConfig {
    /// The EC2 instance type.
    ///
    /// Default: t2.micro
    pub instance_type: String,
    /// The ECS-optimized image family, resolved at deploy time from its public SSM parameter; the
    /// arm64 build when `instance_type` is a Graviton type. Amazon Linux 2 reached its end of life
    /// on 2026-06-30 (no more security fixes): it stays selectable, with a warning.
    ///
    /// Default: amazon-linux-2023
    pub machine_image: MachineImage,
    /// Pin the instances to this AMI (ami-0123456789abcdef0) instead of the family's current
    /// image: instances are then replaced only when you change it. It must be an ECS-optimized
    /// (or Bottlerocket for ECS) image of `machine_image`'s family and of the instance type's
    /// architecture, in the stack's region. Without it, a deploy after AWS publishes a new image
    /// replaces the instances.
    ///
    /// Default: - the family's current image, read from its public SSM parameter at every deploy.
    pub image_id: Option<String>,
    /// How a deploy that changes the instances' launch template (a new image, instance type,
    /// user data...) replaces them. `rolling`: one instance at a time, a new one launched and in
    /// service before an old one is drained and terminated, so the group never has fewer than
    /// `min_capacity` (and never none); when `min_capacity` equals `max_capacity` the group's
    /// maximum is one above it, which only an update uses. `replacing`: a whole new group is
    /// created, and the old one deleted once it exists; faster for big groups, but the old
    /// instances go with their group, undrained. `refresh`: Auto Scaling's instance refresh, as
    /// `refresh` sets it: replacements launched first, each old instance drained by the hook (or
    /// by ECS with managed draining) before it ends, checkpoints, bake time and alarms.
    ///
    /// Default: rolling
    pub update_policy: InstanceUpdatePolicy,
    /// With `update_policy: refresh`, how the refresh goes.
    ///
    /// Default: - the settings' own defaults.
    pub refresh: Option<RefreshConfig>,
    /// Default: 1
    pub min_capacity: u32,
    /// Default: 1
    pub max_capacity: u32,
    /// Between `min_capacity` and `max_capacity`.
    ///
    /// Default: - left to Auto Scaling, which starts at `min_capacity`.
    pub desired_capacity: Option<u32>,
    /// An EC2 key pair for SSH access.
    ///
    /// Default: - none.
    pub key_name: Option<String>,
    /// Size of the encrypted gp3 volume the containers live on (the root volume; on Bottlerocket its
    /// data volume), in GiB.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::ROOT_VOLUME_GIB.min, max = bounds::ROOT_VOLUME_GIB.max), extend("x-range-reason" = bounds::ROOT_VOLUME_GIB.reason))]
    pub root_volume_gib: u32,
    /// How an instance being taken away gets rid of its tasks first.
    ///
    /// Default: hook
    pub draining: Draining,
    /// How long an instance being terminated may take to drain its tasks: the lifecycle hook's
    /// heartbeat. 0 leaves out the drain hook entirely (as `draining: none`); otherwise 30 to
    /// 172800 (48 hours). Only with `draining: hook`.
    ///
    /// Default: 300 (5 minutes, the CDK's).
    pub task_drain_time_seconds: u32,
    /// The customer-managed KMS key (its ARN, arn:aws:kms:REGION:ACCOUNT:key/ID) that encrypts the
    /// drain hook's SNS topic; the hook's role is allowed to use it. Only with the drain hook.
    ///
    /// Default: - the AWS-managed key for SNS (alias/aws/sns): encrypted, with nothing to manage.
    pub drain_topic_kms_key_arn: Option<String>,
    /// Run instances on Spot capacity, from several instance types, with an on-demand share if
    /// wanted. Two minutes before Spot takes an instance back, ECS drains it.
    ///
    /// Default: - none: on-demand instances of `instance_type` only.
    pub spot: Option<SpotConfig>,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            instance_type: "t2.micro".into(),
            machine_image: MachineImage::AmazonLinux2023,
            image_id: None,
            update_policy: InstanceUpdatePolicy::Rolling,
            refresh: None,
            min_capacity: 1,
            max_capacity: 1,
            desired_capacity: None,
            key_name: None,
            root_volume_gib: 30,
            draining: Draining::Hook,
            task_drain_time_seconds: 300,
            drain_topic_kms_key_arn: None,
            spot: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InstanceUpdatePolicy {
    /// One instance at a time, the new one in service before the old one is drained.
    Rolling,
    /// A new group, then the old one deleted.
    Replacing,
    /// Auto Scaling's instance refresh (`capacity.refresh` sets it), started by CloudFormation.
    Refresh,
}

/// How instances are drained, with the settings of that way, resolved from `draining` and
/// `task_drain_time_seconds` (0 turns the hook off, as `taskDrainTime: 0` does in the CDK).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainPlan<'a> {
    /// A lifecycle hook holds each terminating instance while the drainer empties it.
    Hook { drain_time_seconds: u32, topic_key_arn: Option<&'a str> },
    /// An ECS capacity provider drains the instances it takes away.
    Managed,
    /// Tasks stop with their instance.
    None,
}

impl CapacityConfig {
    /// The instances' architecture, which the image and every Spot type must share.
    pub fn architecture(&self) -> Architecture {
        Architecture::of_instance_type(&self.instance_type)
    }

    pub fn drain_plan(&self) -> DrainPlan<'_> {
        match (self.draining, self.task_drain_time_seconds) {
            (Draining::Hook, 0) | (Draining::None, _) => DrainPlan::None,
            (Draining::Hook, seconds) => {
                DrainPlan::Hook { drain_time_seconds: seconds, topic_key_arn: self.drain_topic_kms_key_arn.as_deref() }
            }
            (Draining::Managed, _) => DrainPlan::Managed,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Draining {
    /// A lifecycle hook, an SNS topic and the drainer function (the CDK's way, made robust).
    Hook,
    /// An ECS capacity provider with managed scaling, termination protection and draining: ECS
    /// scales the instances to the tasks and drains each one it takes away.
    Managed,
    /// None: tasks on a terminated instance stop with it.
    None,
}

/// The Application Load Balancer in front of the service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerConfig {
    /// Internet-facing in the public subnets, or internal.
    ///
    /// Default: true
    pub public: bool,
    /// The IPv4 ranges (CIDRs such as 203.0.113.0/24) that may connect to the listeners, at
    /// most 30. Required for an internal load balancer in an existing VPC (its range is not
    /// known to ecs-alb).
    ///
    /// Default: - anyone (0.0.0.0/0) if internet-facing, else the VPC's range.
    pub allowed_cidrs: Option<Vec<String>>,
    /// HTTP, or HTTPS with `certificate_arn`.
    ///
    /// Default: HTTP
    pub protocol: Protocol,
    /// The listener's port.
    ///
    /// Default: - 80 with HTTP, 443 with HTTPS.
    #[schemars(range(min = bounds::PORT.min, max = bounds::PORT.max))]
    pub listener_port: Option<u32>,
    /// The certificate the HTTPS listener presents: an ACM certificate's ARN (or an IAM server
    /// certificate's). Required with HTTPS, refused with HTTP.
    ///
    /// Default: - none.
    pub certificate_arn: Option<String>,
    /// The HTTPS listener's security policy, an `ELBSecurityPolicy-...` name.
    ///
    /// Default: - ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.3 and 1.2 only, AWS's recommendation).
    pub ssl_policy: Option<String>,
    /// With HTTPS, also listen on port 80 and answer every request there with a permanent redirect
    /// to HTTPS, so links and typed addresses starting with http:// keep working.
    ///
    /// Default: - true with HTTPS.
    pub redirect_http: Option<bool>,
    /// A DNS name for the service, such as app.example.com: an alias record pointing at the load
    /// balancer is added to `hosted_zone_id`, and the service's URL uses the name.
    ///
    /// Default: - none: the service is reached at the load balancer's own DNS name.
    pub domain_name: Option<String>,
    /// The ID of the Route 53 hosted zone that holds `domain_name` (such as Z0123456789ABCDEFGHIJ);
    /// required with it.
    ///
    /// Default: - none.
    pub hosted_zone_id: Option<String>,
    /// Seconds a connection may stay idle.
    ///
    /// Default: 60
    #[schemars(range(min = bounds::IDLE_TIMEOUT_SECONDS.min, max = bounds::IDLE_TIMEOUT_SECONDS.max))]
    pub idle_timeout_seconds: u32,
    pub health_check: HealthCheckConfig,
    /// Seconds a task's connections may finish after it leaves the target group. Every
    /// deployment and every drain waits this long per task, so it is short; raise it for long requests.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::DEREGISTRATION_DELAY_SECONDS.min, max = bounds::DEREGISTRATION_DELAY_SECONDS.max))]
    pub deregistration_delay_seconds: u32,
}

impl Default for LoadBalancerConfig {
    fn default() -> Self {
        LoadBalancerConfig {
            public: true,
            allowed_cidrs: None,
            protocol: Protocol::Http,
            listener_port: None,
            certificate_arn: None,
            ssl_policy: None,
            redirect_http: None,
            domain_name: None,
            hosted_zone_id: None,
            idle_timeout_seconds: 60,
            health_check: HealthCheckConfig::default(),
            deregistration_delay_seconds: 30,
        }
    }
}

impl LoadBalancerConfig {
    /// Whether port 80 redirects to HTTPS: with HTTPS, unless turned off.
    pub fn redirects_http(&self) -> bool {
        self.protocol == Protocol::Https && self.redirect_http.unwrap_or(true)
    }
}

/// The ECS service and its one container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// The service's name: letters, digits, hyphens and underscores, at most 255.
    ///
    /// Default: - generated by CloudFormation.
    pub name: Option<String>,
    /// Tasks to keep running. With `auto_scaling` the scaling decides instead, from its minimum,
    /// and the template leaves the count out so that a deploy does not reset it.
    ///
    /// Default: 1
    pub desired_count: u32,
    /// Seconds ECS ignores failing load balancer health checks after a task starts.
    ///
    /// Default: 60
    pub health_check_grace_period_seconds: u32,
    /// Lower bound on running tasks during a deployment or a drain, in percent of `desired_count`.
    ///
    /// Default: 50
    #[schemars(range(min = bounds::PERCENT.min, max = bounds::PERCENT.max))]
    pub min_healthy_percent: u32,
    /// Upper bound on running tasks during a deployment, in percent of `desired_count`.
    ///
    /// Default: 200
    pub max_healthy_percent: u32,
    /// The container the load balancer sends requests to.
    ///
    /// Default: - the reference app's: `web`, running amazon/amazon-ecs-sample on port 80 with 512 MiB.
    #[serde(deserialize_with = "ContainerConfig::deserialize_main")]
    pub container: ContainerConfig,
    pub circuit_breaker: CircuitBreakerConfig,
    /// Scale the task count between two bounds by target tracking; the instances then follow the
    /// tasks' memory reservation (when `capacity.max_capacity` leaves them room to).
    ///
    /// Default: - none: `desired_count` tasks.
    pub auto_scaling: Option<AutoScalingConfig>,
    /// Days to keep the container's logs (and the drainer's). One of CloudWatch's values: 1, 3, 5, 7,
    /// 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.
    /// A year keeps what an incident review or an audit asks for without letting logs pile up
    /// forever, as they do by default.
    ///
    /// Default: 365
    pub log_retention_days: u32,
    /// The task role's permissions: what the application may do in AWS.
    ///
    /// Default: - none: the role may do nothing.
    pub task_role: Option<TaskRoleConfig>,
    /// ECS Exec: `aws ecs execute-command` opens a shell in a running container (the task role
    /// gets SSM's session channels; each container runs an init process that reaps the shell's
    /// children).
    ///
    /// Default: false
    pub enable_execute_command: bool,
    /// More containers in the task, beside `container`.
    ///
    /// Default: - none.
    pub sidecars: Vec<ContainerConfig>,
    /// Storage the task's containers mount (`mount_points`).
    ///
    /// Default: - none.
    pub volumes: Vec<VolumeConfig>,
    /// Where ECS places the tasks.
    ///
    /// Default: - ECS's own placement.
    pub placement: Option<PlacementConfig>,
    /// In `services` only: the requests the load balancer sends to this service. Exactly one
    /// service may leave it out and take every request no other service's route matches.
    ///
    /// Default: - the listener's default route.
    pub routing: Option<RoutingConfig>,
    /// In `services` only: how the load balancer checks this service's tasks.
    ///
    /// Default: - `load_balancer.health_check`.
    pub target_health_check: Option<HealthCheckConfig>,
}

/// Which requests reach a service: those matching any of its paths (when given) and any of its
/// host names (when given). At least one of the two; at most 5 values together (an ALB rule's
/// limit).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// Path patterns, such as `/api/*` (`*` and `?` wildcards; case-sensitive).
    ///
    /// Default: - any path.
    pub path_patterns: Vec<String>,
    /// Host names, such as `admin.example.com` (`*` and `?` wildcards).
    ///
    /// Default: - any host.
    pub host_headers: Vec<String>,
    /// The rule's priority on the listener: lower is tried first; unique. Left out, it is derived
    /// from the service's name and its route's kind alone, so no other service moves it: rules
    /// with a host and a path get 2000-17999, with a host 18000-33999, with a path 34000-49999
    /// (1 to 1999 stay for priorities given to go first). Give it where two routes of the same
    /// kind match the same requests.
    ///
    /// Default: - derived from the service's name and its route's kind.
    #[schemars(range(min = bounds::RULE_PRIORITY.min, max = bounds::RULE_PRIORITY.max))]
    pub priority: Option<u32>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            name: None,
            desired_count: 1,
            health_check_grace_period_seconds: 60,
            min_healthy_percent: 50,
            max_healthy_percent: 200,
            container: ContainerConfig::main(),
            circuit_breaker: CircuitBreakerConfig::default(),
            auto_scaling: None,
            log_retention_days: 365,
            task_role: None,
            enable_execute_command: false,
            sidecars: Vec::new(),
            volumes: Vec::new(),
            placement: None,
            routing: None,
            target_health_check: None,
        }
    }
}

/// Read when no configuration file is named, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "ecs-alb.yaml";

/// The configuration the command line asks for: the named file, else `./ecs-alb.yaml` if it
/// exists, else the built-in defaults. Also says where it came from, in words.
pub fn resolve(explicit: Option<&std::path::Path>) -> Result<(ValidConfig, String), ConfigError> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(std::path::PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
    };
    match path {
        Some(path) => Ok((load(&path)?, path.display().to_string())),
        None => {
            let config =
                Config::default().validate().map_err(|diagnostics| ConfigError { origin: None, diagnostics })?;
            Ok((config, "built-in defaults".into()))
        }
    }
}

/// The JSON Schema of the configuration file, for `ecs-alb schema` and editors.
pub fn json_schema() -> schemars::Schema {
    schemars::schema_for!(Config)
}

/// Whether `field` (as diagnostics name fields: `capacity.spot.instance_types[0]`,
/// `tags.team`) is a field of the configuration file.
pub fn schema_has_field(field: &str) -> bool {
    shape::has_field(schema_value(), field)
}

/// The schema as JSON, built once: the checks' tests ask it about every diagnostic they make.
fn schema_value() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::to_value(json_schema()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Each field documented as `Default: X` (a value, not a `- behaviour`) has exactly that
    /// default in the schema, which takes it from the `Default` impls: docs and code cannot drift.
    #[test]
    fn documented_defaults_match_the_code() {
        let schema = serde_json::to_value(json_schema()).unwrap();
        let mut checked = 0;
        let mut structs = vec![&schema];
        structs.extend(schema["$defs"].as_object().unwrap().values());
        for def in structs {
            for (field, property) in def["properties"].as_object().into_iter().flatten() {
                let Some(documented) = property["description"].as_str().and_then(documented_default) else {
                    continue;
                };
                let actual = match &property["default"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(documented, actual, "{field}: documented default vs code");
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} documented defaults found");
    }

    /// The value after `Default: ` up to the first space, unless it describes behaviour (`- ...`).
    fn documented_default(description: &str) -> Option<String> {
        let text = description.lines().rev().find_map(|l| l.strip_prefix("Default: "))?;
        (!text.starts_with('-')).then(|| text.split(' ').next().unwrap_or(text).to_owned())
    }

    #[test]
    fn the_drain_plan_is_resolved_once() {
        let plan = |draining, seconds| {
            let capacity = CapacityConfig { draining, task_drain_time_seconds: seconds, ..CapacityConfig::default() };
            format!("{:?}", capacity.drain_plan())
        };
        assert_eq!(plan(Draining::Hook, 300), "Hook { drain_time_seconds: 300, topic_key_arn: None }");
        assert_eq!(plan(Draining::Hook, 0), "None", "0 turns the hook off, as in the CDK");
        assert_eq!(plan(Draining::Managed, 300), "Managed");
        assert_eq!(plan(Draining::None, 300), "None");
    }

    #[test]
    fn field_paths_are_checked_against_the_schema() {
        for field in [
            "",
            "stack_name",
            "vpc.existing.public_subnet_ids[1]",
            "capacity.spot.instance_types[0]",
            "load_balancer.allowed_cidrs[2]",
            "load_balancer.health_check.path",
            "service.container.secrets.API_TOKEN",
            "service.auto_scaling.min",
            "tags.team",
        ] {
            assert!(schema_has_field(field), "{field}");
        }
        for field in ["vpc.cidrs", "capacity.spot.instance_types.x", "service.container.port[0]", "load_balancer.tls"] {
            assert!(!schema_has_field(field), "{field}");
        }
    }

    #[test]
    fn every_field_is_documented_with_its_default() {
        let schema = serde_json::to_value(json_schema()).unwrap();
        for def in schema["$defs"].as_object().unwrap().values() {
            for (field, property) in def["properties"].as_object().into_iter().flatten() {
                if property.get("$ref").is_some() || def.get("oneOf").is_some() {
                    continue;
                }
                let description = property["description"].as_str().unwrap_or_default();
                assert!(description.contains("Default: "), "{field} has no `Default:` line");
            }
        }
    }

    /// The dotted path, minimum and maximum of every field whose schema states a range.
    fn ranged_fields(schema: &Value, node: &Value, path: &str, out: &mut Vec<(String, Value, Value)>) {
        let resolve = |n: &Value| -> Value {
            let n = n["anyOf"].as_array().and_then(|vs| vs.iter().find(|v| v["type"] != "null")).unwrap_or(n);
            match n["$ref"].as_str() {
                Some(r) => schema.pointer(r.trim_start_matches('#')).cloned().unwrap_or_default(),
                None => n.clone(),
            }
        };
        for (name, property) in node["properties"].as_object().into_iter().flatten() {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            if property["maximum"].is_number() {
                out.push((child.clone(), property["minimum"].clone(), property["maximum"].clone()));
            }
            ranged_fields(schema, &resolve(property), &child, out);
        }
    }

    /// Ranges of fields inside lists and maps, which the walk below does not reach.
    #[test]
    fn ranges_inside_lists_and_maps_are_enforced_too() {
        for (yaml, field, rule) in [
            (
                "service: {sidecars: [{name: s, image: 'x:1', memory_limit_mib: 32, port: 0}]}",
                "service.sidecars[0].port",
                "0 must be from 1 to 65535",
            ),
            (
                "services: {x: {container: {health_check: {command: [CMD, x], retries: 11}}}}",
                "services.x.container.health_check.retries",
                "11 must be from 1 to 10",
            ),
            (
                "services: {x: {target_health_check: {interval_seconds: 301}}}",
                "services.x.target_health_check.interval_seconds",
                "301 must be from 5 to 300",
            ),
        ] {
            let errors = load_str(yaml, Some("r.yaml")).err().map(|e| e.diagnostics).unwrap_or_default();
            assert!(errors.iter().any(|d| d.field == field && d.message.starts_with(rule)), "{yaml}: {errors:?}");
        }
    }

    /// Each range is written once, on its field: validation enforces every one the schema states
    /// (just past either end is refused, naming the field and the range), and no description
    /// restates one, so the reference's type column (from the schema) is its only statement.
    #[test]
    fn each_range_is_stated_once_and_enforced() {
        let schema = serde_json::to_value(json_schema()).unwrap();
        let mut fields = Vec::new();
        ranged_fields(&schema, &schema, "", &mut fields);
        assert!(fields.len() >= 14, "{fields:?}");
        for (path, min, max) in fields {
            let (min, max) = (min.as_u64().unwrap(), max.as_u64().unwrap());
            let outside = [min.checked_sub(1), Some(max + 1)];
            // What only a service of `services` takes is tried there.
            let tried = match path.strip_prefix("service.") {
                Some(rest) if rest.starts_with("routing.") || rest.starts_with("target_health_check.") => {
                    format!("services.x.{rest}")
                }
                _ => path.clone(),
            };
            for value in outside.into_iter().flatten() {
                let yaml = tried.rsplit('.').fold(value.to_string(), |inner, key| format!("{{{key}: {inner}}}"));
                let errors = load_str(&yaml, Some("range.yaml")).err().map(|e| e.diagnostics).unwrap_or_default();
                let rule = format!("{value} must be from {min} to {max}");
                assert!(
                    errors.iter().any(|d| d.field == tried && d.message.starts_with(&rule) && d.location.is_some()),
                    "{yaml}: expected `{tried}: {rule}` located, got {errors:?}"
                );
            }
            let def_of = |p: &str| p.rsplit_once('.').map(|(_, f)| f.to_owned()).unwrap_or_else(|| p.to_owned());
            let field = def_of(&path);
            for def in schema["$defs"].as_object().unwrap().values() {
                let description = def["properties"][&field]["description"].as_str().unwrap_or_default();
                assert!(!description.contains(&format!("{min} to {max}")), "{path}'s description restates its range");
            }
        }
    }
}
