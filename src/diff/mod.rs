//! A semantic diff of two CloudFormation templates: per resource, per property, with the changes
//! that make CloudFormation replace a resource marked.

mod instances;
mod priorities;
mod releases;
mod replacement;
pub mod report;
mod upgrade;

use std::fmt::Write;

use serde_json::{Map, Value};

pub use instances::{InstanceReplacement, instance_replacements};
pub use priorities::{PriorityConflict, priority_conflicts};
pub use releases::{RuleReset, ServiceDeployment, percent_text, rule_resets, service_deployments, timeline};
pub use replacement::{forces_replacement, known_types, replaced_on_any_change, replacing_properties};
pub use report::{DiffReport, FailOn};
pub use upgrade::{ProviderRename, keep_deployed_names, provider_renames};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Modified,
}

/// One changed value, at a dotted path inside its resource (`Properties.CidrBlock`).
#[derive(Clone, Debug, PartialEq)]
pub struct ValueChange {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub replaces: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EntryDiff {
    pub id: String,
    /// The resource type (new one when it changed); empty for parameters and outputs.
    pub resource_type: String,
    pub change: Change,
    pub values: Vec<ValueChange>,
    /// Replaced because a resource it refers to is: the template's text may not change at all.
    pub cascade: Option<Cascade>,
}

/// A replacement that follows from another: a create-only property takes the new ID or
/// attribute of a resource that is replaced, so CloudFormation replaces this one too.
#[derive(Clone, Debug, PartialEq)]
pub struct Cascade {
    /// The create-only property, as a dotted path (`VpcId`).
    pub property: String,
    /// The replaced resource it refers to.
    pub from: String,
    /// Why that one is replaced: its own chain, down to the properties that started it.
    pub chain: String,
}

impl EntryDiff {
    pub fn replaces(&self) -> bool {
        self.cascade.is_some() || self.values.iter().any(|v| v.replaces)
    }

