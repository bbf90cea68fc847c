//! The whole stack, wired from the resolved model of a valid configuration: the counterpart of
//! the CDK's `ApplicationLoadBalancedEc2Service` on a cluster with `addCapacity`.

use indexmap::IndexMap;

use crate::architecture::Part;
use crate::config::{ConfigError, Diagnostic, ValidConfig};
use crate::constructs::add_role_policy;
use crate::constructs::capacity::{Capacity, InstancePlacement};
use crate::constructs::capacity_provider::ManagedCapacity;
use crate::constructs::connections::{self, Peer, TcpPorts};
use crate::constructs::deployment_alarms::{self, WatchedService};
use crate::constructs::drain_hook::{self, DrainedGroup};
use crate::constructs::load_balancer::{
    self, AlbWithListener, DefaultRoute, Forward, LoadBalancerPlacement, RouteProps,
};
use crate::constructs::service::{self, ReleaseWiring, ServiceWiring};
use crate::constructs::service_scaling::{self, ServiceScalingProps};
use crate::constructs::task;
use crate::constructs::vpc::Network;
use crate::constructs::{cluster, dns};
use crate::listener_rules::RELEASE_CATCH_ALL_PRIORITY;
use crate::model::{Draining, Model, ServiceModel};
use crate::resources::ec2::SecurityGroupIngress;
use crate::resources::ecs::Cluster;
use crate::resources::elbv2::{Listener, ListenerRule, TargetGroup};
use crate::resources::iam::{Policy, Role, Statement};
use crate::template::{Handle, Options, Output, Scope, Tags, Template, TemplateError, Value};

pub use crate::constructs::drain_hook::DrainerCode;

/// Docker's ephemeral port range on the ECS-optimized images: where dynamic host ports come from.
const DYNAMIC_HOST_PORTS: TcpPorts = TcpPorts { from: 32768, to: 65535 };
/// NFS, which EFS mount targets answer on ("Using VPC security groups", Amazon EFS User Guide).
const NFS: TcpPorts = TcpPorts { from: 2049, to: 2049 };

/// Synthesis choices that are not part of the configuration file.
pub struct SynthOptions {
    pub drainer_code: DrainerCode,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions { drainer_code: DrainerCode::S3Parameters }
    }
}

/// CloudFormation's limit on resources in one template ("CloudFormation quotas").
pub const MAX_RESOURCES: usize = 500;

/// Why no template was made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration passed its checks, but its template is one CloudFormation would refuse
    /// for its size: the user's to fix (exit 2), with the count and what to split.
    #[error("{0}")]
    Config(ConfigError),
    /// Two resources with one logical ID, or an ID CloudFormation refuses: a defect of ecs-alb.
    #[error("ecs-alb made a template it should not have (a defect; please report it): {0}")]
    Template(#[from] TemplateError),
}

impl SynthError {
    /// The configuration's problems, when that is what stopped it.
    pub fn config_error(&self) -> Option<&ConfigError> {
        match self {
            SynthError::Config(error) => Some(error),
            SynthError::Template(_) => None,
        }
    }
}

/// Builds the template for `config`; a configuration whose template CloudFormation would refuse
/// for its size is a configuration error (exit 2), with the count and what to split.
pub fn synthesize(config: &ValidConfig, options: SynthOptions) -> Result<Template, SynthError> {
    let model = config.model();
    let template = build(model, options)?;
    let count = template.resources().count();
    if count > MAX_RESOURCES {
        let mut d = Diagnostic::new(
            if model.named_services() { "services" } else { "service" },
            format!("make {count} resources: CloudFormation takes at most {MAX_RESOURCES} in one template"),
        );
        d.hint = split_hint(model, count);
        return Err(SynthError::Config(ConfigError { origin: None, diagnostics: vec![d] }));
    }
    Ok(template)
}

