//! The whole stack, wired from a validated configuration: the counterpart of the CDK's
//! `ApplicationLoadBalancedEc2Service` on a cluster with `addCapacity`.

use crate::aws::DEFAULT_SSL_POLICY;
use crate::config::{DrainPlan, InstanceUpdatePolicy, NetworkPlan, Protocol, ValidConfig};
use crate::constructs::capacity::{Capacity, CapacityProps, SpotProps, UpdateStyle};
use crate::constructs::capacity_provider::ManagedCapacity;
use crate::constructs::connections::{self, Peer, TcpPorts};
use crate::constructs::dns::DomainProps;
use crate::constructs::drain_hook::{self, DrainHookProps};
use crate::constructs::load_balancer::{AlbWithListener, HealthCheckProps, LoadBalancerProps, TlsProps};
use crate::constructs::service::{self, CircuitBreaker, ServiceProps};
use crate::constructs::service_scaling::{self, ServiceScalingProps, TaskScaling};
use crate::constructs::task::{self, SecretProps, TaskProps};
use crate::constructs::vpc::{Network, NetworkProps, VpcProps};
use crate::constructs::{cluster, dns};
use crate::resources::ecs::Cluster;
use crate::resources::iam::Statement;
use crate::template::{Handle, Options, Output, Scope, Tags, Template, TemplateError};

pub use crate::constructs::drain_hook::DrainerCode;

/// Docker's ephemeral port range on the ECS-optimized images: where dynamic host ports come from.
const DYNAMIC_HOST_PORTS: TcpPorts = TcpPorts { from: 32768, to: 65535 };

/// Synthesis choices that are not part of the configuration file.
pub struct SynthOptions {
    pub drainer_code: DrainerCode,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions { drainer_code: DrainerCode::S3Parameters }
    }
}

/// Builds the template for `config`: the network, the cluster and its instances (drained as
/// configured), the load balancer, the service, and where to reach it.
pub fn synthesize(config: &ValidConfig, options: SynthOptions) -> Result<Template, TemplateError> {
    let mut t = Template::new();
    t.set_description(format!(
        "ECS service of container {} on EC2 behind an Application Load Balancer (synthesized by ecs-alb)",
        config.service.container.name
    ));
    let stack = Scope::stack(&config.stack_name);

    let network = Network::build(&mut t, &stack.child("MyVpc"), &network_props(config))?;
    let cluster_scope = stack.child("Ec2Cluster");
    let cluster = cluster::build(&mut t, &cluster_scope, config.observability.container_insights.setting())?;
    let fleet = add_fleet(&mut t, config, &cluster_scope, &network, &cluster, options.drainer_code)?;

    let service_scope = stack.child("Ec2Service");
    let alb = add_load_balancer(&mut t, config, &service_scope.child("LB"), &network)?;
    connections::allow_tcp(
        &mut t,
        Peer { scope: &alb.security_group_scope, group: &alb.security_group },
        Peer { scope: &fleet.capacity.security_group_scope, group: &fleet.capacity.security_group },
        DYNAMIC_HOST_PORTS,
        "Load balancer to target",
    )?;
    add_service(&mut t, config, &service_scope, &cluster, &fleet, &alb)?;
    add_addresses(&mut t, config, &stack, &service_scope, &alb)?;

    let tags = config.tags.iter().fold(Tags::new(), |tags, (key, value)| tags.with(key, value.as_str()));
    t.tag_all(&tags);
    Ok(t)
}

fn network_props(config: &ValidConfig) -> NetworkProps<'_> {
    match config.network() {
        NetworkPlan::Create { cidr, public_subnets, private_subnets, nat_gateways } => NetworkProps::Create(VpcProps {
            cidr: *cidr,
            public_subnets: public_subnets.clone(),
            private_subnets: private_subnets.clone(),
            nat_gateways: *nat_gateways as usize,
        }),
        NetworkPlan::Existing(existing) => NetworkProps::Existing {
            vpc_id: &existing.vpc_id,
            public_subnet_ids: &existing.public_subnet_ids,
            private_subnet_ids: &existing.private_subnet_ids,
        },
    }
}

