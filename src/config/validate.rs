//! The rules a configuration must follow, checked all at once so every mistake is reported in one run.

use std::ops::{Deref, RangeInclusive};

use super::{Config, Diagnostic, Draining, ExistingVpcConfig, InstanceUpdatePolicy, Protocol, SpotConfig, VpcConfig};
use crate::aws::{ANYWHERE_IPV4, Architecture, DEFAULT_SSL_POLICY, ListenerProtocol, SecretSource};
use crate::cidr::{CidrError, Ipv4Cidr};
use crate::ecr;

pub const MAX_AZS: RangeInclusive<u32> = 2..=6;
/// AWS's smallest subnet.
pub const MAX_SUBNET_PREFIX: u8 = 28;
const VPC_PREFIX: RangeInclusive<u8> = 16..=28;
const ROOT_VOLUME_GIB: RangeInclusive<u32> = 30..=16384;
/// A lifecycle hook waits at most 48 hours, heartbeats included.
const DRAIN_SECONDS: RangeInclusive<u32> = 30..=172_800;
const PORT: RangeInclusive<u32> = 1..=65535;
const IDLE_TIMEOUT_SECONDS: RangeInclusive<u32> = 1..=4000;
const MAX_TASKS_PER_SERVICE: u32 = 5000;
const MAX_GRACE_PERIOD_SECONDS: u32 = 2_147_483_647;
/// Docker refuses a container limit below 6 MiB.
const MIN_CONTAINER_MEMORY_MIB: u32 = 6;
const MAX_CONTAINER_CPU: u32 = 10240;
const MAX_STACK_NAME_LEN: usize = 128;
const MAX_NAME_LEN: usize = 255;
pub const LOG_RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// A configuration that has passed every rule, with the values its defaults leave open resolved.
#[derive(Clone, Debug)]
pub struct ValidConfig {
    config: Config,
    network: NetworkPlan,
    /// What is allowed but will likely need the user's attention, located like errors.
    pub(super) warnings: Vec<Diagnostic>,
}

/// The network the stack runs in.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkPlan {
    /// A VPC to create, its blocks worked out.
    Create {
        cidr: Ipv4Cidr,
        /// One block per availability zone.
        public_subnets: Vec<Ipv4Cidr>,
        /// One block per zone, or none when no NAT gateway gives private subnets a way out.
        private_subnets: Vec<Ipv4Cidr>,
        nat_gateways: u32,
    },
    Existing(ExistingVpcConfig),
}

impl ValidConfig {
    pub fn network(&self) -> &NetworkPlan {
        &self.network
    }

    /// Allowed, but worth a second look (printed by `validate` and `synth`).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The IPv4 ranges that may connect to the load balancer: those configured, else anyone for
    /// an internet-facing one and the VPC's range for an internal one (validation requires them
    /// for an internal one in an existing VPC).
    pub fn allowed_cidrs(&self) -> Vec<String> {
        let lb = &self.config.load_balancer;
        match (&lb.allowed_cidrs, &self.network) {
            (Some(cidrs), _) => cidrs.clone(),
            // Who may reach an internet-facing load balancer unless told otherwise.
            (None, _) if lb.public => vec![ANYWHERE_IPV4.to_owned()],
            (None, NetworkPlan::Create { cidr, .. }) => vec![cidr.to_string()],
            (None, NetworkPlan::Existing(_)) => Vec::new(),
        }
    }

    /// The variables filled from secrets: name, the ARN as ECS reads it, and what to grant.
    pub fn secrets(&self) -> Vec<(String, String, SecretSource)> {
        // Validation refused any ARN that is not a secret's, so none is left out here.
        let container = &self.config.service.container;
        let parsed = container.secrets.iter().filter_map(|(name, arn)| Some((name, arn, secret_source(arn).ok()?)));
        parsed.map(|(name, arn, source)| (name.clone(), arn.clone(), source)).collect()
    }

    /// The private ECR repositories the task's images come from: the fixed image's, and the one
    /// named for images deployed through the image parameter. Empty when the images are public.
    pub fn image_repositories(&self) -> Vec<ecr::Repository> {
        let container = &self.config.service.container;
        let mut repositories: Vec<ecr::Repository> = ecr::Repository::of_image(&container.image)
            .into_iter()
            .chain(container.image_repository.as_deref().and_then(ecr::Repository::parse))
            .collect();
        repositories.sort();
        repositories.dedup();
        repositories
    }

