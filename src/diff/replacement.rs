//! Which property changes make CloudFormation replace a resource: the `createOnlyProperties` of
//! each type's schema ("Update requires: Replacement" in the reference), as `resources::schema`
//! holds them, generated from AWS's schemas for every type ecs-alb emits. Task definitions, for
//! one, are immutable: every change but their tags registers a new revision.

use crate::resources::{ResourceSchema, schema};

/// Whether changing `property` (a dotted path such as `MaxSize` or `Provider.Arn.0`) replaces a
/// resource of `resource_type`: it is, lies within, or holds a create-only property. Types
/// ecs-alb does not emit are assumed not to be replaced (a test checks every one it emits is
/// known).
pub fn forces_replacement(resource_type: &str, property: &str) -> bool {
    ResourceSchema::of(resource_type).is_some_and(|s| s.forces_replacement(property))
}

/// Whether any change at all replaces a resource of `resource_type` (it has no update handler).
pub fn replaced_on_any_change(resource_type: &str) -> bool {
    ResourceSchema::of(resource_type).is_some_and(|s| s.replaced_on_any_change)
}

/// The properties whose change replaces a resource of `resource_type`.
pub fn replacing_properties(resource_type: &str) -> &'static [&'static str] {
    ResourceSchema::of(resource_type).map_or(&[], |s| s.create_only)
}

/// The types whose schema ecs-alb knows: every type it emits.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    schema::ALL.iter().map(|s| s.type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_what_replaces_what() {
        assert!(forces_replacement("AWS::EC2::VPC", "CidrBlock"));
        assert!(!forces_replacement("AWS::EC2::VPC", "Tags"));
        assert!(forces_replacement("AWS::ECS::TaskDefinition", "ContainerDefinitions"));
        assert!(!forces_replacement("AWS::ECS::TaskDefinition", "Tags"), "a task definition's tags are updated");
        assert!(!forces_replacement("AWS::ElasticLoadBalancingV2::Listener", "Port"));
        assert!(!forces_replacement("AWS::Unknown::Thing", "Anything"));
        let provider = "AWS::ECS::CapacityProvider";
        assert!(forces_replacement(provider, "AutoScalingGroupProvider.AutoScalingGroupArn"));
        assert!(forces_replacement(provider, "AutoScalingGroupProvider.AutoScalingGroupArn.Ref"));
        assert!(forces_replacement(provider, "AutoScalingGroupProvider"), "the whole object changed");
        assert!(!forces_replacement(provider, "AutoScalingGroupProvider.ManagedScaling.TargetCapacity"));
        assert!(forces_replacement("AWS::EC2::VPC", "CidrBlock.Fn::Sub"));
        // No update handler: whatever changes.
        assert!(replaced_on_any_change("AWS::Lambda::Permission"));
        assert!(forces_replacement("AWS::Lambda::Permission", "AnyPropertyAtAll"));
        assert!(!replaced_on_any_change("AWS::ECS::Service"));
    }
}
