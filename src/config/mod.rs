//! The user's configuration: every field optional, every default the reference CDK app's value.
//!
//! Each section has its module (`network`, `capacity`, `load_balancer`, `service`, `task`); a
//! value the file writes as a construct takes it (a health check, a container) is the construct's
//! own props type, re-exported here. The defaults live in the types' `Default` impls and nowhere
//! else; the JSON Schema takes them from there, and a test checks that each doc comment's
//! `Default:` line agrees.

mod capacity;
mod field_path;
mod load;
mod load_balancer;
mod network;
mod resolve;
mod service;
mod shape;
mod source_map;
mod task;
mod validate;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::constructs::capacity::{RefreshConfig, SpotConfig};
pub use crate::constructs::container::{
    ContainerCondition, ContainerConfig, ContainerHealthCheckConfig, DependencyConfig, MountPointConfig, UlimitConfig,
    UlimitName,
};
pub use crate::constructs::load_balancer::HealthCheckConfig;
pub use crate::constructs::service::{
    CanaryConfig, CircuitBreakerConfig, DeploymentConfig, DeploymentStrategy, HookConfig, HookStage, HookTimeoutAction,
    LinearConfig, PlacementStrategyName,
};
pub use crate::constructs::service_scaling::{AutoScalingConfig, DEFAULT_CPU_TARGET};
pub use crate::constructs::task::{ConditionValues, PolicyStatementConfig, StatementEffect, TaskRoleConfig};
pub use capacity::{CapacityConfig, DrainPlan, Draining, InstanceUpdatePolicy};
pub use field_path::FieldPath;
pub use load::{ConfigError, Diagnostic, load, load_str};
pub use load_balancer::LoadBalancerConfig;
pub use network::{ExistingVpcConfig, VpcConfig};
pub use service::{RoutingConfig, ServiceConfig};
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

impl Config {
    /// The services' settings: the one `service`, or each of `services`.
    pub fn service_configs(&self) -> Vec<&ServiceConfig> {
        match self.services.is_empty() {
            true => vec![&self.service],
            false => self.services.values().collect(),
        }
    }

    /// The ports of the load balancer's test listeners, each once, lowest first: those of the
    /// services whose releases take test traffic.
    pub fn test_listener_ports(&self) -> Vec<u32> {
        let ports = self.service_configs().into_iter().filter_map(|s| s.deployment.test_listener());
        ports.collect::<std::collections::BTreeSet<_>>().into_iter().collect()
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
