//! The ECS cluster.

use crate::resources::ecs::{Cluster, ClusterSetting};
use crate::template::{Handle, Scope, Template, TemplateError};

/// A cluster with Container Insights: per-task CPU, memory and network metrics are what one looks
/// at first when a service misbehaves, and the CDK pattern leaves them off.
pub fn build(t: &mut Template, scope: &Scope) -> Result<Handle<Cluster>, TemplateError> {
    let insights = ClusterSetting { name: "containerInsights", value: "enabled".into() };
    t.add(&scope.child("Resource"), Cluster { cluster_name: None, cluster_settings: Some(vec![insights]) })
}
