//! Where a field is in the configuration file, as diagnostics name it: built a segment at a time
//! (`services` → `services.api` → `services.api.container.port`), never by rewriting text, so one
//! check serves the one `service` and every entry of `services` alike.

use std::fmt;
use std::ops::Deref;

/// A field of the configuration: `service.container.port`, `service.sidecars[1].name`,
/// `tags."team.name"` (a map key holding a dot is quoted, so the path stays unambiguous).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// A top-level field, or a dotted path of plain field names (`load_balancer.health_check`).
    pub fn new(field: &str) -> Self {
        FieldPath(field.to_owned())
    }

    /// A field inside this one: a name, or a dotted path of plain field names.
    pub fn field(&self, name: &str) -> Self {
        if self.0.is_empty() { FieldPath::new(name) } else { FieldPath(format!("{}.{name}", self.0)) }
    }

    /// An item of this list.
    pub fn index(&self, index: usize) -> Self {
        FieldPath(format!("{}[{index}]", self.0))
    }

    /// An entry of this map, by its key, which may hold anything.
    pub fn key(&self, key: &str) -> Self {
        let plain = !key.is_empty() && !key.contains(['.', '[', ']', '"']);
        if plain { self.field(key) } else { self.field(&format!("{key:?}")) }
    }

    /// Whether `other` is this field or lies inside it.
    pub fn contains(&self, other: &str) -> bool {
        other.strip_prefix(self.0.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for FieldPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The names a path's dots separate, a quoted key unquoted: `tags."a.b".x` is `tags`, `a.b`,
/// `x` (list indices stay on their name: `sidecars[1]`).
pub fn segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => segments.push(std::mem::take(&mut current)),
            '"' => {
                // A key as Rust's `{:?}` writes it: up to the closing quote, escapes undone.
                let mut escaped = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        (_, c) => {
                            current.push(c);
                            escaped = false;
                        }
                    }
                }
            }
            c => current.push(c),
        }
    }
    segments.push(current);
    segments.retain(|s| !s.is_empty());
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_a_segment_at_a_time() {
        let service = FieldPath::new("services").key("api");
        assert_eq!(service.field("container.port").as_str(), "services.api.container.port");
        assert_eq!(
            FieldPath::new("service").field("sidecars").index(1).field("name").as_str(),
            "service.sidecars[1].name"
        );
        let label = FieldPath::new("service.container.docker_labels").key("com.example.role");
        assert_eq!(label.as_str(), r#"service.container.docker_labels."com.example.role""#);
        assert_eq!(segments(&label), ["service", "container", "docker_labels", "com.example.role"]);
        assert_eq!(segments("service.sidecars[1].name"), ["service", "sidecars[1]", "name"]);
    }

    #[test]
    fn a_field_contains_what_lies_inside_it_only() {
        let service = FieldPath::new("services").key("api");
        assert!(service.contains("services.api"));
        assert!(service.contains("services.api.container.port"));
        assert!(!service.contains("services.api2.container"));
        assert!(!service.contains("capacity.instance_type"));
    }
}
