//! The ECS service: keeps the tasks running on the cluster and registered with the target group.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::constructs::capacity_provider::ManagedCapacity;
use crate::constructs::container::written_name;
use crate::resources::cloudwatch::Alarm;
use crate::resources::ec2::SecurityGroupIngress;
use crate::resources::ecs::{
    AdvancedConfiguration, CanaryConfiguration, Cluster, DeploymentAlarms, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentLifecycleHook, HookTimeoutConfig, LaunchType, LinearConfiguration,
    PlacementConstraint, PlacementConstraintType, PlacementStrategy, PlacementStrategyType, SchedulingStrategy,
    Service, ServiceLoadBalancer, TaskDefinition,
};
use crate::resources::elbv2::{Listener, ListenerRule, TargetGroup};
use crate::resources::iam::{Policy, Role};
use crate::template::{Handle, Options, Scope, Template, TemplateError};

/// What the configuration decides about the service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProps {
    pub name: Option<String>,
    /// `None` leaves the count to scaling.
    pub desired_count: Option<u32>,
    pub health_check_grace_period_seconds: u32,
    pub min_healthy_percent: u32,
    pub max_healthy_percent: u32,
    pub circuit_breaker: CircuitBreakerConfig,
    /// ECS Exec: `aws ecs execute-command` into the tasks.
    pub execute_command: bool,
    /// In order; none leaves placement to ECS.
    pub placement_strategies: Vec<PlacementStrategyName>,
    pub placement_constraints: Vec<PlacementLimit>,
    /// How a new revision replaces the running one.
    pub deployment: DeploymentConfig,
}

/// What a release other than a rolling one shifts traffic with: the alternate target group the
/// new revision starts on, the listener rule whose weights ECS moves, and the role ECS assumes to
/// move them ("Required resources for Amazon ECS blue/green deployments", ECS Developer Guide).
pub struct ReleaseWiring<'a> {
    pub alternate_target_group: &'a Handle<TargetGroup>,
    pub production_rule: &'a Handle<ListenerRule>,
    /// The test listener's rule, which ECS shifts first; `None` without a test listener.
    pub test_rule: Option<&'a Handle<ListenerRule>>,
    pub role: &'a Handle<Role>,
    /// The role ECS invokes `DeploymentConfig::hooks` with; `None` without hooks.
    pub hook_role: Option<&'a Handle<Role>>,
}

impl DeploymentConfig {
    /// The test listener's port, for a release that shifts test traffic (a rolling update has none).
    pub fn test_listener(&self) -> Option<u32> {
        self.test_listener_port.filter(|_| self.strategy.is_release())
    }
}

impl DeploymentStrategy {
    /// Whether it is a release that shifts traffic between two target groups (blue-green,
    /// canary, linear), not a rolling update.
    pub fn is_release(self) -> bool {
        self != DeploymentStrategy::Rolling
    }

    /// ECS's name for it (`DeploymentConfiguration.Strategy`).
    pub fn ecs_name(self) -> &'static str {
        match self {
            DeploymentStrategy::Rolling => "ROLLING",
            DeploymentStrategy::BlueGreen => "BLUE_GREEN",
            DeploymentStrategy::Canary => "CANARY",
            DeploymentStrategy::Linear => "LINEAR",
        }
    }
}

/// How ECS picks an instance for a task ("Amazon ECS task placement strategies").
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

/// Which instances a task may run on at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementLimit {
    /// One task of the service per instance.
    DistinctInstance,
    /// Instances matching a cluster query language expression.
    MemberOf(String),
}

