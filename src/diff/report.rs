//! The diff for reviews and gates: a JSON document with a schema of its own (for other tools),
//! Markdown for a pull request's comment, and the exit code a CI job gates on.

use crate::resources::schema::{
    AUTO_SCALING_AUTO_SCALING_GROUP_TYPE, EC2_SUBNET_TYPE, EC2_VPC_TYPE, ECS_CLUSTER_TYPE,
    ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE,
};
use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{
    Change, EntryDiff, InstanceReplacement, PriorityConflict, ProviderRename, RuleReset, ServiceDeployment,
    TemplateDiff,
};

/// Resources whose replacement takes the service down or loses state: called out first.
pub const DISRUPTIVE_TYPES: [&str; 5] = [
    EC2_VPC_TYPE,
    EC2_SUBNET_TYPE,
    ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE,
    ECS_CLUSTER_TYPE,
    AUTO_SCALING_AUTO_SCALING_GROUP_TYPE,
];

/// The version of the JSON format below; a change that could break a reader raises it.
pub const FORMAT_VERSION: u32 = 1;

/// `ecs-alb diff --format json`: every change between two templates.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct DiffReport {
    /// The version of this format (1).
    pub format_version: u32,
    pub summary: Summary,
    /// Resources changed, in template order: the old template's first, then those added.
    pub resources: Vec<EntryReport>,
    pub parameters: Vec<EntryReport>,
    pub mappings: Vec<EntryReport>,
    pub conditions: Vec<EntryReport>,
    pub outputs: Vec<EntryReport>,
    /// Listener rules the update would create or move onto a priority another rule of the
    /// listener holds until the update ends: ELB refuses them, so the change cannot be deployed
    /// as it is. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_conflicts: Vec<PriorityConflict>,
    /// Capacity providers replaced for a new name while their Auto Scaling group stays: ECS
    /// refuses a second provider for one group, so the change cannot be deployed as it is
    /// (`ecs-alb deploy` keeps the deployed names). Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_renames: Vec<ProviderRename>,
    /// Auto Scaling groups whose running instances the update replaces (a new image, instance
    /// type, user data...), and by which policy. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_replacements: Vec<InstanceReplacement>,
    /// ECS services the update deploys anew (a new task definition, load balancers, placement),
    /// each with its strategy and what the deployment does by the template's numbers. Absent when
    /// there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_deployments: Vec<ServiceDeployment>,
    /// Listener rules of a blue/green, canary or linear release that the update modifies:
    /// CloudFormation writes back the template's weights over those ECS left. Absent when there
    /// are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub release_rule_resets: Vec<RuleReset>,
    /// Every reason above in a sentence, as the text and Markdown show them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
}

/// Counts of the resources' changes.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Summary {
    pub added: usize,
    /// Modified in place or by replacement.
    pub modified: usize,
    /// Of the modified, those CloudFormation replaces.
    pub replaced: usize,
    /// Of the replaced, those replaced only because a resource they refer to is (a cascade).
    pub cascaded: usize,
    pub removed: usize,
    /// Logical IDs of replaced resources whose replacement interrupts the service or loses
    /// state (VPC, subnets, load balancer, cluster, Auto Scaling group).
    pub disruptive_replacements: Vec<String>,
}

/// One changed resource, parameter, mapping, condition or output.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct EntryReport {
    pub logical_id: String,
    /// The resource type (the new one when it changed); absent outside `resources`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub change: ChangeKind,
    /// Whether CloudFormation replaces the resource (a new physical resource, the old deleted).
    pub replaced: bool,
    /// The property paths that force the replacement, and for a cascade the chain that causes
    /// it: `VpcId <- MyVpc (replaced: CidrBlock)`.
    pub replaced_because: Vec<String>,
    /// A replaced resource of a disruptive type (see `summary.disruptive_replacements`).
    pub disruptive: bool,
    /// Each changed value, for `modified`; empty for `added` and `removed`.
    pub values: Vec<ValueReport>,
}

