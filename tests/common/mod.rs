//! Helpers shared by the integration tests: synthesis from YAML, CDK-style template assertions,
//! the examples, and the Python tools of the test venv.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use ecs_alb::config::load_str;
use ecs_alb::pattern::{SynthOptions, synthesize};

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The template for a YAML configuration, as JSON.
pub fn synth(config_yaml: &str) -> Value {
    let config = load_str(config_yaml, None).unwrap_or_else(|e| panic!("config should be valid: {e}"));
    synthesize(&config, SynthOptions::default()).expect("synthesis succeeds").to_value().expect("serializes")
}

/// The examples, as (name, path), sorted by name.
pub fn examples() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(repo_root().join("examples"))
        .expect("examples/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| (path.file_stem().unwrap().to_string_lossy().into_owned(), path))
        .collect();
    found.sort();
    assert!(found.len() >= 5, "expected the examples, found {found:?}");
    found
}

pub fn synth_file(path: &Path) -> String {
    let config = ecs_alb::config::load(path).unwrap_or_else(|e| panic!("{e}"));
    synthesize(&config, SynthOptions::default()).unwrap().to_json_pretty().unwrap()
}

/// The resources of one type, as (logical ID, resource).
pub fn resources_of_type<'a>(template: &'a Value, resource_type: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources is an object")
        .iter()
        .filter(|(_, r)| r["Type"] == resource_type)
        .collect()
}

pub fn resource_count_is(template: &Value, resource_type: &str, count: usize) {
    let found = resources_of_type(template, resource_type).len();
    assert_eq!(found, count, "expected {count} {resource_type}, found {found}");
}

/// The one resource of a type; fails when there is not exactly one.
pub fn only<'a>(template: &'a Value, resource_type: &str) -> &'a Value {
    let found = resources_of_type(template, resource_type);
    assert_eq!(found.len(), 1, "expected one {resource_type}");
    found[0].1
}

/// Like the CDK's `hasResourceProperties` with `Match.objectLike`: some resource of the type has
/// properties that contain `expected` (objects match by subset, arrays and scalars exactly).
pub fn has_resource_properties(template: &Value, resource_type: &str, expected: Value) {
    let candidates = resources_of_type(template, resource_type);
    assert!(
        candidates.iter().any(|(_, r)| object_like(&r["Properties"], &expected)),
        "no {resource_type} has properties like {expected:#}; candidates: {:#}",
        Value::Array(candidates.iter().map(|(_, r)| r["Properties"].clone()).collect())
    );
}

pub fn object_like(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| object_like(av, v))),
        _ => actual == expected,
    }
}