/// Builds the template of `model`: the network, the cluster and its instances (drained as
/// configured), the load balancer, the services, and where to reach them.
pub fn build(model: &Model, options: SynthOptions) -> Result<Template, TemplateError> {
    let mut t = Template::new();
    t.set_description(description(model));
    let stack = Scope::stack(&model.stack_name);

    let network = Network::build(&mut t, &stack.child("MyVpc").grouped(Part::Network.group()), &model.network)?;
    let cluster_scope = stack.child("Ec2Cluster").grouped(Part::ClusterAndCapacity.group());
    let cluster = cluster::build(&mut t, &cluster_scope, model.container_insights)?;
    let fleet = add_fleet(&mut t, model, &cluster_scope, &network, &cluster, options.drainer_code)?;

    let front = add_load_balancer(&mut t, model, &stack, &network)?;
    connections::allow_tcp(
        &mut t,
        Peer { scope: &front.alb.security_group_scope, group: &front.alb.security_group },
        Peer { scope: &fleet.capacity.security_group_scope, group: &fleet.capacity.security_group },
        DYNAMIC_HOST_PORTS,
        "Load balancer to target",
    )?;
    let nfs = open_file_systems(&mut t, model, &fleet)?;
    for (service, routed) in model.services.iter().zip(&front.services) {
        add_service(&mut t, service, routed, &cluster, &fleet, &front.alb, &nfs)?;
    }
    // ECS scales managed capacity itself.
    let any_scaling = model.services.iter().any(|s| s.scaling.is_some());
    if any_scaling && fleet.capacity.can_grow() && fleet.managed.is_none() {
        service_scaling::scale_instances(&mut t, &fleet.scope, &cluster, &fleet.capacity.auto_scaling_group)?;
    }
    add_addresses(&mut t, model, &stack, &front)?;
    if !nfs.is_empty() {
        // For a file system's own policy, or another resource the instances must reach.
        t.add_output(
            stack.child("InstanceSecurityGroupId").logical_id(),
            Output::new(fleet.capacity.security_group.group_id())
                .description("The instances' security group (the EFS mount targets admit NFS from it)"),
        )?;
    }

    let tags = model.tags.iter().fold(Tags::new(), |tags, (key, value)| tags.with(key, value.as_str()));
    t.tag_all(&tags);
    Ok(t)
}

/// NFS from the instances to the mount targets of every EFS file system a service mounts: one
/// ingress rule on each mount targets' security group, by that group's ID.
fn open_file_systems(
    t: &mut Template,
    model: &Model,
    fleet: &Fleet,
) -> Result<IndexMap<String, Handle<SecurityGroupIngress>>, TemplateError> {
    let mut rules = IndexMap::new();
    for group_id in model.services.iter().flat_map(|s| s.task.efs_security_groups()) {
        if rules.contains_key(group_id) {
            continue;
        }
        let from = Peer { scope: &fleet.capacity.security_group_scope, group: &fleet.capacity.security_group };
        let rule = connections::allow_tcp_to_group_id(t, from, group_id, NFS, "NFS from the ECS instances to EFS")?;
        rules.insert(group_id.to_owned(), rule);
    }
    Ok(rules)
}

/// How many services a stack of this kind holds: what the shared resources and one service
/// take, from the template of the first service alone.
fn split_hint(model: &Model, count: usize) -> Option<String> {
    let services = model.services.len();
    if services < 2 {
        return None;
    }
    let first = Model { services: model.services[..1].to_vec(), ..model.clone() };
    let with_one = build(&first, SynthOptions::default()).ok()?.resources().count();
    let per_service = (count - with_one) / (services - 1);
    let shared = with_one.saturating_sub(per_service);
    let fit = (MAX_RESOURCES - shared) / per_service.max(1);
    Some(format!(
        "split the {services} services across stacks of at most {fit} services each ({shared} shared resources, about {per_service} per service)"
    ))
}

fn description(model: &Model) -> String {
    match model.services.as_slice() {
        [one] if one.name.is_none() => format!(
            "ECS service of container {} on EC2 behind an Application Load Balancer (synthesized by ecs-alb)",
            one.task.main.name()
        ),
        several => {
            let names: Vec<&str> = several.iter().filter_map(|s| s.name.as_deref()).collect();
            format!(
                "ECS services {} on EC2 behind one Application Load Balancer (synthesized by ecs-alb)",
                names.join(", ")
            )
        }
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
            drain_hook::build(t, &scope.grouped(Part::DrainPath.group()), hook, group)?;
            None
        }
        Draining::None => None,
    };
    Ok(Fleet { capacity, scope, managed })
}

/// The load balancer and, for each service, the scope its resources live in, its target group
/// and its listener rule.
struct Front {
    alb: AlbWithListener,
    /// The CDK pattern's `Ec2Service` for the one service, which holds the load balancer too.
    single_scope: Option<Scope>,
    services: Vec<RoutedService>,
}

struct RoutedService {
    scope: Scope,
    target_group: Handle<TargetGroup>,
    /// Its listener rule: its route's, or for a release of the default route's service the
    /// catch-all one ECS shifts its traffic on.
    rule: Option<Handle<ListenerRule>>,
    /// The group a blue/green, canary or linear release starts the new revision on.
    alternate_target_group: Option<Handle<TargetGroup>>,
    /// Where its release takes test traffic: the test listener's rule for the service, which
    /// ECS shifts before the production one, and that listener.
    test_route: Option<(Handle<ListenerRule>, Handle<Listener>)>,
}

