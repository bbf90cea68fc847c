//! The resources of a template and the references between them, as a Mermaid or Graphviz graph.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::{Map, Value};

#[derive(Debug, Default, PartialEq)]
pub struct Graph {
    /// (logical ID, type), in template order.
    pub nodes: Vec<(String, String)>,
    /// (from, to, how): `from` refers to `to` by `Ref`, `GetAtt`, `Sub` or `DependsOn`.
    pub edges: BTreeSet<(String, String, &'static str)>,
}

pub fn graph(template: &Value) -> Graph {
    let empty = Map::new();
    let resources = template["Resources"].as_object().unwrap_or(&empty);
    let mut g = Graph::default();
    for (id, resource) in resources {
        g.nodes.push((id.clone(), resource["Type"].as_str().unwrap_or_default().to_owned()));
        let mut found = Vec::new();
        references(&resource["Properties"], &mut found);
        for dep in resource["DependsOn"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            found.push((dep.to_owned(), "DependsOn"));
        }
        for (target, how) in found {
            if resources.contains_key(&target) && target != *id {
                g.edges.insert((id.clone(), target, how));
            }
        }
    }
    g
}

/// Every logical ID a value refers to, with the intrinsic that refers to it.
pub(crate) fn references(value: &Value, out: &mut Vec<(String, &'static str)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("Ref") {
                out.push((target.clone(), "Ref"));
            }
            if let Some(target) = map.get("Fn::GetAtt").and_then(|v| v[0].as_str()) {
                out.push((target.to_owned(), "GetAtt"));
            }
            // `Fn::Sub`: a pattern, or a pattern and variables, whose names are not resources.
            let (pattern, variables) = match map.get("Fn::Sub") {
                Some(Value::String(pattern)) => (Some(pattern), None),
                Some(Value::Array(parts)) => match (parts.first(), parts.get(1)) {
                    (Some(Value::String(pattern)), Some(Value::Object(variables))) => (Some(pattern), Some(variables)),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            for name in pattern.map(|p| sub_names(p)).unwrap_or_default() {
                if !variables.is_some_and(|vars| vars.contains_key(&name)) {
                    out.push((name, "Sub"));
                }
            }
            map.values().for_each(|v| references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// The resource names in a `Fn::Sub` pattern: `${Name}` and `${Name.Attribute}`, not `${!Literal}`.
fn sub_names(pattern: &str) -> Vec<String> {
    pattern
        .split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.starts_with('!'))
        .map(|name| name.split('.').next().unwrap_or(name).to_owned())
        .collect()
}

impl Graph {
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (id, resource_type) in &self.nodes {
            let _ = writeln!(out, "  {id}[\"{id}<br/><small>{resource_type}</small>\"]");
        }
        for (from, to, how) in &self.edges {
            let arrow = if *how == "DependsOn" { "-.->" } else { "-->" };
            let _ = writeln!(out, "  {from} {arrow} {to}");
        }
        out
    }

    pub fn dot(&self) -> String {
        let mut out = String::from("digraph template {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n");
        for (id, resource_type) in &self.nodes {
            let _ = writeln!(out, "  \"{id}\" [label=\"{id}\\n{resource_type}\"];");
        }
        for (from, to, how) in &self.edges {
            let style = if *how == "DependsOn" { " [style=dashed]" } else { "" };
            let _ = writeln!(out, "  \"{from}\" -> \"{to}\"{style};");
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_kind_of_reference() {
        let t = json!({"Resources": {
            "A": {"Type": "T::A", "Properties": {"X": {"Ref": "B"}, "Y": [{"Fn::GetAtt": ["C", "Arn"]}], "Z": {"Fn::Sub": "${D.Url}/${AWS::Region}/${!Lit}"}}, "DependsOn": ["E"]},
            "F": {"Type": "T::F", "Properties": {"S": {"Fn::Sub": ["${E}-${B}", {"B": {"Ref": "C"}}]}}},
            "B": {"Type": "T::B"}, "C": {"Type": "T::C"}, "D": {"Type": "T::D"}, "E": {"Type": "T::E"}
        }});
        let g = graph(&t);
        assert_eq!(g.nodes.len(), 6);
        let edges: Vec<_> = g.edges.iter().map(|(f, t, h)| format!("{f}>{t}:{h}")).collect();
        // A variable of `Fn::Sub` (`B` in F) names no resource; what the variable holds does.
        assert_eq!(edges, ["A>B:Ref", "A>C:GetAtt", "A>D:Sub", "A>E:DependsOn", "F>C:Ref", "F>E:Sub"]);
        assert!(g.mermaid().contains("  A -.-> E\n"));
        assert!(g.dot().contains("  \"A\" -> \"B\";\n"));
    }
}