    /// Why it is replaced, in a few words: `CidrBlock`, or `VpcId <- MyVpc (replaced: CidrBlock)`.
    pub fn replaced_because(&self) -> Vec<String> {
        let own =
            self.values.iter().filter(|v| v.replaces).map(|v| v.path.trim_start_matches("Properties.").to_owned());
        own.chain(self.cascade.iter().map(|c| format!("{} <- {} (replaced: {})", c.property, c.from, c.chain)))
            .collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateDiff {
    pub parameters: Vec<EntryDiff>,
    pub mappings: Vec<EntryDiff>,
    pub conditions: Vec<EntryDiff>,
    pub resources: Vec<EntryDiff>,
    pub outputs: Vec<EntryDiff>,
    /// Listener rules the update would put on a priority another rule holds: it cannot deploy.
    pub priority_conflicts: Vec<PriorityConflict>,
    /// Capacity providers replaced for a new name while their group stays: it cannot deploy as
    /// it is (`deploy` keeps the deployed names).
    pub provider_renames: Vec<ProviderRename>,
    /// Groups whose running instances the update replaces, and how.
    pub instance_replacements: Vec<InstanceReplacement>,
    /// Services the update deploys anew, and how their deployments go.
    pub service_deployments: Vec<ServiceDeployment>,
    /// Release listener rules whose update writes back the template's weights.
    pub rule_resets: Vec<RuleReset>,
}

impl TemplateDiff {
    /// Why CloudFormation would fail this update midway and roll it back, one line each.
    pub fn blockers(&self) -> Vec<String> {
        let conflicts = self.priority_conflicts.iter().map(PriorityConflict::describe);
        conflicts.chain(self.provider_renames.iter().map(ProviderRename::describe)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.sections().iter().all(|(_, entries)| entries.is_empty())
    }

    /// Each section's changes, in template order.
    fn sections(&self) -> [(&'static str, &Vec<EntryDiff>); 5] {
        [
            ("Parameters", &self.parameters),
            ("Mappings", &self.mappings),
            ("Conditions", &self.conditions),
            ("Resources", &self.resources),
            ("Outputs", &self.outputs),
        ]
    }
}

/// Reads a template, JSON or YAML. YAML must use the long form of intrinsics (`Fn::GetAtt:`), as
/// ecs-alb writes it; the short form (`!GetAtt`) is refused with a clear error.
pub fn parse_template(text: &str) -> Result<Value, NotATemplate> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => {
            serde_yaml::from_str(text).map_err(|e| NotATemplate(format!("neither JSON nor long-form YAML: {e}")))?
        }
    };
    if value.get("Resources").is_none() {
        return Err(NotATemplate("it has no Resources section".into()));
    }
    Ok(value)
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotATemplate(String);

#[derive(Debug, thiserror::Error)]
pub enum TemplateFileError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not a template: {1}")]
    NotATemplate(String, NotATemplate),
}

/// Reads a template file for `diff --against`.
pub fn read_template(path: &std::path::Path) -> Result<Value, TemplateFileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TemplateFileError::Read(name.clone(), e))?;
    parse_template(&text).map_err(|e| TemplateFileError::NotATemplate(name, e))
}

/// Compares `old` (e.g. the deployed template) with `new`.
pub fn diff(old: &Value, new: &Value) -> TemplateDiff {
    let mut resources = diff_section(old, new, "Resources", true);
    cascade(new, &mut resources);
    let provider_renames = provider_renames(old, new, &resources);
    let instance_replacements = instance_replacements(new, &resources);
    let service_deployments = service_deployments(new, &resources);
    let rule_resets = rule_resets(new, &resources);
    TemplateDiff {
        parameters: diff_section(old, new, "Parameters", false),
        mappings: diff_section(old, new, "Mappings", false),
        conditions: diff_section(old, new, "Conditions", false),
        resources,
        outputs: diff_section(old, new, "Outputs", false),
        priority_conflicts: priority_conflicts(old, new),
        provider_renames,
        instance_replacements,
        service_deployments,
        rule_resets,
    }
}

/// Adds the replacements that follow from others, transitively: a resource whose create-only
/// property (at any depth) refers, by `Ref`, `Fn::GetAtt` or `Fn::Sub`, to a replaced resource
/// gets that resource's new ID or attribute, so it is replaced too, with the chain that causes it.
fn cascade(new: &Value, entries: &mut Vec<EntryDiff>) {
    let Some(resources) = new.get("Resources").and_then(Value::as_object) else { return };
    loop {
        let replaced: std::collections::BTreeMap<String, String> = entries
            .iter()
            .filter(|e| e.change == Change::Modified && e.replaces())
            .map(|e| (e.id.clone(), e.replaced_because().join(", ")))
            .collect();
        let mut found = None;
        for (id, resource) in resources {
            let settled = entries.iter().any(|e| e.id == *id && (e.change != Change::Modified || e.replaces()));
            if settled {
                continue;
            }
            let resource_type = resource["Type"].as_str().unwrap_or_default();
            if let Some((property, from)) = replacing_reference(resource_type, &resource["Properties"], "", &replaced) {
                let chain = replaced[&from].clone();
                found = Some((id.clone(), resource_type.to_owned(), Cascade { property, from, chain }));
                break;
            }
        }
        let Some((id, resource_type, cascade)) = found else { return };
        match entries.iter_mut().find(|e| e.id == id) {
            Some(entry) => entry.cascade = Some(cascade),
            None => entries.push(EntryDiff {
                id,
                resource_type,
                change: Change::Modified,
                values: Vec::new(),
                cascade: Some(cascade),
            }),
        }
    }
}

/// The create-only property path inside `value` (a resource's properties) that refers to one of
/// `replaced`, and the resource it refers to.
fn replacing_reference(
    resource_type: &str,
    value: &Value,
    path: &str,
    replaced: &std::collections::BTreeMap<String, String>,
) -> Option<(String, String)> {
    let is_intrinsic = value.as_object().is_some_and(|o| o.keys().any(|k| k == "Ref" || k.starts_with("Fn::")));
    if is_intrinsic && !path.is_empty() {
        let mut targets = Vec::new();
        crate::graph::references(value, &mut targets);
        let target = targets.into_iter().map(|(t, _)| t).find(|t| replaced.contains_key(t))?;
        return forces_replacement(resource_type, path).then(|| (path.to_owned(), target));
    }
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Value::Object(map) => {
            map.iter().find_map(|(key, child)| replacing_reference(resource_type, child, &join(key), replaced))
        }
        Value::Array(items) => (0..)
            .zip(items)
            .find_map(|(i, child)| replacing_reference(resource_type, child, &join(&i.to_string()), replaced)),
        _ => None,
    }
}

