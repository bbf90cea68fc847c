//! AWS::Events resources (generated), with the attributes each offers.

use serde::Serialize;

use crate::template::{Handle, Intrinsic};

pub use super::generated::events::rule::{Rule, Target};

/// Whether a rule matches events (`State`, a string in the schema).
#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleState {
    #[default]
    Enabled,
    Disabled,
}

impl Handle<Rule> {
    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}