    pub fn listener_port(&self) -> u32 {
        let lb = &self.config.load_balancer;
        lb.listener_port.unwrap_or(ListenerProtocol::from(lb.protocol).default_port())
    }
}

impl Deref for ValidConfig {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

fn subnet_count(azs: u32, nat_gateways: u32) -> u32 {
    if nat_gateways == 0 { azs } else { 2 * azs }
}

impl Config {
    /// Checks every rule; on failure returns one diagnostic per broken rule, in field order. A
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
                Some(NetworkPlan::Existing(existing.clone()))
            }
            None => check_new_vpc(&mut v, c),
        };

        check_capacity(&mut v, c);

        check_listener(&mut v, c);
        check_allowed_cidrs(&mut v, c);
        check_domain(&mut v, c);
        v.range("load_balancer.idle_timeout_seconds", c.load_balancer.idle_timeout_seconds, IDLE_TIMEOUT_SECONDS, "");
        check_health_check(&mut v, c);
        v.range(
            "load_balancer.deregistration_delay_seconds",
            c.load_balancer.deregistration_delay_seconds,
            0..=3600,
            "",
        );

        check_service(&mut v, c);
        check_tags(&mut v, c);

        match (v.diagnostics.is_empty(), network) {
            (true, Some(network)) => Ok(ValidConfig { config: self, network, warnings: v.warnings }),
            _ => Err(v.diagnostics),
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

fn check_new_vpc(v: &mut Rules, c: &Config) -> Option<NetworkPlan> {
    v.range("vpc.max_azs", c.vpc.max_azs, MAX_AZS, "an ALB needs subnets in at least two zones");
    let nat_gateways = c.vpc.nat_gateways.unwrap_or(c.vpc.max_azs);
    if nat_gateways > c.vpc.max_azs {
        v.fail("vpc.nat_gateways", nat_gateways, format!("must be at most vpc.max_azs ({})", c.vpc.max_azs));
    }
    let (cidr, mut blocks) = check_vpc_cidr(v, &c.vpc.cidr, subnet_count(c.vpc.max_azs, nat_gateways))?;
    let azs = (c.vpc.max_azs as usize).min(blocks.len());
    let private_subnets = blocks.split_off(azs);
    Some(NetworkPlan::Create { cidr, public_subnets: blocks, private_subnets, nat_gateways })
}

fn check_existing_vpc(v: &mut Rules, c: &Config, existing: &ExistingVpcConfig) {
    let defaults = VpcConfig::default();
    let creation_only = "is for a VPC ecs-alb creates; leave it out with vpc.existing";
    if v.written("vpc.max_azs", c.vpc.max_azs != defaults.max_azs) {
        v.fail("vpc.max_azs", c.vpc.max_azs, creation_only);
    }
    if v.written("vpc.cidr", c.vpc.cidr != defaults.cidr) {
        v.fail_str("vpc.cidr", &c.vpc.cidr, creation_only);
    }
    if let Some(nat) = c.vpc.nat_gateways {
        v.fail("vpc.nat_gateways", nat, creation_only);
    }
    if !has_aws_id(&existing.vpc_id, "vpc-") {
        v.fail_str("vpc.existing.vpc_id", &existing.vpc_id, "must be a VPC ID such as vpc-0123456789abcdef0");
    }
    let mut seen = std::collections::BTreeSet::new();
    for (list, ids) in
        [("public_subnet_ids", &existing.public_subnet_ids), ("private_subnet_ids", &existing.private_subnet_ids)]
    {
        for (i, id) in ids.iter().enumerate() {
            let field = format!("vpc.existing.{list}[{i}]");
            if !has_aws_id(id, "subnet-") {
                v.fail_str(&field, id, "must be a subnet ID such as subnet-0123456789abcdef0");
            } else if !seen.insert(id.as_str()) {
                v.fail_str(&field, id, "is listed twice: a subnet is public or private, once");
            }
        }
    }
    let (public, private) = (existing.public_subnet_ids.len(), existing.private_subnet_ids.len());
    if c.load_balancer.public && public < 2 {
        v.fail(
            "vpc.existing.public_subnet_ids",
            format!("{public} subnet(s)"),
            "are too few: an internet-facing load balancer needs public subnets in two zones at least",
        );
    }
    if !c.load_balancer.public && private.max(public) < 2 {
        v.fail(
            "vpc.existing.private_subnet_ids",
            format!("{private} subnet(s)"),
            "are too few: an internal load balancer needs subnets in two zones at least",
        );
    }
}

/// Whether `id` is `prefix` and 8 or 17 lowercase hex digits, as EC2 writes IDs.
fn has_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn check_vpc_cidr(v: &mut Rules, cidr: &str, subnets: u32) -> Option<(Ipv4Cidr, Vec<Ipv4Cidr>)> {
    let parsed = match cidr.parse::<Ipv4Cidr>() {
        Ok(parsed) => parsed,
        Err(err @ CidrError::NotAligned(aligned)) => {
            v.fail_hint("vpc.cidr", quoted(cidr), err.to_string(), format!("did you mean `{aligned}`?"));
            return None;
        }
        Err(err) => {
            v.fail_str("vpc.cidr", cidr, &err.to_string());
            return None;
        }
    };
    if !VPC_PREFIX.contains(&parsed.prefix()) {
        v.fail_str("vpc.cidr", cidr, "must have a prefix length from /16 to /28 (AWS's VPC sizes)");
        return None;
    }
    let Some(blocks) = parsed.split_evenly(subnets, MAX_SUBNET_PREFIX) else {
        v.fail_str(
            "vpc.cidr",
            cidr,
            &format!("is too small for {subnets} subnets of at least /{MAX_SUBNET_PREFIX}; use a shorter prefix"),
        );
        return None;
    };
    Some((parsed, blocks))
}

fn check_capacity(v: &mut Rules, c: &Config) {
    let cap = &c.capacity;
    check_instance_type(v, &cap.instance_type);
    if cap.max_capacity == 0 {
        v.fail("capacity.max_capacity", 0, "must be at least 1: the service needs an instance to run on");
    }
    if cap.min_capacity > cap.max_capacity {
        v.fail(
            "capacity.min_capacity",
            cap.min_capacity,
            format!("must be at most capacity.max_capacity ({})", cap.max_capacity),
        );
    }
    if let Some(desired) = cap.desired_capacity {
        if desired < cap.min_capacity || desired > cap.max_capacity {
            v.fail(
                "capacity.desired_capacity",
                desired,
                format!(
                    "must lie between capacity.min_capacity ({}) and capacity.max_capacity ({})",
                    cap.min_capacity, cap.max_capacity
                ),
            );
        }
    }
    if let Some(key) = &cap.key_name {
        if key.is_empty() || key.len() > MAX_NAME_LEN {
            v.fail_str("capacity.key_name", key, "must be 1 to 255 characters (an EC2 key pair's name)");
        }
    }
    v.range("capacity.root_volume_gib", cap.root_volume_gib, ROOT_VOLUME_GIB, "the image's own snapshot is 30 GiB");
    if let Some(image_id) = &cap.image_id {
        if !has_aws_id(image_id, "ami-") {
            v.fail_str("capacity.image_id", image_id, "must be an AMI ID such as ami-0123456789abcdef0");
        }
    }
    if cap.update_policy == InstanceUpdatePolicy::Replacing && cap.draining == Draining::Managed {
        v.fail_hint(
            "capacity.update_policy",
            "replacing",
            "cannot work with capacity.draining managed: the old group's instances are protected from scale-in, so CloudFormation would wait for them forever",
            "use capacity.update_policy: rolling".to_owned(),
        );
    }
    let drain = cap.task_drain_time_seconds;
    let default_drain = super::CapacityConfig::default().task_drain_time_seconds;
    if cap.draining != Draining::Hook && v.written("capacity.task_drain_time_seconds", drain != default_drain) {
        v.fail(
            "capacity.task_drain_time_seconds",
            drain,
            "is the drain hook's; with capacity.draining managed or none there is no hook to time",
        );
    } else if drain != 0 && !DRAIN_SECONDS.contains(&drain) {
        v.fail(
            "capacity.task_drain_time_seconds",
            drain,
            "must be 0 (no drain hook) or from 30 to 172800 (48 hours, the longest a lifecycle hook can hold an instance)",
        );
    }
    if let Some(spot) = &cap.spot {
        check_spot(v, &cap.instance_type, cap.architecture(), spot);
    }
    if let Some(key) = &cap.drain_topic_kms_key_arn {
        let field = "capacity.drain_topic_kms_key_arn";
        if !matches!(cap.drain_plan(), super::DrainPlan::Hook { .. }) {
            v.fail_str(
                field,
                key,
                "has no topic to encrypt: there is no drain hook (capacity.draining, task_drain_time_seconds)",
            );
        } else if !is_arn(key, "kms", |region, resource| !region.is_empty() && has_id(resource, "key/")) {
            let hint = key
                .contains(":alias/")
                .then(|| "give the key's own ARN (key/...): IAM grants name keys, not aliases".to_owned());
            v.fail_hint(field, quoted(key), "must be a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/ID", hint);
        }
    }
}

/// An Auto Scaling group takes at most 40 instance types.
const MAX_INSTANCE_TYPES: usize = 40;

fn check_spot(v: &mut Rules, primary: &str, architecture: Architecture, spot: &SpotConfig) {
    for (i, instance_type) in spot.instance_types.iter().enumerate() {
        let field = format!("capacity.spot.instance_types[{i}]");
        if check_instance_type_at(v, &field, instance_type)
            && Architecture::of_instance_type(instance_type) != architecture
        {
            v.fail_str(
                &field,
                instance_type,
                &format!("is not of capacity.instance_type's architecture ({architecture}): one image serves them all"),
            );
        }
        if instance_type == primary || spot.instance_types[..i].contains(instance_type) {
            v.fail_str(&field, instance_type, "is listed twice (capacity.instance_type counts)");
        }
    }
    if spot.instance_types.len() + 1 > MAX_INSTANCE_TYPES {
        v.fail(
            "capacity.spot.instance_types",
            spot.instance_types.len(),
            "are too many: at most 39 besides capacity.instance_type",
        );
    }
    v.range("capacity.spot.on_demand_percentage", spot.on_demand_percentage, 0..=100, "");
    if let Some(price) = spot.max_price {
        if !(price.is_finite() && price > 0.0 && price <= 1000.0) {
            v.fail("capacity.spot.max_price", price, "must be a price per hour above 0, in US dollars, such as 0.05");
        }
    }
}

fn check_instance_type(v: &mut Rules, instance_type: &str) {
    check_instance_type_at(v, "capacity.instance_type", instance_type);
}

/// Checks an instance type's form; says whether it passed.
fn check_instance_type_at(v: &mut Rules, field: &str, instance_type: &str) -> bool {
    let valid_part =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let well_formed =
        instance_type.split_once('.').is_some_and(|(family, size)| valid_part(family) && valid_part(size));
    if !well_formed {
        v.fail_str(field, instance_type, "must be an EC2 instance type such as t3.micro");
    }
    well_formed
}

fn check_listener(v: &mut Rules, c: &Config) {
    let lb = &c.load_balancer;
    if let Some(port) = lb.listener_port {
        v.range("load_balancer.listener_port", port, PORT, "");
    }
    let https_only = "is only for HTTPS; set load_balancer.protocol: HTTPS or leave it out";
    match lb.protocol {
        Protocol::Http => {
            if let Some(arn) = &lb.certificate_arn {
                v.fail_str("load_balancer.certificate_arn", arn, https_only);
            }
            if let Some(policy) = &lb.ssl_policy {
                v.fail_str("load_balancer.ssl_policy", policy, https_only);
            }
            if let Some(redirect) = lb.redirect_http {
                v.fail("load_balancer.redirect_http", redirect, https_only);
            }
        }
        Protocol::Https => {
            match &lb.certificate_arn {
                None => v.fail_hint(
                    "load_balancer.certificate_arn",
                    "null",
                    "is required with load_balancer.protocol HTTPS",
                    "request one with `aws acm request-certificate --domain-name ... --validation-method DNS`".to_owned(),
                ),
                Some(arn) if !is_certificate_arn(arn) => v.fail_str(
                    "load_balancer.certificate_arn",
                    arn,
                    "must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID) or an IAM server certificate ARN",
                ),
                Some(_) => {}
            }
            if let Some(policy) = &lb.ssl_policy {
                let well_formed = policy.starts_with("ELBSecurityPolicy-")
                    && policy.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !well_formed {
                    v.fail_hint(
                        "load_balancer.ssl_policy",
                        quoted(policy),
                        "is not an ELB security policy name",
                        format!("such as {DEFAULT_SSL_POLICY}; `aws elbv2 describe-ssl-policies` lists them"),
                    );
                }
            }
            // The redirect listener takes plain HTTP's port.
            let http_port = ListenerProtocol::Http.default_port();
            if lb.redirects_http() && lb.listener_port == Some(http_port) {
                v.fail(
                    "load_balancer.listener_port",
                    http_port,
                    "is taken by the HTTP-to-HTTPS redirect; use 443 or set load_balancer.redirect_http: false",
                );
            }
        }
    }
}

/// A security group takes 60 inbound rules; each range has one per listener port (two with the
/// HTTP redirect).
const MAX_ALLOWED_CIDRS: usize = 30;

fn check_allowed_cidrs(v: &mut Rules, c: &Config) {
    let lb = &c.load_balancer;
    let field = "load_balancer.allowed_cidrs";
    let Some(cidrs) = &lb.allowed_cidrs else {
        if !lb.public && c.vpc.existing.is_some() {
            v.fail_hint(
                field,
                "null",
                "is required for an internal load balancer in an existing VPC: ecs-alb does not know the VPC's range",
                "name it: `aws ec2 describe-vpcs --vpc-ids VPC_ID --query 'Vpcs[0].CidrBlock'`".to_owned(),
            );
        }
        return;
    };
    if cidrs.is_empty() {
        v.fail(field, "[]", "is empty: nobody could reach the load balancer; leave it out for the default");
    }
    if cidrs.len() > MAX_ALLOWED_CIDRS {
        v.fail(field, format!("{} ranges", cidrs.len()), "are too many: at most 30 (a security group takes 60 rules)");
    }
    for (i, cidr) in cidrs.iter().enumerate() {
        let item = format!("{field}[{i}]");
        match cidr.parse::<Ipv4Cidr>() {
            Err(err @ CidrError::NotAligned(aligned)) => {
                v.fail_hint(&item, quoted(cidr), err.to_string(), format!("did you mean `{aligned}`?"))
            }
            Err(err) => v.fail_str(&item, cidr, &err.to_string()),
            Ok(_) if cidrs[..i].contains(cidr) => v.fail_str(&item, cidr, "is listed twice"),
            Ok(_) => {}
        }
    }
}

fn is_certificate_arn(arn: &str) -> bool {
    is_arn(arn, "acm", |region, resource| !region.is_empty() && has_id(resource, "certificate/"))
        || is_arn(arn, "iam", |region, resource| region.is_empty() && has_id(resource, "server-certificate/"))
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

fn check_domain(v: &mut Rules, c: &Config) {
    let lb = &c.load_balancer;
    match (&lb.domain_name, &lb.hosted_zone_id) {
        (Some(name), _) if !is_domain_name(name) => v.fail_str(
            "load_balancer.domain_name",
            name,
            "must be a DNS name such as app.example.com: dot-separated labels of letters, digits and hyphens",
        ),
        (Some(_), None) => v.fail(
            "load_balancer.hosted_zone_id",
            "null",
            "is required with load_balancer.domain_name: the Route 53 hosted zone that holds the name",
        ),
        (None, Some(zone)) => v.fail_str(
            "load_balancer.hosted_zone_id",
            zone,
            "is only used with load_balancer.domain_name; set both or neither",
        ),
        _ => {}
    }
    if let Some(zone) = &lb.hosted_zone_id {
        let well_formed = zone.starts_with('Z')
            && zone.len() <= 32
            && zone.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !well_formed {
            let hint = zone.strip_prefix("/hostedzone/").map(|bare| format!("did you mean `{bare}`?"));
            v.fail_hint(
                "load_balancer.hosted_zone_id",
                quoted(zone),
                "must be a Route 53 hosted zone ID: Z followed by capital letters and digits",
                hint,
            );
        }
    }
}

fn is_domain_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    name.len() <= 253 && name.split('.').count() >= 2 && name.split('.').all(label_ok)
}

fn check_health_check(v: &mut Rules, c: &Config) {
    let hc = &c.load_balancer.health_check;
    if !hc.path.starts_with('/') || hc.path.len() > 1024 || hc.path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        v.fail_str(
            "load_balancer.health_check.path",
            &hc.path,
            "must start with / and hold no spaces, at most 1024 characters",
        );
    }
    v.range("load_balancer.health_check.interval_seconds", hc.interval_seconds, 5..=300, "");
    v.range("load_balancer.health_check.timeout_seconds", hc.timeout_seconds, 2..=120, "");
    if hc.timeout_seconds >= hc.interval_seconds {
        v.fail(
            "load_balancer.health_check.timeout_seconds",
            hc.timeout_seconds,
            format!("must be less than load_balancer.health_check.interval_seconds ({})", hc.interval_seconds),
        );
    }
    v.range("load_balancer.health_check.healthy_threshold", hc.healthy_threshold, 2..=10, "");
    v.range("load_balancer.health_check.unhealthy_threshold", hc.unhealthy_threshold, 2..=10, "");
    let code_ok = |code: &str| code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (200..=499).contains(&c));
    let part_ok = |part: &str| match part.split_once('-') {
        Some((from, to)) => code_ok(from) && code_ok(to) && from <= to,
        None => code_ok(part),
    };
    if hc.matcher.is_empty() || !hc.matcher.split(',').all(part_ok) {
        v.fail_str(
            "load_balancer.health_check.matcher",
            &hc.matcher,
            "must be HTTP codes from 200 to 499: a code, a list such as 200,204, or a range such as 200-299",
        );
    }
}