fn diff_section(old: &Value, new: &Value, section: &str, resources: bool) -> Vec<EntryDiff> {
    let empty = Map::new();
    let old = old.get(section).and_then(Value::as_object).unwrap_or(&empty);
    let new = new.get(section).and_then(Value::as_object).unwrap_or(&empty);
    let type_of = |v: &Value| if resources { v["Type"].as_str().unwrap_or_default().to_owned() } else { String::new() };
    let mut entries = Vec::new();
    for (id, old_value) in old {
        match new.get(id) {
            None => entries.push(EntryDiff {
                id: id.clone(),
                resource_type: type_of(old_value),
                change: Change::Removed,
                values: Vec::new(),
                cascade: None,
            }),
            Some(new_value) if new_value != old_value => {
                let resource_type = type_of(new_value);
                let mut values = Vec::new();
                diff_values(String::new(), old_value, new_value, &mut values);
                if resources {
                    for v in &mut values {
                        v.replaces = replaces(&resource_type, &v.path);
                    }
                }
                entries.push(EntryDiff {
                    id: id.clone(),
                    resource_type,
                    change: Change::Modified,
                    values,
                    cascade: None,
                });
            }
            Some(_) => {}
        }
    }
    for (id, new_value) in new {
        if !old.contains_key(id) {
            entries.push(EntryDiff {
                id: id.clone(),
                resource_type: type_of(new_value),
                change: Change::Added,
                values: Vec::new(),
                cascade: None,
            });
        }
    }
    entries
}

/// A new type always replaces; otherwise the changed property decides.
fn replaces(resource_type: &str, path: &str) -> bool {
    if path == "Type" {
        return true;
    }
    match path.strip_prefix("Properties.") {
        Some(rest) => forces_replacement(resource_type, rest),
        None => path == "Properties" && replaced_on_any_change(resource_type),
    }
}

/// Objects are compared key by key down to the changed leaves; anything else is one change.
fn diff_values(path: String, old: &Value, new: &Value, out: &mut Vec<ValueChange>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
            for (k, ov) in o {
                match n.get(k) {
                    Some(nv) if nv == ov => {}
                    Some(nv) => diff_values(join(k), ov, nv, out),
                    None => out.push(ValueChange { path: join(k), old: Some(ov.clone()), new: None, replaces: false }),
                }
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    out.push(ValueChange { path: join(k), old: None, new: Some(nv.clone()), replaces: false });
                }
            }
        }
        _ => out.push(ValueChange { path, old: Some(old.clone()), new: Some(new.clone()), replaces: false }),
    }
}

/// ANSI colours for a terminal, or none.
#[derive(Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn new(color: bool) -> Self {
        Style { color }
    }

    /// Colour only for a person at a terminal who has not asked for none (`NO_COLOR`).
    pub fn for_stdout() -> Self {
        use std::io::IsTerminal;
        Style { color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }
}

