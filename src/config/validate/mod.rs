//! The rules a configuration must follow, checked all at once so every mistake is reported in one run.

use std::ops::Deref;

use super::{Config, ContainerConfig, Diagnostic, FieldPath, HealthCheckConfig, ServiceConfig};
use crate::bounds::{self, Bounds};
use crate::constructs::vpc::NetworkProps;
use crate::model::Model;

mod capacity;
mod load_balancer;
mod network;
mod service;
mod services;
mod task;

use capacity::{check_capacity, check_drain_covers_task_stop};
use load_balancer::{check_allowed_cidrs, check_domain, check_health_check, check_listener};
use network::{check_existing_vpc, check_new_vpc};
use service::check_tags;
pub use service::secret_source;
use services::check_services;
pub(super) use services::priority;

/// Limits more than one section's rules share.
const MAX_NAME_LEN: usize = 255;
const MAX_STACK_NAME_LEN: usize = 128;

/// A configuration that has passed every rule, and the stack it resolves to.
#[derive(Clone, Debug)]
pub struct ValidConfig {
    config: Config,
    model: Model,
    /// What is allowed but will likely need the user's attention, located like errors.
    pub(super) warnings: Vec<Diagnostic>,
}

impl ValidConfig {
    /// What to build: every value the file leaves open decided.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Allowed, but worth a second look (`ecs-alb validate` prints them).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl Deref for ValidConfig {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

impl Config {
    /// Checks every rule; on failure returns one diagnostic per broken rule, ranges first (read from
    /// the schema), then section by section (a file's are put in file order when loaded). A
    /// field counts as set when it differs from its default (a configuration built in code does
    /// not say what was written); `validate_as_written` knows better.
    pub fn validate(self) -> Result<ValidConfig, Vec<Diagnostic>> {
        self.validate_with(Rules::default())
    }

    /// As `validate`, knowing which fields the file wrote (dotted paths): a field the docs say to
    /// leave out is refused when written, even with its default value.
    pub fn validate_as_written(
        self,
        written: std::collections::BTreeSet<String>,
    ) -> Result<ValidConfig, Vec<Diagnostic>> {
        self.validate_with(Rules { written: Some(written), ..Rules::default() })
    }

    fn validate_with(self, mut v: Rules) -> Result<ValidConfig, Vec<Diagnostic>> {
        let c = &self;

        check_stack_name(&mut v, &c.stack_name);

        let network = match &c.vpc.existing {
            Some(existing) => {
                check_existing_vpc(&mut v, c, existing);
                Some(NetworkProps::Existing {
                    vpc_id: existing.vpc_id.clone(),
                    public_subnet_ids: existing.public_subnet_ids.clone(),
                    private_subnet_ids: existing.private_subnet_ids.clone(),
                })
            }
            None => check_new_vpc(&mut v, c),
        };

        check_capacity(&mut v, c);

        check_listener(&mut v, c);
        check_allowed_cidrs(&mut v, c);
        check_domain(&mut v, c);
        let lb = &c.load_balancer;
        v.range("load_balancer.idle_timeout_seconds", lb.idle_timeout_seconds, bounds::IDLE_TIMEOUT_SECONDS);
        v.range(
            "load_balancer.deregistration_delay_seconds",
            lb.deregistration_delay_seconds,
            bounds::DEREGISTRATION_DELAY_SECONDS,
        );
        check_health_check(&mut v, &c.load_balancer.health_check, &FieldPath::new("load_balancer.health_check"));

        check_services(&mut v, c);
        check_drain_covers_task_stop(&mut v, c);
        check_tags(&mut v, c);

        match (v.diagnostics.is_empty(), network) {
            (true, Some(network)) => {
                let model = super::resolve::resolve(&self, network);
                check_generated_policies(&mut v, &model);
                if !v.diagnostics.is_empty() {
                    return Err(v.diagnostics);
                }
                Ok(ValidConfig { config: self, model, warnings: v.warnings })
            }
            _ => Err(v.diagnostics),
        }
    }
}

/// IAM's limit on a role's inline policies together, whitespace not counted ("IAM and AWS STS
/// quotas": role policy size).
const MAX_INLINE_POLICY_CHARS: usize = 10_240;

/// Each task role's policy as the template writes it, the configured statements and the ones
/// ECS Exec and EFS add together, with every ARN at its longest: within IAM's quota.
fn check_generated_policies(v: &mut Rules, model: &Model) {
    for service in &model.services {
        let statements = crate::constructs::task::task_role_statements(&service.task);
        if statements.is_empty() {
            continue;
        }
        let size = crate::resources::iam::PolicyDocument::new(statements).size_at_longest();
        if size > MAX_INLINE_POLICY_CHARS {
            let field = match &service.name {
                Some(name) => services::service_path(name),
                None => FieldPath::new("service"),
            }
            .field("task_role.statements");
            v.fail(
                &field,
                format!("{size} characters"),
                "are too long: IAM takes 10240 for a role's inline policies (these statements with ECS Exec's and EFS's, every ARN at its longest); move some into a managed policy (managed_policy_arns)",
            );
        }
    }
}

fn check_stack_name(v: &mut Rules, name: &str) {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.len() <= MAX_STACK_NAME_LEN;
    if !well_formed {
        v.fail_str(
            "stack_name",
            name,
            "must start with a letter and hold only letters, digits and hyphens, at most 128 (CloudFormation's rule)",
        );
    }
}

/// Whether `id` is `prefix` and 8 or 17 lowercase hex digits, as EC2 writes IDs.
fn has_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// Whether `arn` is a well-formed ARN of `service` in an account, whose region and resource
/// parts `parts_ok` accepts.
fn is_arn(arn: &str, service: &str, parts_ok: impl Fn(&str, &str) -> bool) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, arn_service, region, account, resource] = parts[..] else {
        return false;
    };
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    prefix == "arn"
        && partition.starts_with("aws")
        && arn_service == service
        && account_ok
        && parts_ok(region, resource)
}