/// What a service's release needs on the load balancer, given its primary group: nothing for a
/// rolling update; else an alternate group (checked as the primary), and a rule that forwards to
/// both, by weight, which ECS shifts ("Application Load Balancer resources for blue/green
/// deployments", ECS Developer Guide): the route's own, or a catch-all for the default route.
fn add_routing(
    t: &mut Template,
    model: &ServiceModel,
    scope: Scope,
    target_group: Handle<TargetGroup>,
    alb: &AlbWithListener,
    vpc_id: Value<String>,
) -> Result<RoutedService, TemplateError> {
    let deployment = &model.service.deployment;
    let releases = deployment.strategy.is_release();
    let alternate_target_group = match releases {
        true => {
            let at = scope.child("Release").child("AlternateTargetGroup");
            Some(load_balancer::target_group(t, &at, &model.target_group, vpc_id)?)
        }
        false => None,
    };
    let forward = Forward { primary: &target_group, alternate: alternate_target_group.as_ref() };
    let every_request =
        RouteProps { path_patterns: vec!["/*".into()], host_headers: Vec::new(), priority: RELEASE_CATCH_ALL_PRIORITY };
    let rule = match (&model.route, releases) {
        (Some(route), _) => Some(load_balancer::route(t, &scope.child("ListenerRule"), &alb.listener, forward, route)?),
        (None, true) => {
            let at = scope.child("Release").child("ProductionRule");
            Some(load_balancer::route(t, &at, &alb.listener, forward, &every_request)?)
        }
        (None, false) => None,
    };
    // The test rule takes the requests the production rule takes, on the test port, and
    // forwards them to both groups as the production rule does: ECS moves its weights to the new
    // revision first ("Migrating from a CodeDeploy blue/green to an Amazon ECS blue/green
    // service deployment", ECS Developer Guide: both groups must belong to the production or the
    // test rule).
    let test_route = match deployment.test_listener().and_then(|port| alb.test_listener(port)) {
        Some(listener) => {
            let route = model.route.as_ref().unwrap_or(&every_request);
            let at = scope.child("Release").child("TestRule");
            Some((load_balancer::route(t, &at, listener, forward, route)?, listener.clone()))
        }
        None => None,
    };
    Ok(RoutedService { scope, target_group, rule, alternate_target_group, test_route })
}

