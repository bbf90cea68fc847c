//! YAML rendering of a template that reads the same to every YAML parser.
//!
//! CloudFormation reads YAML 1.1, where `2010-09-09` is a date and `on` a boolean; serde_yaml
//! writes YAML 1.2 and leaves such strings bare. Tools built on YAML 1.1 parsers (moto among them)
//! then misread the template, so strings are quoted whenever either version could take them for
//! something else.

use serde_json::Value;

const INDENT: &str = "  ";

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_sequence(&mut out, items, 0),
        scalar => {
            write_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn write_mapping(out: &mut String, map: &serde_json::Map<String, Value>, depth: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first key of a mapping inside a sequence sits on the dash's line.
        if i > 0 || !out.ends_with("- ") {
            indent(out, depth);
        }
        write_string(out, key, depth);
        out.push(':');
        write_value_after_key(out, value, depth);
    }
}

fn write_sequence(out: &mut String, items: &[Value], depth: usize) {
    for item in items {
        indent(out, depth);
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_mapping(out, map, depth + 1),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_sequence(out, inner, depth + 1);
            }
            scalar => {
                write_scalar(out, scalar, depth + 1);
                out.push('\n');
            }
        }
    }
}

fn write_value_after_key(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, depth + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, depth + 1);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, depth + 1);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s, depth),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

fn write_string(out: &mut String, s: &str, depth: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if is_literal_block_safe(s) {
        // Scripts stay readable: `|` keeps the final newline, `|-` strips its absence.
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, depth);
                out.push_str(line);
            }
        }
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        out.push_str(&Value::String(s.to_owned()).to_string());
    }
}

/// Bare only when no YAML 1.1 or 1.2 parser could read it as anything but this string.
fn is_plain_safe(s: &str) -> bool {
    const YAML11_WORDS: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ];
    const NULLS: [&str; 4] = ["~", "null", "Null", "NULL"];
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Anything that starts like a number, date or special float (.inf) is quoted.
    let starts_safely = first.is_ascii_alphabetic() || first == '/' || first == '_' || first == '$';
    let chars_safe = s.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    starts_safely
        && chars_safe
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !YAML11_WORDS.contains(&s)
        && !NULLS.contains(&s)
}

fn is_literal_block_safe(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.ends_with("\n\n")
        && s.chars().all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'))
        && s.lines().all(|l| !l.ends_with(' '))
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) -> Value {
        serde_yaml::from_str(&to_yaml(v)).unwrap_or_else(|e| panic!("{e}\n{}", to_yaml(v)))
    }

    #[test]
    fn strings_that_yaml_1_1_would_misread_are_quoted() {
        for s in [
            "2010-09-09",
            "yes",
            "on",
            "No",
            "~",
            "null",
            "1:20",
            "0x1F",
            "10.0.0.0/16",
            ".inf",
            "-1",
            "",
            "+1",
            "a: b",
            "a #b",
            "x:",
        ] {
            let text = to_yaml(&json!({ "k": s }));
            assert_eq!(text, format!("k: {}\n", json!(s)), "{s}");
        }
    }

    #[test]
    fn plain_strings_stay_bare() {
        assert_eq!(to_yaml(&json!({"Fn::GetAtt": ["Lb", "DNSName"]})), "Fn::GetAtt:\n  - Lb\n  - DNSName\n");
        assert_eq!(to_yaml(&json!({"Type": "AWS::EC2::VPC"})), "Type: AWS::EC2::VPC\n");
    }

    #[test]
    fn scripts_become_literal_blocks() {
        let script = "#!/bin/bash\necho ECS_CLUSTER=${C} >> /etc/ecs/ecs.config\n";
        let v = json!({"UserData": {"Fn::Sub": script}});
        assert_eq!(
            to_yaml(&v),
            "UserData:\n  Fn::Sub: |\n    #!/bin/bash\n    echo ECS_CLUSTER=${C} >> /etc/ecs/ecs.config\n"
        );
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn nested_structures_round_trip() {
        let v = json!({
            "A": [{"Key": "Name", "Value": "x"}, {"Key": "n", "Value": 1}],
            "B": {"C": [], "D": {}, "E": [[1, 2], ["a"]], "F": null, "G": true, "H": 1.5},
            "I": "line one\nline two",
            "J": " leading space\n",
            "K": "tab\there",
            "L": "ünïcode"
        });
        assert_eq!(roundtrip(&v), v);
    }
}