/// Whether `resource` is `kind` followed by a non-empty ID without spaces.
fn has_id(resource: &str, kind: &str) -> bool {
    resource.strip_prefix(kind).is_some_and(|id| !id.is_empty() && !id.contains(char::is_whitespace))
}

/// A service as its checks see it: its settings, where the file writes them (`service`, or
/// `services.NAME`), and the load balancer's check of its tasks with where that is written.
struct ServiceAt<'a> {
    svc: &'a ServiceConfig,
    path: FieldPath,
    /// Its name in `services`; `None` for the one `service`.
    name: Option<&'a str>,
    health_check: &'a HealthCheckConfig,
    /// `load_balancer.health_check`, or the service's own `target_health_check`.
    health_check_path: FieldPath,
}

impl<'a> ServiceAt<'a> {
    /// A field of the service, such as `container.cpu`.
    fn field(&self, name: &str) -> FieldPath {
        self.path.field(name)
    }

    /// The task's containers, the main one first, each with where it is written.
    fn containers(&self) -> Vec<ContainerAt<'a>> {
        let main = ContainerAt { field: self.field("container"), main: true, config: &self.svc.container };
        let sidecars = self.svc.sidecars.iter().enumerate().map(|(i, config)| ContainerAt {
            field: self.field("sidecars").index(i),
            main: false,
            config,
        });
        std::iter::once(main).chain(sidecars).collect()
    }
}

impl Config {
    /// The one `service`, or each of `services`, as the checks see it.
    fn services_at(&self) -> Vec<ServiceAt<'_>> {
        let balancer_check = FieldPath::new("load_balancer.health_check");
        if self.services.is_empty() {
            return vec![ServiceAt {
                svc: &self.service,
                path: FieldPath::new("service"),
                name: None,
                health_check: &self.load_balancer.health_check,
                health_check_path: balancer_check,
            }];
        }
        self.services
            .iter()
            .map(|(name, svc)| {
                let path = services::service_path(name);
                let (health_check, health_check_path) = match &svc.target_health_check {
                    Some(own) => (own, path.field("target_health_check")),
                    None => (&self.load_balancer.health_check, balancer_check.clone()),
                };
                ServiceAt { svc, path, name: Some(name), health_check, health_check_path }
            })
            .collect()
    }
}

/// A container of the task, with where the file writes it.
struct ContainerAt<'a> {
    /// `service.container`, `services.api.sidecars[1]`...
    field: FieldPath,
    /// Whether it is the container the load balancer sends to (`container`).
    main: bool,
    config: &'a ContainerConfig,
}

impl std::ops::Deref for ContainerAt<'_> {
    type Target = ContainerConfig;

    fn deref(&self) -> &ContainerConfig {
        self.config
    }
}

#[derive(Default)]
struct Rules {
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// The fields the file wrote, when known.
    written: Option<std::collections::BTreeSet<String>>,
    /// The service of `services` being checked, when one is: what its checks say about a field
    /// outside it (the instance type its task must fit) names it.
    service: Option<(FieldPath, String)>,
}

impl Rules {
    /// Whether `field` was set: written in the file when that is known, else `differs_from_default`.
    fn written(&self, field: &str, differs_from_default: bool) -> bool {
        match &self.written {
            Some(written) => written.contains(field),
            None => differs_from_default,
        }
    }