impl TemplateDiff {
    /// The diff as a reviewer reads it, section by section, like `cdk diff`.
    pub fn render(&self, style: Style) -> String {
        if self.is_empty() {
            return "There were no differences\n".into();
        }
        let mut out = String::new();
        let blockers = self.blockers();
        for blocker in &blockers {
            let _ = writeln!(out, "{}", style.paint("31", &format!("cannot deploy: {blocker}")));
        }
        if !blockers.is_empty() {
            out.push('\n');
        }
        for (title, entries) in self.sections() {
            if entries.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}");
            for entry in entries.iter() {
                render_entry(&mut out, entry, style);
            }
            out.push('\n');
        }
        let replaced = self.resources.iter().filter(|r| r.replaces()).count();
        let cascaded = match self.resources.iter().filter(|r| r.cascade.is_some()).count() {
            0 => String::new(),
            n => format!(", {n} of them by cascade"),
        };
        for replacement in &self.instance_replacements {
            let _ = writeln!(out, "instances: {}", replacement.describe());
        }
        for deployment in &self.service_deployments {
            let _ = writeln!(out, "service: {}", deployment.describe());
        }
        for reset in &self.rule_resets {
            let _ = writeln!(out, "{}", style.paint("33", &format!("warning: {}", reset.describe())));
        }
        let _ = writeln!(
            out,
            "{} added, {} modified ({replaced} replaced{cascaded}), {} removed resources",
            self.resources.iter().filter(|r| r.change == Change::Added).count(),
            self.resources.iter().filter(|r| r.change == Change::Modified).count(),
            self.resources.iter().filter(|r| r.change == Change::Removed).count(),
        );
        out
    }
}

