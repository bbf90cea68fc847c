//! AWS::Route53 resources.

use super::schema;
use serde::Serialize;

use crate::template::{Resource, Value};

/// A record in an existing hosted zone; here always an alias, which Route 53 answers without
/// charge and keeps pointing at the target's current addresses.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordSet {
    pub alias_target: AliasTarget,
    pub hosted_zone_id: Value<String>,
    pub name: Value<String>,
    #[serde(rename = "Type")]
    pub record_type: RecordType,
}

impl Resource for RecordSet {
    const TYPE: &'static str = schema::ROUTE53_RECORD_SET_TYPE;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    #[serde(rename = "DNSName")]
    pub dns_name: Value<String>,
    pub evaluate_target_health: bool,
    pub hosted_zone_id: Value<String>,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Aaaa,
    Cname,
}
