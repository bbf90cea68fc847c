//! AWS::Lambda resources (generated), with the attributes each offers and the types the
//! schemas leave loose.

use serde::Serialize;

use crate::template::{Handle, Intrinsic, Value};

pub use super::generated::lambda::event_source_mapping::EventSourceMapping;
pub use super::generated::lambda::function::{DeadLetterConfig, Environment, Function, LoggingConfig};
pub use super::generated::lambda::permission::Permission;

impl Handle<Function> {
    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

/// Where the function's code is: an S3 object, or (for `aws cloudformation package`) a local path.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Code {
    S3 {
        #[serde(rename = "S3Bucket")]
        bucket: Value<String>,
        #[serde(rename = "S3Key")]
        key: Value<String>,
    },
    LocalPath(String),
}

impl From<Code> for Value<Code> {
    fn from(code: Code) -> Self {
        Value::Literal(code)
    }
}

/// Whether Lambda stops a function that invokes itself through SQS, SNS or S3 in a loop.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum RecursiveLoop {
    Allow,
    Terminate,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum LogFormat {
    #[serde(rename = "JSON")]
    Json,
    Text,
}

/// What an event source mapping lets the function report.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum FunctionResponseType {
    /// Only the failed messages of a batch come back.
    ReportBatchItemFailures,
}