#[derive(Clone, Copy, Debug, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One changed value inside an entry.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct ValueReport {
    /// Dotted path inside the entry, such as `Properties.CidrBlock`.
    pub path: String,
    /// The old value; absent when the value is new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value; absent when the value is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    pub forces_replacement: bool,
}

/// The JSON Schema of `DiffReport`, for `ecs-alb schema --diff`.
pub fn json_schema() -> schemars::Schema {
    schemars::schema_for!(DiffReport)
}

impl TemplateDiff {
    pub fn report(&self) -> DiffReport {
        let entries = |list: &[EntryDiff], resources: bool| list.iter().map(|e| entry(e, resources)).collect();
        let resources: Vec<EntryReport> = entries(&self.resources, true);
        let count = |kind: ChangeKind| resources.iter().filter(|r| r.change == kind).count();
        DiffReport {
            format_version: FORMAT_VERSION,
            summary: Summary {
                added: count(ChangeKind::Added),
                modified: count(ChangeKind::Modified),
                replaced: resources.iter().filter(|r| r.replaced).count(),
                cascaded: self.resources.iter().filter(|r| r.cascade.is_some()).count(),
                removed: count(ChangeKind::Removed),
                disruptive_replacements: resources
                    .iter()
                    .filter(|r| r.disruptive)
                    .map(|r| r.logical_id.clone())
                    .collect(),
            },
            resources,
            parameters: entries(&self.parameters, false),
            mappings: entries(&self.mappings, false),
            conditions: entries(&self.conditions, false),
            outputs: entries(&self.outputs, false),
            priority_conflicts: self.priority_conflicts.clone(),
            capacity_provider_renames: self.provider_renames.clone(),
            instance_replacements: self.instance_replacements.clone(),
            service_deployments: self.service_deployments.clone(),
            release_rule_resets: self.rule_resets.clone(),
            blockers: self.blockers(),
        }
    }
}

fn entry(e: &EntryDiff, resource: bool) -> EntryReport {
    let replaced_because = e.replaced_because();
    let replaced = e.replaces();
    EntryReport {
        logical_id: e.id.clone(),
        resource_type: resource.then(|| e.resource_type.clone()),
        change: match e.change {
            Change::Added => ChangeKind::Added,
            Change::Modified => ChangeKind::Modified,
            Change::Removed => ChangeKind::Removed,
        },
        replaced,
        replaced_because,
        disruptive: replaced && DISRUPTIVE_TYPES.contains(&e.resource_type.as_str()),
        values: e
            .values
            .iter()
            .map(|v| ValueReport {
                path: v.path.clone(),
                old: v.old.clone(),
                new: v.new.clone(),
                forces_replacement: v.replaces,
            })
            .collect(),
    }
}

/// What makes `ecs-alb diff` exit 1, for a CI job to gate on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any difference (the default, as before).
    #[default]
    Change,
    /// Only a resource CloudFormation would replace.
    Replacement,
    /// Nothing: the diff is for reading.
    Never,
}

impl FailOn {
    /// Whether `changes` fail the gate.
    pub fn fails(self, changes: &TemplateDiff) -> bool {
        match self {
            FailOn::Change => !changes.is_empty(),
            FailOn::Replacement => changes.resources.iter().any(EntryDiff::replaces),
            FailOn::Never => false,
        }
    }
}

/// A value as a table cell shows it: compact JSON, at most 60 characters, safe inside a Markdown
/// table on GitHub and GitLab (no pipes, no backticks, no line breaks).
fn cell(value: Option<&Value>) -> String {
    let Some(value) = value else { return "*(none)*".into() };
    let text = value.to_string();
    let short: String =
        if text.chars().count() > 60 { text.chars().take(57).collect::<String>() + "..." } else { text };
    format!("`{}`", short.replace('`', "'").replace('|', "\\|"))
}

