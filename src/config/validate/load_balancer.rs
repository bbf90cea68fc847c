//! The rules of the configuration's load balancer: listeners, TLS, allowed ranges, DNS name, health check.

use super::{Rules, has_id, is_arn, quoted};
use crate::aws::{DEFAULT_SSL_POLICY, ListenerProtocol};
use crate::bounds;
use crate::cidr::{CidrError, Ipv4Cidr};
use crate::config::{Config, FieldPath, HealthCheckConfig, Protocol};

pub(super) fn check_listener(v: &mut Rules, c: &Config) {
    let lb = &c.load_balancer;
    v.range_if_set("load_balancer.listener_port", lb.listener_port, bounds::PORT);
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

/// A security group takes 60 inbound rules ("Amazon VPC quotas"); each range has one per
/// listener port.
const SECURITY_GROUP_INGRESS_RULES: usize = 60;

pub(super) fn check_allowed_cidrs(v: &mut Rules, c: &Config) {
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
    // One rule per range and port: the listener's, the redirect's, each test listener's.
    let ports = 1 + usize::from(lb.redirects_http()) + c.test_listener_ports().len();
    let most = SECURITY_GROUP_INGRESS_RULES / ports;
    if cidrs.len() > most {
        v.fail(
            field,
            format!("{} ranges", cidrs.len()),
            format!(
                "are too many: at most {most} (a security group takes {SECURITY_GROUP_INGRESS_RULES} rules, one per range on each of {ports} listener ports)"
            ),
        );
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

pub(super) fn is_certificate_arn(arn: &str) -> bool {
    is_arn(arn, "acm", |region, resource| !region.is_empty() && has_id(resource, "certificate/"))
        || is_arn(arn, "iam", |region, resource| region.is_empty() && has_id(resource, "server-certificate/"))
}

pub(super) fn check_domain(v: &mut Rules, c: &Config) {
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

pub(super) fn is_domain_name(name: &str) -> bool {
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

/// A target group's health check, `at` the file's place for it: the load balancer's, or a
/// service's own.
pub(super) fn check_health_check(v: &mut Rules, hc: &HealthCheckConfig, at: &FieldPath) {
    let field = |name: &str| at.field(name);
    if !hc.path.starts_with('/') || hc.path.len() > 1024 || hc.path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        v.fail_str(&field("path"), &hc.path, "must start with / and hold no spaces, at most 1024 characters");
    }
    v.range(&field("interval_seconds"), hc.interval_seconds, bounds::CHECK_INTERVAL_SECONDS);
    v.range(&field("timeout_seconds"), hc.timeout_seconds, bounds::CHECK_TIMEOUT_SECONDS);
    v.range(&field("healthy_threshold"), hc.healthy_threshold, bounds::CHECK_THRESHOLD);
    v.range(&field("unhealthy_threshold"), hc.unhealthy_threshold, bounds::CHECK_THRESHOLD);
    if hc.timeout_seconds >= hc.interval_seconds {
        v.fail(
            &field("timeout_seconds"),
            hc.timeout_seconds,
            format!("must be less than {} ({})", field("interval_seconds"), hc.interval_seconds),
        );
    }
    let code_ok = |code: &str| code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (200..=499).contains(&c));
    let part_ok = |part: &str| match part.split_once('-') {
        Some((from, to)) => code_ok(from) && code_ok(to) && from <= to,
        None => code_ok(part),
    };
    if hc.matcher.is_empty() || !hc.matcher.split(',').all(part_ok) {
        v.fail_str(
            &field("matcher"),
            &hc.matcher,
            "must be HTTP codes from 200 to 499: a code, a list such as 200,204, or a range such as 200-299",
        );
    }
}