fn render_entry(out: &mut String, entry: &EntryDiff, style: Style) {
    let (mark, code) = match entry.change {
        Change::Added => ("[+]", "32"),
        Change::Removed => ("[-]", "31"),
        Change::Modified => ("[~]", "33"),
    };
    let kind = if entry.resource_type.is_empty() { String::new() } else { format!("{} ", entry.resource_type) };
    let replace = match &entry.cascade {
        Some(c) => style.paint("31;1", &format!(" (replacement: {} <- {}, replaced: {})", c.property, c.from, c.chain)),
        None if entry.replaces() => style.paint("31;1", " (replacement)"),
        None => String::new(),
    };
    let _ = writeln!(out, "{} {kind}{}{replace}", style.paint(code, mark), entry.id);
    for v in &entry.values {
        let shown = |v: &Option<Value>| v.as_ref().map_or_else(|| "(absent)".to_owned(), |v| v.to_string());
        let flag = if v.replaces { style.paint("31;1", "  [forces replacement]") } else { String::new() };
        let _ = writeln!(out, "    {} {}: {} → {}{flag}", style.paint("33", "~"), v.path, shown(&v.old), shown(&v.new));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(cidr: &str, extra: bool) -> Value {
        let mut t = json!({
            "Parameters": {"P": {"Type": "String"}},
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr, "Tags": [{"Key": "Name", "Value": "v"}]}},
                "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MaxSize": "1", "LaunchTemplate": {"Version": "1"}}}
            },
            "Outputs": {"Url": {"Value": "x"}}
        });
        if extra {
            t["Resources"]["Queue"] = json!({"Type": "AWS::SQS::Queue", "Properties": {}});
        }
        t
    }

    #[test]
    fn equal_templates_have_no_diff() {
        assert!(diff(&template("10.0.0.0/16", false), &template("10.0.0.0/16", false)).is_empty());
    }

    #[test]
    fn reports_adds_removes_and_replacing_changes() {
        let old = template("10.0.0.0/16", true);
        let mut new = template("10.1.0.0/16", false);
        new["Resources"]["Asg"]["Properties"]["MaxSize"] = json!("3");
        new["Resources"]["Asg"]["Properties"]["LaunchTemplate"]["Version"] = json!("2");
        new["Resources"]["Topic"] = json!({"Type": "AWS::SNS::Topic"});
        let d = diff(&old, &new);
        let vpc = d.resources.iter().find(|r| r.id == "Vpc").unwrap();
        assert!(vpc.replaces());
        assert_eq!(vpc.values[0].path, "Properties.CidrBlock");
        let asg = d.resources.iter().find(|r| r.id == "Asg").unwrap();
        assert!(!asg.replaces());
        let paths: Vec<&str> = asg.values.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["Properties.MaxSize", "Properties.LaunchTemplate.Version"]);
        assert!(d.resources.iter().any(|r| r.id == "Queue" && r.change == Change::Removed));
        assert!(d.resources.iter().any(|r| r.id == "Topic" && r.change == Change::Added));
        let text = d.render(Style::new(false));
        assert!(text.contains("[~] AWS::EC2::VPC Vpc (replacement)"), "{text}");
        assert!(
            text.contains("~ Properties.CidrBlock: \"10.0.0.0/16\" → \"10.1.0.0/16\"  [forces replacement]"),
            "{text}"
        );
        assert!(text.ends_with("1 added, 2 modified (1 replaced), 1 removed resources\n"), "{text}");
    }

    #[test]
    fn mappings_and_conditions_are_compared_too() {
        let old = json!({"Resources": {}, "Mappings": {"M": {"eu-west-1": {"A": "1"}}}});
        let new = json!({"Resources": {}, "Mappings": {"M": {"eu-west-1": {"A": "2"}}}, "Conditions": {"C": {"Fn::Equals": ["a", "b"]}}});
        let changes = diff(&old, &new);
        assert_eq!(changes.mappings[0].values[0].path, "eu-west-1.A");
        assert_eq!(changes.conditions[0].change, Change::Added);
        let text = changes.render(Style { color: false });
        assert!(text.contains("Mappings\n[~] M\n") && text.contains("Conditions\n[+] C\n"), "{text}");
    }

    /// A new VPC range replaces the VPC; its security group takes the new VPC's ID in a
    /// create-only property (replaced, one level down); the group's ingress rule takes the new
    /// group's ID (replaced, two levels down) though neither's text changed. A group's size
    /// changes in place: its scaling policy, which names it, stays.
    #[test]
    fn replacements_cascade_through_create_only_references() {
        let template = |cidr: &str, max: &str| {
            json!({"Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
                "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "d", "VpcId": {"Ref": "Vpc"}}},
                "In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "IpProtocol": "tcp"}},
                "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MaxSize": max, "MinSize": "1"}},
                "Scale": {"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": {"AutoScalingGroupName": {"Ref": "Asg"}}}
            }})
        };
        let changes = diff(&template("10.0.0.0/16", "1"), &template("10.1.0.0/16", "3"));
        let entry = |id: &str| changes.resources.iter().find(|r| r.id == id);
        assert_eq!(entry("Vpc").unwrap().replaced_because(), ["CidrBlock"]);
        assert_eq!(entry("Sg").unwrap().replaced_because(), ["VpcId <- Vpc (replaced: CidrBlock)"]);
        assert_eq!(
            entry("In").unwrap().replaced_because(),
            ["GroupId <- Sg (replaced: VpcId <- Vpc (replaced: CidrBlock))"]
        );
        assert!(!entry("Asg").unwrap().replaces(), "a size changes in place");
        assert!(entry("Scale").is_none(), "a resource in place replaces nothing that names it");
        let text = changes.render(Style::new(false));
        assert!(
            text.contains("[~] AWS::EC2::SecurityGroup Sg (replacement: VpcId <- Vpc, replaced: CidrBlock)"),
            "{text}"
        );
        assert!(
            text.ends_with("0 added, 4 modified (3 replaced, 2 of them by cascade), 0 removed resources\n"),
            "{text}"
        );
        assert_eq!(changes.report().summary.cascaded, 2);
    }

    #[test]
    fn a_changed_type_replaces() {
        let old = json!({"Resources": {"R": {"Type": "AWS::SNS::Topic"}}});
        let new = json!({"Resources": {"R": {"Type": "AWS::SQS::Queue"}}});
        assert!(diff(&old, &new).resources[0].replaces());
    }
}
