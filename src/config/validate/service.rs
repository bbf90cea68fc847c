//! The rules of the configuration's service: its container, image, secrets, scaling, logs, and the tags.

use super::{ContainerAt, MAX_NAME_LEN, Rules, ServiceAt, has_id, is_arn, quoted};
use crate::aws::{Architecture, SecretSource};
use crate::bounds;
use crate::config::{Config, DeploymentStrategy, Draining, FieldPath};
use crate::constructs::container::SAMPLE_IMAGE;
use crate::ecr;

const MAX_TASKS_PER_SERVICE: u32 = 5000;
const MAX_GRACE_PERIOD_SECONDS: u32 = 2_147_483_647;
/// Docker refuses a container limit below 6 MiB.
const MIN_CONTAINER_MEMORY_MIB: u32 = 6;
const MAX_CONTAINER_CPU: u32 = 10240;
pub(super) const LOG_RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The settings of one service, `service` or an entry of `services`, reported under its own path.
pub(super) fn check_service(v: &mut Rules, c: &Config, s: &ServiceAt<'_>) {
    let svc = s.svc;
    if let Some(name) = &svc.name {
        v.name(&s.field("name"), name);
    }
    if svc.desired_count > MAX_TASKS_PER_SERVICE {
        v.fail(&s.field("desired_count"), svc.desired_count, "must be at most 5000 (ECS's tasks per service)");
    }
    if svc.health_check_grace_period_seconds > MAX_GRACE_PERIOD_SECONDS {
        v.fail(
            &s.field("health_check_grace_period_seconds"),
            svc.health_check_grace_period_seconds,
            "must be at most 2147483647",
        );
    }
    v.range(&s.field("min_healthy_percent"), svc.min_healthy_percent, bounds::PERCENT);
    if svc.max_healthy_percent < 100 {
        v.fail(&s.field("max_healthy_percent"), svc.max_healthy_percent, "must be at least 100");
    } else if svc.max_healthy_percent <= svc.min_healthy_percent {
        v.fail(
            &s.field("max_healthy_percent"),
            svc.max_healthy_percent,
            format!(
                "must exceed {} ({}), or a deployment can neither start nor stop a task",
                s.field("min_healthy_percent"),
                svc.min_healthy_percent
            ),
        );
    }
    if let Some(scaling) = &svc.auto_scaling {
        let field = |name: &str| s.field("auto_scaling").field(name);
        if scaling.min == 0 {
            v.fail(&field("min"), 0, "must be at least 1: the service needs a task to answer requests");
        }
        if scaling.max > MAX_TASKS_PER_SERVICE {
            v.fail(&field("max"), scaling.max, "must be at most 5000 (ECS's tasks per service)");
        } else if scaling.max < scaling.min {
            v.fail(&field("max"), scaling.max, format!("must be at least {} ({})", field("min"), scaling.min));
        }
        v.range_if_set(&field("target_cpu_percent"), scaling.target_cpu_percent, bounds::TARGET_CPU_PERCENT);
        v.range_if_set(
            &field("target_requests_per_target"),
            scaling.target_requests_per_target,
            bounds::TARGET_REQUESTS,
        );
        if let (Some(cpu), None) = (scaling.cpu_target(), svc.container.cpu) {
            v.fail_hint(
                &field("target_cpu_percent"),
                cpu,
                format!(
                    "needs {}: ECS measures a service's CPU use against what its tasks reserve",
                    s.field("container.cpu")
                ),
                format!(
                    "set {} (1024 = one vCPU), or scale on target_requests_per_target alone",
                    s.field("container.cpu")
                ),
            );
        }
    }
    if !LOG_RETENTION_DAYS.contains(&svc.log_retention_days) {
        let nearest = LOG_RETENTION_DAYS.iter().min_by_key(|d| d.abs_diff(svc.log_retention_days)).copied();
        v.fail_hint(
            &s.field("log_retention_days"),
            svc.log_retention_days,
            "is not one of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
            format!("the nearest is {}", nearest.unwrap_or(365)),
        );
    }
    check_deployment(v, c, s);
    check_image_source(v, c, s);
    for container in s.containers() {
        check_container_basics(v, &container);
    }
}

