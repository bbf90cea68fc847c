//! The service's own DNS name: an alias record in the user's Route 53 hosted zone.

use crate::resources::elbv2::LoadBalancer;
use crate::resources::route53::{AliasTarget, RecordSet, RecordType};
use crate::template::{Handle, Intrinsic, Scope, Template, TemplateError};

/// The service's own DNS name and the hosted zone that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainProps {
    pub name: String,
    pub hosted_zone_id: String,
}

/// Adds the record when a domain is configured.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    load_balancer: &Handle<LoadBalancer>,
    domain: Option<&DomainProps>,
) -> Result<(), TemplateError> {
    let Some(domain) = domain else { return Ok(()) };
    t.add(
        &scope.child("Resource"),
        RecordSet {
            alias_target: Some(AliasTarget {
                // The dualstack name answers both A and AAAA queries, as AWS advises for aliases.
                dns_name: Intrinsic::Sub(format!("dualstack.{}", load_balancer.dns_name_sub())).into(),
                evaluate_target_health: Some(false.into()),
                hosted_zone_id: load_balancer.canonical_hosted_zone_id().into(),
            }),
            hosted_zone_id: Some(domain.hosted_zone_id.clone().into()),
            name: domain.name.clone().into(),
            r#type: RecordType::A,
            ..RecordSet::default()
        },
    )?;
    Ok(())
}
