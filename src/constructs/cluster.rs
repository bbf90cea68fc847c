//! The ECS cluster.

use crate::resources::ecs::{Cluster, ClusterSettingName, ClusterSettings};
use crate::template::{Handle, Scope, Template, TemplateError};

/// A cluster with Container Insights set as asked (`enabled`, `enhanced` or `disabled`); the
/// configuration turns it on by default, where the CDK pattern leaves it off.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    container_insights: &'static str,
) -> Result<Handle<Cluster>, TemplateError> {
    let insights =
        ClusterSettings { name: Some(ClusterSettingName::ContainerInsights), value: Some(container_insights.into()) };
    t.add(&scope.child("Resource"), Cluster { cluster_settings: Some(vec![insights]), ..Cluster::default() })
}