    /// Checks `s` with `check`; for a service of `services`, what is said about a field outside
    /// it names the service.
    fn within_service(&mut self, s: &ServiceAt<'_>, check: impl FnOnce(&mut Rules)) {
        self.service = s.name.map(|name| (s.path.clone(), name.to_owned()));
        check(self);
        self.service = None;
    }

    /// `message`, naming the service being checked when `field` lies outside it.
    fn about(&self, field: &str, message: String) -> String {
        match &self.service {
            Some((path, name)) if !path.contains(field) => format!("{message} (services.{name})"),
            _ => message,
        }
    }

    fn warn(&mut self, field: &str, message: &str) {
        #[cfg(test)]
        assert!(super::schema_has_field(field), "a warning names {field:?}, which is no field of the configuration");
        let message = self.about(field, message.to_owned());
        self.warnings.push(Diagnostic::new(field, message));
    }

    fn fail(&mut self, field: &str, value: impl ToString, rule: impl Into<String>) {
        // Every rule the unit tests break is checked to name a field that exists.
        #[cfg(test)]
        assert!(super::schema_has_field(field), "a diagnostic names {field:?}, which is no field of the configuration");
        let message = self.about(field, format!("{} {}", value.to_string(), rule.into()));
        self.diagnostics.push(Diagnostic::new(field, message));
    }

    fn fail_str(&mut self, field: &str, value: &str, rule: &str) {
        self.fail(field, quoted(value), rule);
    }

    /// A failure with a hint, when there is one to give.
    fn fail_hint(
        &mut self,
        field: &str,
        value: impl ToString,
        rule: impl Into<String>,
        hint: impl Into<Option<String>>,
    ) {
        self.fail(field, value, rule);
        if let Some(last) = self.diagnostics.last_mut() {
            last.hint = hint.into();
        }
    }

    /// `value` within `bounds` (the ones its field's schema attribute states).
    fn range(&mut self, field: &str, value: u32, bounds: Bounds) {
        if !bounds.contains(value) {
            self.fail(field, value, bounds.rule());
        }
    }

    fn range_if_set(&mut self, field: &str, value: Option<u32>, bounds: Bounds) {
        if let Some(value) = value {
            self.range(field, value, bounds);
        }
    }

    fn name(&mut self, field: &str, name: &str) {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.fail_str(field, name, "must be 1 to 255 letters, digits, hyphens and underscores");
        }
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::DEFAULT_SSL_POLICY;
    use crate::config::{Draining, InstanceUpdatePolicy};

    fn errors(edit: impl FnOnce(&mut Config)) -> Vec<String> {
        let mut c = Config::default();
        edit(&mut c);
        match c.validate() {
            Ok(_) => Vec::new(),
            Err(diags) => diags.iter().map(|d| format!("{}: {}", d.field, d.message)).collect(),
        }
    }

