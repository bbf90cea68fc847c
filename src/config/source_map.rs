//! Where each key of a YAML document is, so a rule broken by a value can point at its line.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// Dotted key paths (`capacity.min_capacity`, `list.0.name`) to the place their key is written.
#[derive(Debug, Default)]
pub struct SourceMap {
    keys: HashMap<String, Location>,
}

impl SourceMap {
    /// Maps what it can; a document the event parser rejects maps nothing (serde has already
    /// reported its syntax errors by then).
    pub fn parse(text: &str) -> Self {
        let mut builder = Builder::default();
        if Parser::new_from_str(text).load(&mut builder, false).is_err() {
            return SourceMap::default();
        }
        SourceMap { keys: builder.keys }
    }

    /// The location of `path`'s key, or of its nearest written ancestor when the key was left to
    /// its default.
    /// `path` is dotted; list items may be written `list[1]` or `list.1`.
    pub fn locate(&self, path: &str) -> Option<Location> {
        // As the keys are joined: a list's index is one more name, a quoted key is as written.
        let names: Vec<String> =
            super::field_path::segments(path).iter().map(|s| s.replace('[', ".").replace(']', "")).collect();
        let dotted = names.join(".");
        let mut path = dotted.as_str();
        loop {
            if let Some(location) = self.keys.get(path) {
                return Some(*location);
            }
            path = &path[..path.rfind('.')?];
        }
    }
}

enum Frame {
    Mapping { path: String, key: Option<String> },
    Sequence { path: String, index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    keys: HashMap<String, Location>,
}

impl Builder {
    /// The path of the node that starts now, in whatever collection is open.
    fn child_path(&self, key_text: Option<&str>) -> Option<String> {
        match self.stack.last()? {
            Frame::Mapping { path, key: None } => key_text.map(|k| join(path, k)),
            Frame::Mapping { path, key: Some(key) } => Some(join(path, key)),
            Frame::Sequence { path, index } => Some(join(path, &index.to_string())),
        }
    }

    /// Records that a complete node was read in the open collection; `scalar` is its text and
    /// place when it was a scalar (a mapping key is nearly always one).
    fn node_done(&mut self, scalar: Option<(String, Location)>) {
        match self.stack.last_mut() {
            Some(Frame::Mapping { path, key }) => {
                if key.take().is_some() {
                    return;
                }
                let text = match scalar {
                    Some((text, location)) => {
                        self.keys.insert(join(path, &text), location);
                        text
                    }
                    None => String::from("?"),
                };
                *key = Some(text);
            }
            Some(Frame::Sequence { path, index }) => {
                if let Some((_, location)) = scalar {
                    self.keys.insert(join(path, &index.to_string()), location);
                }
                *index += 1;
            }
            None => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => {
                let location = Location { line: mark.line(), column: mark.col() + 1 };
                self.node_done(Some((text, location)));
            }
            Event::Alias(_) => self.node_done(None),
            Event::MappingStart(..) => {
                let path = self.child_path(None).unwrap_or_default();
                self.stack.push(Frame::Mapping { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.child_path(None).unwrap_or_default();
                self.stack.push(Frame::Sequence { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.node_done(None);
            }
            _ => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        "stack_name: Shop\ncapacity:\n  min_capacity: 3\n  max_capacity: 1\nlist:\n  - name: a\n  - {name: b}\n";

    #[test]
    fn locates_nested_keys() {
        let map = SourceMap::parse(DOC);
        assert_eq!(map.locate("stack_name"), Some(Location { line: 1, column: 1 }));
        assert_eq!(map.locate("capacity.min_capacity"), Some(Location { line: 3, column: 3 }));
        assert_eq!(map.locate("capacity.max_capacity"), Some(Location { line: 4, column: 3 }));
        assert_eq!(map.locate("list.1.name"), Some(Location { line: 7, column: 6 }));
    }

    #[test]
    fn locates_list_items() {
        let map = SourceMap::parse(
            "types: [a, b]
more:
  - c
  - d
",
        );
        assert_eq!(map.locate("types[1]"), Some(Location { line: 1, column: 12 }));
        assert_eq!(map.locate("more[1]"), Some(Location { line: 4, column: 5 }));
    }

    #[test]
    fn falls_back_to_the_nearest_written_ancestor() {
        let map = SourceMap::parse(DOC);
        assert_eq!(map.locate("capacity.desired_capacity"), Some(Location { line: 2, column: 1 }));
        assert_eq!(map.locate("vpc.cidr"), None);
    }

    #[test]
    fn maps_nothing_in_a_broken_document() {
        assert_eq!(SourceMap::parse("a: [").locate("a"), None);
    }
}
