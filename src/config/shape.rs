//! The configuration's shape, checked against its own JSON Schema before serde reads it: every
//! unknown key and every value of the wrong type is found in one pass (serde stops at the first).

use serde_json::Value as Schema;
use serde_yaml::Value;

use super::Diagnostic;
use super::load::suggestion;

/// Every shape problem of `document`, each with the dotted path to locate it by.
pub fn check(document: &Value, schema: &Schema) -> Vec<(String, Diagnostic)> {
    let mut out = Vec::new();
    walk(document, schema, schema, "", &mut out);
    out
}

fn walk(value: &Value, node: &Schema, root: &Schema, path: &str, out: &mut Vec<(String, Diagnostic)>) {
    let node = resolve(node, root);
    // An optional section (`Option<Struct>`): null, or the section's own shape.
    if let Some(variants) = node["anyOf"].as_array() {
        let (nulls, others): (Vec<&Schema>, Vec<&Schema>) = variants.iter().partition(|v| v["type"] == "null");
        match (value, others.as_slice()) {
            (Value::Null, _) if !nulls.is_empty() => {}
            (_, [only]) => walk(value, only, root, path, out),
            _ => {}
        }
        return;
    }
    if let Some(names) = variant_names(node) {
        if !value.as_str().is_some_and(|s| names.contains(&s)) {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => serde_yaml::to_string(other).unwrap_or_default().trim().to_owned(),
            };
            let expected = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            push(out, path, path, format!("unknown variant `{shown}`, expected {expected}"));
        }
        return;
    }
    let types: Vec<&str> = match &node["type"] {
        Schema::String(t) => vec![t.as_str()],
        Schema::Array(ts) => ts.iter().filter_map(Schema::as_str).collect(),
        _ => return,
    };
    match value {
        Value::Null if types.contains(&"null") => {}
        Value::Bool(_) if types.contains(&"boolean") => {}
        Value::String(_) if types.contains(&"string") => {}
        Value::Number(_) if types.contains(&"number") => {}
        Value::Sequence(items) if types.contains(&"array") => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &node["items"], root, &format!("{path}[{i}]"), out);
            }
        }
        Value::Number(n) if types.contains(&"integer") => {
            if n.as_u64().is_none_or(|v| u32::try_from(v).is_err()) {
                push(out, path, path, format!("invalid value: {n}, expected a whole number from 0 to {}", u32::MAX));
            }
        }
        Value::Mapping(map) if types.contains(&"object") => {
            let properties = node["properties"].as_object();
            for (key, child) in map {
                let key_text = match key {
                    Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other).unwrap_or_default().trim().to_owned(),
                };
                let child_path = if path.is_empty() { key_text.clone() } else { format!("{path}.{key_text}") };
                match properties {
                    Some(props) => match props.get(&key_text) {
                        Some(child_schema) => walk(child, child_schema, root, &child_path, out),
                        None => {
                            let expected = props.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                            let message = format!("unknown field `{key_text}`, expected one of {expected}");
                            push(out, path, &child_path, message);
                        }
                    },
                    None => walk(child, &node["additionalProperties"], root, &child_path, out),
                }
            }
        }
        other => {
            let expected =
                types.iter().filter(|t| **t != "null").map(|t| describe(t, node)).collect::<Vec<_>>().join(" or ");
            push(out, path, path, format!("invalid type: {}, expected {expected}", kind(other)));
        }
    }
}

/// Whether the dotted `path` (with `[i]` for list items, any key for a map's entries) names a
/// field of the configuration `schema` describes: so a diagnostic can never point at a field
/// that does not exist. The empty path is the document itself.
pub fn has_field(schema: &Schema, path: &str) -> bool {
    let mut node = schema;
    for segment in super::field_path::segments(path) {
        let segment = segment.as_str();
        let (name, indices) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        let Some(child) = field_of(node, name, schema) else { return false };
        node = child;
        for _ in indices.matches('[') {
            match list_items(node, schema) {
                Some(items) => node = items,
                None => return false,
            }
        }
    }
    true
}

/// The schema of `name` inside `node`: a property, or any key of a map.
fn field_of<'a>(node: &'a Schema, name: &str, root: &'a Schema) -> Option<&'a Schema> {
    let node = without_null(resolve(node, root), root);
    if let Some(child) = node["properties"].get(name) {
        return Some(child);
    }
    node["additionalProperties"].is_object().then(|| &node["additionalProperties"])
}

fn list_items<'a>(node: &'a Schema, root: &'a Schema) -> Option<&'a Schema> {
    let node = without_null(resolve(node, root), root);
    node["items"].is_object().then(|| &node["items"])
}

/// An optional value's schema without its `null` alternative.
fn without_null<'a>(node: &'a Schema, root: &'a Schema) -> &'a Schema {
    match node["anyOf"].as_array().map(|vs| vs.iter().filter(|v| v["type"] != "null").collect::<Vec<_>>()) {
        Some(others) if others.len() == 1 => resolve(others[0], root),
        _ => node,
    }
}

/// The names an enumeration accepts: schemars writes `oneOf` of `const`s when the variants are
/// documented, a plain `enum` otherwise.
fn variant_names(node: &Schema) -> Option<Vec<&str>> {
    let documented = node["oneOf"].as_array().map(|vs| vs.iter().filter_map(|v| v["const"].as_str()).collect());
    documented.or_else(|| node["enum"].as_array().map(|vs| vs.iter().filter_map(Schema::as_str).collect()))
}

fn resolve<'a>(node: &'a Schema, root: &'a Schema) -> &'a Schema {
    match node["$ref"].as_str().and_then(|r| r.strip_prefix('#')).and_then(|p| root.pointer(p)) {
        Some(target) => target,
        None => node,
    }
}

/// Records a problem with `field` (as serde names it) at the place of `located_at`.
fn push(out: &mut Vec<(String, Diagnostic)>, field: &str, located_at: &str, message: String) {
    let mut d = Diagnostic::new(field, message);
    d.hint = suggestion(&d.message);
    out.push((located_at.to_owned(), d));
}

fn describe(schema_type: &str, node: &Schema) -> String {
    match (schema_type, node["format"].as_str()) {
        ("integer", Some(format)) => format.replace("uint", "u"),
        ("integer", None) => "a whole number".into(),
        ("string", _) => "a string".into(),
        ("boolean", _) => "true or false".into(),
        ("object", _) => "a mapping".into(),
        ("array", _) => "a list".into(),
        ("number", _) => "a number".into(),
        (other, _) => other.to_owned(),
    }
}

fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Sequence(_) => "sequence".into(),
        Value::Mapping(_) => "mapping".into(),
        Value::Tagged(t) => format!("tagged value {}", t.tag),
    }
}