    fn assert_one_error(edit: impl FnOnce(&mut Config), field: &str, fragment: &str) {
        let errs = errors(edit);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with(&format!("{field}: ")) && errs[0].contains(fragment), "{errs:?}");
    }

    /// The rules of issue 11: what AWS (or the sample image) would refuse, refused first.
    #[test]
    fn images_instances_and_ranges_are_refused_before_aws_would() {
        assert_one_error(
            |c| c.capacity.instance_type = "t4g.small".into(),
            "service.container.image",
            "has no arm64 build",
        );
        assert_one_error(
            |c| c.load_balancer.health_check.path = "/healthz".into(),
            "load_balancer.health_check.path",
            "is not served by amazon/amazon-ecs-sample",
        );
        assert!(
            errors(|c| {
                c.load_balancer.health_check.path = "/healthz".into();
                c.service.container.image = Some("public.ecr.aws/nginx/nginx:stable".into());
            })
            .is_empty()
        );
        assert_one_error(
            |c| c.service.container.image = Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/Shop:1".into()),
            "service.container.image",
            "looks like a private ECR image but is not one",
        );
        assert_one_error(
            |c| c.service.container.image_repository = Some("shop".into()),
            "service.container.image_repository",
            "is for images deployed through the ContainerImage parameter",
        );
        assert_one_error(
            |c| {
                c.service.container.image_parameter = true;
                c.service.container.image_repository = Some("Shop!".into());
            },
            "service.container.image_repository",
            "must be a private ECR repository",
        );
        assert_one_error(|c| c.capacity.image_id = Some("ami-12".into()), "capacity.image_id", "AMI ID");
        assert_one_error(
            |c| {
                c.capacity.update_policy = InstanceUpdatePolicy::Replacing;
                c.capacity.draining = Draining::Managed;
                c.capacity.task_drain_time_seconds = 300;
            },
            "capacity.update_policy",
            "cannot work with capacity.draining managed",
        );
        assert_one_error(
            |c| c.load_balancer.allowed_cidrs = Some(vec!["10.0.0.1/16".into()]),
            "load_balancer.allowed_cidrs[0]",
            "host bits set",
        );
        assert_one_error(
            |c| c.load_balancer.allowed_cidrs = Some(Vec::new()),
            "load_balancer.allowed_cidrs",
            "is empty",
        );
        assert_one_error(
            |c| {
                c.capacity.draining = Draining::Managed;
                c.tags.insert("team".into(), String::new());
            },
            "tags.team",
            "refuses on the ECS capacity provider",
        );
        assert!(
            errors(|c| {
                c.tags.insert("team".into(), String::new());
            })
            .is_empty()
        );
        assert_one_error(
            |c| c.load_balancer.allowed_cidrs = Some(vec!["10.0.0.0/8".into(), "10.0.0.0/8".into()]),
            "load_balancer.allowed_cidrs[1]",
            "listed twice",
        );
    }

    #[test]
    fn a_percent_that_binary_floating_point_cannot_divide_by_a_tenth_is_a_warning() {
        let mut c = Config::default();
        c.service.desired_count = 2;
        c.service.deployment.strategy = crate::config::DeploymentStrategy::Canary;
        c.service.deployment.canary = Some(crate::config::CanaryConfig { percent: 64.1, bake_time_minutes: 5 });
        let valid = c.clone().validate().unwrap();
        assert_eq!(valid.warnings().len(), 1, "{:?}", valid.warnings());
        assert!(valid.warnings()[0].message.contains("E3002"), "{:?}", valid.warnings());
        for fine in [10.0, 64.5, 5.0, 100.0] {
            c.service.deployment.canary = Some(crate::config::CanaryConfig { percent: fine, bake_time_minutes: 5 });
            assert!(c.clone().validate().unwrap().warnings().is_empty(), "{fine}");
        }
    }

    #[test]
    fn an_image_parameter_without_a_repository_is_a_warning() {
        let mut c = Config::default();
        c.service.container.image_parameter = true;
        let valid = c.clone().validate().unwrap();
        assert_eq!(valid.warnings().len(), 1);
        assert!(valid.warnings()[0].message.contains("service.container.image_repository"), "{:?}", valid.warnings());
        c.service.container.image_repository = Some("shop".into());
        assert!(c.validate().unwrap().warnings().is_empty());
    }

    #[test]
    fn the_defaults_are_valid() {
        let valid = Config::default().validate().unwrap();
        let NetworkProps::Create(vpc) = &valid.model().network else { panic!("the default creates its VPC") };
        assert_eq!(vpc.nat_gateways, 2);
        assert_eq!(vpc.public_subnets.len(), 2);
        assert_eq!(vpc.private_subnets[1].to_string(), "10.0.192.0/18");
        assert_eq!(vpc.cidr.to_string(), "10.0.0.0/16");
    }

    #[test]
    fn each_rule_names_its_field_and_value() {
        assert_one_error(|c| c.stack_name = "1abc".into(), "stack_name", "\"1abc\" must start with a letter");
        assert_one_error(|c| c.vpc.max_azs = 1, "vpc.max_azs", "1 must be from 2 to 6");
        assert_one_error(|c| c.vpc.nat_gateways = Some(3), "vpc.nat_gateways", "3 must be at most vpc.max_azs (2)");
        assert_one_error(|c| c.vpc.cidr = "10.0.0.0".into(), "vpc.cidr", "is not an IPv4 CIDR");
        assert_one_error(|c| c.vpc.cidr = "10.0.0.0/8".into(), "vpc.cidr", "/16 to /28");
        assert_one_error(|c| c.vpc.cidr = "10.0.0.0/27".into(), "vpc.cidr", "too small for 4 subnets");
        assert_one_error(|c| c.capacity.instance_type = "t2micro".into(), "capacity.instance_type", "such as t3.micro");
        assert_one_error(
            |c| c.capacity.min_capacity = 2,
            "capacity.min_capacity",
            "2 must be at most capacity.max_capacity (1)",
        );
        assert_one_error(|c| c.capacity.desired_capacity = Some(3), "capacity.desired_capacity", "between");
        assert_one_error(|c| c.capacity.key_name = Some(String::new()), "capacity.key_name", "1 to 255");
        assert_one_error(|c| c.capacity.root_volume_gib = 8, "capacity.root_volume_gib", "8 must be from 30 to 16384");
        assert_one_error(
            |c| c.capacity.task_drain_time_seconds = 10,
            "capacity.task_drain_time_seconds",
            "10 must be 0",
        );
        assert_one_error(
            |c| c.load_balancer.listener_port = Some(0),
            "load_balancer.listener_port",
            "0 must be from 1 to 65535",
        );
        assert_one_error(
            |c| c.load_balancer.idle_timeout_seconds = 4001,
            "load_balancer.idle_timeout_seconds",
            "1 to 4000",
        );
        let hc = "load_balancer.health_check";
        assert_one_error(
            |c| c.load_balancer.health_check.path = "health".into(),
            &format!("{hc}.path"),
            "start with /",
        );
        assert_one_error(
            |c| c.load_balancer.health_check.interval_seconds = 301,
            &format!("{hc}.interval_seconds"),
            "5 to 300",
        );
        assert_one_error(
            |c| c.load_balancer.health_check.timeout_seconds = 30,
            &format!("{hc}.timeout_seconds"),
            "less than",
        );
        assert_one_error(
            |c| c.load_balancer.health_check.healthy_threshold = 1,
            &format!("{hc}.healthy_threshold"),
            "2 to 10",
        );
        assert_one_error(
            |c| c.load_balancer.health_check.unhealthy_threshold = 11,
            &format!("{hc}.unhealthy_threshold"),
            "2 to 10",
        );
        for bad in ["", "600", "200-", "299-200", "2OO", "200;204"] {
            assert_one_error(
                |c| c.load_balancer.health_check.matcher = bad.into(),
                &format!("{hc}.matcher"),
                "HTTP codes",
            );
        }
        assert_one_error(
            |c| c.load_balancer.deregistration_delay_seconds = 3601,
            "load_balancer.deregistration_delay_seconds",
            "0 to 3600",
        );
        assert_one_error(|c| c.service.name = Some("a b".into()), "service.name", "letters, digits");
        assert_one_error(|c| c.service.desired_count = 5001, "service.desired_count", "5000");
        assert_one_error(|c| c.service.min_healthy_percent = 101, "service.min_healthy_percent", "0 to 100");
        assert_one_error(|c| c.service.max_healthy_percent = 99, "service.max_healthy_percent", "at least 100");
        assert_one_error(
            |c| {
                c.service.min_healthy_percent = 100;
                c.service.max_healthy_percent = 100;
            },
            "service.max_healthy_percent",
            "must exceed",
        );
        assert_one_error(|c| c.service.log_retention_days = 31, "service.log_retention_days", "31 is not one of");
        assert_one_error(|c| c.service.container.name = Some(String::new()), "service.container.name", "letters");
        assert_one_error(
            |c| c.service.container.image = Some("a b".into()),
            "service.container.image",
            "without spaces",
        );
        assert_one_error(|c| c.service.container.port = Some(70000), "service.container.port", "1 to 65535");
        assert_one_error(
            |c| c.service.container.memory_limit_mib = Some(4),
            "service.container.memory_limit_mib",
            "at least 6",
        );
        assert_one_error(
            |c| c.service.container.memory_limit_mib = None,
            "service.container.memory_limit_mib",
            "must be set",
        );
        assert_one_error(
            |c| c.service.container.memory_reservation_mib = Some(1024),
            "service.container.memory_reservation_mib",
            "at most service.container.memory_limit_mib (512)",
        );
        assert_one_error(|c| c.service.container.cpu = Some(20000), "service.container.cpu", "10240");
        assert_one_error(
            |c| {
                c.service.container.environment.insert("1X".into(), "v".into());
            },
            "service.container.environment.1X",
            "variable name",
        );
    }

    #[test]
    fn https_rules_name_their_fields() {
        use crate::config::Protocol;
        let cert = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";
        let https = |c: &mut Config| {
            c.load_balancer.protocol = Protocol::Https;
            c.load_balancer.certificate_arn = Some(cert.into());
        };
        assert!(errors(https).is_empty());
        assert_one_error(
            |c| c.load_balancer.protocol = Protocol::Https,
            "load_balancer.certificate_arn",
            "null is required with load_balancer.protocol HTTPS",
        );
        assert_one_error(
            |c| c.load_balancer.certificate_arn = Some(cert.into()),
            "load_balancer.certificate_arn",
            "is only for HTTPS",
        );
        assert_one_error(
            |c| c.load_balancer.redirect_http = Some(true),
            "load_balancer.redirect_http",
            "only for HTTPS",
        );
        assert_one_error(
            |c| c.load_balancer.ssl_policy = Some(DEFAULT_SSL_POLICY.into()),
            "load_balancer.ssl_policy",
            "only for HTTPS",
        );
        for bad in ["arn:aws:acm:eu-west-1:123:certificate/abc", "arn:aws:s3:::bucket", "certificate/abc", ""] {
            assert_one_error(
                |c| {
                    https(c);
                    c.load_balancer.certificate_arn = Some(bad.into());
                },
                "load_balancer.certificate_arn",
                "must be an ACM certificate ARN",
            );
        }
        assert!(
            errors(|c| {
                https(c);
                c.load_balancer.certificate_arn = Some("arn:aws:iam::123456789012:server-certificate/site".into());
            })
            .is_empty()
        );
        assert_one_error(
            |c| {
                https(c);
                c.load_balancer.ssl_policy = Some("TLS13".into());
            },
            "load_balancer.ssl_policy",
            "not an ELB security policy",
        );
        assert_one_error(
            |c| {
                https(c);
                c.load_balancer.listener_port = Some(80);
            },
            "load_balancer.listener_port",
            "taken by the HTTP-to-HTTPS redirect",
        );
        assert!(
            errors(|c| {
                https(c);
                c.load_balancer.listener_port = Some(80);
                c.load_balancer.redirect_http = Some(false);
            })
            .is_empty()
        );
    }

    #[test]
    fn domain_rules_name_their_fields() {
        let domain = |name: &str, zone: Option<&str>| {
            let (name, zone) = (name.to_owned(), zone.map(str::to_owned));
            move |c: &mut Config| {
                c.load_balancer.domain_name = Some(name);
                c.load_balancer.hosted_zone_id = zone;
            }
        };
        assert!(errors(domain("app.example.com", Some("Z0123ABC"))).is_empty());
        assert!(errors(domain("app.example.com.", Some("Z0123ABC"))).is_empty());
        assert_one_error(domain("app.example.com", None), "load_balancer.hosted_zone_id", "required with");
        for bad in ["localhost", "app..example.com", "-a.example.com", "a b.example.com", "*.example.com"] {
            assert_one_error(domain(bad, Some("Z0123ABC")), "load_balancer.domain_name", "must be a DNS name");
        }
        assert_one_error(
            |c| c.load_balancer.hosted_zone_id = Some("Z0123ABC".into()),
            "load_balancer.hosted_zone_id",
            "set both or neither",
        );
        let mut c = Config::default();
        domain("app.example.com", Some("/hostedzone/Z0123ABC"))(&mut c);
        let diags = c.validate().unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].hint.as_deref(), Some("did you mean `Z0123ABC`?"));
    }

    #[test]
    fn the_drain_topic_key_must_be_a_key_arn_and_needs_the_hook() {
        let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd";
        assert!(errors(|c| c.capacity.drain_topic_kms_key_arn = Some(key.into())).is_empty());
        let mut c = Config::default();
        c.capacity.drain_topic_kms_key_arn = Some("arn:aws:kms:eu-west-1:123456789012:alias/mine".into());
        let diags = c.validate().unwrap_err();
        assert!(diags[0].message.contains("must be a KMS key ARN"), "{diags:?}");
        assert!(diags[0].hint.as_deref().unwrap_or_default().contains("not aliases"));
        assert_one_error(
            |c| {
                c.capacity.drain_topic_kms_key_arn = Some(key.into());
                c.capacity.task_drain_time_seconds = 0;
            },
            "capacity.drain_topic_kms_key_arn",
            "no topic to encrypt",
        );
    }

    #[test]
    fn secrets_must_be_full_arns_of_parameters_or_secrets() {
        let secret = |arn: &str| {
            let arn = arn.to_owned();
            move |c: &mut Config| {
                c.service.container.secrets.insert("DB".into(), arn);
            }
        };
        for good in [
            "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf:password::",
            "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-x1y2z3:::v1",
        ] {
            assert!(errors(secret(good)).is_empty(), "{good}");
        }
        let field = "service.container.secrets.DB";
        assert_one_error(secret("app/db"), field, "must be the full ARN");
        assert_one_error(secret("arn:aws:s3:::bucket/key"), field, "must be the full ARN");
        assert_one_error(secret("arn:aws:ssm:eu-west-1:123456789012:parameter/"), field, "must be the full ARN");
        assert_one_error(
            secret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db"),
            field,
            "without the six characters",
        );
        assert_one_error(
            secret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password"),
            field,
            ":JSON_KEY:VERSION_STAGE:VERSION_ID",
        );
        assert_one_error(
            |c| {
                c.service.container.environment.insert("DB".into(), "x".into());
                secret("arn:aws:ssm:eu-west-1:123456789012:parameter/db")(c);
            },
            field,
            "also in service.container.environment",
        );
        assert_one_error(
            |c| {
                c.service
                    .container
                    .secrets
                    .insert("1DB".into(), "arn:aws:ssm:eu-west-1:123456789012:parameter/db".into());
            },
            "service.container.secrets.1DB",
            "variable name",
        );
    }

    #[test]
    fn tags_follow_aws_rules() {
        let tag = |k: &str, v: &str| {
            let (k, v) = (k.to_owned(), v.to_owned());
            move |c: &mut Config| {
                c.tags.insert(k, v);
            }
        };
        assert!(errors(tag("team", "payments")).is_empty());
        assert!(errors(tag("owner:email", "a.b@example.com")).is_empty());
        assert!(errors(tag("Name", "mine")).is_empty());
        // A key that is empty or holds a dot is quoted, so the path names exactly it.
        assert_one_error(tag("", "x"), "tags.\"\"", "must be a tag key");
        assert_one_error(tag("team.name", "a;b"), "tags.\"team.name\"", "must be a tag value");
        assert_one_error(tag(&"k".repeat(129), "x"), &format!("tags.{}", "k".repeat(129)), "1 to 128");
        assert_one_error(tag("aws:createdBy", "x"), "tags.aws:createdBy", "AWS reserves");
        assert_one_error(tag("AWS:x", "x"), "tags.AWS:x", "AWS reserves");
        assert_one_error(tag("team", &"v".repeat(257)), "tags.team", "up to 256");
        assert_one_error(tag("team", "a;b"), "tags.team", "must be a tag value");
        assert_one_error(
            |c| c.tags = (0..46).map(|i| (format!("k{i}"), "v".to_owned())).collect(),
            "tags",
            "at most 45",
        );
    }

    #[test]
    fn auto_scaling_bounds_and_targets_are_checked() {
        use crate::config::AutoScalingConfig;
        let scaled = |scaling: AutoScalingConfig| {
            move |c: &mut Config| {
                c.service.container.cpu = Some(256);
                c.service.auto_scaling = Some(scaling);
            }
        };
        let base = AutoScalingConfig::default();
        assert!(errors(scaled(base.clone())).is_empty());
        let f = "service.auto_scaling";
        assert_one_error(scaled(AutoScalingConfig { min: 0, ..base.clone() }), &format!("{f}.min"), "at least 1");
        assert_one_error(
            scaled(AutoScalingConfig { min: 5, max: 3, ..base.clone() }),
            &format!("{f}.max"),
            "at least service.auto_scaling.min (5)",
        );
        assert_one_error(scaled(AutoScalingConfig { max: 6000, ..base.clone() }), &format!("{f}.max"), "5000");
        assert_one_error(
            scaled(AutoScalingConfig { target_cpu_percent: Some(95), ..base.clone() }),
            &format!("{f}.target_cpu_percent"),
            "10 to 90",
        );
        assert_one_error(
            scaled(AutoScalingConfig { target_requests_per_target: Some(0), ..base.clone() }),
            &format!("{f}.target_requests_per_target"),
            "1 to 1000000",
        );
        assert_one_error(
            |c| c.service.auto_scaling = Some(AutoScalingConfig::default()),
            &format!("{f}.target_cpu_percent"),
            "needs service.container.cpu",
        );
        assert!(
            errors(|c| {
                c.service.auto_scaling =
                    Some(AutoScalingConfig { target_requests_per_target: Some(100), ..base.clone() })
            })
            .is_empty()
        );
    }

    #[test]
    fn spot_types_share_the_architecture_and_are_listed_once() {
        use crate::config::SpotConfig;
        let spot = |types: &[&str], price: Option<f64>| {
            let spot = SpotConfig {
                instance_types: types.iter().map(|t| t.to_string()).collect(),
                max_price: price,
                ..SpotConfig::default()
            };
            move |c: &mut Config| {
                c.capacity.instance_type = "t3.medium".into();
                c.capacity.spot = Some(spot);
            }
        };
        assert!(errors(spot(&["t3a.medium", "m5.large"], Some(0.05))).is_empty());
        let first = "capacity.spot.instance_types[0]";
        assert_one_error(spot(&["m7g.large"], None), first, "architecture (x86_64)");
        assert_one_error(spot(&["t3.medium"], None), first, "listed twice");
        assert_one_error(spot(&["t3a.medium", "t3a.medium"], None), "capacity.spot.instance_types[1]", "listed twice");
        assert_one_error(spot(&["large"], None), first, "such as t3.micro");
        assert_one_error(spot(&[], Some(0.0)), "capacity.spot.max_price", "above 0");
        let many: Vec<String> = (0..40).map(|i| format!("m{i}.large")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_one_error(spot(&many, None), "capacity.spot.instance_types", "at most 39");
    }

    #[test]
    fn an_existing_vpc_is_checked_and_excludes_the_creation_fields() {
        use crate::config::ExistingVpcConfig;
        let ids = |prefix: &str, n: usize| (0..n).map(|i| format!("subnet-0{prefix}{i:015}")).collect::<Vec<_>>();
        let existing = |public: usize, private: usize| ExistingVpcConfig {
            vpc_id: "vpc-0123456789abcdef0".into(),
            public_subnet_ids: ids("a", public),
            private_subnet_ids: ids("b", private),
        };
        let with = |e: ExistingVpcConfig| move |c: &mut Config| c.vpc.existing = Some(e);
        assert!(errors(with(existing(2, 2))).is_empty());
        assert!(errors(with(existing(2, 0))).is_empty(), "instances may go to the public subnets");
        assert_one_error(with(existing(1, 2)), "vpc.existing.public_subnet_ids", "1 subnet(s) are too few");
        assert_one_error(
            |c| {
                with(existing(0, 1))(c);
                c.load_balancer.public = false;
                c.load_balancer.allowed_cidrs = Some(vec!["10.1.0.0/16".into()]);
            },
            "vpc.existing.private_subnet_ids",
            "internal load balancer",
        );
        // An internal load balancer in someone else's VPC: its range must be named.
        assert_one_error(
            |c| {
                with(existing(2, 2))(c);
                c.load_balancer.public = false;
            },
            "load_balancer.allowed_cidrs",
            "null is required for an internal load balancer in an existing VPC",
        );
        assert_one_error(
            with(ExistingVpcConfig { vpc_id: "vpc-12".into(), ..existing(2, 2) }),
            "vpc.existing.vpc_id",
            "such as vpc-0123456789abcdef0",
        );
        let mut twice = existing(2, 1);
        twice.private_subnet_ids = vec![twice.public_subnet_ids[0].clone()];
        assert_one_error(with(twice), "vpc.existing.private_subnet_ids[0]", "listed twice");
        let mut bad = existing(2, 1);
        bad.private_subnet_ids = vec!["sn-1".into()];
        assert_one_error(with(bad), "vpc.existing.private_subnet_ids[0]", "subnet ID");
        for (field, edit) in [
            ("vpc.cidr", (|c: &mut Config| c.vpc.cidr = "10.1.0.0/16".into()) as fn(&mut Config)),
            ("vpc.max_azs", |c| c.vpc.max_azs = 3),
            ("vpc.nat_gateways", |c| c.vpc.nat_gateways = Some(1)),
        ] {
            assert_one_error(
                |c| {
                    with(existing(2, 2))(c);
                    edit(c);
                },
                field,
                "leave it out with vpc.existing",
            );
        }
    }

    #[test]
    fn the_drain_time_belongs_to_the_hook() {
        use crate::config::Draining;
        assert!(errors(|c| c.capacity.draining = Draining::Managed).is_empty());
        assert!(errors(|c| c.capacity.draining = Draining::None).is_empty());
        assert_one_error(
            |c| {
                c.capacity.draining = Draining::Managed;
                c.capacity.task_drain_time_seconds = 600;
            },
            "capacity.task_drain_time_seconds",
            "no hook to time",
        );
        assert_one_error(
            |c| {
                c.capacity.draining = Draining::None;
                c.capacity.drain_topic_kms_key_arn = Some("arn:aws:kms:eu-west-1:123456789012:key/k".into());
            },
            "capacity.drain_topic_kms_key_arn",
            "no drain hook",
        );
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let errs = errors(|c| {
            c.vpc.max_azs = 9;
            c.capacity.min_capacity = 5;
            c.service.container.port = Some(0);
        });
        assert_eq!(errs.len(), 3, "{errs:?}");
    }

    #[test]
    fn an_unaligned_cidr_suggests_the_aligned_one() {
        let mut c = Config::default();
        c.vpc.cidr = "10.0.1.0/16".into();
        let diags = c.validate().unwrap_err();
        assert_eq!(diags[0].hint.as_deref(), Some("did you mean `10.0.0.0/16`?"));
    }

    #[test]
    fn no_nat_gateways_means_public_subnets_only() {
        assert_one_error(
            |c| {
                c.vpc.nat_gateways = Some(0);
                c.vpc.cidr = "10.0.0.0/28".into();
            },
            "vpc.cidr",
            "too small for 2 subnets",
        );
        let mut c = Config::default();
        c.vpc.nat_gateways = Some(0);
        c.vpc.cidr = "10.0.0.0/27".into();
        let valid = c.validate().unwrap();
        let NetworkProps::Create(vpc) = &valid.model().network else { panic!("a VPC to create") };
        assert_eq!(vpc.public_subnets.len(), 2);
        assert!(vpc.private_subnets.is_empty());
    }
}
