//! Constructs: groups of resources that serve one purpose, wired together by the pattern.
//!
//! Each sits at a [`Scope`](crate::template::Scope) and names its resources with the CDK's
//! construct IDs, so that the logical IDs match those of the CDK's own constructs.

pub mod access_logs;
pub mod capacity;
pub mod capacity_provider;
pub mod cluster;
pub mod connections;
pub mod container;
pub mod deployment_alarms;
pub mod dns;
pub mod drain_hook;
pub mod drain_timing;
pub mod load_balancer;
pub mod service;
pub mod service_scaling;
pub mod task;
pub mod vpc;

use crate::resources::iam::{Policy, PolicyDocument, Role, Statement};
use crate::template::{Handle, Scope, Tags, Template, TemplateError};

/// The `Name` tag the CDK gives a construct's resources: the construct's path.
pub(crate) fn name_tag(path: String) -> Tags {
    Tags::new().with("Name", path)
}

/// An inline policy of `role`, at `role_scope/name` and named after its own logical ID, as the CDK
/// makes a role's `DefaultPolicy`.
pub(crate) fn add_role_policy(
    t: &mut Template,
    role_scope: &Scope,
    name: &str,
    role: &Handle<Role>,
    statements: Vec<Statement>,
) -> Result<Handle<Policy>, TemplateError> {
    let scope = role_scope.child(name).child("Resource");
    t.add(
        &scope,
        Policy {
            policy_document: PolicyDocument::new(statements).into(),
            policy_name: scope.logical_id().to_string().into(),
            roles: Some(vec![role.role_name().into()]),
            ..Policy::default()
        },
    )
}
