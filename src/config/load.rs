//! Reading a configuration file into a [`ValidConfig`], with errors that say where and why.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::source_map::{Location, SourceMap};
use super::{Config, ValidConfig};

/// Larger than any real configuration by far; refusing it early keeps memory bounded.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Beyond this edit distance a suggestion is more noise than help.
const MAX_SUGGESTION_DISTANCE: usize = 3;

/// One problem with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The dotted path of the field, empty when the problem is with the document as a whole.
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
    pub location: Option<Location>,
}

impl Diagnostic {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Diagnostic { field: field.to_owned(), message: message.into(), hint: None, location: None }
    }
}

/// Everything wrong with a configuration, or why it could not be read.
#[derive(Debug)]
pub struct ConfigError {
    /// The file, as the user named it; `None` for text that came from elsewhere.
    pub origin: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// One message per diagnostic, each naming its place, with its hint on a second line.
    pub fn messages(&self) -> impl Iterator<Item = String> + '_ {
        self.diagnostics.iter().map(|d| d.describe(self.origin.as_deref()))
    }
}

impl Diagnostic {
    /// The diagnostic as one message naming its place (`file:line:column: field: ...`), with its
    /// hint on a second line.
    pub fn describe(&self, origin: Option<&str>) -> String {
        let mut text = origin.unwrap_or_default().to_owned();
        if let Some(loc) = self.location {
            text.push_str(&format!(":{}:{}", loc.line, loc.column));
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        if !self.field.is_empty() {
            text.push_str(&format!("{}: ", self.field));
        }
        text.push_str(&self.message);
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\n  hint: {hint}"));
        }
        text
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages().collect::<Vec<_>>().join("\n"))
    }
}