/// The load balancer where the CDK pattern puts it, inside its one service (`Ec2Service/LB`),
/// with that service's group as the listener's default; or, for several services, one of the
/// stack's own, each service's group under the service's name, routed by a listener rule.
fn add_load_balancer(
    t: &mut Template,
    model: &Model,
    stack: &Scope,
    network: &Network,
) -> Result<Front, TemplateError> {
    let public = model.load_balancer.public;
    let placement = || LoadBalancerPlacement {
        vpc_id: network.vpc_id.clone(),
        subnets: if public { network.public_subnet_ids() } else { network.private_subnet_ids() },
        depends_on: if public { network.internet_routes() } else { Options::new() },
    };
    if let [one] = model.services.as_slice() {
        if one.name.is_none() {
            let scope = stack.child("Ec2Service").grouped(Part::Service(one.task.main.name().to_owned()).group());
            let route = DefaultRoute::NewGroup(&one.target_group);
            let lb_scope = scope.child("LB").grouped(Part::LoadBalancer.group());
            let alb = AlbWithListener::build(t, &lb_scope, &model.load_balancer, placement(), route)?;
            let target_group = alb.default_group.clone().unwrap_or_else(|| unreachable!("a new group was asked for"));
            let routed = add_routing(t, one, scope.clone(), target_group, &alb, network.vpc_id.clone())?;
            let services = vec![routed];
            return Ok(Front { alb, single_scope: Some(scope), services });
        }
    }
    let scopes: Vec<Scope> = model
        .services
        .iter()
        .map(|s| {
            let name = s.name.as_deref().unwrap_or_default();
            stack.child(name).grouped(Part::Service(name.to_owned()).group())
        })
        .collect();
    let groups = model
        .services
        .iter()
        .zip(&scopes)
        .map(|(s, scope)| {
            load_balancer::target_group(t, &scope.child("TargetGroup"), &s.target_group, network.vpc_id.clone())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let default = model.services.iter().position(|s| s.route.is_none());
    let route = default.map_or(DefaultRoute::NotFound, |i| DefaultRoute::Group(&groups[i]));
    let lb_scope = stack.child("LoadBalancer").grouped(Part::LoadBalancer.group());
    let alb = AlbWithListener::build(t, &lb_scope, &model.load_balancer, placement(), route)?;
    let mut services = Vec::new();
    for ((service, scope), target_group) in model.services.iter().zip(scopes).zip(groups) {
        services.push(add_routing(t, service, scope, target_group, &alb, network.vpc_id.clone())?);
    }
    Ok(Front { alb, single_scope: None, services })
}

/// What a blue/green, canary or linear release of the service shifts traffic with: the alternate
/// group, the production rule, and the role ECS assumes to move the rule's weights, with its policy.
struct Release {
    alternate_target_group: Handle<TargetGroup>,
    production_rule: Handle<ListenerRule>,
    role: Handle<Role>,
    policy: Handle<Policy>,
    /// The role ECS invokes the release's hooks with, and its policy; `None` without hooks.
    hooks: Option<(Handle<Role>, Handle<Policy>)>,
}

fn add_release(
    t: &mut Template,
    model: &ServiceModel,
    routed: &RoutedService,
    alb: &AlbWithListener,
) -> Result<Option<Release>, TemplateError> {
    let (Some(alternate), Some(rule)) = (&routed.alternate_target_group, &routed.rule) else { return Ok(None) };
    let test_route = &routed.test_route;
    // What AmazonECSInfrastructureRolePolicyForLoadBalancers grants for an ALB (AWS Managed Policy
    // Reference), scoped to this service's groups, its rule and its listener.
    let role_scope = routed.scope.child("Release").child("InfrastructureRole");
    let role = t.add(&role_scope.child("Resource"), Role::for_service("ecs.amazonaws.com"))?;
    let statements = vec![
        Statement::allow([
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ])
        .on_any_resource(),
        Statement::allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"])
            .on(routed.target_group.arn())
            .on(alternate.arn()),
        test_route
            .iter()
            .fold(Statement::allow(["elasticloadbalancing:ModifyListener"]).on(alb.listener.arn()), |s, (_, l)| {
                s.on(l.arn())
            }),
        test_route
            .iter()
            .fold(Statement::allow(["elasticloadbalancing:ModifyRule"]).on(rule.arn()), |s, (r, _)| s.on(r.arn())),
    ];
    let policy = add_role_policy(t, &role_scope, "DefaultPolicy", &role, statements)?;
    let hooks = &model.service.deployment.hooks;
    let hooks = match hooks.is_empty() {
        true => None,
        // What "Permissions required for Lambda functions in Amazon ECS blue/green deployments"
        // (ECS Developer Guide) asks for, on these functions only instead of every function.
        false => {
            let hook_scope = routed.scope.child("Release").child("HookRole");
            let hook_role = t.add(&hook_scope.child("Resource"), Role::for_service("ecs.amazonaws.com"))?;
            let functions = hooks.iter().map(|h| h.function_arn.as_str()).collect::<indexmap::IndexSet<_>>();
            let invoke =
                functions.into_iter().fold(Statement::allow(["lambda:InvokeFunction"]), |s, arn| s.on(arn.to_owned()));
            let hook_policy = add_role_policy(t, &hook_scope, "DefaultPolicy", &hook_role, vec![invoke])?;
            Some((hook_role, hook_policy))
        }
    };
    Ok(Some(Release { alternate_target_group: alternate.clone(), production_rule: rule.clone(), role, policy, hooks }))
}

/// The task definition, the service behind the load balancer, and its scaling.
fn add_service(
    t: &mut Template,
    model: &ServiceModel,
    routed: &RoutedService,
    cluster: &Handle<Cluster>,
    fleet: &Fleet,
    alb: &AlbWithListener,
    nfs: &IndexMap<String, Handle<SecurityGroupIngress>>,
) -> Result<(), TemplateError> {
    let scope = &routed.scope;
    let release = add_release(t, model, routed, alb)?;
    let task = task::build(t, &scope.child("TaskDef"), &model.task)?;
    let alarms = match model.service.deployment.auto_alarms {
        true => {
            let watched = WatchedService {
                load_balancer: &alb.load_balancer,
                target_groups: std::iter::once(&routed.target_group).chain(&routed.alternate_target_group).collect(),
                name: model.name.as_deref().unwrap_or(model.task.main.name()),
            };
            deployment_alarms::build(t, &scope.child("Alarms"), &watched)?
        }
        false => Vec::new(),
    };
    // The Docker daemon on the instances ships the containers' logs with the instance's role.
    let logs_policy = match &model.name {
        None => "ContainerLogsPolicy".to_owned(),
        Some(name) => format!("{name}ContainerLogsPolicy"),
    };
    let container_logs = fleet.capacity.grant(
        t,
        &logs_policy,
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(task.log_group.arn())],
    )?;
    let wiring = ServiceWiring {
        cluster,
        task_definition: &task.definition,
        container_name: model.task.main.name(),
        container_port: model.task.main.port.unwrap_or_else(|| unreachable!("the main container has the port")),
        target_group: &routed.target_group,
        listener: &alb.listener,
        // A release's rule is referenced by the service already, which orders the two.
        listener_rule: routed.rule.as_ref().filter(|_| release.is_none()),
        // ECS needs the release role's permissions from the service's first deployment on.
        grants: std::iter::once(&container_logs)
            .chain(&task.startup_grants)
            .chain(release.as_ref().map(|r| &r.policy))
            .chain(release.as_ref().and_then(|r| r.hooks.as_ref()).map(|(_, policy)| policy))
            .collect(),
        network_paths: nfs
            .iter()
            .filter(|(group_id, _)| model.task.efs_security_groups().any(|g| g == group_id.as_str()))
            .map(|(_, rule)| rule)
            .collect(),
        managed_capacity: fleet.managed.as_ref(),
        alarms: alarms.iter().collect(),
        release: release.as_ref().map(|r| ReleaseWiring {
            alternate_target_group: &r.alternate_target_group,
            production_rule: &r.production_rule,
            test_rule: routed.test_route.as_ref().map(|(rule, _)| rule),
            role: &r.role,
            hook_role: r.hooks.as_ref().map(|(role, _)| role),
        }),
    };
    let service = service::build(t, scope, &model.service, wiring)?;
    service_scaling::build(
        t,
        &scope.child("Service").child("TaskCount"),
        ServiceScalingProps {
            cluster,
            service: &service,
            load_balancer: &alb.load_balancer,
            target_group: &routed.target_group,
        },
        model.scaling.as_ref(),
    )
}

/// The stack's own DNS name when one is configured, and the outputs that say where it is: the
/// CDK pattern's three for the one service, else the load balancer's and each service's URL.
fn add_addresses(t: &mut Template, model: &Model, stack: &Scope, front: &Front) -> Result<(), TemplateError> {
    let alb = &front.alb;
    let domain = model.domain.as_ref();
    let url = alb.url(domain.map(|d| d.name.as_str()));
    let Some(service_scope) = &front.single_scope else {
        let dns_scope = stack.child("LoadBalancer").child("DNS").grouped(Part::LoadBalancer.group());
        dns::build(t, &dns_scope, &alb.load_balancer, domain)?;
        t.add_output(
            stack.child("LoadBalancerDNS").logical_id(),
            Output::new(alb.load_balancer.dns_name()).description("The load balancer's DNS name"),
        )?;
        for (service, routed) in model.services.iter().zip(&front.services) {
            let (address, routes) = match &service.route {
                None => (url.clone(), "every request no other service's route takes".to_owned()),
                Some(route) => {
                    // A host-routed service answers on its own host name, not on the load
                    // balancer's (which reaches the default route).
                    let host = route.host_headers.iter().find(|h| !h.contains(['*', '?']));
                    let host = host.map(String::as_str).or(domain.map(|d| d.name.as_str()));
                    (alb.url_at(host, &route_url_path(route)), route_text(route))
                }
            };
            t.add_output(
                routed.scope.child("URL").logical_id(),
                Output::new(address)
                    .description(format!("Where {} answers: {routes}", service.name.as_deref().unwrap_or_default())),
            )?;
        }
        return Ok(());
    };
    dns::build(t, &service_scope.child("DNS").grouped(Part::LoadBalancer.group()), &alb.load_balancer, domain)?;
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

/// The path of a route's URL: its first path pattern up to the first wildcard (`/api/*` gives
/// `/api/`), or none for a route by host alone.
fn route_url_path(route: &RouteProps) -> String {
    let Some(pattern) = route.path_patterns.first() else { return String::new() };
    pattern.split(['*', '?']).next().unwrap_or_default().to_owned()
}

/// A route in words: `hosts a, b; paths /x/*`.
pub fn route_text(route: &RouteProps) -> String {
    let mut parts = Vec::new();
    if !route.host_headers.is_empty() {
        parts.push(format!("hosts {}", route.host_headers.join(", ")));
    }
    if !route.path_patterns.is_empty() {
        parts.push(format!("paths {}", route.path_patterns.join(", ")));
    }
    format!("{} (priority {})", parts.join("; "), route.priority)
}
