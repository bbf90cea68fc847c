//! The resolved model: what a valid configuration means, in the constructs' own props.
//!
//! The configuration file says what the user wrote; this says what to build. Every value the file
//! leaves open (a default that depends on another field, an ARN parsed into what to grant, the
//! drain mode's own settings) is decided once, when the configuration is validated
//! (`config::ValidConfig::model`). The pattern only reads it, and no construct knows the file.

use indexmap::IndexMap;

use crate::constructs::capacity::CapacityProps;
use crate::constructs::dns::DomainProps;
use crate::constructs::drain_hook::DrainHookProps;
use crate::constructs::load_balancer::{LoadBalancerProps, RouteProps, TargetGroupProps};
use crate::constructs::service::ServiceProps;
use crate::constructs::service_scaling::AutoScalingConfig;
use crate::constructs::task::TaskProps;
use crate::constructs::vpc::NetworkProps;

/// The whole stack, as the README's diagram draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub stack_name: String,
    pub network: NetworkProps,
    /// The cluster's Container Insights setting (`enabled`, `enhanced` or `disabled`).
    pub container_insights: &'static str,
    pub capacity: CapacityProps,
    pub draining: Draining,
    pub load_balancer: LoadBalancerProps,
    /// The stack's own DNS name, an alias of the load balancer, when one is configured.
    pub domain: Option<DomainProps>,
    /// The one `service` (the CDK's), or `services` in their order.
    pub services: Vec<ServiceModel>,
    /// For every resource that takes tags.
    pub tags: IndexMap<String, String>,
}

/// How the instances' tasks are moved away before an instance ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Draining {
    /// A lifecycle hook holds each terminating instance while the drainer empties it.
    Hook(DrainHookProps),
    /// An ECS capacity provider drains the instances it takes away.
    Managed,
    /// Tasks stop with their instance.
    None,
}

/// One service behind the load balancer: its task, how ECS runs it, how it scales, which
/// requests reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceModel {
    /// Its name in `services`, which its resources' logical IDs derive from; `None` for the one
    /// `service`, whose logical IDs are the CDK pattern's.
    pub name: Option<String>,
    pub task: TaskProps,
    pub service: ServiceProps,
    /// Target tracking of the task count; `None` keeps the service's desired count.
    pub scaling: Option<AutoScalingConfig>,
    pub target_group: TargetGroupProps,
    /// The requests its listener rule sends it; `None` for the listener's default route.
    pub route: Option<RouteProps>,
}

impl Model {
    /// Whether these are `services`' named services (else the CDK pattern's one).
    pub fn named_services(&self) -> bool {
        self.services.iter().any(|s| s.name.is_some())
    }
}
