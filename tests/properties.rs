//! Property tests: random valid configurations synthesize to templates cfn-lint accepts (all of
//! them in one cfn-lint run) and that are byte-identical from one run to the next; random
//! out-of-range values are refused with the field named.

mod common;

use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

use ecs_alb::config::{
    Architecture, AutoScalingConfig, CanaryConfig, Config, ContainerCondition, ContainerConfig, ContainerInsights,
    DependencyConfig, DeploymentStrategy, Draining, EfsVolumeConfig, ExistingVpcConfig, HookConfig, HookStage,
    HookTimeoutAction, InstanceUpdatePolicy, LinearConfig, MachineImage, MountPointConfig, PlacementConfig,
    PlacementStrategyName, Protocol, RefreshConfig, RoutingConfig, SpotConfig, UlimitConfig, UlimitName, VolumeConfig,
    VpcConfig,
};
use ecs_alb::pattern::{SynthOptions, synthesize};
use testkit::venv_tool;

const VALID_CASES: u32 = 240;
const RETENTIONS: [u32; 6] = [1, 7, 30, 365, 731, 3653];
const SECRET_ARNS: [&str; 3] = [
    "arn:aws:ssm:us-east-1:123456789012:parameter/app/token",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf:password::",
];
const INSTANCE_TYPES: [&str; 7] =
    ["t2.micro", "t3.large", "m5.xlarge", "c6i.2xlarge", "r5.large", "t4g.small", "m7g.large"];
const IMAGES: [MachineImage; 3] =
    [MachineImage::AmazonLinux2, MachineImage::AmazonLinux2023, MachineImage::Bottlerocket];

