//! AWS::Logs resources.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Value};

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub retention_in_days: Option<Value<u32>>,
}

impl Resource for LogGroup {
    const TYPE: &'static str = "AWS::Logs::LogGroup";
}

impl Handle<LogGroup> {
    pub fn log_group_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}
