//! AWS::ElasticLoadBalancingV2 resources (generated), with the attributes each offers, the
//! actions and conditions ecs-alb writes, and the values the schemas leave as strings.

use serde::Serialize;

use crate::aws::ListenerProtocol;
use crate::template::{Handle, Intrinsic, Value};

pub use super::generated::elbv2::listener::{
    Action, Certificate, FixedResponseConfig, ForwardConfig, Listener, RedirectConfig, TargetGroupTuple,
};
pub use super::generated::elbv2::listener_rule::{HostHeaderConfig, ListenerRule, PathPatternConfig, RuleCondition};
pub use super::generated::elbv2::load_balancer::LoadBalancer;
pub use super::generated::elbv2::target_group::{Matcher, TargetGroup};

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

    /// `app/NAME/ID`, as CloudWatch's metrics name the load balancer.
    pub fn full_name(&self) -> Intrinsic {
        self.get_att("LoadBalancerFullName")
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

impl Handle<ListenerRule> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<Listener> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionType {
    #[default]
    Forward,
    Redirect,
    FixedResponse,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum RedirectStatus {
    /// Permanent.
    #[serde(rename = "HTTP_301")]
    #[default]
    MovedPermanently,
    #[serde(rename = "HTTP_302")]
    Found,
}

impl Action {
    /// Forwards to several groups by weight (out of their sum).
    pub fn forward_weighted<const N: usize>(groups: [(Intrinsic, u32); N]) -> Self {
        let target_groups = groups
            .into_iter()
            .map(|(arn, weight)| TargetGroupTuple { target_group_arn: Some(arn.into()), weight: Some(weight.into()) })
            .collect();
        Action {
            forward_config: Some(ForwardConfig { target_groups: Some(target_groups), ..ForwardConfig::default() }),
            r#type: ActionType::Forward,
            ..Action::default()
        }
    }

    pub fn forward(target_group_arn: impl Into<Value<String>>) -> Self {
        Action { target_group_arn: Some(target_group_arn.into()), r#type: ActionType::Forward, ..Action::default() }
    }

    /// A permanent redirect to the same host, path and query over HTTPS on `port` (host, path
    /// and query left out keep the request's own).
    pub fn redirect_to_https(port: u32) -> Self {
        Action {
            redirect_config: Some(RedirectConfig {
                port: Some(port.to_string().into()),
                protocol: Some(ListenerProtocol::Https),
                status_code: RedirectStatus::MovedPermanently,
                ..RedirectConfig::default()
            }),
            r#type: ActionType::Redirect,
            ..Action::default()
        }
    }

    /// A plain-text 404, for requests no route matches.
    pub fn not_found() -> Self {
        Action {
            fixed_response_config: Some(FixedResponseConfig {
                content_type: Some("text/plain".into()),
                message_body: Some("Not Found".into()),
                status_code: "404".into(),
            }),
            r#type: ActionType::FixedResponse,
            ..Action::default()
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleField {
    HostHeader,
    PathPattern,
}

impl RuleCondition {
    pub fn path_patterns(values: &[String]) -> Self {
        let values = Some(values.iter().map(|v| v.clone().into()).collect());
        RuleCondition {
            field: Some(RuleField::PathPattern),
            path_pattern_config: Some(PathPatternConfig { values, ..PathPatternConfig::default() }),
            ..RuleCondition::default()
        }
    }

    pub fn host_headers(values: &[String]) -> Self {
        let values = Some(values.iter().map(|v| v.clone().into()).collect());
        RuleCondition {
            field: Some(RuleField::HostHeader),
            host_header_config: Some(HostHeaderConfig { values, ..HostHeaderConfig::default() }),
            ..RuleCondition::default()
        }
    }
}

impl Handle<TargetGroup> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }

    /// `targetgroup/NAME/ID`, as CloudWatch's metrics name the group.
    pub fn full_name(&self) -> Intrinsic {
        self.get_att("TargetGroupFullName")
    }

    /// `targetgroup/NAME/ID`, as CloudWatch's metrics name the group, inside an `Fn::Sub` pattern.
    pub fn full_name_sub(&self) -> String {
        self.sub_att("TargetGroupFullName")
    }
}