/// A configuration valid by construction, covering the options' whole ranges.
fn valid_config() -> impl Strategy<Value = Config> {
    let vpc = (2u32..=6, 16u8..=20, 0u32..=6);
    let capacity = (
        0usize..INSTANCE_TYPES.len(),
        1u32..=10,
        0u32..=10,
        any::<bool>(),
        30u32..=200,
        prop_oneof![Just(0u32), 30u32..=172_800],
    );
    let lb = (
        any::<bool>(),
        1u32..=65535,
        1u32..=4000,
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of("[a-z]([a-z0-9-]{0,9}[a-z0-9])?"),
        any::<bool>(),
    );
    let service =
        (0u32..=50, 0u32..=600, 0u32..=100, 0usize..RETENTIONS.len(), proptest::option::of("[a-z][a-z0-9-]{0,20}"));
    let container = (
        "[a-z][a-z0-9_-]{0,15}",
        1u32..=65535,
        6u32..=4096,
        proptest::option::of(0u32..=4096),
        proptest::collection::btree_map("[A-Z_][A-Z0-9_]{0,10}", "[ -~]{0,20}", 0..4),
        any::<bool>(),
        proptest::collection::btree_map("S_[A-Z0-9_]{0,10}", 0usize..SECRET_ARNS.len(), 0..3),
    );
    let existing_vpc = proptest::bool::weighted(0.2);
    // The options beyond the CDK pattern, each drawn too.
    let capacity_options = (
        0usize..3, // draining: hook, managed, none
        proptest::option::weighted(0.3, (0usize..=3, 0u32..=2, 0u32..=100, proptest::option::of(1u32..=100))), // spot
        any::<bool>(), // update policy replacing
        proptest::option::weighted(0.2, "[0-9a-f]{17}"), // pinned AMI
        0usize..IMAGES.len(), // machine image, whatever the architecture
    );
    // The task beyond one container, and several services.
    let task_options = (
        // sidecar: memory, port, waited for, its own process settings
        proptest::option::weighted(0.4, (6u32..=128, any::<bool>(), any::<bool>(), any::<bool>())),
        proptest::option::weighted(0.4, (0usize..3, any::<bool>())), // volume: scratch, host, EFS; read-only
        proptest::option::weighted(0.3, (0usize..5, any::<bool>())), // placement: a strategy, distinct instances
        0usize..=3,                                                  // more services, routed by path
    );
    let service_options = (
        proptest::option::weighted(
            0.3,
            (1u32..=5, 0u32..=20, proptest::option::of(10u32..=90), proptest::option::of(1u32..=5000)),
        ),
        proptest::option::of(1u32..=4096),                                        // cpu
        (5u32..=300, 2u32..=120, 2u32..=10, 2u32..=10, 0usize..3, any::<bool>()), // health check
        0u32..=3600,                                                              // deregistration delay
        (any::<bool>(), any::<bool>()),                                           // circuit breaker
        proptest::option::of(any::<bool>()),                                      // image repository: name or ARN
        // a release: strategy, canary or step percent in tenths, bake minutes, test listener,
        // auto alarms, a hook
        proptest::option::weighted(
            0.4,
            (0usize..3, 1u32..=1000, 0u32..=60, any::<bool>(), any::<bool>(), any::<bool>()),
        ),
    );
    let observability = (
        0usize..3,
        any::<bool>(),
        proptest::collection::btree_map("[a-z][a-z0-9-]{0,10}", "[a-zA-Z0-9 ._-]{0,20}", 0..4),
    );
    let options = (capacity_options, service_options, observability, task_options);
    (vpc, capacity, lb, service, container, existing_vpc, options).prop_map(
        |(vpc, cap, lb, svc, ct, existing, options)| {
            let mut c = Config { stack_name: format!("S{}", vpc.0), ..Config::default() };
            c.vpc.max_azs = vpc.0;
            c.vpc.cidr = format!("10.{}.0.0/{}", vpc.1, vpc.1);
            c.vpc.nat_gateways = Some(vpc.2.min(vpc.0));
            if existing {
                c.vpc = VpcConfig {
                    existing: Some(ExistingVpcConfig {
                        vpc_id: "vpc-0123456789abcdef0".into(),
                        public_subnet_ids: vec!["subnet-0aaaaaaaaaaaaaaa1".into(), "subnet-0aaaaaaaaaaaaaaa2".into()],
                        private_subnet_ids: vec!["subnet-0bbbbbbbbbbbbbbb1".into(), "subnet-0bbbbbbbbbbbbbbb2".into()],
                    }),
                    ..VpcConfig::default()
                };
            }
            c.capacity.instance_type = INSTANCE_TYPES[cap.0].into();
            c.capacity.max_capacity = cap.1;
            c.capacity.min_capacity = cap.2.min(cap.1);
            c.capacity.desired_capacity = cap.3.then_some(cap.1);
            c.capacity.root_volume_gib = cap.4;
            c.capacity.task_drain_time_seconds = cap.5;
            c.load_balancer.public = lb.0;
            // An internal load balancer in an existing VPC must be told the VPC's range; the others
            // take their default, or a range given.
            if !lb.0 && existing || cap.5 % 2 == 1 {
                c.load_balancer.allowed_cidrs = Some(vec!["10.40.0.0/16".into(), "192.168.1.0/24".into()]);
            }
            let (https, redirect) = (lb.3, lb.4);
            c.load_balancer.listener_port = Some(lb.1);
            if https {
                c.load_balancer.protocol = Protocol::Https;
                c.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/abc-123".into());
                c.load_balancer.redirect_http = redirect;
                if redirect != Some(false) && lb.1 == 80 {
                    c.load_balancer.listener_port = Some(443);
                }
            }
            if let Some(label) = lb.5 {
                c.load_balancer.domain_name = Some(format!("{label}.example.com"));
                c.load_balancer.hosted_zone_id = Some("Z0123456789ABCDEFGHIJ".into());
            }
            if lb.6 && cap.5 != 0 {
                c.capacity.drain_topic_kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/abcd-1234".into());
            }
            c.load_balancer.idle_timeout_seconds = lb.2;
            c.service.desired_count = svc.0;
            c.service.health_check_grace_period_seconds = svc.1;
            c.service.min_healthy_percent = svc.2;
            c.service.max_healthy_percent = 200;
            c.service.log_retention_days = RETENTIONS[svc.3];
            c.service.name = svc.4;
            c.service.container.name = Some(ct.0);
            c.service.container.port = Some(ct.1);
            // A task must fit the instance type by memory (a rule of its own).
            let installed = ecs_alb::aws::instance_memory_mib(&c.capacity.instance_type).unwrap_or(u32::MAX);
            let limit = ct.2.min(installed);
            c.service.container.memory_limit_mib = Some(limit);
            c.service.container.memory_reservation_mib = ct.3.map(|r| r.min(limit).max(6));
            c.service.container.environment = ct.4.into_iter().collect();
            c.service.container.image_parameter = ct.5;
            // The sample image is x86_64 only (ecs-alb refuses it on Graviton): others there.
            let arm = ecs_alb::config::Architecture::of_instance_type(&c.capacity.instance_type)
                == ecs_alb::config::Architecture::Arm64;
            let image = CONTAINER_IMAGES[(svc.0 as usize + usize::from(arm)) % CONTAINER_IMAGES.len()];
            c.service.container.image =
                Some(if arm && image == CONTAINER_IMAGES[0] { CONTAINER_IMAGES[1] } else { image }.into());
            c.service.container.secrets = ct.6.into_iter().map(|(name, i)| (name, SECRET_ARNS[i].to_owned())).collect();
            with_options(&mut c, options);
            c
        },
    )
}