impl PlacementStrategyName {
    fn strategy(self) -> PlacementStrategy {
        let (strategy_type, field) = match self {
            PlacementStrategyName::SpreadAz => (PlacementStrategyType::Spread, Some("attribute:ecs.availability-zone")),
            PlacementStrategyName::SpreadInstance => (PlacementStrategyType::Spread, Some("instanceId")),
            PlacementStrategyName::BinpackMemory => (PlacementStrategyType::Binpack, Some("memory")),
            PlacementStrategyName::BinpackCpu => (PlacementStrategyType::Binpack, Some("cpu")),
            PlacementStrategyName::Random => (PlacementStrategyType::Random, None),
        };
        PlacementStrategy { field: field.map(Into::into), r#type: strategy_type }
    }
}

impl PlacementLimit {
    fn constraint(&self) -> PlacementConstraint {
        match self {
            PlacementLimit::DistinctInstance => {
                PlacementConstraint { r#type: PlacementConstraintType::DistinctInstance, expression: None }
            }
            PlacementLimit::MemberOf(expression) => PlacementConstraint {
                r#type: PlacementConstraintType::MemberOf,
                expression: Some(expression.clone().into()),
            },
        }
    }
}

/// What the service runs, where, and what it registers with.
pub struct ServiceWiring<'a> {
    pub cluster: &'a Handle<Cluster>,
    pub task_definition: &'a Handle<TaskDefinition>,
    /// The container and port the target group sends requests to.
    pub container_name: &'a str,
    pub container_port: u32,
    pub target_group: &'a Handle<TargetGroup>,
    pub listener: &'a Handle<Listener>,
    /// The rule that routes to the target group, when the listener's default action does not.
    pub listener_rule: Option<&'a Handle<ListenerRule>>,
    /// Permissions the tasks need in place before they start (their logs, their secrets).
    pub grants: Vec<&'a Handle<Policy>>,
    /// Network paths the tasks need open before they start (NFS to their file systems).
    pub network_paths: Vec<&'a Handle<SecurityGroupIngress>>,
    /// ECS-managed capacity to run on, instead of the EC2 launch type.
    pub managed_capacity: Option<&'a ManagedCapacity>,
    /// Alarms the stack makes for the deployment to watch, beside `DeploymentConfig::alarms`.
    pub alarms: Vec<&'a Handle<Alarm>>,
    /// What a blue/green, canary or linear release shifts traffic with; `None` for rolling.
    pub release: Option<ReleaseWiring<'a>>,
}

/// ECS's deployment circuit breaker: a deployment whose tasks keep failing is stopped (and rolled
/// back) instead of retrying for hours while the old tasks drain away.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// Default: true
    pub enabled: bool,
    /// Go back to the last deployment that worked when the breaker trips.
    ///
    /// Default: true
    pub rollback: bool,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        CircuitBreakerConfig { enabled: true, rollback: true }
    }
}

/// The deployment's settings: the rolling update's percentages and circuit breaker, or another
/// strategy's bake times and steps; alarms for either.
fn deployment_configuration(
    props: &ServiceProps,
    alarms: &[&Handle<Alarm>],
    hook_role: Option<&Handle<Role>>,
) -> DeploymentConfiguration {
    let d = &props.deployment;
    let rolling = !d.strategy.is_release();
    let named = d.alarms.iter().map(|a| a.clone().into());
    let made = alarms.iter().map(|a| a.alarm_name().into());
    let alarm_names: Vec<_> = named.chain(made).collect();
    DeploymentConfiguration {
        alarms: (!alarm_names.is_empty()).then(|| DeploymentAlarms {
            alarm_names,
            enable: true.into(),
            rollback: d.rollback_on_alarm.into(),
        }),
        bake_time_in_minutes: d.bake_time_minutes.map(Into::into),
        canary_configuration: d.canary.as_ref().map(|c| CanaryConfiguration {
            canary_bake_time_in_minutes: Some(c.bake_time_minutes.into()),
            canary_percent: Some(c.percent.into()),
        }),
        deployment_circuit_breaker: (rolling && props.circuit_breaker.enabled).then(|| DeploymentCircuitBreaker {
            enable: true.into(),
            rollback: props.circuit_breaker.rollback.into(),
            ..DeploymentCircuitBreaker::default()
        }),
        lifecycle_hooks: hook_role.map(|role| d.hooks.iter().map(|hook| hook.lifecycle_hook(role)).collect()),
        linear_configuration: d.linear.as_ref().map(|l| LinearConfiguration {
            step_bake_time_in_minutes: Some(l.step_bake_time_minutes.into()),
            step_percent: Some(l.step_percent.into()),
        }),
        maximum_percent: Some(props.max_healthy_percent.into()),
        minimum_healthy_percent: Some(props.min_healthy_percent.into()),
        // Left out for rolling, as templates before strategies had it.
        strategy: (!rolling).then(|| d.strategy.ecs_name().into()),
        ..DeploymentConfiguration::default()
    }
}

