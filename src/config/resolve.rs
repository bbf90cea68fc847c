//! From a configuration that passed every rule to the resolved model: the one place where the
//! file's fields become the constructs' props, and where every default that depends on another
//! field is decided.

use super::task::DISTINCT_INSTANCE;
use super::validate::priority;
use super::validate::secret_source;
use super::{
    Config, ContainerConfig, DrainPlan, Draining, InstanceUpdatePolicy, LoadBalancerConfig, Protocol, ServiceConfig,
    VolumeConfig,
};
use crate::aws::{ANYWHERE_IPV4, DEFAULT_SSL_POLICY};
use crate::constructs::capacity::{CapacityProps, UpdateStyle};
use crate::constructs::dns::DomainProps;
use crate::constructs::drain_hook::DrainHookProps;
use crate::constructs::load_balancer::{LoadBalancerProps, RouteProps, TargetGroupProps, TlsProps};
use crate::constructs::service::{PlacementLimit, ServiceProps};
use crate::constructs::task::{EfsProps, TaskProps, VolumeProps, VolumeSource, image_parameter_name};
use crate::constructs::vpc::NetworkProps;
use crate::ecr;
use crate::model::{self, Model, ServiceModel};

/// The stack `config` describes, in `network` (worked out while validating). `config` has passed
/// every rule: nothing here can fail.
pub(super) fn resolve(config: &Config, network: NetworkProps) -> Model {
    let draining = draining(config);
    Model {
        stack_name: config.stack_name.clone(),
        container_insights: config.observability.container_insights.setting(),
        capacity: capacity(config, &draining),
        load_balancer: load_balancer(config, &network),
        network,
        draining,
        domain: domain(&config.load_balancer),
        services: services(config),
        tags: config.tags.clone(),
    }
}

fn draining(config: &Config) -> model::Draining {
    match config.capacity.drain_plan() {
        DrainPlan::Hook { drain_time_seconds, topic_key_arn } => model::Draining::Hook(DrainHookProps {
            drain_time_seconds,
            log_retention_days: config.service.log_retention_days,
            topic_key_arn: topic_key_arn.map(str::to_owned),
        }),
        DrainPlan::Managed => model::Draining::Managed,
        DrainPlan::None => model::Draining::None,
    }
}

fn capacity(config: &Config, draining: &model::Draining) -> CapacityProps {
    let cap = &config.capacity;
    debug_assert_eq!(cap.draining == Draining::Managed, *draining == model::Draining::Managed);
    CapacityProps {
        instance_type: cap.instance_type.clone(),
        architecture: cap.architecture(),
        machine_image: cap.machine_image,
        pinned_image_id: cap.image_id.clone(),
        update_style: match cap.update_policy {
            InstanceUpdatePolicy::Rolling => UpdateStyle::Rolling,
            InstanceUpdatePolicy::Replacing => UpdateStyle::Replacing,
            InstanceUpdatePolicy::Refresh => UpdateStyle::Refresh(cap.refresh.clone().unwrap_or_default()),
        },
        root_volume_gib: cap.root_volume_gib,
        key_name: cap.key_name.clone(),
        min_capacity: cap.min_capacity,
        max_capacity: cap.max_capacity,
        desired_capacity: cap.desired_capacity,
        spot: cap.spot.clone(),
        managed_by_ecs: *draining == model::Draining::Managed,
    }
}

fn load_balancer(config: &Config, network: &NetworkProps) -> LoadBalancerProps {
    let lb = &config.load_balancer;
    LoadBalancerProps {
        public: lb.public,
        allowed_cidrs: allowed_cidrs(lb, network),
        listener_port: lb.listener_port.unwrap_or(lb.protocol.default_port()),
        tls: tls(lb),
        idle_timeout_seconds: lb.idle_timeout_seconds,
        access_logs_days: config.observability.access_logs.then_some(log_retention_days(config)),
        test_listener_ports: config.test_listener_ports(),
    }
}

/// How long the stack's own logs are kept: the service's retention, the longest of several.
fn log_retention_days(config: &Config) -> u32 {
    let longest = config.service_configs().into_iter().map(|s| s.log_retention_days).max();
    longest.unwrap_or_else(|| unreachable!("there is always a service"))
}

fn domain(lb: &LoadBalancerConfig) -> Option<DomainProps> {
    Some(DomainProps { name: lb.domain_name.clone()?, hosted_zone_id: lb.hosted_zone_id.clone()? })
}