type CapacityOptions = (usize, Option<(usize, u32, u32, Option<u32>)>, bool, Option<String>, usize);
type TaskOptions = (Option<(u32, bool, bool, bool)>, Option<(usize, bool)>, Option<(usize, bool)>, usize);
type ServiceOptions = (
    Option<(u32, u32, Option<u32>, Option<u32>)>,
    Option<u32>,
    (u32, u32, u32, u32, usize, bool),
    u32,
    (bool, bool),
    Option<bool>,
    Option<(usize, u32, u32, bool, bool, bool)>,
);
type Observability = (usize, bool, std::collections::BTreeMap<String, String>);

/// Spot pools of each architecture, none of them among INSTANCE_TYPES.
const SPOT_TYPES_X86: [&str; 3] = ["t3a.medium", "m5a.large", "c5.large"];
const SPOT_TYPES_ARM: [&str; 3] = ["t4g.medium", "m6g.large", "c7g.large"];
const MATCHERS: [&str; 3] = ["200", "200-299", "200,204"];

/// Draws the options beyond the reference app onto `c`, keeping it valid.
fn with_options(
    c: &mut Config,
    (capacity, service, observability, task): (CapacityOptions, ServiceOptions, Observability, TaskOptions),
) {
    let (draining, spot, replacing, ami, image) = capacity;
    c.capacity.machine_image = IMAGES[image];
    c.capacity.draining = [Draining::Hook, Draining::Managed, Draining::None][draining];
    if c.capacity.draining != Draining::Hook {
        // The drain time and the topic's key belong to the hook.
        c.capacity.task_drain_time_seconds = 300;
        c.capacity.drain_topic_kms_key_arn = None;
    }
    let arm = Architecture::of_instance_type(&c.capacity.instance_type) == Architecture::Arm64;
    if let Some((types, base, percent, price)) = spot {
        let pool = if arm { SPOT_TYPES_ARM } else { SPOT_TYPES_X86 };
        c.capacity.spot = Some(SpotConfig {
            instance_types: pool[..types].iter().map(|t| t.to_string()).collect(),
            on_demand_base_capacity: base,
            on_demand_percentage: percent,
            max_price: price.map(|cents| f64::from(cents) / 100.0),
        });
    }
    // A replacing update cannot drain protected instances (managed draining): a refresh there,
    // and with a pinned image too, with checkpoints and a bake time.
    if replacing && (c.capacity.draining == Draining::Managed || ami.is_some()) {
        c.capacity.update_policy = InstanceUpdatePolicy::Refresh;
        c.capacity.refresh = Some(RefreshConfig {
            checkpoints: vec![50, 100],
            checkpoint_delay_seconds: Some(600),
            bake_time_seconds: 300,
            alarms: vec!["service-5xx".into()],
            ..RefreshConfig::default()
        });
    } else if replacing {
        c.capacity.update_policy = InstanceUpdatePolicy::Replacing;
    }
    c.capacity.image_id = ami.map(|hex| format!("ami-{hex}"));

    let (scaling, cpu, health, deregistration, breaker, repository, release) = service;
    c.service.container.cpu = cpu;
    if let Some((min, extra, cpu_target, requests)) = scaling {
        // CPU tracking measures against the reserved CPU.
        let cpu_target = if cpu.is_some() { cpu_target } else { None };
        let requests = if cpu.is_none() { requests.or(Some(1000)) } else { requests };
        c.service.auto_scaling = Some(AutoScalingConfig {
            min,
            max: min + extra,
            target_cpu_percent: cpu_target,
            target_requests_per_target: requests,
        });
    }
    let (interval, timeout, healthy, unhealthy, matcher, own_path) = health;
    let hc = &mut c.load_balancer.health_check;
    hc.interval_seconds = interval;
    hc.timeout_seconds = timeout.min(interval - 1).clamp(2, 120);
    if hc.timeout_seconds >= hc.interval_seconds {
        hc.interval_seconds = hc.timeout_seconds + 1;
    }
    hc.healthy_threshold = healthy;
    hc.unhealthy_threshold = unhealthy;
    hc.matcher = MATCHERS[matcher].into();
    // The sample image answers only `/`.
    if own_path && c.service.container.image() != CONTAINER_IMAGES[0] {
        hc.path = "/healthz".into();
    }
    c.load_balancer.deregistration_delay_seconds = deregistration;
    c.service.circuit_breaker.enabled = breaker.0;
    c.service.circuit_breaker.rollback = breaker.1;
    if let (true, Some(arn)) = (c.service.container.image_parameter, repository) {
        c.service.container.image_repository =
            Some(if arn { "arn:aws:ecr:eu-west-1:210987654321:repository/team/shop".into() } else { "shop".into() });
    }

    if let Some((strategy, tenths, bake, test_listener, auto_alarms, hook)) = release {
        let d = &mut c.service.deployment;
        d.strategy = [DeploymentStrategy::BlueGreen, DeploymentStrategy::Canary, DeploymentStrategy::Linear][strategy];
        d.bake_time_minutes = Some(bake);
        // A tenth that binary floating point cannot divide by 0.1 (64.1) is a warning of
        // ecs-alb's and an E3002 of cfn-lint's (src/config/validate/service.rs); draw whole percents then.
        let percent = match f64::from(tenths) / 10.0 {
            p if (p / 0.1).fract() == 0.0 => p,
            p => p.round().max(1.0),
        };
        match d.strategy {
            DeploymentStrategy::Canary => d.canary = Some(CanaryConfig { percent, bake_time_minutes: bake }),
            // A step moves at least 3 percent.
            DeploymentStrategy::Linear => {
                d.linear = Some(LinearConfig { step_percent: percent.max(3.0), step_bake_time_minutes: bake })
            }
            _ => {}
        }
        // Any port but the production listener's and the redirect's.
        d.test_listener_port =
            test_listener.then_some(if c.load_balancer.listener_port == Some(9000) { 9001 } else { 9000 });
        d.auto_alarms = auto_alarms;
        d.hooks = match hook {
            true => vec![HookConfig {
                stage: HookStage::PostTestTrafficShift,
                function_arn: "arn:aws:lambda:us-east-1:123456789012:function:smoke-test".into(),
                timeout_minutes: Some(bake + 1),
                on_timeout: HookTimeoutAction::Rollback,
            }],
            false => Vec::new(),
        };
        // A release needs tasks to shift traffic to.
        c.service.desired_count = c.service.desired_count.max(1);
    }

    let (insights, access_logs, tags) = observability;
    c.observability.container_insights =
        [ContainerInsights::Enabled, ContainerInsights::Enhanced, ContainerInsights::Disabled][insights];
    c.observability.access_logs = access_logs;
    c.tags = tags.into_iter().collect();
    if c.capacity.draining == Draining::Managed || c.service.deployment.auto_alarms {
        // The capacity provider and the alarms refuse empty tag values (validation says so).
        c.tags.retain(|_, value| !value.is_empty());
    }
    with_task_options(c, task);
}