impl DiffReport {
    /// Markdown for a pull request's comment: the summary, the disruptive replacements first, a
    /// table of resources, and each changed value in a collapsed block.
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let mut out = String::from("### ecs-alb diff\n\n");
        let others = self.parameters.len() + self.mappings.len() + self.conditions.len() + self.outputs.len();
        if self.resources.is_empty() && others == 0 {
            out.push_str("No differences.\n");
            return out;
        }
        let cascaded = if s.cascaded > 0 { format!(", {} of them by cascade", s.cascaded) } else { String::new() };
        let _ = writeln!(
            out,
            "**{} added, {} modified ({} replaced{cascaded}), {} removed** resources{}.\n",
            s.added,
            s.modified,
            s.replaced,
            s.removed,
            if others > 0 {
                format!("; {others} other changes (parameters, mappings, conditions, outputs)")
            } else {
                String::new()
            }
        );
        if !self.blockers.is_empty() {
            out.push_str("> **Error: this change cannot be deployed as it is:**\n");
            for blocker in &self.blockers {
                let _ = writeln!(out, "> - {blocker}");
            }
            out.push('\n');
        }
        for replacement in &self.instance_replacements {
            let _ = writeln!(out, "> **Instances:** {}\n", replacement.describe());
        }
        for deployment in &self.service_deployments {
            let _ = writeln!(out, "> **Service:** {}\n", deployment.describe());
        }
        for reset in &self.release_rule_resets {
            let _ = writeln!(out, "> **Warning:** {}\n", reset.describe());
        }
        if !s.disruptive_replacements.is_empty() {
            out.push_str("> **Warning: replaces resources that interrupt the service or lose state:**\n");
            for r in self.resources.iter().filter(|r| r.disruptive) {
                let _ = writeln!(
                    out,
                    "> - `{}` ({}), because of {}",
                    r.logical_id,
                    r.resource_type.as_deref().unwrap_or_default(),
                    r.replaced_because.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                );
            }
            out.push('\n');
        }
        if !self.resources.is_empty() {
            out.push_str("| Change | Resource | Type | Replaced |\n|---|---|---|---|\n");
            for r in &self.resources {
                let replaced = if r.replaced {
                    format!(
                        "**yes**: {}",
                        r.replaced_because.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    )
                } else {
                    "no".into()
                };
                let _ = writeln!(
                    out,
                    "| {} | `{}` | `{}` | {} |",
                    change_word(r.change),
                    r.logical_id,
                    r.resource_type.as_deref().unwrap_or_default(),
                    replaced
                );
            }
            out.push('\n');
        }
        for (title, entries) in [
            ("Parameters", &self.parameters),
            ("Mappings", &self.mappings),
            ("Conditions", &self.conditions),
            ("Outputs", &self.outputs),
        ] {
            if entries.is_empty() {
                continue;
            }
            let list: Vec<String> =
                entries.iter().map(|e| format!("`{}` {}", e.logical_id, change_word(e.change))).collect();
            let _ = writeln!(out, "{title}: {}.\n", list.join(", "));
        }
        let changed: Vec<&EntryReport> = self
            .resources
            .iter()
            .chain(&self.parameters)
            .chain(&self.mappings)
            .chain(&self.conditions)
            .chain(&self.outputs)
            .filter(|e| !e.values.is_empty())
            .collect();
        if !changed.is_empty() {
            let count: usize = changed.iter().map(|e| e.values.len()).sum();
            let _ = writeln!(out, "<details>\n<summary>Changed values ({count})</summary>\n");
            for e in changed {
                let _ = writeln!(
                    out,
                    "**`{}`**\n\n| Path | Old | New | Forces replacement |\n|---|---|---|---|",
                    e.logical_id
                );
                for v in &e.values {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        v.path,
                        cell(v.old.as_ref()),
                        cell(v.new.as_ref()),
                        if v.forces_replacement { "**yes**" } else { "no" }
                    );
                }
                out.push('\n');
            }
            out.push_str("</details>\n");
        }
        out
    }
}

fn change_word(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "added",
        ChangeKind::Modified => "modified",
        ChangeKind::Removed => "removed",
    }
}
