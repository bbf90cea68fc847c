//! Which changes replace a group's running instances, and how the group's update policy will go
//! about it: a change of the launch template (image, instance type, user data, volumes, key) or
//! of the group's own launch settings replaces every instance, one policy or another.

use crate::resources::schema::{AUTO_SCALING_AUTO_SCALING_GROUP_TYPE, EC2_LAUNCH_TEMPLATE_TYPE};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Change, EntryDiff};

/// The group's own properties whose change replaces its instances.
const GROUP_LAUNCH_SETTINGS: [&str; 2] = ["Properties.LaunchTemplate", "Properties.MixedInstancesPolicy"];

/// A group whose instances the update replaces.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct InstanceReplacement {
    /// The Auto Scaling group's logical ID.
    pub group: String,
    /// How: `rolling`, `refresh`, `new-group` (a replacing update, or the group itself replaced),
    /// or `none` (no update policy: only instances launched later take the change).
    pub policy: String,
    /// What changed: the launch template's values (`LaunchTemplateData.ImageId`) or the group's.
    pub because: Vec<String>,
}

impl InstanceReplacement {
    pub fn describe(&self) -> String {
        let how = match self.policy.as_str() {
            "rolling" => "by its rolling update, one instance at a time, each drained first",
            "refresh" => "by an instance refresh, replacements launched first, each old instance drained first",
            "new-group" => "with a new group: the old one's instances go with it",
            _ => {
                return format!(
                    "changes the launch of {}'s instances (because of {}), but no update policy replaces the running ones",
                    self.group,
                    self.because.join(", ")
                );
            }
        };
        format!("replaces every instance of {} {how} (because of {})", self.group, self.because.join(", "))
    }
}

/// The groups of `new` whose instances the changes in `resources` replace.
pub fn instance_replacements(new: &Value, resources: &[EntryDiff]) -> Vec<InstanceReplacement> {
    let Some(all) = new.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    let changed = |id: &str| resources.iter().find(|r| r.id == id && r.change == Change::Modified);
    let mut out = Vec::new();
    for (id, group) in all.iter().filter(|(_, r)| r["Type"] == AUTO_SCALING_AUTO_SCALING_GROUP_TYPE) {
        let mut because = Vec::new();
        let template = group["Properties"]["LaunchTemplate"]["LaunchTemplateId"]["Ref"]
            .as_str()
            .or(group["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
                ["LaunchTemplateId"]["Ref"]
                .as_str());
        if let Some(entry) = template.and_then(changed).filter(|e| e.resource_type == EC2_LAUNCH_TEMPLATE_TYPE) {
            because.extend(entry.values.iter().map(|v| v.path.trim_start_matches("Properties.").to_owned()));
            if entry.cascade.is_some() {
                because.push("the launch template, replaced".to_owned());
            }
        }
        let group_entry = changed(id);
        if let Some(entry) = group_entry {
            because.extend(
                entry
                    .values
                    .iter()
                    .filter(|v| GROUP_LAUNCH_SETTINGS.iter().any(|p| v.path.starts_with(p)))
                    .map(|v| v.path.trim_start_matches("Properties.").to_owned()),
            );
        }
        let group_replaced = group_entry.is_some_and(EntryDiff::replaces);
        if because.is_empty() && !group_replaced {
            continue;
        }
        let policy = &group["UpdatePolicy"];
        let policy = if group_replaced || policy.get("AutoScalingReplacingUpdate").is_some() {
            "new-group"
        } else if policy.get("AutoScalingInstanceRefresh").is_some() {
            "refresh"
        } else if policy.get("AutoScalingRollingUpdate").is_some() {
            "rolling"
        } else {
            "none"
        };
        if because.is_empty() {
            because.push("the group, replaced".to_owned());
        }
        out.push(InstanceReplacement { group: id.clone(), policy: policy.to_owned(), because });
    }
    out
}