/// The one `service`, or each of `services` with its name and route.
fn services(config: &Config) -> Vec<ServiceModel> {
    if config.services.is_empty() {
        return vec![service(config, None, &config.service)];
    }
    config
        .services
        .iter()
        .map(|(name, svc)| {
            let mut model = service(config, Some(name), svc);
            model.route = svc.routing.as_ref().map(|routing| RouteProps {
                path_patterns: routing.path_patterns.clone(),
                host_headers: routing.host_headers.clone(),
                priority: priority(name, routing),
            });
            model
        })
        .collect()
}

/// The IPv4 ranges that may connect to the load balancer: those configured, else anyone for an
/// internet-facing one and the VPC's range for an internal one (validation requires them for an
/// internal one in an existing VPC).
fn allowed_cidrs(lb: &LoadBalancerConfig, network: &NetworkProps) -> Vec<String> {
    match (&lb.allowed_cidrs, network) {
        (Some(cidrs), _) => cidrs.clone(),
        // Who may reach an internet-facing load balancer unless told otherwise.
        (None, _) if lb.public => vec![ANYWHERE_IPV4.to_owned()],
        (None, NetworkProps::Create(vpc)) => vec![vpc.cidr.to_string()],
        (None, NetworkProps::Existing { .. }) => Vec::new(),
    }
}

/// The HTTPS listener's certificate and policy, when the protocol is HTTPS.
fn tls(lb: &LoadBalancerConfig) -> Option<TlsProps> {
    match (lb.protocol, &lb.certificate_arn) {
        (Protocol::Https, Some(certificate_arn)) => Some(TlsProps {
            certificate_arn: certificate_arn.clone(),
            ssl_policy: lb.ssl_policy.clone().unwrap_or_else(|| DEFAULT_SSL_POLICY.to_owned()),
            redirect_http: lb.redirects_http(),
        }),
        _ => None,
    }
}

fn service(config: &Config, name: Option<&String>, svc: &ServiceConfig) -> ServiceModel {
    let lb = &config.load_balancer;
    ServiceModel {
        name: name.cloned(),
        task: task(svc, name.map(String::as_str)),
        service: ServiceProps {
            name: svc.name.clone(),
            desired_count: svc.auto_scaling.is_none().then_some(svc.desired_count),
            health_check_grace_period_seconds: svc.health_check_grace_period_seconds,
            min_healthy_percent: svc.min_healthy_percent,
            max_healthy_percent: svc.max_healthy_percent,
            circuit_breaker: svc.circuit_breaker.clone(),
            execute_command: svc.enable_execute_command,
            deployment: svc.deployment.clone(),
            placement_strategies: svc.placement.iter().flat_map(|p| &p.strategy).copied().collect(),
            placement_constraints: svc
                .placement
                .iter()
                .flat_map(|p| &p.constraints)
                .map(|c| placement_limit(c))
                .collect(),
        },
        scaling: svc.auto_scaling.clone(),
        target_group: TargetGroupProps {
            health_check: svc.target_health_check.as_ref().unwrap_or(&lb.health_check).clone(),
            deregistration_delay_seconds: lb.deregistration_delay_seconds,
        },
        route: None,
    }
}

/// The task of `svc`, the service `name` of `services` (`None` for the one `service`).
fn task(svc: &ServiceConfig, name: Option<&str>) -> TaskProps {
    let containers: Vec<&ContainerConfig> = svc.containers().collect();
    // Validation refused every ARN that is not a secret's, so none is left out here.
    let secret_sources =
        containers.iter().flat_map(|c| c.secrets.values()).filter_map(|arn| secret_source(arn).ok()).collect();
    TaskProps {
        main: svc.container.clone(),
        // The main container's: the CDK's construct ID for the one `service`.
        log_stream_prefix: name.unwrap_or("Ec2Service").to_owned(),
        image_parameter: svc.container.image_parameter.then(|| image_parameter_name(name)),
        sidecars: svc.sidecars.clone(),
        image_repositories: image_repositories(svc, &containers),
        secret_sources,
        log_retention_days: svc.log_retention_days,
        volumes: svc.volumes.iter().map(|v| volume(v, &containers)).collect(),
        task_role: svc.task_role.clone().unwrap_or_default(),
        execute_command: svc.enable_execute_command,
    }
}