fn check_service(v: &mut Rules, c: &Config) {
    let svc = &c.service;
    if let Some(name) = &svc.name {
        v.name("service.name", name);
    }
    if svc.desired_count > MAX_TASKS_PER_SERVICE {
        v.fail("service.desired_count", svc.desired_count, "must be at most 5000 (ECS's tasks per service)");
    }
    if svc.health_check_grace_period_seconds > MAX_GRACE_PERIOD_SECONDS {
        v.fail(
            "service.health_check_grace_period_seconds",
            svc.health_check_grace_period_seconds,
            "must be at most 2147483647",
        );
    }
    v.range("service.min_healthy_percent", svc.min_healthy_percent, 0..=100, "");
    if svc.max_healthy_percent < 100 {
        v.fail("service.max_healthy_percent", svc.max_healthy_percent, "must be at least 100");
    } else if svc.max_healthy_percent <= svc.min_healthy_percent {
        v.fail(
            "service.max_healthy_percent",
            svc.max_healthy_percent,
            format!(
                "must exceed service.min_healthy_percent ({}), or a deployment can neither start nor stop a task",
                svc.min_healthy_percent
            ),
        );
    }
    if let Some(scaling) = &svc.auto_scaling {
        let field = |name: &str| format!("service.auto_scaling.{name}");
        if scaling.min == 0 {
            v.fail(&field("min"), 0, "must be at least 1: the service needs a task to answer requests");
        }
        if scaling.max > MAX_TASKS_PER_SERVICE {
            v.fail(&field("max"), scaling.max, "must be at most 5000 (ECS's tasks per service)");
        } else if scaling.max < scaling.min {
            v.fail(&field("max"), scaling.max, format!("must be at least service.auto_scaling.min ({})", scaling.min));
        }
        if let Some(cpu) = scaling.target_cpu_percent {
            v.range(&field("target_cpu_percent"), cpu, 10..=90, "");
        }
        if let Some(requests) = scaling.target_requests_per_target {
            v.range(&field("target_requests_per_target"), requests, 1..=1_000_000, "");
        }
        if let (Some(cpu), None) = (scaling.cpu_target(), svc.container.cpu) {
            v.fail_hint(
                &field("target_cpu_percent"),
                cpu,
                "needs service.container.cpu: ECS measures a service's CPU use against what its tasks reserve",
                "set service.container.cpu (1024 = one vCPU), or scale on target_requests_per_target alone".to_owned(),
            );
        }
    }
    if !LOG_RETENTION_DAYS.contains(&svc.log_retention_days) {
        let nearest = LOG_RETENTION_DAYS.iter().min_by_key(|d| d.abs_diff(svc.log_retention_days)).copied();
        v.fail_hint(
            "service.log_retention_days",
            svc.log_retention_days,
            "is not one of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
            format!("the nearest is {}", nearest.unwrap_or(365)),
        );
    }
    check_container(v, c);
}

