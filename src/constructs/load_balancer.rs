//! The Application Load Balancer, its security group, its listener and the service's target group.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::{ANYWHERE_IPV4, ListenerProtocol};
use crate::bounds;
use crate::constructs::access_logs;
use crate::resources::Attribute;
use crate::resources::ec2::{Egress, Ingress, SecurityGroup};
use crate::resources::elbv2::{
    Action, Certificate, Listener, ListenerRule, LoadBalancer, LoadBalancerType, Matcher, RuleCondition, Scheme,
    TargetGroup, TargetType,
};
use crate::template::{Handle, Intrinsic, List, Options, Scope, Template, TemplateError, Value};

/// ECS registers each task with its own dynamic host port, so the group's port is only a
/// default; keeping it fixed means a new listener port does not replace the group.
const TARGET_GROUP_PORT: u32 = 80;

/// What the configuration decides about the load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerProps {
    /// Internet-facing, in the public subnets; else internal, in the private ones.
    pub public: bool,
    /// The IPv4 ranges that may connect to the listeners.
    pub allowed_cidrs: Vec<String>,
    pub listener_port: u32,
    /// HTTPS settings; `None` makes a plain HTTP listener.
    pub tls: Option<TlsProps>,
    pub idle_timeout_seconds: u32,
    /// Access logs to a bucket of their own, kept this many days; `None` for none.
    pub access_logs_days: Option<u32>,
    /// Ports of listeners where releases take test traffic, with the same protocol and
    /// certificate as the production one.
    pub test_listener_ports: Vec<u32>,
}

/// A service's target group: how the load balancer checks its tasks and lets them go.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupProps {
    pub health_check: HealthCheckConfig,
    pub deregistration_delay_seconds: u32,
}

/// What the listener does with a request no rule takes.
pub enum DefaultRoute<'a> {
    /// Forward to a new target group where the CDK pattern puts its one service's.
    NewGroup(&'a TargetGroupProps),
    /// Forward to a service's group.
    Group(&'a Handle<TargetGroup>),
    /// Answer 404.
    NotFound,
}

/// Where the load balancer lives.
pub struct LoadBalancerPlacement {
    pub vpc_id: Value<String>,
    pub subnets: List<String>,
    /// Resources the load balancer needs in place first (the public subnets' internet routes).
    pub depends_on: Options,
}

/// The HTTPS listener's certificate and policy, and whether port 80 redirects to it.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsProps {
    pub certificate_arn: String,
    pub ssl_policy: String,
    pub redirect_http: bool,
}

/// How the load balancer tells a healthy task from a sick one.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// The path requested, starting with `/`.
    ///
    /// Default: /
    pub path: String,
    /// Seconds between checks.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::CHECK_INTERVAL_SECONDS.min, max = bounds::CHECK_INTERVAL_SECONDS.max))]
    pub interval_seconds: u32,
    /// Seconds without an answer that fail a check, less than the interval.
    ///
    /// Default: 5
    #[schemars(range(min = bounds::CHECK_TIMEOUT_SECONDS.min, max = bounds::CHECK_TIMEOUT_SECONDS.max))]
    pub timeout_seconds: u32,
    /// Consecutive successes that make a task healthy.
    ///
    /// Default: 5
    #[schemars(range(min = bounds::CHECK_THRESHOLD.min, max = bounds::CHECK_THRESHOLD.max))]
    pub healthy_threshold: u32,
    /// Consecutive failures that make a task unhealthy.
    ///
    /// Default: 2
    #[schemars(range(min = bounds::CHECK_THRESHOLD.min, max = bounds::CHECK_THRESHOLD.max))]
    pub unhealthy_threshold: u32,
    /// HTTP codes that count as healthy: `200`, `200,204` or `200-299`, from 200 to 499.
    ///
    /// Default: 200
    pub matcher: String,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            path: "/".into(),
            interval_seconds: 30,
            timeout_seconds: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: "200".into(),
        }
    }
}

pub struct AlbWithListener {
    pub load_balancer: Handle<LoadBalancer>,
    pub security_group: Handle<SecurityGroup>,
    pub security_group_scope: Scope,
    /// The listener services are routed on (HTTPS when there is one).
    pub listener: Handle<Listener>,
    /// The listeners releases take test traffic on, by port.
    test_listeners: Vec<(u32, Handle<Listener>)>,
    /// The group `DefaultRoute::NewGroup` made.
    pub default_group: Option<Handle<TargetGroup>>,
    protocol: ListenerProtocol,
    port: u32,
}