/// What every container of the task must be: named, with a pullable image, memory ECS can
/// reserve, and variables ECS can set.
fn check_container_basics(v: &mut Rules, ct: &ContainerAt<'_>) {
    let field = |name: &str| ct.field.field(name);
    check_role(v, ct);
    if let Some(name) = &ct.name {
        v.name(&field("name"), name);
    }
    v.range_if_set(&field("port"), ct.port, bounds::PORT);
    v.range_if_set(&field("stop_timeout_seconds"), ct.stop_timeout_seconds, bounds::STOP_TIMEOUT_SECONDS);
    if let Some(hc) = &ct.health_check {
        let check = |name: &str| ct.field.field("health_check").field(name);
        v.range(&check("interval_seconds"), hc.interval_seconds, bounds::CONTAINER_CHECK_INTERVAL_SECONDS);
        v.range(&check("timeout_seconds"), hc.timeout_seconds, bounds::CONTAINER_CHECK_TIMEOUT_SECONDS);
        v.range(&check("retries"), hc.retries, bounds::CONTAINER_CHECK_RETRIES);
        v.range(&check("start_period_seconds"), hc.start_period_seconds, bounds::CONTAINER_CHECK_START_PERIOD_SECONDS);
    }
    let image = ct.image.as_deref().unwrap_or_default();
    if ct.image.is_none() {
        // (Reported with the other fields a sidecar must have.)
    } else if image.is_empty()
        || image.len() > MAX_NAME_LEN
        || image.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        v.fail_str(&field("image"), image, "must be 1 to 255 characters without spaces, such as nginx:1.27");
    } else if image.contains(".dkr.ecr") && ecr::Repository::of_image(image).is_none() {
        v.fail_str(
            &field("image"),
            image,
            "looks like a private ECR image but is not one: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG], NAME in lowercase",
        );
    }
    match (ct.memory_limit_mib, ct.memory_reservation_mib) {
        (None, None) => v.fail(
            &field("memory_limit_mib"),
            "null",
            format!("must be set when {} is not: ECS needs one of them on EC2", field("memory_reservation_mib")),
        ),
        (Some(limit), reservation) => {
            if limit < MIN_CONTAINER_MEMORY_MIB {
                v.fail(&field("memory_limit_mib"), limit, "must be at least 6 (Docker's minimum)");
            }
            if let Some(reservation) = reservation.filter(|r| *r > limit) {
                v.fail(
                    &field("memory_reservation_mib"),
                    reservation,
                    format!("must be at most {} ({limit})", field("memory_limit_mib")),
                );
            }
        }
        (None, Some(reservation)) if reservation < MIN_CONTAINER_MEMORY_MIB => {
            v.fail(&field("memory_reservation_mib"), reservation, "must be at least 6 (Docker's minimum)");
        }
        (None, Some(_)) => {}
    }
    if let Some(cpu) = ct.cpu.filter(|cpu| *cpu > MAX_CONTAINER_CPU) {
        v.fail(&field("cpu"), cpu, "must be at most 10240 (10 vCPUs)");
    }
    for name in ct.environment.keys() {
        check_variable_name(v, &field("environment"), name);
    }
    for (name, arn) in &ct.secrets {
        let secret_field = field("secrets").key(name);
        check_variable_name(v, &field("secrets"), name);
        if ct.environment.contains_key(name) {
            v.fail_str(
                &secret_field,
                name,
                &format!("is also in {}; a variable comes from one or the other", field("environment")),
            );
        }
        match secret_source(arn) {
            Ok(_) => {}
            Err(rule) => v.fail_str(&secret_field, arn, rule),
        }
    }
}

/// ECS's limit on a deployment's alarms ("DeploymentAlarms", ECS API Reference).
const MAX_DEPLOYMENT_ALARMS: usize = 10;
/// CloudFormation refuses a canary release whose bake times add up to more than 33 hours, to stay
/// within its own 36-hour limit ("AWS::ECS::Service CanaryConfiguration").
const MAX_CANARY_MINUTES: u32 = 33 * 60;

