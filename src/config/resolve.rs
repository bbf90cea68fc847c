//! From a configuration that passed every rule to the resolved model: the one place where the
//! file's fields become the constructs' props, and where every default that depends on another
//! field is decided.

use super::validate::secret_source;
use super::{Config, DrainPlan, Draining, InstanceUpdatePolicy, LoadBalancerConfig, Protocol, ServiceConfig};
use crate::aws::{ANYWHERE_IPV4, DEFAULT_SSL_POLICY, ListenerProtocol};
use crate::constructs::capacity::{CapacityProps, SpotProps, UpdateStyle};
use crate::constructs::dns::DomainProps;
use crate::constructs::drain_hook::DrainHookProps;
use crate::constructs::load_balancer::{HealthCheckProps, LoadBalancerProps, TlsProps};
use crate::constructs::service::{CircuitBreaker, ServiceProps};
use crate::constructs::service_scaling::TaskScaling;
use crate::constructs::task::{SecretProps, TaskProps};
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
        service: service(config),
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
        machine_image: cap.machine_image.into(),
        pinned_image_id: cap.image_id.clone(),
        update_style: match cap.update_policy {
            InstanceUpdatePolicy::Rolling => UpdateStyle::Rolling,
            InstanceUpdatePolicy::Replacing => UpdateStyle::Replacing,
        },
        root_volume_gib: cap.root_volume_gib,
        key_name: cap.key_name.clone(),
        min_capacity: cap.min_capacity,
        max_capacity: cap.max_capacity,
        desired_capacity: cap.desired_capacity,
        spot: cap.spot.as_ref().map(|spot| SpotProps {
            instance_types: spot.instance_types.clone(),
            on_demand_base_capacity: spot.on_demand_base_capacity,
            on_demand_percentage: spot.on_demand_percentage,
            max_price: spot.max_price,
        }),
        managed_by_ecs: *draining == model::Draining::Managed,
    }
}

fn load_balancer(config: &Config, network: &NetworkProps) -> LoadBalancerProps {
    let lb = &config.load_balancer;
    let hc = &lb.health_check;
    LoadBalancerProps {
        public: lb.public,
        allowed_cidrs: allowed_cidrs(lb, network),
        listener_port: lb.listener_port.unwrap_or(ListenerProtocol::from(lb.protocol).default_port()),
        tls: tls(lb),
        idle_timeout_seconds: lb.idle_timeout_seconds,
        access_logs_days: config.observability.access_logs.then_some(config.service.log_retention_days),
        health_check: HealthCheckProps {
            path: hc.path.clone(),
            interval_seconds: hc.interval_seconds,
            timeout_seconds: hc.timeout_seconds,
            healthy_threshold: hc.healthy_threshold,
            unhealthy_threshold: hc.unhealthy_threshold,
            matcher: hc.matcher.clone(),
        },
        deregistration_delay_seconds: lb.deregistration_delay_seconds,
    }
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

fn service(config: &Config) -> ServiceModel {
    let svc = &config.service;
    let lb = &config.load_balancer;
    ServiceModel {
        task: task(svc),
        service: ServiceProps {
            name: svc.name.clone(),
            desired_count: svc.auto_scaling.is_none().then_some(svc.desired_count),
            health_check_grace_period_seconds: svc.health_check_grace_period_seconds,
            min_healthy_percent: svc.min_healthy_percent,
            max_healthy_percent: svc.max_healthy_percent,
            circuit_breaker: CircuitBreaker {
                enabled: svc.circuit_breaker.enabled,
                rollback: svc.circuit_breaker.rollback,
            },
        },
        scaling: svc.auto_scaling.as_ref().map(|scaling| TaskScaling {
            min: scaling.min,
            max: scaling.max,
            cpu_percent: scaling.cpu_target(),
            requests_per_target: scaling.target_requests_per_target,
        }),
        domain: match (&lb.domain_name, &lb.hosted_zone_id) {
            (Some(name), Some(zone)) => Some(DomainProps { name: name.clone(), hosted_zone_id: zone.clone() }),
            _ => None,
        },
    }
}

fn task(svc: &ServiceConfig) -> TaskProps {
    let container = &svc.container;
    // Validation refused every ARN that is not a secret's, so none is left out here.
    let secrets = container.secrets.iter().filter_map(|(name, arn)| {
        let source = secret_source(arn).ok()?;
        Some(SecretProps { name: name.clone(), value_from: arn.clone(), source })
    });
    TaskProps {
        container_name: container.name.clone(),
        image: container.image.clone(),
        image_parameter: container.image_parameter,
        container_port: container.port,
        memory_limit_mib: container.memory_limit_mib,
        memory_reservation_mib: container.memory_reservation_mib,
        cpu: container.cpu,
        environment: container.environment.clone(),
        secrets: secrets.collect(),
        stop_timeout_seconds: container.stop_timeout_seconds,
        image_repositories: image_repositories(svc),
        log_retention_days: svc.log_retention_days,
        // The service construct's ID, as in the CDK.
        log_stream_prefix: "Ec2Service",
    }
}

/// The private ECR repositories the task's images come from: the fixed image's, and the one named
/// for images deployed through the image parameter. Empty when the images are public.
fn image_repositories(svc: &ServiceConfig) -> Vec<ecr::Repository> {
    let container = &svc.container;
    let mut repositories: Vec<ecr::Repository> = ecr::Repository::of_image(&container.image)
        .into_iter()
        .chain(container.image_repository.as_deref().and_then(ecr::Repository::parse))
        .collect();
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
        assert_eq!(m.service.service.desired_count, Some(1));
        assert_eq!((m.service.scaling, &m.service.domain), (None, &None));
        assert!(m.service.task.image_repositories.is_empty());
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
        assert_eq!(m.service.service.desired_count, None);
        assert_eq!(m.service.scaling.map(|s| (s.min, s.max)), Some((1, 4)));
        assert_eq!(model("capacity: {task_drain_time_seconds: 0}").draining, model::Draining::None);
    }

    #[test]
    fn secrets_and_private_images_are_parsed_once_into_what_to_grant() {
        let m = model(
            "service:\n  container:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1\n    secrets:\n      DB: arn:aws:ssm:eu-west-1:123456789012:parameter/db\n",
        );
        let task = &m.service.task;
        assert_eq!(task.image_repositories.len(), 1);
        assert_eq!(task.secrets.len(), 1);
        assert!(matches!(task.secrets[0].source, SecretSource::SsmParameter(_)));
        assert_eq!(task.secrets[0].name, "DB");
    }
}