fn check_container(v: &mut Rules, c: &Config) {
    let ct = &c.service.container;
    v.name("service.container.name", &ct.name);
    if ct.image.is_empty()
        || ct.image.len() > MAX_NAME_LEN
        || ct.image.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        v.fail_str(
            "service.container.image",
            &ct.image,
            "must be 1 to 255 characters without spaces, such as nginx:1.27",
        );
    }
    check_image_source(v, c);
    v.range("service.container.port", ct.port, PORT, "");
    match (ct.memory_limit_mib, ct.memory_reservation_mib) {
        (None, None) => v.fail(
            "service.container.memory_limit_mib",
            "null",
            "must be set when service.container.memory_reservation_mib is not: ECS needs one of them on EC2",
        ),
        (Some(limit), reservation) => {
            if limit < MIN_CONTAINER_MEMORY_MIB {
                v.fail("service.container.memory_limit_mib", limit, "must be at least 6 (Docker's minimum)");
            }
            if let Some(reservation) = reservation.filter(|r| *r > limit) {
                v.fail(
                    "service.container.memory_reservation_mib",
                    reservation,
                    format!("must be at most service.container.memory_limit_mib ({limit})"),
                );
            }
        }
        (None, Some(reservation)) if reservation < MIN_CONTAINER_MEMORY_MIB => {
            v.fail("service.container.memory_reservation_mib", reservation, "must be at least 6 (Docker's minimum)");
        }
        (None, Some(_)) => {}
    }
    if let Some(cpu) = ct.cpu.filter(|cpu| *cpu > MAX_CONTAINER_CPU) {
        v.fail("service.container.cpu", cpu, "must be at most 10240 (10 vCPUs)");
    }
    for name in ct.environment.keys() {
        check_variable_name(v, "environment", name);
    }
    for (name, arn) in &ct.secrets {
        let field = format!("service.container.secrets.{name}");
        check_variable_name(v, "secrets", name);
        if ct.environment.contains_key(name) {
            v.fail_str(
                &field,
                name,
                "is also in service.container.environment; a variable comes from one or the other",
            );
        }
        match secret_source(arn) {
            Ok(_) => {}
            Err(rule) => v.fail_str(&field, arn, rule),
        }
    }
}

