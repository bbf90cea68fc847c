//! The ECS cluster.

use crate::resources::ecs::{Cluster, ClusterSetting, ClusterSettingName};
use crate::template::{Handle, Scope, Template, TemplateError};

/// A cluster with Container Insights set as asked (`enabled`, `enhanced` or `disabled`); the
/// configuration turns it on by default, where the CDK pattern leaves it off.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    container_insights: &'static str,
) -> Result<Handle<Cluster>, TemplateError> {
    let insights = ClusterSetting { name: ClusterSettingName::ContainerInsights, value: container_insights.into() };
    t.add(&scope.child("Resource"), Cluster { cluster_name: None, cluster_settings: Some(vec![insights]), tags: None })
}
