//! The file's load balancer section: who may connect, on what protocol and port, under which
//! name, and how targets are checked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{HealthCheckConfig, Protocol};
use crate::bounds;

/// The Application Load Balancer in front of the service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerConfig {
    /// Internet-facing in the public subnets, or internal.
    ///
    /// Default: true
    pub public: bool,
    /// The IPv4 ranges (CIDRs such as 203.0.113.0/24) that may connect to the listeners, at
    /// most 30. Required for an internal load balancer in an existing VPC (its range is not
    /// known to ecs-alb).
    ///
    /// Default: - anyone (0.0.0.0/0) if internet-facing, else the VPC's range.
    pub allowed_cidrs: Option<Vec<String>>,
    /// HTTP, or HTTPS with `certificate_arn`.
    ///
    /// Default: HTTP
    pub protocol: Protocol,
    /// The listener's port.
    ///
    /// Default: - 80 with HTTP, 443 with HTTPS.
    #[schemars(range(min = bounds::PORT.min, max = bounds::PORT.max))]
    pub listener_port: Option<u32>,
    /// The certificate the HTTPS listener presents: an ACM certificate's ARN (or an IAM server
    /// certificate's). Required with HTTPS, refused with HTTP.
    ///
    /// Default: - none.
    pub certificate_arn: Option<String>,
    /// The HTTPS listener's security policy, an `ELBSecurityPolicy-...` name.
    ///
    /// Default: - ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.3 and 1.2 only, AWS's recommendation).
    pub ssl_policy: Option<String>,
    /// With HTTPS, also listen on port 80 and answer every request there with a permanent redirect
    /// to HTTPS, so links and typed addresses starting with http:// keep working.
    ///
    /// Default: - true with HTTPS.
    pub redirect_http: Option<bool>,
    /// A DNS name for the service, such as app.example.com: an alias record pointing at the load
    /// balancer is added to `hosted_zone_id`, and the service's URL uses the name.
    ///
    /// Default: - none: the service is reached at the load balancer's own DNS name.
    pub domain_name: Option<String>,
    /// The ID of the Route 53 hosted zone that holds `domain_name` (such as Z0123456789ABCDEFGHIJ);
    /// required with it.
    ///
    /// Default: - none.
    pub hosted_zone_id: Option<String>,
    /// Seconds a connection may stay idle.
    ///
    /// Default: 60
    #[schemars(range(min = bounds::IDLE_TIMEOUT_SECONDS.min, max = bounds::IDLE_TIMEOUT_SECONDS.max))]
    pub idle_timeout_seconds: u32,
    pub health_check: HealthCheckConfig,
    /// Seconds a task's connections may finish after it leaves the target group. Every
    /// deployment and every drain waits this long per task, so it is short; raise it for long requests.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::DEREGISTRATION_DELAY_SECONDS.min, max = bounds::DEREGISTRATION_DELAY_SECONDS.max))]
    pub deregistration_delay_seconds: u32,
}

impl Default for LoadBalancerConfig {
    fn default() -> Self {
        LoadBalancerConfig {
            public: true,
            allowed_cidrs: None,
            protocol: Protocol::Http,
            listener_port: None,
            certificate_arn: None,
            ssl_policy: None,
            redirect_http: None,
            domain_name: None,
            hosted_zone_id: None,
            idle_timeout_seconds: 60,
            health_check: HealthCheckConfig::default(),
            deregistration_delay_seconds: 30,
        }
    }
}

impl LoadBalancerConfig {
    /// Whether port 80 redirects to HTTPS: with HTTPS, unless turned off.
    pub fn redirects_http(&self) -> bool {
        self.protocol == Protocol::Https && self.redirect_http.unwrap_or(true)
    }
}