/// The built-in sample image: Apache serving one page, built for x86_64 only.
const SAMPLE_IMAGE: &str = "amazon/amazon-ecs-sample";
const SAMPLE_IMAGE_PATHS: [&str; 2] = ["/", "/index.html"];

/// Where the image comes from: a private ECR repository must be named so the execution role can
/// pull from it, and the sample image must be able to run and answer the health check.
fn check_image_source(v: &mut Rules, c: &Config) {
    let ct = &c.service.container;
    if ct.image.contains(".dkr.ecr") && ecr::Repository::of_image(&ct.image).is_none() {
        v.fail_str(
            "service.container.image",
            &ct.image,
            "looks like a private ECR image but is not one: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG], NAME in lowercase",
        );
    }
    let field = "service.container.image_repository";
    match (&ct.image_repository, ct.image_parameter) {
        (Some(repository), false) => v.fail_str(
            field,
            repository,
            "is for images deployed through the ContainerImage parameter (service.container.image_parameter: true); a fixed image's repository is read from service.container.image",
        ),
        (Some(repository), true) if ecr::Repository::parse(repository).is_none() => v.fail_str(
            field,
            repository,
            "must be a private ECR repository: its name (such as team/shop), its ARN (arn:aws:ecr:REGION:ACCOUNT:repository/NAME) or its URI",
        ),
        (Some(_), true) | (None, false) => {}
        (None, true) => v.warn(
            "service.container.image_parameter",
            "true: an image from a private ECR repository deployed through ContainerImage cannot be pulled unless service.container.image_repository names that repository (the task's execution role may pull only from the repositories it knows)",
        ),
    }
    let sample = ct.image == SAMPLE_IMAGE || ct.image == format!("{SAMPLE_IMAGE}:latest");
    if !sample {
        return;
    }
    let architecture = c.capacity.architecture();
    // (A malformed instance type has its own rule.)
    if architecture == Architecture::Arm64 && c.capacity.instance_type.contains('.') {
        v.fail_hint(
            "service.container.image",
            quoted(&ct.image),
            format!(
                "has no arm64 build and cannot run on capacity.instance_type {} (Graviton)",
                c.capacity.instance_type
            ),
            "use a multi-architecture image, such as public.ecr.aws/nginx/nginx:stable".to_owned(),
        );
    }
    let path = &c.load_balancer.health_check.path;
    // (A path that is not a path at all has its own rule.)
    if path.starts_with('/') && !SAMPLE_IMAGE_PATHS.contains(&path.as_str()) {
        v.fail_hint(
            "load_balancer.health_check.path",
            quoted(path),
            format!("is not served by {SAMPLE_IMAGE} (it answers only / with 200), so no task would ever be healthy"),
            "point the health check at a path your own image serves, with service.container.image".to_owned(),
        );
    }
}

