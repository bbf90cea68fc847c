//! The configuration reference, generated from the JSON Schema that `ecs-alb schema` prints, so
//! the two can never disagree.

use std::fmt::Write;

use serde_json::Value;

/// One section of the reference: a configuration struct and its fields.
#[derive(Debug, PartialEq)]
pub struct Section {
    /// The dotted path of the section (`capacity`, `service.container`); empty for the top level.
    pub path: String,
    pub description: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub type_name: String,
    pub default: String,
    pub description: String,
}

/// The sections of the schema, top level first, then in the order the fields name them.
pub fn sections(schema: &Value) -> Vec<Section> {
    let mut out = Vec::new();
    collect(schema, schema, "", &mut out);
    out
}

fn collect(schema: &Value, def: &Value, path: &str, out: &mut Vec<Section>) {
    let mut fields = Vec::new();
    let mut nested = Vec::new();
    for (name, property) in def["properties"].as_object().into_iter().flatten() {
        let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
        if let Some(target) = section_of(schema, property) {
            nested.push((child, target));
            continue;
        }
        // A list of objects gets its row, and a section for its items' fields.
        if let Some(items) = property["items"].as_object().map(|_| &property["items"]) {
            if let Some(target) = section_of(schema, items) {
                nested.push((format!("{child}[]"), target));
            }
        }
        fields.push(Field {
            name: name.clone(),
            type_name: match range_text(property) {
                Some(range) => format!("{}, {range}", type_name(schema, property)),
                None => type_name(schema, property),
            },
            default: default_text(property),
            description: description_without_default(property["description"].as_str().unwrap_or_default()),
        });
    }
    out.push(Section {
        path: path.to_owned(),
        description: def["description"].as_str().unwrap_or_default().replace('\n', " "),
        fields,
    });
    for (child, target) in nested {
        collect(schema, target, &child, out);
    }
}

/// The definition of a nested section: a `$ref` to an object, or (optional sections) an `anyOf`
/// of one and null.
fn section_of<'a>(schema: &'a Value, property: &'a Value) -> Option<&'a Value> {
    let optional = property["anyOf"].as_array().and_then(|vs| vs.iter().find(|v| v.get("$ref").is_some()));
    let reference = property["$ref"].as_str().or_else(|| optional.and_then(|v| v["$ref"].as_str()))?;
    resolve(schema, reference).filter(|t| t.get("properties").is_some())
}

fn resolve<'a>(schema: &'a Value, reference: &str) -> Option<&'a Value> {
    schema.pointer(reference.strip_prefix('#')?)
}

fn type_name(schema: &Value, property: &Value) -> String {
    if let Some(target) = property["$ref"].as_str().and_then(|r| resolve(schema, r)) {
        return enum_values(target).unwrap_or_else(|| "object".into());
    }
    match &property["type"] {
        Value::String(t) if t == "object" && property["additionalProperties"]["type"] == "object" => {
            "map of string to map".into()
        }
        Value::String(t) if t == "object" && property["additionalProperties"]["$ref"].is_string() => {
            "map of name to object".into()
        }
        Value::String(t) if t == "object" => "map of string to string".into(),
        Value::String(t) if t == "array" => match property["items"]["$ref"].as_str().and_then(|r| resolve(schema, r)) {
            Some(item) if item.get("properties").is_some() => "list of objects".into(),
            Some(item) => format!("list of {}", enum_values(item).unwrap_or_else(|| "values".into())),
            None => format!("list of {}s", property["items"]["type"].as_str().unwrap_or("value")),
        },
        Value::String(t) => t.clone(),
        Value::Array(types) => {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            format!("{} (optional)", names.join(" | "))
        }
        _ => enum_values(property).unwrap_or_else(|| "any".into()),
    }
}

/// The range the schema states for a number (`2 to 6`): the one statement of it, which the
/// checks read too. An unsigned integer's implied minimum of 0 is not worth a word on its own.
fn range_text(property: &Value) -> Option<String> {
    let stated = |key: &str| property[key].as_number().filter(|n| key == "maximum" || n.as_f64() != Some(0.0));
    match (stated("minimum"), property["maximum"].as_number()) {
        (_, Some(max)) => Some(format!("{} to {max}", property["minimum"].as_number()?)),
        (Some(min), None) => Some(format!("at least {min}")),
        (None, None) => None,
    }
}

/// `a | b` for an enumeration (schemars writes each variant as a `const` with its doc).
fn enum_values(def: &Value) -> Option<String> {
    if let Some(names) = def["enum"].as_array() {
        return Some(names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "));
    }
    let variants = def["oneOf"].as_array().or(def["anyOf"].as_array())?;
    let names: Vec<String> =
        variants.iter().filter_map(|v| v["const"].as_str().or(v["enum"][0].as_str()).map(str::to_owned)).collect();
    (!names.is_empty()).then(|| names.join(" | "))
}

fn default_text(property: &Value) -> String {
    let documented = property["description"]
        .as_str()
        .and_then(|d| d.lines().rev().find_map(|l| l.strip_prefix("Default: ")))
        .map(|d| d.trim_start_matches("- ").trim_end_matches('.').to_owned());
    match (&property["default"], documented) {
        (_, Some(text)) => text,
        (Value::Null, None) => "none".into(),
        (value, None) => value.to_string(),
    }
}

/// The description without its `Default:` line, which has a column of its own.
fn description_without_default(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("Default: "))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn markdown(sections: &[Section]) -> String {
    let mut out = String::from("# ecs-alb configuration reference\n\n");
    out.push_str("Every field is optional. Generated from `ecs-alb schema`.\n");
    for section in sections {
        let title = if section.path.is_empty() { "top level" } else { section.path.as_str() };
        let _ = write!(out, "\n## {title}\n\n");
        if !section.description.is_empty() {
            let _ = write!(out, "{}\n\n", section.description);
        }
        if section.fields.is_empty() {
            continue;
        }
        out.push_str("| field | type | default | description |\n|---|---|---|---|\n");
        for f in &section.fields {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                f.name,
                f.type_name.replace('|', "\\|"),
                f.default.replace('|', "\\|"),
                f.description.replace('|', "\\|")
            );
        }
    }
    out
}

pub fn html(sections: &[Section]) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecs-alb configuration reference</title>\n\
         <style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}table{border-collapse:collapse;width:100%}\
         td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}code{background:#f4f4f4}</style>\n\
         </head><body>\n<h1>ecs-alb configuration reference</h1>\n<p>Every field is optional. Generated from <code>ecs-alb schema</code>.</p>\n",
    );
    for section in sections {
        let title = if section.path.is_empty() { "top level" } else { section.path.as_str() };
        let _ = writeln!(out, "<h2>{}</h2>\n<p>{}</p>", escape(title), escape(&section.description));
        if section.fields.is_empty() {
            continue;
        }
        out.push_str("<table><tr><th>field</th><th>type</th><th>default</th><th>description</th></tr>\n");
        for f in &section.fields {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&f.name),
                escape(&f.type_name),
                escape(&f.default),
                escape(&f.description)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
