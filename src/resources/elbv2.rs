//! AWS::ElasticLoadBalancingV2 resources.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Attribute;
use crate::template::{Handle, Intrinsic, List, Resource, Value};

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_attributes: Vec<Attribute>,
    pub scheme: &'static str,
    pub security_groups: List<String>,
    pub subnets: List<String>,
    #[serde(rename = "Type")]
    pub load_balancer_type: &'static str,
}

impl Resource for LoadBalancer {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
}

impl Handle<LoadBalancer> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }

    pub fn dns_name(&self) -> Intrinsic {
        self.get_att("DNSName")
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub default_actions: Vec<Action>,
    pub load_balancer_arn: Value<String>,
    pub port: Value<u32>,
    pub protocol: &'static str,
}

impl Resource for Listener {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::Listener";
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    pub target_group_arn: Value<String>,
    #[serde(rename = "Type")]
    pub action_type: &'static str,
}

impl Action {
    pub fn forward(target_group_arn: impl Into<Value<String>>) -> Self {
        Action { target_group_arn: target_group_arn.into(), action_type: "forward" }
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    pub health_check_interval_seconds: Option<Value<u32>>,
    pub health_check_path: Option<Value<String>>,
    pub health_check_port: Option<Value<String>>,
    pub health_check_timeout_seconds: Option<Value<u32>>,
    pub healthy_threshold_count: Option<Value<u32>>,
    pub matcher: Option<Matcher>,
    pub port: Value<u32>,
    pub protocol: &'static str,
    pub target_group_attributes: Vec<Attribute>,
    pub target_type: &'static str,
    pub unhealthy_threshold_count: Option<Value<u32>>,
    pub vpc_id: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: Value<String>,
}

impl Resource for TargetGroup {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::TargetGroup";
}

impl Handle<TargetGroup> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}