/// `distinct-instance`, or an expression of the cluster query language.
fn placement_limit(constraint: &str) -> PlacementLimit {
    match constraint {
        DISTINCT_INSTANCE => PlacementLimit::DistinctInstance,
        expression => PlacementLimit::MemberOf(expression.to_owned()),
    }
}

fn volume(v: &VolumeConfig, containers: &[&ContainerConfig]) -> VolumeProps {
    let source = match (&v.efs, &v.host_path) {
        (Some(efs), _) => {
            let mounts = containers.iter().flat_map(|c| &c.mount_points).filter(|m| m.volume == v.name);
            VolumeSource::Efs(EfsProps {
                file_system_id: efs.file_system_id.clone(),
                security_group_id: efs.security_group_id.clone(),
                access_point_id: efs.access_point_id.clone(),
                root_directory: efs.root_directory.clone(),
                transit_encryption: efs.transit_encryption,
                iam_authorization: efs.iam_authorization,
                read_only: mounts.clone().count() > 0 && mounts.into_iter().all(|m| m.read_only),
            })
        }
        (None, Some(path)) => VolumeSource::Host(path.clone()),
        (None, None) => VolumeSource::Scratch,
    };
    VolumeProps { name: v.name.clone(), source }
}

/// The private ECR repositories the task's images come from: the fixed image's, and the one named
/// for images deployed through the image parameter. Empty when the images are public.
fn image_repositories(svc: &ServiceConfig, containers: &[&ContainerConfig]) -> Vec<ecr::Repository> {
    let images = containers.iter().filter_map(|c| ecr::Repository::of_image(c.image()));
    let mut repositories: Vec<ecr::Repository> =
        images.chain(svc.container.image_repository.as_deref().and_then(ecr::Repository::parse)).collect();
    repositories.sort();
    repositories.dedup();
    repositories
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::SecretSource;
    use crate::config::load_str;

    fn model(yaml: &str) -> Model {
        load_str(yaml, Some("test.yaml")).expect("valid").model().clone()
    }

    #[test]
    fn the_defaults_resolve_to_the_cdk_stack() {
        let m = model("{}");
        assert_eq!(m.load_balancer.listener_port, 80);
        assert_eq!(m.load_balancer.allowed_cidrs, [ANYWHERE_IPV4]);
        assert_eq!(m.load_balancer.tls, None);
        assert!(matches!(m.draining, model::Draining::Hook(DrainHookProps { drain_time_seconds: 300, .. })));
        assert!(!m.capacity.managed_by_ecs);
        assert_eq!(m.services[0].service.desired_count, Some(1));
        assert_eq!((&m.services[0].scaling, &m.domain, &m.services[0].name), (&None, &None, &None));
        assert!(m.services[0].task.image_repositories.is_empty());
    }

    #[test]
    fn what_the_file_leaves_open_is_decided_from_the_other_fields() {
        let m = model(
            "load_balancer: {public: false, protocol: HTTPS, certificate_arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'}",
        );
        // An internal load balancer admits its VPC; HTTPS listens on 443 with the default policy.
        assert_eq!(m.load_balancer.allowed_cidrs, ["10.0.0.0/16"]);
        assert_eq!(m.load_balancer.listener_port, 443);
        let tls = m.load_balancer.tls.expect("HTTPS");
        assert_eq!((tls.ssl_policy.as_str(), tls.redirect_http), (DEFAULT_SSL_POLICY, true));

        let m = model(
            "capacity: {draining: managed}\nservice: {auto_scaling: {min: 1, max: 4, target_requests_per_target: 100}}",
        );
        assert_eq!(m.draining, model::Draining::Managed);
        assert!(m.capacity.managed_by_ecs);
        // Scaling owns the task count.
        assert_eq!(m.services[0].service.desired_count, None);
        assert_eq!(m.services[0].scaling.as_ref().map(|s| (s.min, s.max)), Some((1, 4)));
        assert_eq!(model("capacity: {task_drain_time_seconds: 0}").draining, model::Draining::None);
    }

    #[test]
    fn secrets_and_private_images_are_parsed_once_into_what_to_grant() {
        let m = model(
            "service:\n  container:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1\n    secrets:\n      DB: arn:aws:ssm:eu-west-1:123456789012:parameter/db\n",
        );
        let task = &m.services[0].task;
        assert_eq!(task.image_repositories.len(), 1);
        assert_eq!(task.secret_sources.len(), 1);
        assert!(matches!(task.secret_sources[0], SecretSource::SsmParameter(_)));
    }
}