pub fn build(
    t: &mut Template,
    scope: &Scope,
    props: &ServiceProps,
    wiring: ServiceWiring<'_>,
) -> Result<Handle<Service>, TemplateError> {
    t.add_with(
        &scope.child("Service").child("Service"),
        Service {
            capacity_provider_strategy: wiring.managed_capacity.map(ManagedCapacity::strategy),
            cluster: Some(wiring.cluster.cluster_name().into()),
            deployment_configuration: Some(deployment_configuration(
                props,
                &wiring.alarms,
                wiring.release.as_ref().and_then(|release| release.hook_role),
            )),
            desired_count: props.desired_count.map(Into::into),
            enable_ecs_managed_tags: Some(false.into()),
            enable_execute_command: props.execute_command.then(|| true.into()),
            health_check_grace_period_seconds: Some(props.health_check_grace_period_seconds.into()),
            launch_type: wiring.managed_capacity.is_none().then_some(LaunchType::Ec2),
            load_balancers: Some(vec![ServiceLoadBalancer {
                advanced_configuration: wiring.release.as_ref().map(|release| AdvancedConfiguration {
                    alternate_target_group_arn: release.alternate_target_group.arn().into(),
                    production_listener_rule: Some(release.production_rule.arn().into()),
                    role_arn: Some(release.role.arn().into()),
                    test_listener_rule: release.test_rule.map(|rule| rule.arn().into()),
                }),
                container_name: Some(wiring.container_name.into()),
                container_port: Some(wiring.container_port.into()),
                target_group_arn: Some(wiring.target_group.arn().into()),
                ..ServiceLoadBalancer::default()
            }]),
            placement_constraints: (!props.placement_constraints.is_empty())
                .then(|| props.placement_constraints.iter().map(PlacementLimit::constraint).collect()),
            placement_strategies: (!props.placement_strategies.is_empty())
                .then(|| props.placement_strategies.iter().map(|rule| rule.strategy()).collect()),
            scheduling_strategy: Some(SchedulingStrategy::Replica),
            service_name: props.name.clone().map(Into::into),
            task_definition: Some(wiring.task_definition.arn().into()),
            ..Service::default()
        },
        // ECS rejects a target group that no listener attaches to a load balancer yet.
        wiring
            .grants
            .into_iter()
            .fold(Options::new().depends_on(wiring.listener).depends_on_all(wiring.listener_rule), Options::depends_on)
            .depends_on_all(wiring.managed_capacity.map(|m| &m.association))
            .depends_on_all(wiring.network_paths),
    )
}

/// How a new revision of the service replaces the running one ("Amazon ECS service deployment
/// controllers and strategies", ECS Developer Guide).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentConfig {
    /// `rolling`: new tasks take production traffic as soon as their target is healthy (the
    /// circuit breaker stops a deployment whose tasks keep failing). `blue-green`: the new
    /// revision starts beside the old one on the alternate target group, then takes all traffic
    /// at once; the old one stays through the bake time, for an instant rollback. `canary`: a
    /// share of the traffic first, then the rest after its bake time. `linear`: the traffic in
    /// equal steps.
    ///
    /// Default: rolling
    pub strategy: DeploymentStrategy,
    /// Minutes the old revision keeps running after all traffic has moved (blue-green, canary,
    /// linear): a rollback within them is instant.
    ///
    /// Default: - ECS's.
    #[schemars(range(min = bounds::BAKE_MINUTES.min, max = bounds::BAKE_MINUTES.max))]
    pub bake_time_minutes: Option<u32>,
    /// With `strategy: canary`: how much traffic goes to the new revision first, and for how long.
    ///
    /// Default: - ECS's: 5 percent for 10 minutes.
    pub canary: Option<CanaryConfig>,
    /// With `strategy: linear`: how much traffic each step moves, and how long each waits.
    ///
    /// Default: - ECS's: 10 percent every 6 minutes.
    pub linear: Option<LinearConfig>,
    /// CloudWatch alarms, by name, that stop the deployment when they go off; at most 10.
    ///
    /// Default: - none.
    pub alarms: Vec<String>,
    /// Go back to the revision before when one of `alarms` goes off.
    ///
    /// Default: true
    pub rollback_on_alarm: bool,
    /// Two alarms the stack makes and ECS watches beside `alarms`: more than 5 percent of the
    /// service's requests answered with a 5xx in 2 of 3 minutes, and an unhealthy target in 2 of
    /// 3 minutes, on each of its target groups (so a canary's errors count on their own).
    ///
    /// Default: false
    pub auto_alarms: bool,
    /// A second listener port on the load balancer, open to the same ranges as the first, where
    /// the new revision answers before it takes production traffic (blue-green, canary, linear):
    /// ECS shifts its rule first. The same port on several services makes one listener, routed
    /// as the production one.
    ///
    /// Default: - none.
    #[schemars(range(min = bounds::PORT.min, max = bounds::PORT.max))]
    pub test_listener_port: Option<u32>,
    /// Lambda functions ECS calls at a stage of a blue-green, canary or linear release; each
    /// answers SUCCEEDED, FAILED (roll back) or IN_PROGRESS (call again). The stack makes the role
    /// ECS calls them with, allowed to invoke these functions only.
    ///
    /// Default: - none.
    pub hooks: Vec<HookConfig>,
}