/// Reads, parses and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<ValidConfig, ConfigError> {
    let origin = path.display().to_string();
    let fail =
        |message: String| ConfigError { origin: Some(origin.clone()), diagnostics: vec![Diagnostic::new("", message)] };
    let metadata = std::fs::metadata(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if metadata.is_dir() {
        return Err(fail("is a directory, not a configuration file".into()));
    }
    if metadata.len() > MAX_CONFIG_BYTES {
        return Err(fail(format!("is {} bytes; a configuration file may hold at most 1 MiB", metadata.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| fail(format!("is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())))?;
    load_str(&text, Some(&origin))
}

/// Parses and validates YAML (or JSON) configuration text.
pub fn load_str(text: &str, origin: Option<&str>) -> Result<ValidConfig, ConfigError> {
    let error = |diagnostics| ConfigError { origin: origin.map(str::to_owned), diagnostics };
    if text.trim().is_empty() || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        let mut d = Diagnostic::new("", "the configuration is empty");
        d.hint = Some("write `{}` to take every default".into());
        return Err(error(vec![d]));
    }
    let document: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| error(vec![parse_diagnostic(&e)]))?;
    let locate = |mut diagnostics: Vec<(String, Diagnostic)>| {
        let map = SourceMap::parse(text);
        for (path, d) in &mut diagnostics {
            d.location = map.locate(path);
        }
        diagnostics.into_iter().map(|(_, d)| d).collect::<Vec<_>>()
    };
    // serde stops at the first shape error; the schema walk, only needed then, finds them all.
    let config: Config = match Config::deserialize(&document) {
        Ok(config) => config,
        Err(first) => {
            let schema = serde_json::to_value(super::json_schema()).unwrap_or_default();
            let shape_errors = super::shape::check(&document, &schema);
            if shape_errors.is_empty() {
                // Whatever the schema walk let through, serde has the last word on.
                let serde_error = serde_yaml::from_str::<Config>(text).err();
                let diagnostic =
                    serde_error.map_or_else(|| Diagnostic::new("", first.to_string()), |e| parse_diagnostic(&e));
                return Err(error(vec![diagnostic]));
            }
            let broken: Vec<String> = shape_errors.iter().map(|(path, _)| path.clone()).collect();
            let rules = rules_broken_by_the_rest(document, &broken).into_iter().map(|d| (d.field.clone(), d));
            let diagnostics = locate(shape_errors.into_iter().chain(rules).collect());
            return Err(error(in_file_order(diagnostics)));
        }
    };
    let located =
        |diagnostics: Vec<Diagnostic>| locate(diagnostics.into_iter().map(|d| (d.field.clone(), d)).collect());
    let mut valid = config
        .validate_as_written(written_fields(&document))
        .map_err(|diagnostics| error(in_file_order(located(diagnostics))))?;
    // (The source map is built only when there is something to locate.)
    if !valid.warnings.is_empty() {
        valid.warnings = located(std::mem::take(&mut valid.warnings));
    }
    Ok(valid)
}

/// In the order of the file, as an editor lists them; what has no place in it (a default that
/// breaks a rule with another field) last, in the order the checks found it.
fn in_file_order(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|d| d.location.map_or((usize::MAX, 0), |l| (l.line, l.column)));
    diagnostics
}

/// The rules the well-formed part of a document breaks, so that a run reports them together with
/// its shape errors. The broken fields are taken out (their defaults stand in), and any rule that
/// concerns one of them is left out: its verdict would be about a value the user did not write.
/// A broken list item takes its whole list out: taking out one item would shift the others'
/// places in what the rules report.
fn rules_broken_by_the_rest(mut document: serde_yaml::Value, broken: &[String]) -> Vec<Diagnostic> {
    let broken: Vec<&str> = broken.iter().map(|path| path.split('[').next().unwrap_or(path)).collect();
    for path in &broken {
        remove_path(&mut document, path);
    }
    let written = written_fields(&document);
    let Ok(config) = serde_yaml::from_value::<Config>(document) else { return Vec::new() };
    let concerns_broken = |d: &Diagnostic| {
        broken.iter().any(|&b| {
            d.field == *b
                || d.field.starts_with(&format!("{b}."))
                || b.starts_with(&format!("{}.", d.field))
                || d.message.contains(b)
        })
    };
    config.validate_as_written(written).err().unwrap_or_default().into_iter().filter(|d| !concerns_broken(d)).collect()
}

/// The dotted paths of every field the document writes, mappings' keys at any depth.
fn written_fields(document: &serde_yaml::Value) -> std::collections::BTreeSet<String> {
    fn walk(value: &serde_yaml::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
        let Some(map) = value.as_mapping() else { return };
        for (key, child) in map {
            let Some(key) = key.as_str() else { continue };
            let path = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
            walk(child, &path, out);
            out.insert(path);
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(document, "", &mut out);
    out
}

/// Removes the field at the dotted `path`.
fn remove_path(document: &mut serde_yaml::Value, path: &str) {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (Some(parent), key),
        None => (None, path),
    };
    let mut node = document;
    for part in parent.into_iter().flat_map(|p| p.split('.')) {
        match node.get_mut(part) {
            Some(child) => node = child,
            None => return,
        }
    }
    if let Some(map) = node.as_mapping_mut() {
        map.remove(key);
    }
}

/// Turns serde's message into a diagnostic: its path split off, its position kept, and a
/// "did you mean" added when a misspelt key or variant is close to a real one.
fn parse_diagnostic(err: &serde_yaml::Error) -> Diagnostic {
    let text = err.to_string();
    let text = if err.location().is_some() { strip_position(&text) } else { text };
    let (field, message) = split_path(&text);
    let mut d = Diagnostic::new(field, message);
    d.location = err.location().map(|l| Location { line: l.line(), column: l.column() });
    d.hint = suggestion(message);
    d
}

/// Removes serde_yaml's " at line L column C" (the diagnostic shows the place once, up front).
fn strip_position(text: &str) -> String {
    let Some(start) = text.find(" at line ") else { return text.to_owned() };
    let rest = &text[start + " at line ".len()..];
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let line_len = digits(rest);
    let after_line = &rest[line_len..];
    match after_line.strip_prefix(" column ") {
        Some(col) if line_len > 0 => format!("{}{}", &text[..start], &col[digits(col)..]),
        _ => text.to_owned(),
    }
}

/// serde_yaml writes the path of a nested error before a colon (`capacity.min_capacity: invalid type...`).
fn split_path(text: &str) -> (&str, &str) {
    match text.split_once(": ") {
        Some((path, rest))
            if !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c)) =>
        {
            (path, rest)
        }
        _ => ("", text),
    }
}

/// For "unknown field `x`, expected one of `a`, `b`" (and the same for variants), the closest name.
pub(super) fn suggestion(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    // Case is ignored: `https` for `HTTPS` is the commonest slip.
    let distance_to = |c: &str| strsim::levenshtein(&unknown.to_lowercase(), &c.to_lowercase());
    let (best, distance) = candidates.iter().map(|c| (*c, distance_to(c))).min_by_key(|(_, d)| *d)?;
    (distance <= MAX_SUGGESTION_DISTANCE.min(best.len() / 2 + 1)).then(|| format!("did you mean `{best}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        load_str(text, Some("ecs-alb.yaml")).unwrap_err().to_string()
    }

    #[test]
    fn an_empty_document_takes_defaults() {
        assert_eq!(*load_str("{}", None).unwrap(), Config::default());
    }

    #[test]
    fn an_empty_file_is_an_error_with_a_hint() {
        assert_eq!(
            err("# nothing\n\n"),
            "ecs-alb.yaml: the configuration is empty\n  hint: write `{}` to take every default"
        );
    }

    #[test]
    fn a_misspelt_key_gets_a_suggestion_and_a_position() {
        let e = err("capacity:\n  min_capcity: 2\n");
        assert!(e.starts_with("ecs-alb.yaml:2:3: capacity: unknown field `min_capcity`"), "{e}");
        assert!(e.ends_with("hint: did you mean `min_capacity`?"), "{e}");
    }

    #[test]
    fn an_unknown_variant_gets_a_suggestion() {
        let e = err("capacity:\n  machine_image: amazon-linux2\n");
        assert!(e.contains("unknown variant `amazon-linux2`") && e.ends_with("did you mean `amazon-linux-2`?"), "{e}");
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let e = err("vpc:\n  max_azs: two\n");
        assert_eq!(e, "ecs-alb.yaml:2:3: vpc.max_azs: invalid type: string \"two\", expected u32");
    }

    #[test]
    fn every_shape_error_is_reported_at_once() {
        let e = err(
            "vpc:\n  max_az: 3\n  cidr: [1]\ncapacity:\n  machine_image: amazon-linux-3\n  min_capacity: -1\nservice:\n  container:\n    environment: {A: {b: c}}\n    name: 5\nextra: 1\n",
        );
        let lines: Vec<&str> = e.lines().filter(|l| !l.starts_with("  hint")).collect();
        assert_eq!(
            lines,
            [
                "ecs-alb.yaml:2:3: vpc: unknown field `max_az`, expected one of `max_azs`, `cidr`, `nat_gateways`, `existing`",
                "ecs-alb.yaml:3:3: vpc.cidr: invalid type: sequence, expected a string",
                "ecs-alb.yaml:5:3: capacity.machine_image: unknown variant `amazon-linux-3`, expected `amazon-linux-2`, `amazon-linux-2023`, `bottlerocket`",
                "ecs-alb.yaml:6:3: capacity.min_capacity: invalid value: -1, expected a whole number from 0 to 4294967295",
                "ecs-alb.yaml:9:19: service.container.environment.A: invalid type: mapping, expected a string",
                "ecs-alb.yaml:10:5: service.container.name: invalid type: number 5, expected a string",
                "ecs-alb.yaml:11:1: unknown field `extra`, expected one of `stack_name`, `vpc`, `capacity`, `load_balancer`, `service`, `services`, `observability`, `tags`",
            ]
        );
        assert!(
            e.contains("hint: did you mean `max_azs`?") && e.contains("hint: did you mean `amazon-linux-2`?"),
            "{e}"
        );
    }

    #[test]
    fn rule_violations_point_at_their_key() {
        let e = err("capacity:\n  min_capacity: 3\nservice:\n  container:\n    port: 0\n");
        assert_eq!(
            e,
            "ecs-alb.yaml:2:3: capacity.min_capacity: 3 must be at most capacity.max_capacity (1)\n\
             ecs-alb.yaml:5:5: service.container.port: 0 must be from 1 to 65535"
        );
    }

    #[test]
    fn the_position_is_given_once() {
        let e = err("vpc: {cidr: 10.0.0.0/16\n");
        assert_eq!(
            e,
            "ecs-alb.yaml:2:1: did not find expected ',' or '}', while parsing a flow mapping at line 1 column 6"
        );
    }

    #[test]
    fn json_is_accepted() {
        let c = load_str(r#"{"capacity": {"max_capacity": 3}}"#, None).unwrap();
        assert_eq!(c.capacity.max_capacity, 3);
    }
}
