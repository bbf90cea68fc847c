//! AWS::Lambda resources.

use super::schema;
use indexmap::IndexMap;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::aws::Architecture;
use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    pub architectures: Vec<Architecture>,
    pub code: Code,
    pub dead_letter_config: Option<DeadLetterConfig>,
    pub environment: Option<Environment>,
    pub handler: Value<String>,
    pub logging_config: Option<LoggingConfig>,
    pub memory_size: Value<u32>,
    /// `Allow` lets the function's own SQS loop run past Lambda's recursive-loop detection.
    pub recursive_loop: Option<RecursiveLoop>,
    pub role: Value<String>,
    pub runtime: Value<String>,
    pub tags: Option<Tags>,
    pub timeout: Value<u32>,
}

/// Whether Lambda stops a function that invokes itself through SQS, SNS or S3 in a loop.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum RecursiveLoop {
    Allow,
    Terminate,
}

impl Resource for Function {
    const TYPE: &'static str = schema::LAMBDA_FUNCTION_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

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

/// Where asynchronous invocations go once Lambda's retries are spent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    pub target_arn: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    pub variables: IndexMap<&'static str, Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    pub log_format: LogFormat,
    pub log_group: Value<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permission {
    pub action: &'static str,
    pub function_name: Value<String>,
    pub principal: &'static str,
    pub source_arn: Value<String>,
}

impl Resource for Permission {
    const TYPE: &'static str = schema::LAMBDA_PERMISSION_TYPE;
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSourceMapping {
    pub batch_size: Value<u32>,
    pub event_source_arn: Value<String>,
    pub function_name: Value<String>,
    pub function_response_types: Vec<FunctionResponseType>,
    pub tags: Option<Tags>,
}

impl Resource for EventSourceMapping {
    const TYPE: &'static str = schema::LAMBDA_EVENT_SOURCE_MAPPING_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
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