const STRATEGIES: [PlacementStrategyName; 5] = [
    PlacementStrategyName::SpreadAz,
    PlacementStrategyName::SpreadInstance,
    PlacementStrategyName::BinpackMemory,
    PlacementStrategyName::BinpackCpu,
    PlacementStrategyName::Random,
];

/// A sidecar, a volume and placement on the service, then perhaps more services beside it,
/// keeping the configuration valid (memory that fits, a drain that outlasts the longer stop).
fn with_task_options(c: &mut Config, (sidecar, volume, placement, more_services): TaskOptions) {
    let svc = &mut c.service;
    if let Some((memory, port, waited_for, own_process)) = sidecar {
        let main_limit = svc.container.memory_limit_mib.unwrap_or(512);
        // Room for it beside the main container on the instance.
        let memory = memory.min(main_limit.saturating_sub(6)).max(6);
        svc.container.memory_limit_mib = Some((main_limit - memory).max(6));
        svc.container.memory_reservation_mib =
            svc.container.memory_reservation_mib.map(|r| r.min(main_limit - memory).max(6));
        let mut cache = ContainerConfig {
            name: Some("cache".into()),
            image: Some("public.ecr.aws/docker/library/redis:7-alpine".into()),
            memory_limit_mib: Some(memory),
            port: port.then_some(6379),
            ..ContainerConfig::default()
        };
        if own_process {
            // Every container field a sidecar takes (one container type), as ECS takes them.
            cache.entry_point = vec!["docker-entrypoint.sh".into()];
            cache.command = vec!["redis-server".into(), "--save".into(), String::new()];
            cache.working_directory = Some("/data".into());
            cache.user = Some("999:999".into());
            cache.docker_labels = [("com.example.role".to_owned(), "cache".to_owned())].into_iter().collect();
            cache.ulimits = vec![UlimitConfig { name: UlimitName::Nofile, soft: 10_000, hard: 10_000 }];
            cache.readonly_root_filesystem = true;
        }
        svc.sidecars.push(cache);
        if waited_for {
            svc.container.depends_on =
                vec![DependencyConfig { container: "cache".into(), condition: ContainerCondition::Start }];
        }
    }
    if let Some((kind, read_only)) = volume {
        // EFS needs the file system's VPC, and Bottlerocket mounts it without TLS or IAM.
        let efs = kind == 2 && c.vpc.existing.is_some();
        let bottlerocket = c.capacity.machine_image == MachineImage::Bottlerocket;
        svc.volumes.push(VolumeConfig {
            name: "data".into(),
            efs: efs.then(|| EfsVolumeConfig {
                file_system_id: "fs-0123456789abcdef0".into(),
                security_group_id: "sg-0123456789abcdef0".into(),
                transit_encryption: !bottlerocket,
                iam_authorization: !bottlerocket,
                ..EfsVolumeConfig::default()
            }),
            host_path: (kind == 1).then(|| "/var/cache/app".into()),
        });
        svc.container.mount_points =
            vec![MountPointConfig { volume: "data".into(), container_path: "/data".into(), read_only }];
    }
    if let Some((strategy, distinct)) = placement {
        svc.placement = Some(PlacementConfig {
            strategy: vec![STRATEGIES[strategy]],
            constraints: if distinct { vec!["distinct-instance".into()] } else { vec![] },
        });
    }
    // The longest stop: the main container, then the sidecar it waits for (30 s each).
    if c.capacity.draining == Draining::Hook && c.capacity.task_drain_time_seconds != 0 {
        let needed = c.load_balancer.deregistration_delay_seconds + 60 + 30;
        c.capacity.task_drain_time_seconds = c.capacity.task_drain_time_seconds.max(needed);
    }
    if more_services > 0 {
        // The service as the default route of `services`, and the others on paths of their own
        // (no two routes overlap, so their derived priorities need no order given).
        let mut first = std::mem::take(&mut c.service);
        first.routing = None;
        let mut others = Vec::new();
        for i in 1..=more_services {
            let mut other = first.clone();
            other.name = None;
            other.container.name = Some(format!("app{i}"));
            other.routing = Some(RoutingConfig { path_patterns: vec![format!("/s{i}/*")], ..RoutingConfig::default() });
            others.push((format!("s{i}"), other));
        }
        c.services.insert("web".into(), first);
        c.services.extend(others);
    }
}