/// A release strategy's settings, as ECS takes them ("CanaryConfiguration", "LinearConfiguration",
/// ECS API Reference), and only with the strategy they are for.
fn check_deployment(v: &mut Rules, c: &Config, s: &ServiceAt<'_>) {
    let d = &s.svc.deployment;
    let field = |name: &str| s.field("deployment").field(name);
    v.range_if_set(&field("bake_time_minutes"), d.bake_time_minutes, bounds::BAKE_MINUTES);
    let strategy = crate::config::task::written_name(d.strategy);
    let only_with = |wanted: &str| format!("is only for strategy {wanted} ({} is {strategy})", field("strategy"));
    if let Some(canary) = &d.canary {
        if d.strategy != DeploymentStrategy::Canary {
            v.fail(&field("canary"), "set", only_with("canary"));
        }
        check_percent(v, &field("canary.percent"), canary.percent, 0.1);
        v.range(&field("canary.bake_time_minutes"), canary.bake_time_minutes, bounds::BAKE_MINUTES);
        let total = d.bake_time_minutes.unwrap_or(0) + canary.bake_time_minutes;
        // Out of its own range, a number is reported there, not here again.
        let in_range = d.bake_time_minutes.is_none_or(|m| bounds::BAKE_MINUTES.contains(m))
            && bounds::BAKE_MINUTES.contains(canary.bake_time_minutes);
        if in_range && total > MAX_CANARY_MINUTES {
            v.fail(
                &field("canary.bake_time_minutes"),
                canary.bake_time_minutes,
                format!(
                    "with {} makes {total} minutes: CloudFormation refuses a canary release above 33 hours (1980 minutes)",
                    field("bake_time_minutes")
                ),
            );
        }
    }
    if let Some(linear) = &d.linear {
        if d.strategy != DeploymentStrategy::Linear {
            v.fail(&field("linear"), "set", only_with("linear"));
        }
        check_percent(v, &field("linear.step_percent"), linear.step_percent, 3.0);
        v.range(&field("linear.step_bake_time_minutes"), linear.step_bake_time_minutes, bounds::BAKE_MINUTES);
    }
    if d.strategy.is_release() && s.svc.auto_scaling.is_none() && s.svc.desired_count == 0 {
        v.fail(
            &field("strategy"),
            &strategy,
            format!("needs tasks to shift traffic to: {} is 0", s.field("desired_count")),
        );
    }
    let auto_alarms = if d.auto_alarms { AUTO_ALARMS } else { 0 };
    if d.alarms.len() + auto_alarms > MAX_DEPLOYMENT_ALARMS {
        let with_auto = match d.auto_alarms {
            true => format!(" with the {AUTO_ALARMS} of {}", field("auto_alarms")),
            false => String::new(),
        };
        v.fail(
            &field("alarms"),
            format!("{} alarms", d.alarms.len()),
            format!("are too many{with_auto}: ECS watches at most 10"),
        );
    }
    check_release_only(v, c, s);
    for (i, alarm) in d.alarms.iter().enumerate() {
        if alarm.is_empty() || alarm.len() > MAX_NAME_LEN {
            v.fail_str(&field("alarms").index(i), alarm, "must be a CloudWatch alarm's name, 1 to 255 characters");
        }
    }
}

/// The alarms `deployment.auto_alarms` makes: the 5xx rate and the unhealthy targets.
const AUTO_ALARMS: usize = 2;

/// What only a blue-green, canary or linear release uses: the test listener and the hooks
/// ("Lifecycle hooks for Amazon ECS service deployments", ECS Developer Guide: a rolling
/// deployment has no such stages).
fn check_release_only(v: &mut Rules, c: &Config, s: &ServiceAt<'_>) {
    let d = &s.svc.deployment;
    let field = |name: &str| s.field("deployment").field(name);
    let strategy = crate::config::task::written_name(d.strategy);
    let rolling = !d.strategy.is_release();
    let needs_release = |what: &str| {
        format!("{what} only in a blue-green, canary or linear release ({} is {strategy})", field("strategy"))
    };
    if let Some(port) = d.test_listener_port {
        if rolling {
            v.fail(&field("test_listener_port"), port, needs_release("takes test traffic"));
        }
        v.range(&field("test_listener_port"), port, bounds::PORT);
        if bounds::PORT.contains(port) {
            let lb = &c.load_balancer;
            let production = lb.listener_port.unwrap_or(lb.protocol.default_port());
            let redirect = crate::aws::ListenerProtocol::Http.default_port();
            if port == production {
                v.fail(
                    &field("test_listener_port"),
                    port,
                    "is the production listener's port (load_balancer.listener_port): test traffic needs a port of its own",
                );
            } else if lb.redirects_http() && port == redirect {
                v.fail(&field("test_listener_port"), port, "is taken by the HTTP-to-HTTPS redirect; pick another port");
            }
        }
    }
    if rolling && !d.hooks.is_empty() {
        let (hooks, run) = match d.hooks.len() {
            1 => ("1 hook".to_owned(), "runs"),
            n => (format!("{n} hooks"), "run"),
        };
        v.fail(&field("hooks"), hooks, needs_release(run));
    }
    for (i, hook) in d.hooks.iter().enumerate() {
        let at = field("hooks").index(i);
        // "DeploymentLifecycleHook": only Lambda function ARNs are supported (ECS API Reference).
        let is_function = is_arn(&hook.function_arn, "lambda", |region, resource| {
            !region.is_empty() && has_id(resource, "function:")
        });
        if !is_function {
            v.fail_str(
                &at.field("function_arn"),
                &hook.function_arn,
                "must be a Lambda function's ARN: arn:aws:lambda:REGION:ACCOUNT:function:NAME",
            );
        }
        v.range_if_set(&at.field("timeout_minutes"), hook.timeout_minutes, bounds::HOOK_TIMEOUT_MINUTES);
    }
}

