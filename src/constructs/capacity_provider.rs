//! ECS-managed capacity: the cluster scales the Auto Scaling group to its tasks, protects
//! instances that run tasks from scale-in, and drains each instance it takes away.

use crate::resources::autoscaling::AutoScalingGroup;
use crate::resources::ecs::{
    AutoScalingGroupProvider, CapacityProvider, CapacityProviderStrategyItem, Cluster,
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
                auto_scaling_group_provider: AutoScalingGroupProvider {
                    auto_scaling_group: auto_scaling_group.group_name().into(),
                    managed_draining: Toggle::Enabled,
                    managed_scaling: ManagedScaling {
                        status: Toggle::Enabled,
                        target_capacity: TARGET_CAPACITY_PERCENT.into(),
                    },
                    managed_termination_protection: Toggle::Enabled,
                },
                // CloudFormation would generate the name from the stack's, and ECS refuses names
                // that begin with `aws`, `ecs` or `fargate` ("CreateCapacityProvider", ECS API
                // Reference), so a stack called ecs-shop could not create it. The group's own
                // generated name is unique, and changes exactly when the group is replaced, which
                // replaces the provider too (its group is fixed at creation).
                name: Some(Intrinsic::Sub(format!("cp-{}", auto_scaling_group.sub_ref())).into()),
                tags: None,
            },
        )?;
        let association = t.add(
            &cluster_scope.child("Ec2Cluster"),
            ClusterCapacityProviderAssociations {
                capacity_providers: vec![provider.name().into()],
                cluster: cluster.cluster_name().into(),
                default_capacity_provider_strategy: vec![strategy_item(&provider)],
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
    CapacityProviderStrategyItem { capacity_provider: provider.name().into(), weight: 1.into() }
}
