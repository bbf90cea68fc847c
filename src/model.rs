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
use crate::constructs::load_balancer::LoadBalancerProps;
use crate::constructs::service::ServiceProps;
use crate::constructs::service_scaling::TaskScaling;
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
    pub service: ServiceModel,
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

/// One service behind the load balancer: its task, how ECS runs it, how it scales, its name.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceModel {
    pub task: TaskProps,
    pub service: ServiceProps,
    /// Target tracking of the task count; `None` keeps the service's desired count.
    pub scaling: Option<TaskScaling>,
    /// The service's own DNS name, when one is configured.
    pub domain: Option<DomainProps>,
}