/// The sample image, a public multi-architecture one, and a private ECR one (with its grant).
const CONTAINER_IMAGES: [&str; 3] = [
    "amazon/amazon-ecs-sample",
    "public.ecr.aws/nginx/nginx:stable",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4",
];

#[test]
fn random_valid_configs_give_deterministic_templates_cfn_lint_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(RunnerConfig { cases: VALID_CASES, ..RunnerConfig::default() });
    let written = std::cell::RefCell::new(Vec::new());
    runner
        .run(&valid_config(), |config| {
            let valid =
                config.clone().validate().map_err(|d| TestCaseError::fail(format!("{config:?} is invalid: {d:?}")))?;
            let first = synthesize(&valid, SynthOptions::default()).unwrap().to_json_pretty().unwrap();
            let second = synthesize(&valid, SynthOptions::default()).unwrap().to_json_pretty().unwrap();
            prop_assert_eq!(&first, &second);
            let path = dir.path().join(format!("case-{}.json", written.borrow().len()));
            std::fs::write(&path, first).unwrap();
            written.borrow_mut().push(path);
            Ok(())
        })
        .unwrap();
    let written = written.into_inner();
    assert!(written.len() >= VALID_CASES as usize);

    let out =
        Command::new(venv_tool("cfn-lint")).arg("--include-checks").arg("I").arg("--").args(&written).output().unwrap();
    let findings = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && findings.trim().is_empty(),
        "cfn-lint on {} random templates:\n{findings}",
        written.len()
    );
}