/// The instances and how they are drained.
struct Fleet {
    capacity: Capacity,
    scope: Scope,
    /// When ECS manages (and drains) the instances.
    managed: Option<ManagedCapacity>,
}

/// The Auto Scaling group, with the drain hook or ECS's managed capacity as configured.
fn add_fleet(
    t: &mut Template,
    config: &ValidConfig,
    cluster_scope: &Scope,
    network: &Network,
    cluster: &Handle<Cluster>,
    drainer_code: DrainerCode,
) -> Result<Fleet, TemplateError> {
    let scope = cluster_scope.child("DefaultAutoScalingGroup");
    let cap = &config.capacity;
    let drain_plan = cap.drain_plan();
    let spot = cap.spot.as_ref().map(|spot| SpotProps {
        instance_types: spot.instance_types.clone(),
        on_demand_base_capacity: spot.on_demand_base_capacity,
        on_demand_percentage: spot.on_demand_percentage,
        max_price: spot.max_price,
    });
    let capacity = Capacity::build(
        t,
        &scope,
        CapacityProps {
            vpc_id: network.vpc_id.clone(),
            subnets: network.private_subnet_ids(),
            cluster,
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
            spot: spot.as_ref(),
            managed_by_ecs: drain_plan == DrainPlan::Managed,
        },
    )?;
    let managed = match drain_plan {
        DrainPlan::Managed => Some(ManagedCapacity::build(t, cluster_scope, cluster, &capacity.auto_scaling_group)?),
        DrainPlan::Hook { drain_time_seconds, topic_key_arn } => {
            let hook = DrainHookProps {
                cluster,
                auto_scaling_group: &capacity.auto_scaling_group,
                drain_time_seconds,
                log_retention_days: config.service.log_retention_days,
                code: drainer_code,
                topic_key_arn,
            };
            drain_hook::build(t, &scope, hook)?;
            None
        }
        DrainPlan::None => None,
    };
    Ok(Fleet { capacity, scope, managed })
}

fn add_load_balancer(
    t: &mut Template,
    config: &ValidConfig,
    scope: &Scope,
    network: &Network,
) -> Result<AlbWithListener, TemplateError> {
    let lb = &config.load_balancer;
    let hc = &lb.health_check;
    AlbWithListener::build(
        t,
        scope,
        LoadBalancerProps {
            vpc_id: network.vpc_id.clone(),
            public: lb.public,
            allowed_cidrs: config.allowed_cidrs(),
            subnets: if lb.public { network.public_subnet_ids() } else { network.private_subnet_ids() },
            depends_on: if lb.public { network.internet_routes() } else { Options::new() },
            listener_port: config.listener_port(),
            tls: tls(config),
            idle_timeout_seconds: lb.idle_timeout_seconds,
            access_logs_days: config.observability.access_logs.then_some(config.service.log_retention_days),
            health_check: HealthCheckProps {
                path: &hc.path,
                interval_seconds: hc.interval_seconds,
                timeout_seconds: hc.timeout_seconds,
                healthy_threshold: hc.healthy_threshold,
                unhealthy_threshold: hc.unhealthy_threshold,
                matcher: &hc.matcher,
            },
            deregistration_delay_seconds: lb.deregistration_delay_seconds,
        },
    )
}

