//! Capacity providers an upgrade of ecs-alb would rename.
//!
//! A capacity provider's `Name` is create-only, and ECS takes one provider per Auto Scaling group:
//! CloudFormation creates the replacement first, for the same group, and ECS refuses it ("The
//! specified Auto Scaling group ARN is already being used by another capacity provider"), so the
//! update rolls back. Templates made before ecs-alb named its providers have none (CloudFormation
//! generated one), and today's name them after their group; for a group that stays, the deployed
//! name is the one to keep. `deploy` keeps it; `diff` says the change cannot be deployed as it is.

use crate::resources::schema::ECS_CAPACITY_PROVIDER_TYPE;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::EntryDiff;

/// A capacity provider replaced for its name alone, its Auto Scaling group unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ProviderRename {
    /// The provider's logical ID.
    pub provider: String,
    /// Its name in the old template; absent when CloudFormation generated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_name: Option<Value>,
}

impl ProviderRename {
    pub fn describe(&self) -> String {
        format!(
            "renames capacity provider {} of the same Auto Scaling group, which replaces it: ECS refuses a second provider for one group and the update rolls back (`ecs-alb deploy` keeps the deployed name)",
            self.provider
        )
    }
}

/// The providers of `new` that `old` has under the same logical ID and group, whose only reason
/// to be replaced is their `Name`.
pub fn provider_renames(old: &Value, new: &Value, resources: &[EntryDiff]) -> Vec<ProviderRename> {
    resources
        .iter()
        .filter(|r| r.resource_type == ECS_CAPACITY_PROVIDER_TYPE && r.cascade.is_none())
        .filter(|r| {
            let replacing: Vec<&str> = r.values.iter().filter(|v| v.replaces).map(|v| v.path.as_str()).collect();
            replacing == ["Properties.Name"]
        })
        .filter(|r| {
            // The same group, kept: a replaced group takes a new provider anyway.
            let group = |t: &Value| {
                t["Resources"][&r.id]["Properties"]["AutoScalingGroupProvider"]["AutoScalingGroupArn"].clone()
            };
            let same = group(old) == group(new);
            let replaced =
                group(new)["Ref"].as_str().is_some_and(|id| resources.iter().any(|g| g.id == id && g.replaces()));
            same && !replaced
        })
        .map(|r| ProviderRename {
            provider: r.id.clone(),
            deployed_name: old["Resources"][&r.id]["Properties"].get("Name").cloned(),
        })
        .collect()
}

/// `new` with each renamed provider's name as deployed: the provider stays as it is.
pub fn keep_deployed_names(new: &mut Value, renames: &[ProviderRename]) {
    for rename in renames {
        let Some(properties) = new["Resources"][&rename.provider]["Properties"].as_object_mut() else { continue };
        match &rename.deployed_name {
            Some(name) => properties.insert("Name".into(), name.clone()),
            None => properties.remove("Name"),
        };
    }
}
