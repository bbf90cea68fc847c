//! The ECS cluster.

use crate::resources::ecs::Cluster;
use crate::template::{Handle, Scope, Template, TemplateError};

pub fn build(t: &mut Template, scope: &Scope) -> Result<Handle<Cluster>, TemplateError> {
    t.add(&scope.child("Resource"), Cluster::default())
}