/// A traffic share as ECS takes it: a multiple of 0.1, from `min` to 100.
fn check_percent(v: &mut Rules, field: &FieldPath, percent: f64, min: f64) {
    let tenths = percent * 10.0;
    let whole_tenths = (tenths - tenths.round()).abs() < 1e-9;
    if !(min..=100.0).contains(&percent) || !whole_tenths {
        v.fail(field, percent, format!("must be a multiple of 0.1 from {min} to 100"));
    } else if !binary_multiple_of_a_tenth(percent) {
        v.warn(
            field,
            &format!(
                "{percent} is a multiple of 0.1, but not in binary floating point ({percent} / 0.1 = {}): cfn-lint's check of the schema's multipleOf (E3002) flags it, and AWS does not say how its own check counts; a whole or half percent avoids the question",
                percent / 0.1
            ),
        );
    }
}

/// Whether `percent / 0.1` is a whole number in binary floating point, as JSON Schema validators
/// that divide (cfn-lint's, python-jsonschema's) compute `multipleOf`: 10.0 is, 64.1 is not.
fn binary_multiple_of_a_tenth(percent: f64) -> bool {
    let quotient = percent / 0.1;
    quotient.fract() == 0.0
}

/// What is only for the service's container, or only for a sidecar; what a sidecar must have.
fn check_role(v: &mut Rules, ct: &ContainerAt<'_>) {
    let field = |name: &str| ct.field.field(name);
    if ct.main {
        if !ct.essential {
            v.fail(
                &field("essential"),
                false,
                "is not allowed on the service's container: the load balancer sends to it, so the task ends with it",
            );
        }
        return;
    }
    for (name, set) in [("name", ct.name.is_none()), ("image", ct.image.is_none())] {
        if set {
            v.fail(&field(name), "null", "must be set: a sidecar has no default");
        }
    }
    let main_only = "is for the service's container (service.container): a sidecar's image is fixed";
    if ct.image_parameter {
        v.fail(&field("image_parameter"), true, main_only);
    }
    if let Some(repository) = &ct.image_repository {
        v.fail_str(&field("image_repository"), repository, main_only);
    }
}

/// The built-in sample image: Apache serving one page, built for x86_64 only.
const SAMPLE_IMAGE_PATHS: [&str; 2] = ["/", "/index.html"];

/// Where the image comes from: a private ECR repository must be named so the execution role can
/// pull from it, and the sample image must be able to run and answer the health check.
fn check_image_source(v: &mut Rules, c: &Config, s: &ServiceAt<'_>) {
    let ct = &s.svc.container;
    let field = s.field("container.image_repository");
    match (&ct.image_repository, ct.image_parameter) {
        (Some(repository), false) => v.fail_str(
            &field,
            repository,
            &format!(
                "is for images deployed through the ContainerImage parameter ({}: true); a fixed image's repository is read from {}",
                s.field("container.image_parameter"),
                s.field("container.image")
            ),
        ),
        (Some(repository), true) if ecr::Repository::parse(repository).is_none() => v.fail_str(
            &field,
            repository,
            "must be a private ECR repository: its name (such as team/shop), its ARN (arn:aws:ecr:REGION:ACCOUNT:repository/NAME) or its URI",
        ),
        (Some(_), true) | (None, false) => {}
        (None, true) => v.warn(
            &s.field("container.image_parameter"),
            &format!(
                "true: an image from a private ECR repository deployed through ContainerImage cannot be pulled unless {field} names that repository (the task's execution role may pull only from the repositories it knows)"
            ),
        ),
    }
    let image = ct.image();
    let sample = image == SAMPLE_IMAGE || image == format!("{SAMPLE_IMAGE}:latest");
    if !sample {
        return;
    }
    let architecture = c.capacity.architecture();
    // (A malformed instance type has its own rule.)
    if architecture == Architecture::Arm64 && c.capacity.instance_type.contains('.') {
        v.fail_hint(
            &s.field("container.image"),
            quoted(image),
            format!(
                "has no arm64 build and cannot run on capacity.instance_type {} (Graviton)",
                c.capacity.instance_type
            ),
            "use a multi-architecture image, such as public.ecr.aws/nginx/nginx:stable".to_owned(),
        );
    }
    let path = &s.health_check.path;
    // (A path that is not a path at all has its own rule.)
    if path.starts_with('/') && !SAMPLE_IMAGE_PATHS.contains(&path.as_str()) {
        v.fail_hint(
            &s.health_check_path.field("path"),
            quoted(path),
            format!("is not served by {SAMPLE_IMAGE} (it answers only / with 200), so no task would ever be healthy"),
            format!("point the health check at a path your own image serves, with {}", s.field("container.image")),
        );
    }
}

