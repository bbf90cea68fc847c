//! Constructs: groups of resources that serve one purpose, wired together by the pattern.
//!
//! Each sits at a [`Scope`](crate::template::Scope) and names its resources with the CDK's
//! construct IDs, so that the logical IDs match those of the CDK's own constructs.

pub mod capacity;
pub mod cluster;
pub mod connections;
pub mod drain_hook;
pub mod load_balancer;
pub mod service;
pub mod task;
pub mod vpc;

use crate::template::Tags;

/// The `Name` tag the CDK gives a construct's resources: the construct's path.
pub(crate) fn name_tag(path: String) -> Tags {
    Tags::new().with("Name", path)
}
