//! AWS::ElasticLoadBalancingV2 resources.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Attribute;
use super::schema;
use crate::aws::ListenerProtocol;
use crate::template::{Handle, Intrinsic, List, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_attributes: Vec<Attribute>,
    pub scheme: Scheme,
    pub security_groups: List<String>,
    pub subnets: List<String>,
    pub tags: Option<Tags>,
    #[serde(rename = "Type")]
    pub load_balancer_type: LoadBalancerType,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Scheme {
    #[serde(rename = "internet-facing")]
    InternetFacing,
    #[serde(rename = "internal")]
    Internal,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadBalancerType {
    Application,
    Network,
    Gateway,
}

/// What a target group's targets are registered by.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetType {
    Instance,
    Ip,
    Lambda,
    Alb,
}

impl Resource for LoadBalancer {
    const TYPE: &'static str = schema::ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<LoadBalancer> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }

    pub fn dns_name(&self) -> Intrinsic {
        self.get_att("DNSName")
    }

    /// `dns_name` inside an `Fn::Sub` pattern.
    pub fn dns_name_sub(&self) -> String {
        self.sub_att("DNSName")
    }

    /// `app/NAME/ID`, as CloudWatch's metrics name the load balancer, inside an `Fn::Sub` pattern.
    pub fn full_name_sub(&self) -> String {
        self.sub_att("LoadBalancerFullName")
    }

    /// The Route 53 zone of the load balancer's own DNS name, which an alias record must name.
    pub fn canonical_hosted_zone_id(&self) -> Intrinsic {
        self.get_att("CanonicalHostedZoneID")
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub certificates: Option<Vec<Certificate>>,
    pub default_actions: Vec<Action>,
    pub load_balancer_arn: Value<String>,
    pub port: Value<u32>,
    pub protocol: ListenerProtocol,
    pub ssl_policy: Option<Value<String>>,
    pub tags: Option<Tags>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    pub certificate_arn: Value<String>,
}

impl Handle<Listener> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

impl Resource for Listener {
    const TYPE: &'static str = schema::ELASTIC_LOAD_BALANCING_V2_LISTENER_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    pub fixed_response_config: Option<FixedResponseConfig>,
    pub redirect_config: Option<RedirectConfig>,
    pub target_group_arn: Option<Value<String>>,
    #[serde(rename = "Type")]
    pub action_type: ActionType,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionType {
    Forward,
    Redirect,
    FixedResponse,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum RedirectStatus {
    /// Permanent.
    #[serde(rename = "HTTP_301")]
    MovedPermanently,
    #[serde(rename = "HTTP_302")]
    Found,
}

impl Action {
    pub fn forward(target_group_arn: impl Into<Value<String>>) -> Self {
        Action {
            fixed_response_config: None,
            redirect_config: None,
            target_group_arn: Some(target_group_arn.into()),
            action_type: ActionType::Forward,
        }
    }

    /// A permanent redirect to the same host, path and query over HTTPS on `port`.
    pub fn redirect_to_https(port: u32) -> Self {
        Action {
            fixed_response_config: None,
            redirect_config: Some(RedirectConfig {
                port: port.to_string(),
                protocol: ListenerProtocol::Https,
                status_code: RedirectStatus::MovedPermanently,
            }),
            target_group_arn: None,
            action_type: ActionType::Redirect,
        }
    }
}

impl Action {
    /// A plain-text 404, for requests no route matches.
    pub fn not_found() -> Self {
        Action {
            fixed_response_config: Some(FixedResponseConfig {
                content_type: "text/plain".into(),
                message_body: "Not Found".into(),
                status_code: "404".into(),
            }),
            redirect_config: None,
            target_group_arn: None,
            action_type: ActionType::FixedResponse,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    pub content_type: Value<String>,
    pub message_body: Value<String>,
    pub status_code: Value<String>,
}

/// A listener's rule: requests matching every condition go to its actions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    pub actions: Vec<Action>,
    pub conditions: Vec<RuleCondition>,
    pub listener_arn: Value<String>,
    pub priority: Value<u32>,
}

impl Resource for ListenerRule {
    const TYPE: &'static str = schema::ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE;
}

#[derive(Debug, Serialize)]
pub struct RuleCondition {
    #[serde(rename = "Field")]
    pub field: RuleField,
    #[serde(rename = "HostHeaderConfig", skip_serializing_if = "Option::is_none")]
    pub host_header: Option<RuleValues>,
    #[serde(rename = "PathPatternConfig", skip_serializing_if = "Option::is_none")]
    pub path_pattern: Option<RuleValues>,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleField {
    HostHeader,
    PathPattern,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleValues {
    pub values: Vec<Value<String>>,
}

impl RuleCondition {
    pub fn path_patterns(values: &[String]) -> Self {
        let values = RuleValues { values: values.iter().map(|v| v.clone().into()).collect() };
        RuleCondition { field: RuleField::PathPattern, host_header: None, path_pattern: Some(values) }
    }

    pub fn host_headers(values: &[String]) -> Self {
        let values = RuleValues { values: values.iter().map(|v| v.clone().into()).collect() };
        RuleCondition { field: RuleField::HostHeader, host_header: Some(values), path_pattern: None }
    }
}

/// Host, path and query are left out: their default keeps the request's own.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    pub port: String,
    pub protocol: ListenerProtocol,
    pub status_code: RedirectStatus,
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
    pub protocol: ListenerProtocol,
    pub tags: Option<Tags>,
    pub target_group_attributes: Vec<Attribute>,
    pub target_type: TargetType,
    pub unhealthy_threshold_count: Option<Value<u32>>,
    pub vpc_id: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: Value<String>,
}

impl Resource for TargetGroup {
    const TYPE: &'static str = schema::ELASTIC_LOAD_BALANCING_V2_TARGET_GROUP_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<TargetGroup> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }

    /// `targetgroup/NAME/ID`, as CloudWatch's metrics name the group, inside an `Fn::Sub` pattern.
    pub fn full_name_sub(&self) -> String {
        self.sub_att("TargetGroupFullName")
    }
}
