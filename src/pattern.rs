//! The whole stack, wired from the resolved model of a valid configuration: the counterpart of
//! the CDK's `ApplicationLoadBalancedEc2Service` on a cluster with `addCapacity`.

use crate::config::ValidConfig;
use crate::constructs::capacity::{Capacity, InstancePlacement};
use crate::constructs::capacity_provider::ManagedCapacity;
use crate::constructs::connections::{self, Peer, TcpPorts};
use crate::constructs::drain_hook::{self, DrainedGroup};
use crate::constructs::load_balancer::{AlbWithListener, LoadBalancerPlacement};
use crate::constructs::service::{self, ServiceWiring};
use crate::constructs::service_scaling::{self, ServiceScalingProps};
use crate::constructs::task::{self, VolumeSource};
use crate::constructs::vpc::Network;
use crate::constructs::{cluster, dns};
use crate::model::{Draining, Model, ServiceModel};
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

/// Builds the template for `config`.
pub fn synthesize(config: &ValidConfig, options: SynthOptions) -> Result<Template, TemplateError> {
    build(config.model(), options)
}

/// Builds the template of `model`: the network, the cluster and its instances (drained as
/// configured), the load balancer, the service, and where to reach it.
pub fn build(model: &Model, options: SynthOptions) -> Result<Template, TemplateError> {
    let mut t = Template::new();
    t.set_description(format!(
        "ECS service of container {} on EC2 behind an Application Load Balancer (synthesized by ecs-alb)",
        model.service.task.main.name
    ));
    let stack = Scope::stack(&model.stack_name);

    let network = Network::build(&mut t, &stack.child("MyVpc"), &model.network)?;
    let cluster_scope = stack.child("Ec2Cluster");
    let cluster = cluster::build(&mut t, &cluster_scope, model.container_insights)?;
    let fleet = add_fleet(&mut t, model, &cluster_scope, &network, &cluster, options.drainer_code)?;

    let service_scope = stack.child("Ec2Service");
    let alb = add_load_balancer(&mut t, model, &service_scope.child("LB"), &network)?;
    connections::allow_tcp(
        &mut t,
        Peer { scope: &alb.security_group_scope, group: &alb.security_group },
        Peer { scope: &fleet.capacity.security_group_scope, group: &fleet.capacity.security_group },
        DYNAMIC_HOST_PORTS,
        "Load balancer to target",
    )?;
    add_service(&mut t, &model.service, &service_scope, &cluster, &fleet, &alb)?;
    add_addresses(&mut t, &model.service, &stack, &service_scope, &alb)?;
    if model.service.task.volumes.iter().any(|v| matches!(v.source, VolumeSource::Efs(_))) {
        // The file system's mount targets must admit NFS from the instances: their group, to name.
        t.add_output(
            cluster_scope.child("InstanceSecurityGroupId").logical_id(),
            Output::new(fleet.capacity.security_group.group_id())
                .description("The instances' security group: EFS mount targets must admit TCP 2049 from it"),
        )?;
    }

    let tags = model.tags.iter().fold(Tags::new(), |tags, (key, value)| tags.with(key, value.as_str()));
    t.tag_all(&tags);
    Ok(t)
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
    model: &Model,
    cluster_scope: &Scope,
    network: &Network,
    cluster: &Handle<Cluster>,
    drainer_code: DrainerCode,
) -> Result<Fleet, TemplateError> {
    let scope = cluster_scope.child("DefaultAutoScalingGroup");
    let placement =
        InstancePlacement { vpc_id: network.vpc_id.clone(), subnets: network.private_subnet_ids(), cluster };
    let capacity = Capacity::build(t, &scope, &model.capacity, placement)?;
    let managed = match &model.draining {
        Draining::Managed => Some(ManagedCapacity::build(t, cluster_scope, cluster, &capacity.auto_scaling_group)?),
        Draining::Hook(hook) => {
            let group = DrainedGroup { cluster, auto_scaling_group: &capacity.auto_scaling_group, code: drainer_code };
            drain_hook::build(t, &scope, hook, group)?;
            None
        }
        Draining::None => None,
    };
    Ok(Fleet { capacity, scope, managed })
}

fn add_load_balancer(
    t: &mut Template,
    model: &Model,
    scope: &Scope,
    network: &Network,
) -> Result<AlbWithListener, TemplateError> {
    let public = model.load_balancer.public;
    let placement = LoadBalancerPlacement {
        vpc_id: network.vpc_id.clone(),
        subnets: if public { network.public_subnet_ids() } else { network.private_subnet_ids() },
        depends_on: if public { network.internet_routes() } else { Options::new() },
    };
    AlbWithListener::build(t, scope, &model.load_balancer, placement)
}

/// The task definition, the service behind the load balancer, and its scaling.
fn add_service(
    t: &mut Template,
    model: &ServiceModel,
    scope: &Scope,
    cluster: &Handle<Cluster>,
    fleet: &Fleet,
    alb: &AlbWithListener,
) -> Result<(), TemplateError> {
    let task = task::build(t, &scope.child("TaskDef"), &model.task)?;
    // The Docker daemon on the instances ships the containers' logs with the instance's role.
    let container_logs = fleet.capacity.grant(
        t,
        "ContainerLogsPolicy",
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(task.log_group.arn())],
    )?;
    let wiring = ServiceWiring {
        cluster,
        task_definition: &task.definition,
        container_name: &model.task.main.name,
        container_port: model.task.main.port.unwrap_or_else(|| unreachable!("the main container has the port")),
        target_group: &alb.target_group,
        listener: &alb.listener,
        grants: std::iter::once(&container_logs).chain(&task.startup_grants).collect(),
        managed_capacity: fleet.managed.as_ref(),
    };
    let service = service::build(t, scope, &model.service, wiring)?;
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
            instances_can_scale: fleet.capacity.can_grow() && fleet.managed.is_none(),
        },
        model.scaling,
    )
}

/// The service's own DNS name when one is configured, and the outputs that say where it is.
fn add_addresses(
    t: &mut Template,
    model: &ServiceModel,
    stack: &Scope,
    service_scope: &Scope,
    alb: &AlbWithListener,
) -> Result<(), TemplateError> {
    let domain = model.domain.as_ref();
    let url = alb.url(domain.map(|d| d.name.as_str()));
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