#[test]
fn random_out_of_range_values_are_refused_with_the_field_named() {
    type Breaker = fn(&mut Config, u32) -> ();
    let cases: [(&str, Breaker, std::ops::Range<u32>); 8] = [
        ("vpc.max_azs", |c, v| c.vpc.max_azs = v, 7..1000),
        ("capacity.root_volume_gib", |c, v| c.capacity.root_volume_gib = v, 0..30),
        ("capacity.task_drain_time_seconds", |c, v| c.capacity.task_drain_time_seconds = v, 1..30),
        ("load_balancer.listener_port", |c, v| c.load_balancer.listener_port = Some(v), 65536..u32::MAX),
        ("load_balancer.idle_timeout_seconds", |c, v| c.load_balancer.idle_timeout_seconds = v, 4001..u32::MAX),
        ("service.min_healthy_percent", |c, v| c.service.min_healthy_percent = v, 101..u32::MAX),
        ("service.container.port", |c, v| c.service.container.port = Some(v), 65536..u32::MAX),
        ("service.container.cpu", |c, v| c.service.container.cpu = Some(v), 10241..u32::MAX),
    ];
    let mut runner = TestRunner::new(RunnerConfig { cases: 64, ..RunnerConfig::default() });
    for (field, break_it, range) in cases {
        runner
            .run(&range, |value| {
                let mut config = Config::default();
                break_it(&mut config, value);
                let diagnostics = config.validate().expect_err("an out-of-range value is refused");
                for d in &diagnostics {
                    prop_assert!(ecs_alb::config::schema_has_field(&d.field), "no field {:?}", d.field);
                }
                prop_assert!(
                    diagnostics.iter().any(|d| d.field == field && d.message.starts_with(&value.to_string())),
                    "{field} = {value}: {diagnostics:?}"
                );
                Ok(())
            })
            .unwrap();
    }
}
