//! AWS::Route53 resources (generated).

use serde::Serialize;

pub use super::generated::route53::record_set::{AliasTarget, RecordSet};

/// A record's type (`Type`, a string in the schema): the ones ecs-alb writes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    #[default]
    A,
    Aaaa,
    Cname,
}