/// The task definition, the service behind the load balancer, and its scaling.
fn add_service(
    t: &mut Template,
    config: &ValidConfig,
    scope: &Scope,
    cluster: &Handle<Cluster>,
    fleet: &Fleet,
    alb: &AlbWithListener,
) -> Result<(), TemplateError> {
    let svc = &config.service;
    let container = &svc.container;
    let image_repositories = config.image_repositories();
    let secrets: Vec<SecretProps> = config
        .secrets()
        .into_iter()
        .map(|(name, value_from, source)| SecretProps { name, value_from, source })
        .collect();
    let task = task::build(
        t,
        &scope.child("TaskDef"),
        TaskProps {
            container_name: &container.name,
            image: &container.image,
            image_parameter: container.image_parameter,
            container_port: container.port,
            memory_limit_mib: container.memory_limit_mib,
            memory_reservation_mib: container.memory_reservation_mib,
            cpu: container.cpu,
            environment: &container.environment,
            secrets: &secrets,
            image_repositories: &image_repositories,
            log_retention_days: svc.log_retention_days,
            log_stream_prefix: "Ec2Service",
        },
    )?;
    // The Docker daemon on the instances ships the containers' logs with the instance's role.
    let container_logs = fleet.capacity.grant(
        t,
        "ContainerLogsPolicy",
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(task.log_group.arn())],
    )?;
    let service = service::build(
        t,
        scope,
        ServiceProps {
            cluster,
            task_definition: &task.definition,
            grants: std::iter::once(&container_logs).chain(&task.startup_grants).collect(),
            target_group: &alb.target_group,
            listener: &alb.listener,
            container_name: &container.name,
            container_port: container.port,
            name: svc.name.as_deref(),
            desired_count: svc.auto_scaling.is_none().then_some(svc.desired_count),
            health_check_grace_period_seconds: svc.health_check_grace_period_seconds,
            min_healthy_percent: svc.min_healthy_percent,
            max_healthy_percent: svc.max_healthy_percent,
            circuit_breaker: CircuitBreaker {
                enabled: svc.circuit_breaker.enabled,
                rollback: svc.circuit_breaker.rollback,
            },
            managed_capacity: fleet.managed.as_ref(),
        },
    )?;
    let cap = &config.capacity;
    service_scaling::build(
        t,
        &scope.child("Service").child("TaskCount"),
        &fleet.scope,
        ServiceScalingProps {
            cluster,
            service: &service,
            load_balancer: &alb.load_balancer,
            target_group: &alb.target_group,
            auto_scaling_group: &fleet.capacity.auto_scaling_group,
            // ECS scales managed capacity itself.
            instances_can_scale: cap.max_capacity > cap.min_capacity && fleet.managed.is_none(),
        },
        svc.auto_scaling.as_ref().map(|scaling| TaskScaling {
            min: scaling.min,
            max: scaling.max,
            cpu_percent: scaling.cpu_target(),
            requests_per_target: scaling.target_requests_per_target,
        }),
    )
}

/// The service's own DNS name when one is configured, and the outputs that say where it is.
fn add_addresses(
    t: &mut Template,
    config: &ValidConfig,
    stack: &Scope,
    service_scope: &Scope,
    alb: &AlbWithListener,
) -> Result<(), TemplateError> {
    let domain = domain(config);
    let url = alb.url(domain.as_ref().map(|d| d.name));
    dns::build(t, &service_scope.child("DNS"), &alb.load_balancer, domain)?;
    t.add_output(
        service_scope.child("LoadBalancerDNS").logical_id(),
        Output::new(alb.load_balancer.dns_name()).description("The load balancer's DNS name"),
    )?;
    t.add_output(
        service_scope.child("ServiceURL").logical_id(),
        Output::new(url.clone()).description("The service's URL"),
    )?;
    t.add_output(stack.child("LoadBalancerDNS").logical_id(), Output::new(url).description("The service's URL"))
}

/// The HTTPS listener's certificate and policy, when the protocol is HTTPS.
fn tls(config: &ValidConfig) -> Option<TlsProps<'_>> {
    let lb = &config.load_balancer;
    match (lb.protocol, &lb.certificate_arn) {
        (Protocol::Https, Some(certificate_arn)) => Some(TlsProps {
            certificate_arn,
            ssl_policy: lb.ssl_policy.as_deref().unwrap_or(DEFAULT_SSL_POLICY),
            redirect_http: lb.redirects_http(),
        }),
        _ => None,
    }
}

/// The service's own DNS name and the hosted zone that holds it, when one is configured.
fn domain(config: &ValidConfig) -> Option<DomainProps<'_>> {
    let lb = &config.load_balancer;
    Some(DomainProps { name: lb.domain_name.as_deref()?, hosted_zone_id: lb.hosted_zone_id.as_deref()? })
}
