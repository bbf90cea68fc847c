//! The rules of the configuration's network: a VPC to create, or one that exists.

use std::ops::RangeInclusive;

use super::{Rules, has_aws_id, quoted};
use crate::bounds;
use crate::cidr::{CidrError, Ipv4Cidr};
use crate::config::{Config, ExistingVpcConfig, VpcConfig};
use crate::constructs::vpc::{NetworkProps, VpcProps};

/// AWS's smallest subnet.
pub(super) const MAX_SUBNET_PREFIX: u8 = 28;
const VPC_PREFIX: RangeInclusive<u8> = 16..=28;

pub(super) fn subnet_count(azs: u32, nat_gateways: u32) -> u32 {
    if nat_gateways == 0 { azs } else { 2 * azs }
}

pub(super) fn check_new_vpc(v: &mut Rules, c: &Config) -> Option<NetworkProps> {
    v.range("vpc.max_azs", c.vpc.max_azs, bounds::MAX_AZS);
    let nat_gateways = c.vpc.nat_gateways.unwrap_or(c.vpc.max_azs);
    if nat_gateways > c.vpc.max_azs {
        v.fail("vpc.nat_gateways", nat_gateways, format!("must be at most vpc.max_azs ({})", c.vpc.max_azs));
    }
    let (cidr, mut blocks) = check_vpc_cidr(v, &c.vpc.cidr, subnet_count(c.vpc.max_azs, nat_gateways))?;
    let azs = (c.vpc.max_azs as usize).min(blocks.len());
    let private_subnets = blocks.split_off(azs);
    Some(NetworkProps::Create(VpcProps {
        cidr,
        public_subnets: blocks,
        private_subnets,
        nat_gateways: nat_gateways as usize,
    }))
}

pub(super) fn check_existing_vpc(v: &mut Rules, c: &Config, existing: &ExistingVpcConfig) {
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

pub(super) fn check_vpc_cidr(v: &mut Rules, cidr: &str, subnets: u32) -> Option<(Ipv4Cidr, Vec<Ipv4Cidr>)> {
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
