//! AWS::Events resources: rules on the default event bus.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

/// A rule that sends the events its pattern matches to its targets.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: Option<Value<String>>,
    /// EventBridge's pattern language; intrinsics may stand in for values.
    pub event_pattern: serde_json::Value,
    pub state: RuleState,
    pub tags: Option<Tags>,
    pub targets: Vec<Target>,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleState {
    Enabled,
    Disabled,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub arn: Value<String>,
    /// Unique among the rule's targets.
    pub id: Value<String>,
}

impl Resource for Rule {
    const TYPE: &'static str = schema::EVENTS_RULE_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<Rule> {
    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}
