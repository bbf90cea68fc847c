//! ECS-managed capacity: the cluster scales the Auto Scaling group to its tasks, protects
//! instances that run tasks from scale-in, and drains each instance it takes away.

use crate::resources::autoscaling::AutoScalingGroup;
use crate::resources::ecs::{
    AutoScalingGroupProvider, CapacityProvider, CapacityProviderStrategy, CapacityProviderStrategyItem, Cluster,
    ClusterCapacityProviderAssociations, ManagedScaling, Toggle,
};
use crate::template::{Handle, Intrinsic, Scope, Template, TemplateError};

/// Instances are added until the tasks fit with no room to spare; a lower value keeps spare
/// capacity for faster scale-out.
const TARGET_CAPACITY_PERCENT: u32 = 100;

/// What the service needs to run on the provider.
pub struct ManagedCapacity {
    /// The service runs only once the cluster knows its provider.
    pub association: Handle<ClusterCapacityProviderAssociations>,
    provider: Handle<CapacityProvider>,
}

impl ManagedCapacity {
    pub fn build(
        t: &mut Template,
        cluster_scope: &Scope,
        cluster: &Handle<Cluster>,
        auto_scaling_group: &Handle<AutoScalingGroup>,
    ) -> Result<ManagedCapacity, TemplateError> {
        let provider = t.add(
            &cluster_scope.child("AsgCapacityProvider").child("AsgCapacityProvider"),
            CapacityProvider {
                auto_scaling_group_provider: Some(AutoScalingGroupProvider {
                    auto_scaling_group_arn: auto_scaling_group.group_name().into(),
                    managed_draining: Some(Toggle::Enabled),
                    managed_scaling: Some(ManagedScaling {
                        status: Some(Toggle::Enabled),
                        target_capacity: Some(TARGET_CAPACITY_PERCENT.into()),
                        ..ManagedScaling::default()
                    }),
                    managed_termination_protection: Some(Toggle::Enabled),
                }),
                // CloudFormation would generate the name from the stack's, and ECS refuses names
                // that begin with `aws`, `ecs` or `fargate` ("CreateCapacityProvider", ECS API
                // Reference), so a stack called ecs-shop could not create it. The group's own
                // generated name is unique, and changes exactly when the group is replaced, which
                // replaces the provider too (its group is fixed at creation).
                name: Some(Intrinsic::Sub(format!("cp-{}", auto_scaling_group.sub_ref())).into()),
                ..CapacityProvider::default()
            },
        )?;
        let association = t.add(
            &cluster_scope.child("Ec2Cluster"),
            ClusterCapacityProviderAssociations {
                capacity_providers: Some(vec![provider.name().into()]),
                cluster: cluster.cluster_name().into(),
                default_capacity_provider_strategy: vec![CapacityProviderStrategy {
                    capacity_provider: provider.name().into(),
                    weight: Some(1.into()),
                    ..CapacityProviderStrategy::default()
                }],
            },
        )?;
        Ok(ManagedCapacity { association, provider })
    }

    /// The service's placement: all on this provider.
    pub fn strategy(&self) -> Vec<CapacityProviderStrategyItem> {
        vec![strategy_item(&self.provider)]
    }
}

fn strategy_item(provider: &Handle<CapacityProvider>) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem {
        capacity_provider: Some(provider.name().into()),
        weight: Some(1.into()),
        ..CapacityProviderStrategyItem::default()
    }
}
