//! A semantic diff of two CloudFormation templates: per resource, per property, with the changes
//! that make CloudFormation replace a resource marked.

mod replacement;
pub mod report;

use std::fmt::Write;

use serde_json::{Map, Value};

pub use replacement::{forces_replacement, known_types, replacing_properties};
pub use report::{DiffReport, FailOn};

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
}

impl EntryDiff {
    pub fn replaces(&self) -> bool {
        self.values.iter().any(|v| v.replaces)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateDiff {
    pub parameters: Vec<EntryDiff>,
    pub mappings: Vec<EntryDiff>,
    pub conditions: Vec<EntryDiff>,
    pub resources: Vec<EntryDiff>,
    pub outputs: Vec<EntryDiff>,
}

impl TemplateDiff {
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
    TemplateDiff {
        parameters: diff_section(old, new, "Parameters", false),
        mappings: diff_section(old, new, "Mappings", false),
        conditions: diff_section(old, new, "Conditions", false),
        resources: diff_section(old, new, "Resources", true),
        outputs: diff_section(old, new, "Outputs", false),
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
                entries.push(EntryDiff { id: id.clone(), resource_type, change: Change::Modified, values });
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
        None => path == "Properties" && forces_replacement(resource_type, "*"),
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
        let _ = writeln!(
            out,
            "{} added, {} modified ({replaced} replaced), {} removed resources",
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
    let replace = if entry.replaces() { style.paint("31;1", " (replacement)") } else { String::new() };
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

    #[test]
    fn a_changed_type_replaces() {
        let old = json!({"Resources": {"R": {"Type": "AWS::SNS::Topic"}}});
        let new = json!({"Resources": {"R": {"Type": "AWS::SQS::Queue"}}});
        assert!(diff(&old, &new).resources[0].replaces());
    }
}