impl AlbWithListener {
    pub fn build(
        t: &mut Template,
        scope: &Scope,
        props: &LoadBalancerProps,
        placement: LoadBalancerPlacement,
        default_route: DefaultRoute<'_>,
    ) -> Result<AlbWithListener, TemplateError> {
        let security_group_scope = scope.child("SecurityGroup");
        let tls = props.tls.as_ref();
        let protocol = if tls.is_some() { ListenerProtocol::Https } else { ListenerProtocol::Http };
        // Where browsers go for http:// addresses.
        let redirect_port = tls.filter(|tls| tls.redirect_http).map(|_| ListenerProtocol::Http.default_port());
        let ingress = std::iter::once(props.listener_port)
            .chain(redirect_port)
            .chain(props.test_listener_ports.iter().copied())
            .flat_map(|port| props.allowed_cidrs.iter().map(move |cidr| allow_from(cidr, port)))
            .collect();
        let security_group = t.add(
            &security_group_scope.child("Resource"),
            SecurityGroup {
                group_description: format!("Automatically created Security Group for ELB {}", scope.unique_id()).into(),
                // A rule that matches nothing replaces the default allow-all egress, so the only
                // way out is the rule to the instances.
                security_group_egress: Some(vec![Egress {
                    cidr_ip: Some("255.255.255.255/32".into()),
                    description: Some("Disallow all traffic".into()),
                    from_port: Some(252.into()),
                    ip_protocol: "icmp".into(),
                    to_port: Some(86.into()),
                    ..Egress::default()
                }]),
                security_group_ingress: Some(ingress),
                vpc_id: Some(placement.vpc_id.clone()),
                ..SecurityGroup::default()
            },
        )?;

        let mut attributes = vec![
            Attribute::new("deletion_protection.enabled", false),
            // Requests with malformed headers are dropped rather than passed to the app.
            Attribute::new("routing.http.drop_invalid_header_fields.enabled", true),
            Attribute::new("idle_timeout.timeout_seconds", props.idle_timeout_seconds),
        ];
        let mut depends_on = placement.depends_on;
        if let Some(days) = props.access_logs_days {
            let logs = access_logs::build(t, scope, days)?;
            attributes.push(Attribute::new("access_logs.s3.enabled", true));
            attributes.push(Attribute::resolved("access_logs.s3.bucket", logs.bucket.bucket_name()));
            depends_on = depends_on.depends_on(&logs.policy);
        }
        let load_balancer = t.add_with(
            &scope.child("Resource"),
            LoadBalancer {
                load_balancer_attributes: Some(attributes),
                scheme: Some(if props.public { Scheme::InternetFacing } else { Scheme::Internal }),
                security_groups: Some(vec![security_group.group_id().into()]),
                subnets: Some(placement.subnets),
                r#type: Some(LoadBalancerType::Application),
                ..LoadBalancer::default()
            },
            depends_on,
        )?;

        let listener_scope = scope.child("PublicListener");
        let vpc_id = placement.vpc_id.clone();
        let (default_group, default_action) = match default_route {
            DefaultRoute::NewGroup(group) => {
                let group = target_group(t, &listener_scope.child("ECSGroup"), group, vpc_id)?;
                let action = Action::forward(group.arn());
                (Some(group), action)
            }
            DefaultRoute::Group(group) => (None, Action::forward(group.arn())),
            DefaultRoute::NotFound => (None, Action::not_found()),
        };
        let serving = |port: u32, default_action: Action| Listener {
            certificates: tls
                .map(|tls| vec![Certificate { certificate_arn: Some(tls.certificate_arn.clone().into()) }]),
            default_actions: vec![default_action],
            load_balancer_arn: load_balancer.arn().into(),
            port: Some(port.into()),
            protocol: Some(protocol),
            ssl_policy: tls.map(|tls| tls.ssl_policy.clone().into()),
            ..Listener::default()
        };
        let listener = t.add(&listener_scope.child("Resource"), serving(props.listener_port, default_action))?;
        // A request no release's test rule takes is answered 404, as on a listener of several
        // services: test traffic reaches only what a release has put there.
        let test_listeners = props
            .test_listener_ports
            .iter()
            .map(|&port| {
                let at = scope.child(format!("TestListener{port}")).child("Resource");
                Ok((port, t.add(&at, serving(port, Action::not_found()))?))
            })
            .collect::<Result<_, TemplateError>>()?;
        if let Some(port) = redirect_port {
            t.add(
                &scope.child("PublicRedirectListener").child("Resource"),
                Listener {
                    default_actions: vec![Action::redirect_to_https(props.listener_port)],
                    load_balancer_arn: load_balancer.arn().into(),
                    port: Some(port.into()),
                    protocol: Some(ListenerProtocol::Http),
                    ..Listener::default()
                },
            )?;
        }

        Ok(AlbWithListener {
            load_balancer,
            security_group,
            security_group_scope,
            listener,
            test_listeners,
            default_group,
            protocol,
            port: props.listener_port,
        })
    }

