//! The file's network section: the VPC ecs-alb creates, or one that exists.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bounds;

/// The VPC: one public and one private subnet in each availability zone.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VpcConfig {
    /// How many availability zones to span. An ALB needs subnets in at least two; the
    /// region must have this many.
    ///
    /// Default: 2
    #[schemars(range(min = bounds::MAX_AZS.min, max = bounds::MAX_AZS.max), extend("x-range-reason" = bounds::MAX_AZS.reason))]
    pub max_azs: u32,
    /// The VPC's IPv4 range, /16 to /28, split evenly into the subnets.
    ///
    /// Default: 10.0.0.0/16
    pub cidr: String,
    /// NAT gateways, 0 to `max_azs`; private subnets without one in their zone use the first.
    /// With 0 there are no private subnets: the instances run in the public subnets, still reachable
    /// only from the ALB.
    ///
    /// Default: - one per availability zone (`max_azs`).
    pub nat_gateways: Option<u32>,
    /// Use a VPC that exists instead of creating one; then `max_azs`, `cidr` and `nat_gateways`
    /// have no use and must be left out.
    ///
    /// Default: - none: ecs-alb creates the VPC.
    pub existing: Option<ExistingVpcConfig>,
}

impl Default for VpcConfig {
    fn default() -> Self {
        VpcConfig { max_azs: 2, cidr: "10.0.0.0/16".into(), nat_gateways: None, existing: None }
    }
}

/// A VPC made elsewhere, by its IDs. Subnets should lie in different availability zones, and
/// private ones need a route out (NAT) for the instances to reach ECS.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExistingVpcConfig {
    /// Such as vpc-0123456789abcdef0.
    ///
    /// Default: - none: required.
    pub vpc_id: String,
    /// Subnets with a route to an internet gateway: where a public load balancer goes (two at
    /// least, in different zones).
    ///
    /// Default: - none.
    pub public_subnet_ids: Vec<String>,
    /// Where the instances (and an internal load balancer) go; without any, the public subnets.
    ///
    /// Default: - none.
    pub private_subnet_ids: Vec<String>,
}