/// A Lambda function ECS calls at one stage of a release ("Lifecycle hooks for Amazon ECS service
/// deployments", ECS Developer Guide).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// When ECS calls it.
    ///
    /// Default: - none: required.
    pub stage: HookStage,
    /// The function's ARN: `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, optionally with a
    /// version or alias.
    ///
    /// Default: - none: required.
    pub function_arn: String,
    /// Minutes ECS waits for the hook to finish before `on_timeout` (AWS counts them in
    /// minutes), from 1 to 20160 (14 days).
    ///
    /// Default: - ECS's.
    #[serde(default)]
    #[schemars(range(min = bounds::HOOK_TIMEOUT_MINUTES.min, max = bounds::HOOK_TIMEOUT_MINUTES.max))]
    pub timeout_minutes: Option<u32>,
    /// What ECS does when `timeout_minutes` pass: `rollback` or `continue`.
    ///
    /// Default: rollback
    #[serde(default)]
    pub on_timeout: HookTimeoutAction,
}

/// A stage of a release, by ECS's name for it.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStage {
    /// A new deployment starts while more than one revision is active.
    ReconcileService,
    /// Before the new revision's tasks start.
    PreScaleUp,
    /// The new revision's tasks run; the old one takes all traffic.
    PostScaleUp,
    /// The test listener's traffic moves to the new revision.
    TestTrafficShift,
    /// The new revision takes all test traffic.
    PostTestTrafficShift,
    /// Before production traffic moves (before every step of a canary or linear release).
    PreProductionTrafficShift,
    /// Production traffic moves to the new revision.
    ProductionTrafficShift,
    /// The new revision takes all production traffic; the bake time follows.
    PostProductionTrafficShift,
}

/// What ECS does with a hook that does not finish in time.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HookTimeoutAction {
    /// Go back to the revision before.
    #[default]
    Rollback,
    /// Go on with the release.
    Continue,
}

impl HookConfig {
    fn lifecycle_hook(&self, role: &Handle<Role>) -> DeploymentLifecycleHook {
        DeploymentLifecycleHook {
            hook_target_arn: Some(self.function_arn.clone().into()),
            // The file writes a stage by ECS's own name.
            lifecycle_stages: vec![written_name(self.stage).into()],
            role_arn: Some(role.arn().into()),
            timeout_configuration: self.timeout_minutes.map(|minutes| HookTimeoutConfig {
                action: Some(
                    match self.on_timeout {
                        HookTimeoutAction::Rollback => "ROLLBACK",
                        HookTimeoutAction::Continue => "CONTINUE",
                    }
                    .into(),
                ),
                timeout_in_minutes: Some(minutes.into()),
            }),
            ..DeploymentLifecycleHook::default()
        }
    }
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            strategy: DeploymentStrategy::Rolling,
            bake_time_minutes: None,
            canary: None,
            linear: None,
            alarms: Vec::new(),
            rollback_on_alarm: true,
            auto_alarms: false,
            test_listener_port: None,
            hooks: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentStrategy {
    /// Replace tasks as the minimum and maximum healthy percentages allow.
    Rolling,
    /// All traffic to the new revision at once, the old one kept for the bake time.
    BlueGreen,
    /// A share of the traffic first, then the rest.
    Canary,
    /// The traffic in equal steps.
    Linear,
}

/// A canary release's first step.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CanaryConfig {
    /// The share of production traffic the new revision takes first: a multiple of 0.1, from 0.1
    /// to 100.
    ///
    /// Default: 5.0
    pub percent: f64,
    /// Minutes before the rest of the traffic moves.
    ///
    /// Default: 10
    #[schemars(range(min = bounds::BAKE_MINUTES.min, max = bounds::BAKE_MINUTES.max))]
    pub bake_time_minutes: u32,
}

impl Default for CanaryConfig {
    fn default() -> Self {
        CanaryConfig { percent: 5.0, bake_time_minutes: 10 }
    }
}

/// A linear release's steps.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LinearConfig {
    /// The share of production traffic each step moves: a multiple of 0.1, from 3 to 100.
    ///
    /// Default: 10.0
    pub step_percent: f64,
    /// Minutes each step waits before the next.
    ///
    /// Default: 6
    #[schemars(range(min = bounds::BAKE_MINUTES.min, max = bounds::BAKE_MINUTES.max))]
    pub step_bake_time_minutes: u32,
}

impl Default for LinearConfig {
    fn default() -> Self {
        LinearConfig { step_percent: 10.0, step_bake_time_minutes: 6 }
    }
}