/// AWS allows 50 tags per resource; some resources carry a few of their own (`Name`).
const MAX_USER_TAGS: usize = 45;

pub(super) fn check_tags(v: &mut Rules, c: &Config) {
    if c.tags.len() > MAX_USER_TAGS {
        v.fail(
            "tags",
            c.tags.len(),
            "tags are too many: at most 45 (AWS allows 50 per resource, some are the stack's own)",
        );
    }
    let allowed = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c));
    for (key, value) in &c.tags {
        let field = FieldPath::new("tags").key(key);
        if key.is_empty() || key.chars().count() > 128 || !allowed(key) {
            v.fail_str(&field, key, "must be a tag key: 1 to 128 letters, digits, spaces and _ . : / = + - @");
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            v.fail_str(&field, key, "starts with aws:, which AWS reserves for its own tags");
        }
        if value.chars().count() > 256 || !allowed(value) {
            v.fail_str(&field, value, "must be a tag value: up to 256 letters, digits, spaces and _ . : / = + - @");
        } else if value.is_empty() && c.capacity.draining == Draining::Managed {
            // AWS::ECS::CapacityProvider's schema wants tag values of at least one character.
            v.fail_str(
                &field,
                value,
                "is empty, which CloudFormation refuses on the ECS capacity provider (capacity.draining managed)",
            );
        } else if value.is_empty() && c.service_configs().iter().any(|s| s.deployment.auto_alarms) {
            // AWS::CloudWatch::Alarm's schema wants tag values of at least one character too.
            v.fail_str(
                &field,
                value,
                "is empty, which CloudFormation refuses on the CloudWatch alarms of deployment.auto_alarms",
            );
        }
    }
}

/// `map` is the variables' field, such as `service.container.environment`.
pub(super) fn check_variable_name(v: &mut Rules, map: &FieldPath, name: &str) {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        v.fail_str(
            &map.key(name),
            name,
            "must be a variable name: letters, digits and underscores, not starting with a digit",
        );
    }
}

/// Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN.
const SECRET_SUFFIX_LEN: usize = 6;

pub fn secret_source(arn: &str) -> Result<SecretSource, &'static str> {
    const RULE: &str = "must be the full ARN of an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) or a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)";
    if is_arn(arn, "ssm", |region, resource| !region.is_empty() && has_id(resource, "parameter/")) {
        return Ok(SecretSource::SsmParameter(arn.to_owned()));
    }
    // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX[:JSON_KEY:VERSION_STAGE:VERSION_ID]
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7
        || !is_arn(&parts[..7].join(":"), "secretsmanager", |r, res| !r.is_empty() && res.starts_with("secret:"))
    {
        return Err(RULE);
    }
    if parts.len() != 7 && parts.len() != 10 {
        return Err("must end after the secret's name, or add :JSON_KEY:VERSION_STAGE:VERSION_ID (parts may be empty)");
    }
    let name = parts[6];
    let suffix_ok = name.rsplit_once('-').is_some_and(|(base, suffix)| {
        !base.is_empty() && suffix.len() == SECRET_SUFFIX_LEN && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !suffix_ok {
        return Err(
            "names a secret without the six characters Secrets Manager appends (NAME-AbCdEf): give the full ARN, as `aws secretsmanager describe-secret` prints it, so the grant can name exactly it",
        );
    }
    Ok(SecretSource::SecretsManager(parts[..7].join(":")))
}