/// AWS allows 50 tags per resource; some resources carry a few of their own (`Name`).
const MAX_USER_TAGS: usize = 45;

fn check_tags(v: &mut Rules, c: &Config) {
    if c.tags.len() > MAX_USER_TAGS {
        v.fail(
            "tags",
            c.tags.len(),
            "tags are too many: at most 45 (AWS allows 50 per resource, some are the stack's own)",
        );
    }
    let allowed = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c));
    for (key, value) in &c.tags {
        let field = format!("tags.{key}");
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
        }
    }
}

fn check_variable_name(v: &mut Rules, map: &str, name: &str) {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        v.fail_str(
            &format!("service.container.{map}.{name}"),
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

#[derive(Default)]
struct Rules {
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// The fields the file wrote, when known.
    written: Option<std::collections::BTreeSet<String>>,
}

impl Rules {
    /// Whether `field` was set: written in the file when that is known, else `differs_from_default`.
    fn written(&self, field: &str, differs_from_default: bool) -> bool {
        match &self.written {
            Some(written) => written.contains(field),
            None => differs_from_default,
        }
    }

    fn warn(&mut self, field: &str, message: &str) {
        #[cfg(test)]
        assert!(super::schema_has_field(field), "a warning names {field:?}, which is no field of the configuration");
        self.warnings.push(Diagnostic::new(field, message));
    }

    fn fail(&mut self, field: &str, value: impl ToString, rule: impl Into<String>) {
        // Every rule the unit tests break is checked to name a field that exists.
        #[cfg(test)]
        assert!(super::schema_has_field(field), "a diagnostic names {field:?}, which is no field of the configuration");
        self.diagnostics.push(Diagnostic::new(field, format!("{} {}", value.to_string(), rule.into())));
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

    fn range(&mut self, field: &str, value: u32, range: RangeInclusive<u32>, why: &str) {
        if !range.contains(&value) {
            let why = if why.is_empty() { String::new() } else { format!(" ({why})") };
            self.fail(field, value, format!("must be from {} to {}{why}", range.start(), range.end()));
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
                c.service.container.image = "public.ecr.aws/nginx/nginx:stable".into();
            })
            .is_empty()
        );
        assert_one_error(
            |c| c.service.container.image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/Shop:1".into(),
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
        let NetworkPlan::Create { cidr, public_subnets, private_subnets, nat_gateways } = valid.network() else {
            panic!("the default creates its VPC")
        };
        assert_eq!(*nat_gateways, 2);
        assert_eq!(public_subnets.len(), 2);
        assert_eq!(private_subnets[1].to_string(), "10.0.192.0/18");
        assert_eq!(cidr.to_string(), "10.0.0.0/16");
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
        assert_one_error(|c| c.service.container.name = String::new(), "service.container.name", "letters");
        assert_one_error(|c| c.service.container.image = "a b".into(), "service.container.image", "without spaces");
        assert_one_error(|c| c.service.container.port = 70000, "service.container.port", "1 to 65535");
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
        assert_one_error(tag("", "x"), "tags.", "must be a tag key");
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
            c.service.container.port = 0;
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
        let NetworkPlan::Create { public_subnets, private_subnets, .. } = valid.network() else { panic!() };
        assert_eq!(public_subnets.len(), 2);
        assert!(private_subnets.is_empty());
    }
}