    /// The test listener on `port`, when the load balancer has one.
    pub fn test_listener(&self, port: u32) -> Option<&Handle<Listener>> {
        self.test_listeners.iter().find(|(p, _)| *p == port).map(|(_, listener)| listener)
    }

    /// The service's address: at `host` when given (the service's own DNS name), else at the load
    /// balancer's DNS name.
    /// The port is written when it is not the scheme's own.
    pub fn url(&self, host: Option<&str>) -> Value<String> {
        self.url_at(host, "")
    }

    /// The URL of `path` (empty, or starting with `/`) on `host`, else on the load balancer's
    /// own DNS name.
    pub fn url_at(&self, host: Option<&str>, path: &str) -> Value<String> {
        let scheme = self.protocol.scheme();
        let port = if self.port == self.protocol.default_port() { String::new() } else { format!(":{}", self.port) };
        match host {
            Some(host) => format!("{scheme}://{host}{port}{path}").into(),
            None => Intrinsic::Sub(format!("{scheme}://{}{port}{path}", self.load_balancer.dns_name_sub())).into(),
        }
    }
}

/// A service's target group at `scope` (its `Resource` below it): instances on ECS's dynamic
/// ports, checked as `props` says.
pub fn target_group(
    t: &mut Template,
    scope: &Scope,
    props: &TargetGroupProps,
    vpc_id: Value<String>,
) -> Result<Handle<TargetGroup>, TemplateError> {
    let hc = &props.health_check;
    t.add(
        &scope.child("Resource"),
        TargetGroup {
            health_check_interval_seconds: Some(hc.interval_seconds.into()),
            health_check_path: Some(hc.path.clone().into()),
            // Health checks follow each task to its dynamic host port.
            health_check_port: Some("traffic-port".into()),
            health_check_timeout_seconds: Some(hc.timeout_seconds.into()),
            healthy_threshold_count: Some(hc.healthy_threshold.into()),
            matcher: Some(Matcher { http_code: Some(hc.matcher.clone().into()), ..Matcher::default() }),
            port: Some(TARGET_GROUP_PORT.into()),
            protocol: Some(ListenerProtocol::Http),
            target_group_attributes: Some(vec![
                Attribute::new("stickiness.enabled", false),
                Attribute::new("deregistration_delay.timeout_seconds", props.deregistration_delay_seconds),
            ]),
            target_type: Some(TargetType::Instance),
            unhealthy_threshold_count: Some(hc.unhealthy_threshold.into()),
            vpc_id: Some(vpc_id),
            ..TargetGroup::default()
        },
    )
}

/// Where a rule sends its requests: the service's group, or with a release's alternate group
/// both, the primary weighted 100 and the alternate 0 until ECS shifts them.
#[derive(Clone, Copy)]
pub struct Forward<'a> {
    pub primary: &'a Handle<TargetGroup>,
    pub alternate: Option<&'a Handle<TargetGroup>>,
}

impl Forward<'_> {
    fn action(self) -> Action {
        match self.alternate {
            None => Action::forward(self.primary.arn()),
            Some(alternate) => Action::forward_weighted([(self.primary.arn(), 100), (alternate.arn(), 0)]),
        }
    }
}

/// Sends the requests `route` matches where `forward` says, on `listener`, at `route.priority`.
pub fn route(
    t: &mut Template,
    scope: &Scope,
    listener: &Handle<Listener>,
    forward: Forward<'_>,
    route: &RouteProps,
) -> Result<Handle<ListenerRule>, TemplateError> {
    let mut conditions = Vec::new();
    if !route.path_patterns.is_empty() {
        conditions.push(RuleCondition::path_patterns(&route.path_patterns));
    }
    if !route.host_headers.is_empty() {
        conditions.push(RuleCondition::host_headers(&route.host_headers));
    }
    t.add(
        &scope.child("Resource"),
        ListenerRule {
            actions: vec![forward.action()],
            conditions,
            listener_arn: Some(listener.arn().into()),
            priority: route.priority.into(),
            ..ListenerRule::default()
        },
    )
}

/// The requests a service takes: any of its paths (when given) on any of its hosts (when given).
#[derive(Clone, Debug, PartialEq)]
pub struct RouteProps {
    pub path_patterns: Vec<String>,
    pub host_headers: Vec<String>,
    pub priority: u32,
}

fn allow_from(cidr: &str, port: u32) -> Ingress {
    let port = i64::from(port);
    let who = if cidr == ANYWHERE_IPV4 { "anyone".to_owned() } else { cidr.to_owned() };
    Ingress {
        cidr_ip: Some(cidr.to_owned().into()),
        // The CDK's wording, kept for the default rule.
        description: Some(format!("Allow from {who} on port {port}").into()),
        from_port: Some(port.into()),
        ip_protocol: "tcp".into(),
        to_port: Some(port.into()),
        ..Ingress::default()
    }
}
